"""The outbox's rows: queue a message once per idempotency key, let one runner at a time claim what is due, settle
each claim (sent, failed, unknown, put back), and an organizer's retry or cancel; what the outbox page and a bag,
shift or reading show of what was sent (recipients masked).

Every UPDATE names the status (and for a runner's settlement the runner) it expects, so two runners, or a runner
and an organizer, never move one message twice. Data only: the text is written by the runner (cli/) in the site's
language before it is queued.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
from sqlalchemy import Row, Table, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.core.clock import local_day_bounds, local_today
from db.core.engine import rows_changed
from db.core.errors import InvalidValue, NotFound, WrongState
from db.core.events import record_event
from db.core.models import AUDIENCES, CHANNELS, Message, MessageOrder, Volunteer
from db.core.privacy import mask_phone
from db.outbox.limits import after_quiet_hours

_MESSAGES = cast(Table, Message.__table__)
_MESSAGE_ORDERS = cast(Table, MessageOrder.__table__)

# What a runner may claim: due, or failed and due again.
CLAIMABLE_STATUSES = ("due", "failed")
# After this many attempts a failure is final (given_up); an organizer may still retry it.
MAX_ATTEMPTS = 5
# What an organizer may send again, and what they may cancel.
RETRYABLE_STATUSES = ("failed", "given_up", "unknown")
CANCELLABLE_STATUSES = ("due", "failed")
# Settled: nothing more happens to them without an organizer.
SETTLED_STATUSES = ("sent", "given_up", "cancelled", "unknown", "copied")
RETRIED_ACTION = "message.retried"
CANCELLED_ACTION = "message.cancelled"
# What the outbox page and the detail panes show, in this order.
MESSAGE_COLUMNS = (
    "id",
    "due_at",
    "sent_at",
    "status",
    "channel",
    "audience",
    "kind",
    "recipient",
    "volunteer",
    "text",
    "attempts",
    "provider_answer",
)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message as the runner sends it. `claimed_by` is the runner holding it (for a stale claim: the one that
    died), so a runner settling another's claim can name it."""

    id: int
    site_id: int
    channel: str
    audience: str
    kind: str
    recipient: str | None
    volunteer_id: int | None
    values: dict[str, Any]
    text: str
    due_at: dt.datetime
    attempts: int
    request_id: str | None
    provider_id: str | None
    claimed_by: str | None = None


_OUTGOING_COLUMNS = (
    Message.id,
    Message.site_id,
    Message.channel,
    Message.audience,
    Message.kind,
    Message.recipient,
    Message.volunteer_id,
    Message.values,
    Message.text,
    Message.due_at,
    Message.attempts,
    Message.request_id,
    Message.provider_id,
    Message.claimed_by,
)


def _outgoing(row: Row[Any]) -> OutgoingMessage:
    return OutgoingMessage(**row._asdict())


def queue_message(
    session: Session,
    *,
    site_id: int,
    channel: str,
    audience: str,
    kind: str,
    values: dict[str, Any],
    text: str,
    due_at: dt.datetime,
    idempotency_key: str,
    now: dt.datetime,
    recipient: str | None = None,
    volunteer_id: int | None = None,
    order_ids: Iterable[int] = (),
    shift_id: int | None = None,
    reading_id: int | None = None,
    storage_unit_id: int | None = None,
    created_by: int | None = None,
) -> int | None:
    """Queue a message and return its id; None when a message with that idempotency key is already queued (by this
    run, an earlier one or another runner: one INSERT … ON CONFLICT DO NOTHING decides). An SMS due in quiet hours
    is due at the 08:00 that ends them."""
    if channel not in CHANNELS or channel == "copy":
        raise InvalidValue(field="channel", value=channel)
    if audience not in AUDIENCES:
        raise InvalidValue(field="audience", value=audience)
    if channel == "sms":
        due_at = after_quiet_hours(due_at)
    message_id = _insert_once(
        session,
        values=dict(
            site_id=site_id,
            channel=channel,
            audience=audience,
            kind=kind,
            recipient=recipient,
            volunteer_id=volunteer_id,
            values=values,
            text=text,
            due_at=due_at,
            status="due",
            attempts=0,
            idempotency_key=idempotency_key,
            shift_id=shift_id,
            reading_id=reading_id,
            storage_unit_id=storage_unit_id,
            created_at=now,
            created_by=created_by,
        ),
    )
    if message_id is not None:
        _name_orders(session, message_id=message_id, order_ids=order_ids)
    return message_id


