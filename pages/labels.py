"""Labels to print on A4: every slot of a unit (code, storage class, QR) or the bags of a delivery (pickup code,
slot, masked name, the QR the desk scans)."""

import streamlit as st

from db.cold_chain.units import list_unit_occupancy
from db.core.clock import local_today
from db.orders.labels import list_bag_labels, list_slot_labels
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.signed_in import acting_site_id
from ui.store import read_scope
from ui.views.orders.labels import bag_label_cards, show_label_sheet, slot_label_cards
from ui.widgets import page_header

require_role(ORGANIZER)
site_id = acting_site_id()
page_header("labels")

KINDS = {"bags": "labels.kind_bags", "slots": "labels.kind_slots"}
ALL_UNITS = 0

with st.container(key="labels_controls"):
    kind_labels = {kind: t(key) for kind, key in KINDS.items()}
    kind = st.radio(
        t("labels.kind"), list(KINDS), format_func=kind_labels.__getitem__, horizontal=True, key="labels_kind"
    )
    if kind == "slots":
        with read_scope() as session:
            units = [unit for unit in list_unit_occupancy(session, site_id=site_id) if unit.active]
        unit_names = {ALL_UNITS: t("labels.all_units").plain} | {
            unit.id: t("labels.unit_option", code=unit.code, name=unit.name).plain for unit in units
        }
        unit_id = st.selectbox(
            t("labels.unit"), list(unit_names), format_func=unit_names.__getitem__, key="labels_unit"
        )
        with read_scope() as session:
            slots = list_slot_labels(session, site_id=site_id, storage_unit_id=unit_id or None)
        cards = slot_label_cards(slots)
    else:
        day = st.date_input(t("labels.day"), value=local_today(), key="labels_day")
        with read_scope() as session:
            bags = list_bag_labels(session, site_id=site_id, delivery_date=day)
        cards = bag_label_cards(bags)
    st.caption(t("labels.count", count=len(cards)))
    st.caption(t("labels.print_help"))

if cards:
    show_label_sheet(cards)
else:
    st.info(t("labels.none"))
