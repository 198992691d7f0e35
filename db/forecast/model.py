"""What a forecast says: the public dataclasses of db.forecast (the dashboard and the reports read these)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Where the pickup-delay distribution and the hour profiles came from.
PROFILE_SITE = "site"  # the site's own history, per weekday
PROFILE_DISTRICT = "district"  # the other sites of the store (the site has too little history)
PROFILE_SITE_ALL_WEEKDAYS = "site_all_weekdays"  # the site's few weeks, all weekdays pooled
PROFILE_DEFAULT = "default"  # no history at all: DEFAULT_DELAY_SHARES and an even spread over the open hours

# Where a day's arrivals came from.
ARRIVALS_MANIFEST = "manifest"
ARRIVALS_HISTORY = "history"


@dataclass(frozen=True)
class HourForecast:
    hour: int  # local hour of opening, e.g. 7 … 20
    arriving: float  # bags of the class checked in during that hour
    collected: float  # bags of the class handed over during that hour
    held: float  # bags of the class in a slot at the end of that hour


@dataclass(frozen=True)
class ClassForecast:
    storage_class: str  # ambient / chilled / frozen
    arriving: float  # bags arriving that day
    collected: float  # bags collected that day
    slots: int  # the class's active slots
    hours: tuple[HourForecast, ...]
    peak_hour: int  # hour with the most held
    peak_held: float
    short_by: int  # slots short at the peak (0 when it fits): ceil(peak_held - slots)


@dataclass(frozen=True)
class DayForecast:
    day: dt.date
    closed: bool  # the site is closed that day (no arrivals or pickups forecast)
    arrivals_from: str  # "manifest" (expected bags imported) | "history" (same weekday's history)
    classes: tuple[ClassForecast, ...]
    collected: float  # all classes
    volunteers_needed: dict[int, int]  # hour → needed (pickups per volunteer-hour rule)
    volunteers_rostered: dict[int, int]  # hour → rostered (signed up / checked in)


@dataclass(frozen=True)
class Forecast:
    site_id: int
    made_at: dt.datetime
    history_days: int  # days of the site's own history used
    profile: str  # "site" | "district" | "site_all_weekdays" | "default"
    days: tuple[DayForecast, ...]  # the next days, tomorrow first


@dataclass(frozen=True)
class Accuracy:
    """One day ahead, over the last weeks (rolling origin): the mean absolute error of bags collected per day, the
    mean of those days, and the better naive baseline's error (same weekday a week before / last four weeks)."""

    days: int
    mae_collected: float
    mean_collected: float
    better_naive_mae: float
