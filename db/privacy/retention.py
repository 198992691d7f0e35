"""The retention rule (PIPL Art. 19, 47): a closed bag keeps its resident's name, phone and address for the site's
`personal_data_days`, then loses them for good (docs/privacy.md).

`anonymise_orders` does it to given bags in the caller's transaction (the purge here, and a resident's request,
db.privacy.requests): each bag gets a random household id shared with the resident's other bags at the site (so
counts per household still add up), its name, phone and phone tail emptied and its address cut to its building;
the event log's before/after of those bags, and of the messages about them, keep only the keys of
`KEPT_EVENT_KEYS` (the one change the log's triggers allow: it sets `scrubbed_at`, once); those messages lose their
recipient, values and text; an excursion check's note on them goes.

`purge_personal_data` runs it over every site in short batches, reading the bags still naming their resident
through the partial index `ix_orders_identifiable`: each batch reads what it will write in a read-only transaction
(`_read_plan`), then writes it in a short one (`_write_plan`) that re-checks what could have changed in between, so
a handover at the desk waits for the writes only; it also deletes ended sign-in sessions and remembered browsers
unseen for 30 days (never a counter tablet), and on SQLite checkpoints the write-ahead log so no purged value
lingers there (`secure_delete`, db.core.engine, zeroes the freed pages).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Engine, Table, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from db.core.clock import to_local
from db.core.engine import read_only, rows_changed, unit_of_work
from db.core.events import record_event
from db.core.models import (
    OPEN_ORDER_STATUSES,
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
# Statuses of a closed bag: handed over or returned. Open ones (and problems) keep their data until they close, or
# until NEVER_CLOSED_GRACE_DAYS more than the rule's days have passed since their delivery day.
CLOSED_STATUSES = ("picked_up", "returned")
# A bag that never closes (never delivered, reported as a problem and never settled, never collected nor returned)
# is anonymised too once its delivery day is this many days more than the site's personal_data_days ago; its status
# stays (the rules page and the residents' page say so).
NEVER_CLOSED_GRACE_DAYS = 30
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
# A batch writes the household id of each resident it names for the first time on all their bags at the site
# (about 25 at a 1M store's site, 50 days of history): a batch stops before the bag that would make it write more
# than this many (its first bag always goes), and the rest waits for the next batch.
HOUSEHOLD_ROWS_PER_BATCH = 250
# SQLite's checkpoint after a purge: tries while a reader holds the log.
CHECKPOINT_TRIES = 5
CHECKPOINT_PAUSE_S = 0.2
# Phones per read of the household ids they already have (well under either database's bound parameters).
_PHONES_PER_READ = 400

_ORDERS = cast(Table, Order.__table__)
_EVENTS = cast(Table, Event.__table__)
_MESSAGES = cast(Table, Message.__table__)
_CHECKS = cast(Table, ExcursionCheck.__table__)


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
    households = _read_households(session, site_id=site_id, phones={number})
    _write_households(session, households=households, phones={number})
    return households.ids[number]


@dataclass(frozen=True)
class _Households:
    """Phones' household ids as read: the one their bags at the site already have (the smallest, if two), else a
    new random one (`new`), and the ids of the site's bags with each phone that do not have it yet."""

    ids: dict[str, str]
    new: frozenset[str]
    rows: dict[str, list[int]]


