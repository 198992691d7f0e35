"""Tomorrow's lines from a site's forecast (db/forecast): bags by storage class, the classes short of slots at their
fullest hour, and the hours with fewer volunteers rostered than needed. The dashboard, the daily report and the
evening's day summary all carry these same lines; none of them names a person."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from db.forecast.model import ClassForecast, DayForecast


@dataclass(frozen=True)
class Shortfall:
    """A storage class with fewer slots than bags held at its fullest hour."""

    storage_class: str
    hour: int
    short_by: int


@dataclass(frozen=True)
class HandsGap:
    """An hour of opening with fewer volunteers rostered than the pickups expected need."""

    hour: int
    needed: int
    rostered: int

    @property
    def short_by(self) -> int:
        return self.needed - self.rostered


def bags(value: float) -> int:
    """A forecast count of bags as a whole number (half a bag up)."""
    return math.floor(value + 0.5)


def held_bags(forecast: ClassForecast) -> int:
    """The bags held at the class's fullest hour as a whole number, rounded up as `short_by` is: 17.4 bags in 12
    slots read "18 of 12", 6 short."""
    return math.ceil(forecast.peak_held - 1e-9)


def shortfalls(day: DayForecast) -> list[Shortfall]:
    return [
        Shortfall(storage_class=forecast.storage_class, hour=forecast.peak_hour, short_by=forecast.short_by)
        for forecast in day.classes
        if forecast.short_by > 0
    ]


def hands_gaps(day: DayForecast) -> list[HandsGap]:
    return [
        HandsGap(hour=hour, needed=needed, rostered=day.volunteers_rostered.get(hour, 0))
        for hour, needed in sorted(day.volunteers_needed.items())
        if needed > day.volunteers_rostered.get(hour, 0)
    ]


@dataclass(frozen=True)
class HandsBand:
    """Consecutive hours short of volunteers by the same numbers, as one time band (`end` is the hour it ends)."""

    start: int
    end: int
    needed: int
    rostered: int


def hands_bands(day: DayForecast) -> list[HandsBand]:
    """The hours short of volunteers, each run of consecutive hours with the same needs as one band: nine hours of
    "1 needed, 0 on the roster" read as one line, not nine."""
    bands: list[HandsBand] = []
    for gap in hands_gaps(day):
        last = bands[-1] if bands else None
        if last is not None and last.end == gap.hour and (last.needed, last.rostered) == (gap.needed, gap.rostered):
            bands[-1] = HandsBand(start=last.start, end=gap.hour + 1, needed=gap.needed, rostered=gap.rostered)
        else:
            bands.append(HandsBand(start=gap.hour, end=gap.hour + 1, needed=gap.needed, rostered=gap.rostered))
    return bands


def fill_share(forecast: ClassForecast) -> float | None:
    """How full the class's slots are at its fullest hour (1.0 = every slot), None without slots."""
    return forecast.peak_held / forecast.slots if forecast.slots else None


def classes_frame(day: DayForecast | None) -> pd.DataFrame:
    """One row per storage class: bags arriving and collected, its slots, its fullest hour, the bags held then and the
    slots short (0 when they fit); no rows without a day."""
    return pd.DataFrame(
        [
            {
                "storage_class": forecast.storage_class,
                "arriving": bags(forecast.arriving),
                "collected": bags(forecast.collected),
                "slots": forecast.slots,
                "peak_hour": f"{forecast.peak_hour:02d}:00",
                "peak_held": held_bags(forecast),
                "short_by": forecast.short_by,
            }
            for forecast in (day.classes if day is not None else ())
        ],
        columns=["storage_class", "arriving", "collected", "slots", "peak_hour", "peak_held", "short_by"],
    )


def hands_frame(day: DayForecast | None) -> pd.DataFrame:
    """One row per hour of opening: volunteers needed, rostered, and how many short (0 when enough); no rows without
    a day."""
    return pd.DataFrame(
        [
            {
                "band": f"{hour:02d}:00–{hour + 1:02d}:00",
                "needed": needed,
                "on_duty": _rostered(day, hour),
                "short_by": max(needed - _rostered(day, hour), 0),
            }
            for hour, needed in sorted(day.volunteers_needed.items() if day is not None else ())
        ],
        columns=["band", "needed", "on_duty", "short_by"],
    )


def _rostered(day: DayForecast | None, hour: int) -> int:
    return day.volunteers_rostered.get(hour, 0) if day is not None else 0


def tomorrow_values(day: DayForecast) -> dict[str, Any]:
    """The lines as a message's values (numbers, codes and lists only): the day, whether the site is closed, bags
    arriving per class, each class short of slots and each band of hours short of hands."""
    return {
        "tomorrow": day.day.isoformat(),
        "tomorrow_closed": day.closed,
        "tomorrow_bags": {forecast.storage_class: bags(forecast.arriving) for forecast in day.classes},
        "tomorrow_short": [[item.storage_class, item.hour, item.short_by] for item in shortfalls(day)],
        "tomorrow_hands": [[band.start, band.end, band.needed, band.rostered] for band in hands_bands(day)],
    }


def outlook_frame(days: tuple[DayForecast, ...]) -> pd.DataFrame:
    """The coming days, one row per day and storage class: bags collected and slots short at the class's peak (a
    closed day has no rows)."""
    return pd.DataFrame(
        [
            {
                "day": day.day,
                "storage_class": forecast.storage_class,
                "collected": bags(forecast.collected),
                "short_by": forecast.short_by,
            }
            for day in days
            if not day.closed
            for forecast in day.classes
        ],
        columns=["day", "storage_class", "collected", "short_by"],
    )
