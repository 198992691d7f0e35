"""The app's charts (Altair): reports, the roster's grids, a cold unit's temperatures; titles, labels and
tooltips in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import altair as alt
import pandas as pd
import streamlit as st

from db.cold_chain.excursions import Excursion
from db.core.clock import to_local
from ui.i18n import t

CHART_HEIGHT = 280
ChartT = TypeVar("ChartT", alt.Chart, alt.LayerChart)
# Streamlit draws an Altair chart without Altair's default theme (its own applies); draw_chart hands it specs
# itself, so the same here, once for the process.
alt.theme.enable("none")
# The storage classes' colours in the forecast's outlook: warm for the shelf, cold blues for fridge and freezer.
OUTLOOK_COLOURS = {"ambient": "#c9a66b", "chilled": "#7cc4f4", "frozen": "#1f5fbf"}
STAGES = {
    "expected": "chart.stage.expected",
    "received": "chart.stage.received",
    "shelved": "chart.stage.shelved",
    "picked_up": "chart.stage.picked_up",
}


def show_chart(build: Callable[[pd.DataFrame], alt.Chart | alt.LayerChart], frame: pd.DataFrame, *, title: str) -> None:
    """A chart under its subheading, or a plain "no data yet" when the frame is empty."""
    st.header(title)
    if frame.empty:
        st.info(t("chart.no_data"), icon=":material/bar_chart_off:")
        return
    draw_chart(build(frame))


def draw_chart(chart: alt.TopLevelMixin) -> None:
    """A chart across the page, as `st.altair_chart` draws it but without checking its spec against the Vega-Lite
    schema on every rerun: that check was half of what a chart cost (2–6 ms each, seven on the reports page). The
    page tests check every chart they draw against the schema instead (tests/support/pages.chart_specs)."""
    st.vega_lite_chart(spec=vega_lite_spec(chart), width="stretch")


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec, unchecked, each part's frame under a name in `datasets` (Streamlit sends those to
    the browser as Arrow tables, as it does for `st.altair_chart`). The chart is used up: its frames are taken out
    of it."""
    frames = {}
    for index, part in enumerate([chart, *getattr(chart, "layer", [])]):
        if isinstance(part.data, pd.DataFrame):
            frames[f"table-{index}"] = part.data
            part.data = alt.NamedData(name=f"table-{index}")
    spec = chart.to_dict(validate=False)
    spec["datasets"] = frames
    return spec


def _described(
    chart: ChartT, frame: pd.DataFrame, *, at: str | list[str], value: str, what: str, percent: bool = False
) -> ChartT:
    """The chart with a text summary a screen reader reads (Vega-Lite's description becomes the chart's aria-label,
    issue 22): how many points, the highest and the lowest `value` (summed over the rows of each `at`) and where."""
    totals = frame.groupby(at, sort=False)[value].sum()
    if totals.empty:
        return chart

    def number(amount: float) -> str:
        return f"{amount:.0%}" if percent else f"{round(float(amount), 1):g}"

    def where(key: object) -> str:
        parts = key if isinstance(key, tuple) else (key,)
        shown = [part.strftime("%m-%d %H:%M") if isinstance(part, dt.datetime) else str(part) for part in parts]
        return " ".join(shown)

    summary = t(
        "a11y.chart_summary",
        what=what,
        count=len(totals),
        high=number(totals.max()),
        high_at=where(totals.idxmax()),
        low=number(totals.min()),
        low_at=where(totals.idxmin()),
    ).plain
    return chart.properties(description=summary)


def _days_as_text(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    # Dates go to the browser as text: a Vega date would be drawn in the browser's time zone, not the site's.
    shown = frame.copy()
    shown[column] = shown[column].map(lambda day: day.isoformat())
    return shown


def _day_axis(column: str) -> alt.X:
    return alt.X(f"{column}:O", title=t("chart.axis.day"), axis=alt.Axis(labelAngle=-45, labelOverlap=True))


def pickups_by_day_chart(frame: pd.DataFrame) -> alt.Chart:
    shown = _days_as_text(frame, "day")
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=_day_axis("day"),
            y=alt.Y("sum(pickups):Q", title=t("chart.axis.pickups")),
            color=alt.Color("platform:N", title=t("chart.axis.platform")),
            tooltip=[
                alt.Tooltip("day:O", title=t("chart.axis.day")),
                alt.Tooltip("platform:N", title=t("chart.axis.platform")),
                alt.Tooltip("pickups:Q", title=t("chart.axis.pickups")),
            ],
        )
    )
    return _described(chart, shown, at="day", value="pickups", what=t("chart.axis.pickups"))


