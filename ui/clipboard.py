"""A copy button: puts a text on the clipboard and tells the page it did (a small `st.components.v2` component).

The text and the labels arrive as data and are set with `textContent`, never as HTML. On plain HTTP outside
localhost browsers refuse `navigator.clipboard`; the older `execCommand("copy")` on a hidden text area covers them.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

_COPY_HTML = '<button type="button" class="cb-copy"></button>'
_COPY_CSS = """
.cb-copy { width: 100%; min-height: 3rem; font-size: 1.1rem; font-weight: 600; border-radius: 0.5rem;
  border: none; cursor: pointer; background: var(--st-primary-color); color: #fff; }
"""
_COPY_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const button = parentElement.querySelector(".cb-copy");
  button.textContent = data.label;
  button.onclick = async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(data.text);
      copied = true;
    } catch (error) {
      const area = document.createElement("textarea");
      area.value = data.text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      copied = document.execCommand("copy");
      area.remove();
    }
    button.textContent = copied ? data.done : data.failed;
    if (copied) setTriggerValue("copied", Date.now());
  };
}
"""
_copy = st.components.v2.component("cloudbasket_copy", html=_COPY_HTML, css=_COPY_CSS, js=_COPY_JS)


def copy_button(text: str, *, key: str, label: str, done: str, failed: str, on_copied: Callable[[], None]) -> None:
    """A full-width button that copies `text`; `on_copied` runs (before the next run) once the browser copied it."""
    _copy(key=key, data={"text": text, "label": label, "done": done, "failed": failed}, on_copied_change=on_copied)
