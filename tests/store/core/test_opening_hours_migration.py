"""Migration 0013_opening_hours: the upgrade adds `weekday_hours` and `closed_days` and changes no site's hours; the
downgrade drops them (every day has the usual hours again) and the site's other rules stay (SQLite and
PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, select, text

from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import downgrade_to, upgrade_to_head
from db.core.models import SiteRules
from db.people.opening_hours import WeekdayRule, hours_on, upcoming_closed_days, week_hours
from db.people.site_rules import add_closed_days, update_site_rules
from tests.support.store import make_world

NEW_TABLES = {"weekday_hours", "closed_days"}


def test_the_downgrade_drops_the_hours_tables_and_the_upgrade_brings_them_back_empty(
    database_url: str, now: dt.datetime
) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_to_head(engine)
        world = make_world(engine, now=now)
        sunday = now.date() + dt.timedelta(days=(6 - now.date().weekday()) % 7 or 7)
        with unit_of_work(engine) as session:
            update_site_rules(
                session,
                site_id=world.site_id,
                changes={"hold_days": 5, "weekday_hours": {6: WeekdayRule(dt.time(9), dt.time(12))}},
                actor_id=world.volunteer_id,
                now=now,
            )
            add_closed_days(
                session, site_id=world.site_id, first=sunday, note="春节", actor_id=world.volunteer_id, now=now
            )
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES

        downgrade_to(engine, revision="0012_held_rollups")
        assert NEW_TABLES.isdisjoint(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert connection.execute(text("SELECT hold_days, opens_at FROM site_rules")).one()[0] == 5

        upgrade_to_head(engine)
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        with read_only(engine) as session:
            rules = session.scalar(select(SiteRules).where(SiteRules.site_id == world.site_id))
            assert rules is not None and rules.hold_days == 5
            week = week_hours(session, site_id=world.site_id)
            assert all(day.usual and day.opens_at == rules.opens_at for day in week)
            assert hours_on(session, site_id=world.site_id, day=sunday).opens_at == rules.opens_at
            assert upcoming_closed_days(session, site_id=world.site_id, today=now.date()) == []
    finally:
        engine.dispose()
