"""Reconciliation (对账) per delivery day and platform: what the platform's manifest said against what the pickup
point received, reported, handed over, returned and still holds — and the bags a platform's support desk asks about.

Every count comes from one grouped read over the site's (site_id, delivery_date) index for the chosen days, so it
costs the same whatever the site's history. The categories follow the order lifecycle (docs/schema.md):

- received: checked in (``received_at`` set), whatever happened next;
- not delivered: reported as a problem before it was ever checked in (the volunteer saw it was missing);
- problems: reported as a problem after check-in (damaged, wrong bag …);
- not checked in: still ``expected`` — awaited on the day itself, unaccounted for on a later day;
- handed over, returned, still held (in a slot).

A day and platform balances when manifest = received + not delivered + not checked in, and received = handed over
+ returned + still held + problems; a past day must also have nothing left unaccounted for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.core.models import SLOTTED_ORDER_STATUSES, Event, Order
from db.orders.lifecycle import item_count_column

# The longest span one reconciliation covers: a quarter of a year of days × platforms.
MAX_RECONCILIATION_DAYS = 92
RECONCILIATION_COLUMNS = [
    "delivery_date",
    "platform",
    "in_manifest",
    "received",
    "not_delivered",
    "problems",
    "not_checked_in",
    "handed_over",
    "returned",
    "still_held",
    "balance",
]
# Whether a day and platform balances, and if not why.
BALANCED = "balanced"
FLAG_UNACCOUNTED = "unaccounted"  # a past day with bags neither checked in nor reported missing
FLAG_MISMATCH = "mismatch"  # the counts do not add up (a correction left an order inconsistent)
# The bags a platform's support desk asks about, in the columns it asks for.
BAG_COLUMNS = [
    "platform",
    "delivery_date",
    "order_number",
    "pickup_code",
    "item_count",
    "issue",
    "reason",
    "reported_at",
]
BAG_ISSUES = ("not_delivered", "problem", "unaccounted")


def reconcile_deliveries(
    session: Session, *, site_id: int, start: dt.date, end: dt.date, today: dt.date
) -> pd.DataFrame:
    """One row per delivery day and platform in `start`…`end` (at most MAX_RECONCILIATION_DAYS, the latest kept),
    newest day first, with the counts above and `balance` (BALANCED, FLAG_UNACCOUNTED or FLAG_MISMATCH)."""
    start = max(start, end - dt.timedelta(days=MAX_RECONCILIATION_DAYS - 1))
    received = Order.received_at.is_not(None)

    def counted(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select(
            Order.delivery_date,
            Order.platform,
            func.count(),
            counted(received),
            counted(and_(Order.status == "problem", Order.received_at.is_(None))),
            counted(and_(Order.status == "problem", received)),
            counted(Order.status == "expected"),
            counted(Order.status == "picked_up"),
            counted(Order.status == "returned"),
            counted(Order.status.in_(SLOTTED_ORDER_STATUSES)),
        )
        .where(Order.site_id == site_id, Order.delivery_date >= start, Order.delivery_date <= end)
        .group_by(Order.delivery_date, Order.platform)
        .order_by(Order.delivery_date.desc(), Order.platform)
    ).all()
    records = []
    for day, platform, *numbers in rows:
        counts = dict(zip(RECONCILIATION_COLUMNS[2:-1], (int(number or 0) for number in numbers), strict=True))
        balance = _balance(counts, day=day, today=today)
        records.append({"delivery_date": day, "platform": platform, **counts, "balance": balance})
    return pd.DataFrame(records, columns=RECONCILIATION_COLUMNS)


def _balance(counts: dict[str, int], *, day: dt.date, today: dt.date) -> str:
    arrived = counts["received"] + counts["not_delivered"] + counts["not_checked_in"]
    left = counts["handed_over"] + counts["returned"] + counts["still_held"] + counts["problems"]
    if arrived != counts["in_manifest"] or left != counts["received"]:
        return FLAG_MISMATCH
    if day < today and counts["not_checked_in"]:
        return FLAG_UNACCOUNTED
    return BALANCED


def _issue(*, status: str, received: bool) -> str:
    if status != "problem":
        return "unaccounted"
    return "problem" if received else "not_delivered"


def list_reconciliation_bags(
    session: Session, *, site_id: int, delivery_date: dt.date, platform: str | None, today: dt.date
) -> pd.DataFrame:
    """The bags of one delivery day (one platform, or all when `platform` is None) that the platform must hear
    about: not delivered, problem, and — on a past day — never checked in; by platform, issue and pickup code.
    `reported_at` is when the problem was reported (UTC), None for an unaccounted bag."""
    unaccounted = Order.status == "expected" if delivery_date < today else False
    reported = (
        select(func.max(Event.happened_at))
        .where(Event.entity == "order", Event.entity_id == Order.id, Event.action == "order.problem")
        .correlate(Order)
        .scalar_subquery()
    )
    items = item_count_column()
    conditions = [Order.site_id == site_id, Order.delivery_date == delivery_date]
    if platform is not None:
        conditions.append(Order.platform == platform)
    rows = session.execute(
        select(
            Order.platform,
            Order.delivery_date,
            Order.order_number,
            Order.pickup_code,
            items,
            Order.status,
            Order.received_at,
            Order.problem_reason,
            reported,
        )
        .where(*conditions, (Order.status == "problem") | unaccounted)
        .order_by(Order.platform, Order.pickup_code)
    ).all()
    records = []
    for platform_, day, number, code, item_count, status, received_at, reason, reported_at in rows:
        issue = _issue(status=status, received=received_at is not None)
        records.append(
            {
                "platform": platform_,
                "delivery_date": day,
                "order_number": number,
                "pickup_code": code,
                "item_count": int(item_count),
                "issue": issue,
                "reason": reason or "",
                "reported_at": reported_at if status == "problem" else None,
            }
        )
    records.sort(key=lambda record: (record["platform"], BAG_ISSUES.index(record["issue"]), record["pickup_code"]))
    return pd.DataFrame(records, columns=BAG_COLUMNS)
