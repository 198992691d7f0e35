"""Sign-in with argon2 secrets: failed tries recorded and throttled per client, never a lock on the owner."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select

import db.people.accounts as accounts
from db.core.engine import unit_of_work
from db.core.errors import DuplicateValue, InvalidValue, NotAllowed, NotFound, SignInFailed, TooManyAttempts
from db.core.models import Account, Event
from db.people.accounts import (
    Client,
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
    sign_in_volunteer_elsewhere,
)
from db.people.sites import create_site
from db.people.throttling import FIRST_DELAY, PER_SECRET_AND_CLIENT, delay_after
from db.reports.audit import events_frame, list_event_filters
from tests.support.store import enrolled_tablet

LAPTOP = Client(address="203.0.113.5")
GUESSER = Client(address="192.0.2.66")


@pytest.fixture
def people(engine: Engine, now: dt.datetime) -> dict[str, int]:
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=now)
        boss = create_volunteer(session, site_id=site.id, name="居委会陈主任", roles=["organizer"], now=now)
        create_organizer_account(session, volunteer_id=boss.id, username="Organizer", password="basket-demo", now=now)
        helper = create_volunteer(session, site_id=site.id, name="王阿姨", roles=["handout"], pin="2468", now=now)
        helper.phone = "13800138000"
        create_volunteer(session, site_id=site.id, name="没有PIN", roles=["handout"], now=now)
        return {"site": site.id, "boss": boss.id, "helper": helper.id}


@pytest.fixture
def tablet(engine: Engine, people: dict[str, int], now: dt.datetime) -> Client:
    return enrolled_tablet(engine, site_id=people["site"], now=now)


def test_organizer_signs_in_and_secrets_are_hashed(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    signed_in = sign_in_organizer(engine, username=" organizer ", password="basket-demo", client=LAPTOP, now=now)
    assert signed_in.volunteer_id == people["boss"] and "organizer" in signed_in.roles
    with unit_of_work(engine) as session:
        hashes = [a.password_hash or a.pin_hash for a in session.scalars(select(Account))]
    assert all(h.startswith("$argon2") for h in hashes)


# argon2's defaults (RFC 9106's low-memory choice): 64 MiB, 3 passes, 4 lanes. The other tests hash at the lowest cost.
PRODUCTION_COST = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_secrets_are_hashed_at_production_cost(
    engine: Engine, now: dt.datetime, production_password_hashing: PasswordHasher
) -> None:
    """With the hasher production builds: the stored hashes, and the dummy an unknown login is checked against (so
    it takes as long as a known one), carry production's cost, and the right secrets sign in."""
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=now)
        boss = create_volunteer(session, site_id=site.id, name="居委会陈主任", roles=["organizer"], pin="2468", now=now)
        create_organizer_account(session, volunteer_id=boss.id, username="organizer", password="basket-demo", now=now)
    with unit_of_work(engine) as session:
        account = session.scalars(select(Account)).one()
        assert account.password_hash.startswith(PRODUCTION_COST) and account.pin_hash.startswith(PRODUCTION_COST)
    signed_in = sign_in_organizer(engine, username="organizer", password="basket-demo", client=LAPTOP, now=now)
    assert signed_in.volunteer_id == boss.id
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="nobody", password="basket-demo", client=LAPTOP, now=now)
    assert accounts._dummy_hash().startswith(PRODUCTION_COST)


