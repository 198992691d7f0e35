"""The texts of the outbox (cli/outbox_text.py): every kind's template in both languages filled from values shaped
as db/outbox/plans.py plans them, moments on the site's clock, an SMS's variables worded and within the provider's
length, names kept out of the robot's markdown."""

from __future__ import annotations

import pytest

from cli.outbox_text import message_text, message_values
from cli.senders.sms import VALUE_CHARS
from db.outbox.channels import KIND_CHANNELS, NOTIFICATION_KINDS
from db.reports.tomorrow import tomorrow_values
from tests.support.forecasts import day_forecast
from ui.i18n import LANGUAGES, load_catalog, placeholders

# 2026-11-26 08:00–12:00 in Shanghai.
SHIFT = {
    "site": "天山二村",
    "shift_id": 7,
    "role": "handout",
    "starts_at": "2026-11-26T00:00:00+00:00",
    "ends_at": "2026-11-26T04:00:00+00:00",
    "min_staff": 2,
    "max_staff": 4,
    "staffed": 1,
}
UNIT = {"site": "天山二村", "unit_code": "F1", "unit_name": "冷藏柜"}
VALUES = {
    "shift_reminder_24h": {**SHIFT, "volunteer": "王*英", "others": ["李*", "张*华"]},
    "shift_reminder_2h": {**SHIFT, "volunteer": "王*英", "others": []},
    "shift_cancelled": {**SHIFT, "volunteer": "王*英"},
    "stand_in_wanted": SHIFT,
    "shift_understaffed": SHIFT,
    "reading_missed": {**UNIT, "due_at": "2026-11-25T01:00:00+00:00", "missing": 2},
    "excursion_follow_up": {**UNIT, "reading_c": 9.5, "taken_at": "2026-11-25T01:10:00+00:00"},
    "day_summary": {
        "site": "天山二村",
        "day": "2026-11-25",
        "received": 120,
        "expected": 124,
        "handed_over": 98,
        "on_shelves": 22,
        "overdue": 3,
        "problems": 1,
    },
    "overdue_reminder": {
        "site": "天山二村",
        "bags": 2,
        "pickup_codes": ["A1-0012", "B3-7781"],
        "storage_classes": ["chilled", "ambient"],
        "collect_by": "2026-11-24",
    },
}


def test_every_kind_has_its_template_in_both_languages_with_the_values_it_is_planned_with():
    assert set(VALUES) == set(NOTIFICATION_KINDS)
    for language in LANGUAGES:
        catalog = load_catalog(language)
        for kind in NOTIFICATION_KINDS:
            assert placeholders(catalog[f"message.{kind}"]) <= set(VALUES[kind]), (language, kind)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NOTIFICATION_KINDS)
def test_each_text_is_filled_whole(kind: str, language: str):
    values = message_values(kind, VALUES[kind], channel=KIND_CHANNELS[kind], language=language)
    text = message_text(kind, values, language=language)
    assert "{" not in text and "…" not in text and "None" not in text and "+00:00" not in text


def test_a_shift_reminder_names_the_time_on_the_sites_clock_the_role_and_who_else_is_on():
    text = message_text("shift_reminder_24h", VALUES["shift_reminder_24h"], language="zh-CN")
    assert text.startswith("王*英您好：提醒您，11月26日 08:00–12:00 您在天山二村有班次（发放）。同班：李*、张*华。")
    english = message_text("shift_reminder_2h", VALUES["shift_reminder_2h"], language="en")
    assert "(handout)" in english and "starts at 08:00 and ends at 12:00" in english
    assert "Also on it: nobody else yet." in english


def test_an_sms_carries_the_providers_variables_and_keeps_the_text_made_of_them():
    values = message_values("overdue_reminder", VALUES["overdue_reminder"], channel="sms", language="zh-CN")
    assert values == {
        "site": "天山二村",
        "bags": "2",
        "pickup_codes": "A1-0012、B3-7781",
        "storage_classes": "冷藏、常温",
        "collect_by": "2026-11-24",
    }
    text = message_text("overdue_reminder", values, language="zh-CN")
    assert "2 袋菜已超期（取货码 A1-0012、B3-7781；冷藏、常温），保管期限到 2026-11-24" in text
    many = message_values(
        "overdue_reminder",
        {**VALUES["overdue_reminder"], "pickup_codes": ["A1-0012"] * 9},
        channel="sms",
        language="en",
    )
    assert len(many["pickup_codes"]) == VALUE_CHARS and many["pickup_codes"].endswith("…")


def test_the_summary_is_markdown_and_a_name_in_it_is_never_markup():
    values = {**VALUES["day_summary"], "site": "[点我](https://evil.example) **天山**"}
    text = message_text("day_summary", values, language="zh-CN")
    assert text.startswith(
        "**［点我］（https://evil.example） ＊＊天山＊＊ 2026-11-25 日报**\n> 签收：120 袋（清单 124 袋）"
    )
    assert "[" not in text.split("\n")[0][2:-2]


def test_the_day_summary_ends_with_tomorrows_lines_and_no_person():
    values = {**VALUES["day_summary"], **tomorrow_values(day_forecast(frozen_held=17.4, short_hands=True))}
    chinese = message_text("day_summary", values, language="zh-CN")
    assert chinese.endswith(
        "\n> **明天 2026-11-26**：常温 40 袋、冷藏 30 袋、冷冻 12 袋"
        "\n> 冷冻：18:00 前后缺 6 个货位"
        "\n> 先给有该类超期菜袋的居民打电话，借保温箱，或请平台分批送货。"
        "\n> 18:00–19:00：需要 2 名志愿者，已排班 1 名"
    )
    english = message_text("day_summary", values, language="en")
    assert (
        "\n> **Tomorrow, 2026-11-26**: 40 ambient, 30 chilled, 12 frozen\n> frozen: about 6 slots short around 18:00"
        in english
    )
    assert english.endswith("\n> 18:00–19:00: 2 volunteers needed, 1 on the roster")
    fits = {**VALUES["day_summary"], **tomorrow_values(day_forecast())}
    assert "slots short" not in message_text("day_summary", fits, language="en")
    closed = {**VALUES["day_summary"], **tomorrow_values(day_forecast(closed=True))}
    assert message_text("day_summary", closed, language="zh-CN").endswith("\n> **明天 2026-11-26**：休息")
