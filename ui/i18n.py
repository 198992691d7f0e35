"""The translator: one flat catalog per language (ui/locales/*.json), chosen per browser session."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import pathlib
import re
import string
from collections.abc import Callable
from typing import Any, Self

from db.core.clock import to_local

LOCALES_DIR = pathlib.Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
# Each language is named in itself, so a reader finds theirs whatever language is showing.
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}
LANGUAGE_STATE_KEY = "lang"
# Plural forms: a message taking a `count` may be a family `key.one` / `key.other`, chosen by the count with the
# language's CLDR rule; a message with several numbers words each with a spec, `{orders:order|orders}`. Two
# languages need only this much: Chinese has one form (`other`), English "one" for
# exactly 1. Babel would give every CLDR language and rule, a dependency worth taking with the third language.
PLURAL_RULES: dict[str, Callable[[int], str]] = {
    "zh-CN": lambda count: "other",
    "en": lambda count: "one" if count == 1 else "other",
}
PLURAL_FORMS = ("one", "other")
# How a list of words is joined in running text: 冷藏、冷冻 / chilled, frozen.
LIST_SEPARATORS = {"zh-CN": "、", "en": ", "}
# Error parameters that hold a stored code word (`picked_up`, `fridge`): shown through `value.<param>.<code>`.
CODED_PARAMS = ("status", "kind", "role", "rule", "weekday")


@functools.cache
def load_catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.json").open(encoding="utf-8") as handle:
        catalog: dict[str, str] = json.load(handle)
    return catalog


def configured_language() -> str:
    """`APP_LANG` when it names a known language, else zh-CN."""
    wanted = os.environ.get("APP_LANG", "").strip()
    return wanted if wanted in LANGUAGES else DEFAULT_LANGUAGE


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class MarkdownText(str):
    """Text that may go to a Markdown surface as it is: the translator's output (its parameters escaped) and
    text escape_markdown made. `plain` holds the same words unescaped, for surfaces that show text literally
    (dataframe cells, selectbox options, files, the terminal)."""

    plain: str

    def __new__(cls, markdown: str, plain: str | None = None) -> Self:
        text = super().__new__(cls, markdown)
        text.plain = str(markdown) if plain is None else plain
        return text


# Streamlit renders Markdown as CommonMark + GFM plus its own directives. Every ASCII punctuation mark may be
# backslash-escaped in CommonMark, so all of them are: that stops emphasis, links, images, raw HTML, code, tables,
# headings, LaTeX ($) and `:red[…]` directives. Some rules run on the parsed text, after escapes are gone
# (GFM autolinks, emoji and `:material/…:` shortcodes, `->` arrows): a WORD JOINER (U+2060, invisible, no line
# break) splits those, and only those, so a copied code or name stays the same elsewhere.
WORD_JOINER = "\u2060"
_ASCII_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_TEXT_RULES = re.compile(
    r"(?i:www)(?=\.)"  # www.evil.example (GFM autolink literal)
    r"|:(?=//|[\w+-]+[:/\[])"  # https://…, :smile:, :material/icon:, :streamlit:, :red[…]
    r"|[^\s@](?=@)"  # name@evil.example (GFM e-mail autolink)
    r"|(?<!\S)(?:<(?=->)|[-<>~](?=[->=](?:\s|$)))",  # ->, <-, <->, --, >=, <=, ~= (typographic arrows)
)
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def escape_markdown(value: Any) -> MarkdownText:
    """Text from people or files, for a Markdown surface: shown as typed, never as markup, link or icon.
    Already-safe text (a MarkdownText, such as a nested t() result) is returned as it is."""
    if isinstance(value, MarkdownText):
        return value
    plain = str(value)
    # Markdown blocks (headings, lists, setext underlines, tables) start at a line start: one line only.
    text = _LINE_BREAKS.sub(" ", plain)
    text = _TEXT_RULES.sub(lambda match: match.group(0) + WORD_JOINER, text)
    return MarkdownText(_ASCII_PUNCTUATION.sub(r"\\\1", text), plain)


def translate(language: str, key: str, **params: Any) -> MarkdownText:
    """The message for `key` in `language`; an unknown key comes back as itself so tests can spot it.

    Parameters from people or files are escaped for Markdown (the result goes to st.markdown, alerts, labels
    and captions as it is); `.plain` on the result is the same message with the values as typed."""
    text = message(language, key, count=params.get("count"))
    if text is None:
        return MarkdownText(key)
    shown = {name: _fitted(escape_markdown(_shown_value(language, name, value))) for name, value in params.items()}
    try:
        return MarkdownText(
            text.format_map(_Filled(shown)),
            text.format_map(_Filled({name: _plain(value) for name, value in shown.items()})),
        )
    except (IndexError, ValueError):
        return MarkdownText(text)


def message(language: str, key: str, *, count: Any = None) -> str | None:
    """The catalog text for `key`: the key itself, else (with a count) the plural form the count asks for, else
    the family's `other`; None for an unknown key."""
    catalog = load_catalog(language)
    if key in catalog:
        return catalog[key]
    if isinstance(count, int) and not isinstance(count, bool):
        form = catalog.get(f"{key}.{PLURAL_RULES[language](count)}")
        if form is not None:
            return form
    return catalog.get(f"{key}.other")


