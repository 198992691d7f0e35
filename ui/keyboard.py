"""What the on-screen keyboard, the cursor and the scroll do: a numeric keypad for a PIN or a phone tail, a decimal
one for a temperature, the cursor in the desk's search box so a handheld scanner's code + Enter needs no tap, and
the next thing to tap brought into view (a confirm step that opened below the fold).

Streamlit's text inputs take neither `inputmode` nor autofocus, so one tiny `st.components.v2` component (the
mechanism of ui/cookies.py) sets them on the inputs found by their label (`aria-label`). It draws nothing."""

from __future__ import annotations

import streamlit as st

from ui.i18n import MarkdownText

NUMERIC = "numeric"  # digits only: PIN, phone tail
DECIMAL = "decimal"  # digits and a point (iOS has no minus sign on it): a fridge's temperature
FULL = "text"  # the full keyboard: a freezer's temperature, which needs a minus sign
PHONE = "tel"  # a whole phone number

# Sets `inputmode` on every input (or text area) whose aria-label is a key of `modes`, now and whenever
# Streamlit redraws one; focuses the input labelled `focus` once per `token` (a new token, e.g. after a handover,
# focuses it again; so does a freshly drawn input, e.g. on arriving at the page), without scrolling to it; scrolls
# the element of the widget key `reveal` (Streamlit's `st-key-…` class) into view once per key and token, as little
# as needed. The observer of an earlier mount is replaced.
# `pin` ({key, token}): on a short view (under 500 CSS px high: the tablet at 200 % zoom, a phone on its side) the
# element of that widget key is scrolled to the top of the view once per token (ui/style.py's scroll-margin keeps it
# clear of Streamlit's header), so it and what follows it (the desk's search row, the first bag found) are in view;
# on a taller view nothing moves.
# `tapFocus` ({prefix, label}): a tap on a button whose widget key starts with `prefix` puts the cursor into the
# input labelled `label` at once, in the browser (its text selected, so the first keys replace it); when that input
# is not drawn yet (the first tap), the keys typed meanwhile are kept and typed into it as soon as it appears, so
# nothing typed right after the tap waits for, or is lost to, the page's run.
_HINTS_JS = """
export default function (component) {
  const spec = component.data || {};
  const modes = spec.modes || {};
  const token = String(spec.token ?? "");
  const state = (window.__cloudbasketInputs ||= {
    focused: new WeakMap(),
    observer: null,
    revealed: "",
    revealUntil: 0,
    pinned: "",
    pinUntil: 0,
  });
  // Streamlit calls this function again whenever its data changes and calls the returned cleanup only when the
  // element goes: an earlier call's timers would go on applying its old spec (the desk's search box took the cursor
  // back from the code box a confirm step had just focused, and the resident's number went into the search). Only
  // the latest call acts; its timers replace the earlier ones.
  const mount = {};
  state.mount = mount;
  (state.settled || []).forEach(clearTimeout);
  const pin = spec.pin ? `${spec.pin.key}#${spec.pin.token}` : "";
  const reveal = spec.reveal ? `${spec.reveal}#${token}` : "";
  const inputs = (label) => document.querySelectorAll(
    `input[aria-label="${CSS.escape(label)}"], textarea[aria-label="${CSS.escape(label)}"]`
  );
  const usable = (label) => {
    const input = label ? inputs(label)[0] : null;
    return input && !input.disabled ? input : null;
  };
  state.tapFocus = spec.tapFocus || null;
  if (!state.tapListening) {
    state.tapListening = true;
    document.addEventListener("click", (event) => {
      const tap = state.tapFocus;
      if (!tap || !event.target.closest || !event.target.closest(`[class*="st-key-${tap.prefix}"] button`)) return;
      const input = usable(tap.label);
      state.pending = input ? null : { label: tap.label, until: Date.now() + 10000, text: "", enter: false };
      if (input) {
        input.focus({ preventScroll: true });
        input.select();
      }
    }, true);
    document.addEventListener("keydown", (event) => {
      const pending = state.pending;
      if (!pending) return;
      if (Date.now() > pending.until || usable(pending.label)) {
        state.pending = null;
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key.length === 1) pending.text += event.key;
      else if (event.key === "Enter") pending.enter = true;
      else return;
      event.preventDefault();
    }, true);
  }
  const typePending = () => {
    const pending = state.pending;
    const input = pending ? usable(pending.label) : null;
    if (!input) return;
    state.pending = null;
    input.focus({ preventScroll: true });
    const setValue = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), "value").set;
    setValue.call(input, pending.text);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    if (pending.enter) {
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", keyCode: 13, bubbles: true }));
    }
  };
  const apply = () => {
    if (state.mount !== mount) return;
    typePending();
    for (const [label, mode] of Object.entries(modes)) {
      for (const input of inputs(label)) {
        if (input.getAttribute("inputmode") !== mode) input.setAttribute("inputmode", mode);
      }
    }
    const target = spec.focus_key
      ? document.querySelector(`.st-key-${CSS.escape(spec.focus_key)} input`)
      : spec.focus ? inputs(spec.focus)[0] : null;
    if (target && !target.disabled && state.focused.get(target) !== token) {
      state.focused.set(target, token);
      target.focus({ preventScroll: true });
    }
    // A new key or token opens a short window in which redraws above the element (a warning, a text area) keep it
    // in view; "nearest" does nothing while it is already in view, and the volunteer's own scrolling wins after.
    if (reveal && reveal !== state.revealed) {
      state.revealed = reveal;
      state.revealUntil = Date.now() + 1500;
    }
    const revealing = reveal && Date.now() < state.revealUntil;
    const shown = revealing ? document.querySelector(`.st-key-${CSS.escape(spec.reveal)}`) : null;
    if (shown) shown.scrollIntoView({ block: "nearest" });
    if (pin && pin !== state.pinned) {
      state.pinned = pin;
      state.pinUntil = Date.now() + 1500;
    }
    const pinning = pin && Date.now() < state.pinUntil && window.innerHeight < 500;
    const row = pinning ? document.querySelector(`.st-key-${CSS.escape(spec.pin.key)}`) : null;
    if (row) row.scrollIntoView({ block: "start" });
  };
  if (state.observer) state.observer.disconnect();
  state.observer = new MutationObserver(apply);
  state.observer.observe(document.body, { childList: true, subtree: true });
  apply();
  // Layout settles after the last redraw (fonts, text areas growing): look once more when it has.
  state.settled = [300, 1000].map((delay) => setTimeout(apply, delay));
  // Whichever call's cleanup Streamlit runs when the element goes, it stops the latest call's timers and observer.
  return () => {
    state.mount = null;
    state.settled.forEach(clearTimeout);
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
    reveal: str | None = None,
    token: int | str = 0,
    focus_key: str | None = None,
    tap_focus: tuple[str, str | MarkdownText] | None = None,
    pin: tuple[str, str] | None = None,
) -> None:
    """Once per page run: `modes` maps an input's label (as given to st.text_input) to its keypad (NUMERIC,
    DECIMAL, PHONE); `focus` is the label of the input that gets the cursor, again whenever `token` changes
    (`focus_key` instead names it by widget key, where two inputs share a label);
    `reveal` is the key of a widget to bring into view (the last button of a confirm step), once per token;
    `tap_focus` (button key prefix, input label): a tap on such a button puts the cursor into that input in the
    browser, before the page's run, and keeps the keys typed until the input is drawn; `pin` (widget key, token):
    on a short view that widget is scrolled to the top once per token."""
    data = {
        "reveal": reveal or "",
        "modes": {_plain(label): mode for label, mode in (modes or {}).items()},
        "focus": _plain(focus) if focus is not None else "",
        "focus_key": focus_key or "",
        "token": token,
        "tapFocus": {"prefix": tap_focus[0], "label": _plain(tap_focus[1])} if tap_focus else None,
        "pin": {"key": pin[0], "token": pin[1]} if pin else None,
    }
    _hints(key="cloudbasket_input_hints", data=data, height=0)


def _plain(label: str | MarkdownText) -> str:
    """The label as the browser has it in aria-label: a catalog message's words without Markdown escapes."""
    return label.plain if isinstance(label, MarkdownText) else label
