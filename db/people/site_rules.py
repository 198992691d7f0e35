"""Changing the site's rules (《买菜点管理细则》): every number the app enforces, the rules text, the hours of each
weekday and the closed dates, validated here with the same bounds as the schema's checks, each change an event with
what it was before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.clock import local_today
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import ClosedDay, WeekdayHours
from db.people.opening_hours import WEEKDAYS, WeekdayRule, weekday_rules
from db.people.sites import get_site_rules

MAX_RULES_TEXT = 5000
# Whom residents ask about their personal data (a name and a number, shown on their page): one line.
MAX_PRIVACY_CONTACT = 100
RULES_CHANGED = "site.rules_changed"


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float


# The whole numbers and their allowed ranges (as the schema's checks have them; the upper ends a sanity limit).
WHOLE_NUMBERS = {
    "hold_days": Bounds(1, 60),
    "chilled_hold_days": Bounds(1, 60),
    "frozen_hold_days": Bounds(1, 60),
    "readings_per_day": Bounds(1, 24),
    "idle_signout_minutes": Bounds(1, 240),
    "signout_cutoff_hours": Bounds(0, 168),
    "chilled_dwell_hours": Bounds(1, 720),
    "frozen_dwell_hours": Bounds(1, 720),
    "pickups_per_volunteer_hour": Bounds(1, 500),
    # How many days after a bag is closed (handed over, returned) its resident's name, phone and address are kept.
    "personal_data_days": Bounds(1, 365),
}
# Temperatures in °C: a fridge's and a freezer's allowed range.
TEMPERATURES = {
    "chilled_min_c": Bounds(-10, 20),
    "chilled_max_c": Bounds(-10, 20),
    "frozen_min_c": Bounds(-40, 0),
    "frozen_max_c": Bounds(-40, 0),
}
RANGES = (("chilled_min_c", "chilled_max_c"), ("frozen_min_c", "frozen_max_c"))
TIMES = ("opens_at", "closes_at")
# Rules that take one of a few codes: the language the site's messages (the outbox) are written in — the codes of
# ui/i18n.py's LANGUAGES, which the store may not import (tests/static/test_i18n.py keeps the two the same).
CHOICES = {"language": ("zh-CN", "en")}
# Text rules and their longest length: the written rules (lines kept) and the privacy contact (one line).
TEXTS = {"rules_text": MAX_RULES_TEXT, "privacy_contact": MAX_PRIVACY_CONTACT}
RULE_FIELDS = (*WHOLE_NUMBERS, *TEMPERATURES, *TIMES, *CHOICES, *TEXTS)
# The weekdays' own hours: `changes["weekday_hours"]` maps a weekday (0 = Monday) to a WeekdayRule; in the event
# each changed weekday is `weekday_hours_<n>`: its hours "09:00–12:00", "closed", or "usual" (the usual hours).
WEEKDAY_HOURS = "weekday_hours"
CLOSED = "closed"
USUAL = "usual"
# Closed dates: a short note each, and a bound on how many lie ahead (a year's holidays, not every day).
MAX_CLOSED_NOTE = 100
MAX_CLOSED_DAYS_AHEAD = 60
CLOSED_DAYS = "closed_days"


def update_site_rules(
    session: Session, *, site_id: int, changes: dict[str, Any], actor_id: int, now: dt.datetime
) -> list[str]:
    """Apply `changes` (rule name → new value; `weekday_hours` → {weekday: WeekdayRule}) to the site's rules, all
    or none; returns the names that changed (none: nothing is written). One event `site.rules_changed` holds each
    changed rule before and after. A weekday given the usual hours keeps no row of its own."""
    unknown = sorted(set(changes) - {*RULE_FIELDS, WEEKDAY_HOURS})
    if unknown:
        raise InvalidValue("error.rules_unknown", names=", ".join(unknown))
    rules = get_site_rules(session, site_id=site_id)
    values = dict(changes)
    weekdays = _checked_weekdays(values.pop(WEEKDAY_HOURS, {}))
    wanted = {name: getattr(rules, name) for name in RULE_FIELDS} | _checked_values(values)
    _check_together(wanted)
    changed = [name for name in RULE_FIELDS if wanted[name] != getattr(rules, name)]
    before: dict[str, Any] = {name: getattr(rules, name) for name in changed}
    after: dict[str, Any] = {name: wanted[name] for name in changed}
    stored = weekday_rules(session, site_id=site_id)
    usual = WeekdayRule(opens_at=wanted["opens_at"], closes_at=wanted["closes_at"])
    changed_days = []
    for weekday, rule in weekdays.items():
        own = None if rule == usual else rule
        if own != stored.get(weekday):
            changed_days.append((weekday, own))
            before[f"{WEEKDAY_HOURS}_{weekday}"] = _worded_rule(stored.get(weekday))
            after[f"{WEEKDAY_HOURS}_{weekday}"] = _worded_rule(own)
    if changed_days:
        changed.append(WEEKDAY_HOURS)
    if not changed:
        return []
    for name in RULE_FIELDS:
        if name in before:
            setattr(rules, name, wanted[name])
    for weekday, own in changed_days:
        row = session.get(WeekdayHours, (site_id, weekday))
        if own is None:
            session.delete(row)
        elif row is None:
            session.add(
                WeekdayHours(
                    site_id=site_id, weekday=weekday, opens_at=own.opens_at, closes_at=own.closes_at, closed=own.closed
                )
            )
        else:
            row.opens_at, row.closes_at, row.closed = own.opens_at, own.closes_at, own.closed
    session.flush()
    _record(session, site_id=site_id, actor_id=actor_id, now=now, before=before, after=after)
    return changed


def add_closed_days(
    session: Session,
    *,
    site_id: int,
    first: dt.date,
    last: dt.date | None = None,
    note: str = "",
    actor_id: int,
    now: dt.datetime,
) -> list[dt.date]:
    """Close the site from `first` to `last` (one day when `last` is None), each date with `note`; all or none. A
    date already closed takes the new note. Returns the dates that changed; one event with them before and after."""
    last = first if last is None else last
    if not isinstance(first, dt.date) or not isinstance(last, dt.date) or isinstance(first, dt.datetime):
        raise InvalidValue("error.closed_day_date")
    if last < first:
        raise InvalidValue("error.closed_days_order")
    today = local_today(now)
    if first < today:
        raise InvalidValue("error.closed_day_past", day=first)
    note = " ".join(str(note or "").split())
    if len(note) > MAX_CLOSED_NOTE:
        raise InvalidValue("error.closed_day_note_too_long", limit=MAX_CLOSED_NOTE)
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    if len(days) > MAX_CLOSED_DAYS_AHEAD:
        raise InvalidValue("error.closed_days_too_many", limit=MAX_CLOSED_DAYS_AHEAD)
    stored = {
        row.day: row
        for row in session.scalars(
            select(ClosedDay).where(ClosedDay.site_id == site_id, ClosedDay.day >= first, ClosedDay.day <= last)
        )
    }
    ahead = session.scalar(
        select(func.count()).select_from(ClosedDay).where(ClosedDay.site_id == site_id, ClosedDay.day >= today)
    )
    if (ahead or 0) + len(set(days) - set(stored)) > MAX_CLOSED_DAYS_AHEAD:
        raise InvalidValue("error.closed_days_too_many", limit=MAX_CLOSED_DAYS_AHEAD)
    get_site_rules(session, site_id=site_id)  # the site exists
    changed = [day for day in days if day not in stored or stored[day].note != note]
    if not changed:
        return []
    before = [_worded_day(day, stored[day].note) for day in changed if day in stored]
    for day in changed:
        if day in stored:
            stored[day].note = note
        else:
            session.add(ClosedDay(site_id=site_id, day=day, note=note))
    session.flush()
    _record(
        session,
        site_id=site_id,
        actor_id=actor_id,
        now=now,
        before={CLOSED_DAYS: before} if before else None,
        after={CLOSED_DAYS: [_worded_day(day, note) for day in changed]},
    )
    return changed


def remove_closed_days(
    session: Session, *, site_id: int, days: list[dt.date], actor_id: int, now: dt.datetime
) -> list[dt.date]:
    """Open the site again on these closed dates, all or none (a date not closed: NotFound). Returns them."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    rows = list(
        session.scalars(
            select(ClosedDay).where(ClosedDay.site_id == site_id, ClosedDay.day.in_(wanted)).order_by(ClosedDay.day)
        )
    )
    if len(rows) != len(wanted):
        missing = sorted(set(wanted) - {row.day for row in rows})
        raise NotFound("error.closed_day_not_found", day=missing[0])
    before = [_worded_day(row.day, row.note) for row in rows]
    for row in rows:
        session.delete(row)
    session.flush()
    _record(session, site_id=site_id, actor_id=actor_id, now=now, before={CLOSED_DAYS: before}, after=None)
    return wanted


