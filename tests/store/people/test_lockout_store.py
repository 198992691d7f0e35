"""Nobody locks the counter tablet, and a PIN survives many addresses: wrong PINs on the tablet slow the name picked
only; an account takes at most PER_ACCOUNT_DAY wrong tries a day from everywhere but its owner's own browser."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from db.core.clock import local_day_bounds, local_today
from db.core.engine import make_engine, unit_of_work
from db.core.errors import InvalidValue, NotAllowed, PausedForToday, SignInFailed, TooManyAttempts
from db.core.migrate import upgrade_to_head
from db.people import accounts
from db.people.accounts import (
    Client,
    change_own_pin,
    create_organizer_account,
    create_volunteer,
    grant_role,
    lift_pause,
    list_paused_names,
    reset_pin,
    sign_in_organizer,
    sign_in_volunteer,
    sign_in_volunteer_elsewhere,
)
from db.people.devices import list_wrong_pins_on_tablets, remember_browser
from db.people.sites import create_site
from db.people.throttling import PER_ACCOUNT_DAY, PER_SECRET_AND_CLIENT
from tests.support.sign_in_workers import NOW, password_guesser
from tests.support.store import enrolled_tablet

# Seven volunteers at the counter, as in the issue; 王阿姨 also has a username.
PINS = {"王阿姨": "2468", "张叔叔": "1357", "李阿姨": "3580", "赵师傅": "4826", "钱老师": "5038", "孙大姐": "6149"}
LAST = ("周同学", "7259")


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check hundreds of secrets: hashes made here are argon2 at its lowest cost (a verify reads the cost
    from the hash, so the workers' checks are cheap too). What is counted does not depend on the cost."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def counter(engine: Engine, now: dt.datetime) -> dict[str, int]:
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=now)
        ids = {"site": site.id}
        boss = create_volunteer(session, site_id=site.id, name="陈主任", roles=["organizer"], now=now)
        create_organizer_account(session, volunteer_id=boss.id, username="chen", password="basket-demo", now=now)
        ids["boss"] = boss.id
        for number, (name, pin) in enumerate([*PINS.items(), LAST]):
            volunteer = create_volunteer(session, site_id=site.id, name=name, pin=pin, now=now)
            volunteer.phone = f"1380013800{number}"
            ids[name] = volunteer.id
    return ids


def on_tablet(engine: Engine, counter: dict[str, int], tablet: Client, name: str, pin: str, at: dt.datetime):
    return sign_in_volunteer(
        engine, site_id=counter["site"], volunteer_id=counter[name], pin=pin, client=tablet, now=at
    )


def test_wrong_pins_on_the_tablet_slow_the_name_picked_and_never_the_others(
    engine: Engine, counter: dict[str, int], now: dt.datetime
) -> None:
    """30 wrong PINs over six names in 90 s on the tablet (or a copy of its cookie): the seventh volunteer signs in at
    once; each guessed name waits only after its own free tries; the organizers see who and when."""
    tablet = enrolled_tablet(engine, site_id=counter["site"], now=now)
    answers: Counter[str] = Counter()
    for number in range(30):
        name = list(PINS)[number % len(PINS)]
        with pytest.raises((SignInFailed, TooManyAttempts)) as refused:
            on_tablet(engine, counter, tablet, name, "0000", now + dt.timedelta(seconds=3 * number))
        answers[refused.type.__name__] += 1
    # Five tries per name: each stays within its free tries, so every one is checked and refused as wrong.
    assert answers == {"SignInFailed": 30}
    later = now + dt.timedelta(seconds=90)
    assert on_tablet(engine, counter, tablet, *LAST, later).name == "周同学"
    # The sixth wrong PIN for one name makes that name (only) wait, on this tablet.
    with pytest.raises(SignInFailed):
        on_tablet(engine, counter, tablet, "王阿姨", "1111", later)
    with pytest.raises(TooManyAttempts):
        on_tablet(engine, counter, tablet, "王阿姨", PINS["王阿姨"], later)
    assert on_tablet(engine, counter, tablet, "张叔叔", PINS["张叔叔"], later).name == "张叔叔"
    with unit_of_work(engine) as session:
        seen = list_wrong_pins_on_tablets(session, site_id=counter["site"], now=later)
    assert {(row.tablet, row.name): row.failures for row in seen} == {
        ("取货台平板 1", name): PER_SECRET_AND_CLIENT.free_tries + (name == "王阿姨") for name in PINS
    }
    assert seen[0].name == "王阿姨" and seen[0].last_at == later


def test_an_account_takes_at_most_a_days_cap_of_wrong_pins_from_everywhere(
    engine: Engine, counter: dict[str, int], now: dt.datetime
) -> None:
    """Fresh addresses by mobile number, by username, and a copied tablet cookie all add up to one cap per account.
    Past it the right PIN is refused on the tablet and on unknown browsers, not on the owner's own browser, and
    every other name still signs in; the next Shanghai day, or an organizer's lift, lets it in again."""
    tablet = enrolled_tablet(engine, site_id=counter["site"], now=now)
    with unit_of_work(engine) as session:
        create_organizer_account(
            session, volunteer_id=counter["王阿姨"], username="wang", password="x-long-one", now=now
        )
        own = Client(
            address="100.64.0.1", device_token=remember_browser(session, volunteer_id=counter["王阿姨"], now=now)
        )
    answers: Counter[str] = Counter()
    at = now
    for number in range(PER_ACCOUNT_DAY.tries + 10):
        # One try every 5 minutes keeps every hourly key within its free tries: only the day's cap can refuse.
        at = now + dt.timedelta(minutes=5 * number)
        try:
            if number % 3 == 0:
                on_tablet(engine, counter, tablet, "王阿姨", f"{number:04d}", at)
            else:
                login = "13800138000" if number % 3 == 1 else "wang"
                address = Client(address=f"10.{number}.0.1")
                sign_in_volunteer_elsewhere(engine, login=login, pin=f"{number:04d}", client=address, now=at)
        except (SignInFailed, TooManyAttempts) as refused:
            answers[type(refused).__name__] += 1
    assert answers == {"SignInFailed": PER_ACCOUNT_DAY.tries, "PausedForToday": 10}
    _, midnight = local_day_bounds(local_today(at))
    with pytest.raises(PausedForToday) as paused:
        sign_in_volunteer_elsewhere(
            engine, login="13800138000", pin=PINS["王阿姨"], client=Client(address="10.99.0.1"), now=at
        )
    assert paused.value.params["until"] == midnight
    with pytest.raises(PausedForToday):
        on_tablet(engine, counter, tablet, "王阿姨", PINS["王阿姨"], at)
    assert sign_in_volunteer_elsewhere(engine, login="wang", pin=PINS["王阿姨"], client=own, now=at).name == "王阿姨"
    assert on_tablet(engine, counter, tablet, "张叔叔", PINS["张叔叔"], at).name == "张叔叔"
    with unit_of_work(engine) as session:
        assert [(row.name, row.kind) for row in list_paused_names(session, site_id=counter["site"], now=at)] == [
            ("王阿姨", "volunteer")
        ]
    # The next day at the site (Shanghai midnight, 16:00 UTC) the name signs in again.
    assert on_tablet(engine, counter, tablet, "王阿姨", PINS["王阿姨"], midnight).name == "王阿姨"


