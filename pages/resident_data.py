"""A resident's data (organizers): a resident asks what the pickup point holds about them — their whole number finds
every bag, event, call, notice and message under it, to read, to download for them, and to anonymise at once."""

from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.views.privacy.resident import find_form, found_resident, show_resident
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("resident_data")

find_form(user)
found = found_resident()
if found is not None:
    show_resident(found, user)
