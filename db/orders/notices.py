"""Residents' notices for a building's group chat: today's arrivals and the overdue reminder, one line per bag,
grouped by building; and the record that a notice was copied, on each bag it named, so the desk can tell whether a
resident was told (db.orders.calls.last_contacts reads it back with the calls).

A group text is read by every neighbour in the chat, so it carries no key to a bag: no pickup code, no phone tail,
only what lets a resident know the bag is theirs (the masked name, the building, the storage class, the collect-by
day). What it carries from data (the site's name, a closed day's note, the masked name) is made plain for a chat app
(`plain_for_chat`): nothing in it is a link, a phone number or an e-mail address to tap.

Only data here; the words around it are the UI's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from db.core.clock import local_today
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import SLOTTED_ORDER_STATUSES, Order, Site
from db.core.privacy import mask_given_name
from db.orders.buildings import building_of, building_order
from db.orders.lifecycle import class_hold_days, collect_by, hold_days_of, overdue_condition
from db.people.opening_hours import ClosedDate, DayHours, hours_on, list_closed_days
from db.people.sites import get_site_rules

NOTICE_KINDS = ("arrivals", "overdue")
TOLD_ACTION = "order.told"
# A building's chat takes a long message, not an endless one: the rest goes in the next notice.
MAX_NOTICE_BAGS = 500


@dataclass(frozen=True)
class NoticeLine:
    order_id: int
    masked_name: str
    storage_class: str
    collect_by: dt.date


@dataclass(frozen=True)
class Notice:
    kind: str
    site_name: str
    day: dt.date
    # The site's hours that day (closed: no times), and for arrivals the closed dates from that day to the latest
    # collect-by day (a collect-by day that falls on a closed day has already run on to the next open day).
    hours: DayHours
    closed_days: list[ClosedDate]
    # Building ("12号"; "" when the address names none plainly, always last) → its bags.
    buildings: dict[str, list[NoticeLine]]

    @property
    def order_ids(self) -> list[int]:
        return [line.order_id for lines in self.buildings.values() for line in lines]

    def of_building(self, building: str) -> Notice:
        """The same notice for one building's group: its bags only."""
        return replace(self, buildings={building: self.buildings[building]})


@dataclass(frozen=True)
class Told:
    kind: str
    told_at: dt.datetime
    told_by: str


def arrivals_notice(session: Session, *, site_id: int, day: dt.date) -> Notice:
    """The bags of the day's delivery that are in a slot now, ready to collect."""
    return _notice(session, site_id=site_id, kind="arrivals", day=day, delivered=Order.delivery_date == day)


def overdue_notice(session: Session, *, site_id: int, now: dt.datetime) -> Notice:
    """The bags in a slot past their collect-by day."""
    today = local_today(now)
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    overdue = overdue_condition(hold_days=hold_days, today=today)
    return _notice(session, site_id=site_id, kind="overdue", day=today, delivered=overdue)


def _notice(session: Session, *, site_id: int, kind: str, day: dt.date, delivered: ColumnElement[bool]) -> Notice:
    rules = get_site_rules(session, site_id=site_id)
    site_name = session.scalar(select(Site.name).where(Site.id == site_id)) or ""
    # Never the pickup code or the phone tail: the group text must not open a neighbour's bag.
    rows = session.execute(
        select(Order.id, Order.resident_name, Order.address, Order.delivery_date, Order.storage_class)
        .where(Order.site_id == site_id, Order.status.in_(SLOTTED_ORDER_STATUSES), delivered)
        .order_by(Order.pickup_code)
        .limit(MAX_NOTICE_BAGS)
    ).all()
    buildings: dict[str, list[NoticeLine]] = {}
    hold_days = class_hold_days(rules)
    for order_id, name, address, delivery_date, storage_class in rows:
        buildings.setdefault(building_of(address), []).append(
            NoticeLine(
                order_id=order_id,
                masked_name=plain_for_chat(mask_given_name(name)),
                storage_class=storage_class,
                collect_by=collect_by(delivery_date=delivery_date, hold_days=hold_days_of(hold_days, storage_class)),
            )
        )
    ordered = dict(sorted(buildings.items(), key=lambda item: building_order(item[0])))
    last_day = max((line.collect_by for lines in buildings.values() for line in lines), default=day)
    closed_days = (
        list_closed_days(session, site_id=site_id, first=day, last=last_day) if kind == "arrivals" and buildings else []
    )
    return Notice(
        kind=kind,
        site_name=plain_for_chat(site_name),
        day=day,
        hours=hours_on(session, site_id=site_id, day=day),
        closed_days=[replace(closed, note=plain_for_chat(closed.note)) for closed in closed_days],
        buildings=ordered,
    )


