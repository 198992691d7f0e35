"""Volunteers: the people of the site, their roles, and their tablet PINs and passwords."""

from db.overview import volunteers_frame
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(ORGANIZER)
page_header("volunteers")

with read_scope() as session:
    people = volunteers_frame(session, site_id=user.site_id)
# Organizers see phone numbers whole (DESIGN.md): no masking on this page.
show_table(people, codes={"roles": "role"})