def _read_households(session: Session, *, site_id: int, phones: set[str]) -> _Households:
    """The household ids of many (normalized, non-empty) phones and the bags to write them on: one read of the
    site's bags with those phones per _PHONES_PER_READ, through the (site, phone tail) index."""
    found: dict[str, list[tuple[int, str | None]]] = {phone: [] for phone in phones}
    ordered = sorted(phones)
    for start in range(0, len(ordered), _PHONES_PER_READ):
        chunk = ordered[start : start + _PHONES_PER_READ]
        for row_id, phone, household in session.execute(
            select(Order.id, Order.phone, Order.household_id).where(
                Order.site_id == site_id,
                Order.phone_tail.in_({phone[-4:] for phone in chunk}),
                Order.phone.in_(chunk),
            )
        ):
            found[phone].append((row_id, household))
    ids: dict[str, str] = {}
    new: set[str] = set()
    for phone, rows in found.items():
        existing = [household for _, household in rows if household]
        if existing:
            ids[phone] = min(existing)
        else:
            ids[phone] = secrets.token_hex(8)
            new.add(phone)
    return _Households(
        ids=ids,
        new=frozenset(new),
        rows={
            phone: sorted(row_id for row_id, household in rows if household != ids[phone])
            for phone, rows in found.items()
        },
    )


def _write_households(session: Session, *, households: _Households, phones: set[str]) -> None:
    """Each phone's household id written on the bags read without it (still with that phone), by their ids."""
    rows = [
        {"h_row": row_id, "h_phone": phone, "h_id": households.ids[phone]}
        for phone in sorted(phones)
        for row_id in households.rows[phone]
    ]
    if not rows:
        return
    session.execute(
        update(_ORDERS)
        .where(
            _ORDERS.c.id == bindparam("h_row"),
            _ORDERS.c.phone == bindparam("h_phone"),
            or_(_ORDERS.c.household_id.is_(None), _ORDERS.c.household_id != bindparam("h_id")),
        )
        .values(household_id=bindparam("h_id")),
        rows,
    )


# An event's scrub as read: its new before/after, or None when it holds only kept keys (left as it is).
_Scrubs = dict[int, dict[int, dict[str, Any] | None]]


@dataclass(frozen=True)
class _Bag:
    id: int
    phone: str  # normalized; empty when the bag has none
    household: str
    address: str  # the building only


@dataclass(frozen=True)
class _Plan:
    """What anonymising some bags of a site writes, read before the write (by the purge, outside the write lock):
    the bags in the order given, their households, their events' scrubs by bag, the messages about them (each with
    the planned bags it is about) and those messages' events' scrubs by message."""

    site_id: int
    bags: list[_Bag]
    households: _Households
    order_events: _Scrubs
    messages: dict[int, set[int]]
    message_events: _Scrubs

    def household_rows(self, bags: Sequence[_Bag]) -> int:
        """How many bags' household ids writing these bags writes (each phone's once)."""
        return sum(len(self.households.rows[phone]) for phone in {bag.phone for bag in bags if bag.phone})

    def first(self, count: int) -> _Plan:
        """The plan of its first `count` bags only (the rest is read again with a later batch)."""
        return _Plan(
            site_id=self.site_id,
            bags=self.bags[:count],
            households=self.households,
            order_events=self.order_events,
            messages=self.messages,
            message_events=self.message_events,
        )


def _read_plan(session: Session, *, site_id: int, order_ids: Sequence[int]) -> _Plan:
    """Every read anonymising the site's bags among `order_ids` not anonymised yet needs: the bags, their
    households, the events to scrub, the messages about them and their events."""
    found = {
        row.id: row
        for row in session.execute(
            select(Order.id, Order.phone, Order.address, Order.household_id).where(
                Order.site_id == site_id, Order.id.in_(list(order_ids)), Order.anonymised_at.is_(None)
            )
        )
    }
    numbers = {order_id: normalize_phone(row.phone or "") for order_id, row in found.items()}
    households = _read_households(session, site_id=site_id, phones={number for number in numbers.values() if number})
    bags = [
        _Bag(
            id=order_id,
            phone=numbers[order_id],
            household=households.ids.get(numbers[order_id]) or found[order_id].household_id or secrets.token_hex(8),
            address=building_of(found[order_id].address or ""),
        )
        for order_id in dict.fromkeys(order_ids)
        if order_id in found
    ]
    ids = [bag.id for bag in bags]
    messages: dict[int, set[int]] = {}
    if ids:
        for message_id, order_id in session.execute(
            select(MessageOrder.message_id, MessageOrder.order_id)
            .join(Message, Message.id == MessageOrder.message_id)
            .where(MessageOrder.order_id.in_(ids), Message.scrubbed_at.is_(None))
        ):
            messages.setdefault(message_id, set()).add(order_id)
    return _Plan(
        site_id=site_id,
        bags=bags,
        households=households,
        order_events=_read_scrubs(session, entity="order", entity_ids=ids),
        messages=messages,
        message_events=_read_scrubs(session, entity="message", entity_ids=list(messages)),
    )


