"""Orders: review every order of the site and import a platform's delivery manifest."""

import pandas as pd

from db.orders import count_orders_by_status
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table

user = require_role(ORGANIZER)
page_header("orders")

with read_scope() as session:
    counts = count_orders_by_status(session, site_id=user.site_id)
show_table(
    pd.DataFrame([{"status": status, "count": count} for status, count in sorted(counts.items())],
                 columns=["status", "count"]),
    codes={"status": "status"},
)
