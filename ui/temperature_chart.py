"""The temperature chart of one cold unit: readings over time, the allowed band shaded, excursions marked."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from db.cold_chain.excursions import Excursion
from db.core.clock import to_local
from ui.i18n import t


def _wall_clock(moment: dt.datetime) -> dt.datetime:
    # Shanghai wall-clock time drawn on a UTC scale: the browser's own time zone cannot shift it.
    return to_local(moment).replace(tzinfo=None)


def temperature_chart(
    readings: pd.DataFrame, *, excursions: list[Excursion], low: float, high: float, now: dt.datetime
) -> alt.LayerChart:
    """`readings`: rows of db.cold_chain.temperatures.temperature_log_frame for one unit (taken_at is Shanghai time)."""
    time_axis = alt.X(
        "taken_at:T",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(title=t("chart.time"), format="%m-%d %H:%M", labelAngle=-30),
    )
    band = (
        alt.Chart(pd.DataFrame({"low": [low], "high": [high]}))
        .mark_rect(opacity=0.15, color="#2e7d32")
        .encode(
            y=alt.Y("low:Q", title=t("chart.temperature")),
            y2="high:Q",
        )
    )
    marked = pd.DataFrame(
        [
            {"taken_at": _wall_clock(excursion.started_at), "until": _wall_clock(excursion.ended_at or now)}
            for excursion in excursions
        ],
        columns=["taken_at", "until"],
    )
    excursion_layer = alt.Chart(marked).mark_rect(opacity=0.25, color="#c62828").encode(x=time_axis, x2="until:T")
    points = readings.assign(
        verdict=readings["in_range"].map({True: t("chart.in_range"), False: t("chart.out_of_range")})
    )
    line = (
        alt.Chart(points)
        .mark_line(color="#555555")
        .encode(
            x=time_axis,
            y=alt.Y("reading_c:Q", title=t("chart.temperature")),
        )
    )
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=80)
        .encode(
            x=time_axis,
            y="reading_c:Q",
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(domain=[t("chart.in_range"), t("chart.out_of_range")], range=["#2e7d32", "#c62828"]),
            ),
            tooltip=[
                alt.Tooltip("date:N", title=t("column.date")),
                alt.Tooltip("time:N", title=t("column.time")),
                alt.Tooltip("reading_c:Q", title=t("chart.temperature")),
                alt.Tooltip("volunteer:N", title=t("column.volunteer")),
            ],
        )
    )
    return alt.layer(band, excursion_layer, line, dots)
