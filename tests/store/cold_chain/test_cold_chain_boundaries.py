"""Temperature readings at their boundaries, reading refusals, unit defaults and occupancy."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.cold_chain.temperatures import record_temperature
from db.cold_chain.units import create_storage_unit, list_unit_occupancy
from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import StorageUnit
from tests.support.store import make_world


def _unit_id(engine: Engine, code: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(StorageUnit.id).where(StorageUnit.code == code))


@pytest.mark.parametrize(
    ("unit", "reading", "in_range"),
    [
        ("F1", 0.0, True),
        ("F1", 8.0, True),
        ("F1", 8.1, False),
        ("F1", -0.1, False),
        ("Z1", -18.0, True),
        ("Z1", -17.9, False),
        ("Z1", -30.0, True),
    ],
)
def test_range_boundaries(engine: Engine, now: dt.datetime, unit: str, reading: float, in_range: bool) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        logged = record_temperature(
            session,
            storage_unit_id=_unit_id(engine, unit),
            reading_c=reading,
            volunteer_id=world.volunteer_id,
            now=now,
            corrective_action=None if in_range else "门未关严，已调整",
        )
        assert logged.in_range is in_range


def test_reading_refusals(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    fridge = _unit_id(engine, "F1")
    cases = [
        ({"reading_c": 999.0}, "reading_range"),
        ({"reading_c": float("nan")}, "reading_range"),
        ({"reading_c": 12.0}, "corrective_action_required"),
        ({"reading_c": 4.0, "taken_at": now + dt.timedelta(minutes=5)}, "reading_in_future"),
        ({"reading_c": 4.0, "taken_at": now - dt.timedelta(hours=2)}, "late_reason_required"),
        ({"reading_c": 4.0, "taken_at": now - dt.timedelta(hours=13), "late_reason": "忘记登记"}, "reading_too_old"),
    ]
    for values, key in cases:
        with pytest.raises(InvalidValue, match=key), unit_of_work(engine) as session:
            record_temperature(session, storage_unit_id=fridge, volunteer_id=world.volunteer_id, now=now, **values)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        record_temperature(
            session, storage_unit_id=_unit_id(engine, "S1"), reading_c=20.0, volunteer_id=world.volunteer_id, now=now
        )


def test_unit_defaults_and_occupancy(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        cold = create_storage_unit(
            session, site_id=world.site_id, code="F2", name="FDA", kind="fridge", slot_count=12, max_temp_c=5.0, now=now
        )
        assert (cold.min_temp_c, cold.max_temp_c, cold.slots[0].code, cold.slots[-1].code) == (
            0.0,
            5.0,
            "F2-01",
            "F2-12",
        )
        with pytest.raises(InvalidValue):
            create_storage_unit(
                session, site_id=world.site_id, code="F3", name="x", kind="fridge", slot_count=0, now=now
            )
        occupancy = {unit.code: (unit.slots, unit.used) for unit in list_unit_occupancy(session, site_id=world.site_id)}
    assert occupancy == {"F1": (2, 0), "F2": (12, 0), "S1": (3, 0), "Z1": (1, 0)}