def _record(
    session: Session,
    *,
    site_id: int,
    actor_id: int,
    now: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action=RULES_CHANGED,
        entity="site",
        entity_id=site_id,
        now=now,
        before=before,
        after=after,
    )


def _checked_weekdays(value: Any) -> dict[int, WeekdayRule]:
    if not isinstance(value, dict):
        raise InvalidValue("error.rules_unknown", names=WEEKDAY_HOURS)
    checked = {}
    for weekday, rule in value.items():
        if isinstance(weekday, bool) or weekday not in WEEKDAYS:
            raise InvalidValue("error.weekday_range")
        if not isinstance(rule, WeekdayRule):
            raise InvalidValue("error.rules_weekday_time", weekday=str(weekday))
        if rule.closed:
            checked[weekday] = WeekdayRule(closed=True)
            continue
        if not isinstance(rule.opens_at, dt.time) or not isinstance(rule.closes_at, dt.time):
            raise InvalidValue("error.rules_weekday_time", weekday=str(weekday))
        opens_at = rule.opens_at.replace(second=0, microsecond=0)
        closes_at = rule.closes_at.replace(second=0, microsecond=0)
        if opens_at >= closes_at:
            raise InvalidValue("error.rules_weekday_hours_order", weekday=str(weekday))
        checked[weekday] = WeekdayRule(opens_at=opens_at, closes_at=closes_at)
    return checked


