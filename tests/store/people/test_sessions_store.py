"""Sign-ins that survive a reload, known devices, and the secrets the app makes for itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core import secrets
from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotFound, SignInFailed, TooManyAttempts
from db.core.models import AppSecret, Device, LoginSession, Volunteer, VolunteerRole
from db.core.secrets import LOOKUP_HASH_KEY, app_secret
from db.people.accounts import (
    Client,
    change_own_pin,
    grant_role,
    reset_pin,
    sign_in_volunteer,
    sign_in_volunteer_elsewhere,
)
from db.people.devices import find_device, list_tablets, remember_browser, revoke_tablet
from db.people.login_sessions import (
    ORGANIZER_IDLE_MINUTES,
    SignedIn,
    end_login_session,
    end_sessions_by_organizer,
    list_open_sessions,
    resume_login_session,
    start_login_session,
    touch_login_session,
)
from db.people.sites import create_site
from db.people.throttling import PER_ACCOUNT_ELSEWHERE
from tests.support.store import enrolled_tablet, make_world


def person(engine: Engine, volunteer_id: int) -> SignedIn:
    with unit_of_work(engine) as session:
        volunteer = session.get(Volunteer, volunteer_id)
        return SignedIn(
            volunteer_id=volunteer.id,
            name=volunteer.name,
            site_id=volunteer.site_id,
            roles=frozenset(role.role for role in volunteer.roles),
        )


def start(
    engine: Engine, user: SignedIn, *, audience: str = "volunteer", device_id: int | None = None, now: dt.datetime
) -> str:
    with unit_of_work(engine) as session:
        return start_login_session(session, user=user, audience=audience, device_id=device_id, now=now)


def resume(engine: Engine, token: str, now: dt.datetime):  # ResumedSession or None
    with unit_of_work(engine) as session:
        return resume_login_session(session, token=token, now=now)


def test_a_session_resumes_by_its_token_and_the_table_keeps_only_a_hash(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    token = start(engine, person(engine, world.volunteer_id), now=now)
    resumed = resume(engine, token, now + dt.timedelta(minutes=5))
    assert resumed.user.name == "王阿姨" and resumed.audience == "volunteer"
    assert resume(engine, token + "x", now) is None and resume(engine, "", now) is None
    with unit_of_work(engine) as session:
        stored = session.scalars(select(LoginSession.token_hash)).all()
    assert token not in stored and all(len(digest) == 64 for digest in stored)


def test_a_volunteers_session_ends_after_the_sites_idle_minutes_unless_touched(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    token = start(engine, person(engine, world.volunteer_id), now=now)
    # The site's default: 10 idle minutes.
    assert resume(engine, token, now + dt.timedelta(minutes=9, seconds=59)) is not None
    assert resume(engine, token, now + dt.timedelta(minutes=10)) is None
    fresh = start(engine, person(engine, world.volunteer_id), now=now)
    session_id = resume(engine, fresh, now).id
    with unit_of_work(engine) as session:
        assert touch_login_session(session, session_id=session_id, now=now + dt.timedelta(minutes=8))
    assert resume(engine, fresh, now + dt.timedelta(minutes=17)) is not None
    with unit_of_work(engine) as session:
        assert not touch_login_session(session, session_id=session_id, now=now + dt.timedelta(minutes=19))


def test_an_organizers_session_lasts_a_working_day(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        grant_role(session, volunteer_id=world.volunteer_id, site_id=world.site_id, role="organizer", now=now)
    token = start(engine, person(engine, world.volunteer_id), audience="organizer", now=now)
    assert resume(engine, token, now + dt.timedelta(minutes=ORGANIZER_IDLE_MINUTES - 1)).audience == "organizer"
    assert resume(engine, token, now + dt.timedelta(minutes=ORGANIZER_IDLE_MINUTES)) is None


def test_an_organizer_session_ends_when_the_role_goes_and_any_when_the_person_is_deactivated(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        grant_role(session, volunteer_id=world.volunteer_id, site_id=world.site_id, role="organizer", now=now)
    organizer_token = start(engine, person(engine, world.volunteer_id), audience="organizer", now=now)
    volunteer_token = start(engine, person(engine, world.other_volunteer_id), now=now)
    with unit_of_work(engine) as session:
        session.delete(session.get(VolunteerRole, (world.volunteer_id, world.site_id, "organizer")))
        session.get(Volunteer, world.other_volunteer_id).active = False
    assert resume(engine, organizer_token, now) is None and resume(engine, volunteer_token, now) is None


def test_sign_out_a_changed_pin_and_a_reset_end_sessions(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=world.volunteer_id, new_pin="2468", now=now)
    here, there, elsewhere = (start(engine, person(engine, world.volunteer_id), now=now) for _ in range(3))
    with unit_of_work(engine) as session:
        end_login_session(session, token=elsewhere, reason="signed_out", now=now)
    assert resume(engine, elsewhere, now) is None
    # Changing one's own PIN keeps the browser that did it and signs out everywhere else.
    change_own_pin(
        engine, volunteer_id=world.volunteer_id, current_pin="2468", new_pin="1357", now=now, keep_token=here
    )
    assert resume(engine, here, now) is not None and resume(engine, there, now) is None
    with unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=world.volunteer_id, new_pin="9753", now=now, actor_id=world.other_volunteer_id)
    assert resume(engine, here, now) is None
    with unit_of_work(engine) as session:
        reasons = session.scalars(select(LoginSession.end_reason).order_by(LoginSession.id)).all()
    assert reasons == ["secret_changed", "secret_changed", "signed_out"]


def test_an_organizer_ends_every_sign_in_of_a_person_of_their_site(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    tokens = [start(engine, person(engine, world.volunteer_id), now=now) for _ in range(2)]
    other = start(engine, person(engine, world.other_volunteer_id), now=now)
    with unit_of_work(engine) as session:
        listed = {row.name for row in list_open_sessions(session, site_id=world.site_id, now=now)}
        ended = end_sessions_by_organizer(
            session, site_id=world.site_id, volunteer_id=world.volunteer_id, actor_id=world.other_volunteer_id, now=now
        )
    assert listed == {"王阿姨", "张叔叔"} and ended == 2
    assert [resume(engine, token, now) for token in tokens] == [None, None] and resume(engine, other, now)
    with unit_of_work(engine) as session:
        elsewhere = create_site(session, code="XH1", name="徐汇一号", now=now).id
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        end_sessions_by_organizer(
            session, site_id=elsewhere, volunteer_id=world.other_volunteer_id, actor_id=world.volunteer_id, now=now
        )


def test_removing_a_tablet_ends_its_sign_ins_and_its_cookie_stops_working(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=world.volunteer_id, new_pin="2468", now=now)
    tablet = enrolled_tablet(engine, site_id=world.site_id, now=now)
    with unit_of_work(engine) as session:
        device = find_device(session, token=tablet.device_token)
        assert [row.name for row in list_tablets(session, site_id=world.site_id)] == ["取货台平板 1"]
    user = sign_in_volunteer(
        engine, site_id=world.site_id, volunteer_id=world.volunteer_id, pin="2468", client=tablet, now=now
    )
    token = start(engine, user, device_id=device.id, now=now)
    with unit_of_work(engine) as session:
        revoke_tablet(session, site_id=world.site_id, device_id=device.id, actor_id=world.other_volunteer_id, now=now)
    assert resume(engine, token, now) is None
    with unit_of_work(engine) as session:
        assert find_device(session, token=tablet.device_token) is None
        assert list_tablets(session, site_id=world.site_id) == []
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        revoke_tablet(session, site_id=world.site_id, device_id=device.id, actor_id=world.other_volunteer_id, now=now)
    with pytest.raises(InvalidValue, match="device_name_required"), unit_of_work(engine) as session:
        from db.people.devices import enroll_tablet

        enroll_tablet(session, site_id=world.site_id, name="  ", actor_id=None, now=now)


def test_a_remembered_browser_is_not_slowed_by_pin_guessing_from_elsewhere(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        session.get(Volunteer, world.volunteer_id).phone = "13800138000"
        reset_pin(session, volunteer_id=world.volunteer_id, new_pin="2468", now=now)
        own = remember_browser(session, volunteer_id=world.volunteer_id, now=now)
        device = session.scalar(select(Device).where(Device.volunteer_id == world.volunteer_id))
        assert device.kind == "browser" and device.token_hash != own
    # Guessers from many addresses: the PIN's "from elsewhere" key slows every unknown browser down …
    for number in range(PER_ACCOUNT_ELSEWHERE.free_tries + 3):
        with pytest.raises((SignInFailed, TooManyAttempts)):
            sign_in_volunteer_elsewhere(
                engine, login="13800138000", pin="0000", client=Client(address=f"10.1.0.{number}"), now=now
            )
    with pytest.raises(TooManyAttempts):
        sign_in_volunteer_elsewhere(engine, login="13800138000", pin="2468", client=Client(address="10.2.0.1"), now=now)
    # … but not the person's own browser.
    assert (
        sign_in_volunteer_elsewhere(
            engine, login="13800138000", pin="2468", client=Client(address="10.1.0.1", device_token=own), now=now
        ).name
        == "王阿姨"
    )


def test_the_lookup_key_is_made_once_per_database_and_the_environment_overrides_it(
    engine: Engine, now: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOOKUP_HASH_KEY", raising=False)
    with unit_of_work(engine) as session:
        first = app_secret(session, name=LOOKUP_HASH_KEY, now=now)
    # This process's memory of it forgotten: the next read finds the stored one rather than making another.
    monkeypatch.setattr(secrets, "_known", {})
    with unit_of_work(engine) as session:
        assert app_secret(session, name=LOOKUP_HASH_KEY, now=now) == first
        assert session.scalar(select(AppSecret.value)) == first
    assert len(first) == 64 and first != "cloud-basket lookup attempts"
    monkeypatch.setenv("LOOKUP_HASH_KEY", "set-by-the-operator")
    with unit_of_work(engine) as session:
        assert app_secret(session, name=LOOKUP_HASH_KEY, now=now) == "set-by-the-operator"
