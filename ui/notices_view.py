"""Residents' notices as the text a volunteer pastes into a building's group chat (plain text, the UI's language),
the copy button that records who copied it for which bags, and how many of them were told before."""

from __future__ import annotations

from functools import partial

import streamlit as st

from db.core.clock import utc_now
from db.orders.notices import Notice, NoticeLine, record_notice_copied
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.clipboard import copy_button
from ui.i18n import t
from ui.store import bookkeeping_scope

# Each kind of notice: its heading, a bag's line, and what it says when no bag is named.
HEADS = {"arrivals": "notices.arrivals_head", "overdue": "notices.overdue_head"}
LINES = {"arrivals": "notices.arrivals_line", "overdue": "notices.overdue_line"}
NONE = {"arrivals": "notices.arrivals_none", "overdue": "notices.overdue_none"}


def notice_text(notice: Notice) -> str:
    """The whole message: a heading with the day's hours (or that the pickup point is closed that day), for
    arrivals the collect-by day and the closed dates until then, then each building and its bags."""
    lines = [t(HEADS[notice.kind], site=notice.site_name, day=notice.day, hours=day_hours_words(notice)).plain]
    if notice.kind == "arrivals" and notice.order_ids:
        first = next(iter(notice.buildings.values()))[0]
        lines.append(t("notices.collect_by", day=first.collect_by).plain)
        if notice.closed_days:
            lines.append(t("notices.closed_days").plain)
            lines.extend(
                t("notices.closed_day", day=closed.day, note=closed.note).plain.rstrip()
                for closed in notice.closed_days
            )
    for building, bags in notice.buildings.items():
        lines.append("")
        lines.append(
            t("notices.building", number=building.rstrip("号")).plain if building else t("notices.no_building").plain
        )
        lines.extend(_bag_line(notice.kind, bag) for bag in bags)
    return "\n".join(lines)


def day_hours_words(notice: Notice) -> str:
    """The notice day's hours as the heading says them: 开放时间 09:00–12:00, or closed that day."""
    hours = notice.hours
    if hours.opens_at is None or hours.closes_at is None:
        return t("notices.closed_that_day").plain
    return t("notices.open_hours", opens=hours.opens_at, closes=hours.closes_at).plain


def _bag_line(kind: str, bag: NoticeLine) -> str:
    words = {"name": bag.masked_name, "tail": bag.phone_tail, "code": bag.pickup_code, "slot": bag.slot_code or "—"}
    return t(LINES[kind], collect_by=bag.collect_by, **words).plain


def copy_notice(user: SignedIn, notice: Notice, *, text: str) -> None:
    """The copy button; once the browser copied the text, each bag of the notice records that it was told."""
    record = partial(
        record_notice_copied,
        site_id=user.site_id,
        kind=notice.kind,
        order_ids=notice.order_ids,
        volunteer_id=user.volunteer_id,
        now=utc_now(),
    )

    def copied() -> None:
        run_change(record, done_key="notices.recorded", result_as="count", scope=bookkeeping_scope, rerun=False)

    copy_button(
        text,
        key=f"notice_copy_{notice.kind}",
        label=t("notices.copy").plain,
        done=t("notices.copied").plain,
        failed=t("notices.copy_failed").plain,
        on_copied=copied,
    )


def show_notice(user: SignedIn, notice: Notice, *, told_before: int) -> None:
    if not notice.order_ids:
        st.info(t(NONE[notice.kind]))
        return
    text = notice_text(notice)
    st.caption(t("notices.count", count=len(notice.order_ids), told=told_before))
    copy_notice(user, notice, text=text)
    # As it will be pasted: plain text, nothing read as Markdown.
    st.text(text)
