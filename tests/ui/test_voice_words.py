"""What the counter tablet says (ui/voice.py and the voice.* messages): numbers of bags as Chinese says them, and
only a slot, a storage class and a count in the words."""

from __future__ import annotations

import pytest

from ui.i18n import translate
from ui.voice import spoken_number


@pytest.mark.parametrize(
    ("count", "chinese"), [(1, "一"), (2, "两"), (3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五")]
)
def test_a_number_of_bags_is_said_as_chinese_says_it(count: int, chinese: str) -> None:
    assert spoken_number(count) == chinese  # the default language (zh-CN) outside a running page
    assert translate("zh-CN", "voice.handed_over", count=count, number=chinese).plain == f"共{chinese}袋，已交"


def test_the_words_carry_only_the_slot_the_class_and_the_count() -> None:
    found = translate("zh-CN", "voice.found", storage_class=translate("zh-CN", "value.kind.chilled"), slot="F1-13")
    assert found.plain == "冷藏，F1-13"
    household = translate("zh-CN", "voice.found_household", number="三", slots=["F1-13", "F1-29", "Z1-04"])
    assert household.plain == "三袋：F1-13、F1-29、Z1-04"
    assert translate("en", "voice.handed_over", count=1, number="1").plain == "1 bag, handed over"
    assert translate("en", "voice.handed_over", count=3, number="3").plain == "3 bags, handed over"
