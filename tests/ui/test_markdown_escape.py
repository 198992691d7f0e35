"""The escaping of data for Markdown (ui.i18n.escape_markdown) and the translator's parameter path, without a store."""

from __future__ import annotations

import re

import pytest

from tests.support.markdown_payloads import ATOMS, markup_from_payload, shown_as_text, unescaped
from ui.i18n import MarkdownText, escape_markdown, translate

PAYLOADS = [
    *ATOMS,
    "**bold** and __bold__ and *em* and _em_",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "<https://evil.example/angle>",
    "[ref][1]\n\n[1]: https://evil.example/ref",
    "![tracking](https://evil.example/pixel.gif?who=me)",
    "WWW.EVIL.EXAMPLE/shout",
    "ftp://evil.example/x and mailto:me@evil.example and xmpp:me@evil.example",
    ":red-badge[x] :small[x] :rainbow[x] :help[x] :streamlit:",
    ":+1: :-1: :100:",
    "$$\\frac{1}{2}$$ and \\(x\\)",
    "# heading\n- list\n1. ordered\n> quote\n| a | b |\n|---|---|",
    "setext\n===",
    "    indented code",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "&lt;b&gt; &#60;b&#62; &amp;",
    "trailing backslash \\",
    "王秀英 · 12号302室",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_text_reads_as_typed_and_holds_no_markup(payload: str):
    escaped = escape_markdown(payload)

    assert isinstance(escaped, MarkdownText)
    assert escaped.plain == payload
    # Every ASCII punctuation mark is backslash-escaped, so CommonMark sees no syntax at all.
    assert re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped)) is None
    # Nor do the rules that run after parsing (autolinks, emoji, icons, arrows).
    assert not re.search(r"www\.|://|\w@|:[\w+-]+:|(?:^|\s)(?:->|<-|--|>=|<=|~=)(?:\s|$)", unescaped(escaped))
    assert markup_from_payload(escaped) == []
    # One line: a Markdown block (heading, list, setext underline, table) needs a line start.
    assert "\n" not in escaped and "\r" not in escaped
    # A person reads the payload as typed (line breaks as spaces).
    assert shown_as_text(escaped) == " ".join(payload.split())


def test_text_without_markdown_syntax_is_left_alone():
    assert escape_markdown("王秀英 12号302室") == "王秀英 12号302室"
    assert escape_markdown("10:30") == "10\\:30"  # a time: escaped, but no word joiner (no shortcode to break)


def test_safe_text_is_not_escaped_twice():
    once = escape_markdown("**x**")
    assert escape_markdown(once) is once
    nested = translate("en", "orders.detail_problem", reason="*r*")
    outer = translate("en", "arrivals.refused", code="a_b", reason=nested)
    assert outer == "a\\_b not received: Problem: \\*r\\*"
    assert outer.plain == "a_b not received: Problem: *r*"


def test_the_translator_escapes_parameters_and_keeps_plain_words():
    message = translate(
        "en", "desk.result_resident", name=f"[x](https://evil.example) {ATOMS[0]}", phone="138", count=2
    )
    assert markup_from_payload(message) == []
    assert message.plain == f"[x](https://evil.example) {ATOMS[0]} · 138 · 2 items"
    # The catalog's own Markdown stays Markdown; numbers, times and code words are the app's own words.
    ready = translate("en", "status.state.ready", slot="S1-01", since="x")
    assert ready.startswith("Ready to collect: slot **S1\\-01**")
    assert (
        translate("en", "desk.not_ready", status="picked_up")
        == translate("en", "desk.not_ready", status="picked_up").plain
    )
    assert translate("en", "orders.count", count=-1.5) == translate("en", "orders.count", count=-1.5).plain
    assert translate("en", "no.such.key", name="*x*") == "no.such.key"
