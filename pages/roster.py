"""Roster: coverage of the week, the shifts and who is on them, weekly templates, hours, staffing against demand."""

import datetime as dt
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from db.core.clock import local_moment, local_today, recent_months, to_local, utc_now
from db.core.errors import StoreError
from db.core.models import ROLES
from db.roster.coverage import COVERAGE_STATES, coverage_frame, gaps_frame, staffing_frame
from db.roster.hours import hours_frame
from db.roster.shifts import (
    cancel_shift,
    cancel_sign_up,
    create_shift,
    create_shift_template,
    generate_shifts,
    list_shift_infos,
    list_shift_people,
    list_shift_templates,
    list_volunteers_for_role,
    set_template_active,
    settle_assignments,
    sign_up,
)
from ui.exports import frame_to_csv_bytes, frame_to_xlsx_bytes
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.roster_view import day_label, run_change, shift_label, staffing_label
from ui.session import post_notice
from ui.store import read_scope, session_scope
from ui.widgets import page_header, show_error, show_table

user = require_role(ORGANIZER)
page_header("roster")

CONTACTS_KEY = "roster_cancelled_contacts"
STATE_COLOURS = {"short": "#d62728", "covered": "#2ca02c", "full": "#1f77b4"}
HISTORY_DAYS = 28
# Pixels per grid row: shorter rows make Vega-Lite drop every other row label (周二, 周四 went missing).
ROW_HEIGHT = 30

now = utc_now()
today = local_today(now)
with session_scope() as session:
    settle_assignments(session, site_id=user.site_id, now=now)

chosen_day = st.date_input(t("roster.week_of"), value=today, key="roster_week")
week_start = chosen_day - dt.timedelta(days=chosen_day.weekday())
coverage_tab, shifts_tab, templates_tab, hours_tab, staffing_tab = st.tabs(
    [
        t("roster.tab_coverage"),
        t("roster.tab_shifts"),
        t("roster.tab_templates"),
        t("roster.tab_hours"),
        t("roster.tab_staffing"),
    ]
)

with coverage_tab:
    with read_scope() as session:
        grid = coverage_frame(session, site_id=user.site_id, week_start=week_start)
        gaps = gaps_frame(session, site_id=user.site_id, now=now, days=7)
    st.subheader(t("roster.coverage_title", week=day_label(week_start)))
    if grid.empty:
        st.caption(t("roster.no_shifts_this_week"))
    else:
        shown = grid.assign(
            day_label=grid["day"].map(day_label),
            band_label=grid["band"] + " " + grid["role"].map(lambda role: t(f"value.role.{role}")),
            state=grid["coverage"].map(lambda state: t(f"value.coverage.{state}")),
            people=grid["staffed"].astype(str) + "/" + grid["max_staff"].astype(str),
        )
        days = [day_label(week_start + dt.timedelta(days=offset)) for offset in range(7)]
        base = alt.Chart(shown).encode(
            x=alt.X("day_label:O", title=None, sort=days, scale=alt.Scale(domain=days)),
            y=alt.Y(
                "band_label:O", title=None, sort=sorted(shown["band_label"].unique()), axis=alt.Axis(labelLimit=240)
            ),  # "16:00–18:30 handout" whole, not "16:00–18:30 ha…"
        )
        colour = alt.Scale(
            domain=[t(f"value.coverage.{state}") for state in COVERAGE_STATES],
            range=[STATE_COLOURS[state] for state in COVERAGE_STATES],
        )
        heat = base.mark_rect().encode(
            color=alt.Color("state:N", scale=colour, title=t("roster.coverage_legend")),
            tooltip=[
                alt.Tooltip("day_label:O", title=t("column.day")),
                alt.Tooltip("band_label:O", title=t("column.band")),
                alt.Tooltip("people:N", title=t("column.staffed")),
                alt.Tooltip("min_staff:Q", title=t("column.min_staff")),
            ],
        )
        labels = base.mark_text(color="white", fontWeight="bold").encode(text="people:N")
        st.altair_chart((heat + labels).properties(height=alt.Step(ROW_HEIGHT)), width="stretch")
    st.subheader(t("roster.gaps_title"))
    show_table(gaps, codes={"role": "role"})

