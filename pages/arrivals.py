"""Arrivals: check in today's delivery bag by bag or all at once, each bag to a slot; report missing or damaged."""

import streamlit as st

from db.core.clock import local_today
from db.orders.lifecycle import list_expected_orders
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.views.orders.arrivals import check_in_by_code, next_in_view, problem_report, todays_list, whole_delivery
from ui.widgets import page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("arrivals")

today = local_today()
with read_scope() as session:
    orders = list_expected_orders(session, site_id=user.site_id, delivery_date=today)

# Bag by bag first: on the landscape tablet the last bag's slot and its next tap sit right under the heading.
check_in_by_code(user)
st.metric(t("arrivals.expected_today"), sum(1 for order in orders if order.status == "expected"))
whole_delivery(user, orders, today=today)
problem_report(user, orders)
todays_list(orders)
next_in_view(orders)
