"""The form for a new PIN or password, typed twice, and where the cursor goes after a refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui.i18n import (
    t,
)

# Labels of the secret form: current, new, new again, save.
_SECRET_LABELS = {
    "pin": ("account.current_pin", "account.new_pin", "account.new_pin_again", "account.save_pin"),
    "password": (
        "account.current_password",
        "account.new_password",
        "account.new_password_again",
        "account.save_password",
    ),
}


# The secret form refused last and how many refusals so far: the cursor goes back into its first box.
SECRET_REFUSED_KEY = "secret_form_refused"


def secret_refused(key: str, *, ask_current: bool) -> None:
    """After a refusal of the secret form `key` (its boxes are empty already): the cursor goes back into its first."""
    count = st.session_state.get(SECRET_REFUSED_KEY, ("", 0))[1] + 1
    st.session_state[SECRET_REFUSED_KEY] = (f"{key}_current" if ask_current else f"{key}_new", count)


def refused_secret_box() -> tuple[str | None, int]:
    """The widget key of the box to put the cursor in after the last refusal (None: none yet), and its token."""
    box, count = st.session_state.get(SECRET_REFUSED_KEY, ("", 0))
    return box or None, count


@dataclass(frozen=True)
class SecretEntry:
    """What a secret form was given, and the place above the form where its answer goes (in view of its boxes)."""

    current: str
    new: str
    answer: Any  # a Streamlit container


def secret_form(key: str, *, kind: str, ask_current: bool) -> SecretEntry | None:
    """A form for a new PIN or password, typed twice; returns what was typed once submitted and both agree.

    `kind` is "pin" or "password"; `ask_current` for one's own secret (an organizer's reset does not know it).
    Refusals and successes are said in `answer`, above the form, where the cursor goes back after a refusal.
    """
    answer = st.container()
    current_label, new_label, again_label, save_label = _SECRET_LABELS[kind]
    max_chars = 6 if kind == "pin" else 128
    with st.form(key, clear_on_submit=True):
        current = (
            st.text_input(t(current_label), type="password", max_chars=max_chars, key=f"{key}_current")
            if ask_current
            else ""
        )
        new = st.text_input(t(new_label), type="password", max_chars=max_chars, key=f"{key}_new")
        again = st.text_input(t(again_label), type="password", max_chars=max_chars, key=f"{key}_again")
        submitted = st.form_submit_button(t(save_label), type="primary", width="stretch", key=f"{key}_submit")
    if not submitted:
        return None
    if new != again:
        answer.error(t("account.new_secrets_differ"))
        secret_refused(key, ask_current=ask_current)
        return None
    return SecretEntry(current=current, new=new, answer=answer)
