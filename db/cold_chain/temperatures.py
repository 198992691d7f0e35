"""The temperature log of cold units: readings, whether they are in range, corrective actions."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session, aliased

from db.cold_chain.units import list_cold_units, list_cold_units_of_sites, temperature_range
from db.core.clock import local_day_bounds, local_moment, local_today, to_local
from db.core.errors import DuplicateValue, InvalidValue, NotAllowed, NotFound
from db.core.events import record_event
from db.core.models import SiteRules, StorageUnit, TemperatureReading, TemperatureSignOff, Volunteer
from db.people.opening_hours import DayHours, hours_of_sites_on

LOWEST_READING_C = -40.0
HIGHEST_READING_C = 40.0
LATE_ENTRY_LIMIT = dt.timedelta(hours=12)
# Entries a few minutes in the past are the normal delay of typing; only later ones need a reason.
LATE_ENTRY_GRACE = dt.timedelta(minutes=15)
# After an out-of-range reading, the unit must be read again within this time.
FOLLOW_UP_WITHIN = dt.timedelta(minutes=30)
# The first reading of the day is due this long after opening; the last one by closing time (the day's own hours:
# a weekday's, or none on a closed day).
OPENING_READING_GRACE = dt.timedelta(minutes=30)


def is_in_range(*, reading_c: float, min_temp_c: float, max_temp_c: float) -> bool:
    """Boundaries count as in range: 8.0 °C in a 0–8 °C fridge is fine."""
    return min_temp_c <= reading_c <= max_temp_c


def record_temperature(
    session: Session,
    *,
    storage_unit_id: int,
    reading_c: float,
    volunteer_id: int,
    now: dt.datetime,
    taken_at: dt.datetime | None = None,
    corrective_action: str | None = None,
    late_reason: str | None = None,
) -> TemperatureReading:
    """Log one reading. Out of range needs a corrective action; a reading taken well before now needs a reason;
    a day an organizer signed off takes no new readings (corrections go through `correct_temperature`)."""
    unit = _cold_unit(session, storage_unit_id=storage_unit_id)
    _check_reading_value(reading_c)
    taken_at = taken_at or now
    if taken_at > now:
        raise InvalidValue("error.reading_in_future")
    if now - taken_at > LATE_ENTRY_LIMIT:
        raise InvalidValue("error.reading_too_old", hours=int(LATE_ENTRY_LIMIT.total_seconds() // 3600))
    late_reason = (late_reason or "").strip() or None
    if now - taken_at > LATE_ENTRY_GRACE and late_reason is None:
        raise InvalidValue("error.late_reason_required")
    day = to_local(taken_at).date()
    if is_day_signed_off(session, site_id=unit.site_id, day=day):
        raise NotAllowed("error.day_signed_off", day=day)
    return _add_reading(
        session,
        unit=unit,
        reading_c=reading_c,
        taken_at=taken_at,
        volunteer_id=volunteer_id,
        now=now,
        corrective_action=corrective_action,
        late_reason=late_reason,
        action="temperature.recorded",
    )


def correct_temperature(
    session: Session,
    *,
    reading_id: int,
    reading_c: float,
    volunteer_id: int,
    reason: str,
    now: dt.datetime,
    corrective_action: str | None = None,
) -> TemperatureReading:
    """A new entry that replaces a wrong one (also on a signed-off day); the original stays, pointed at."""
    original = session.get(TemperatureReading, reading_id)
    if original is None:
        raise NotFound("error.reading_not_found")
    if session.scalar(select(TemperatureReading.id).where(TemperatureReading.corrects_id == reading_id)):
        raise NotAllowed("error.reading_already_corrected")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue("error.reason_required")
    unit = _cold_unit(session, storage_unit_id=original.storage_unit_id)
    _check_reading_value(reading_c)
    return _add_reading(
        session,
        unit=unit,
        reading_c=reading_c,
        taken_at=original.taken_at,
        volunteer_id=volunteer_id,
        now=now,
        corrective_action=corrective_action,
        late_reason=reason,
        corrects_id=original.id,
        action="temperature.corrected",
    )


def parse_reading(text: str) -> float:
    """What a volunteer typed, as °C: full-width digits, a decimal comma and a typographic minus are fine."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", ".").replace("−", "-")
    cleaned = cleaned.removesuffix("°C").removesuffix("℃").strip()
    if not cleaned:
        raise InvalidValue("error.reading_required")
    try:
        value = float(cleaned)
    except ValueError:
        raise InvalidValue("error.reading_not_a_number") from None
    _check_reading_value(value)
    return value


def _check_reading_value(reading_c: float) -> None:
    if not math.isfinite(reading_c) or not LOWEST_READING_C <= reading_c <= HIGHEST_READING_C:
        raise InvalidValue("error.reading_range", low=LOWEST_READING_C, high=HIGHEST_READING_C)


