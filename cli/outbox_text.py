"""The words of what the outbox sends: each kind's template `message.<kind>` from the catalogs (ui/locales/*.json),
filled with a planned message's values in the site's language.

The store plans a message as data (db/outbox/plans.py: moments as ISO strings, numbers, names); this turns it into
the text the channel carries. An SMS's values are what the provider fills into its approved template, each within
the provider's length (cli/senders/sms.py), so the text kept in the outbox is the text as sent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from cli.senders.sms import template_values
from ui.i18n import translate

# Kinds the robot posts as markdown (a summary reads better with a heading); the others go as text, with an @.
MARKDOWN_KINDS = frozenset({"day_summary"})
# An ISO moment as plans.py writes one: 2026-11-25T10:00:00+00:00.
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")
# What WeCom's markdown reads as markup in a value (a site's or a person's name): replaced by the full-width look-alike,
# so a name is shown as written and never as a link, a heading or bold text.
_MARKDOWN_MARKS = str.maketrans(
    {
        "*": "＊",
        "_": "＿",
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "`": "｀",
        "~": "～",
    }
)


def message_values(kind: str, values: Mapping[str, Any], *, channel: str) -> dict[str, Any]:
    """The values as the message carries them: for SMS the provider's variables (text within its limits)."""
    return template_values(values) if channel == "sms" else dict(values)


def message_text(kind: str, values: Mapping[str, Any], *, language: str) -> str:
    """The text of a message of `kind` with its `values`, in `language`: plain text, markdown for MARKDOWN_KINDS."""
    shown = {name: _shown(value, markdown=kind in MARKDOWN_KINDS) for name, value in values.items()}
    return str(translate(language, f"message.{kind}", **shown).plain)


def is_markdown(kind: str) -> bool:
    return kind in MARKDOWN_KINDS


def _shown(value: Any, *, markdown: bool) -> Any:
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, list | tuple):
        return [_shown(item, markdown=markdown) for item in value]
    if isinstance(value, str) and markdown:
        return value.translate(_MARKDOWN_MARKS)
    return value
