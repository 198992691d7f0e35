"""The event log names people, shifts, bags and units instead of row ids, from one read per kind of row
(SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, event

from db.cold_chain.units import create_storage_unit
from db.core.engine import read_only, unit_of_work
from db.orders.lifecycle import ItemSpec, create_order
from db.people.accounts import create_volunteer
from db.people.sites import create_site
from db.reports.audit import EVENT_COLUMNS, events_frame
from db.roster.shifts import create_shift, sign_up


def build_site(engine: Engine, now: dt.datetime, *, helpers: int, code: str = "TS2") -> dict[str, int]:
    """A site with `helpers` volunteers each signed up for a shift of their own, a unit and an order."""
    with unit_of_work(engine) as session:
        site = create_site(session, code=code, name=f"{code} 买菜点", address="天山路", now=now)
        create_storage_unit(session, site_id=site.id, code="F1", name="冷藏一", kind="fridge", slot_count=2, now=now)
        create_order(
            session,
            site_id=site.id,
            platform="多多买菜",
            order_number="A-1",
            pickup_code="8-123",
            resident_name="张先生",
            phone="13700002222",
            delivery_date=now.date(),
            items=[ItemSpec(product="鸡蛋", quantity=1, storage_class="chilled")],
            now=now,
        )
        for number in range(helpers):
            person = create_volunteer(
                session,
                site_id=site.id,
                name=f"志愿者{number}",
                phone=f"138{site.id:04d}{number:04d}",
                roles=("handout",),
                now=now,
            )
            starts = now + dt.timedelta(days=1, hours=number)
            shift = create_shift(
                session,
                site_id=site.id,
                role="handout",
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                min_staff=1,
                max_staff=2,
                now=now,
            )
            sign_up(session, shift_id=shift.id, volunteer_id=person.id, now=now)
        return {"site": site.id}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def test_the_log_names_people_shifts_bags_and_units_instead_of_ids(engine: Engine, now: dt.datetime):
    ids = build_site(engine, now, helpers=1)
    with read_only(engine) as session:
        log = events_frame(session, site_id=ids["site"])
    assert list(log.columns) == EVENT_COLUMNS  # no entity_id column
    by_action = {row["action"]: row for row in log.to_dict("records")}
    starts = stamp(now + dt.timedelta(days=1))
    signed_up = by_action["assignment.signed_up"]
    assert signed_up["subject"] == {"volunteer": "志愿者0", "shift": starts, "role": "handout"}
    assert signed_up["after"] == {"shift": starts, "volunteer": "志愿者0"}
    assert by_action["shift.created"]["subject"] == {"shift": starts, "role": "handout"}
    assert by_action["order.created"]["subject"] == {"pickup_code": "8-123"}
    assert by_action["storage_unit.created"]["subject"] == {"unit": "F1"}
    assert by_action["volunteer.created"]["subject"] == {"volunteer": "志愿者0"}
    # A person's name is a person_name (姓名), not a thing's name (名称).
    assert by_action["volunteer.created"]["after"] == {"person_name": "志愿者0", "roles": ["handout"]}
    written = repr(log.to_dict("records"))
    assert "_id" not in written


def test_the_names_take_as_many_reads_for_many_events_as_for_few(engine: Engine, now: dt.datetime):
    """One read per kind of row for the whole page of events, not one per event."""

    def events_and_reads(*, helpers: int, code: str) -> tuple[int, int]:
        ids = build_site(engine, now, helpers=helpers, code=code)
        selects: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # SQLAlchemy's hook signature
            if statement.lstrip().upper().startswith("SELECT"):
                selects.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            with read_only(engine) as session:
                log = events_frame(session, site_id=ids["site"])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(log), len(selects)

    few_events, few_reads = events_and_reads(helpers=1, code="A1")
    many_events, many_reads = events_and_reads(helpers=8, code="B2")
    assert many_events > few_events * 3
    assert many_reads == few_reads