def _read_scrubs(session: Session, *, entity: str, entity_ids: list[int]) -> _Scrubs:
    """The events of these entities not scrubbed yet (through the entity index), each with its scrub: its
    before/after keeping only KEPT_EVENT_KEYS, or None when it holds nothing else (a status change)."""
    scrubs: _Scrubs = {entity_id: {} for entity_id in entity_ids}
    if not entity_ids:
        return scrubs
    for row in session.execute(
        select(Event.id, Event.entity_id, Event.before, Event.after).where(
            Event.entity == entity, Event.entity_id.in_(entity_ids), Event.scrubbed_at.is_(None)
        )
    ):
        before, after = _kept(row.before), _kept(row.after)
        changed = before != row.before or after != row.after
        scrubs[row.entity_id][row.id] = {"e_id": row.id, "e_before": before, "e_after": after} if changed else None
    return scrubs


def _write_plan(
    session: Session, *, plan: _Plan, now: dt.datetime, due: Sequence[ColumnElement[bool]] = (), fresh: bool = False
) -> Anonymised:
    """In the caller's (write) transaction, the plan's bags still not anonymised (and meeting `due`) anonymised as
    planned, after re-checking what could have changed since it was read: a bag anonymised or reopened meanwhile
    (an undone handover) is left out, with what only it needed; events and messages of the bags that appeared
    since are read and scrubbed too; and if a resident's household was named meanwhile (a resident's request), the
    plan is read again here (`fresh`: already read in this transaction)."""
    if not plan.bags:
        return Anonymised(orders=0, events=0, messages=0)
    kept = set(
        session.scalars(
            select(Order.id)
            .where(Order.id.in_([bag.id for bag in plan.bags]), Order.anonymised_at.is_(None), *due)
            .with_for_update()
        )
    )
    bags = [bag for bag in plan.bags if bag.id in kept]
    if not bags:
        return Anonymised(orders=0, events=0, messages=0)
    phones = {bag.phone for bag in bags if bag.phone}
    named = [row_id for phone in phones & plan.households.new for row_id in plan.households.rows[phone]]
    if not fresh and named and _named_meanwhile(session, row_ids=named):
        again = _read_plan(session, site_id=plan.site_id, order_ids=[bag.id for bag in bags])
        return _write_plan(session, plan=again, now=now, due=due, fresh=True)
    _write_households(session, households=plan.households, phones=phones)
    ids = [bag.id for bag in bags]
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
        [{"b_id": bag.id, "b_household": bag.household, "b_address": bag.address} for bag in bags],
    )
    session.execute(update(_CHECKS).where(_CHECKS.c.order_id.in_(ids), _CHECKS.c.note.is_not(None)).values(note=None))
    order_scrubs = {order_id: plan.order_events[order_id] for order_id in ids}
    events = _scrub_events(session, entity="order", scrubs=order_scrubs, now=now)
    message_ids = sorted(
        session.scalars(
            select(MessageOrder.message_id)
            .join(Message, Message.id == MessageOrder.message_id)
            .where(MessageOrder.order_id.in_(ids), Message.scrubbed_at.is_(None))
            .distinct()
        )
    )
    events += _scrub_events(
        session,
        entity="message",
        scrubs={message_id: plan.message_events.get(message_id, {}) for message_id in message_ids},
        now=now,
    )
    _empty_messages(session, message_ids=message_ids, now=now)
    # Loaded Orders and Messages must not show what is gone.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Order | Message):
            session.expire(instance)
    return Anonymised(orders=len(ids), events=events, messages=len(message_ids))


