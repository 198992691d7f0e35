"""db.reports.figures against a small pickup point whose every figure is counted by hand below (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.local_time import hours_between, local_day, local_hour
from db.core.models import Order
from db.orders.lifecycle import (
    collect_by,
)
from db.people.sites import create_site
from db.reports.figures import (
    DISTRICT_COLUMNS,
    daily_report,
    delivery_funnel_frame,
    district_frame,
    dwell_by_class_frame,
    handover_speed_frame,
    list_site_figures,
    overdue_cutoff,
    overdue_trend_frame,
    pickups_by_day_frame,
    pickups_by_hour_frame,
    pickups_by_weekday_hour_frame,
    total_figures,
)
from tests.support.town import NOW, P1, P2, D, Town, build_town


@pytest.fixture
def town(engine: Engine) -> Town:
    return build_town(engine)


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.to_dict("records")


# --- the SQL clock ---


def test_local_day_and_hour_are_shanghai_time(engine: Engine, town: Town):
    with read_only(engine) as session:
        row = session.execute(
            select(
                local_day(Order.picked_up_at),
                local_hour(Order.picked_up_at),
                hours_between(Order.received_at, Order.picked_up_at),
            ).where(Order.order_number == "o2")
        ).one()
    # Picked up 2026-11-18 00:30 in Shanghai, which is the 17th 16:30 UTC.
    assert (row[0], row[1]) == (D(2026, 11, 18), 0)
    assert row[2] == pytest.approx(16.5)


def test_overdue_cutoff_is_the_inverse_of_collect_by():
    for hold_days in (1, 3, 7, 60):
        cutoff = overdue_cutoff(day=D(2026, 11, 25), hold_days=hold_days)
        assert collect_by(delivery_date=cutoff, hold_days=hold_days) == D(2026, 11, 25)


# --- KPI cards ---


def test_kpis_for_yesterday_and_today(engine: Engine, town: Town):
    with read_only(engine) as session:
        [yesterday] = list_site_figures(session, site_ids=[town.site_id], day=D(2026, 11, 24), now=NOW)
        [today] = list_site_figures(session, site_ids=[town.site_id], day=D(2026, 11, 25), now=NOW)
    # The 24th: o6 still expected; o3, o4, o5 arrived; o5 and o7 on the shelves; o3, o4 handed over that day;
    # o7 (delivered the 21st, collect by the 23rd) overdue.
    assert (
        yesterday.expected,
        yesterday.received,
        yesterday.on_shelves,
        yesterday.handed_over,
        yesterday.overdue,
        yesterday.problems,
    ) == (1, 3, 2, 2, 1, 0)
    assert (today.expected, today.received, today.on_shelves, today.handed_over, today.overdue, today.problems) == (
        1,
        1,
        2,
        0,
        1,
        1,
    )
    # F1 read in range, Z1 out of range (follow-up due), F2 never read though the 08:00 reading was due.
    assert (today.cold_in_range, today.cold_excursion, today.cold_missing) == (1, 1, 1)
    # 王阿姨 checked in on the 09:00–12:00 shift; 张叔叔's 07:00–09:00 shift is over.
    assert today.on_duty == 1
    assert today.overdue_rate == pytest.approx(0.5)


def test_district_rows_and_total_are_the_sum_of_the_sites(engine: Engine, town: Town):
    with read_only(engine) as session:
        figures = list_site_figures(session, site_ids=[town.site_id, town.other_site_id], day=D(2026, 11, 25), now=NOW)
    main, other = figures
    assert (other.code, other.on_shelves, other.overdue, other.expected) == ("TS3", 1, 1, 0)
    total = total_figures(figures)
    for name in (
        "expected",
        "received",
        "on_shelves",
        "handed_over",
        "overdue",
        "problems",
        "cold_in_range",
        "cold_excursion",
        "cold_missing",
        "on_duty",
    ):
        assert getattr(total, name) == getattr(main, name) + getattr(other, name), name
    assert total.overdue_rate == pytest.approx(2 / 3)

    frame = district_frame(figures, sort_by="overdue_rate", descending=True)
    assert list(frame.columns) == DISTRICT_COLUMNS
    assert list(frame["code"]) == ["TS3", "TS2", ""]
    assert frame.iloc[-1]["on_shelves"] == frame.iloc[:-1]["on_shelves"].sum() == 3
    assert district_frame([]).empty


# --- charts ---


def test_pickups_per_day_by_platform_in_local_days(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = pickups_by_day_frame(session, site_id=town.site_id, start=D(2026, 11, 17), end=D(2026, 11, 25))
    assert records(frame) == [
        {"day": D(2026, 11, 17), "platform": P1, "pickups": 1},
        {"day": D(2026, 11, 18), "platform": P1, "pickups": 1},
        {"day": D(2026, 11, 18), "platform": P2, "pickups": 1},
        {"day": D(2026, 11, 24), "platform": P1, "pickups": 2},
    ]


def test_pickups_by_hour_against_the_same_weekday(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = pickups_by_hour_frame(session, site_id=town.site_id, day=D(2026, 11, 24))
        wednesday = pickups_by_hour_frame(session, site_id=town.site_id, day=D(2026, 11, 25))
    # Tuesday the 24th: o3 and o4 at 18 h; the Tuesday before, o10 at 18 h (o2 was a Tuesday only in UTC).
    assert records(frame) == [{"hour": 18, "pickups": 2, "average": 1.0}]
    # Wednesday the 25th: none yet; the Wednesday before, o2 at 0 h and o1 at 20 h.
    # The quiet hours between are there as 0, so the chart's line does not jump from 0 h to 20 h.
    assert records(wednesday) == [
        {"hour": 0, "pickups": 0, "average": 1.0},
        *({"hour": h, "pickups": 0, "average": 0.0} for h in range(1, 20)),
        {"hour": 20, "pickups": 0, "average": 1.0},
    ]


def test_weekday_hour_heatmap(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = pickups_by_weekday_hour_frame(session, site_id=town.site_id, start=D(2026, 11, 17), end=D(2026, 11, 25))
    assert records(frame) == [
        {"weekday": 1, "hour": 18, "pickups": 3},
        {"weekday": 2, "hour": 0, "pickups": 1},
        {"weekday": 2, "hour": 20, "pickups": 1},
    ]


def test_delivery_funnel(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = delivery_funnel_frame(session, site_id=town.site_id, delivery_date=D(2026, 11, 24))
        nothing = delivery_funnel_frame(session, site_id=town.site_id, delivery_date=D(2026, 11, 1))
    # o3..o6 expected; o6 never came; o4 went from check-in straight to the resident.
    assert records(frame) == [
        {"stage": "expected", "orders": 4, "share": 1.0},
        {"stage": "received", "orders": 3, "share": 0.75},
        {"stage": "shelved", "orders": 3, "share": 0.75},
        {"stage": "picked_up", "orders": 2, "share": 0.5},
    ]
    assert nothing.empty


def test_handover_speed_counts_only_closed_windows(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = handover_speed_frame(session, site_id=town.site_id, start=D(2026, 11, 17), end=D(2026, 11, 24), now=NOW)
    rows = {row["delivery_date"]: row for row in records(frame)}
    assert sorted(rows) == [D(2026, 11, 17), D(2026, 11, 21), D(2026, 11, 24)]
    assert (
        rows[D(2026, 11, 17)]["received"],
        rows[D(2026, 11, 17)]["within_24h"],
        rows[D(2026, 11, 17)]["within_48h"],
    ) == (3, 0.667, 1.0)
    assert (rows[D(2026, 11, 21)]["within_24h"], rows[D(2026, 11, 21)]["within_48h"]) == (0.0, 0.0)
    # Checked in 26 h before now: the 24 h window is closed (o3, o4 of three), the 48 h one not yet.
    assert rows[D(2026, 11, 24)]["within_24h"] == 0.667
    assert pd.isna(rows[D(2026, 11, 24)]["within_48h"])


def test_dwell_by_storage_class(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = dwell_by_class_frame(session, site_id=town.site_id, start=D(2026, 11, 17), end=D(2026, 11, 25))
    assert records(frame) == [
        {"storage_class": "ambient", "pickups": 3, "average_hours": 18.9, "longest_hours": 36.0},  # 36, 10.25, 10.33
        {"storage_class": "chilled", "pickups": 2, "average_hours": 13.5, "longest_hours": 16.5},  # 16.5, 10.58
    ]


def test_overdue_trend(engine: Engine, town: Town):
    with read_only(engine) as session:
        frame = overdue_trend_frame(session, site_id=town.site_id, start=D(2026, 11, 22), end=D(2026, 11, 26), now=NOW)
    # The 26th has not begun; on the 25th the problem bag o8 no longer counts as held.
    assert records(frame) == [
        {"day": D(2026, 11, 22), "held": 1, "overdue": 0},
        {"day": D(2026, 11, 23), "held": 1, "overdue": 0},
        {"day": D(2026, 11, 24), "held": 2, "overdue": 1},
        {"day": D(2026, 11, 25), "held": 2, "overdue": 1},
    ]


# --- the daily report ---


def test_daily_report(engine: Engine, town: Town):
    with read_only(engine) as session:
        yesterday = daily_report(session, site_id=town.site_id, day=D(2026, 11, 24), now=NOW)
        today = daily_report(session, site_id=town.site_id, day=D(2026, 11, 25), now=NOW)
    # Pickup codes are stored as the desk compares them: upper case.
    assert list(yesterday.arrived["pickup_code"]) == ["8-O3", "8-O4", "8-O5"]
    assert list(yesterday.arrived["received_at"]) == ["08:00", "08:05", "08:10"]
    assert records(yesterday.handed_over[["pickup_code", "picked_up_at", "volunteer", "dwell_hours"]]) == [
        {"pickup_code": "8-O3", "picked_up_at": "18:20", "volunteer": "王阿姨", "dwell_hours": 10.3},
        {"pickup_code": "8-O4", "picked_up_at": "18:40", "volunteer": "王阿姨", "dwell_hours": 10.6},
    ]
    assert records(yesterday.overdue[["pickup_code", "delivery_date", "collect_by"]]) == [
        {"pickup_code": "8-O7", "delivery_date": D(2026, 11, 21), "collect_by": D(2026, 11, 23)}
    ]
    assert yesterday.problems.empty and yesterday.temperatures.empty and yesterday.on_duty.empty

    assert records(today.problems[["reported_at", "pickup_code", "reason"]]) == [
        {"reported_at": "09:00", "pickup_code": "8-O8", "reason": "袋子破损"}
    ]
    assert records(today.temperatures[["taken_at", "unit", "reading_c", "in_range", "volunteer"]]) == [
        {"taken_at": "08:00", "unit": "F1", "reading_c": 4.0, "in_range": True, "volunteer": "王阿姨"},
        {"taken_at": "08:05", "unit": "Z1", "reading_c": -10.0, "in_range": False, "volunteer": "王阿姨"},
    ]
    assert records(today.on_duty[["starts_at", "volunteer", "status"]]) == [
        {"starts_at": "07:00", "volunteer": "张叔叔", "status": "checked_in"},
        {"starts_at": "09:00", "volunteer": "张叔叔", "status": "signed_up"},
        {"starts_at": "09:00", "volunteer": "王阿姨", "status": "checked_in"},
    ]
    assert today.signed_off_by is None


# --- an empty store ---


def test_every_figure_of_an_empty_site_is_empty_or_zero(engine: Engine):
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="E1", name="空", now=NOW).id
    day = D(2026, 11, 25)
    with read_only(engine) as session:
        [figures] = list_site_figures(session, site_ids=[site_id], day=day, now=NOW)
        assert total_figures([figures]) == figures.__class__(
            site_id=0,
            code="",
            name="",
            **{name: 0 for name in DISTRICT_COLUMNS if name not in ("code", "name", "overdue_rate")},
        )
        for frame in (
            pickups_by_day_frame(session, site_id=site_id, start=day, end=day),
            pickups_by_hour_frame(session, site_id=site_id, day=day),
            pickups_by_weekday_hour_frame(session, site_id=site_id, start=day, end=day),
            delivery_funnel_frame(session, site_id=site_id, delivery_date=day),
            handover_speed_frame(session, site_id=site_id, start=day, end=day, now=NOW),
            dwell_by_class_frame(session, site_id=site_id, start=day, end=day),
            overdue_trend_frame(session, site_id=site_id, start=day, end=day, now=NOW),
        ):
            assert frame.empty
        report = daily_report(session, site_id=site_id, day=day, now=NOW)
    parts = report.parts()
    # Tomorrow's forecast of a site without bags: every class at zero; the desk still wants a volunteer per opening
    # hour (db.forecast: at least one while open), so the hands part lists that gap.
    assert all(part.empty for name, part in parts.items() if name not in ("tomorrow", "hands"))
    tomorrow = parts["tomorrow"]
    assert set(tomorrow["storage_class"]) == {"ambient", "chilled", "frozen"}
    assert (tomorrow[["arriving", "collected", "peak_held", "short_by"]] == 0).all().all()
    assert (parts["hands"]["on_duty"] == 0).all()
