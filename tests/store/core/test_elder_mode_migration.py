"""Migration 0017_elder_mode on a store in use: the tablet's sign-ins keep their tablet, the volunteers and their
shifts stay, and the volume's bounds hold; the downgrade takes the columns back out (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import downgrade_to, upgrade_to_head
from db.core.models import Device, LoginSession
from db.people.devices import enroll_tablet, find_device
from db.people.login_sessions import SignedIn, start_login_session
from tests.support.store import make_world

NEW_COLUMNS = {"devices": {"elder_mode", "voice_on", "voice_volume"}, "volunteers": {"elder_mode"}}


def _columns(engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_the_round_trip_keeps_the_tablets_sign_ins_and_the_volume_bounds(database_url: str, now: dt.datetime) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_to_head(engine)
        world = make_world(engine, now=now)
        with unit_of_work(engine) as session:
            token = enroll_tablet(session, site_id=world.site_id, name="取货台平板 1", actor_id=None, now=now)
            device = find_device(session, token=token)
            assert device is not None
            user = SignedIn(
                volunteer_id=world.volunteer_id, name="王阿姨", site_id=world.site_id, roles=frozenset({"handout"})
            )
            start_login_session(session, user=user, audience="volunteer", device_id=device.id, now=now)

        downgrade_to(engine, revision="0016_kept_secrets")
        for table, columns in NEW_COLUMNS.items():
            assert columns.isdisjoint(_columns(engine, table)), table
        upgrade_to_head(engine)
        for table, columns in NEW_COLUMNS.items():
            assert columns <= _columns(engine, table), table

        with read_only(engine) as session:
            # Copying the devices table would have set every sign-in's device to NULL (ON DELETE SET NULL).
            assert session.scalars(select(LoginSession.device_id)).all() == [device.id]
            assert session.execute(select(Device.elder_mode, Device.voice_on, Device.voice_volume)).one() == (
                False,
                None,
                80,
            )
            assert session.execute(text("SELECT count(*) FROM volunteers WHERE elder_mode")).scalar_one() == 0
        with pytest.raises(IntegrityError), unit_of_work(engine) as session:
            session.execute(update(Device).values(voice_volume=101))
    finally:
        engine.dispose()