def _named_meanwhile(session: Session, *, row_ids: list[int]) -> bool:
    """True when one of these bags, read without a household, has one now."""
    found = session.scalar(select(Order.id).where(Order.id.in_(row_ids), Order.household_id.is_not(None)).limit(1))
    return found is not None


def anonymise_orders(session: Session, *, site_id: int, order_ids: Sequence[int], now: dt.datetime) -> Anonymised:
    """In the caller's transaction: the site's bags among `order_ids` not anonymised yet lose their resident's name,
    phone and address (the building stays) and get their household id; their events and the messages about them
    (and those messages' events) are scrubbed. Writes no event itself."""
    if not order_ids:
        return Anonymised(orders=0, events=0, messages=0)
    plan = _read_plan(session, site_id=site_id, order_ids=order_ids)
    return _write_plan(session, plan=plan, now=now, fresh=True)


def _scrub_events(session: Session, *, entity: str, scrubs: _Scrubs, now: dt.datetime) -> int:
    """The entities' events not scrubbed yet are scrubbed as read in `scrubs` (an event holding only kept keys is
    left as it is); one that appeared since is read and scrubbed here. Stamps `scrubbed_at`; returns how many."""
    if not scrubs:
        return 0
    now_unscrubbed = session.execute(
        select(Event.id, Event.entity_id).where(
            Event.entity == entity, Event.entity_id.in_(list(scrubs)), Event.scrubbed_at.is_(None)
        )
    ).all()
    unseen = [row.entity_id for row in now_unscrubbed if row.id not in scrubs[row.entity_id]]
    if unseen:
        for entity_id, read in _read_scrubs(session, entity=entity, entity_ids=sorted(set(unseen))).items():
            scrubs = {**scrubs, entity_id: read}
    rows = [scrub for row in now_unscrubbed if (scrub := scrubs[row.entity_id].get(row.id)) is not None]
    if not rows:
        return 0
    session.execute(
        update(_EVENTS)
        .where(_EVENTS.c.id == bindparam("e_id"), _EVENTS.c.scrubbed_at.is_(None))
        .values(before=bindparam("e_before"), after=bindparam("e_after"), scrubbed_at=now),
        rows,
    )
    return len(rows)


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
    """Every site's closed bags closed longer ago than its `personal_data_days` (or `older_than_days`), and its bags
    never closed delivered NEVER_CLOSED_GRACE_DAYS before that, are anonymised in batches of at most `batch_size` (a
    site's first of FIRST_BATCH_SIZE, then each sized by the last one's pace: TARGET_BATCH_MS, and cut to
    HOUSEHOLD_ROWS_PER_BATCH), each read first and then written in its own short transaction; one `privacy.purged`
    event per site that had anything purged, with the counts; ended or expired sign-in sessions and browsers unseen
    for 30 days deleted; on SQLite the write-ahead log checkpointed after a purge that changed anything."""
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
        closed_before = now - dt.timedelta(days=days)
        due = _DueBags(site_id=site_id, closed_before=closed_before)
        conditions = _due(closed_before=closed_before)
        while rows := due.next(engine, size=pace.size):
            # Everything the batch reads, read before it takes the write lock (a read never blocks the desk).
            with read_only(engine) as session:
                plan = _read_plan(session, site_id=site_id, order_ids=[row.id for row in rows])
            plan, taken = _within_household_rows(plan, rows=rows)
            due.passed(rows[taken - 1], rest_left=taken < len(rows))
            started = time.perf_counter()
            with unit_of_work(engine) as session:
                done = _write_plan(session, plan=plan, now=now, due=(conditions,))
            took = (time.perf_counter() - started) * 1000
            pace.took(took)
            longest = max(longest, took)
            batches += 1
            if engine.dialect.name == "sqlite":
                _copy_log_sqlite(engine)
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


