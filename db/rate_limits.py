"""Failed-try limits shared by every app process on one database: keyed hashes of who asked and about what.

The `limits` package would count in memory, Redis, Memcached or MongoDB; none of those is shared by our
tablets and replicas, the database is, so the tries live in a table (`lookup_attempts`) and age out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from db.errors import TooManyAttempts
from db.models import LookupAttempt

WINDOW = dt.timedelta(minutes=10)
MAX_FAILURES = 5
# The key only stops the table from listing addresses and codes in clear; a site may set its own.
_DEFAULT_HASH_KEY = b"cloud-basket lookup attempts"


@dataclass(frozen=True)
class LimitKey:
    """One counter: `scope` is "client" (an address) or "code" (a pickup code at a site)."""

    scope: str
    value: str
    site_id: int | None = None

    @property
    def digest(self) -> str:
        secret = os.environ.get("LOOKUP_HASH_KEY", "").encode() or _DEFAULT_HASH_KEY
        message = f"{self.scope}\x1f{self.site_id or ''}\x1f{self.value}".encode()
        return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_not_limited(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> None:
    """Raise TooManyAttempts when any key has MAX_FAILURES failed tries within the last WINDOW.

    Holds each key's lock until the caller's transaction ends, so a check and the failed try it may record
    cannot interleave with another tablet's: SQLite's BEGIN IMMEDIATE does that already, PostgreSQL takes
    an advisory lock per key (in a fixed order, so two lookups never wait on each other in a circle)."""
    if session.get_bind().dialect.name == "postgresql":
        for digest in sorted({key.digest for key in keys}):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:digest, 0))"), {"digest": digest})
    for key in keys:
        rows = session.execute(
            select(func.count(LookupAttempt.id), func.min(LookupAttempt.attempted_at)).where(
                LookupAttempt.scope == key.scope, LookupAttempt.key_hash == key.digest,
                LookupAttempt.attempted_at > now - WINDOW,
            )
        ).one()
        count, oldest = rows
        if count >= MAX_FAILURES:
            # The oldest try in the window ages out first and frees one more.
            raise TooManyAttempts(until=oldest + WINDOW)


def record_failed_try(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> None:
    """Count a failed try against every key, and drop tries that no longer count."""
    session.execute(delete(LookupAttempt).where(LookupAttempt.attempted_at <= now - WINDOW))
    session.add_all(
        LookupAttempt(site_id=key.site_id, scope=key.scope, key_hash=key.digest, attempted_at=now) for key in keys
    )
    session.flush()


def count_stored_tries(session: Session) -> int:
    return session.scalar(select(func.count(LookupAttempt.id))) or 0
