"""Time: stored in UTC, shown and reasoned about per day in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Asia/Shanghai")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return to_local(now or utc_now()).date()


def to_local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(SITE_TZ)


def local_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """The UTC moment of a wall-clock time on a day at the site."""
    return dt.datetime.combine(day, time, tzinfo=SITE_TZ).astimezone(dt.UTC)


def recent_months(*, today: dt.date, count: int = 12) -> list[dt.date]:
    """The first day of this month and of the `count - 1` months before it, newest first (for a month picker)."""
    months = []
    for back in range(count):
        # Months counted from year 0: subtracting whole months needs no calendar arithmetic.
        index = today.year * 12 + today.month - 1 - back
        months.append(dt.date(index // 12, index % 12 + 1, 1))
    return months


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day, in UTC."""
    start = local_moment(day, dt.time(0, 0))
    return start, local_moment(day + dt.timedelta(days=1), dt.time(0, 0))
