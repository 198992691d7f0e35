"""Hints for the phone's keyboard and screen that Streamlit's widgets cannot take: which keypad an input opens
(`inputmode`), and bringing an answer into view after a tap. A tiny `st.components.v2` component runs in the app's
page, as ui/cookies.py does; it draws nothing."""

from __future__ import annotations

import streamlit as st

# Sets `inputmode` on the inputs whose aria-label (Streamlit's label) is named, now and whenever Streamlit draws
# them again (a rerun may replace the element): one observer per page, reading the latest wanted modes.
_INPUT_MODES_JS = """
export default function (component) {
  window.__cbInputModes = component.data || {};
  const apply = () => {
    for (const [label, mode] of Object.entries(window.__cbInputModes || {})) {
      for (const input of document.querySelectorAll(`input[aria-label="${CSS.escape(label)}"]`)) {
        if (input.getAttribute("inputmode") !== mode) input.setAttribute("inputmode", mode);
        if (mode === "numeric" && input.getAttribute("pattern") !== "[0-9]*") input.setAttribute("pattern", "[0-9]*");
      }
    }
  };
  apply();
  if (!window.__cbInputModesObserver) {
    window.__cbInputModesObserver = new MutationObserver(apply);
    window.__cbInputModesObserver.observe(document.body, { childList: true, subtree: true });
  }
}
"""
_input_modes = st.components.v2.component("cloudbasket_input_modes", js=_INPUT_MODES_JS)

# Scrolls the element of a keyed container (`.st-key-<key>`) to the top of the screen once per `turn`: the
# container may be drawn a moment after the component, so it looks for it for up to two seconds.
_SCROLL_JS = """
export default function (component) {
  const { key, turn } = component.data || {};
  if (!key || window.__cbScrolledTurn === `${key}:${turn}`) return;
  window.__cbScrolledTurn = `${key}:${turn}`;
  const started = Date.now();
  const look = () => {
    const target = document.querySelector(`.st-key-${CSS.escape(key)}`);
    if (target && target.getBoundingClientRect().height > 0) {
      target.scrollIntoView({ block: "start", behavior: "auto" });
    } else if (Date.now() - started < 2000) {
      window.setTimeout(look, 50);
    }
  };
  look();
}
"""
_scroller = st.components.v2.component("cloudbasket_scroll_into_view", js=_SCROLL_JS)


def set_input_modes(modes: dict[str, str]) -> None:
    """`{aria_label: inputmode}`: the keypad a phone opens for each input, by its label (as t() gave it).
    "numeric" opens the digits keypad. Call once per run of the page; it draws nothing."""
    _input_modes(key="cloudbasket_input_modes", data={str(label): mode for label, mode in modes.items()}, height=0)


def scroll_into_view(container_key: str, *, turn: int) -> None:
    """Bring `st.container(key=container_key)` to the top of the screen, once for each new `turn` (an answer's
    number), so an answer drawn below the fold of a small phone is seen without scrolling."""
    _scroller(key=f"cloudbasket_scroll_{container_key}", data={"key": container_key, "turn": turn}, height=0)
