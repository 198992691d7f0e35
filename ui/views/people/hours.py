"""Opening hours in words, for residents and organizers: the week grouped into runs of equal hours and the closed
dates with their notes, as plain-text lines (shown with st.text: a note is people's data, never Markdown)."""

from __future__ import annotations

from db.people.opening_hours import ClosedDate, WeekdayOpening, group_week
from ui.i18n import t


def hours_words(opens_at: object, closes_at: object) -> str:
    if opens_at is None or closes_at is None:
        return t("status.hours_closed").plain
    return f"{opens_at:%H:%M}–{closes_at:%H:%M}"


def week_lines(week: list[WeekdayOpening]) -> list[str]:
    """每天 07:30–21:00, or one line per run of weekdays: 周一至周五 07:30–21:00 / 周日 09:00–12:00 / 周一 休息."""
    spans = group_week(week)
    if len(spans) == 1:
        return [t("status.hours_daily", hours=hours_words(spans[0].opens_at, spans[0].closes_at)).plain]
    lines = []
    for span in spans:
        hours = hours_words(span.opens_at, span.closes_at)
        if span.first == span.last:
            lines.append(t("status.hours_day", weekday=str(span.first), hours=hours).plain)
        else:
            first, last = (t(f"value.weekday.{weekday}") for weekday in (span.first, span.last))
            lines.append(t("status.hours_days", first=first, last=last, hours=hours).plain)
    return lines


def closed_day_lines(days: list[ClosedDate], *, key: str = "status.closed_day") -> list[str]:
    """One line per closed date: 2027-02-17 周三 春节."""
    return [t(key, day=day.day, weekday=str(day.day.weekday()), note=day.note).plain.rstrip() for day in days]
