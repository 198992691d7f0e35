"""Temperatures: log a reading of each fridge and freezer, with a corrective action when out of range."""

import pandas as pd

from db.storage import list_unit_occupancy
from ui.guard import require_role
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(VOLUNTEER, ORGANIZER)
page_header("temperatures")

with read_scope() as session:
    units = [unit for unit in list_unit_occupancy(session, site_id=user.site_id) if unit.kind != "shelf"]
show_table(
    pd.DataFrame(
        [{"unit": unit.code, "name": unit.name, "kind": unit.kind, "min_temp_c": unit.min_temp_c,
          "max_temp_c": unit.max_temp_c} for unit in units],
        columns=["unit", "name", "kind", "min_temp_c", "max_temp_c"],
    ),
    codes={"kind": "kind"},
)
