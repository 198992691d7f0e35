"""The channels' limits as pure functions: quiet hours on the Shanghai clock, a robot text cut to its byte limit."""

from __future__ import annotations

import datetime as dt

import pytest

from db.core.clock import local_moment
from db.outbox.limits import ROBOT_TEXT_BYTES, after_quiet_hours, in_quiet_hours, split_for_robot

DAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (dt.time(8, 0), (DAY, dt.time(8, 0))),
        (dt.time(12, 30), (DAY, dt.time(12, 30))),
        (dt.time(20, 59), (DAY, dt.time(20, 59))),
        (dt.time(21, 0), (DAY + dt.timedelta(days=1), dt.time(8, 0))),
        (dt.time(23, 59), (DAY + dt.timedelta(days=1), dt.time(8, 0))),
        (dt.time(0, 0), (DAY, dt.time(8, 0))),
        (dt.time(7, 59), (DAY, dt.time(8, 0))),
    ],
)
def test_quiet_hours_move_a_moment_to_the_next_eight_oclock(clock: dt.time, expected: tuple[dt.date, dt.time]):
    moment = local_moment(DAY, clock)
    moved = after_quiet_hours(moment)
    assert moved == local_moment(*expected) and moved.tzinfo is not None
    assert in_quiet_hours(moment) == (moved != moment)


def test_a_robot_text_is_cut_at_line_breaks_within_its_bytes_and_never_inside_a_character():
    line = "王阿姨 12:00 冷藏柜 F1 温度 9.5 °C\n"
    text = line * 200
    parts = split_for_robot(text)
    assert len(parts) > 1
    assert all(len(part.encode("utf-8")) <= ROBOT_TEXT_BYTES for part in parts)
    assert "\n".join(parts) == text
    assert all(part.endswith("°C") for part in parts[:-1])
    unbroken = "冷" * 1000  # 3,000 bytes, no line break
    cut = split_for_robot(unbroken)
    assert "".join(cut) == unbroken and [len(part.encode("utf-8")) for part in cut] == [2046, 954]
    assert split_for_robot("short") == ["short"]