def _cold_unit(session: Session, *, storage_unit_id: int) -> StorageUnit:
    unit = session.get(StorageUnit, storage_unit_id)
    if unit is None or unit.kind == "shelf" or unit.min_temp_c is None or unit.max_temp_c is None:
        raise NotFound("error.cold_unit_not_found")
    return unit


def _add_reading(
    session: Session,
    *,
    unit: StorageUnit,
    reading_c: float,
    taken_at: dt.datetime,
    volunteer_id: int,
    now: dt.datetime,
    corrective_action: str | None,
    late_reason: str | None,
    action: str,
    corrects_id: int | None = None,
) -> TemperatureReading:
    reading_c = round(reading_c, 1)
    min_temp_c, max_temp_c = temperature_range(unit)
    in_range = is_in_range(reading_c=reading_c, min_temp_c=min_temp_c, max_temp_c=max_temp_c)
    corrective_action = (corrective_action or "").strip() or None
    if not in_range and corrective_action is None:
        raise InvalidValue("error.corrective_action_required")
    reading = TemperatureReading(
        site_id=unit.site_id,
        storage_unit_id=unit.id,
        reading_c=reading_c,
        taken_at=taken_at,
        recorded_at=now,
        volunteer_id=volunteer_id,
        in_range=in_range,
        corrective_action=corrective_action,
        late_reason=late_reason,
        corrects_id=corrects_id,
    )
    session.add(reading)
    session.flush()
    record_event(
        session,
        site_id=unit.site_id,
        actor_id=volunteer_id,
        action=action,
        entity="temperature_reading",
        entity_id=reading.id,
        now=now,
        after={
            "unit": unit.code,
            "reading_c": reading.reading_c,
            "in_range": in_range,
            "corrective_action": corrective_action,
            "corrects_id": corrects_id,
        },
    )
    return reading


def list_effective_readings_of_sites(
    session: Session, *, site_ids: list[int], start: dt.datetime, end: dt.datetime
) -> list[TemperatureReading]:
    """The sites' readings taken in [start, end) that no correction replaced, oldest first (one statement). A
    correction keeps the time of the entry it replaces, so both fall in the same window."""
    query = (
        select(TemperatureReading)
        .where(
            TemperatureReading.site_id.in_(site_ids),
            TemperatureReading.taken_at >= start,
            TemperatureReading.taken_at < end,
        )
        .order_by(TemperatureReading.taken_at, TemperatureReading.id)
    )
    readings = list(session.scalars(query))
    replaced = {reading.corrects_id for reading in readings if reading.corrects_id is not None}
    return [reading for reading in readings if reading.id not in replaced]


# --- sign-off ---


def is_day_signed_off(session: Session, *, site_id: int, day: dt.date) -> bool:
    query = select(TemperatureSignOff.id).where(TemperatureSignOff.site_id == site_id, TemperatureSignOff.day == day)
    return session.scalar(query) is not None


def sign_off_day(session: Session, *, site_id: int, day: dt.date, volunteer_id: int, now: dt.datetime) -> None:
    """An organizer signs a day's log; from then on the day takes only corrections."""
    if day > local_today(now):
        raise InvalidValue("error.sign_off_future_day")
    if is_day_signed_off(session, site_id=site_id, day=day):
        raise DuplicateValue("error.day_already_signed_off", day=day)
    session.add(TemperatureSignOff(site_id=site_id, day=day, volunteer_id=volunteer_id, signed_at=now))
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action="temperature.day_signed_off",
        entity="temperature_sign_off",
        entity_id=None,
        now=now,
        after={"day": day},
    )


# --- what is due: follow-ups after an excursion, and the day's scheduled readings ---


@dataclass(frozen=True)
class DueReading:
    storage_unit_id: int
    unit_code: str
    unit_name: str
    kind: str  # "follow_up" (after an out-of-range reading) or "scheduled" (the site's readings per day)
    due_at: dt.datetime
    overdue: bool
    missing: int = 1


def reading_schedule(*, day: dt.date, opens_at: dt.time, closes_at: dt.time, per_day: int) -> list[dt.datetime]:
    """When each of the day's readings is due (UTC): shortly after opening, …, by closing time."""
    first = local_moment(day, opens_at) + OPENING_READING_GRACE
    last = local_moment(day, closes_at)
    if per_day == 1 or last <= first:
        return [first] * per_day
    step = (last - first) / (per_day - 1)
    return [first + step * index for index in range(per_day)]