with shifts_tab:
    contacts = st.session_state.pop(CONTACTS_KEY, None)
    if contacts is not None:
        st.warning(t("roster.tell_these_people", count=len(contacts)))
        # Organizers see whole phone numbers (DESIGN.md): they have to call these people.
        show_table(pd.DataFrame(contacts, columns=["name", "phone"]))
    week_start_at = local_moment(week_start, dt.time(0, 0))
    with read_scope() as session:
        shifts = list_shift_infos(
            session, site_id=user.site_id, start=week_start_at, end=week_start_at + dt.timedelta(days=7)
        )
    shift = st.selectbox(
        t("roster.choose_shift"),
        shifts,
        index=None,
        placeholder=t("roster.choose_shift_placeholder"),
        format_func=lambda s: (
            f"{shift_label(starts_at=s.starts_at, ends_at=s.ends_at, role=s.role)} · "
            f"{staffing_label(staffed=s.staffed, min_staff=s.min_staff, max_staff=s.max_staff)}"
        ),
        key="roster_shift",
    )
    if shift is not None:
        with read_scope() as session:
            people = list_shift_people(session, shift_id=shift.id)
            candidates = list_volunteers_for_role(session, site_id=user.site_id, role=shift.role)
        show_table(
            pd.DataFrame(
                [
                    {
                        "name": p.name,
                        "phone": p.phone,
                        "status": p.status,
                        "checked_in_at": p.checked_in_at and to_local(p.checked_in_at).replace(tzinfo=None),
                        "checked_out_at": p.checked_out_at and to_local(p.checked_out_at).replace(tzinfo=None),
                        "auto_checked_out": p.auto_checked_out,
                    }
                    for p in people
                ],
                columns=["name", "phone", "status", "checked_in_at", "checked_out_at", "auto_checked_out"],
            ),
            codes={"status": "status"},
        )
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
                run_change(
                    partial(
                        sign_up, shift_id=shift.id, volunteer_id=chosen[0], now=utc_now(), actor_id=user.volunteer_id
                    ),
                    "roster.assigned",
                    name=chosen[1],
                )
        signed_up = [p for p in people if p.status == "signed_up"]
        if signed_up:
            with st.form("roster_remove"):
                leaving = st.selectbox(
                    t("roster.remove_who"), signed_up, format_func=lambda p: p.name, key="roster_remove_who"
                )
                if st.form_submit_button(t("roster.remove"), key="roster_remove_submit"):
                    run_change(
                        partial(
                            cancel_sign_up,
                            assignment_id=leaving.assignment_id,
                            now=utc_now(),
                            actor_id=user.volunteer_id,
                            ignore_cutoff=True,
                        ),
                        "roster.removed",
                        name=leaving.name,
                    )
        with st.form("roster_cancel_shift"):
            sure = st.checkbox(t("roster.cancel_shift_sure"), key="roster_cancel_sure")
            if st.form_submit_button(t("roster.cancel_shift"), key="roster_cancel_submit"):
                if not sure:
                    st.warning(t("roster.tick_to_confirm"))
                else:
                    try:
                        with session_scope() as session:
                            told = cancel_shift(session, shift_id=shift.id, now=utc_now(), actor_id=user.volunteer_id)
                    except StoreError as error:
                        show_error(error)
                    else:
                        st.session_state[CONTACTS_KEY] = [(person.name, person.phone) for person in told]
                        post_notice("roster.shift_cancelled")
                        st.rerun()

    st.subheader(t("roster.one_off_title"))
    with st.form("roster_one_off"):
        day = st.date_input(t("roster.day"), value=today + dt.timedelta(days=1), key="one_off_day")
        starts = st.time_input(t("roster.starts"), value=dt.time(16, 0), key="one_off_starts")
        ends = st.time_input(t("roster.ends"), value=dt.time(18, 30), key="one_off_ends")
        role = st.selectbox(t("column.role"), ROLES, format_func=lambda r: t(f"value.role.{r}"), key="one_off_role")
        low = st.number_input(t("column.min_staff"), min_value=1, max_value=20, value=1, key="one_off_min")
        high = st.number_input(t("column.max_staff"), min_value=1, max_value=20, value=2, key="one_off_max")
        if st.form_submit_button(t("roster.add_one_off"), key="one_off_submit"):
            run_change(
                partial(
                    create_shift,
                    site_id=user.site_id,
                    role=role,
                    starts_at=local_moment(day, starts),
                    ends_at=local_moment(day, ends),
                    min_staff=int(low),
                    max_staff=int(high),
                    now=utc_now(),
                    actor_id=user.volunteer_id,
                ),
                "roster.one_off_added",
            )

