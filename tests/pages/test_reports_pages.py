"""Dashboard, reports and daily report under AppTest: chart specs and data, the district view, an empty store."""

from __future__ import annotations

import datetime as dt
import pathlib

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.people.accounts import SignedIn, create_volunteer
from db.people.sites import create_site
from db.reports.figures import pickups_by_day_frame
from tests.support.pages import chart_specs
from tests.support.paths import APP
from tests.support.town import NOW, P1, P2, Town, build_town
from ui.i18n import LANGUAGE_STATE_KEY, translate
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.signed_in import ACTING_SITE_KEY, AUDIENCE_KEY, SIGNED_IN_KEY

D = dt.date


def migrated(path: pathlib.Path):
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    return engine


@pytest.fixture(scope="module")
def town_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Town]:
    path = tmp_path_factory.mktemp("town") / "town.db"
    engine = migrated(path)
    town = build_town(engine)
    engine.dispose()
    return f"sqlite:///{path}", town


@pytest.fixture(scope="module")
def empty_url(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, SignedIn]:
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    engine = migrated(path)
    with unit_of_work(engine) as session:
        site = create_site(session, code="E1", name="空站", now=NOW)
        organizer = create_volunteer(session, site_id=site.id, name="陈主任", roles=["organizer"], now=NOW)
        user = SignedIn(volunteer_id=organizer.id, name="陈主任", site_id=site.id, roles=frozenset({"organizer"}))
    engine.dispose()
    return f"sqlite:///{path}", user


def organizer_app(
    url: str, user: SignedIn, monkeypatch: pytest.MonkeyPatch, *, language: str = "zh-CN", audience: str = ORGANIZER
) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[LANGUAGE_STATE_KEY] = language
    at.session_state[SIGNED_IN_KEY] = user
    at.session_state[AUDIENCE_KEY] = audience
    return at


def town_organizer(town: Town) -> SignedIn:
    return SignedIn(volunteer_id=town.organizer_id, name="李主任", site_id=town.site_id, roles=frozenset({"organizer"}))


def charts(at: AppTest) -> list[tuple[dict, list[dict]]]:
    """Each Altair chart on the page: its Vega-Lite spec and the rows of its first dataset."""
    found = []
    for element, spec in zip(at.get("vega_lite_chart"), chart_specs(at), strict=True):
        table = pa.ipc.open_stream(element.proto.datasets[0].data.data).read_all()
        found.append((spec, table.to_pylist()))
    return found


def titles(spec: dict) -> dict[str, str]:
    """Channel → axis/legend title, through a layered chart too."""
    layers = spec.get("layer", [spec])
    return {
        channel: encoding.get("title")
        for layer in layers
        for channel, encoding in layer.get("encoding", {}).items()
        if isinstance(encoding, dict)
    }


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_reports_charts_carry_the_figures_and_translated_titles(town_url, monkeypatch, language: str):
    url, town = town_url
    at = organizer_app(url, town_organizer(town), monkeypatch, language=language)
    at.switch_page("pages/reports.py").run()
    at.date_input(key="reports_range").set_value((D(2026, 11, 17), D(2026, 11, 25))).run()
    at.date_input(key="reports_day").set_value(D(2026, 11, 24)).run()
    assert not at.exception

    found = charts(at)
    # Seven charts, none of them empty on this range: day, heatmap, speed, dwell, overdue, hour, funnel.
    assert len(found) == 7
    by_day_spec, by_day = found[0]
    assert sorted((row["day"], row["platform"], row["pickups"]) for row in by_day) == [
        ("2026-11-17", P1, 1),
        ("2026-11-18", P1, 1),
        ("2026-11-18", P2, 1),
        ("2026-11-24", P1, 2),
    ]
    assert titles(by_day_spec) == {
        "x": translate(language, "chart.axis.day"),
        "y": translate(language, "chart.axis.pickups"),
        "color": translate(language, "chart.axis.platform"),
    }
    assert [tip["title"] for tip in by_day_spec["encoding"]["tooltip"]] == [
        translate(language, key) for key in ("chart.axis.day", "chart.axis.platform", "chart.axis.pickups")
    ]

    heat_spec, heat = found[1]
    weekdays = {translate(language, "value.weekday.1"): 1, translate(language, "value.weekday.2"): 2}
    assert sorted((weekdays[row["weekday"]], row["hour"], row["pickups"]) for row in heat) == [
        (1, 18, 3),
        (2, 0, 1),
        (2, 20, 1),
    ]
    assert titles(heat_spec)["y"] == translate(language, "chart.axis.weekday")
    # The hour axis runs 0 h … 20 h without skipping the quiet hours between.
    assert heat_spec["encoding"]["x"]["scale"]["domain"] == list(range(21))

    hour_spec, hour = found[5]
    assert sorted((row["series"], row["hour"], row["value"]) for row in hour) == sorted(
        [
            (translate(language, "chart.series.chosen_day"), 18, 2.0),
            (translate(language, "chart.series.weekday_average"), 18, 1.0),
        ]
    )
    assert titles(hour_spec)["x"] == translate(language, "chart.axis.hour")

    funnel_spec, funnel = found[6]
    assert [(row["stage"], row["orders"]) for row in funnel] == [
        (translate(language, f"chart.stage.{stage}"), count)
        for stage, count in (("expected", 4), ("received", 3), ("shelved", 3), ("picked_up", 2))
    ]


