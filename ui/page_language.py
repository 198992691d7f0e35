"""The page's language for screen readers: Streamlit serves every page as <html lang="en">, so a reader would speak
the Chinese screens with an English voice; the sidebar sets the language the session has chosen (issue 22)."""

from __future__ import annotations

import streamlit as st

from ui.i18n import current_language

# Runs in the page itself (components v2 have no frame), whenever the language changes and on the first run.
_LANG_JS = """
export default function (component) {
  const lang = (component.data || {}).lang;
  if (lang && document.documentElement.lang !== lang) document.documentElement.lang = lang;
}
"""
_page_language = st.components.v2.component("cloudbasket_page_language", js=_LANG_JS)


def mark_page_language() -> None:
    """Once per run, in the sidebar: <html lang> is the session's language."""
    _page_language(key="cloudbasket_page_language", data={"lang": current_language()}, height=0)