def _insert_once(session: Session, *, values: dict[str, Any]) -> int | None:
    dialect = session.get_bind().dialect.name
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_into(_MESSAGES)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_MESSAGES.c.id)
    )
    return session.execute(statement).scalar_one_or_none()


def _name_orders(session: Session, *, message_id: int, order_ids: Iterable[int]) -> None:
    rows = [{"message_id": message_id, "order_id": order_id} for order_id in sorted(set(order_ids))]
    if rows:
        session.execute(insert(_MESSAGE_ORDERS), rows)


def record_copied(
    session: Session,
    *,
    site_id: int,
    kind: str,
    values: dict[str, Any],
    text: str,
    volunteer_id: int,
    now: dt.datetime,
    order_ids: Iterable[int] = (),
) -> int:
    """A text a volunteer copied into a residents' WeChat group by hand (no API reaches those groups): one row,
    status copied, channel copy, audience resident, no recipient; each copy is its own row."""
    message_id = _insert_once(
        session,
        values=dict(
            site_id=site_id,
            channel="copy",
            audience="resident",
            kind=kind,
            recipient=None,
            volunteer_id=None,
            values=values,
            text=text,
            due_at=now,
            sent_at=now,
            status="copied",
            attempts=0,
            idempotency_key=f"copied:{uuid.uuid4().hex}",
            created_at=now,
            created_by=volunteer_id,
        ),
    )
    assert message_id is not None  # a fresh key
    _name_orders(session, message_id=message_id, order_ids=order_ids)
    return message_id


