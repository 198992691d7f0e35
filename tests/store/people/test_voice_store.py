"""The voice at the counter per tablet (db/people/voice.py): as elder mode says until chosen, a volume in range,
an event per change, and no settings for a remembered browser or a removed tablet."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import Event
from db.people.devices import find_device, remember_browser, revoke_tablet
from db.people.voice import VoiceSettings, get_voice_settings, set_voice_settings
from tests.support.store import enrolled_tablet, make_world


def test_a_tablet_speaks_as_elder_mode_says_until_someone_chooses_and_each_change_is_an_event(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    tablet = enrolled_tablet(engine, site_id=world.site_id, now=now)
    with unit_of_work(engine) as session:
        device = find_device(session, token=tablet.device_token)
        assert device is not None
        settings = get_voice_settings(session, device_id=device.id)
    assert settings == VoiceSettings(on=None, volume=80)
    assert settings.speaks(elder_mode=True) and not settings.speaks(elder_mode=False)

    later = now + dt.timedelta(minutes=1)
    with unit_of_work(engine) as session:
        chosen = dict(site_id=world.site_id, device_id=device.id, actor_id=world.volunteer_id, now=later)
        assert set_voice_settings(session, on=False, volume=60, **chosen) == VoiceSettings(on=False, volume=60)
        set_voice_settings(session, on=False, volume=60, **chosen)  # the same again: no event
        set_voice_settings(session, on=True, volume=0, **chosen)
    with unit_of_work(engine) as session:
        settings = get_voice_settings(session, device_id=device.id)
        events = session.execute(
            select(Event.actor_id, Event.before, Event.after).where(Event.action == "device.voice_changed")
        ).all()
    assert settings == VoiceSettings(on=True, volume=0)
    assert not settings.speaks(elder_mode=True)  # volume 0 is silence
    assert VoiceSettings(on=False, volume=80).speaks(elder_mode=True) is False
    assert [(row.before, row.after) for row in events] == [
        ({"voice_on": None, "voice_volume": 80}, {"voice_on": False, "voice_volume": 60}),
        ({"voice_on": False, "voice_volume": 60}, {"voice_on": True, "voice_volume": 0}),
    ]
    assert {row.actor_id for row in events} == {world.volunteer_id}


def test_only_a_sites_own_enrolled_tablet_has_voice_settings_and_the_volume_stays_in_range(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    tablet = enrolled_tablet(engine, site_id=world.site_id, now=now)
    with unit_of_work(engine) as session:
        device = find_device(session, token=tablet.device_token)
        assert device is not None
        browser = find_device(session, token=remember_browser(session, volunteer_id=world.volunteer_id, now=now))
        assert browser is not None
    base = dict(on=True, actor_id=world.volunteer_id, now=now)
    for volume in (-1, 101, True):
        with pytest.raises(InvalidValue, match="voice_volume_range"), unit_of_work(engine) as session:
            set_voice_settings(session, site_id=world.site_id, device_id=device.id, volume=volume, **base)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        set_voice_settings(session, site_id=world.site_id + 1, device_id=device.id, volume=50, **base)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        get_voice_settings(session, device_id=browser.id)
    with unit_of_work(engine) as session:
        revoke_tablet(session, site_id=world.site_id, device_id=device.id, actor_id=world.volunteer_id, now=now)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        get_voice_settings(session, device_id=device.id)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        set_voice_settings(session, site_id=world.site_id, device_id=device.id, volume=50, **base)
