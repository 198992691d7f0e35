"""Sign-in with argon2 secrets, failed tries recorded, and the PIN lock with its expiry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select

from db.accounts import (
    LOCK_MINUTES,
    MAX_FAILED_ATTEMPTS,
    change_own_password,
    change_own_pin,
    create_organizer_account,
    create_volunteer,
    list_account_holders,
    list_volunteers_for_sign_in,
    reset_password,
    reset_pin,
    sign_in_organizer,
    sign_in_volunteer,
)
from db.audit import events_frame, list_event_filters
from db.engine import unit_of_work
from db.errors import AccountLocked, DuplicateValue, InvalidValue, NotAllowed, NotFound, SignInFailed
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


# --- changing one's own secret, resets by an organizer, and the audit trail of both ---


def test_changing_your_own_pin_needs_the_current_one(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    with pytest.raises(SignInFailed, match="current_secret_wrong"):
        change_own_pin(engine, volunteer_id=people["helper"], current_pin="0000", new_pin="1357", now=now)
    with pytest.raises(InvalidValue, match="pin_format"):
        change_own_pin(engine, volunteer_id=people["helper"], current_pin="2468", new_pin="12", now=now)
    change_own_pin(engine, volunteer_id=people["helper"], current_pin="2468", new_pin="135790", now=now)
    with pytest.raises(SignInFailed):
        sign_in_volunteer(engine, site_id=people["site"], volunteer_id=people["helper"], pin="2468", now=now)
    assert sign_in_volunteer(engine, site_id=people["site"], volunteer_id=people["helper"], pin="135790",
                             now=now).name == "王阿姨"


def test_wrong_current_secrets_count_toward_the_lock(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(SignInFailed):
            change_own_password(engine, volunteer_id=people["boss"], current_password="guess-guess",
                                new_password="new-password", now=now)
    with pytest.raises(AccountLocked):
        change_own_password(engine, volunteer_id=people["boss"], current_password="guess-guess",
                            new_password="new-password", now=now)
    # Locked even with the right password, until the lock runs out.
    with pytest.raises(AccountLocked):
        change_own_password(engine, volunteer_id=people["boss"], current_password="basket-demo",
                            new_password="new-password", now=now)
    later = now + dt.timedelta(minutes=LOCK_MINUTES, seconds=1)
    change_own_password(engine, volunteer_id=people["boss"], current_password="basket-demo",
                        new_password="new-password", now=later)
    assert sign_in_organizer(engine, username="organizer", password="new-password", now=later).name == "居委会陈主任"


def test_an_organizer_resets_another_organizers_password_and_lifts_the_lock(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    with unit_of_work(engine) as session:
        deputy = create_volunteer(session, site_id=people["site"], name="副主任", roles=["organizer"], now=now).id
        create_organizer_account(session, volunteer_id=deputy, username="deputy", password="deputy-pass", now=now)
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises((SignInFailed, AccountLocked)):
            sign_in_organizer(engine, username="deputy", password="forgotten", now=now)
    with unit_of_work(engine) as session:
        reset_password(session, volunteer_id=deputy, new_password="fresh-password", actor_id=people["boss"], now=now)
    assert sign_in_organizer(engine, username="deputy", password="fresh-password", now=now).volunteer_id == deputy

    with pytest.raises(NotAllowed, match="reset_own_secret"), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=people["boss"], new_password="x" * 10, actor_id=people["boss"], now=now)
    with pytest.raises(NotAllowed), unit_of_work(engine) as session:
        # A volunteer without the organizer role resets nobody.
        reset_password(session, volunteer_id=deputy, new_password="x" * 10, actor_id=people["helper"], now=now)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=people["helper"], new_password="x" * 10, actor_id=people["boss"],
                       now=now)
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=deputy, new_password="short", actor_id=people["boss"], now=now)


def test_account_holders_show_which_secrets_exist(engine: Engine, people: dict[str, int]) -> None:
    with unit_of_work(engine) as session:
        holders = {holder.name: (holder.username, holder.has_pin)
                   for holder in list_account_holders(session, site_id=people["site"])}
    assert holders == {"居委会陈主任": ("organizer", False), "王阿姨": (None, True), "没有PIN": (None, False)}


def test_sign_ins_failures_and_account_changes_are_events_without_secrets(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    sign_in_organizer(engine, username="organizer", password="basket-demo", now=now)
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="nobody", password="wrong-password", now=now)
    change_own_pin(engine, volunteer_id=people["helper"], current_pin="2468", new_pin="97531", now=now)
    with pytest.raises(SignInFailed):
        change_own_pin(engine, volunteer_id=people["helper"], current_pin="0000", new_pin="97531", now=now)
    with unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=people["helper"], new_pin="86420", actor_id=people["boss"], now=now)
    with unit_of_work(engine) as session:
        log = events_frame(session, site_id=people["site"])
        accounts_only = events_frame(session, site_id=people["site"], entity="account")
        failed = events_frame(session, site_id=people["site"], action="auth.sign_in_failed")
        by_helper = events_frame(session, site_id=people["site"], actor_id=people["helper"])
        none_yet = events_frame(session, site_id=people["site"], start=now + dt.timedelta(seconds=1))
        filters = list_event_filters(session, site_id=people["site"])
    assert {"auth.signed_in", "auth.sign_in_failed", "account.pin_changed", "account.change_failed",
            "account.pin_reset"} <= set(log["action"])
    assert set(accounts_only["action"]) == {"auth.signed_in", "auth.sign_in_failed", "account.pin_changed",
                                            "account.change_failed"}
    # The unknown username's failure belongs to no site, and the organizer still sees it.
    assert len(failed) == 1 and set(failed["actor"]) == {""}
    assert set(by_helper["action"]) == {"account.pin_changed", "account.change_failed"}
    assert none_yet.empty
    assert "auth.sign_in_failed" in filters.actions and (people["helper"], "王阿姨") in filters.actors
    written = json.dumps([log["before"].tolist(), log["after"].tolist()], ensure_ascii=False)
    for secret in ("2468", "97531", "86420", "basket-demo", "wrong-password", "$argon2"):
        assert secret not in written
