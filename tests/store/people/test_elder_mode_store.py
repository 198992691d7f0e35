"""长辈模式: a counter tablet's and a volunteer's own, each change an event, and the rule of which applies."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.errors import NotFound
from db.core.models import Event
from db.people.devices import (
    elder_mode_applies,
    find_device,
    remember_browser,
    revoke_tablet,
    set_tablet_elder_mode,
    tablet_elder_mode,
)
from db.people.volunteers import set_volunteer_elder_mode, volunteer_elder_mode
from tests.support.store import World, enrolled_tablet, make_world


def tablet_id(engine: Engine, world: World, now: dt.datetime) -> int:
    client = enrolled_tablet(engine, site_id=world.site_id, now=now)
    with unit_of_work(engine) as session:
        device = find_device(session, token=client.device_token)
        assert device is not None
        return device.id


def applies(engine: Engine, *, volunteer_id: int | None, device_id: int | None, chosen: bool = False) -> bool:
    with unit_of_work(engine) as session:
        return elder_mode_applies(session, volunteer_id=volunteer_id, device_id=device_id, chosen_for_session=chosen)


def events(engine: Engine, action: str) -> list[tuple[dict, dict, int | None]]:
    with unit_of_work(engine) as session:
        rows = session.execute(select(Event.before, Event.after, Event.actor_id).where(Event.action == action))
        return [(row.before, row.after, row.actor_id) for row in rows]


def test_a_tablet_keeps_its_elder_mode_and_each_change_is_an_event(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    device_id = tablet_id(engine, world, now)
    with unit_of_work(engine) as session:
        assert tablet_elder_mode(session, device_id=device_id) is False
        set_tablet_elder_mode(session, device_id=device_id, elder_mode=True, actor_id=None, now=now)
        set_tablet_elder_mode(session, device_id=device_id, elder_mode=True, actor_id=None, now=now)  # no change
    with unit_of_work(engine) as session:
        assert tablet_elder_mode(session, device_id=device_id) is True
    assert events(engine, "device.elder_mode_set") == [({"elder_mode": False}, {"elder_mode": True}, None)]


def test_only_a_live_counter_tablet_has_an_elder_mode(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    device_id = tablet_id(engine, world, now)
    with unit_of_work(engine) as session:
        browser = find_device(session, token=remember_browser(session, volunteer_id=world.volunteer_id, now=now))
        assert browser is not None
        with pytest.raises(NotFound):
            set_tablet_elder_mode(session, device_id=browser.id, elder_mode=True, actor_id=None, now=now)
        revoke_tablet(session, site_id=world.site_id, device_id=device_id, actor_id=world.volunteer_id, now=now)
        with pytest.raises(NotFound):
            set_tablet_elder_mode(session, device_id=device_id, elder_mode=True, actor_id=None, now=now)


def test_a_volunteer_switches_their_own_elder_mode(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        set_volunteer_elder_mode(session, volunteer_id=world.volunteer_id, elder_mode=True, now=now)
    with unit_of_work(engine) as session:
        assert volunteer_elder_mode(session, volunteer_id=world.volunteer_id) is True
        assert volunteer_elder_mode(session, volunteer_id=world.other_volunteer_id) is False
        set_volunteer_elder_mode(session, volunteer_id=world.volunteer_id, elder_mode=False, now=now)
        with pytest.raises(NotFound):
            set_volunteer_elder_mode(session, volunteer_id=99999, elder_mode=True, now=now)
    assert events(engine, "volunteer.elder_mode_set") == [
        ({"elder_mode": False}, {"elder_mode": True}, world.volunteer_id),
        ({"elder_mode": True}, {"elder_mode": False}, world.volunteer_id),
    ]


def test_signed_in_the_volunteers_own_rules_else_the_tablets_else_the_sessions(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    device_id = tablet_id(engine, world, now)
    with unit_of_work(engine) as session:
        set_tablet_elder_mode(session, device_id=device_id, elder_mode=True, actor_id=None, now=now)
        set_volunteer_elder_mode(session, volunteer_id=world.other_volunteer_id, elder_mode=True, now=now)
        browser = find_device(session, token=remember_browser(session, volunteer_id=world.volunteer_id, now=now))
        assert browser is not None
    # The tablet's sign-in screen: the tablet's mode, whatever the session chose.
    assert applies(engine, volunteer_id=None, device_id=device_id) is True
    # Signed in on that tablet: the volunteer's own, off for one and on for the other.
    assert applies(engine, volunteer_id=world.volunteer_id, device_id=device_id, chosen=True) is False
    assert applies(engine, volunteer_id=world.other_volunteer_id, device_id=device_id) is True
    # A plain or remembered browser, signed out: off unless switched for the session.
    assert applies(engine, volunteer_id=None, device_id=None) is False
    assert applies(engine, volunteer_id=None, device_id=None, chosen=True) is True
    assert applies(engine, volunteer_id=None, device_id=browser.id) is False
    # A revoked tablet is a plain browser again.
    with unit_of_work(engine) as session:
        revoke_tablet(session, site_id=world.site_id, device_id=device_id, actor_id=world.volunteer_id, now=now)
    assert applies(engine, volunteer_id=None, device_id=device_id) is False
