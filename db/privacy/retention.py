"""The retention rule (PIPL Art. 19, 47): a closed bag keeps its resident's name, phone and address for the site's
`personal_data_days`, then loses them for good (docs/privacy.md).

`anonymise_orders` does it to given bags in the caller's transaction (the purge here, and a resident's request,
db.privacy.requests): each bag gets a random household id shared with the resident's other bags at the site (so
counts per household still add up), its name, phone and phone tail emptied and its address cut to its building;
the event log's before/after of those bags, and of the messages about them, keep only the keys of
`KEPT_EVENT_KEYS` (the one change the log's triggers allow: it sets `scrubbed_at`, once); those messages lose their
recipient, values and text; an excursion check's note on them goes.

`purge_personal_data` runs it over every site in short batches, each its own transaction, reading the bags still
naming their resident through the partial index `ix_orders_identifiable`; it also deletes ended sign-in sessions
and remembered browsers unseen for 30 days (never a counter tablet), and on SQLite checkpoints the write-ahead log so
no purged value lingers there (`secure_delete`, db.core.engine, zeroes the freed pages).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from db.core.clock import to_local
from db.core.engine import read_only, rows_changed, unit_of_work
from db.core.events import record_event
from db.core.models import (
    Device,
    Event,
    ExcursionCheck,
    LoginSession,
    Message,
    MessageOrder,
    Order,
    Site,
    SiteRules,
    status_among,
)
from db.core.typed import normalize_phone
from db.orders.buildings import building_of

# The only keys of an event's before/after a scrub keeps: codes, slots, dates and counts, never a name, a phone, an
# address or free text (a call's note, a return's or a problem's reason, a collector's name, a correction's values).
KEPT_EVENT_KEYS: frozenset[str] = frozenset(
    {
        "status",
        "slot",
        "platform",
        "order_number",
        "storage_class",
        "delivery_date",
        "notice",
        "outcome",
        "collected_by",
        "unit",
        "excursion_started_at",
        "worst_c",
    }
)
PURGED_ACTION = "privacy.purged"
# Statuses of a closed bag: handed over or returned. Open ones (and problems) keep their data until they close.
CLOSED_STATUSES = ("picked_up", "returned")
# A remembered browser (never a tablet) unseen this long is forgotten.
BROWSER_UNSEEN = dt.timedelta(days=30)
# Bags per batch at most: each batch is one short write transaction, so a handover beside it waits for one batch at
# most (PurgeReport.longest_batch_ms says how long the longest took): about 25 ms for 50 bags on SQLite.
BATCH_SIZE = 50
# A handover beside the purge waits for the batch holding the lock: each batch is sized to take half of this at the
# rate the last one ran (_Pace). A handover may wait 200 ms at most.
TARGET_BATCH_MS = 100.0
# On SQLite the purge leaves the write lock free this long after each batch, so a handover waiting behind one batch
# gets in before the next one starts, instead of waiting behind many: a waiting writer tries for the lock every 2 ms
# (db.core.engine), so a gap a few times that is enough (30 ms when SQLite's busy handler slept up to 100 ms between
# tries; at 10 ms the purge runs nearly twice as fast with the same handover waits). PostgreSQL's writers wait on
# rows, not on one lock.
SQLITE_PAUSE_S = 0.01
# Each site's first batch: it gives a household id to the most residents seen for the first time, each written on
# all their bags at the site (194 ms for 50 bags at 1M orders), so it starts small and grows as batches run fast.
FIRST_BATCH_SIZE = 10
# SQLite's checkpoint after a purge: tries while a reader holds the log.
CHECKPOINT_TRIES = 5
CHECKPOINT_PAUSE_S = 0.2
# Phones per read of the household ids they already have (well under either database's bound parameters).
_PHONES_PER_READ = 400

_ORDERS = cast(Table, Order.__table__)
_EVENTS = cast(Table, Event.__table__)
_MESSAGES = cast(Table, Message.__table__)


@dataclass(frozen=True)
class Anonymised:
    """How many bags, events and messages one anonymisation changed."""

    orders: int
    events: int
    messages: int


@dataclass(frozen=True)
class PurgeReport:
    """What a purge changed, in how many batches, and its longest batch (the longest a writer beside it waited)."""

    orders: int
    events: int
    messages: int
    sessions: int
    devices: int
    batches: int
    longest_batch_ms: float


def household_id_for(session: Session, *, site_id: int, phone: str) -> str:
    """The household id of the site's bags with this phone: the one they already have, else a new random one
    (never derived from the phone), written on every such bag of the site, open ones too."""
    number = normalize_phone(phone)
    if not number:
        return secrets.token_hex(8)
    return _households(session, site_id=site_id, phones={number})[number]


def _households(session: Session, *, site_id: int, phones: set[str]) -> dict[str, str]:
    """household_id_for for many (normalized, non-empty) phones at once: one read of the ids they already have and
    one statement, run for each phone, writing each id on every bag of the site with that phone (through the
    (site, phone tail) index)."""
    households: dict[str, str] = {}
    ordered = sorted(phones)
    for start in range(0, len(ordered), _PHONES_PER_READ):
        chunk = ordered[start : start + _PHONES_PER_READ]
        found = session.execute(
            select(Order.phone, func.min(Order.household_id))
            .where(
                Order.site_id == site_id,
                Order.phone_tail.in_({phone[-4:] for phone in chunk}),
                Order.phone.in_(chunk),
                Order.household_id.is_not(None),
            )
            .group_by(Order.phone)
        ).all()
        households.update({phone: household for phone, household in found if household})
    for phone in ordered:
        households.setdefault(phone, secrets.token_hex(8))
    session.execute(
        update(_ORDERS)
        .where(
            _ORDERS.c.site_id == site_id,
            _ORDERS.c.phone_tail == bindparam("h_tail"),
            _ORDERS.c.phone == bindparam("h_phone"),
            or_(_ORDERS.c.household_id.is_(None), _ORDERS.c.household_id != bindparam("h_id")),
        )
        .values(household_id=bindparam("h_id")),
        [{"h_tail": phone[-4:], "h_phone": phone, "h_id": households[phone]} for phone in ordered],
    )
    return households


def anonymise_orders(session: Session, *, site_id: int, order_ids: Sequence[int], now: dt.datetime) -> Anonymised:
    """In the caller's transaction: the site's bags among `order_ids` not anonymised yet lose their resident's name,
    phone and address (the building stays) and get their household id; their events and the messages about them
    (and those messages' events) are scrubbed. Writes no event itself."""
    if not order_ids:
        return Anonymised(orders=0, events=0, messages=0)
    bags = session.execute(
        select(Order.id, Order.phone, Order.address, Order.household_id).where(
            Order.site_id == site_id, Order.id.in_(list(order_ids)), Order.anonymised_at.is_(None)
        )
    ).all()
    if not bags:
        return Anonymised(orders=0, events=0, messages=0)
    numbers = {bag.id: normalize_phone(bag.phone or "") for bag in bags}
    households = _households(session, site_id=site_id, phones={number for number in numbers.values() if number})
    rows = [
        {
            "b_id": bag.id,
            "b_household": households.get(numbers[bag.id]) or bag.household_id or secrets.token_hex(8),
            "b_address": building_of(bag.address or ""),
        }
        for bag in bags
    ]
    session.execute(
        update(_ORDERS)
        .where(_ORDERS.c.id == bindparam("b_id"), _ORDERS.c.anonymised_at.is_(None))
        .values(
            resident_name="",
            phone="",
            phone_tail="",
            address=bindparam("b_address"),
            household_id=bindparam("b_household"),
            anonymised_at=now,
        ),
        rows,
    )
    ids = [bag.id for bag in bags]
    session.execute(
        update(ExcursionCheck)
        .where(ExcursionCheck.order_id.in_(ids), ExcursionCheck.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    message_ids = list(
        session.scalars(
            select(Message.id)
            .join(MessageOrder, MessageOrder.message_id == Message.id)
            .where(MessageOrder.order_id.in_(ids), Message.scrubbed_at.is_(None))
            .distinct()
        )
    )
    events = _scrub_events(session, entity="order", entity_ids=ids, now=now)
    events += _scrub_events(session, entity="message", entity_ids=message_ids, now=now)
    _empty_messages(session, message_ids=message_ids, now=now)
    # Loaded Orders and Messages must not show what is gone.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Order | Message):
            session.expire(instance)
    return Anonymised(orders=len(ids), events=events, messages=len(message_ids))


def _scrub_events(session: Session, *, entity: str, entity_ids: list[int], now: dt.datetime) -> int:
    """Every event of these entities not scrubbed yet whose before/after holds a key outside KEPT_EVENT_KEYS keeps
    only the kept ones and is stamped `scrubbed_at` (read through the entity index; an event holding nothing else,
    a status change, is left as it is); returns how many were scrubbed."""
    if not entity_ids:
        return 0
    found = session.execute(
        select(Event.id, Event.before, Event.after).where(
            Event.entity == entity, Event.entity_id.in_(entity_ids), Event.scrubbed_at.is_(None)
        )
    ).all()
    scrubbed = [
        {"e_id": row.id, "e_before": _kept(row.before), "e_after": _kept(row.after)}
        for row in found
        if _kept(row.before) != row.before or _kept(row.after) != row.after
    ]
    if not scrubbed:
        return 0
    session.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id == bindparam("e_id"), _EVENTS.c.scrubbed_at.is_(None))
        .values(before=bindparam("e_before"), after=bindparam("e_after"), scrubbed_at=now),
        scrubbed,
    )
    return len(scrubbed)


def _kept(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: value for key, value in values.items() if key in KEPT_EVENT_KEYS}


def _empty_messages(session: Session, *, message_ids: list[int], now: dt.datetime) -> None:
    """The messages lose recipient, values and text; one still waiting to be sent is cancelled (nothing to send)."""
    if not message_ids:
        return
    waiting = ("due", "failed")
    session.execute(
        update(_MESSAGES)
        .where(_MESSAGES.c.id == bindparam("m_id"), _MESSAGES.c.scrubbed_at.is_(None))
        .values(
            recipient=None,
            values={},
            text="",
            idempotency_key=bindparam("m_key"),
            status=case(
                (or_(*(_MESSAGES.c.status == status for status in waiting)), "cancelled"), else_=_MESSAGES.c.status
            ),
            scrubbed_at=now,
        ),
        [{"m_id": message_id, "m_key": f"scrubbed:{message_id}"} for message_id in message_ids],
    )


def purge_personal_data(
    engine: Engine, *, now: dt.datetime, older_than_days: int | None = None, batch_size: int = BATCH_SIZE
) -> PurgeReport:
    """Every site's closed bags closed longer ago than its `personal_data_days` (or `older_than_days`) are
    anonymised in batches of at most `batch_size` (a site's first of FIRST_BATCH_SIZE, then each sized by the last
    one's pace: TARGET_BATCH_MS), each its own transaction; one `privacy.purged` event per site that had anything
    purged, with the counts; ended or expired sign-in sessions and browsers unseen for 30 days deleted; on
    SQLite the write-ahead log checkpointed after a purge that changed anything."""
    if older_than_days is not None and older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    with read_only(engine) as session:
        sites = session.execute(
            select(Site.id, SiteRules.personal_data_days).outerjoin(SiteRules, SiteRules.site_id == Site.id)
        ).all()
    totals = {"orders": 0, "events": 0, "messages": 0, "sessions": 0, "devices": 0}
    batches = 0
    longest = 0.0
    for site_id, rule_days in sites:
        days = older_than_days if older_than_days is not None else (rule_days or 30)
        counts = {"orders": 0, "events": 0, "messages": 0}
        pace = _Pace(largest=batch_size, size=min(batch_size, FIRST_BATCH_SIZE))
        for order_ids in _due_batches(engine, site_id=site_id, closed_before=now - dt.timedelta(days=days), pace=pace):
            started = time.perf_counter()
            with unit_of_work(engine) as session:
                done = anonymise_orders(session, site_id=site_id, order_ids=order_ids, now=now)
            took = (time.perf_counter() - started) * 1000
            pace.took(took)
            longest = max(longest, took)
            batches += 1
            if engine.dialect.name == "sqlite":
                time.sleep(SQLITE_PAUSE_S)
            counts["orders"] += done.orders
            counts["events"] += done.events
            counts["messages"] += done.messages
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            sessions, devices = _forget_sign_ins(session, site_id=site_id, now=now)
            if sessions or devices or counts["orders"]:
                record_event(
                    session,
                    site_id=site_id,
                    actor_id=None,
                    action=PURGED_ACTION,
                    entity="site",
                    entity_id=site_id,
                    now=now,
                    after={
                        "bags": counts["orders"],
                        "events": counts["events"],
                        "messages": counts["messages"],
                        "sessions": sessions,
                        "browsers": devices,
                        "personal_data_days": days,
                    },
                )
        longest = max(longest, (time.perf_counter() - started) * 1000)
        for key, value in (*counts.items(), ("sessions", sessions), ("devices", devices)):
            totals[key] += value
    if engine.dialect.name == "sqlite" and any(totals.values()):
        checkpoint_sqlite(engine)
    return PurgeReport(**totals, batches=batches, longest_batch_ms=longest)


@dataclass
class _Pace:
    """The next batch's size, aimed at half of TARGET_BATCH_MS at the rate the last batch ran: a batch of 50 that took
    600 ms (a site's first days, naming many new households; a loaded machine) is followed by one of 4, not of 25
    that would again hold the lock for 300 ms; it grows at most twofold a batch, up to `largest`."""

    largest: int
    size: int

    def took(self, ms: float) -> None:
        aimed = int(self.size * (TARGET_BATCH_MS / 2) / max(ms, 1.0))
        self.size = max(1, min(self.largest, 2 * self.size, aimed))


def _due_batches(engine: Engine, *, site_id: int, closed_before: dt.datetime, pace: _Pace) -> Iterator[list[int]]:
    """The site's bags due for anonymising, `pace.size` at a time, in (delivery date, id) order: each batch read through
    the partial index of the bags still naming their resident, from where the last one ended (a bag still open
    stays in the index and is passed over once, not in every batch). A bag closes on or after its delivery day."""
    last_day: dt.date | None = None
    last_id = 0
    latest_day = to_local(closed_before).date() + dt.timedelta(days=1)
    while True:
        size = pace.size
        query = (
            select(Order.id, Order.delivery_date)
            .where(
                Order.site_id == site_id,
                Order.anonymised_at.is_(None),
                Order.delivery_date <= latest_day,
                status_among(CLOSED_STATUSES),
                func.coalesce(Order.picked_up_at, Order.returned_at) < closed_before,
            )
            .order_by(Order.delivery_date, Order.id)
            .limit(size)
        )
        if last_day is not None:
            # The range on the delivery date stands alone, beside the OR: written as one OR of the two cases, SQLite
            # with a million orders' statistics read every closed bag of the site from that day on through the
            # (site, status, delivery date) index and sorted them (45 ms a batch), not the next few of this index.
            query = query.where(
                Order.delivery_date >= last_day, or_(Order.delivery_date > last_day, Order.id > last_id)
            )
        with read_only(engine) as session:
            rows = session.execute(query).all()
        if not rows:
            return
        last_id, last_day = rows[-1].id, rows[-1].delivery_date
        yield [row.id for row in rows]
        if len(rows) < size:
            return


def _forget_sign_ins(session: Session, *, site_id: int, now: dt.datetime) -> tuple[int, int]:
    """Delete the site's ended or expired sign-in sessions and its remembered browsers unseen for 30 days; tablets
    stay. Returns (sessions, devices)."""
    sessions = rows_changed(
        session,
        delete(LoginSession).where(
            LoginSession.site_id == site_id,
            or_(LoginSession.ended_at.is_not(None), LoginSession.expires_at <= now),
        ),
    )
    devices = rows_changed(
        session,
        delete(Device).where(
            Device.site_id == site_id,
            Device.kind == "browser",
            Device.last_seen_at < now - BROWSER_UNSEEN,
        ),
    )
    return sessions, devices


def checkpoint_sqlite(engine: Engine) -> bool:
    """Copy the write-ahead log into the database file and empty it (TRUNCATE), so a purged value lives in neither;
    tries again a few times while a reader holds the log. True once a checkpoint completed."""
    for attempt in range(CHECKPOINT_TRIES):
        with engine.connect() as connection:
            # On the driver's own connection, outside a transaction (a checkpoint cannot run inside one).
            raw = connection.connection.driver_connection
            assert raw is not None
            busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if not busy:
            return True
        if attempt + 1 < CHECKPOINT_TRIES:
            time.sleep(CHECKPOINT_PAUSE_S)
    return False
