"""Secrets the app makes for itself on first start and keeps in the database; an environment variable overrides.

Nothing secret ships in the repository: each installation draws its own on first use (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.core.models import AppSecret, KeptSecret

# Hashes the rate-limit keys (client addresses, pickup codes, usernames) in lookup_attempts.
LOOKUP_HASH_KEY = "lookup_hash_key"
# Hashes the phone numbers of residents who asked for no more SMS (sms_opt_outs). Unlike the lookup key it must
# come back with a restore, or the store would forget them: it is kept in kept_secrets, which every backup holds.
OPT_OUT_HASH_KEY = "opt_out_hash_key"
# Secrets kept in kept_secrets rather than the transient app_secrets.
KEPT_SECRETS = frozenset({OPT_OUT_HASH_KEY})
# Which environment variable overrides which stored secret.
ENVIRONMENT_OVERRIDES = {LOOKUP_HASH_KEY: "LOOKUP_HASH_KEY", OPT_OUT_HASH_KEY: "SMS_OPT_OUT_KEY"}

_known: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def app_secret(session: Session, *, name: str, now: dt.datetime) -> str:
    """The secret `name`: from its environment variable when set, else stored, else made now and stored."""
    override = os.environ.get(ENVIRONMENT_OVERRIDES.get(name, ""), "")
    if override:
        return override
    # Per database (tests and a changed DATABASE_URL use several in one process); a secret never changes once made.
    cache_key = (str(session.get_bind().engine.url), name)
    with _lock:
        if cache_key in _known:
            return _known[cache_key]
    model = KeptSecret if name in KEPT_SECRETS else AppSecret
    value = session.scalar(select(model.value).where(model.name == name))
    if value is None:
        value = _make_secret(session, name=name, now=now)
    with _lock:
        _known[cache_key] = value
    return value


def _make_secret(session: Session, *, name: str, now: dt.datetime) -> str:
    made = secrets.token_hex(32)
    model = KeptSecret if name in KEPT_SECRETS else AppSecret
    try:
        # A savepoint: two processes starting at once both try; the loser reads the winner's secret.
        with session.begin_nested():
            session.add(model(name=name, value=made, created_at=now))
    except IntegrityError:
        return session.execute(select(model.value).where(model.name == name)).scalar_one()
    return made
