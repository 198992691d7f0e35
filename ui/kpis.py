"""The KPI cards (desk and dashboard, refreshed every minute) and the district table of an organizer's sites."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from db.core.clock import local_today, utc_now
from db.reports.figures import (
    DISTRICT_SORTS,
    SiteFigures,
    district_frame,
    district_pickups_by_day_frame,
    list_site_figures,
)
from ui.charts import district_pickups_chart, show_chart
from ui.i18n import t
from ui.signed_in import act_for_site, acting_site_id
from ui.store import cached_read
from ui.switches import organizer_sites
from ui.tables import show_table
from ui.widgets import big_button

KPI_REFRESH = dt.timedelta(seconds=60)
# Days of the district's pickups chart, today included.
DISTRICT_DAYS = 14
# The cards in reading order, two rows: field of SiteFigures → its label.
ORDER_CARDS = {
    "expected": "kpi.expected",
    "received": "kpi.received",
    "on_shelves": "kpi.on_shelves",
    "handed_over": "kpi.handed_over",
    "overdue": "kpi.overdue",
    "problems": "kpi.problems",
}
COLD_CARDS = {
    "cold_in_range": "kpi.cold_in_range",
    "cold_excursion": "kpi.cold_excursion",
    "cold_missing": "kpi.cold_missing",
    "on_duty": "kpi.on_duty",
}


def this_minute() -> dt.datetime:
    """Now, to the minute: the figures' cache key, so a minute's runs share one read."""
    return utc_now().replace(second=0, microsecond=0)


def site_figures(site_ids: list[int], *, day: dt.date | None = None) -> list[SiteFigures]:
    now = this_minute()
    figures: list[SiteFigures] = cached_read(
        list_site_figures, site_ids=tuple(site_ids), day=day or local_today(now), now=now
    )
    return figures


@st.fragment(run_every=KPI_REFRESH)
def kpi_strip(site_id: int) -> None:
    """Today's cards for one site; reruns on its own every minute without rerunning the page around it."""
    figures = site_figures([site_id])
    if not figures:
        return
    site = figures[0]
    # A row that wraps instead of fixed columns: six cards in the tablet's column squeezed every label to "待…".
    for cards in (ORDER_CARDS, COLD_CARDS):
        with st.container(horizontal=True):
            for name, label in cards.items():
                st.metric(t(label), getattr(site, name), border=True)
    st.caption(t("kpi.as_of", time=utc_now()))


def district_view(volunteer_id: int) -> None:
    """Every site the organizer runs in one table with the total; choosing one opens it for every page."""
    sites = organizer_sites(volunteer_id)
    if len(sites) < 2:
        return
    st.header(t("district.title"))
    # Labels fixed now: a format_func calling t() later would not know this session's language.
    labels = {name: t(f"column.{name}") for name in DISTRICT_SORTS}
    sort_by = st.selectbox(t("district.sort_by"), DISTRICT_SORTS, format_func=labels.__getitem__, key="district_sort")
    descending = st.toggle(t("district.descending"), key="district_descending")
    frame = district_frame(site_figures([site.id for site in sites]), sort_by=sort_by, descending=descending)
    frame.loc[frame.index[-1], "name"] = t("district.total")
    frame["overdue_rate"] = frame["overdue_rate"].map(lambda rate: f"{rate:.0%}")
    show_table(frame)
    today = local_today()
    show_chart(
        district_pickups_chart,
        cached_read(
            district_pickups_by_day_frame,
            site_ids=tuple(site.id for site in sites),
            start=today - dt.timedelta(days=DISTRICT_DAYS - 1),
            end=today,
        ),
        title=t("district.pickups_by_day", days=DISTRICT_DAYS),
    )
    by_id = {site.id: site for site in sites}
    chosen = st.selectbox(
        t("district.open_site"),
        list(by_id),
        index=list(by_id).index(acting_site_id()) if acting_site_id() in by_id else 0,
        format_func=lambda site_id: f"{by_id[site_id].name} ({by_id[site_id].code})",
        key="district_site",
    )
    if big_button(t("district.open"), key="district_open", primary=True):
        act_for_site(chosen)
        st.rerun()
