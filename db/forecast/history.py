"""What the forecast learns from and starts from, read as of an origin: the rollups of the days before it, the bags
in a slot at it, and the expected bags imported by then (the delivery rollups' orders not yet checked in, the same
count as the orders' (site, status, delivery date) index gives, from rows read anyway). Bounded reads through the
rollups' keys; never a site's whole order history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.models import DeliveryRollup, HeldRollup, HourRollup, Order

# Eight weeks of history teach the delays and the hours; the forecast reaches this many days.
WINDOW_DAYS = 56
HORIZON_DAYS = 7


@dataclass
class SiteHistory:
    """One site's rollups over the window, as known at the origin."""

    first_day: dt.date | None = None  # its first delivery day in the window (None: no history)
    # (delivery date, storage class) → bags checked in, and bags that left on day k after the delivery (left by
    # the origin's last complete day).
    checked_in: dict[tuple[dt.date, str], int] = field(default_factory=lambda: defaultdict(int))
    left: dict[tuple[dt.date, str, int], int] = field(default_factory=lambda: defaultdict(int))
    # (delivery date, platform, storage class) → orders, received, returned (delivery_rollups).
    orders: dict[tuple[dt.date, str, str], int] = field(default_factory=lambda: defaultdict(int))
    received: dict[tuple[dt.date, str], int] = field(default_factory=lambda: defaultdict(int))
    returned: dict[tuple[dt.date, str], int] = field(default_factory=lambda: defaultdict(int))
    # local day → hour → (checked in, handed over or returned)
    check_ins_by_hour: dict[dt.date, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    pickups_by_hour: dict[dt.date, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))


@dataclass(frozen=True)
class Stock:
    """Bags in a slot at the origin: (delivery date, storage class) → bags."""

    bags: dict[tuple[dt.date, str], int]


@dataclass(frozen=True)
class Rows:
    """A site's rollup rows over a span of days, read once; `as_of` gives what was known at an origin (the
    backtest and the recent accuracy read once and forecast many origins from it)."""

    held: list[tuple[dt.date, dt.date, dt.date, str, int]]  # delivery, received day, left day, class, bags
    # delivery, platform, class, orders, received, returned, problems
    deliveries: list[tuple[dt.date, str, str, int, int, int, int]]
    hours: list[tuple[dt.date, int, int, int]]  # day, hour, checked in, left (handed over or returned)

    def as_of(self, *, observed_until: dt.date, first_day: dt.date) -> SiteHistory:
        history = SiteHistory()
        for delivery, received_day, left_day, storage_class, bags in self.held:
            if delivery < first_day or delivery > observed_until or received_day > observed_until:
                continue
            history.checked_in[(delivery, storage_class)] += bags
            if left_day <= observed_until:
                history.left[(delivery, storage_class, (left_day - delivery).days)] += bags
        for delivery, platform, storage_class, orders, received, returned, _ in self.deliveries:
            if delivery < first_day or delivery > observed_until:
                continue
            if orders:
                history.first_day = delivery if history.first_day is None else min(history.first_day, delivery)
            history.orders[(delivery, platform, storage_class)] += orders
            history.received[(delivery, storage_class)] += received
            history.returned[(delivery, storage_class)] += returned
        for day, hour, received, leaving in self.hours:
            if first_day <= day <= observed_until:
                history.check_ins_by_hour[day][hour] = history.check_ins_by_hour[day].get(hour, 0) + received
                history.pickups_by_hour[day][hour] = history.pickups_by_hour[day].get(hour, 0) + leaving
        return history

    def stock(self, *, after: dt.date) -> Stock:
        """Bags checked in by the end of `after` that had not left by then."""
        bags: dict[tuple[dt.date, str], int] = defaultdict(int)
        for delivery, received_day, left_day, storage_class, count in self.held:
            if received_day <= after < left_day:
                bags[(delivery, storage_class)] += count
        return Stock(bags={key: count for key, count in bags.items() if count})

    def delivered(self, *, first: dt.date, last: dt.date) -> dict[tuple[dt.date, str, str], int]:
        """Orders per (delivery day, platform, class) of the days first..last, as the rollups hold them now."""
        return {
            (delivery, platform, storage_class): orders
            for delivery, platform, storage_class, orders, _, _, _ in self.deliveries
            if first <= delivery <= last and orders
        }

    def expected(self, *, first: dt.date, last: dt.date) -> dict[tuple[dt.date, str, str], int]:
        """Bags imported and not yet checked in (nor reported missing) per (delivery day, platform, class) of the
        days first..last: the delivery rollups' orders less received less problems (rows read anyway)."""
        waiting: dict[tuple[dt.date, str, str], int] = defaultdict(int)
        for delivery, platform, storage_class, orders, received, _, problems in self.deliveries:
            if first <= delivery <= last:
                waiting[(delivery, platform, storage_class)] += orders - received - problems
        return {key: count for key, count in waiting.items() if count > 0}


