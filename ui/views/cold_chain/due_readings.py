"""Readings still due, said at the top of the desk and the dashboard, with a link to the temperature log."""

from __future__ import annotations

import streamlit as st

from db.cold_chain.temperatures import list_due_readings
from db.core.clock import to_local, utc_now
from ui.i18n import (
    t,
)
from ui.pages_registry import page_spec
from ui.store import read_scope


def due_readings_notice(*, site_id: int) -> None:
    """Fridge and freezer readings still to take (a follow-up after an out-of-range one, or a missed one),
    with a link to the temperature log; nothing when all is done. The desk and the dashboard show it."""
    with read_scope() as session:
        due = list_due_readings(session, site_id=site_id, now=utc_now())
    for item in due:
        if item.kind == "follow_up":
            text = t(
                "due.follow_up", unit=item.unit_code, name=item.unit_name, time=to_local(item.due_at).strftime("%H:%M")
            )
            show = st.error if item.overdue else st.warning
        else:
            text = t("due.missing", unit=item.unit_code, name=item.unit_name, count=item.missing)
            show = st.warning
        show(text, icon=":material/thermostat:")
    if due:
        st.page_link(page_spec("temperatures").path, label=t("due.go_log"), icon=":material/edit_note:")
