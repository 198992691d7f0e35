"""Roster: plan the shifts of this week and next, and see which are short of volunteers."""

import datetime as dt

from db.clock import local_day_bounds, local_today
from db.overview import shifts_frame
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(ORGANIZER)
page_header("roster")

start, _ = local_day_bounds(local_today())
with read_scope() as session:
    shifts = shifts_frame(session, site_id=user.site_id, start=start, end=start + dt.timedelta(days=14))
show_table(shifts, codes={"role": "role"})
