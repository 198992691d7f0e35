"""Forecasts made up for the tests of what shows them (the dashboard, the daily report, the day summary): a stand-in
for db.forecast's builder, so each test says exactly what tomorrow holds."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import streamlit as st

from db.forecast.model import Accuracy, ClassForecast, DayForecast, Forecast, HourForecast

TOMORROW = dt.date(2026, 11, 26)
HOURS = range(8, 20)


def class_forecast(storage_class: str, *, arriving: float, slots: int, peak_held: float, peak_hour: int = 18):
    hours = tuple(
        HourForecast(hour=hour, arriving=0.0, collected=0.0, held=peak_held if hour == peak_hour else 0.0)
        for hour in HOURS
    )
    short_by = max(int(-(-(peak_held - slots) // 1)), 0)
    return ClassForecast(
        storage_class=storage_class,
        arriving=arriving,
        collected=arriving * 0.8,
        slots=slots,
        hours=hours,
        peak_hour=peak_hour,
        peak_held=peak_held,
        short_by=short_by,
    )


def day_forecast(
    *, day: dt.date = TOMORROW, frozen_held: float = 10.0, short_hands: bool = False, closed: bool = False
) -> DayForecast:
    """Tomorrow with 40 ambient, 30 chilled and 12 frozen bags; frozen holds `frozen_held` bags at 18:00 in its 12
    slots; with `short_hands` two volunteers are needed at 18:00 and one is on the roster."""
    classes = (
        ()
        if closed
        else (
            class_forecast("ambient", arriving=40, slots=60, peak_held=45.2, peak_hour=17),
            class_forecast("chilled", arriving=30, slots=40, peak_held=28.0),
            class_forecast("frozen", arriving=12, slots=12, peak_held=frozen_held),
        )
    )
    needed = {} if closed else {hour: 1 for hour in HOURS} | {18: 2}
    rostered = {} if closed else {hour: 1 for hour in HOURS} | ({} if short_hands else {18: 2})
    return DayForecast(
        day=day,
        closed=closed,
        arrivals_from="manifest",
        classes=classes,
        collected=sum(item.collected for item in classes),
        volunteers_needed=needed,
        volunteers_rostered=rostered,
    )


def made_up_forecast(first: DayForecast, *, history_days: int = 56, profile: str = "site") -> Forecast:
    days = (first,) + tuple(day_forecast(day=first.day + dt.timedelta(days=offset)) for offset in range(1, 7))
    return Forecast(
        site_id=1,
        made_at=dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC),
        history_days=history_days,
        profile=profile,
        days=days,
    )


# The modules that import the forecast's builder by name.
READERS = ("ui.views.forecast.tomorrow", "db.reports.figures", "db.outbox.plans")


def use_forecast(monkeypatch: pytest.MonkeyPatch, forecast: Forecast, *, accuracy: Accuracy | None = None) -> None:
    """db.forecast's builder and its recent error answer with these, wherever they were imported."""

    def forecast_site(session, *, site_id: int, now: dt.datetime, days: int = 7) -> Forecast:
        return Forecast(**{**vars(forecast), "site_id": site_id, "days": forecast.days[:days]})

    def recent_accuracy(session, *, site_id: int, now: dt.datetime, weeks: int = 4) -> Accuracy | None:
        return accuracy

    # Named by what they answer: the hour's cache (ui.store.hourly_read) keys on the function's name.
    forecast_site.__qualname__ = f"forecast_site_{id(forecast)}"
    recent_accuracy.__qualname__ = f"recent_accuracy_{id(forecast)}_{id(accuracy)}"
    for module in (importlib.import_module(name) for name in READERS):
        monkeypatch.setattr(module, "forecast_site", forecast_site)
        if hasattr(module, "recent_accuracy"):
            monkeypatch.setattr(module, "recent_accuracy", recent_accuracy)
    # What holds a forecast inside it (the daily report's figures, cached by the report's name and the minute) may
    # have been read by an earlier test on the same database in the same minute: read everything afresh.
    st.cache_data.clear()