def test_every_chart_says_no_data_yet_on_an_empty_store(empty_url, monkeypatch):
    url, user = empty_url
    no_data = translate("zh-CN", "chart.no_data")
    for page, count in (("pages/dashboard.py", 2), ("pages/reports.py", 7)):
        at = organizer_app(url, user, monkeypatch).switch_page(page).run()
        assert not at.exception, page
        assert charts(at) == []
        assert [element.value for element in at.info].count(no_data) == count, page
    at = organizer_app(url, user, monkeypatch).switch_page("pages/daily_report.py").run()
    assert not at.exception
    assert [element.value for element in at.caption].count(translate("zh-CN", "table.empty")) == 6


def test_kpi_cards_on_the_dashboard_and_the_desk(empty_url, monkeypatch):
    url, user = empty_url
    at = organizer_app(url, user, monkeypatch).switch_page("pages/dashboard.py").run()
    cards = {metric.label: metric.value for metric in at.metric}
    assert cards[translate("zh-CN", "kpi.on_shelves")] == "0"
    assert len(cards) == 10
    desk = organizer_app(url, user, monkeypatch, audience=VOLUNTEER).switch_page("pages/desk.py").run()
    assert not desk.exception
    assert translate("zh-CN", "kpi.handed_over") in [metric.label for metric in desk.metric]


def test_district_view_lists_every_site_with_the_total_and_opens_one(town_url, monkeypatch):
    url, town = town_url
    at = organizer_app(url, town_organizer(town), monkeypatch, language="en").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table[translate("en", "column.code")]) == ["TS2", "TS3", ""]
    assert list(table[translate("en", "column.name")])[-1] == translate("en", "district.total")
    shelves = list(table[translate("en", "column.on_shelves")])
    assert shelves[-1] == sum(shelves[:-1])

    # The options' labels are translated inside the run; the test sets the choice itself.
    at.session_state["district_sort"] = "on_shelves"
    at.run()
    assert list(at.dataframe[0].value[translate("en", "column.code")]) == ["TS3", "TS2", ""]
    at.toggle(key="district_descending").set_value(True).run()
    assert list(at.dataframe[0].value[translate("en", "column.code")]) == ["TS2", "TS3", ""]

    at.selectbox(key="district_site").set_value(town.other_site_id).run()
    at.button(key="district_open").click().run()
    assert not at.exception
    assert at.session_state[ACTING_SITE_KEY] == town.other_site_id
    assert at.selectbox(key="acting_site_choice").value == town.other_site_id
    cards = {metric.label: metric.value for metric in at.metric}
    assert cards[translate("en", "kpi.on_shelves")] == "1"  # TS3's one bag

    # The sidebar switch goes back, for every organizer page.
    at.selectbox(key="acting_site_choice").set_value(town.site_id).run()
    assert at.session_state[ACTING_SITE_KEY] == town.site_id


def test_daily_report_shows_each_part_and_offers_downloads(town_url, monkeypatch):
    url, town = town_url
    at = organizer_app(url, town_organizer(town), monkeypatch, language="en")
    at.switch_page("pages/daily_report.py").run()
    at.date_input(key="daily_day").set_value(D(2026, 11, 24)).run()
    assert not at.exception
    headers = [element.value for element in at.header]
    assert f"{translate('en', 'daily.part.arrived')} (3)" in headers
    assert f"{translate('en', 'daily.part.overdue')} (1)" in headers
    arrived = at.dataframe[0].value
    assert list(arrived[translate("en", "column.pickup_code")]) == ["8-O3", "8-O4", "8-O5"]
    assert len(at.get("download_button")) == 2

    at.toggle(key="daily_print").set_value(True).run()
    assert not at.exception
    assert not at.get("download_button")
    assert len(at.table) == 3  # the parts with rows: arrived, handed over, overdue
    # Hours as the screen shows them (26.5), not the static table's four decimals (26.5000).
    hours = at.table[1].value[translate("en", "column.dwell_hours")]
    assert list(hours) == ["10.3", "10.6"]  # handed to the page as text: the table prints it as is


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_district_view_charts_every_sites_pickups_per_day(town_url, monkeypatch, language: str):
    url, town = town_url
    # The chart's window ends today: the town's days, whatever the date the test runs on.
    monkeypatch.setattr("ui.kpis.local_today", lambda now=None: D(2026, 11, 25))
    at = organizer_app(url, town_organizer(town), monkeypatch, language=language).run()
    assert not at.exception
    heading = translate(language, "district.pickups_by_day", days=14).plain
    assert heading in [element.value for element in at.header]
    spec, rows = charts(at)[0]
    assert titles(spec) == {
        "x": translate(language, "chart.axis.day"),
        "y": translate(language, "chart.axis.pickups"),
        "color": translate(language, "chart.axis.site"),
    }
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            one_site = pickups_by_day_frame(session, site_id=town.site_id, start=D(2026, 11, 12), end=D(2026, 11, 25))
    finally:
        engine.dispose()
    # The district's bars for TS2 are the site's own pickups per day (summed over platforms).
    per_day = one_site.groupby("day")["pickups"].sum()
    assert sorted((row["day"], row["pickups"]) for row in rows if row["code"] == "TS2") == [
        (day.isoformat(), int(count)) for day, count in per_day.items()
    ]
    assert {row["code"] for row in rows} <= {"TS2", "TS3"} and len(per_day) >= 3
