"""Residents' notices as the text a volunteer pastes into a group chat (plain text, the UI's language): one copy
button for the whole estate and one per building, each recording as told only the bags of the text it copied, and
how many of them were told before. Each copy is also in the outbox, as copied (pages/outbox.py).

The text names a bag as neighbours may read it (masked name, building, storage class, collect-by day) and never
carries what opens it at the desk (pickup code, phone tail): see db.orders.notices."""

from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import utc_now
from db.orders.notices import Notice, NoticeLine, record_notice_copied
from db.outbox.messages import record_copied
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.clipboard import copy_button
from ui.i18n import t
from ui.store import bookkeeping_scope

# Each kind of notice: its heading, a bag's line, and what it says when no bag is named.
HEADS = {"arrivals": "notices.arrivals_head", "overdue": "notices.overdue_head"}
LINES = {"arrivals": "notices.arrivals_line", "overdue": "notices.overdue_line"}
NONE = {"arrivals": "notices.arrivals_none", "overdue": "notices.overdue_none"}
# A copied notice's kind in the outbox (value.message_kind.<kind>).
COPIED_KINDS = {"arrivals": "arrivals_notice", "overdue": "overdue_notice"}
# Building buttons to a row: three fit the counter tablet; a phone stacks them.
BUTTONS_PER_ROW = 3


def notice_text(notice: Notice) -> str:
    """The whole message: a heading with the day's hours (or that the pickup point is closed that day), for
    arrivals the collect-by day (when the bags share one) and the closed dates until then, then each building and
    its bags."""
    lines = [t(HEADS[notice.kind], site=notice.site_name, day=notice.day, hours=day_hours_words(notice)).plain]
    shared_day = _shared_collect_by(notice)
    if notice.kind == "arrivals" and notice.order_ids:
        if shared_day is not None:
            lines.append(t("notices.collect_by", day=shared_day).plain)
        if notice.closed_days:
            lines.append(t("notices.closed_days").plain)
            lines.extend(
                t("notices.closed_day", day=closed.day, note=closed.note).plain.rstrip()
                for closed in notice.closed_days
            )
    for building, bags in notice.buildings.items():
        lines.append("")
        lines.append(building_words(building, key="notices.building", unknown_key="notices.no_building"))
        lines.extend(_bag_line(notice.kind, bag, with_day=shared_day is None) for bag in bags)
    return "\n".join(lines)


def day_hours_words(notice: Notice) -> str:
    """The notice day's hours as the heading says them: 开放时间 09:00–12:00, or closed that day."""
    hours = notice.hours
    if hours.opens_at is None or hours.closes_at is None:
        return t("notices.closed_that_day").plain
    return t("notices.open_hours", opens=hours.opens_at, closes=hours.closes_at).plain


def building_words(building: str, *, key: str, unknown_key: str, **params: object) -> str:
    """A building ("12号") in a message, or the unknown building's own message."""
    if not building:
        return t(unknown_key, **params).plain
    return t(key, number=building.removesuffix("号"), **params).plain


def _shared_collect_by(notice: Notice) -> dt.date | None:
    """The collect-by day every bag of the notice shares; None when they differ (each line then says its own)."""
    days = {line.collect_by for lines in notice.buildings.values() for line in lines}
    return days.pop() if len(days) == 1 else None


def _bag_line(kind: str, bag: NoticeLine, *, with_day: bool) -> str:
    key = "notices.arrivals_line_by" if kind == "arrivals" and with_day else LINES[kind]
    # `kind` is a coded parameter: the storage class in the reader's words (冷藏).
    return t(key, name=bag.masked_name, kind=bag.storage_class, collect_by=bag.collect_by).plain


def copy_notice(user: SignedIn, notice: Notice, *, key: str, label: str) -> None:
    """A copy button for `notice` (the estate's or one building's); once the browser copied its text, each bag of
    that text, and only those, records that it was told."""
    text = notice_text(notice)
    record = partial(
        record_copy,
        site_id=user.site_id,
        notice=notice,
        text=text,
        volunteer_id=user.volunteer_id,
        now=utc_now(),
    )

    def copied() -> None:
        run_change(record, done_key="notices.recorded", result_as="count", scope=bookkeeping_scope, rerun=False)

    copy_button(
        text,
        key=key,
        label=label,
        done=t("notices.copied").plain,
        failed=t("notices.copy_failed").plain,
        on_copied=copied,
    )


def record_copy(
    session: Session, *, site_id: int, notice: Notice, text: str, volunteer_id: int, now: dt.datetime
) -> int:
    """One copy, in one transaction: each bag of the text told, and the text in the outbox as copied (db.outbox:
    channel copy), so the outbox lists it beside what the robot and SMS sent. Returns how many bags."""
    count = record_notice_copied(
        session, site_id=site_id, kind=notice.kind, order_ids=notice.order_ids, volunteer_id=volunteer_id, now=now
    )
    record_copied(
        session,
        site_id=site_id,
        kind=COPIED_KINDS[notice.kind],
        values={"notice": notice.kind, "day": notice.day.isoformat(), "bags": len(notice.order_ids)},
        text=text,
        volunteer_id=volunteer_id,
        now=now,
        order_ids=notice.order_ids,
    )
    return count


def show_notice(user: SignedIn, notice: Notice, *, told: dict[int, str]) -> None:
    """The notice with its copy buttons; `told` is each bag told before → by which kind of notice."""
    if not notice.order_ids:
        st.info(t(NONE[notice.kind]))
        return
    st.caption(t("notices.count", count=len(notice.order_ids), told=len(told)))
    known = sum(1 for building in notice.buildings if building)
    if "" not in notice.buildings:
        estate_key = "notices.copy_all"
    else:
        estate_key = "notices.copy_all_unknown" if known else "notices.copy_all_no_building"
    copy_notice(
        user,
        notice,
        key=f"notice_copy_{notice.kind}_all",
        label=t(estate_key, count=len(notice.order_ids), buildings=known).plain,
    )
    if len(notice.buildings) > 1:
        building_buttons(user, notice, told={order_id for order_id, kind in told.items() if kind == notice.kind})
    # The whole estate's text as it will be pasted: plain text, nothing read as Markdown.
    st.text(notice_text(notice))


def building_buttons(user: SignedIn, notice: Notice, *, told: set[int]) -> None:
    """A copy button per building (the unknown building last), three to a row; a building whose bags were all told
    by this kind of notice says so, so a volunteer going through the groups sees which are done."""
    st.caption(t("notices.by_building"))
    buildings = list(notice.buildings)
    for start in range(0, len(buildings), BUTTONS_PER_ROW):
        row = buildings[start : start + BUTTONS_PER_ROW]
        for column, building in zip(st.columns(BUTTONS_PER_ROW), row, strict=False):
            with column:
                copy_notice(
                    user,
                    notice.of_building(building),
                    key=f"notice_copy_{notice.kind}_{building.removesuffix('号') or 'unknown'}",
                    label=_building_label(building, notice.buildings[building], told=told),
                )


def _building_label(building: str, bags: list[NoticeLine], *, told: set[int]) -> str:
    done = all(bag.order_id in told for bag in bags)
    return building_words(
        building,
        key="notices.copy_building_told" if done else "notices.copy_building",
        unknown_key="notices.copy_no_building_told" if done else "notices.copy_no_building",
        count=len(bags),
    )
