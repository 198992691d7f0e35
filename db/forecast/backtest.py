"""How good the forecast is, measured as the committee would have met it: rolling origin, each evaluated day
forecast from the evening before (and 2 … 7 evenings before), with only what was known then — the rollups of
the days before, the bags in a slot then, the manifests imported by then — against what happened, beside two
naive baselines (the same weekday a week before; the mean of the last four same weekdays)."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.clock import local_moment, to_local
from db.core.models import STORAGE_CLASSES, DayRollup, Order, Site
from db.forecast.build import DAY, Origin, Place, forecast_from, history_start, read_place
from db.forecast.history import HORIZON_DAYS, Rows, read_imported_by, read_rows
from db.forecast.model import Accuracy, Forecast

# The evening forecast: made when the platforms' lists for tomorrow are in (they send them the evening before).
EVENING = dt.time(22, 0)
# Days before an evaluated day that a baseline looks back at: a week, and four weeks.
SAME_WEEKDAYS = 4
# A day is evaluated once the week before it is at least this many days after the site's first delivery (its
# first days carry no bags from before and are not like the rest).
SETTLED_DAYS = 0
# recent_accuracy needs at least this many evaluated days.
MIN_ACCURACY_DAYS = 7


@dataclass(frozen=True)
class _Run:
    """Forecasts of each evaluated day per day-ahead, and the truth."""

    evaluated: list[dt.date]
    forecasts: dict[tuple[int, dt.date], Forecast]  # (day-ahead, day) → the forecast made that many evenings before
    collected: dict[dt.date, float]  # bags handed over per local day (day_rollups)


def backtest(session: Session, *, site_id: int, days: int, now: dt.datetime, at: dt.time = EVENING) -> dict[str, Any]:
    """The backtest of the last `days` days before `now`'s day (see the module's doc): per day-ahead 1…7 the mean
    absolute error of bags collected per day and its mean, both baselines' errors, and per class the error of the
    peak held bags as a share of its slots (with the baselines' for comparison). The truth of the peaks reads the
    orders of the evaluated days (an offline command)."""
    run = _run(session, site_id=site_id, days=days, now=now, horizon=HORIZON_DAYS, exact_manifests=True, at=at)
    code = session.scalar(select(Site.code).where(Site.id == site_id))
    result: dict[str, Any] = {
        "site": code,
        "origin_time": at.strftime("%H:%M"),
        "days": len(run.evaluated),
        "first_day": run.evaluated[0].isoformat() if run.evaluated else None,
        "last_day": run.evaluated[-1].isoformat() if run.evaluated else None,
        "day_ahead": {},
    }
    if not run.evaluated:
        return result
    peaks = _true_peaks(session, site_id=site_id, run=run)
    any_forecast = next(iter(run.forecasts.values()))
    result["profile"] = any_forecast.profile
    for ahead in range(1, HORIZON_DAYS + 1):
        errors, last_week, four_weeks, truths = [], [], [], []
        peak_errors: dict[str, list[float]] = defaultdict(list)
        peak_last_week: dict[str, list[float]] = defaultdict(list)
        peak_four_weeks: dict[str, list[float]] = defaultdict(list)
        peak_true: dict[str, list[float]] = defaultdict(list)
        for day in run.evaluated:
            forecast_day = _day_of(run.forecasts[(ahead, day)], day)
            truth = run.collected.get(day, 0.0)
            truths.append(truth)
            errors.append(abs(forecast_day.collected - truth))
            before = _same_weekdays(day, run=run)
            last_week.append(abs(run.collected.get(before[0], 0.0) - truth))
            four_weeks.append(abs(sum(run.collected.get(d, 0.0) for d in before) / len(before) - truth))
            for forecast_class in forecast_day.classes:
                storage_class, slots = forecast_class.storage_class, max(forecast_class.slots, 1)
                true_peak = peaks[(day, storage_class)]
                peak_true[storage_class].append(true_peak / slots)
                peak_errors[storage_class].append(abs(forecast_class.peak_held - true_peak) / slots)
                peak_last_week[storage_class].append(abs(peaks[(before[0], storage_class)] - true_peak) / slots)
                four = sum(peaks[(d, storage_class)] for d in before) / len(before)
                peak_four_weeks[storage_class].append(abs(four - true_peak) / slots)
        result["day_ahead"][str(ahead)] = {
            "mae": _mean(errors),
            "mean": _mean(truths),
            "naive_last_week_mae": _mean(last_week),
            "naive_four_weeks_mae": _mean(four_weeks),
            "peak_held": {
                storage_class: {
                    "mae_share_of_slots": _mean(peak_errors[storage_class]),
                    "naive_last_week_share_of_slots": _mean(peak_last_week[storage_class]),
                    "naive_four_weeks_share_of_slots": _mean(peak_four_weeks[storage_class]),
                    "mean_peak_share_of_slots": _mean(peak_true[storage_class]),
                }
                for storage_class in STORAGE_CLASSES
                if peak_errors[storage_class]
            },
        }
    return result


def recent_accuracy(session: Session, *, site_id: int, now: dt.datetime, weeks: int = 4) -> Accuracy | None:
    """One day ahead over the last `weeks` weeks (rolling origin, from the rollups alone: the next day's bags are
    taken as its delivery rollup, the list having come the evening before); None with fewer than
    MIN_ACCURACY_DAYS days to judge. Computed per call, for the UI to cache per site and local day: the rollups are
    read once and the 28 forecasts made from them in memory, about 0.3 s of CPU for a site of 400 bags a day
    (measured on a shared machine). Not stored by the runner: the figure changes once a day, a table and its
    migration would add a writer and a figure that goes stale whenever the runner does not run."""
    run = _run(session, site_id=site_id, days=weeks * 7, now=now, horizon=1, exact_manifests=False, at=EVENING)
    if len(run.evaluated) < MIN_ACCURACY_DAYS:
        return None
    errors, truths, last_week, four_weeks = [], [], [], []
    for day in run.evaluated:
        truth = run.collected.get(day, 0.0)
        truths.append(truth)
        errors.append(abs(_day_of(run.forecasts[(1, day)], day).collected - truth))
        before = _same_weekdays(day, run=run)
        last_week.append(abs(run.collected.get(before[0], 0.0) - truth))
        four_weeks.append(abs(sum(run.collected.get(d, 0.0) for d in before) / len(before) - truth))
    return Accuracy(
        days=len(run.evaluated),
        mae_collected=_mean(errors),
        mean_collected=_mean(truths),
        better_naive_mae=min(_mean(last_week), _mean(four_weeks)),
    )


def _run(
    session: Session, *, site_id: int, days: int, now: dt.datetime, horizon: int, exact_manifests: bool, at: dt.time
) -> _Run:
    today = to_local(now).date()
    first_delivery = session.scalar(
        select(func.min(DayRollup.day)).where(DayRollup.site_id == site_id, DayRollup.day < today)
    )
    if first_delivery is None:
        return _Run(evaluated=[], forecasts={}, collected={})
    earliest = first_delivery + (7 + SETTLED_DAYS) * DAY
    evaluated = [today - back * DAY for back in range(days, 0, -1) if today - back * DAY >= earliest]
    if not evaluated:
        return _Run(evaluated=[], forecasts={}, collected={})
    first_origin = evaluated[0] - horizon * DAY
    rows = read_rows(session, site_ids=[site_id], first_day=history_start(first_origin), last_day=evaluated[-1] + DAY)[
        site_id
    ]
    place = read_place(session, site_id=site_id, first=first_origin, last=today + (HORIZON_DAYS + 10) * DAY)
    collected = _collected(session, site_id=site_id, first=evaluated[0] - SAME_WEEKDAYS * 7 * DAY, last=evaluated[-1])
    forecasts: dict[tuple[int, dt.date], Forecast] = {}
    origin_day = first_origin
    while origin_day < evaluated[-1]:
        forecast = _forecast_at(
            session,
            site_id=site_id,
            origin_day=origin_day,
            rows=rows,
            place=place,
            horizon=horizon,
            exact_manifests=exact_manifests,
            at=at,
        )
        for ahead, forecast_day in enumerate(forecast.days, start=1):
            if forecast_day.day in evaluated:
                forecasts[(ahead, forecast_day.day)] = forecast
        origin_day += DAY
    return _Run(evaluated=evaluated, forecasts=forecasts, collected=collected)


def _forecast_at(
    session: Session,
    *,
    site_id: int,
    origin_day: dt.date,
    rows: Rows,
    place: Place,
    horizon: int,
    exact_manifests: bool,
    at: dt.time,
) -> Forecast:
    moment = local_moment(origin_day, at)
    first, last = origin_day + DAY, origin_day + horizon * DAY
    if exact_manifests:
        manifests = read_imported_by(session, site_id=site_id, first=first, last=last, origin=moment)
    else:
        manifests = rows.delivered(first=first, last=first)
    origin = Origin(now=moment, observed_until=origin_day, stock=rows.stock(after=origin_day), manifests=manifests)
    return forecast_from(session, site_id=site_id, origin=origin, rows=rows, place=place, rostered={}, days=horizon)


def _collected(session: Session, *, site_id: int, first: dt.date, last: dt.date) -> dict[dt.date, float]:
    rows = session.execute(
        select(DayRollup.day, func.sum(DayRollup.picked_up))
        .where(DayRollup.site_id == site_id, DayRollup.day >= first, DayRollup.day <= last)
        .group_by(DayRollup.day)
    )
    return {day: float(count) for day, count in rows}


def _same_weekdays(day: dt.date, *, run: _Run) -> list[dt.date]:
    """The same weekday a week before, and up to four weeks back as far as the history holds."""
    first = min(run.collected) if run.collected else day
    before = [day - weeks * 7 * DAY for weeks in range(1, SAME_WEEKDAYS + 1)]
    return [d for d in before if d >= first] or before[:1]


def _day_of(forecast: Forecast, day: dt.date) -> Any:
    return next(d for d in forecast.days if d.day == day)


def _true_peaks(session: Session, *, site_id: int, run: _Run) -> dict[tuple[dt.date, str], float]:
    """The most bags of each class in a slot at the end of any open hour of each evaluated day and of the four
    weeks before (for the baselines), from the orders of those days (offline: the backtest only)."""
    first = run.evaluated[0] - SAME_WEEKDAYS * 7 * DAY
    last = run.evaluated[-1]
    rows = session.execute(
        select(Order.storage_class, Order.received_at, Order.picked_up_at, Order.returned_at).where(
            Order.site_id == site_id,
            Order.delivery_date >= first - 30 * DAY,
            Order.delivery_date <= last,
            Order.received_at.is_not(None),
            Order.status != "problem",
        )
    )
    arrived: dict[str, list[dt.datetime]] = defaultdict(list)
    departed: dict[str, list[dt.datetime]] = defaultdict(list)
    for storage_class, received_at, picked_up_at, returned_at in rows:
        if received_at is None:  # the query asks for checked-in bags only
            continue
        arrived[storage_class].append(received_at)
        left = picked_up_at or returned_at
        if left is not None:
            departed[storage_class].append(left)
    for moments in (*arrived.values(), *departed.values()):
        moments.sort()
    any_forecast = next(iter(run.forecasts.values()))
    peaks: dict[tuple[dt.date, str], float] = defaultdict(float)
    day = first
    while day <= last:
        hours = _open_hours(any_forecast, day)
        for storage_class in STORAGE_CLASSES:
            best = 0
            for hour in hours:
                end = local_moment(day, dt.time(hour)) + dt.timedelta(hours=1)
                held = bisect.bisect_left(arrived[storage_class], end) - bisect.bisect_left(
                    departed[storage_class], end
                )
                best = max(best, held)
            peaks[(day, storage_class)] = float(best)
        day += DAY
    return peaks


def _open_hours(forecast: Forecast, day: dt.date) -> range:
    """The hours the truth is looked at: those of a forecast day of the same weekday, else 7 … 20."""
    for forecast_day in forecast.days:
        if forecast_day.day.weekday() == day.weekday() and forecast_day.classes[0].hours:
            return range(forecast_day.classes[0].hours[0].hour, forecast_day.classes[0].hours[-1].hour + 1)
    return range(7, 21)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0