def _due(*, closed_before: dt.datetime) -> ColumnElement[bool]:
    """A bag due for the purge (read, and checked again as it writes): closed before `closed_before`, or never
    closed and delivered NEVER_CLOSED_GRACE_DAYS before that day."""
    never_closed_before = to_local(closed_before).date() - dt.timedelta(days=NEVER_CLOSED_GRACE_DAYS)
    return or_(
        and_(status_among(CLOSED_STATUSES), func.coalesce(Order.picked_up_at, Order.returned_at) < closed_before),
        and_(status_among(OPEN_ORDER_STATUSES), Order.delivery_date < never_closed_before),
    )


def _within_household_rows(plan: _Plan, *, rows: Sequence[Any]) -> tuple[_Plan, int]:
    """The plan cut to its first bags whose household ids take at most HOUSEHOLD_ROWS_PER_BATCH bags' writes (at
    least one bag), and how many of `rows` (the batch's bags read, in order) it covers."""
    phones: set[str] = set()
    written = 0
    count = 0
    for bag in plan.bags:
        added = len(plan.households.rows[bag.phone]) if bag.phone and bag.phone not in phones else 0
        if count and written + added > HOUSEHOLD_ROWS_PER_BATCH:
            break
        written += added
        if bag.phone:
            phones.add(bag.phone)
        count += 1
    if count == len(plan.bags):
        return plan, len(rows)
    # The rows up to the first bag left out: the bags before it that the plan does not hold were anonymised
    # meanwhile and are passed over.
    left_out = plan.bags[count].id
    return plan.first(count), next(index for index, row in enumerate(rows) if row.id == left_out)


@dataclass
class _DueBags:
    """The site's bags due for anonymising in (delivery date, id) order, each read of them through the partial
    index of the bags still naming their resident, from the last bag passed (a bag still open stays in the index
    and is passed over once, not in every batch). A bag closes on or after its delivery day."""

    site_id: int
    closed_before: dt.datetime
    last_day: dt.date | None = None
    last_id: int = 0
    ended: bool = False

    def next(self, engine: Engine, *, size: int) -> list[Any]:
        """The next `size` bags after the last one passed (id, delivery_date), none after the last read came
        short."""
        if self.ended:
            return []
        latest_day = to_local(self.closed_before).date() + dt.timedelta(days=1)
        query = (
            select(Order.id, Order.delivery_date)
            .where(
                Order.site_id == self.site_id,
                Order.anonymised_at.is_(None),
                Order.delivery_date <= latest_day,
                _due(closed_before=self.closed_before),
            )
            .order_by(Order.delivery_date, Order.id)
            .limit(size)
        )
        if self.last_day is not None:
            # The range on the delivery date stands alone, beside the OR: written as one OR of the two cases, SQLite
            # with a million orders' statistics read every closed bag of the site from that day on through the
            # (site, status, delivery date) index and sorted them (45 ms a batch), not the next few of this index.
            query = query.where(
                Order.delivery_date >= self.last_day,
                or_(Order.delivery_date > self.last_day, Order.id > self.last_id),
            )
        with read_only(engine) as session:
            rows = list(session.execute(query).all())
        self.ended = len(rows) < size
        return rows

    def passed(self, row: Any, *, rest_left: bool) -> None:
        """The next read starts after this bag; with `rest_left` (bags of the last read left for later) there is
        one more read even if the last came short."""
        self.last_day, self.last_id = row.delivery_date, row.id
        if rest_left:
            self.ended = False


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


def _copy_log_sqlite(engine: Engine) -> None:
    """Copy the write-ahead log's new pages into the database file without waiting for any lock (PASSIVE), between
    two batches: the log starts over at the next write instead of growing until a commit (a handover's, as often
    as the purge's) runs SQLite's automatic checkpoint of a thousand pages before it returns."""
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


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
