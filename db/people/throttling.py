"""Throttling failed tries, for sign-in and the residents' lookup: the guesser waits longer and longer.

Failed tries are counted against keyed hashes (never clear text) in `lookup_attempts`, shared by every app process
on one database. A key is a secret being guessed *from one client* (an account or a pickup code, with the client
address or the known device), a client overall, or an account from everywhere. Past a few free tries, each further
failure doubles the wait before that key may try again, so a person who mistypes is never slowed down by anyone
else. One key is a cap, not a wait: an account's secret takes at most `PER_ACCOUNT_DAY` wrong tries a day from
everywhere but the person's own browser (a 4-digit PIN must survive many addresses and a copied tablet cookie);
past it the name is refused there until the next day or an organizer lifts it. The numbers are the constants
below; README.md ("Throttling") lists them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from db.core.clock import local_day_bounds, local_today
from db.core.errors import PausedForToday, TooManyAttempts
from db.core.models import LookupAttempt
from db.core.secrets import LOOKUP_HASH_KEY, app_secret


@dataclass(frozen=True)
class Throttle:
    """`free_tries` failures within `window` cost nothing; each one after that doubles the wait."""

    free_tries: int
    window: dt.timedelta


# One secret (an account's password or PIN, a pickup code's phone) from one client: a person who mistypes a few
# times is never slowed down.
PER_SECRET_AND_CLIENT = Throttle(free_tries=5, window=dt.timedelta(hours=1))
# One client across every account and code: one address (or device) trying many.
PER_CLIENT = Throttle(free_tries=20, window=dt.timedelta(hours=1))


@dataclass(frozen=True)
class DailyCap:
    """At most `tries` failures per local day (Asia/Shanghai); past that the key is refused until the next day."""

    tries: int


# One volunteer's PIN, counting only tries from clients it does not know: many addresses guessing one PIN. The
# person's own devices (an enrolled tablet of their site, a browser they signed in on) skip this key.
PER_ACCOUNT_ELSEWHERE = Throttle(free_tries=10, window=dt.timedelta(hours=1))
# A pickup code that drew this many wrong phone tails in a day, from anywhere, must be asked with the whole phone
# number: its owner still gets in, guessing 4 digits stops paying.
FULL_PHONE_AFTER = 5
# One account's PIN, and separately its password, from everywhere (the counter tablet included): past this many
# wrong tries in a day the name is refused until the next day or until an organizer lifts it. Only the person's own
# remembered browser is never refused (its tries are counted, not checked).
PER_ACCOUNT_DAY = DailyCap(tries=50)
FULL_PHONE_WINDOW = dt.timedelta(hours=24)
FIRST_DELAY = dt.timedelta(seconds=5)
LONGEST_DELAY = dt.timedelta(minutes=15)
# Tries older than this count for nothing and are dropped.
KEEP_TRIES = max(FULL_PHONE_WINDOW, PER_SECRET_AND_CLIENT.window, PER_CLIENT.window, PER_ACCOUNT_ELSEWHERE.window)


@dataclass(frozen=True)
class LimitKey:
    """One counter: `scope` says what is counted (a LOOKUP_SCOPES word), `value` of whom."""

    scope: str
    value: str
    site_id: int | None = None
    throttle: Throttle | DailyCap | None = None

    def digest(self, secret: str) -> str:
        message = f"{self.scope}\x1f{self.site_id or ''}\x1f{self.value}".encode()
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def delay_after(failures: int, throttle: Throttle) -> dt.timedelta:
    """How long a key with `failures` recent failures waits after its last one."""
    if failures < throttle.free_tries:
        return dt.timedelta(0)
    doublings = min(failures - throttle.free_tries, 20)
    factor: int = 2**doublings
    return min(FIRST_DELAY * factor, LONGEST_DELAY)


def check_not_limited(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> None:
    """Raise TooManyAttempts when any key must still wait after its last failure.

    Holds each key's lock until the caller's transaction ends, so a check and the failed try it may record
    cannot interleave with another process's: SQLite's BEGIN IMMEDIATE does that already, PostgreSQL takes
    an advisory lock per key (in a fixed order, so two checks never wait on each other in a circle)."""
    secret = app_secret(session, name=LOOKUP_HASH_KEY, now=now)
    digests = {key: key.digest(secret) for key in keys}
    if session.get_bind().dialect.name == "postgresql":
        for digest in sorted(set(digests.values())):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:digest, 0))"), {"digest": digest})
    # A paused name says so first: waiting out a delay would not help it.
    for key in sorted(keys, key=lambda key: not isinstance(key.throttle, DailyCap)):
        if key.throttle is None:
            continue
        if isinstance(key.throttle, DailyCap):
            if count_today(session, key=key, digest=digests[key], now=now) >= key.throttle.tries:
                _, end = local_day_bounds(local_today(now))
                raise PausedForToday(until=end)
            continue
        failures, last = _failures_since(session, key=key, digest=digests[key], since=now - key.throttle.window)
        if last is not None and now < last + delay_after(failures, key.throttle):
            raise TooManyAttempts(until=last + delay_after(failures, key.throttle))


def count_today(session: Session, *, key: LimitKey, digest: str, now: dt.datetime) -> int:
    """Failures under one key since the start of the local day."""
    start, _ = local_day_bounds(local_today(now))
    return _failures_since(session, key=key, digest=digest, since=start - dt.timedelta(microseconds=1))[0]


def failures_today(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> dict[LimitKey, int]:
    """Each key's failures since the start of the local day (0 for a key with none), in one query."""
    secret = app_secret(session, name=LOOKUP_HASH_KEY, now=now)
    digests = {key.digest(secret): key for key in keys}
    start, _ = local_day_bounds(local_today(now))
    rows = session.execute(
        select(LookupAttempt.key_hash, func.count(LookupAttempt.id).label("failures"))
        .where(
            LookupAttempt.scope.in_({key.scope for key in keys}),
            LookupAttempt.key_hash.in_(digests),
            LookupAttempt.attempted_at >= start,
        )
        .group_by(LookupAttempt.key_hash)
    )
    counted = {row.key_hash: row.failures for row in rows}
    return {key: counted.get(digest, 0) for digest, key in digests.items()}


