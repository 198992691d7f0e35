"""The roster screens' parts: a shift worded in the reader's language, and the organizer's shift and template
editors (pages/roster.py lays them out)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import local_moment, to_local, utc_now
from db.core.models import ROLES
from db.people.login_sessions import SignedIn
from db.roster.shifts import (
    ShiftInfo,
    TemplateInfo,
    cancel_shift,
    cancel_sign_up,
    count_unsettled_assignments,
    create_shift,
    create_shift_template,
    generate_shifts,
    list_shift_people,
    list_shift_templates,
    list_volunteers_for_role,
    set_template_active,
    settle_assignments,
    sign_up,
)
from ui.actions import keep, run_change
from ui.i18n import t
from ui.store import read_scope, session_scope
from ui.tables import show_table
from ui.views.outbox.messages import sent_about
from ui.widgets import confirmed_button

# The people a cancelled shift had, for the organizer to call (shown once, on the next run).
CONTACTS_KEY = "roster_cancelled_contacts"
PEOPLE_COLUMNS = ["person_name", "phone", "status", "checked_in_at", "checked_out_at", "auto_checked_out"]
TEMPLATE_COLUMNS = ["weekday", "band", "role", "min_staff", "max_staff", "active"]


def settle_roster(*, site_id: int, now: dt.datetime) -> None:
    """Before a roster screen shows anything: forgotten check-outs closed, no-shows marked. A write (and so fresh
    figures for the site) only when there is one to make, not on every view of the page."""
    with read_scope() as session:
        due = count_unsettled_assignments(session, site_id=site_id, now=now)
    if due:
        with session_scope(site_id=site_id) as session:
            settle_assignments(session, site_id=site_id, now=now)


def day_label(day: dt.date) -> str:
    """`11-30 周一` / `11-30 Mon`."""
    return f"{day:%m-%d} {t(f'value.weekday.{day.weekday()}')}"


def shift_label(*, starts_at: dt.datetime, ends_at: dt.datetime, role: str) -> str:
    """`11-30 周一 16:00–18:30 · 发放`: what a volunteer reads on a button."""
    starts, ends = to_local(starts_at), to_local(ends_at)
    return f"{day_label(starts.date())} {starts:%H:%M}–{ends:%H:%M} · {t(f'value.role.{role}')}"


def staffing_label(*, staffed: int, min_staff: int, max_staff: int) -> str:
    return t("roster.staffing", staffed=staffed, min_staff=min_staff, max_staff=max_staff)


def _local_naive(moment: dt.datetime | None) -> dt.datetime | None:
    return moment and to_local(moment).replace(tzinfo=None)


def cancelled_contacts() -> None:
    """After a shift is cancelled: whom to tell. Organizers see whole phone numbers (docs/security.md): they call
    them."""
    contacts = st.session_state.pop(CONTACTS_KEY, None)
    if contacts is not None:
        st.warning(t("roster.tell_these_people", count=len(contacts)))
        show_table(pd.DataFrame(contacts, columns=["name", "phone"]).rename(columns={"name": "person_name"}))


def shift_editor(user: SignedIn, shift: ShiftInfo) -> None:
    """One shift: who is on it and the messages sent about it, assign someone, take someone off, cancel the whole
    shift."""
    with read_scope() as session:
        people = list_shift_people(session, shift_id=shift.id)
        candidates = list_volunteers_for_role(session, site_id=user.site_id, role=shift.role)
    rows = [
        {
            "person_name": p.name,
            "phone": p.phone,
            "status": p.status,
            "checked_in_at": _local_naive(p.checked_in_at),
            "checked_out_at": _local_naive(p.checked_out_at),
            "auto_checked_out": p.auto_checked_out,
        }
        for p in people
    ]
    show_table(pd.DataFrame(rows, columns=PEOPLE_COLUMNS), codes={"status": "status"})
    sent_about(shift_id=shift.id)
    with st.form("roster_assign"):
        chosen = st.selectbox(
            t("roster.assign_who"),
            candidates,
            index=None,
            format_func=lambda c: c[1],
            placeholder=t("roster.assign_placeholder"),
            key="roster_assign_who",
        )
        if st.form_submit_button(t("roster.assign"), key="roster_assign_submit") and chosen is not None:
            assign = partial(
                sign_up, shift_id=shift.id, volunteer_id=chosen[0], now=utc_now(), actor_id=user.volunteer_id
            )
            run_change(assign, done_key="roster.assigned", name=chosen[1])
    signed_up = [p for p in people if p.status == "signed_up"]
    if signed_up:
        with st.form("roster_remove"):
            leaving = st.selectbox(
                t("roster.remove_who"), signed_up, format_func=lambda p: p.name, key="roster_remove_who"
            )
            if st.form_submit_button(t("roster.remove"), key="roster_remove_submit"):
                remove = partial(
                    cancel_sign_up,
                    assignment_id=leaving.assignment_id,
                    now=utc_now(),
                    actor_id=user.volunteer_id,
                    ignore_cutoff=True,
                )
                run_change(remove, done_key="roster.removed", name=leaving.name)
    label = shift_label(starts_at=shift.starts_at, ends_at=shift.ends_at, role=shift.role)
    if confirmed_button(
        t("roster.cancel_shift"), key="roster_cancel_submit", question=t("roster.cancel_shift_question", shift=label)
    ):
        run_change(
            partial(cancel_shift, shift_id=shift.id, now=utc_now(), actor_id=user.volunteer_id),
            then=lambda told: keep(CONTACTS_KEY)([(person.name, person.phone) for person in told]),
            done_key="roster.shift_cancelled",
        )


def one_off_form(user: SignedIn, *, today: dt.date) -> None:
    """A shift outside the weekly templates (a holiday, a big delivery)."""
    st.header(t("roster.one_off_title"))
    with st.form("roster_one_off"):
        day = st.date_input(t("roster.day"), value=today + dt.timedelta(days=1), key="one_off_day")
        starts = st.time_input(t("roster.starts"), value=dt.time(16, 0), key="one_off_starts")
        ends = st.time_input(t("roster.ends"), value=dt.time(18, 30), key="one_off_ends")
        role = st.selectbox(t("column.role"), ROLES, format_func=lambda r: t(f"value.role.{r}"), key="one_off_role")
        low = st.number_input(t("column.min_staff"), min_value=1, max_value=20, value=1, key="one_off_min")
        high = st.number_input(t("column.max_staff"), min_value=1, max_value=20, value=2, key="one_off_max")
        if st.form_submit_button(t("roster.add_one_off"), key="one_off_submit"):
            add = partial(
                create_shift,
                site_id=user.site_id,
                role=role,
                starts_at=local_moment(day, starts),
                ends_at=local_moment(day, ends),
                min_staff=int(low),
                max_staff=int(high),
                now=utc_now(),
                actor_id=user.volunteer_id,
            )
            run_change(add, done_key="roster.one_off_added")


def templates_table(user: SignedIn) -> list[TemplateInfo]:
    """The weekly templates, shown; returned for the pause/resume form."""
    with read_scope() as session:
        templates = list_shift_templates(session, site_id=user.site_id)
    rows = [
        {
            "weekday": t(f"value.weekday.{x.weekday}"),
            "band": f"{x.starts:%H:%M}–{x.ends:%H:%M}",
            "role": x.role,
            "min_staff": x.min_staff,
            "max_staff": x.max_staff,
            "active": x.active,
        }
        for x in templates
    ]
    show_table(pd.DataFrame(rows, columns=TEMPLATE_COLUMNS), codes={"role": "role"})
    return templates


def template_form(user: SignedIn) -> None:
    """A weekly shift on several weekdays at once, in one transaction."""
    with st.form("template_add"):
        weekdays = st.multiselect(
            t("roster.weekdays"),
            list(range(7)),
            default=[0, 1, 2, 3, 4],
            placeholder=t("widget.choose"),
            format_func=lambda d: t(f"value.weekday.{d}"),
            key="template_weekdays",
        )
        starts = st.time_input(t("roster.starts"), value=dt.time(7, 30), key="template_starts")
        ends = st.time_input(t("roster.ends"), value=dt.time(9, 30), key="template_ends")
        role = st.selectbox(t("column.role"), ROLES, format_func=lambda r: t(f"value.role.{r}"), key="template_role")
        low = st.number_input(t("column.min_staff"), min_value=1, max_value=20, value=2, key="template_min")
        high = st.number_input(t("column.max_staff"), min_value=1, max_value=20, value=2, key="template_max")
        submitted = st.form_submit_button(t("roster.add_template"), key="template_add_submit")
    if submitted:
        add = partial(
            _add_templates,
            weekdays=tuple(weekdays),
            site_id=user.site_id,
            starts=starts,
            ends=ends,
            role=role,
            min_staff=int(low),
            max_staff=int(high),
            actor_id=user.volunteer_id,
        )
        run_change(add, done_key="roster.templates_added", count=len(weekdays))


def _add_templates(session: Session, *, weekdays: tuple[int, ...], **template: Any) -> None:
    for weekday in weekdays:
        create_shift_template(session, weekday=weekday, now=utc_now(), **template)


def template_switch(user: SignedIn, templates: list[TemplateInfo]) -> None:
    """Pause a weekly template (the summer break) or take it up again."""
    with st.form("template_toggle"):
        template = st.selectbox(
            t("roster.template"),
            templates,
            key="template_toggle_which",
            format_func=lambda x: (
                f"{t(f'value.weekday.{x.weekday}')} {x.starts:%H:%M}–{x.ends:%H:%M} "
                f"{t(f'value.role.{x.role}')} · "
                f"{t('roster.active') if x.active else t('roster.paused')}"
            ),
        )
        if st.form_submit_button(t("roster.pause_or_resume"), key="template_toggle_submit"):
            switch = partial(
                set_template_active,
                template_id=template.id,
                active=not template.active,
                now=utc_now(),
                actor_id=user.volunteer_id,
            )
            run_change(switch, done_key="roster.template_changed")


def generate_form(user: SignedIn, *, week_start: dt.date) -> None:
    """The weekly templates made into shifts for a range of days (the next week by default)."""
    st.header(t("roster.generate_title"))
    with st.form("generate"):
        first_day = st.date_input(t("roster.first_day"), value=week_start + dt.timedelta(days=7), key="generate_first")
        last_day = st.date_input(t("roster.last_day"), value=week_start + dt.timedelta(days=13), key="generate_last")
        generate = st.form_submit_button(t("roster.generate"), type="primary", key="generate_submit")
    if generate:
        make = partial(
            generate_shifts,
            site_id=user.site_id,
            first_day=first_day,
            last_day=last_day,
            now=utc_now(),
            actor_id=user.volunteer_id,
        )
        run_change(make, done_key="roster.generated", result_as="count")
