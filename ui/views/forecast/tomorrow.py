"""The dashboard's "Tomorrow" section: bags by storage class, each class's fullest hour against its slots, what to do
when a class will be short of slots, volunteers needed against rostered, the forecast's recent error and the week
ahead. The forecast is read once an hour per site (ui.store.hourly_read: a write at the desk does not rebuild it),
its recent error once a day (ui.store.daily_read)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from db.core.clock import local_moment, local_today, utc_now
from db.forecast.backtest import recent_accuracy
from db.forecast.build import forecast_site
from db.forecast.model import (
    ARRIVALS_HISTORY,
    ARRIVALS_MANIFEST,
    PROFILE_DEFAULT,
    PROFILE_DISTRICT,
    PROFILE_SITE_ALL_WEEKDAYS,
    Accuracy,
    ClassForecast,
    DayForecast,
    Forecast,
)
from db.reports.tomorrow import bags, fill_share, hands_bands, hands_gaps, held_bags, outlook_frame, shortfalls
from ui.charts import day_with_weekday, draw_chart, outlook_chart
from ui.i18n import t
from ui.pages_registry import page_spec
from ui.store import daily_read, hourly_read

# Where tomorrow's arrivals came from (DayForecast.arrivals_from) and, when not the site's own weekday history, where
# the pickup times came from (Forecast.profile): the sentence that says so.
ARRIVALS_FROM = {ARRIVALS_MANIFEST: "tomorrow.from_manifest", ARRIVALS_HISTORY: "tomorrow.from_history"}
PROFILE_NOTES = {
    PROFILE_DISTRICT: "tomorrow.profile.district",
    PROFILE_SITE_ALL_WEEKDAYS: "tomorrow.profile.site_all_weekdays",
    PROFILE_DEFAULT: "tomorrow.profile.default",
}


def this_hour() -> dt.datetime:
    """Now, to the hour: the forecast's cache key."""
    return utc_now().replace(minute=0, second=0, microsecond=0)


def this_day() -> dt.datetime:
    """The start of the site's day: the key of the forecast's recent error, worked out once a day."""
    return local_moment(local_today(), dt.time(0, 0))


def tomorrow_section(site_id: int) -> None:
    forecast: Forecast = hourly_read(forecast_site, site_id=site_id, now=this_hour())
    accuracy: Accuracy | None = daily_read(recent_accuracy, site_id=site_id, now=this_day())
    if not forecast.days:
        return
    day = forecast.days[0]
    st.header(t("tomorrow.title", day=day.day, weekday=str(day.day.weekday())))
    if day.closed:
        st.info(t("tomorrow.closed"), icon=":material/event_busy:")
    else:
        _classes(day)
        _hands(day)
    _accuracy(forecast, accuracy)
    _outlook(forecast)


def _classes(day: DayForecast) -> None:
    if day.arrivals_from in ARRIVALS_FROM:
        st.caption(t(ARRIVALS_FROM[day.arrivals_from]))
    # One list, a line per class: the three read together, and a class word starts no English sentence.
    st.markdown("\n".join(_class_line(forecast) for forecast in day.classes))
    for short in shortfalls(day):
        with st.container(border=True, key=f"tomorrow_short_{short.storage_class}"):
            st.warning(
                t("tomorrow.short", kind=short.storage_class, hour=dt.time(short.hour), count=short.short_by),
                icon=":material/warning:",
            )
            st.markdown(t("tomorrow.short_what_to_do", kind=short.storage_class))
            st.page_link(
                page_spec("overdue_calls").path,
                label=t("tomorrow.call_overdue", kind=short.storage_class),
                icon=":material/phone_in_talk:",
                query_params={"class": short.storage_class},
            )


def _class_line(forecast: ClassForecast) -> str:
    share = fill_share(forecast)
    return t(
        "tomorrow.class_line",
        kind=forecast.storage_class,
        arriving=bags(forecast.arriving),
        collected=bags(forecast.collected),
        hour=dt.time(forecast.peak_hour),
        held=held_bags(forecast),
        slots=forecast.slots,
        share=f"{share:.0%}" if share is not None else "–",
    )


def _hands(day: DayForecast) -> None:
    gaps = hands_gaps(day)
    if not day.volunteers_needed:
        return
    if not gaps:
        st.caption(t("tomorrow.hands_enough", most=max(day.volunteers_needed.values())))
        return
    with st.container(border=True, key="tomorrow_hands"):
        bands = hands_bands(day)
        st.warning(
            t(
                "tomorrow.hands_short",
                hours=[_band(band.start, band.end) for band in bands],
                count=max(gap.short_by for gap in gaps),
            ),
            icon=":material/group_add:",
        )
        st.markdown(
            "\n".join(
                t("tomorrow.hands_line", band=_band(band.start, band.end), needed=band.needed, rostered=band.rostered)
                for band in bands
            )
        )
        st.page_link(page_spec("roster").path, label=t("tomorrow.go_roster"), icon=":material/calendar_month:")


def _band(start: int, end: int) -> str:
    return f"{start:02d}:00–{end % 24:02d}:00"


def _accuracy(forecast: Forecast, accuracy: Accuracy | None) -> None:
    if forecast.profile in PROFILE_NOTES:
        st.caption(t(PROFILE_NOTES[forecast.profile]))
    if accuracy is None or accuracy.days == 0:
        weeks = forecast.history_days // 7
        st.caption(t("tomorrow.not_enough_history", count=weeks))
        return
    weeks = max(accuracy.days // 7, 1)
    st.caption(
        t(
            "tomorrow.accuracy",
            count=weeks,
            mae=bags(accuracy.mae_collected),
            mean=bags(accuracy.mean_collected),
        )
    )


def _outlook(forecast: Forecast) -> None:
    frame = outlook_frame(forecast.days)
    st.subheader(t("tomorrow.outlook_title", count=len(forecast.days)))
    if frame.empty or not frame["collected"].any():
        st.caption(t("table.empty"))
        return
    draw_chart(outlook_chart(frame))
    totals = {day.day: sum(bags(item.collected) for item in day.classes) for day in forecast.days if not day.closed}
    high_day, low_day = max(totals, key=totals.__getitem__), min(totals, key=totals.__getitem__)
    short_days = sorted(frame.loc[frame["short_by"] > 0, "day"].unique())
    st.caption(
        t(
            "tomorrow.outlook_summary" if short_days else "tomorrow.outlook_summary_fits",
            high_day=day_with_weekday(high_day),
            high=int(totals[high_day]),
            low_day=day_with_weekday(low_day),
            low=int(totals[low_day]),
            count=len(short_days),
        )
    )
