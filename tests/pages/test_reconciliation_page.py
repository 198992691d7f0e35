"""The reconciliation page under AppTest, on the reports' small town: the flagged days, the bags to report, both
languages, and who may open it."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from db.core.engine import make_engine
from db.core.migrate import upgrade_to_head
from db.people.accounts import SignedIn
from tests.support.paths import APP
from tests.support.town import P2, Town, build_town
from ui.i18n import LANGUAGE_STATE_KEY, translate
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.signed_in import AUDIENCE_KEY, SIGNED_IN_KEY

D = dt.date


@pytest.fixture(scope="module")
def town_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Town]:
    path = tmp_path_factory.mktemp("town") / "town.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    town = build_town(engine)
    engine.dispose()
    return f"sqlite:///{path}", town


def reconciliation(town_url, monkeypatch, *, language: str = "zh-CN", audience: str = ORGANIZER) -> AppTest:
    url, town = town_url
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[LANGUAGE_STATE_KEY] = language
    at.session_state[SIGNED_IN_KEY] = SignedIn(
        volunteer_id=town.organizer_id, name="李主任", site_id=town.site_id, roles=frozenset({"organizer"})
    )
    at.session_state[AUDIENCE_KEY] = audience
    at.switch_page("pages/reconciliation.py").run()
    assert not at.exception, [element.value for element in at.exception]
    # The town's deliveries, 17–25 November, all of them past days by now.
    at.date_input(key="reconcile_range").set_value((D(2026, 11, 17), D(2026, 11, 25))).run()
    assert not at.exception, [element.value for element in at.exception]
    return at


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_flagged_days_first_and_the_bags_to_report(town_url, monkeypatch, language: str):
    at = reconciliation(town_url, monkeypatch, language=language)
    say = lambda key, **params: translate(language, key, **params).plain  # noqa: E731
    # 24th and 25th of 美团优选: a bag neither checked in nor reported missing.
    assert [element.value for element in at.warning] == [say("reconcile.flagged", count=2)]
    days = at.dataframe[0].value
    assert len(days) == 7
    assert say("column.balance") in days.columns
    balance = list(days[say("column.balance")])
    assert balance.count(say("value.balance.unaccounted")) == 2
    assert balance.count(say("value.balance.balanced")) == 5
    # The first choice is the newest flagged row: o9, due on the 25th, never came.
    chooser = at.selectbox(key="reconcile_choice")
    assert chooser.options[0] == say("reconcile.day_platform_option", day=D(2026, 11, 25), platform=P2)
    bags = at.dataframe[1].value
    assert list(bags[say("column.order_number")]) == ["o9"]
    assert list(bags[say("column.issue")]) == [say("value.issue.unaccounted")]
    # The 25th of 多多买菜 balances, but o8 was reported damaged: the platform hears of it.
    options = list(chooser.options)
    chooser.set_value(
        options.index(say("reconcile.day_platform_option", day=D(2026, 11, 25), platform="多多买菜"))
    ).run()
    bags = at.dataframe[1].value
    assert list(bags[say("column.order_number")]) == ["o8"]
    assert list(bags[say("column.reason")]) == ["袋子破损"]
    assert [button.label for button in at.get("download_button")][-2:] == [say("export.csv"), say("export.xlsx")]


def test_volunteers_do_not_reach_it(town_url, monkeypatch):
    url, town = town_url
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[SIGNED_IN_KEY] = SignedIn(
        volunteer_id=town.organizer_id, name="李主任", site_id=town.site_id, roles=frozenset({"handout"})
    )
    at.session_state[AUDIENCE_KEY] = VOLUNTEER
    at.switch_page("pages/reconciliation.py").run()
    assert not at.get("dataframe")
