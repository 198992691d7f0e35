"""The residents' notices page under AppTest: the text to paste, in both languages, as plain text."""

from __future__ import annotations

import pytest

from tests.support.app_data import CODE, AppData, receive
from tests.support.pages import new_app
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_todays_arrivals_notice_names_the_bag_in_its_slot(writable_app_env: AppData, language: str):
    receive(writable_app_env)
    at = new_app(writable_app_env, audience=VOLUNTEER, language=language).switch_page("pages/notices.py").run()
    assert not at.exception
    text = at.text[0].value
    lines = text.splitlines()
    assert lines[0].startswith(translate(language, "notices.arrivals_head", site="天山二村", day="").plain[:3])
    # The one bag: masked name, phone tail, code; nothing escaped, it is pasted as it is.
    assert any("张*生" in line and "2222" in line and CODE in line for line in lines)
    assert "\\" not in text
    assert translate(language, "notices.count", count=1, told=0).plain in [caption.value for caption in at.caption]


def test_no_bag_in_a_slot_yet_says_so(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).switch_page("pages/notices.py").run()
    assert [element.value for element in at.info] == [translate("zh-CN", "notices.arrivals_none")]
    at.radio(key="notices_kind").set_value("overdue").run()
    assert [element.value for element in at.info] == [translate("zh-CN", "notices.overdue_none")]
