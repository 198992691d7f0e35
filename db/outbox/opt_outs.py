"""Residents who asked at the desk for no more SMS: a keyed hash (HMAC-SHA256) of the normalized number, never the
number. The key is the app's own `opt_out_hash_key` (db/core/secrets.py), kept in kept_secrets so that it comes
back with any backup, or SMS_OPT_OUT_KEY from the environment (docs/security.md says which to choose)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.core.engine import rows_changed
from db.core.errors import InvalidValue
from db.core.events import record_event
from db.core.models import Message, SmsOptOut
from db.core.privacy import mask_phone
from db.core.secrets import OPT_OUT_HASH_KEY, app_secret
from db.core.typed import normalize_phone

_OPT_OUTS = cast(Table, SmsOptOut.__table__)
OPT_OUT_ACTION = "sms_opt_out.recorded"


def mobile_number(phone: str) -> str:
    """The 11 digits of a mainland mobile number (what SMS reaches); InvalidValue for anything else."""
    digits = normalize_phone(phone)
    if len(digits) != 11 or not digits.startswith("1"):
        raise InvalidValue(field="phone")
    return digits


def phone_hash(session: Session, *, phone: str, now: dt.datetime) -> str:
    """The keyed hash of a phone number, as sms_opt_outs keeps it (and the overdue reminder's idempotency key)."""
    return phone_hashes(session, phones=[phone], now=now)[phone]


def phone_hashes(session: Session, *, phones: Iterable[str], now: dt.datetime) -> dict[str, str]:
    """`phone_hash` of each number, the key read once."""
    key = app_secret(session, name=OPT_OUT_HASH_KEY, now=now).encode()
    return {phone: hmac.new(key, normalize_phone(phone).encode(), hashlib.sha256).hexdigest() for phone in phones}


def record_sms_opt_out(
    session: Session, *, site_id: int, phone: str, volunteer_id: int | None, now: dt.datetime
) -> bool:
    """Record that the owner of `phone` wants no more SMS (asked at `site_id`'s desk); SMS to it still waiting in the
    outbox are cancelled. False when it was already recorded."""
    number = mobile_number(phone)
    hashed = phone_hash(session, phone=number, now=now)
    insert_into = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = session.execute(
        insert_into(_OPT_OUTS)
        .values(phone_hash=hashed, site_id=site_id, recorded_at=now, recorded_by=volunteer_id)
        .on_conflict_do_nothing(index_elements=["phone_hash"])
        .returning(_OPT_OUTS.c.phone_hash)
    ).scalar_one_or_none()
    rows_changed(
        session,
        update(Message)
        .where(
            Message.recipient == number,
            Message.channel == "sms",
            Message.status.in_(("due", "failed")),
        )
        .values(status="cancelled", provider_answer="opted out")
        .execution_options(synchronize_session=False),
    )
    if added is None:
        return False
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=OPT_OUT_ACTION,
        entity="site",
        entity_id=site_id,
        now=now,
        after={"phone": mask_phone(number)},
    )
    return True


def is_opted_out(session: Session, *, phone: str, now: dt.datetime) -> bool:
    """Whether the owner of `phone` asked for no more SMS (at any site)."""
    hashed = phone_hash(session, phone=phone, now=now)
    return session.scalar(select(SmsOptOut.phone_hash).where(SmsOptOut.phone_hash == hashed)) is not None


def opted_out_among(session: Session, *, phone_hashes: Iterable[str]) -> set[str]:
    """Which of these keyed hashes (phone_hash) asked for no more SMS: one statement on the primary key."""
    wanted = sorted(set(phone_hashes))
    if not wanted:
        return set()
    return set(session.scalars(select(SmsOptOut.phone_hash).where(SmsOptOut.phone_hash.in_(wanted))))