def claim_due_messages(session: Session, *, runner: str, now: dt.datetime, limit: int = 50) -> list[OutgoingMessage]:
    """Claim up to `limit` due messages, oldest first, for `runner`: status sending, the claim's time, one more
    attempt, and a request id (kept from an earlier attempt, else a fresh one) that the provider is given.

    Two runners never get the same row: on PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED (a second
    runner takes the next ones instead of waiting), on SQLite the caller's transaction holds the write lock
    (BEGIN IMMEDIATE, db/core/engine.py). Commit the claim before sending."""
    candidates = (
        select(Message.id, Message.request_id)
        .where(Message.status.in_(CLAIMABLE_STATUSES), Message.due_at <= now)
        .order_by(Message.due_at, Message.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.execute(candidates).all()
    if not claimed:
        return []
    session.execute(
        update(_MESSAGES)
        .where(
            _MESSAGES.c.id == bindparam("claimed_id"),
            # Spelled out: an expanding IN cannot stand in an executemany.
            or_(*(_MESSAGES.c.status == status for status in CLAIMABLE_STATUSES)),
        )
        .values(
            status="sending",
            claimed_by=runner,
            claimed_at=now,
            attempts=_MESSAGES.c.attempts + 1,
            request_id=bindparam("new_request_id"),
        )
        .execution_options(synchronize_session=False),
        [{"claimed_id": row.id, "new_request_id": row.request_id or uuid.uuid4().hex} for row in claimed],
    )
    rows = session.execute(
        select(*_OUTGOING_COLUMNS)
        .where(Message.id.in_([row.id for row in claimed]), Message.status == "sending", Message.claimed_by == runner)
        .order_by(Message.due_at, Message.id)
    ).all()
    return [_outgoing(row) for row in rows]


def _settle(session: Session, *, message_id: int, runner: str, **changes: Any) -> None:
    """Move a message `runner` holds (status sending, claimed by it); WrongState when it no longer does."""
    changed = rows_changed(
        session,
        update(_MESSAGES)
        .where(_MESSAGES.c.id == message_id, _MESSAGES.c.status == "sending", _MESSAGES.c.claimed_by == runner)
        .values(**changes),
    )
    if changed == 0:
        _raise_missing_or_moved(session, message_id=message_id)


def _raise_missing_or_moved(session: Session, *, message_id: int) -> None:
    status = session.scalar(select(Message.status).where(Message.id == message_id))
    if status is None:
        raise NotFound(message_id=message_id)
    raise WrongState(status=status)


def mark_sent(
    session: Session,
    *,
    message_id: int,
    runner: str,
    now: dt.datetime,
    provider_id: str | None = None,
    answer: str | None = None,
) -> None:
    """The channel took the message (the robot answered errcode 0; the SMS provider accepted it, its BizId)."""
    _settle(
        session,
        message_id=message_id,
        runner=runner,
        status="sent",
        sent_at=now,
        provider_id=provider_id,
        provider_answer=answer,
    )


def mark_failed(
    session: Session,
    *,
    message_id: int,
    runner: str,
    now: dt.datetime,
    answer: str,
    retry_at: dt.datetime | None,
) -> str:
    """The channel refused or could not be reached: tried again at `retry_at`, or given up (no `retry_at`, or the
    MAX_ATTEMPTS-th attempt failed). Returns the status it got."""
    changes: dict[str, Any] = dict(status="given_up", provider_answer=answer)
    if retry_at is not None:
        changes.update(status=case((_MESSAGES.c.attempts >= MAX_ATTEMPTS, "given_up"), else_="failed"), due_at=retry_at)
    _settle(session, message_id=message_id, runner=runner, **changes)
    return session.execute(select(Message.status).where(Message.id == message_id)).scalar_one()


def mark_unknown(session: Session, *, message_id: int, runner: str, now: dt.datetime, answer: str) -> None:
    """Nobody can tell whether it arrived (a runner died mid-send to the robot, which cannot be asked): shown on the
    outbox page, sent again only by an organizer."""
    _settle(session, message_id=message_id, runner=runner, status="unknown", provider_answer=answer)


def put_back(session: Session, *, message_id: int, runner: str, due_at: dt.datetime, answer: str | None = None) -> None:
    """Back to due at `due_at` without counting the attempt: it was not tried (the robot's minute is full, quiet
    hours, the phone's day is full)."""
    changes: dict[str, Any] = dict(status="due", due_at=due_at, attempts=_MESSAGES.c.attempts - 1, claimed_at=None)
    if answer is not None:
        changes["provider_answer"] = answer
    _settle(session, message_id=message_id, runner=runner, **changes)


def stale_sending(session: Session, *, now: dt.datetime, older_than_minutes: int = 10) -> list[OutgoingMessage]:
    """Messages still sending whose claim is older than `older_than_minutes`: their runner died mid-send. Settle each
    naming its `claimed_by` (another runner may be settling it at the same time: the second gets WrongState)."""
    rows = session.execute(
        select(*_OUTGOING_COLUMNS)
        .where(
            Message.status == "sending",
            Message.claimed_at < now - dt.timedelta(minutes=older_than_minutes),
        )
        .order_by(Message.claimed_at, Message.id)
    ).all()
    return [_outgoing(row) for row in rows]


def retry_message(session: Session, *, message_id: int, volunteer_id: int, now: dt.datetime) -> None:
    """An organizer sends a failed, given-up or unknown message again: due now, with its attempts counted afresh."""
    _organizer_moves(
        session,
        message_id=message_id,
        volunteer_id=volunteer_id,
        now=now,
        expected=RETRYABLE_STATUSES,
        action=RETRIED_ACTION,
        changes=dict(status="due", due_at=now, attempts=0, claimed_by=None, claimed_at=None),
    )


def cancel_message(session: Session, *, message_id: int, volunteer_id: int, now: dt.datetime) -> None:
    """An organizer stops a message that has not gone out (due, or failed and waiting to be tried again)."""
    _organizer_moves(
        session,
        message_id=message_id,
        volunteer_id=volunteer_id,
        now=now,
        expected=CANCELLABLE_STATUSES,
        action=CANCELLED_ACTION,
        changes=dict(status="cancelled", claimed_by=None, claimed_at=None),
    )


def _organizer_moves(
    session: Session,
    *,
    message_id: int,
    volunteer_id: int,
    now: dt.datetime,
    expected: tuple[str, ...],
    action: str,
    changes: dict[str, Any],
) -> None:
    seen = session.execute(select(Message.site_id, Message.status).where(Message.id == message_id)).one_or_none()
    if seen is None:
        raise NotFound(message_id=message_id)
    site_id, status = seen
    changed = rows_changed(
        session,
        update(_MESSAGES)
        .where(_MESSAGES.c.id == message_id, _MESSAGES.c.status == status, _MESSAGES.c.status.in_(expected))
        .values(**changes),
    )
    if changed == 0:
        _raise_missing_or_moved(session, message_id=message_id)
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=action,
        entity="message",
        entity_id=message_id,
        now=now,
        before={"status": status},
        after={"status": changes["status"]},
    )


# --- What was sent: the outbox page and the detail panes. Recipients masked. ---


def _listing(session: Session, statement: Any) -> pd.DataFrame:
    rows = session.execute(statement).all()
    frame = pd.DataFrame([row._asdict() for row in rows], columns=list(MESSAGE_COLUMNS))
    frame["recipient"] = [
        mask_phone(phone) if isinstance(phone, str) and phone else None for phone in frame["recipient"]
    ]
    return frame


def _listed() -> Any:
    return select(
        Message.id,
        Message.due_at,
        Message.sent_at,
        Message.status,
        Message.channel,
        Message.audience,
        Message.kind,
        Message.recipient,
        Volunteer.name.label("volunteer"),
        Message.text,
        Message.attempts,
        Message.provider_answer,
    ).outerjoin(Volunteer, Volunteer.id == Message.volunteer_id)


def list_messages(
    session: Session,
    *,
    site_id: int,
    day: dt.date | None = None,
    statuses: Sequence[str] | None = None,
    channel: str | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """A site's messages, newest due first (MESSAGE_COLUMNS): on a Shanghai day of their due time, in some
    statuses, through one channel."""
    statement = _listed().where(Message.site_id == site_id)
    if day is not None:
        start, end = local_day_bounds(day)
        statement = statement.where(Message.due_at >= start, Message.due_at < end)
    if statuses is not None:
        statement = statement.where(Message.status.in_(tuple(statuses)))
    if channel is not None:
        statement = statement.where(Message.channel == channel)
    return _listing(session, statement.order_by(Message.due_at.desc(), Message.id.desc()).limit(limit))


def messages_about(
    session: Session, *, order_id: int | None = None, shift_id: int | None = None, reading_id: int | None = None
) -> pd.DataFrame:
    """What was sent (or is due) about a bag, a shift or a temperature reading, newest first (MESSAGE_COLUMNS)."""
    if [order_id, shift_id, reading_id].count(None) != 2:
        raise InvalidValue(field="about")
    statement = _listed()
    if order_id is not None:
        statement = statement.join(MessageOrder, MessageOrder.message_id == Message.id).where(
            MessageOrder.order_id == order_id
        )
    elif shift_id is not None:
        statement = statement.where(Message.shift_id == shift_id)
    else:
        statement = statement.where(Message.reading_id == reading_id)
    return _listing(session, statement.order_by(Message.due_at.desc(), Message.id.desc()))


def sent_lately(session: Session, *, site_id: int, channel: str, since: dt.datetime) -> int:
    """Messages a site's channel sent since `since` (the robot's 20 a minute)."""
    return int(
        session.scalar(
            select(func.count()).where(Message.site_id == site_id, Message.channel == channel, Message.sent_at >= since)
        )
        or 0
    )


def sms_sent_today(session: Session, *, recipient: str, kind: str, now: dt.datetime) -> int:
    """SMS of one kind sent to one phone on the Shanghai day of `now` (the provider's 50 a day per template)."""
    start, _end = local_day_bounds(local_today(now))
    return int(
        session.scalar(
            select(func.count()).where(
                Message.recipient == recipient,
                Message.kind == kind,
                Message.sent_at >= start,
                Message.channel == "sms",
            )
        )
        or 0
    )
