"""The site's rules (organizers): every number the app enforces, the hours of each weekday and the written rules,
changed in one form; the closed dates added and removed below it. Each change is in the event log with before and
after, and residents see the hours, the closed dates, the hold time and the text."""

import datetime as dt
from functools import partial

import streamlit as st

from db.core.clock import local_today, utc_now
from db.people.opening_hours import WeekdayRule, list_closed_days, week_hours
from db.people.site_rules import (
    CHOICES,
    MAX_CLOSED_NOTE,
    MAX_PRIVACY_CONTACT,
    MAX_RULES_TEXT,
    RULES_CHANGED,
    TEMPERATURES,
    WHOLE_NUMBERS,
    add_closed_days,
    remove_closed_days,
    update_site_rules,
)
from db.people.sites import get_site_rules
from db.reports.audit import events_frame
from ui.actions import run_change
from ui.event_words import worded_changes
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.tables import show_table
from ui.views.people.hours import closed_day_lines
from ui.widgets import page_header

# The form's sections: a heading and its rules, in the order a committee reads its 细则.
SECTIONS = {
    "site_rules.section_pickup": ("hold_days", "chilled_hold_days", "frozen_hold_days", "opens_at", "closes_at"),
    "site_rules.section_cold": ("chilled_min_c", "chilled_max_c", "frozen_min_c", "frozen_max_c", "readings_per_day"),
    "site_rules.section_storage": ("chilled_dwell_hours", "frozen_dwell_hours"),
    "site_rules.section_people": ("idle_signout_minutes", "signout_cutoff_hours", "pickups_per_volunteer_hour"),
    "site_rules.section_messages": ("language",),
    "site_rules.section_privacy": ("personal_data_days", "privacy_contact"),
}
# Rules whose box takes the whole width: a line of text (the privacy contact, up to 100 characters).
WIDE = ("privacy_contact",)
HISTORY_ROWS = 20

user = require_role(ORGANIZER)
page_header("site_rules")
today = local_today(utc_now())

with read_scope() as session:
    rules = get_site_rules(session, site_id=user.site_id)
    current = {name: getattr(rules, name) for section in SECTIONS.values() for name in section}
    current["rules_text"] = rules.rules_text
    week = week_hours(session, site_id=user.site_id)
    closed_days = list_closed_days(session, site_id=user.site_id, first=today, last=dt.date.max)


def rule_input(name: str) -> float | dt.time | str | None:
    """The box for one rule: a whole number, a temperature, one of a few codes (the messages' language), a line of
    text (the privacy contact) or a time of day (None while a time box is empty)."""
    label = t(f"value.rule.{name}")
    key = f"rule_{name}"
    if name == "privacy_contact":
        placeholder = t("site_rules.privacy_contact_example").plain
        contact: str = current[name]
        return st.text_input(label, value=contact, max_chars=MAX_PRIVACY_CONTACT, placeholder=placeholder, key=key)
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
    if name in CHOICES:
        choices = CHOICES[name]
        # Worded now, in this run's language (a format_func may be called outside the run).
        words = {code: t(f"value.{name}.{code}").plain for code in choices}
        return st.selectbox(
            label,
            choices,
            index=choices.index(current[name]) if current[name] in choices else 0,
            format_func=words.__getitem__,
            key=key,
        )
    moment: dt.time = current[name]
    return st.time_input(label, value=moment, step=900, key=key)


def weekday_inputs() -> dict[int, WeekdayRule]:
    """A row per weekday: opens, closes, closed. Only the weekdays the organizer changed go to the store, so a
    weekday showing the usual hours follows them when the usual hours change in the same save."""
    changed: dict[int, WeekdayRule] = {}
    for day in week:
        shown = WeekdayRule(
            opens_at=day.opens_at or current["opens_at"], closes_at=day.closes_at or current["closes_at"]
        )
        name, opens, closes, closed = st.columns([1, 2, 2, 1.2], vertical_alignment="bottom")
        name.markdown(f"**{t(f'value.weekday.{day.weekday}')}**")
        with opens:
            opens_at = st.time_input(
                t("site_rules.opens"), value=shown.opens_at, step=900, key=f"week_opens_{day.weekday}"
            )
        with closes:
            closes_at = st.time_input(
                t("site_rules.closes"), value=shown.closes_at, step=900, key=f"week_closes_{day.weekday}"
            )
        with closed:
            is_closed = st.checkbox(t("site_rules.closed"), value=day.closed, key=f"week_closed_{day.weekday}")
        wanted = WeekdayRule(opens_at=opens_at, closes_at=closes_at, closed=is_closed)
        if (opens_at, closes_at, is_closed) != (shown.opens_at, shown.closes_at, day.closed):
            changed[day.weekday] = wanted
    return changed


