"""The temperature log of cold units: readings, whether they are in range, corrective actions."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.errors import InvalidValue, NotFound
from db.events import record_event
from db.models import StorageUnit, TemperatureReading

LOWEST_READING_C = -40.0
HIGHEST_READING_C = 40.0
LATE_ENTRY_LIMIT = dt.timedelta(hours=12)
# Entries a few minutes in the past are the normal delay of typing; only later ones need a reason.
LATE_ENTRY_GRACE = dt.timedelta(minutes=15)


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
    """Log one reading. Out of range needs a corrective action; a reading taken well before now needs a reason."""
    unit = session.get(StorageUnit, storage_unit_id)
    if unit is None or unit.kind == "shelf" or unit.min_temp_c is None or unit.max_temp_c is None:
        raise NotFound("error.cold_unit_not_found")
    if not math.isfinite(reading_c) or not LOWEST_READING_C <= reading_c <= HIGHEST_READING_C:
        raise InvalidValue("error.reading_range", low=LOWEST_READING_C, high=HIGHEST_READING_C)
    taken_at = taken_at or now
    if taken_at > now:
        raise InvalidValue("error.reading_in_future")
    if now - taken_at > LATE_ENTRY_LIMIT:
        raise InvalidValue("error.reading_too_old", hours=int(LATE_ENTRY_LIMIT.total_seconds() // 3600))
    late_reason = (late_reason or "").strip() or None
    if now - taken_at > LATE_ENTRY_GRACE and late_reason is None:
        raise InvalidValue("error.late_reason_required")
    in_range = is_in_range(reading_c=reading_c, min_temp_c=unit.min_temp_c, max_temp_c=unit.max_temp_c)
    corrective_action = (corrective_action or "").strip() or None
    if not in_range and corrective_action is None:
        raise InvalidValue("error.corrective_action_required")
    reading = TemperatureReading(
        site_id=unit.site_id, storage_unit_id=unit.id, reading_c=round(reading_c, 1), taken_at=taken_at,
        recorded_at=now, volunteer_id=volunteer_id, in_range=in_range, corrective_action=corrective_action,
        late_reason=late_reason,
    )
    session.add(reading)
    session.flush()
    record_event(
        session, site_id=unit.site_id, actor_id=volunteer_id, action="temperature.recorded",
        entity="temperature_reading", entity_id=reading.id, now=now,
        after={"unit": unit.code, "reading_c": reading.reading_c, "in_range": in_range,
               "corrective_action": corrective_action},
    )
    return reading


def list_readings(
    session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime
) -> list[TemperatureReading]:
    """Readings taken in [start, end), oldest first."""
    query = (
        select(TemperatureReading)
        .where(TemperatureReading.site_id == site_id, TemperatureReading.taken_at >= start,
               TemperatureReading.taken_at < end)
        .order_by(TemperatureReading.taken_at, TemperatureReading.id)
    )
    return list(session.scalars(query))
