"""Reports: charts of pickups, overdue bags and temperatures, and exports for the committee."""

from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.widgets import page_header

require_role(ORGANIZER)
page_header("reports")
