"""The site rules page under AppTest: an organizer changes the rules in the form; a bad range is refused with the
rule named; residents then see the hold time and the rules text as typed."""

from __future__ import annotations

from sqlalchemy import select

from db.core.models import SiteRules
from tests.support.app_data import AppData, stored
from tests.support.pages import new_app, organizer_on
from ui.i18n import translate

RULES_TEXT = "一、取货请带取货码。\n二、**冷藏**袋当天取走 <b>谢谢</b>"


def test_an_organizer_changes_the_rules_and_residents_see_them(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    at.number_input(key="rule_hold_days").set_value(5)
    at.text_area(key="rule_text").input(RULES_TEXT)
    at.button[0].click().run()
    assert not at.exception
    assert stored(writable_app_env, select(SiteRules.hold_days, SiteRules.rules_text)) == [(5, RULES_TEXT)]
    # The change is in the page's history, in words.
    history = at.dataframe[0].value
    assert len(history) == 1
    status = new_app(writable_app_env).switch_page("pages/status.py").run()
    assert translate("zh-CN", "status.hold_by_class", ambient=5, chilled=3, frozen=3) in [
        caption.value for caption in status.caption
    ]
    assert RULES_TEXT in [element.value for element in status.text]


def test_a_range_upside_down_is_refused_with_the_rule_named(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    at.number_input(key="rule_chilled_min_c").set_value(9.0)
    at.button[0].click().run()
    rule = translate("zh-CN", "value.rule.chilled_min_c")
    assert [element.value for element in at.error] == [translate("zh-CN", "error.rules_range_order", rule=rule)]
    assert stored(writable_app_env, select(SiteRules.chilled_min_c)) == [(0.0,)]
