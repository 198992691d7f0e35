"""The event log: every change at the site, sign-ins and account changes included, who made it and when."""

import streamlit as st

from db.core.clock import local_day_bounds
from db.reports.audit import events_frame, list_event_filters
from ui.event_words import worded_changes
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.tables import show_table, translate_codes
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("audit")

with read_scope() as session:
    filters = list_event_filters(session, site_id=user.site_id)


def everything(value: object, family: str | None = None) -> str:
    if value is None:
        return t("audit.all")
    return translate_codes(str(value), family) if family else str(value)


left, middle, right = st.columns(3)
action = left.selectbox(
    t("audit.action"),
    [None, *filters.actions],
    key="audit_action",
    format_func=lambda value: everything(value, "action"),
)
entity = middle.selectbox(
    t("audit.entity"),
    [None, *filters.entities],
    key="audit_entity",
    format_func=lambda value: everything(value, "entity"),
)
actor = right.selectbox(
    t("audit.actor"),
    [None, *filters.actors],
    key="audit_actor",
    format_func=lambda choice: everything(None if choice is None else choice[1]),
)
days = st.date_input(t("audit.days"), value=[], key="audit_days")

start = local_day_bounds(days[0])[0] if days else None
end = local_day_bounds(days[-1])[1] if days else None
with read_scope() as session:
    events = events_frame(
        session,
        site_id=user.site_id,
        action=action,
        entity=entity,
        actor_id=None if actor is None else actor[0],
        start=start,
        end=end,
    )
show_table(worded_changes(events), codes={"action": "action", "entity": "entity"})