with templates_tab:
    with read_scope() as session:
        templates = list_shift_templates(session, site_id=user.site_id)
    show_table(
        pd.DataFrame(
            [
                {
                    "weekday": t(f"value.weekday.{x.weekday}"),
                    "band": f"{x.starts:%H:%M}–{x.ends:%H:%M}",
                    "role": x.role,
                    "min_staff": x.min_staff,
                    "max_staff": x.max_staff,
                    "active": x.active,
                }
                for x in templates
            ],
            columns=["weekday", "band", "role", "min_staff", "max_staff", "active"],
        ),
        codes={"role": "role"},
    )
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
        if st.form_submit_button(t("roster.add_template"), key="template_add_submit"):

            def add_templates(session, days=tuple(weekdays)):  # noqa: ANN001, ANN202 - one transaction for all days
                for weekday in days:
                    create_shift_template(
                        session,
                        site_id=user.site_id,
                        weekday=weekday,
                        starts=starts,
                        ends=ends,
                        role=role,
                        min_staff=int(low),
                        max_staff=int(high),
                        now=utc_now(),
                        actor_id=user.volunteer_id,
                    )

            run_change(add_templates, "roster.templates_added", count=len(weekdays))
    if templates:
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
                run_change(
                    partial(
                        set_template_active,
                        template_id=template.id,
                        active=not template.active,
                        now=utc_now(),
                        actor_id=user.volunteer_id,
                    ),
                    "roster.template_changed",
                )
    st.subheader(t("roster.generate_title"))
    with st.form("generate"):
        first_day = st.date_input(t("roster.first_day"), value=week_start + dt.timedelta(days=7), key="generate_first")
        last_day = st.date_input(t("roster.last_day"), value=week_start + dt.timedelta(days=13), key="generate_last")
        if st.form_submit_button(t("roster.generate"), type="primary", key="generate_submit"):
            try:
                with session_scope() as session:
                    created = generate_shifts(
                        session,
                        site_id=user.site_id,
                        first_day=first_day,
                        last_day=last_day,
                        now=utc_now(),
                        actor_id=user.volunteer_id,
                    )
            except StoreError as error:
                show_error(error)
            else:
                post_notice("roster.generated", count=created)
                st.rerun()

with hours_tab:
    months = recent_months(today=today)
    month = st.selectbox(t("roster.month"), months, format_func=lambda m: f"{m:%Y-%m}", key="hours_month")
    with read_scope() as session:
        hours = hours_frame(session, site_id=user.site_id, month=month)
    show_table(hours)
    if not hours.empty:
        export = hours.rename(columns={column: t(f"column.{column}") for column in hours.columns})
        st.download_button(
            t("roster.download_csv"),
            frame_to_csv_bytes(export),
            file_name=f"hours-{month:%Y-%m}.csv",
            mime="text/csv",
            key="hours_csv",
        )
        st.download_button(
            t("roster.download_xlsx"),
            frame_to_xlsx_bytes(export, sheet_name=f"{month:%Y-%m}"),
            file_name=f"hours-{month:%Y-%m}.xlsx",
            key="hours_xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

with staffing_tab:
    history_last = today - dt.timedelta(days=1)
    history_first = today - dt.timedelta(days=HISTORY_DAYS)
    with read_scope() as session:
        demand = staffing_frame(
            session,
            site_id=user.site_id,
            history_first_day=history_first,
            history_last_day=history_last,
            week_start=week_start,
        )
    st.caption(
        t(
            "roster.staffing_explained",
            first=f"{history_first:%m-%d}",
            last=f"{history_last:%m-%d}",
            week=day_label(week_start),
        )
    )
    if demand.empty:
        st.caption(t("table.empty"))
    else:
        weekday_names = [t(f"value.weekday.{d}") for d in range(7)]
        shown = demand.assign(
            weekday_name=demand["weekday"].map(lambda d: weekday_names[d]),
            band=demand["hour"].map(lambda h: f"{h:02d}:00"),
            people=demand["on_duty"].astype(str) + "/" + demand["suggested"].astype(str),
        )
        base = alt.Chart(shown).encode(
            x=alt.X("band:O", title=t("column.band")),
            y=alt.Y("weekday_name:O", title=None, sort=weekday_names),
        )
        heat = base.mark_rect().encode(
            color=alt.Color("avg_pickups:Q", title=t("column.avg_pickups"), scale=alt.Scale(scheme="oranges")),
            tooltip=[
                alt.Tooltip("avg_pickups:Q", title=t("column.avg_pickups")),
                alt.Tooltip("suggested:Q", title=t("column.suggested")),
                alt.Tooltip("on_duty:Q", title=t("column.on_duty")),
            ],
        )
        labels = base.mark_text(fontWeight="bold").encode(
            text="people:N", color=alt.condition("datum.short", alt.value("#d62728"), alt.value("black"))
        )
        st.altair_chart((heat + labels).properties(height=alt.Step(ROW_HEIGHT)), width="stretch")
        st.caption(t("roster.staffing_cells"))
        st.subheader(t("roster.short_bands"))
        short = shown[shown["short"]]
        show_table(
            pd.DataFrame(
                {
                    "weekday": short["weekday_name"],
                    "band": short["hour"].map(lambda h: f"{h:02d}:00–{h + 1:02d}:00"),
                    "avg_pickups": short["avg_pickups"],
                    "suggested": short["suggested"],
                    "on_duty": short["on_duty"],
                },
                columns=["weekday", "band", "avg_pickups", "suggested", "on_duty"],
            )
        )