def count_failures(session: Session, *, key: LimitKey, since: dt.datetime, now: dt.datetime) -> int:
    digest = key.digest(app_secret(session, name=LOOKUP_HASH_KEY, now=now))
    return _failures_since(session, key=key, digest=digest, since=since)[0]


def _failures_since(
    session: Session, *, key: LimitKey, digest: str, since: dt.datetime
) -> tuple[int, dt.datetime | None]:
    count, last = session.execute(
        select(func.count(LookupAttempt.id), func.max(LookupAttempt.attempted_at)).where(
            LookupAttempt.scope == key.scope,
            LookupAttempt.key_hash == digest,
            LookupAttempt.attempted_at > since,
        )
    ).one()
    return count, last


def record_failed_try(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> None:
    """Count a failed try against every key, and drop tries that no longer count."""
    secret = app_secret(session, name=LOOKUP_HASH_KEY, now=now)
    session.execute(delete(LookupAttempt).where(LookupAttempt.attempted_at <= now - KEEP_TRIES))
    session.add_all(
        LookupAttempt(site_id=key.site_id, scope=key.scope, key_hash=key.digest(secret), attempted_at=now)
        for key in keys
    )
    session.flush()


def forget_failed_tries(session: Session, *, keys: list[LimitKey], now: dt.datetime) -> None:
    """After a success: the person who got it right starts afresh under these keys."""
    secret = app_secret(session, name=LOOKUP_HASH_KEY, now=now)
    for key in keys:
        session.execute(
            delete(LookupAttempt).where(LookupAttempt.scope == key.scope, LookupAttempt.key_hash == key.digest(secret))
        )