def district_pickups_chart(frame: pd.DataFrame) -> alt.Chart:
    """Bags handed over per day, stacked by site (db.reports.figures.district_pickups_by_day_frame)."""
    shown = _days_as_text(frame, "day")
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=_day_axis("day"),
            y=alt.Y("sum(pickups):Q", title=t("chart.axis.pickups")),
            color=alt.Color("code:N", title=t("chart.axis.site")),
            tooltip=[
                alt.Tooltip("day:O", title=t("chart.axis.day")),
                alt.Tooltip("code:N", title=t("chart.axis.site")),
                alt.Tooltip("pickups:Q", title=t("chart.axis.pickups")),
            ],
        )
    )
    return _described(chart, shown, at="day", value="pickups", what=t("chart.axis.pickups"))


def pickups_by_hour_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Bars for the chosen day, a line for the average of the same weekday."""
    chosen, usual = t("chart.series.chosen_day"), t("chart.series.weekday_average")
    long = frame.melt(id_vars="hour", value_vars=["pickups", "average"], var_name="series", value_name="value")
    long["series"] = long["series"].map({"pickups": chosen, "average": usual})
    x = alt.X("hour:O", title=t("chart.axis.hour"))
    y = alt.Y("value:Q", title=t("chart.axis.pickups"))
    color = alt.Color("series:N", title="", scale=alt.Scale(domain=[chosen, usual]))
    tooltip = [
        alt.Tooltip("hour:O", title=t("chart.axis.hour")),
        alt.Tooltip("series:N", title=""),
        alt.Tooltip("value:Q", title=t("chart.axis.pickups")),
    ]
    # The data once, on the layer: given to each part, Altair would compare the parts' data by printing it.
    base = alt.Chart(height=CHART_HEIGHT)
    bars = base.transform_filter(alt.datum.series == chosen).mark_bar().encode(x=x, y=y, color=color, tooltip=tooltip)
    line = (
        base.transform_filter(alt.datum.series == usual)
        .mark_line(point=True)
        .encode(x=x, y=y, color=color, tooltip=tooltip)
    )
    layered = cast(alt.LayerChart, alt.layer(bars, line, data=long))
    return _described(layered, frame, at="hour", value="pickups", what=t("chart.series.chosen_day"))


def weekday_hour_heatmap(frame: pd.DataFrame) -> alt.Chart:
    shown = frame.copy()
    # Monday = 0, as db.core.local_time counts (the roster's weekday names).
    names = [t(f"value.weekday.{number}") for number in range(7)]
    shown["weekday"] = shown["weekday"].map(lambda number: names[int(number)])
    # Every hour from the first to the last on the axis: quiet hours show as gaps, not as 13 h next to 17 h.
    hours = list(range(int(shown["hour"].min()), int(shown["hour"].max()) + 1)) if not shown.empty else []
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=t("chart.axis.hour"), scale=alt.Scale(domain=hours)),
            y=alt.Y("weekday:O", title=t("chart.axis.weekday"), sort=names),
            color=alt.Color("pickups:Q", title=t("chart.axis.pickups"), scale=alt.Scale(scheme="greens")),
            tooltip=[
                alt.Tooltip("weekday:O", title=t("chart.axis.weekday")),
                alt.Tooltip("hour:O", title=t("chart.axis.hour")),
                alt.Tooltip("pickups:Q", title=t("chart.axis.pickups")),
            ],
        )
    )
    return _described(chart, shown, at=["weekday", "hour"], value="pickups", what=t("chart.axis.pickups"))


def delivery_funnel_chart(frame: pd.DataFrame) -> alt.Chart:
    shown = frame.copy()
    shown["stage"] = shown["stage"].map(lambda stage: t(STAGES[stage]))
    order = list(shown["stage"])
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", title=t("chart.axis.stage"), sort=order),
            x=alt.X("orders:Q", title=t("chart.axis.orders")),
            color=alt.Color("stage:N", sort=order, legend=None),
            tooltip=[
                alt.Tooltip("stage:N", title=t("chart.axis.stage")),
                alt.Tooltip("orders:Q", title=t("chart.axis.orders")),
                alt.Tooltip("share:Q", title=t("chart.axis.share"), format=".0%"),
            ],
        )
    )
    return _described(chart, shown, at="stage", value="orders", what=t("chart.axis.orders"))


def handover_speed_chart(frame: pd.DataFrame) -> alt.Chart:
    shown = _days_as_text(frame, "delivery_date")
    labels = {"within_24h": t("chart.series.within_24h"), "within_48h": t("chart.series.within_48h")}
    long = shown.melt(
        id_vars=["delivery_date", "received"], value_vars=list(labels), var_name="window", value_name="share"
    )
    long["window"] = long["window"].map(labels)
    chart: alt.Chart = (
        alt.Chart(long, height=CHART_HEIGHT)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "delivery_date:O", title=t("chart.axis.delivery_date"), axis=alt.Axis(labelAngle=-45, labelOverlap=True)
            ),
            y=alt.Y("share:Q", title=t("chart.axis.share"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("window:N", title="", sort=list(labels.values())),
            tooltip=[
                alt.Tooltip("delivery_date:O", title=t("chart.axis.delivery_date")),
                alt.Tooltip("window:N", title=""),
                alt.Tooltip("share:Q", title=t("chart.axis.share"), format=".0%"),
                alt.Tooltip("received:Q", title=t("chart.axis.received")),
            ],
        )
    )
    share = t("chart.axis.share")
    return _described(chart, long, at=["delivery_date", "window"], value="share", what=share, percent=True)


def dwell_chart(frame: pd.DataFrame) -> alt.Chart:
    shown = frame.copy()
    shown["storage_class"] = shown["storage_class"].map(lambda code: t(f"value.kind.{code}"))
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_bar()
        .encode(
            x=alt.X("storage_class:N", title=t("chart.axis.storage_class")),
            y=alt.Y("average_hours:Q", title=t("chart.axis.average_hours")),
            color=alt.Color("storage_class:N", legend=None),
            tooltip=[
                alt.Tooltip("storage_class:N", title=t("chart.axis.storage_class")),
                alt.Tooltip("average_hours:Q", title=t("chart.axis.average_hours")),
                alt.Tooltip("longest_hours:Q", title=t("chart.axis.longest_hours")),
                alt.Tooltip("pickups:Q", title=t("chart.axis.pickups")),
            ],
        )
    )
    return _described(chart, shown, at="storage_class", value="average_hours", what=t("chart.axis.average_hours"))


def overdue_trend_chart(frame: pd.DataFrame) -> alt.Chart:
    shown = _days_as_text(frame, "day")
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT)
        .mark_area(line=True, point=True, opacity=0.4, color="#c62828")
        .encode(
            x=_day_axis("day"),
            y=alt.Y("overdue:Q", title=t("chart.axis.overdue")),
            tooltip=[
                alt.Tooltip("day:O", title=t("chart.axis.day")),
                alt.Tooltip("overdue:Q", title=t("chart.axis.overdue")),
                alt.Tooltip("held:Q", title=t("chart.axis.held")),
            ],
        )
    )
    return _described(chart, shown, at="day", value="overdue", what=t("chart.axis.overdue"))


# The roster's grids: red short, green covered, blue full.
COVERAGE_COLOURS = {"short": "#d62728", "covered": "#2ca02c", "full": "#1f77b4"}
# Pixels per grid row: shorter rows make Vega-Lite drop every other row label (周二, 周四 went missing).
ROW_HEIGHT = 30


def day_with_weekday(day: dt.date) -> str:
    """12-09 Wed / 12-09 周三: a day of the coming week as the outlook and its summary name it."""
    return f"{day:%m-%d} {t(f'value.weekday.{day.weekday()}').plain}"


def outlook_chart(frame: pd.DataFrame) -> alt.Chart:
    """The forecast's coming days (db.reports.tomorrow.outlook_frame): bags expected to be collected each day, by
    storage class (stacked), each class in its own colour (ambient sand, chilled light blue, frozen deep blue)."""
    classes = {code: t(f"value.kind.{code}").plain for code in OUTLOOK_COLOURS}
    days = {day: day_with_weekday(day) for day in frame["day"].unique()}
    shown = frame.assign(
        day=frame["day"].map(days), storage_class=frame["storage_class"].map(lambda code: classes.get(code, code))
    )
    chart: alt.Chart = (
        alt.Chart(shown, height=CHART_HEIGHT * 3 // 4)
        .mark_bar()
        .encode(
            x=alt.X("day:O", title=t("chart.axis.day"), sort=list(days.values()), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(collected):Q", title=t("tomorrow.axis.collected")),
            color=alt.Color(
                "storage_class:N",
                title=t("column.storage_class"),
                scale=alt.Scale(domain=list(classes.values()), range=list(OUTLOOK_COLOURS.values())),
            ),
            tooltip=[
                alt.Tooltip("day:O", title=t("chart.axis.day")),
                alt.Tooltip("storage_class:N", title=t("column.storage_class")),
                alt.Tooltip("collected:Q", title=t("tomorrow.axis.collected")),
            ],
        )
    )
    return _described(chart, shown, at="day", value="collected", what=t("tomorrow.axis.collected"))


def coverage_heatmap(grid: pd.DataFrame, *, days: list[str], states: tuple[str, ...]) -> alt.LayerChart:
    """The week's shifts as a day × band grid coloured by coverage, each cell saying staffed/max. `grid` is
    db.roster.coverage.coverage_frame with `day_label` added; `days` the week's labels in order."""
    shown = grid.assign(
        band_label=grid["band"] + " " + grid["role"].map(lambda role: t(f"value.role.{role}")),
        state=grid["coverage"].map(lambda state: t(f"value.coverage.{state}")),
        people=grid["staffed"].astype(str) + "/" + grid["max_staff"].astype(str),
    )
    base = alt.Chart(shown).encode(
        x=alt.X("day_label:O", title=None, sort=days, scale=alt.Scale(domain=days)),
        y=alt.Y(
            "band_label:O", title=None, sort=sorted(shown["band_label"].unique()), axis=alt.Axis(labelLimit=240)
        ),  # "16:00–18:30 handout" whole, not "16:00–18:30 ha…"
    )
    colour = alt.Scale(
        domain=[t(f"value.coverage.{state}") for state in states],
        range=[COVERAGE_COLOURS[state] for state in states],
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
    layered = cast(alt.LayerChart, (heat + labels).properties(height=alt.Step(ROW_HEIGHT)))
    staffed = t("column.staffed")
    return _described(layered, shown, at=["day_label", "band_label"], value="staffed", what=staffed)


def staffing_heatmap(shown: pd.DataFrame, *, weekday_names: Sequence[str]) -> alt.LayerChart:
    """Average pickups per weekday and hour, each cell saying on duty/suggested, red where short. `shown` is
    db.roster.coverage.staffing_frame with `weekday_name`, `band` and `people` added."""
    base = alt.Chart(shown).encode(
        x=alt.X("band:O", title=t("column.band")),
        y=alt.Y("weekday_name:O", title=None, sort=list(weekday_names)),
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
    layered = cast(alt.LayerChart, (heat + labels).properties(height=alt.Step(ROW_HEIGHT)))
    pickups = t("column.avg_pickups")
    return _described(layered, shown, at=["weekday_name", "band"], value="avg_pickups", what=pickups)


def _wall_clock(moment: dt.datetime) -> dt.datetime:
    # Shanghai wall-clock time drawn on a UTC scale: the browser's own time zone cannot shift it.
    return to_local(moment).replace(tzinfo=None)


def temperature_chart(
    readings: pd.DataFrame, *, excursions: list[Excursion], low: float, high: float, now: dt.datetime
) -> alt.LayerChart:
    """`readings`: rows of db.cold_chain.temperatures.temperature_log_frame for one unit (taken_at is Shanghai time).

    Long because it is one Altair specification (band, line, points, excursion marks, tooltips) read top to bottom."""
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
    layered = cast(alt.LayerChart, alt.layer(band, excursion_layer, line, dots))
    return _described(layered, points, at="taken_at", value="reading_c", what=t("chart.temperature"))
