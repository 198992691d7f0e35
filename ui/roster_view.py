"""What the roster pages share: a shift worded in the reader's language, and one change run with its notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import to_local
from db.core.errors import StoreError
from ui.i18n import t
from ui.session import post_notice
from ui.store import session_scope
from ui.widgets import show_error


def day_label(day: dt.date) -> str:
    """`11-30 周一` / `11-30 Mon`."""
    return f"{day:%m-%d} {t(f'value.weekday.{day.weekday()}')}"


def shift_label(*, starts_at: dt.datetime, ends_at: dt.datetime, role: str) -> str:
    """`11-30 周一 16:00–18:30 · 发货`: what a volunteer reads on a button."""
    starts, ends = to_local(starts_at), to_local(ends_at)
    return f"{day_label(starts.date())} {starts:%H:%M}–{ends:%H:%M} · {t(f'value.role.{role}')}"


def staffing_label(*, staffed: int, min_staff: int, max_staff: int) -> str:
    return t("roster.staffing", staffed=staffed, min_staff=min_staff, max_staff=max_staff)


def run_change(change: Callable[[Session], object], notice_key: str, **params: object) -> None:
    """One change in its own transaction: on success rerun and say so, on refusal say why, translated."""
    try:
        with session_scope() as session:
            change(session)
    except StoreError as error:
        show_error(error)
    else:
        post_notice(notice_key, **params)
        st.rerun()
