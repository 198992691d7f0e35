"""The overdue call list: residents with bags past their collect-by day, by building and oldest first; numbers masked,
organizers get a call link that dials the whole number; each call's outcome is recorded on the bags. The print view
is masked too; an organizer may print it unmasked after saying why (recorded)."""

from functools import partial

import streamlit as st

from db.core.clock import utc_now
from db.core.models import STORAGE_CLASSES
from db.orders.calls import list_overdue_calls
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, STAFF, page_spec
from ui.privacy import record_unmasked, unmasked_reason
from ui.signed_in import current_audience
from ui.store import read_scope
from ui.tables import show_print_table
from ui.views.orders.calls import group_by_building, print_frame, resident_card, today_label
from ui.widgets import page_header

# The print view: no menu on screen; on paper not the controls either.
PRINT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
@media print { .st-key-calls_controls, [data-testid="stToast"] { display: none !important; }
  .stMainBlockContainer { padding: 0 !important; max-width: 100% !important; } }
</style>
"""

user = require_role(*STAFF)
now = utc_now()
printable = st.session_state.get("calls_print", False)
if printable:
    st.html(PRINT_CSS)
page_header("overdue_calls")

organizer = current_audience() == ORGANIZER
# `?class=frozen`: only that storage class's bags (the dashboard's link when tomorrow's freezer is short of slots).
wanted_class = st.query_params.get("class")
storage_class = wanted_class if wanted_class in STORAGE_CLASSES else None
with read_scope() as session:
    residents = list_overdue_calls(
        session, site_id=user.site_id, now=now, reveal_phone=organizer, storage_class=storage_class
    )

bags = sum(len(resident.bags) for resident in residents)
with st.container(key="calls_controls"):
    st.toggle(t("calls.print_view"), key="calls_print")
    st.caption(t("calls.print_help"))
    unmasked = None
    if printable and organizer and residents:
        record = partial(record_unmasked, user=user, site_id=user.site_id, subject="overdue_calls", row_count=bags)
        unmasked = unmasked_reason("calls", record=lambda reason: record(reason=reason))
    st.caption(t("calls.count", count=len(residents), bags=bags, day=today_label(now)))
    if storage_class is not None:
        st.caption(t("calls.only_class", kind=storage_class))
        st.page_link(page_spec("overdue_calls").path, label=t("calls.every_class"), query_params={})

if not residents:
    st.info(t("calls.none"))
elif printable:
    show_print_table(print_frame(residents, whole=unmasked is not None))
else:
    for building, group in group_by_building(residents).items():
        st.header(t("calls.building", number=building.rstrip("号")) if building else t("calls.no_building"))
        for resident in group:
            resident_card(user, resident)
