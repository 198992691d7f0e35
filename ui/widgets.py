"""Widget patterns the pages share: the page's heading, tablet-sized buttons, the question before a change, the
camera scan and a translated refusal. Tables, event words, switches, QR codes, the secret form and the style sheet
have modules of their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from db.core.errors import StoreError
from ui.i18n import (
    t,
)
from ui.pages_registry import page_spec
from ui.scan import decode_qr


def page_header(name: str) -> None:
    """The page's title and the one paragraph saying what it holds."""
    spec = page_spec(name)
    st.title(t(spec.title_key))
    st.markdown(t(spec.intro_key))


def big_button(
    label: str, *, key: str, primary: bool = False, disabled: bool = False, on_click: Callable[[], None] | None = None
) -> bool:
    """A full-width button, easy to hit on the counter's tablet; `on_click` runs before the next run (it may reset
    other widgets, which the page itself cannot do once they are drawn)."""
    return st.button(
        label,
        key=key,
        type="primary" if primary else "secondary",
        width="stretch",
        disabled=disabled,
        on_click=on_click,
    )


def ask_first(key: str, subject: Any = True) -> None:
    """The first tap of a change that asks once more: `subject` (a bag, the chosen orders) waits in the session
    under `key` until "yes" or "no", so the question survives reruns (and another tablet's change meanwhile)."""
    st.session_state[key] = subject


def confirmation(
    key: str,
    *,
    question: str,
    yes: str | None = None,
    no: str | None = None,
    yes_key: str | None = None,
    no_key: str | None = None,
) -> Any:
    """The one "are you sure?" of the app: while something waits under `key` (ask_first), the question and two big
    buttons. Returns what waited on the run where "yes" is tapped (forgotten then); "no" forgets it and starts
    over; None on every other run."""
    subject = st.session_state.get(key)
    if subject is None:
        return None
    st.warning(question)
    if big_button(yes or t("confirm.yes"), key=yes_key or f"{key}_yes", primary=True):
        st.session_state.pop(key, None)
        return subject
    if big_button(no or t("confirm.no"), key=no_key or f"{key}_no"):
        st.session_state.pop(key, None)
        st.rerun()
    return None


def confirmed_button(
    label: str,
    *,
    key: str,
    question: str,
    primary: bool = False,
    yes: str | None = None,
    no: str | None = None,
    yes_key: str | None = None,
    no_key: str | None = None,
) -> bool:
    """A big button that asks once more (ask_first + confirmation): True only on the run where the second tap says
    yes; "no" backs out. The answer buttons are `{key}_yes` and `{key}_no` unless named."""
    if big_button(label, key=key, primary=primary):
        ask_first(f"{key}_pending")
    answered = confirmation(
        f"{key}_pending",
        question=question,
        yes=yes,
        no=no,
        yes_key=yes_key or f"{key}_yes",
        no_key=no_key or f"{key}_no",
    )
    return answered is not None


def camera_scan(*, key: str, fills: str) -> None:
    """Once the volunteer opens the camera: a photographed QR code or barcode goes into the text box `fills`
    (rendered after this), once per photo, so the volunteer sees what was read and can correct it."""
    if not st.toggle(t("scan.open_camera"), key=f"{key}_open"):
        return
    photo = st.camera_input(t("scan.camera"), key=key)
    # The photo stays in the widget across reruns: read each one once, or it would overwrite later typing.
    if photo is None or st.session_state.get(f"{key}_read") == photo.file_id:
        return
    st.session_state[f"{key}_read"] = photo.file_id
    text = decode_qr(photo.getvalue())
    if text is None:
        st.warning(t("scan.nothing_found"))
        return
    st.session_state[fills] = text


def show_error(error: StoreError) -> None:
    st.error(t(error.key, **error.params))