def has_message(language: str, key: str) -> bool:
    """`key` is a message of `language`, plain or as a plural family."""
    return message(language, key) is not None


def join_list(items: Any, *, language: str | None = None) -> MarkdownText:
    """Words joined as the language lists them (冷藏、冷冻 / chilled, frozen). Items from people or files are
    escaped like parameters; the result may go into t() or straight to a Markdown surface (`.plain` as typed)."""
    separator = LIST_SEPARATORS[language or current_language()]
    shown = [escape_markdown(item) for item in items]
    return MarkdownText(separator.join(shown), separator.join(item.plain for item in shown))


class _Filled(dict[str, Any]):
    """Parameters for a message; one the caller left out shows as an ellipsis, never as `{name}` or a crash."""

    def __missing__(self, name: str) -> str:
        return _Shown("…")


class _Shown(MarkdownText):
    """A parameter that is not a moment: a catalog's format spec (`{at:%H:%M}`) leaves it as it is."""

    def __format__(self, spec: str) -> str:
        return str(self)


class _Moment(MarkdownText):
    """A moment, shown on the site's clock: `{at}` as date and time, `{at:%H:%M}` as the catalog spells it. A naive
    moment is already the site's wall-clock time (tables hold those); a time of day is shown as it is."""

    moment: dt.datetime | dt.time

    def __new__(cls, moment: dt.datetime | dt.time) -> _Moment:
        text = super().__new__(cls, _on_site_clock(moment).strftime("%H:%M" if _is_clock(moment) else "%Y-%m-%d %H:%M"))
        text.moment = moment
        return text

    def __format__(self, spec: str) -> str:
        return _on_site_clock(self.moment).strftime(spec) if spec else str(self)


def _is_clock(moment: dt.datetime | dt.time) -> bool:
    return isinstance(moment, dt.time)


def _on_site_clock(moment: dt.datetime | dt.time) -> dt.datetime | dt.time:
    if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
        return to_local(moment)
    return moment


class _Number(MarkdownText):
    """A whole number: `{count}` as digits; `{count:bag|bags}` the word of the language's plural form for it
    (one|other), so a message with several numbers agrees with each ("1 order (3 items)")."""

    number: int
    language: str

    def __new__(cls, number: int, language: str) -> _Number:
        text = super().__new__(cls, str(number))
        text.number = number
        text.language = language
        return text

    def __format__(self, spec: str) -> str:
        if "|" not in spec:
            return str(self)
        one, other = spec.split("|", 1)
        return one if PLURAL_RULES[self.language](self.number) == "one" else other


def _fitted(value: MarkdownText) -> MarkdownText:
    """A parameter ready for the catalog's placeholder: only a moment or a number takes a format spec."""
    return value if isinstance(value, _Moment | _Number) else _Shown(value, value.plain)


def _plain(value: MarkdownText) -> MarkdownText:
    """The same parameter unescaped, for the literal text (`.plain`)."""
    return value if isinstance(value, _Moment | _Number) else _Shown(value.plain)


def _shown_value(language: str, name: str, value: Any) -> Any:
    """A parameter as text; what the app itself words (times, numbers, code words) needs no escaping."""
    if isinstance(value, MarkdownText):
        return value
    if isinstance(value, dt.datetime | dt.time):
        return _Moment(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _Number(value, language)
    if isinstance(value, float | dt.date):
        return MarkdownText(str(value))
    if isinstance(value, list | tuple):
        return join_list(value, language=language)
    if name in CODED_PARAMS and isinstance(value, str) and f"value.{name}.{value}" in load_catalog(language):
        return MarkdownText(load_catalog(language)[f"value.{name}.{value}"])
    return value


def current_language() -> str:
    """The language chosen in this browser session, else the configured default."""
    import streamlit as st

    try:
        chosen = st.session_state.get(LANGUAGE_STATE_KEY)
    except Exception:  # no script is running (a plain import in tests): use the default
        chosen = None
    return chosen if chosen in LANGUAGES else configured_language()


def t(key: str, **params: Any) -> MarkdownText:
    """Translate `key` into the session's language (see translate; `.plain` for a literal surface)."""
    return translate(current_language(), key, **params)
