"""The channels' documented limits, as numbers the runner counts against a clock it is given (never by waiting)."""

from __future__ import annotations

import datetime as dt

from db.core.clock import local_moment, to_local

# A WeCom group robot takes at most 20 messages a minute (errcode 130101 beyond that).
ROBOT_PER_MINUTE = 20
# A robot's text message is at most 2,048 bytes of UTF-8; a longer one goes out in parts.
ROBOT_TEXT_BYTES = 2048
# The SMS provider's limit per phone and template in a day; the app keeps under it.
SMS_PER_PHONE_DAY = 50
# No SMS between 21:00 and 08:00 on the site's clock (Asia/Shanghai): queued to the next 08:00.
QUIET_FROM = dt.time(21)
QUIET_UNTIL = dt.time(8)


def in_quiet_hours(moment: dt.datetime) -> bool:
    clock = to_local(moment).time()
    return clock >= QUIET_FROM or clock < QUIET_UNTIL


def after_quiet_hours(moment: dt.datetime) -> dt.datetime:
    """`moment` itself outside quiet hours; inside them, the 08:00 that ends them (UTC, aware)."""
    if not in_quiet_hours(moment):
        return moment
    local = to_local(moment)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    return local_moment(day, QUIET_UNTIL)


def split_for_robot(text: str, *, limit: int = ROBOT_TEXT_BYTES) -> list[str]:
    """`text` in parts of at most `limit` bytes of UTF-8, cut at a line break where one falls in the part's second
    half, never inside a character."""
    parts: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        # The longest prefix that fits, in whole characters.
        cut = len(rest.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
        line_break = rest.rfind("\n", 0, cut)
        if line_break >= cut // 2:
            parts.append(rest[:line_break])
            rest = rest[line_break + 1 :]
        else:
            parts.append(rest[:cut])
            rest = rest[cut:]
    parts.append(rest)
    return parts
