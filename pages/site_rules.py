"""The site's rules (organizers): every number the app enforces and the written rules, changed in one form; each
change is in the event log with before and after, and residents see the hours, the hold time and the text."""

from functools import partial

import streamlit as st

from db.core.clock import utc_now
from db.people.site_rules import MAX_RULES_TEXT, RULES_CHANGED, TEMPERATURES, WHOLE_NUMBERS, update_site_rules
from db.people.sites import get_site_rules
from db.reports.audit import events_frame
from ui.actions import run_change
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.widgets import page_header, show_table, worded_changes

# The form's sections: a heading and its rules, in the order a committee reads its 细则.
SECTIONS = {
    "site_rules.section_pickup": ("hold_days", "chilled_hold_days", "frozen_hold_days", "opens_at", "closes_at"),
    "site_rules.section_cold": ("chilled_min_c", "chilled_max_c", "frozen_min_c", "frozen_max_c", "readings_per_day"),
    "site_rules.section_storage": ("chilled_dwell_hours", "frozen_dwell_hours"),
    "site_rules.section_people": ("idle_signout_minutes", "signout_cutoff_hours", "pickups_per_volunteer_hour"),
}
HISTORY_ROWS = 20

user = require_role(ORGANIZER)
page_header("site_rules")

with read_scope() as session:
    rules = get_site_rules(session, site_id=user.site_id)
    current = {name: getattr(rules, name) for section in SECTIONS.values() for name in section}
    current["rules_text"] = rules.rules_text


def rule_input(name: str):
    label = t(f"value.rule.{name}")
    key = f"rule_{name}"
    if name in WHOLE_NUMBERS:
        bounds = WHOLE_NUMBERS[name]
        return st.number_input(
            label, min_value=int(bounds.low), max_value=int(bounds.high), value=int(current[name]), step=1, key=key
        )
    if name in TEMPERATURES:
        bounds = TEMPERATURES[name]
        return st.number_input(
            label,
            min_value=float(bounds.low),
            max_value=float(bounds.high),
            value=float(current[name]),
            step=0.5,
            format="%.1f",
            key=key,
        )
    return st.time_input(label, value=current[name], step=900, key=key)


with st.form("site_rules_form"):
    wanted = {}
    for heading, names in SECTIONS.items():
        st.subheader(t(heading))
        columns = st.columns(min(len(names), 3))
        for index, name in enumerate(names):
            with columns[index % len(columns)]:
                wanted[name] = rule_input(name)
    st.subheader(t("site_rules.section_text"))
    wanted["rules_text"] = st.text_area(
        t("value.rule.rules_text"), value=current["rules_text"], max_chars=MAX_RULES_TEXT, height=200, key="rule_text"
    )
    if st.form_submit_button(t("site_rules.save"), type="primary", width="stretch"):
        change = partial(
            update_site_rules, site_id=user.site_id, changes=wanted, actor_id=user.volunteer_id, now=utc_now()
        )
        run_change(change, done_key="site_rules.saved")

st.subheader(t("site_rules.history"))
with read_scope() as session:
    history = events_frame(session, site_id=user.site_id, action=RULES_CHANGED, limit=HISTORY_ROWS)
show_table(worded_changes(history)[["happened_at", "actor", "before", "after"]])
