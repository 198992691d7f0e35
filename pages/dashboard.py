"""The organizer's dashboard: today's orders, free slots and what needs attention."""

import pandas as pd
import streamlit as st

from db.clock import local_today
from db.orders import count_orders_by_status
from db.storage import list_unit_occupancy
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import due_readings_notice, page_header, show_table

user = require_role(ORGANIZER)
page_header("dashboard")
due_readings_notice(site_id=user.site_id)

with read_scope() as session:
    today = count_orders_by_status(session, site_id=user.site_id, delivery_date=local_today())
    units = list_unit_occupancy(session, site_id=user.site_id)

st.subheader(t("dashboard.today"))
show_table(
    pd.DataFrame([{"status": status, "count": count} for status, count in sorted(today.items())],
                 columns=["status", "count"]),
    codes={"status": "status"},
)
st.subheader(t("dashboard.storage"))
show_table(
    pd.DataFrame([{"unit": unit.code, "kind": unit.kind, "slots": unit.slots, "used": unit.used, "free": unit.free}
                  for unit in units], columns=["unit", "kind", "slots", "used", "free"]),
    codes={"kind": "kind"},
)
