"""My shifts: sign up for a shift, check in when it starts and out when it ends."""

import datetime as dt

from db.clock import local_day_bounds, local_today
from db.overview import assignments_frame
from ui.guard import require_role
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(VOLUNTEER, ORGANIZER)
page_header("my_shifts")

start, _ = local_day_bounds(local_today())
with read_scope() as session:
    mine = assignments_frame(session, volunteer_id=user.volunteer_id, start=start, end=start + dt.timedelta(days=14))
show_table(mine, codes={"role": "role", "status": "status"})