def test_an_organizer_lifts_a_pause_and_only_an_organizer_may(
    engine: Engine, counter: dict[str, int], now: dt.datetime
) -> None:
    for number in range(PER_ACCOUNT_DAY.tries):
        with pytest.raises(SignInFailed):
            sign_in_organizer(
                engine, username="chen", password=f"guess-{number}", client=Client(address=f"10.{number}.1.1"), now=now
            )
    fresh = Client(address="192.0.2.200")
    with pytest.raises(PausedForToday):
        sign_in_organizer(engine, username="chen", password="basket-demo", client=fresh, now=now)
    with unit_of_work(engine) as session:
        assert [(row.name, row.kind) for row in list_paused_names(session, site_id=counter["site"], now=now)] == [
            ("陈主任", "organizer")
        ]
    with pytest.raises(NotAllowed), unit_of_work(engine) as session:
        lift_pause(session, site_id=counter["site"], volunteer_id=counter["boss"], actor_id=counter["张叔叔"], now=now)
    with unit_of_work(engine) as session:
        grant_role(session, volunteer_id=counter["张叔叔"], site_id=counter["site"], role="organizer", now=now)
        lift_pause(session, site_id=counter["site"], volunteer_id=counter["boss"], actor_id=counter["张叔叔"], now=now)
    with unit_of_work(engine) as session:
        assert list_paused_names(session, site_id=counter["site"], now=now) == []
    assert sign_in_organizer(engine, username="chen", password="basket-demo", client=fresh, now=now).name == "陈主任"


