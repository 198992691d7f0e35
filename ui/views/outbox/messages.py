"""The outbox's parts: the organizer's list of what the app sent, is due to send or could not send (filtered by
status, channel and day; one message's text and the provider's answer; retry, cancel), what was sent about a bag,
a shift or a reading, and the dashboard's word on the runner (pages/outbox.py and the screens of bags, shifts and
readings lay them out). Recipients are masked by the store (db.outbox.messages); texts are shown as plain text."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from db.core.clock import utc_now
from db.core.models import CHANNELS, MESSAGE_STATUSES
from db.outbox.channels import channel_views
from db.outbox.messages import (
    CANCELLABLE_STATUSES,
    RETRYABLE_STATUSES,
    cancel_message,
    list_messages,
    messages_about,
    retry_message,
)
from db.outbox.runs import last_job_run
from db.people.login_sessions import SignedIn
from ui.actions import run_change
from ui.i18n import t
from ui.store import read_scope
from ui.tables import show_table, translate_codes
from ui.widgets import confirmed_button

# The list shows the newest this many; a day or a status narrows it.
LISTED = 200
# The runner runs every minute (cron, a systemd timer or `jobs serve`): silent this long, it is forgotten or broken.
RUNNER_LATE = dt.timedelta(minutes=10)
# The store's columns as the tables name them (`audience` and `kind` mean other things elsewhere in the app), and
# the value family of each coded one.
RENAMED = {"audience": "message_audience", "kind": "message_kind", "text": "message_text"}
CODES = {
    "status": "message_status",
    "channel": "channel",
    "message_audience": "message_audience",
    "message_kind": "message_kind",
}
# What an organizer scans for first (when, in what state, what, to whom) leads: on the 1024 px screen the table
# scrolls sideways for the rest.
LIST_COLUMNS = ["due_at", "status", "message_kind", "recipient", "channel", "sent_at", "message_audience"]
ABOUT_COLUMNS = ["due_at", "sent_at", "status", "channel", "message_kind", "recipient", "message_text"]
CHOSEN_KEY = "outbox_chosen"


def outbox_filters() -> tuple[dt.date | None, list[str], str | None]:
    """The day (of the due time, any when empty), the statuses (any when none) and the channel (any when none)."""
    # Options worded now, in this run's language (a format_func may be called outside the run).
    status_words = {code: t(f"value.message_status.{code}").plain for code in MESSAGE_STATUSES}
    channel_words = {code: t(f"value.channel.{code}").plain for code in CHANNELS}
    day_column, status_column, channel_column = st.columns([1.3, 2, 1.3])
    day = day_column.date_input(t("outbox.filter_day"), value=None, key="outbox_day")
    statuses = status_column.multiselect(
        t("outbox.filter_status"),
        MESSAGE_STATUSES,
        format_func=status_words.__getitem__,
        placeholder=t("outbox.filter_any"),
        key="outbox_status",
    )
    channel = channel_column.selectbox(
        t("outbox.filter_channel"),
        CHANNELS,
        index=None,
        format_func=channel_words.__getitem__,
        placeholder=t("outbox.filter_any"),
        key="outbox_channel",
    )
    return day, statuses, channel


def outbox_list(user: SignedIn) -> None:
    """The messages the filters let through, newest due first, and the one chosen with its retry or cancel."""
    day, statuses, channel = outbox_filters()
    with read_scope() as session:
        listed = list_messages(
            session, site_id=user.site_id, day=day, statuses=statuses or None, channel=channel, limit=LISTED
        )
    if listed.empty:
        st.info(t("outbox.none"))
        return
    shown = with_recipient_words(listed.rename(columns=RENAMED))
    st.caption(t("outbox.count_limited" if len(shown) >= LISTED else "outbox.count", count=len(shown)))
    show_table(shown[LIST_COLUMNS], codes=CODES)
    ids = [int(message_id) for message_id in shown["id"].tolist()]
    rows = dict(zip(ids, shown.itertuples(index=False), strict=True))
    labels = {message_id: message_label(row) for message_id, row in rows.items()}
    chosen = st.selectbox(
        t("outbox.choose"),
        list(rows),
        index=None,
        format_func=labels.__getitem__,
        placeholder=t("outbox.choose_placeholder"),
        key=CHOSEN_KEY,
    )
    if chosen is not None:
        message_detail(user, rows[chosen])


def with_recipient_words(frame: pd.DataFrame) -> pd.DataFrame:
    """One column says to whom: a volunteer by name with their masked mobile (王阿姨 138****5678), a resident by
    their masked phone; blank for a group."""
    words = [
        " ".join(part for part in (_blank(volunteer), _blank(recipient)) if part)
        for volunteer, recipient in zip(frame["volunteer"], frame["recipient"], strict=True)
    ]
    return frame.assign(recipient=words)


def message_label(row: Any) -> str:
    """`#12 · 12-07 18:00 · 班次提醒（提前 2 小时） · 发送失败`: enough to tell the messages of a list apart."""
    return t(
        "outbox.label",
        id=row.id,
        due=row.due_at,
        kind=translate_codes(row.message_kind, "message_kind"),
        status=translate_codes(row.status, "message_status"),
    ).plain


def message_detail(user: SignedIn, row: Any) -> None:
    """One message: to whom, through what, when; its text as sent; the provider's last answer; and what an
    organizer may do with it."""
    with st.container(border=True):
        st.markdown(
            t(
                "outbox.detail",
                kind=translate_codes(row.message_kind, "message_kind"),
                status=translate_codes(row.status, "message_status"),
                channel=translate_codes(row.channel, "channel"),
                audience=translate_codes(row.message_audience, "message_audience"),
                recipient=row.recipient or "—",
                attempts=int(row.attempts),
            )
        )
        st.caption(
            t("outbox.detail_times", due=row.due_at)
            if _missing(row.sent_at)
            else t("outbox.detail_times_sent", due=row.due_at, sent=row.sent_at)
        )
        # The text as it went out (or will): plain text, never read as Markdown.
        st.text(row.message_text)
        if not _missing(row.provider_answer):
            st.caption(t("outbox.answer"))
            st.text(row.provider_answer)
        if row.status == "unknown":
            st.warning(t("outbox.unknown_help"))
        message_actions(user, row)


def message_actions(user: SignedIn, row: Any) -> None:
    """Retry a failed, given-up or unknown message (asked once more: an unknown one may have arrived); cancel a due
    or failed one."""
    message_id = int(row.id)
    if row.status in RETRYABLE_STATUSES and confirmed_button(
        t("outbox.retry"),
        key=f"outbox_retry_{message_id}",
        question=t("outbox.retry_unknown_question" if row.status == "unknown" else "outbox.retry_question"),
        primary=True,
    ):
        retry = partial(retry_message, message_id=message_id, volunteer_id=user.volunteer_id, now=utc_now())
        run_change(retry, done_key="outbox.retried", id=message_id)
    if row.status in CANCELLABLE_STATUSES and confirmed_button(
        t("outbox.cancel"), key=f"outbox_cancel_{message_id}", question=t("outbox.cancel_question")
    ):
        cancel = partial(cancel_message, message_id=message_id, volunteer_id=user.volunteer_id, now=utc_now())
        run_change(cancel, done_key="outbox.cancelled", id=message_id)


def sent_about(*, order_id: int | None = None, shift_id: int | None = None, reading_id: int | None = None) -> None:
    """What the app sent (or is due to send, or copied) about one bag, shift or reading, under its own heading."""
    with read_scope() as session:
        about = messages_about(session, order_id=order_id, shift_id=shift_id, reading_id=reading_id)
    st.markdown(f"**{t('outbox.sent_about')}**")
    if about.empty:
        st.caption(t("outbox.sent_about_none"))
        return
    show_table(
        with_recipient_words(about.rename(columns=RENAMED))[ABOUT_COLUMNS],
        codes={column: family for column, family in CODES.items() if column in ABOUT_COLUMNS},
    )


def runner_notice(*, site_id: int, now: dt.datetime) -> None:
    """Where the site has a channel switched on: when the runner last ran, and a warning when it has not for
    RUNNER_LATE (a forgotten cron line is the usual reason nothing goes out)."""
    with read_scope() as session:
        if not any(view.enabled for view in channel_views(session, site_id=site_id)):
            return
        last = last_job_run(session)
    if last is None:
        st.warning(t("outbox.runner_never"))
    elif now - last.started_at >= RUNNER_LATE:
        minutes = int((now - last.started_at).total_seconds() // 60)
        st.warning(t("outbox.runner_late", at=last.started_at, minutes=minutes))
    else:
        st.caption(t("outbox.runner_ran", at=last.started_at))


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _blank(value: Any) -> str:
    return "" if _missing(value) else str(value)
