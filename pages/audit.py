"""The event log: every change at the site, who made it and when, newest first."""

from db.overview import events_frame
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(ORGANIZER)
page_header("audit")

with read_scope() as session:
    events = events_frame(session, site_id=user.site_id)
show_table(events)
