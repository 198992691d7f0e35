"""Reports: pickup volumes by day, hour and weekday, one delivery's funnel, handover speed, dwell and overdue bags."""

import datetime as dt

import streamlit as st

from db.core.clock import local_today
from db.reports.figures import (
    delivery_funnel_frame,
    dwell_by_class_frame,
    handover_speed_frame,
    overdue_trend_frame,
    pickups_by_day_frame,
    pickups_by_hour_frame,
    pickups_by_weekday_hour_frame,
)
from ui.charts import (
    delivery_funnel_chart,
    dwell_chart,
    handover_speed_chart,
    overdue_trend_chart,
    pickups_by_day_chart,
    pickups_by_hour_chart,
    show_chart,
    weekday_hour_heatmap,
)
from ui.guard import require_role
from ui.i18n import t
from ui.kpis import this_minute
from ui.pages_registry import ORGANIZER
from ui.signed_in import acting_site_id
from ui.store import cached_read
from ui.widgets import page_header

require_role(ORGANIZER)

DEFAULT_DAYS = 28
LONGEST_RANGE = dt.timedelta(days=365)
page_header("reports")
site_id = acting_site_id()
today = local_today()

picked = st.date_input(
    t("reports.range"), value=(today - dt.timedelta(days=DEFAULT_DAYS - 1), today), max_value=today, key="reports_range"
)
start, end = (picked[0], picked[-1]) if picked else (today, today)
if end - start > LONGEST_RANGE:
    st.warning(t("reports.range_too_long", days=LONGEST_RANGE.days))
    start = end - LONGEST_RANGE

show_chart(
    pickups_by_day_chart,
    cached_read(pickups_by_day_frame, site_id=site_id, start=start, end=end),
    title=t("chart.pickups_by_day"),
)
show_chart(
    weekday_hour_heatmap,
    cached_read(pickups_by_weekday_hour_frame, site_id=site_id, start=start, end=end),
    title=t("chart.weekday_hour"),
)
show_chart(
    handover_speed_chart,
    cached_read(handover_speed_frame, site_id=site_id, start=start, end=end, now=this_minute()),
    title=t("chart.handover_speed"),
)
show_chart(
    dwell_chart, cached_read(dwell_by_class_frame, site_id=site_id, start=start, end=end), title=t("chart.dwell")
)
show_chart(
    overdue_trend_chart,
    cached_read(overdue_trend_frame, site_id=site_id, start=start, end=end, now=this_minute()),
    title=t("chart.overdue_trend"),
)

day = st.date_input(t("reports.day"), value=end, max_value=today, key="reports_day") or end
show_chart(
    pickups_by_hour_chart,
    cached_read(pickups_by_hour_frame, site_id=site_id, day=day),
    title=t("chart.pickups_by_hour"),
)
show_chart(
    delivery_funnel_chart,
    cached_read(delivery_funnel_frame, site_id=site_id, delivery_date=day),
    title=t("chart.funnel"),
)
