"""The translator: one flat catalog per language (ui/locales/*.json), chosen per browser session."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import pathlib
import string
from typing import Any

from db.clock import to_local

LOCALES_DIR = pathlib.Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
# Each language is named in itself, so a reader finds theirs whatever language is showing.
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
LANGUAGE_STATE_KEY = "lang"
# Error parameters that hold a stored code word (`picked_up`, `fridge`): shown through `value.<param>.<code>`.
CODED_PARAMS = ("status", "kind", "role")


@functools.cache
def load_catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def configured_language() -> str:
    """`APP_LANG` when it names a known language, else zh-CN."""
    wanted = os.environ.get("APP_LANG", "").strip()
    return wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def translate(language: str, key: str, **params: Any) -> str:
    """The message for `key` in `language`; an unknown key comes back as itself so tests can spot it."""
    catalog = load_catalog(language)
    text = catalog.get(key)
    if text is None:
        return key
    shown = _Filled({name: _shown_value(language, name, value) for name, value in params.items()})
    try:
        return text.format_map(shown)
    except (IndexError, ValueError):
        return text


class _Filled(dict):
    """Parameters for a message; one the caller left out shows as an ellipsis, never as `{name}` or a crash."""

    def __missing__(self, name: str) -> str:
        return "…"


def _shown_value(language: str, name: str, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    if name in CODED_PARAMS and isinstance(value, str):
        return load_catalog(language).get(f"value.{name}.{value}", value)
    return value


def current_language() -> str:
    """The language chosen in this browser session, else the configured default."""
    import streamlit as st

    try:
        chosen = st.session_state.get(LANGUAGE_STATE_KEY)
    except Exception:  # no script is running (a plain import in tests): use the default
        chosen = None
    return chosen if chosen in LANGUAGES else configured_language()


def t(key: str, **params: Any) -> str:
    """Translate `key` into the session's language."""
    return translate(current_language(), key, **params)