def test_wrong_password_and_unknown_user_fail_alike_and_are_recorded(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    for username, password in [("organizer", "wrong-password"), ("nobody", "basket-demo")]:
        with pytest.raises(SignInFailed):
            sign_in_organizer(engine, username=username, password=password, client=LAPTOP, now=now)
    with unit_of_work(engine) as session:
        failures = session.scalars(select(Event).where(Event.action == "auth.sign_in_failed")).all()
    assert len(failures) == 2


def test_volunteer_without_organizer_role_cannot_use_a_password(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    with unit_of_work(engine) as session:
        create_organizer_account(
            session, volunteer_id=people["helper"], username="wang", password="longenough", now=now
        )
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="wang", password="longenough", client=LAPTOP, now=now)


def test_guessing_a_pin_elsewhere_never_stops_the_volunteer_at_the_tablet(
    engine: Engine, people: dict[str, int], tablet: Client, now: dt.datetime
) -> None:
    """30 wrong PINs for one volunteer from the same address as the tablet: the guesser is slowed, the tablet not."""
    refused = 0
    for second in range(30):
        with pytest.raises((SignInFailed, TooManyAttempts)) as outcome:
            sign_in_volunteer_elsewhere(
                engine,
                login="138 0013 8000",
                pin="0000",
                client=Client(address=tablet.address),
                now=now + dt.timedelta(seconds=second),
            )
        refused += outcome.type is TooManyAttempts
    assert refused > 20
    signed_in = sign_in_volunteer(
        engine,
        site_id=people["site"],
        volunteer_id=people["helper"],
        pin="2468",
        client=tablet,
        now=now + dt.timedelta(seconds=30),
    )
    assert signed_in.name == "王阿姨"


def test_a_guesser_waits_longer_after_each_failure(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    at = now
    for _ in range(PER_SECRET_AND_CLIENT.free_tries):
        with pytest.raises(SignInFailed):
            sign_in_organizer(engine, username="organizer", password="guess-guess", client=GUESSER, now=at)
    waits = []
    for failures in range(PER_SECRET_AND_CLIENT.free_tries, PER_SECRET_AND_CLIENT.free_tries + 4):
        wait = delay_after(failures, PER_SECRET_AND_CLIENT)
        with pytest.raises(TooManyAttempts) as refused:
            sign_in_organizer(
                engine,
                username="organizer",
                password="guess-guess",
                client=GUESSER,
                now=at + wait - dt.timedelta(seconds=1),
            )
        assert refused.value.params["until"] == at + wait
        at += wait
        with pytest.raises(SignInFailed):
            sign_in_organizer(engine, username="organizer", password="guess-guess", client=GUESSER, now=at)
        waits.append(wait)
    assert waits == [FIRST_DELAY, FIRST_DELAY * 2, FIRST_DELAY * 4, FIRST_DELAY * 8]
    # The owner, from their own laptop, is not slowed at all, with the right password or a typo.
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="organizer", password="typo", client=LAPTOP, now=at)
    assert sign_in_organizer(engine, username="organizer", password="basket-demo", client=LAPTOP, now=at).name


def test_unknown_and_known_usernames_get_the_same_answers(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    def answers(username: str, address: str) -> list[tuple[str, object]]:
        seen = []
        for second in range(12):
            try:
                sign_in_organizer(
                    engine,
                    username=username,
                    password="guess-guess",
                    client=Client(address=address),
                    now=now + dt.timedelta(seconds=second),
                )
            except (SignInFailed, TooManyAttempts) as error:
                seen.append((error.key, error.params.get("until")))
        return seen

    known, unknown = answers("organizer", "192.0.2.1"), answers("nobody-here", "192.0.2.2")
    assert known == unknown and {key for key, _ in known} == {"error.sign_in_failed", "error.too_many_attempts"}


def test_the_tablet_list_signs_in_only_on_an_enrolled_tablet_of_the_site(
    engine: Engine, people: dict[str, int], tablet: Client, now: dt.datetime
) -> None:
    with pytest.raises(NotAllowed, match="tablet_only"):
        sign_in_volunteer(
            engine, site_id=people["site"], volunteer_id=people["helper"], pin="2468", client=LAPTOP, now=now
        )
    with unit_of_work(engine) as session:
        elsewhere = create_site(session, code="XH1", name="徐汇一号", now=now).id
    other_tablet = enrolled_tablet(engine, site_id=elsewhere, now=now, name="别处的平板")
    with pytest.raises(NotAllowed):
        sign_in_volunteer(
            engine, site_id=people["site"], volunteer_id=people["helper"], pin="2468", client=other_tablet, now=now
        )
    assert (
        sign_in_volunteer(
            engine, site_id=people["site"], volunteer_id=people["helper"], pin="2468", client=tablet, now=now
        ).volunteer_id
        == people["helper"]
    )


def test_away_from_the_tablet_a_volunteer_signs_in_with_mobile_number_and_pin(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    assert (
        sign_in_volunteer_elsewhere(engine, login="+86 138-0013-8000", pin="2468", client=LAPTOP, now=now).volunteer_id
        == people["helper"]
    )
    with pytest.raises(SignInFailed):
        sign_in_volunteer_elsewhere(engine, login="13800138000", pin="1111", client=LAPTOP, now=now)
    with pytest.raises(SignInFailed):
        sign_in_volunteer_elsewhere(engine, login="13900000000", pin="2468", client=LAPTOP, now=now)
    # An organizer's username works with their PIN too, once they have one.
    with unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=people["boss"], new_pin="97531", actor_id=people["boss"], now=now)
    assert (
        sign_in_volunteer_elsewhere(engine, login="Organizer", pin="97531", client=LAPTOP, now=now).volunteer_id
        == people["boss"]
    )


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
        create_organizer_account(
            session, volunteer_id=people["helper"], username="organizer", password="long-enough", now=now
        )


# --- changing one's own secret, resets by an organizer, and the audit trail of both ---


def test_changing_your_own_pin_needs_the_current_one(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    with pytest.raises(SignInFailed, match="current_secret_wrong"):
        change_own_pin(engine, volunteer_id=people["helper"], current_pin="0000", new_pin="1357", now=now)
    with pytest.raises(InvalidValue, match="pin_format"):
        change_own_pin(engine, volunteer_id=people["helper"], current_pin="2468", new_pin="12", now=now)
    change_own_pin(engine, volunteer_id=people["helper"], current_pin="2468", new_pin="135790", now=now)
    with pytest.raises(SignInFailed):
        sign_in_volunteer_elsewhere(engine, login="13800138000", pin="2468", client=LAPTOP, now=now)
    assert (
        sign_in_volunteer_elsewhere(engine, login="13800138000", pin="135790", client=LAPTOP, now=now).name == "王阿姨"
    )


def test_wrong_current_secrets_are_throttled(engine: Engine, people: dict[str, int], now: dt.datetime) -> None:
    for _ in range(PER_SECRET_AND_CLIENT.free_tries):
        with pytest.raises(SignInFailed):
            change_own_password(
                engine,
                volunteer_id=people["boss"],
                current_password="guess-guess",
                new_password="new-password",
                now=now,
            )
    # Even the right current password waits out the delay: whoever guesses on a signed-in laptop gains nothing.
    with pytest.raises(TooManyAttempts):
        change_own_password(
            engine,
            volunteer_id=people["boss"],
            current_password="basket-demo",
            new_password="new-password",
            now=now + FIRST_DELAY - dt.timedelta(seconds=1),
        )
    later = now + FIRST_DELAY
    change_own_password(
        engine, volunteer_id=people["boss"], current_password="basket-demo", new_password="new-password", now=later
    )
    assert (
        sign_in_organizer(engine, username="organizer", password="new-password", client=LAPTOP, now=later).name
        == "居委会陈主任"
    )


def test_an_organizer_resets_another_organizers_password(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    with unit_of_work(engine) as session:
        deputy = create_volunteer(session, site_id=people["site"], name="副主任", roles=["organizer"], now=now).id
        create_organizer_account(session, volunteer_id=deputy, username="deputy", password="deputy-pass", now=now)
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="deputy", password="forgotten", client=LAPTOP, now=now)
    with unit_of_work(engine) as session:
        reset_password(session, volunteer_id=deputy, new_password="fresh-password", actor_id=people["boss"], now=now)
    signed_in = sign_in_organizer(engine, username="deputy", password="fresh-password", client=LAPTOP, now=now)
    assert signed_in.volunteer_id == deputy

    with pytest.raises(NotAllowed, match="reset_own_secret"), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=people["boss"], new_password="x" * 10, actor_id=people["boss"], now=now)
    with pytest.raises(NotAllowed), unit_of_work(engine) as session:
        # A volunteer without the organizer role resets nobody.
        reset_password(session, volunteer_id=deputy, new_password="x" * 10, actor_id=people["helper"], now=now)
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=people["helper"], new_password="x" * 10, actor_id=people["boss"], now=now)
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        reset_password(session, volunteer_id=deputy, new_password="short", actor_id=people["boss"], now=now)


def test_account_holders_show_which_secrets_exist(engine: Engine, people: dict[str, int]) -> None:
    with unit_of_work(engine) as session:
        holders = {
            holder.name: (holder.username, holder.has_pin)
            for holder in list_account_holders(session, site_id=people["site"])
        }
    assert holders == {"居委会陈主任": ("organizer", False), "王阿姨": (None, True), "没有PIN": (None, False)}


def test_sign_ins_failures_and_account_changes_are_events_without_secrets(
    engine: Engine, people: dict[str, int], now: dt.datetime
) -> None:
    sign_in_organizer(engine, username="organizer", password="basket-demo", client=LAPTOP, now=now)
    with pytest.raises(SignInFailed):
        sign_in_organizer(engine, username="nobody", password="wrong-password", client=LAPTOP, now=now)
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
    assert {
        "auth.signed_in",
        "auth.sign_in_failed",
        "account.pin_changed",
        "account.change_failed",
        "account.pin_reset",
    } <= set(log["action"])
    assert set(accounts_only["action"]) == {
        "auth.signed_in",
        "auth.sign_in_failed",
        "account.pin_changed",
        "account.change_failed",
    }
    # The unknown username's failure belongs to no site, and the organizer still sees it.
    assert len(failed) == 1 and set(failed["actor"]) == {""}
    assert set(by_helper["action"]) == {"account.pin_changed", "account.change_failed"}
    assert none_yet.empty
    assert "auth.sign_in_failed" in filters.actions and (people["helper"], "王阿姨") in filters.actors
    written = json.dumps([log["before"].tolist(), log["after"].tolist()], ensure_ascii=False)
    for secret in ("2468", "97531", "86420", "basket-demo", "wrong-password", "$argon2"):
        assert secret not in written
