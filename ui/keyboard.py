"""What the on-screen keyboard and the cursor do: a numeric keypad for a PIN or a phone tail, a decimal one for a
temperature, and the cursor in the desk's search box so a handheld scanner's code + Enter needs no tap.

Streamlit's text inputs take neither `inputmode` nor autofocus, so one tiny `st.components.v2` component (the
mechanism of ui/cookies.py) sets them on the inputs found by their label (`aria-label`). It draws nothing."""

from __future__ import annotations

import streamlit as st

from ui.i18n import MarkdownText

NUMERIC = "numeric"  # digits only: PIN, phone tail
DECIMAL = "decimal"  # digits, point (and minus on most keypads): a temperature
PHONE = "tel"  # a whole phone number

# Sets `inputmode` on every input whose aria-label is a key of `modes`, now and whenever Streamlit redraws one;
# focuses the input labelled `focus` once per `token` (a new token, e.g. after a handover, focuses it again; so
# does a freshly drawn input, e.g. on arriving at the page). The observer of an earlier mount is replaced.
_HINTS_JS = """
export default function (component) {
  const spec = component.data || {};
  const modes = spec.modes || {};
  const token = String(spec.token ?? "");
  const state = (window.__cloudbasketInputs ||= { focused: new WeakMap(), observer: null });
  const inputs = (label) => document.querySelectorAll(`input[aria-label="${CSS.escape(label)}"]`);
  const apply = () => {
    for (const [label, mode] of Object.entries(modes)) {
      for (const input of inputs(label)) {
        if (input.getAttribute("inputmode") !== mode) input.setAttribute("inputmode", mode);
      }
    }
    const target = spec.focus ? inputs(spec.focus)[0] : null;
    if (target && !target.disabled && state.focused.get(target) !== token) {
      state.focused.set(target, token);
      target.focus();
    }
  };
  if (state.observer) state.observer.disconnect();
  state.observer = new MutationObserver(apply);
  state.observer.observe(document.body, { childList: true, subtree: true });
  apply();
  return () => {
    if (state.observer) state.observer.disconnect();
    state.observer = null;
  };
}
"""
_hints = st.components.v2.component("cloudbasket_input_hints", js=_HINTS_JS)


def input_hints(
    *,
    modes: dict[str | MarkdownText, str] | None = None,
    focus: str | MarkdownText | None = None,
    token: int = 0,
) -> None:
    """Once per page run, after the inputs: `modes` maps an input's label (as given to st.text_input) to its
    keypad (NUMERIC, DECIMAL, PHONE); `focus` is the label of the input that gets the cursor, again whenever
    `token` changes."""
    data = {
        "modes": {_plain(label): mode for label, mode in (modes or {}).items()},
        "focus": _plain(focus) if focus is not None else "",
        "token": token,
    }
    _hints(key="cloudbasket_input_hints", data=data, height=0)


def _plain(label: str | MarkdownText) -> str:
    """The label as the browser has it in aria-label: a catalog message's words without Markdown escapes."""
    return label.plain if isinstance(label, MarkdownText) else label
