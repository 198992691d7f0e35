"""Sign-in with argon2 secrets, failed tries recorded, and the PIN lock with its expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.accounts import (
    LOCK_MINUTES,
    MAX_FAILED_ATTEMPTS,
    create_organizer_account,
    create_volunteer,
    list_volunteers_for_sign_in,
    sign_in_organizer,
    sign_in_volunteer,
)
from db.engine import unit_of_work
from db.errors import AccountLocked, DuplicateValue, InvalidValue, SignInFailed
from db.models import Account, Event
from db.sites import create_site


@pytest.fixture
def people(engine: Engine, now: dt.datetime) -> dict[str, int]:
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=now)
        boss = create_volunteer(session, site_id=site.id, name="居委会陈主任", roles=["organizer"], now=now)
        create_organizer_account(session, volunteer_id=boss.id, username="Organizer", password="basket-demo", now=now)
        helper = create_volunteer(session, site_id=site.id, name="王阿姨", roles=["handout"], pin="2468", now=now)
        create_volunteer(session, site_id=site.id, name="没有PIN", roles=["handout"], now=now)
        return {"site": site.id, "boss": boss.id, "helper": helper.id}


def test_organizer_signs_in_and_secrets_are_hashed(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    signed_in = sign_in_organizer(engine, username=" organizer ", password="basket-demo", now=now)
    assert signed_in.volunteer_id == people["boss"] and "organizer" in signed_in.roles
    with unit_of_work(engine) as session:
        hashes = [a.password_hash or a.pin_hash for a in session.scalars(select(Account))]
    assert all(h.startswith("$argon2") for h in hashes)


def test_wrong_password_and_unknown_user_fail_alike_and_are_recorded(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    for username, password in [("organizer", "wrong-password"), ("nobody", "basket-demo")]:
        with pytest.raises(SignInFailed):
            sign_in_organizer(engine, username=username, password=password, now=now)
    with unit_of_work(engine) as session:
        failures = session.scalars(select(Event).where(Event.action == "auth.sign_in_failed")).all()
    assert len(failures) == 2


def test_volunteer_without_organizer_role_cannot_use_a_password(engine: Engine, people: dict[str, int],
                                                               now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        create_organizer_account(session, volunteer_id=people["helper"], username="wang", password="longenough",
                                 now=now)
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="wang", password="longenough", now=now)


def test_pin_locks_after_five_wrong_tries_and_unlocks_after_five_minutes(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    def attempt(pin: str, at: dt.datetime) -> object:
        return sign_in_volunteer(engine, site_id=people["site"], volunteer_id=people["helper"], pin=pin, now=at)

    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(SignInFailed):
            attempt("0000", now)
    with pytest.raises(AccountLocked):
        attempt("0000", now)
    with pytest.raises(AccountLocked):
        attempt("2468", now + dt.timedelta(minutes=LOCK_MINUTES - 1))
    assert attempt("2468", now + dt.timedelta(minutes=LOCK_MINUTES, seconds=1)).name == "王阿姨"


def test_sign_in_list_shows_only_volunteers_with_a_pin(engine: Engine, people: dict[str, int]) -> None:
    with unit_of_work(engine) as session:
        names = [choice.name for choice in list_volunteers_for_sign_in(session, site_id=people["site"])]
    assert names == ["王阿姨"]


def test_account_rules(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    with pytest.raises(InvalidValue, match="pin_format"), unit_of_work(engine) as session:
        create_volunteer(session, site_id=people["site"], name="新人", pin="12a4", now=now)
    with pytest.raises(InvalidValue, match="password_too_short"), unit_of_work(engine) as session:
        create_organizer_account(session, volunteer_id=people["helper"], username="wang", password="short", now=now)
    with pytest.raises(DuplicateValue), unit_of_work(engine) as session:
        create_organizer_account(session, volunteer_id=people["helper"], username="organizer",
                                 password="long-enough", now=now)
