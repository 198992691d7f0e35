"""The roster screen's tabs for an organizer's week: coverage, the shifts and who is on them, weekly templates, hours,
staffing against demand (pages/roster.py lays them out)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from db.core.clock import local_moment, recent_months
from db.people.login_sessions import SignedIn
from db.roster.coverage import COVERAGE_STATES, coverage_frame, gaps_frame, staffing_frame
from db.roster.hours import hours_frame
from db.roster.shifts import list_shift_infos
from ui.charts import coverage_heatmap, draw_chart, staffing_heatmap
from ui.downloads import frame_buttons
from ui.i18n import t
from ui.store import read_scope
from ui.tables import show_table
from ui.views.roster.shifts import (
    cancelled_contacts,
    day_label,
    generate_form,
    one_off_form,
    shift_editor,
    shift_label,
    staffing_label,
    template_form,
    template_switch,
    templates_table,
)

HISTORY_DAYS = 28


def coverage_tab(user: SignedIn, *, week_start: dt.date, now: dt.datetime) -> None:
    with read_scope() as session:
        grid = coverage_frame(session, site_id=user.site_id, week_start=week_start)
        gaps = gaps_frame(session, site_id=user.site_id, now=now, days=7)
    st.header(t("roster.coverage_title", week=day_label(week_start)))
    if grid.empty:
        st.caption(t("roster.no_shifts_this_week"))
    else:
        days = [day_label(week_start + dt.timedelta(days=offset)) for offset in range(7)]
        chart = coverage_heatmap(grid.assign(day_label=grid["day"].map(day_label)), days=days, states=COVERAGE_STATES)
        draw_chart(chart)
    st.header(t("roster.gaps_title"))
    show_table(gaps, codes={"role": "role"})


def shifts_tab(user: SignedIn, *, week_start: dt.date, today: dt.date) -> None:
    cancelled_contacts()
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
        shift_editor(user, shift)
    one_off_form(user, today=today)


def templates_tab(user: SignedIn, *, week_start: dt.date) -> None:
    templates = templates_table(user)
    template_form(user)
    if templates:
        template_switch(user, templates)
    generate_form(user, week_start=week_start)


def hours_tab(user: SignedIn, *, today: dt.date) -> None:
    months = recent_months(today=today)
    month = st.selectbox(t("roster.month"), months, format_func=lambda m: f"{m:%Y-%m}", key="hours_month")
    with read_scope() as session:
        hours = hours_frame(session, site_id=user.site_id, month=month)
    hours = hours.rename(columns={"name": "person_name"})  # a person's name: 姓名, not a thing's 名称
    show_table(hours)
    if not hours.empty:
        frame_buttons(
            hours.rename(columns={column: t(f"column.{column}") for column in hours.columns}),
            labels=(t("roster.download_csv"), t("roster.download_xlsx")),
            keys=("hours_csv", "hours_xlsx"),
            file_stem=f"hours-{month:%Y-%m}",
            sheet_name=f"{month:%Y-%m}",
        )


def staffing_tab(user: SignedIn, *, week_start: dt.date, today: dt.date) -> None:
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
    first, last = f"{history_first:%m-%d}", f"{history_last:%m-%d}"
    st.caption(t("roster.staffing_explained", first=first, last=last, week=day_label(week_start)))
    if demand.empty:
        st.caption(t("table.empty"))
        return
    weekday_names = [t(f"value.weekday.{d}") for d in range(7)]
    shown = demand.assign(
        weekday_name=demand["weekday"].map(lambda d: weekday_names[d]),
        band=demand["hour"].map(lambda h: f"{h:02d}:00"),
        people=demand["on_duty"].astype(str) + "/" + demand["suggested"].astype(str),
    )
    draw_chart(staffing_heatmap(shown, weekday_names=weekday_names))
    st.caption(t("roster.staffing_cells"))
    st.header(t("roster.short_bands"))
    short = shown[shown["short"]]
    short = short.assign(weekday=short["weekday_name"], band=short["hour"].map(lambda h: f"{h:02d}:00–{h + 1:02d}:00"))
    show_table(pd.DataFrame(short, columns=["weekday", "band", "avg_pickups", "suggested", "on_duty"]))