def test_many_processes_guessing_one_password_get_exactly_the_days_cap(database_url: str) -> None:
    """Three processes, each 20 wrong passwords from fresh addresses at once (60, ten more than the day's cap):
    exactly PER_ACCOUNT_DAY are checked (and counted), every other try is refused unchecked, on SQLite and on
    PostgreSQL."""
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=NOW)
        boss = create_volunteer(session, site_id=site.id, name="陈主任", roles=["organizer"], now=NOW)
        create_organizer_account(session, volunteer_id=boss.id, username="chen", password="basket-demo", now=NOW)
    engine.dispose()
    workers, tries = 3, 20
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=password_guesser, args=(database_url, "chen", index, tries, start, results))
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=300) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    total: Counter[str] = Counter()
    for report in reports:
        total.update(report)
    assert total == {"SignInFailed": PER_ACCOUNT_DAY.tries, "PausedForToday": workers * tries - PER_ACCOUNT_DAY.tries}


def test_pins_a_guesser_tries_first_and_common_passwords_are_refused_when_set(
    engine: Engine, counter: dict[str, int], now: dt.datetime
) -> None:
    """Repeats, runs up or down by one and the person's own mobile tail are refused as new PINs (a reset, a change,
    a new volunteer); the most common passwords from zxcvbn's kept list as well as short ones. Each says why."""
    volunteer = counter["王阿姨"]  # mobile 13800138000
    for pin, key in [("1111", "pin_repeated"), ("1234", "pin_run"), ("9876", "pin_run"), ("012345", "pin_run")]:
        with pytest.raises(InvalidValue, match=key), unit_of_work(engine) as session:
            reset_pin(session, volunteer_id=volunteer, new_pin=pin, actor_id=counter["boss"], now=now)
    with pytest.raises(InvalidValue, match="pin_phone_tail"), unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=volunteer, new_pin="8000", actor_id=counter["boss"], now=now)
    with pytest.raises(InvalidValue, match="pin_phone_tail"):
        change_own_pin(engine, volunteer_id=volunteer, current_pin=PINS["王阿姨"], new_pin="138000", now=now)
    with pytest.raises(InvalidValue, match="pin_repeated"), unit_of_work(engine) as session:
        create_volunteer(session, site_id=counter["site"], name="新人", pin="0000", now=now)
    for password in ("password", "Password1", "qwertyuiop", "iloveyou"):
        with pytest.raises(InvalidValue, match="password_common"), unit_of_work(engine) as session:
            create_organizer_account(session, volunteer_id=volunteer, username="wang", password=password, now=now)
    with pytest.raises(InvalidValue, match="password_too_short"), unit_of_work(engine) as session:
        create_organizer_account(session, volunteer_id=volunteer, username="wang", password="tian", now=now)
    # Steps of two and the demo's PIN stay allowed.
    change_own_pin(engine, volunteer_id=volunteer, current_pin=PINS["王阿姨"], new_pin="2468", now=now)
