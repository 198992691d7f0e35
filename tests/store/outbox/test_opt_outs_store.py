"""Residents who asked for no more SMS: kept as a keyed hash of the number (never the number), recognised however
the number is written, their waiting SMS cancelled, and still known after a portable backup is restored."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from sqlalchemy import Engine, select

import db.core.secrets as secrets
from db.core.backup import make_backup, restore_backup
from db.core.engine import make_engine, unit_of_work
from db.core.errors import InvalidValue
from db.core.migrate import upgrade_to_head
from db.core.models import Event, KeptSecret, Message, SmsOptOut
from db.outbox.messages import queue_message
from db.outbox.opt_outs import is_opted_out, opted_out_among, phone_hash, record_sms_opt_out
from tests.support.store import make_world

PHONE = "13800138000"


def test_an_opt_out_is_a_keyed_hash_known_however_the_number_is_written(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        waiting = queue_message(
            session, site_id=world.site_id, channel="sms", audience="resident", kind="overdue_reminder", values={},
            text="x", due_at=now, idempotency_key="k", now=now, recipient=PHONE,
        )  # fmt: skip
        assert record_sms_opt_out(
            session, site_id=world.site_id, phone="+86 138-0013-8000", volunteer_id=world.volunteer_id, now=now
        )
        assert not record_sms_opt_out(session, site_id=world.site_id, phone=PHONE, volunteer_id=None, now=now)
    with unit_of_work(engine) as session:
        stored = session.scalars(select(SmsOptOut)).all()
        assert is_opted_out(session, phone="0086 13800138000", now=now)
        assert not is_opted_out(session, phone="13900139000", now=now)
        hashed = phone_hash(session, phone=PHONE, now=now)
        assert opted_out_among(session, phone_hashes=[hashed, "0" * 64]) == {hashed}
        message = session.get(Message, waiting)
        event = session.scalars(select(Event).where(Event.action == "sms_opt_out.recorded")).one()
    assert [(row.phone_hash, row.recorded_by) for row in stored] == [(hashed, world.volunteer_id)]
    assert PHONE not in hashed and len(hashed) == 64
    assert message is not None and message.status == "cancelled"
    assert event.after == {"phone": "138****8000"}
    for wrong in ("12345", "021-6234-5678", ""):
        with pytest.raises(InvalidValue), unit_of_work(engine) as session:
            record_sms_opt_out(session, site_id=world.site_id, phone=wrong, volunteer_id=None, now=now)


def test_the_environment_key_overrides_the_stored_one(engine: Engine, now: dt.datetime, monkeypatch):
    with unit_of_work(engine) as session:
        stored = phone_hash(session, phone=PHONE, now=now)
        monkeypatch.setenv("SMS_OPT_OUT_KEY", "kept-by-the-operator")
        assert phone_hash(session, phone=PHONE, now=now) != stored


def test_opt_outs_survive_a_portable_backup_restored_elsewhere(
    tmp_path: pathlib.Path, now: dt.datetime, monkeypatch: pytest.MonkeyPatch
):
    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade_to_head(source)
    world = make_world(source, now=now)
    with unit_of_work(source) as session:
        record_sms_opt_out(session, site_id=world.site_id, phone=PHONE, volunteer_id=None, now=now)
    make_backup(source, path=tmp_path / "backup.zip", kind="portable", now=now)
    source.dispose()
    monkeypatch.setattr(secrets, "_known", {})  # another machine: nothing remembered in this process
    target = make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    restore_backup(target, path=tmp_path / "backup.zip")
    with unit_of_work(target) as session:
        assert is_opted_out(session, phone=PHONE, now=now)
        assert session.scalars(select(KeptSecret.name)).all() == ["opt_out_hash_key"]
    target.dispose()
    assert json.dumps(PHONE) not in (tmp_path / "backup.zip").read_bytes().decode("latin-1")
