"""Storage: shelves, fridges and freezers, their slots, and how full each one is."""

import pandas as pd

from db.storage import list_unit_occupancy
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(ORGANIZER)
page_header("storage")

with read_scope() as session:
    units = list_unit_occupancy(session, site_id=user.site_id)
show_table(
    pd.DataFrame(
        [{"unit": unit.code, "name": unit.name, "kind": unit.kind, "min_temp_c": unit.min_temp_c,
          "max_temp_c": unit.max_temp_c, "slots": unit.slots, "used": unit.used, "free": unit.free}
         for unit in units],
        columns=["unit", "name", "kind", "min_temp_c", "max_temp_c", "slots", "used", "free"],
    ),
    codes={"kind": "kind"},
)
