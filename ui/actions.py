"""The one way a page runs a store change: one transaction, a refusal said in words, the notice, a fresh run."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from db.core.errors import StoreError
from ui.session import post_notice
from ui.store import session_scope
from ui.widgets import show_error

Result = TypeVar("Result")


def run_change(
    change: Callable[[Session], Result],
    *,
    done_key: str | None = None,
    result_as: str | None = None,
    then: Callable[[Result], None] | None = None,
    refused: Callable[[StoreError], None] = show_error,
    scope: Callable[[], AbstractContextManager[Session]] = session_scope,
    rerun: bool = True,
    **params: Any,
) -> None:
    """`change(session)` in its own transaction (`scope`: the app's write scope; ui.store.bookkeeping_scope for a
    change no figure shows). A StoreError rolls it back and `refused` says why (translated, in place). Once it is
    committed: `then(result)` keeps what the next run shows (an undo, a list of refusals), the notice `done_key`
    is posted with `params` (plus the result as the parameter `result_as`: a count, the slot a bag went to), and the
    page starts over so every table shows the change. `rerun=False` for a change told in place (a form's success)
    or made in a widget callback, where Streamlit runs the page afresh anyway."""
    try:
        with scope() as session:
            result = change(session)
    except StoreError as error:
        refused(error)
        return
    if then is not None:
        then(result)
    if done_key is not None:
        post_notice(done_key, **params, **({result_as: result} if result_as else {}))
    if rerun:
        st.rerun()


def keep(key: str) -> Callable[[Any], None]:
    """A `then` for run_change: the result goes to session_state[key] for the next run to show."""

    def _keep(result: Any) -> None:
        st.session_state[key] = result

    return _keep


def forget(*keys: str) -> None:
    """Drops session_state keys (an undo that is spent); a `then` for run_change via `lambda _: forget(...)`."""
    for key in keys:
        st.session_state.pop(key, None)
