"""Access records: only a site's organizers look beyond the mask, each look is recorded with its reason, and the
organizers' list reads them back by day, person and kind."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.clock import local_moment
from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotAllowed, NotFound, WrongState
from db.core.models import AccessRecord
from db.people.accounts import grant_role
from db.privacy.access import list_access_records, list_access_volunteers, record_access, reveal_phone
from db.privacy.retention import anonymise_orders
from tests.support.privacy_pickup import RESIDENT_PHONE, Pickup


def _record(engine: Engine, pickup: Pickup, now: dt.datetime, **values: object) -> int:
    arguments: dict[str, object] = {"kind": "export_unmasked", "reason": "call", "subject": "orders", "row_count": 3}
    arguments.update(values)
    with unit_of_work(engine) as session:
        return record_access(
            session,
            site_id=pickup.site_id,
            volunteer_id=arguments.pop("volunteer_id", pickup.organizer_id),  # type: ignore[arg-type]
            now=now,
            **arguments,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"kind": "looked"}, "error.invalid_value"),
        ({"reason": "curious"}, "error.invalid_value"),
        ({"reason": "other"}, "error.access_note_needed"),
        ({"reason": "other", "note": "   "}, "error.access_note_needed"),
        ({"reason": "other", "note": "长" * 201}, "error.call_note_too_long"),
        ({"row_count": -1}, "error.invalid_value"),
    ],
)
def test_a_record_needs_a_known_kind_and_reason_and_a_note_for_other(
    engine: Engine, pickup: Pickup, now: dt.datetime, values: dict[str, object], key: str
):
    with pytest.raises(InvalidValue) as refused:
        _record(engine, pickup, now, **values)
    assert refused.value.key == key
    with read_only(engine) as session:
        assert session.scalars(select(AccessRecord)).all() == []


def test_only_an_organizer_of_the_site_may_record_or_see_a_number(engine: Engine, pickup: Pickup, now: dt.datetime):
    for volunteer_id in (pickup.volunteer_id, pickup.other_organizer_id):
        with pytest.raises(NotAllowed):
            _record(engine, pickup, now, volunteer_id=volunteer_id)
        with pytest.raises(NotAllowed), unit_of_work(engine) as session:
            reveal_phone(
                session, site_id=pickup.site_id, order_id=pickup.closed_bag, volunteer_id=volunteer_id,
                reason="call", now=now,
            )  # fmt: skip
    record_id = _record(engine, pickup, now, reason="other", note="  街道核对名单  ")
    with read_only(engine) as session:
        record = session.get_one(AccessRecord, record_id)
        assert (record.volunteer_id, record.kind, record.reason, record.note) == (
            pickup.organizer_id, "export_unmasked", "other", "街道核对名单",
        )  # fmt: skip
        assert (record.subject, record.row_count, record.happened_at) == ("orders", 3, now)


def test_showing_the_number_returns_it_whole_and_records_who_when_which_bag_and_why(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    with unit_of_work(engine) as session:
        phone = reveal_phone(
            session, site_id=pickup.site_id, order_id=pickup.open_bag, volunteer_id=pickup.organizer_id,
            reason="platform_dispute", now=now,
        )  # fmt: skip
    assert phone == RESIDENT_PHONE
    with read_only(engine) as session:
        record = session.scalars(select(AccessRecord)).one()
    assert (record.kind, record.reason, record.order_id, record.volunteer_id) == (
        "phone_shown", "platform_dispute", pickup.open_bag, pickup.organizer_id,
    )  # fmt: skip
    # No number stays in the record: only the bag.
    assert RESIDENT_PHONE not in repr([record.note, record.household_id, record.subject])


def test_another_sites_bag_is_not_found_and_an_anonymised_one_has_no_number_left(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        reveal_phone(
            session, site_id=pickup.site_id, order_id=pickup.other_site_bag, volunteer_id=pickup.organizer_id,
            reason="call", now=now,
        )  # fmt: skip
    with unit_of_work(engine) as session:
        anonymise_orders(session, site_id=pickup.site_id, order_ids=[pickup.closed_bag], now=now)
    with pytest.raises(WrongState) as refused, unit_of_work(engine) as session:
        reveal_phone(
            session, site_id=pickup.site_id, order_id=pickup.closed_bag, volunteer_id=pickup.organizer_id,
            reason="call", now=now,
        )  # fmt: skip
    assert refused.value.key == "error.order_anonymised"
    with read_only(engine) as session:
        assert session.scalars(select(AccessRecord)).all() == []


def test_the_list_reads_local_days_inclusive_newest_first_and_filters_by_person_and_kind(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    day = now.date()
    with unit_of_work(engine) as session:
        grant_role(session, volunteer_id=pickup.volunteer_id, site_id=pickup.site_id, role="organizer", now=now)
    # 23:30 the day before (site clock) and 00:10 today: one each side of midnight in Shanghai, not in UTC.
    late = local_moment(day - dt.timedelta(days=1), dt.time(23, 30))
    early = local_moment(day, dt.time(0, 10))
    _record(engine, pickup, late, kind="export_unmasked", subject="overdue_calls", row_count=12)
    with unit_of_work(engine) as session:
        reveal_phone(
            session, site_id=pickup.site_id, order_id=pickup.open_bag, volunteer_id=pickup.volunteer_id,
            reason="call", now=early,
        )  # fmt: skip
    _record(engine, pickup, now, kind="export_unmasked", reason="other", note="备查", row_count=0)
    with unit_of_work(engine) as session:
        # Another site's record never shows here.
        record_access(
            session, site_id=pickup.other_site_id, volunteer_id=pickup.other_organizer_id, kind="phone_shown",
            reason="call", order_id=pickup.other_site_bag, now=now,
        )  # fmt: skip
    with read_only(engine) as session:
        today = list_access_records(session, site_id=pickup.site_id, since=day, until=day)
        both = list_access_records(session, site_id=pickup.site_id, since=day - dt.timedelta(days=1), until=day)
        yesterday = list_access_records(
            session, site_id=pickup.site_id, since=day - dt.timedelta(days=1), until=day - dt.timedelta(days=1)
        )
        by_person = list_access_records(
            session, site_id=pickup.site_id, since=day - dt.timedelta(days=1), until=day,
            volunteer_id=pickup.volunteer_id,
        )  # fmt: skip
        by_kind = list_access_records(
            session, site_id=pickup.site_id, since=day - dt.timedelta(days=1), until=day, kind="export_unmasked"
        )
        volunteers = list_access_volunteers(session, site_id=pickup.site_id)
    assert list(today.columns) == [
        "happened_at", "volunteer_name", "kind", "reason", "note", "pickup_code", "household_id", "subject",
        "row_count",
    ]  # fmt: skip
    assert list(today["kind"]) == ["export_unmasked", "phone_shown"]
    assert list(both["kind"]) == ["export_unmasked", "phone_shown", "export_unmasked"]
    assert list(yesterday["subject"]) == ["overdue_calls"] and list(yesterday["row_count"]) == [12]
    assert yesterday["happened_at"].iloc[0] == dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 30))
    assert list(by_person["volunteer_name"]) == ["王阿姨"] and list(by_person["pickup_code"]) == ["8-A2"]
    assert list(by_kind["note"].fillna("")) == ["备查", ""]
    assert sorted(volunteers) == sorted([(pickup.organizer_id, "李主任"), (pickup.volunteer_id, "王阿姨")])