# What chat apps (WeChat, iOS and Android data detectors) make tappable, and how each is broken, visibly, the way
# security notes "defang" a link: `//` → `[//]` (`http:[//]`), a dot before a letter → `[.]`, `a@b` → `a[at]b`, and a
# run of 5 or more digits (a phone, a hotline) → groups of at most 4 joined by `·` (`138·1234·5678` is read,
# not dialled). Full-width letters, digits and `：／．＠｡` are folded first, so `ｗｗｗ．` is caught too (Chinese
# punctuation such as `，（）` stays as typed).
_FOLD = (
    {
        code: code - 0xFEE0
        for code in (
            *range(ord("０"), ord("９") + 1),
            *range(ord("Ａ"), ord("Ｚ") + 1),
            *range(ord("ａ"), ord("ｚ") + 1),
        )
    }
    | {ord(char): ord(char) - 0xFEE0 for char in "：／．＠"}
    | {ord("｡"): ord(".")}
)
_SLASHES = re.compile(r"/{2,}")
_DOT = re.compile(r"(?<=\S)\.(?=[A-Za-z])|(?<=[0-9A-Za-z])。(?=[A-Za-z])")
_AT = re.compile(r"(?<=\S)@(?=\S)")
_DIGIT_RUN = re.compile(r"\d(?:[\s\-.()/+]{0,2}\d)*")
_LONG_RUN = 5
_GROUP = 4


def plain_for_chat(text: str) -> str:
    """`text` from data as a chat app will not make it a link: URLs, domains, e-mail addresses and phone-like digit
    runs broken visibly, everything else as typed."""
    text = text.translate(_FOLD)
    text = _SLASHES.sub(lambda match: f"[{match[0]}]", text)
    text = _DOT.sub("[.]", text)
    text = _AT.sub("[at]", text)
    return _DIGIT_RUN.sub(_break_digits, text)


def _break_digits(match: re.Match[str]) -> str:
    run = match[0]
    digits = [group for group in re.split(r"\D+", run) if group]
    if sum(map(len, digits)) < _LONG_RUN:
        return run
    # Groups of 4 counted from the right, as a mobile number is written (138 1234 5678).
    return "·".join(group[max(0, end - _GROUP) : end] for group in digits for end in _group_ends(len(group)))


def _group_ends(length: int) -> range:
    return range(length % _GROUP or _GROUP, length + 1, _GROUP)


def record_notice_copied(
    session: Session, *, site_id: int, kind: str, order_ids: list[int], volunteer_id: int, now: dt.datetime
) -> int:
    """A volunteer copied a notice naming these bags (to paste in the group): an event on each bag of the site.
    Returns how many."""
    if kind not in NOTICE_KINDS:
        raise InvalidValue("error.notice_kind_unknown")
    found = session.scalars(select(Order.id).where(Order.site_id == site_id, Order.id.in_(order_ids))).all()
    if not order_ids or len(found) != len(set(order_ids)):
        raise NotFound("error.order_not_found")
    for order_id in found:
        record_event(
            session,
            site_id=site_id,
            actor_id=volunteer_id,
            action=TOLD_ACTION,
            entity="order",
            entity_id=order_id,
            now=now,
            after={"notice": kind},
        )
    return len(found)