def count_missing_readings(session: Session, *, site_id: int, day: dt.date, now: dt.datetime) -> dict[int, int]:
    """Per active cold unit: readings due on the local `day` by `now` that were not taken (0 when complete)."""
    rules = _rules_of_sites(session, site_ids=[site_id])[site_id]
    hours = hours_of_sites_on(session, site_ids=[site_id], day=day)[site_id]
    units = list_cold_units(session, site_id=site_id)
    start, end = local_day_bounds(day)
    readings = list_effective_readings_of_sites(session, site_ids=[site_id], start=start, end=end)
    return _missing_per_unit(units=units, schedule=_schedule(rules, hours), readings=readings, now=now)


def list_due_readings(session: Session, *, site_id: int, now: dt.datetime) -> list[DueReading]:
    """Follow-up readings still to take after an out-of-range one, and today's scheduled readings not taken."""
    return list_due_readings_of_sites(session, site_ids=[site_id], now=now)[site_id]


def list_due_readings_of_sites(
    session: Session, *, site_ids: list[int], now: dt.datetime
) -> dict[int, list[DueReading]]:
    """`list_due_readings` of every site in `site_ids` at once: five statements whatever the number of sites and
    units (the sites' rules, their cold units, each unit's latest reading, today's hours, today's readings). A day
    the site is closed has no scheduled readings; follow-ups after an out-of-range reading are due all the same."""
    rules = _rules_of_sites(session, site_ids=site_ids)
    units = list_cold_units_of_sites(session, site_ids=site_ids)
    every_unit = [unit for site_units in units.values() for unit in site_units]
    if not every_unit:
        return {site_id: [] for site_id in site_ids}
    out_of_range = _latest_out_of_range(session, unit_ids=[unit.id for unit in every_unit], now=now)
    today = local_today(now)
    hours = hours_of_sites_on(session, site_ids=site_ids, day=today)
    start, end = local_day_bounds(today)
    readings = list_effective_readings_of_sites(session, site_ids=site_ids, start=start, end=end)
    due_by_site: dict[int, list[DueReading]] = {}
    for site_id in site_ids:
        due: list[DueReading] = []
        for unit in units[site_id]:
            if unit.id in out_of_range:
                due_at = out_of_range[unit.id] + FOLLOW_UP_WITHIN
                due.append(
                    DueReading(
                        storage_unit_id=unit.id,
                        unit_code=unit.code,
                        unit_name=unit.name,
                        kind="follow_up",
                        due_at=due_at,
                        overdue=now > due_at,
                    )
                )
        schedule = _schedule(rules[site_id], hours[site_id])
        missing = _missing_per_unit(units=units[site_id], schedule=schedule, readings=readings, now=now)
        for unit in units[site_id]:
            if missing.get(unit.id, 0):
                passed = [moment for moment in schedule if moment <= now]
                due.append(
                    DueReading(
                        storage_unit_id=unit.id,
                        unit_code=unit.code,
                        unit_name=unit.name,
                        kind="scheduled",
                        due_at=passed[-1],
                        overdue=True,
                        missing=missing[unit.id],
                    )
                )
        due_by_site[site_id] = sorted(due, key=lambda item: (item.due_at, item.unit_code))
    return due_by_site


def _rules_of_sites(session: Session, *, site_ids: list[int]) -> dict[int, SiteRules]:
    rules = {row.site_id: row for row in session.scalars(select(SiteRules).where(SiteRules.site_id.in_(site_ids)))}
    if any(site_id not in rules for site_id in site_ids):
        raise NotFound("error.site_not_found")
    return rules


def _schedule(rules: SiteRules, hours: DayHours) -> list[dt.datetime]:
    """The day's readings over the day's hours; none on a closed day."""
    if hours.opens_at is None or hours.closes_at is None:
        return []
    return reading_schedule(
        day=hours.day, opens_at=hours.opens_at, closes_at=hours.closes_at, per_day=rules.readings_per_day
    )


def _missing_per_unit(
    *, units: list[StorageUnit], schedule: list[dt.datetime], readings: list[TemperatureReading], now: dt.datetime
) -> dict[int, int]:
    """Per unit: the readings of the schedule due by `now` less the effective readings taken that day."""
    due = sum(1 for moment in schedule if moment <= now)
    taken: dict[int, int] = {}
    for reading in readings:
        taken[reading.storage_unit_id] = taken.get(reading.storage_unit_id, 0) + 1
    return {unit.id: max(due - taken.get(unit.id, 0), 0) for unit in units}


def latest_reading_id(*, now: dt.datetime) -> ScalarSelect[int]:
    """The id of a storage unit's latest reading taken by `now`, as a subquery correlated to `storage_units` (a seek
    of the (storage_unit_id, taken_at) index per unit): join `TemperatureReading.id == latest_reading_id(now=…)`."""
    earlier = aliased(TemperatureReading)
    return (
        select(earlier.id)
        .where(earlier.storage_unit_id == StorageUnit.id, earlier.taken_at <= now)
        .order_by(earlier.taken_at.desc(), earlier.id.desc())
        .limit(1)
        .correlate(StorageUnit)
        .scalar_subquery()
    )