with st.form("site_rules_form"):
    wanted: dict[str, object] = {}
    for heading, names in SECTIONS.items():
        st.header(t(heading))
        # Two to a row: three squeezed a number box on the tablet (1024 px with the menu open) to "0." and "-1".
        boxes = [name for name in names if name not in WIDE]
        columns = st.columns(min(len(boxes), 2))
        for index, name in enumerate(boxes):
            with columns[index % len(columns)]:
                wanted[name] = rule_input(name)
        for name in (name for name in names if name in WIDE):
            wanted[name] = rule_input(name)
        if heading == "site_rules.section_pickup":
            st.header(t("site_rules.section_week"))
            st.caption(t("site_rules.week_help"))
            weekdays = weekday_inputs()
            if weekdays:
                wanted["weekday_hours"] = weekdays
        if heading == "site_rules.section_messages":
            st.caption(t("site_rules.language_help"))
        if heading == "site_rules.section_privacy":
            st.caption(t("site_rules.privacy_help"))
    st.header(t("site_rules.section_text"))
    wanted["rules_text"] = st.text_area(
        t("value.rule.rules_text"), value=current["rules_text"], max_chars=MAX_RULES_TEXT, height=200, key="rule_text"
    )
    if st.form_submit_button(t("site_rules.save"), type="primary", width="stretch"):
        save = partial(
            update_site_rules, site_id=user.site_id, changes=wanted, actor_id=user.volunteer_id, now=utc_now()
        )
        run_change(save, done_key="site_rules.saved")

st.header(t("site_rules.section_closed"))
st.caption(t("site_rules.closed_help"))
if closed_days:
    st.text("\n".join(closed_day_lines(closed_days, key="site_rules.closed_day")))
else:
    st.caption(t("site_rules.closed_none"))
with st.form("closed_days_form", clear_on_submit=True):
    first_column, last_column = st.columns(2)
    first = first_column.date_input(t("site_rules.closed_first"), value=today, key="closed_first")
    last = last_column.date_input(t("site_rules.closed_last"), value=None, key="closed_last")
    note = st.text_input(t("site_rules.closed_note"), max_chars=MAX_CLOSED_NOTE, key="closed_note")
    if st.form_submit_button(t("site_rules.closed_add"), type="primary", width="stretch"):
        add = partial(
            add_closed_days,
            site_id=user.site_id,
            first=first,
            last=last,
            note=note,
            actor_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(lambda session: len(add(session)), done_key="site_rules.closed_added", result_as="count")
if closed_days:
    with st.form("closed_days_remove"):
        labels = dict(
            zip(
                [day.day for day in closed_days],
                closed_day_lines(closed_days, key="site_rules.closed_day"),
                strict=True,
            )
        )
        chosen = st.multiselect(
            t("site_rules.closed_choose"),
            list(labels),
            format_func=labels.__getitem__,
            placeholder=t("widget.choose"),
            key="closed_remove_days",
        )
        if st.form_submit_button(t("site_rules.closed_remove"), width="stretch"):
            remove = partial(
                remove_closed_days, site_id=user.site_id, days=chosen, actor_id=user.volunteer_id, now=utc_now()
            )
            run_change(lambda session: len(remove(session)), done_key="site_rules.closed_removed", result_as="count")

st.header(t("site_rules.history"))
with read_scope() as session:
    history = events_frame(session, site_id=user.site_id, action=RULES_CHANGED, limit=HISTORY_ROWS)
show_table(worded_changes(history)[["happened_at", "actor", "before", "after"]])