def read_rows(session: Session, *, site_ids: list[int], first_day: dt.date, last_day: dt.date) -> dict[int, Rows]:
    """The rollup rows of `site_ids` from `first_day` to `last_day` (held rows: those that left from `first_day`
    on, or are still held): three range reads on the rollups' keys (site, day …), a few thousand rows a site,
    through the tables' columns (no ORM rows to build)."""
    held_table, delivery_table, hour_table = HeldRollup.__table__.c, DeliveryRollup.__table__.c, HourRollup.__table__.c
    connection = session.connection()
    held: dict[int, list[tuple[dt.date, dt.date, dt.date, str, int]]] = {site_id: [] for site_id in site_ids}
    for site_id, delivery, received_day, left_day, storage_class, bags in connection.execute(
        select(
            held_table.site_id,
            held_table.delivery_date,
            held_table.received_day,
            held_table.left_day,
            held_table.storage_class,
            held_table.bags,
        ).where(_sites(held_table.site_id, site_ids), held_table.left_day >= first_day)
    ).all():
        if bags:
            held[site_id].append((delivery, received_day, left_day, storage_class, bags))
    deliveries: dict[int, list[tuple[dt.date, str, str, int, int, int, int]]] = {site_id: [] for site_id in site_ids}
    for site_id, delivery, platform, storage_class, orders, received, returned, problems in connection.execute(
        select(
            delivery_table.site_id,
            delivery_table.delivery_date,
            delivery_table.platform,
            delivery_table.storage_class,
            delivery_table.orders,
            delivery_table.received,
            delivery_table.returned,
            delivery_table.problems,
        ).where(
            _sites(delivery_table.site_id, site_ids),
            delivery_table.delivery_date >= first_day,
            delivery_table.delivery_date <= last_day,
        )
    ).all():
        deliveries[site_id].append((delivery, platform, storage_class, orders, received, returned, problems))
    hours: dict[int, list[tuple[dt.date, int, int, int]]] = {site_id: [] for site_id in site_ids}
    for site_id, day, hour, received, picked_up, returned in connection.execute(
        select(
            hour_table.site_id,
            hour_table.day,
            hour_table.hour,
            hour_table.received,
            hour_table.picked_up,
            hour_table.returned,
        ).where(_sites(hour_table.site_id, site_ids), hour_table.day >= first_day, hour_table.day <= last_day)
    ).all():
        hours[site_id].append((day, hour, received, picked_up + returned))
    return {
        site_id: Rows(held=held[site_id], deliveries=deliveries[site_id], hours=hours[site_id]) for site_id in site_ids
    }


def _sites(column: Any, site_ids: list[int]) -> Any:
    """`site_id = ?` for one site (the plain equality every planner seeks by), IN for many."""
    return column == site_ids[0] if len(site_ids) == 1 else column.in_(site_ids)


def read_imported_by(
    session: Session, *, site_id: int, first: dt.date, last: dt.date, origin: dt.datetime
) -> dict[tuple[dt.date, str, str], int]:
    """For the backtest: the bags of delivery days first..last whose orders were created before `origin` (the
    manifests imported by then), whatever became of them since."""
    rows = session.execute(
        select(Order.delivery_date, Order.platform, Order.storage_class, func.count())
        .where(
            Order.site_id == site_id,
            Order.delivery_date >= first,
            Order.delivery_date <= last,
            Order.created_at < origin,
        )
        .group_by(Order.delivery_date, Order.platform, Order.storage_class)
    )
    return {(day, platform, storage_class): count for day, platform, storage_class, count in rows}