def _latest_out_of_range(session: Session, *, unit_ids: list[int], now: dt.datetime) -> dict[int, dt.datetime]:
    """The units whose latest reading taken by `now` is out of range, and when it was taken: one statement (a seek
    of the unit's (storage_unit_id, taken_at) index per unit)."""
    rows = session.execute(
        select(TemperatureReading.storage_unit_id, TemperatureReading.taken_at)
        .select_from(StorageUnit)
        .join(TemperatureReading, TemperatureReading.id == latest_reading_id(now=now))
        .where(StorageUnit.id.in_(unit_ids), TemperatureReading.in_range.is_(False))
    )
    return {unit_id: taken_at for unit_id, taken_at in rows}


# --- the log as a table: the page, the chart and the inspector's export ---

LOG_COLUMNS = [
    "reading_no",
    "taken_at",
    "date",
    "time",
    "unit",
    "reading_c",
    "min_temp_c",
    "max_temp_c",
    "in_range",
    "volunteer",
    "initials",
    "corrective_action",
    "late_reason",
    "corrects_id",
    "replaced",
    "sign_off",
]
# The inspector's columns, then what ties a correction to the entry it replaces (both stay in the log).
EXPORT_COLUMNS = [
    "date",
    "time",
    "unit",
    "reading_c",
    "in_range",
    "initials",
    "corrective_action",
    "sign_off",
    "reading_no",
    "corrects_id",
    "late_reason",
]


def initials(name: str) -> str:
    """`Wang Fang` → `WF`; a Chinese name is short enough to stand as it is (王阿姨)."""
    words = name.split()
    if len(words) > 1 and all(word[:1].isascii() for word in words):
        return "".join(word[0].upper() for word in words)
    return name.strip()


def temperature_log_frame(session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Every reading taken in [start, end) with unit, who, sign-off; `replaced` marks entries a correction replaced.
    Times are the site's wall clock (Asia/Shanghai)."""
    rows = session.execute(
        select(TemperatureReading, StorageUnit.code, StorageUnit.min_temp_c, StorageUnit.max_temp_c, Volunteer.name)
        .join(StorageUnit, StorageUnit.id == TemperatureReading.storage_unit_id)
        .join(Volunteer, Volunteer.id == TemperatureReading.volunteer_id)
        .where(
            TemperatureReading.site_id == site_id,
            TemperatureReading.taken_at >= start,
            TemperatureReading.taken_at < end,
        )
        .order_by(TemperatureReading.taken_at, StorageUnit.code, TemperatureReading.id)
    ).all()
    replaced = {reading.corrects_id for reading, *_ in rows if reading.corrects_id is not None}
    sign_offs = {
        day: f"{name} {to_local(signed_at):%Y-%m-%d %H:%M}"
        for day, name, signed_at in session.execute(
            select(TemperatureSignOff.day, Volunteer.name, TemperatureSignOff.signed_at)
            .join(Volunteer, Volunteer.id == TemperatureSignOff.volunteer_id)
            .where(TemperatureSignOff.site_id == site_id)
        )
    }
    records = []
    for reading, code, low, high, name in rows:
        local = to_local(reading.taken_at)
        records.append(
            {
                "reading_no": reading.id,
                "taken_at": local.replace(tzinfo=None),
                "date": local.date().isoformat(),
                "time": local.strftime("%H:%M"),
                "unit": code,
                "reading_c": reading.reading_c,
                "min_temp_c": low,
                "max_temp_c": high,
                "in_range": reading.in_range,
                "volunteer": name,
                "initials": initials(name),
                "corrective_action": reading.corrective_action or "",
                "late_reason": reading.late_reason or "",
                "corrects_id": reading.corrects_id,
                "replaced": reading.id in replaced,
                "sign_off": sign_offs.get(local.date(), ""),
            }
        )
    # Whole numbers with gaps, not floats: "12", not "12.0", in the table and the files.
    return pd.DataFrame(records, columns=LOG_COLUMNS).astype({"corrects_id": "Int64"})


def month_bounds(*, year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00, next month's first day 00:00) at the site, in UTC."""
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return local_day_bounds(first)[0], local_day_bounds(following)[0]


def month_log_frame(session: Session, *, site_id: int, year: int, month: int) -> pd.DataFrame:
    """A month's log in the inspector's columns: date, time, unit, reading, in range, initials, action, sign-off;
    then the entry's number, the number it corrects and the reason for a late entry or correction."""
    start, end = month_bounds(year=year, month=month)
    return temperature_log_frame(session, site_id=site_id, start=start, end=end)[EXPORT_COLUMNS]
