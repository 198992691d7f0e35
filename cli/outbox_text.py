"""The words of what the outbox sends: each kind's template `message.<kind>` from the catalogs (ui/locales/*.json),
filled with a planned message's values in the site's language.

The store plans a message as data (db/outbox/plans.py: moments as ISO strings, numbers, names, lists, stored codes);
this turns it into the text the channel carries. An SMS's values are what the provider fills into the template it
approved under the site's template code: text, lists joined and codes worded in the site's language, each within the
provider's length (cli/senders/sms.py). The SMS text kept in the outbox is made from those same values, so it is
the text as sent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from cli.senders.sms import template_values
from ui.i18n import LIST_SEPARATORS, translate

# Kinds the robot posts as markdown (a summary reads better with a heading and quoted lines); the others go as
# text, with an @ of the volunteer they are for.
MARKDOWN_KINDS = frozenset({"day_summary"})
# A list of stored codes in the values → the catalog family that words each (`value.kind.chilled`: 冷藏).
CODED_LISTS = {"storage_classes": "value.kind"}
# An ISO moment as plans.py writes one: 2026-11-25T02:00:00+00:00.
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")
# What WeCom's markdown reads as markup in a value (a pickup point's or a unit's name): the full-width look-alike,
# so a name shows as written and never as a link, a heading or bold text.
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


def is_markdown(kind: str) -> bool:
    return kind in MARKDOWN_KINDS


def message_values(kind: str, values: Mapping[str, Any], *, channel: str, language: str) -> dict[str, Any]:
    """The values as the message carries them: as planned for the robot; for SMS the provider's variables."""
    if channel != "sms":
        return dict(values)
    return template_values({name: _worded(name, value, language=language) for name, value in values.items()})


def message_text(kind: str, values: Mapping[str, Any], *, language: str) -> str:
    """The text of a message of `kind` with its `values`, in `language`: plain text, markdown for MARKDOWN_KINDS."""
    markdown = is_markdown(kind)
    shown = {name: _shown(name, value, markdown=markdown, language=language) for name, value in values.items()}
    text = str(translate(language, f"message.{kind}", **shown).plain)
    if kind == "day_summary" and "tomorrow" in values:
        text += "".join(f"\n> {line}" for line in tomorrow_lines(values, language=language))
    return text


def tomorrow_lines(values: Mapping[str, Any], *, language: str) -> list[str]:
    """The day summary's lines about tomorrow (db.reports.tomorrow.tomorrow_values): bags by storage class, each
    class short of slots and what to do, each band of hours short of volunteers."""
    day = values["tomorrow"]
    if values.get("tomorrow_closed"):
        return [translate(language, "message.tomorrow.closed", day=day).plain]
    worded = [
        translate(language, "message.tomorrow.class_bags", kind=kind, count=int(count)).plain
        for kind, count in values.get("tomorrow_bags", {}).items()
    ]
    lines = [translate(language, "message.tomorrow.bags", day=day, bags=worded).plain]
    for kind, hour, count in values.get("tomorrow_short", []):
        lines.append(
            translate(language, "message.tomorrow.short", kind=kind, hour=dt.time(int(hour)), count=int(count)).plain
        )
    if values.get("tomorrow_short"):
        lines.append(translate(language, "message.tomorrow.short_what_to_do").plain)
    for start, end, needed, rostered in values.get("tomorrow_hands", []):
        lines.append(
            translate(
                language,
                "message.tomorrow.hands",
                start=dt.time(int(start)),
                end=dt.time(int(end) % 24),
                needed=int(needed),
                rostered=int(rostered),
            ).plain
        )
    return lines


def _worded(name: str, value: Any, *, language: str) -> Any:
    """A value as an SMS variable says it: a list joined in the language, a stored code in its word."""
    if isinstance(value, list | tuple):
        family = CODED_LISTS.get(name)
        items = [translate(language, f"{family}.{item}").plain if family else str(item) for item in value]
        return LIST_SEPARATORS[language].join(items)
    return value


def _shown(name: str, value: Any, *, markdown: bool, language: str) -> Any:
    if name == "others" and isinstance(value, list | tuple) and not value:
        return translate(language, "message.nobody_else").plain
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, list | tuple):
        return [_shown(name, item, markdown=markdown, language=language) for item in value]
    if isinstance(value, str) and markdown:
        return value.translate(_MARKDOWN_MARKS)
    return value