def _worded_rule(rule: WeekdayRule | None) -> str:
    if rule is None:
        return USUAL
    if rule.closed or rule.opens_at is None or rule.closes_at is None:
        return CLOSED
    return f"{rule.opens_at:%H:%M}–{rule.closes_at:%H:%M}"


def _worded_day(day: dt.date, note: str) -> str:
    return f"{day.isoformat()} {note}".strip()


def _checked_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in WHOLE_NUMBERS:
            values[name] = _in_bounds(name, value, WHOLE_NUMBERS[name], whole=True)
        elif name in TEMPERATURES:
            values[name] = _in_bounds(name, value, TEMPERATURES[name], whole=False)
        elif name in TIMES:
            if not isinstance(value, dt.time):
                raise InvalidValue("error.rules_time", rule=name)
            values[name] = value.replace(second=0, microsecond=0)
        elif name in CHOICES:
            if value not in CHOICES[name]:
                raise InvalidValue("error.rules_choice", rule=name)
            values[name] = value
        elif name == "privacy_contact":
            # One line on the residents' page: runs of spaces and line breaks become one space.
            contact = " ".join(str(value or "").split())
            if len(contact) > MAX_PRIVACY_CONTACT:
                raise InvalidValue("error.rules_contact_too_long", limit=MAX_PRIVACY_CONTACT)
            values[name] = contact
        else:
            text = str(value or "").strip()
            if len(text) > MAX_RULES_TEXT:
                raise InvalidValue("error.rules_text_too_long", limit=MAX_RULES_TEXT)
            values[name] = text
    return values


def _in_bounds(name: str, value: Any, bounds: Bounds, *, whole: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and value != int(value)):
        raise InvalidValue("error.rules_not_a_number", rule=name)
    if not bounds.low <= value <= bounds.high:
        low, high = (int(bounds.low), int(bounds.high)) if whole else (bounds.low, bounds.high)
        raise InvalidValue("error.rules_out_of_range", rule=name, low=low, high=high)
    return int(value) if whole else round(float(value), 1)


def _check_together(wanted: dict[str, Any]) -> None:
    for low, high in RANGES:
        if wanted[low] >= wanted[high]:
            raise InvalidValue("error.rules_range_order", rule=low)
    if wanted["opens_at"] >= wanted["closes_at"]:
        raise InvalidValue("error.rules_hours_order")
    for name in ("chilled_hold_days", "frozen_hold_days"):
        # Cold bags may be held fewer days than ambient ones, never more.
        if wanted[name] > wanted["hold_days"]:
            raise InvalidValue("error.rules_class_hold_longer", rule=name)
