"""People and their credentials: volunteers, roles, organizer passwords, tablet PINs (argon2)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from db.core.engine import unit_of_work
from db.core.errors import (
    DuplicateValue,
    InvalidValue,
    NotAllowed,
    NotFound,
    SignInFailed,
    StoreError,
    TooManyAttempts,
)
from db.core.events import record_event
from db.core.models import ROLES, Account, Volunteer, VolunteerRole
from db.core.typed import normalize_phone
from db.people.devices import KnownDevice, find_device, mark_device_seen
from db.people.login_sessions import SignedIn, end_sessions_of, roles_at
from db.people.throttling import (
    PER_ACCOUNT_DAY,
    PER_ACCOUNT_ELSEWHERE,
    PER_CLIENT,
    PER_SECRET_AND_CLIENT,
    LimitKey,
    check_not_limited,
    failures_today,
    forget_failed_tries,
    record_failed_try,
)

MIN_PASSWORD_LENGTH = 8
PIN_PATTERN = re.compile(r"\d{4,6}")

_hasher = PasswordHasher()


@dataclass(frozen=True)
class VolunteerChoice:
    id: int
    name: str


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def check_password_rules(password: str) -> None:
    """At least MIN_PASSWORD_LENGTH characters, and not one of the most common passwords (whatever the case)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("error.password_too_short", minimum=MIN_PASSWORD_LENGTH)
    if password.lower() in _common_passwords():
        raise InvalidValue("error.password_common")


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of the Xato corpus as zxcvbn ships them (zxcvbn-python, MIT licence): a
    kept list, not one typed here. Guessers try these first, so the day's 50 tries would be spent on them."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_pin_rules(pin: str, *, phone: str = "") -> None:
    """4–6 digits, and none a guesser tries first: one digit repeated (1111), a run up or down by one (1234, 9876),
    or the last digits of the person's own mobile number."""
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidValue("error.pin_format")
    if len(set(pin)) == 1:
        raise InvalidValue("error.pin_repeated")
    steps = {int(after) - int(before) for before, after in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        raise InvalidValue("error.pin_run")
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= len(pin) and digits.endswith(pin):
        raise InvalidValue("error.pin_phone_tail")


def create_volunteer(
    session: Session,
    *,
    site_id: int,
    name: str,
    phone: str = "",
    roles: tuple[str, ...] | list[str] = ("handout",),
    pin: str | None = None,
    pin_hash: str | None = None,
    now: dt.datetime,
    actor_id: int | None = None,
) -> Volunteer:
    """A volunteer with roles at a site; `pin_hash` (from `hash_secret`) lets a seeder hash a shared PIN once."""
    name = name.strip()
    if pin is not None and pin_hash is not None:
        raise InvalidValue("error.pin_twice")
    if not name:
        raise InvalidValue("error.name_required")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise InvalidValue("error.role_unknown", role=sorted(unknown))
    if pin is not None:
        check_pin_rules(pin, phone=phone)
    volunteer = Volunteer(site_id=site_id, name=name, phone=phone.strip(), active=True, created_at=now)
    volunteer.roles = [VolunteerRole(site_id=site_id, role=role) for role in dict.fromkeys(roles)]
    session.add(volunteer)
    session.flush()
    if pin is not None:
        pin_hash = hash_secret(pin)
    if pin_hash is not None:
        session.add(Account(volunteer_id=volunteer.id, pin_hash=pin_hash, updated_at=now))
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="volunteer.created",
        entity="volunteer",
        entity_id=volunteer.id,
        now=now,
        after={"name": name, "roles": sorted(set(roles))},
    )
    return volunteer


def grant_role(
    session: Session, *, volunteer_id: int, site_id: int, role: str, now: dt.datetime, actor_id: int | None = None
) -> None:
    if role not in ROLES:
        raise InvalidValue("error.role_unknown", role=role)
    exists = session.get(VolunteerRole, (volunteer_id, site_id, role))
    if exists is None:
        session.add(VolunteerRole(volunteer_id=volunteer_id, site_id=site_id, role=role))
        record_event(
            session,
            site_id=site_id,
            actor_id=actor_id,
            action="volunteer.role_granted",
            entity="volunteer",
            entity_id=volunteer_id,
            now=now,
            after={"role": role},
        )


def create_organizer_account(
    session: Session,
    *,
    volunteer_id: int,
    username: str,
    password: str,
    now: dt.datetime,
    actor_id: int | None = None,
) -> Account:
    """Give a volunteer a username and password for the organizer's laptop."""
    username = username.strip().lower()
    if not re.fullmatch(r"[a-z0-9_.-]{3,50}", username):
        raise InvalidValue("error.username_format")
    check_password_rules(password)
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise DuplicateValue("error.username_taken", username=username)
    volunteer, account = _volunteer_and_account(session, volunteer_id=volunteer_id, now=now)
    account.username = username
    account.password_hash = hash_secret(password)
    account.updated_at = now
    session.flush()
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=actor_id,
        action="account.password_set",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
        after={"username": username},
    )
    return account


def _volunteer_and_account(session: Session, *, volunteer_id: int, now: dt.datetime) -> tuple[Volunteer, Account]:
    """The volunteer and their account, a new empty one if they have none yet (the caller sets a secret)."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("error.volunteer_not_found")
    account = session.scalar(select(Account).where(Account.volunteer_id == volunteer_id))
    if account is None:
        account = Account(volunteer_id=volunteer_id, updated_at=now)
        session.add(account)
    return volunteer, account


def reset_pin(
    session: Session, *, volunteer_id: int, new_pin: str, now: dt.datetime, actor_id: int | None = None
) -> None:
    """An organizer sets a new tablet PIN for a volunteer who forgot theirs; their open sessions end."""
    check_pin_rules(new_pin)
    volunteer, account = _volunteer_and_account(session, volunteer_id=volunteer_id, now=now)
    check_pin_rules(new_pin, phone=volunteer.phone)
    _store_secret(session, account=account, kind="pin", new=new_pin, now=now)
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=actor_id,
        action="account.pin_reset",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
    )


def list_volunteers_for_sign_in(session: Session, *, site_id: int) -> list[VolunteerChoice]:
    """Active volunteers of a site who have a PIN, by name: the tablet's sign-in list."""
    query = (
        select(Volunteer.id, Volunteer.name)
        .join(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id, Volunteer.active.is_(True), Account.pin_hash.is_not(None))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [VolunteerChoice(id=row.id, name=row.name) for row in session.execute(query)]


@dataclass(frozen=True)
class Client:
    """Who is trying to sign in: the request's address, and the token of the device cookie if the browser has one."""

    address: str
    device_token: str | None = None


def sign_in_organizer(engine: Engine, *, username: str, password: str, client: Client, now: dt.datetime) -> SignedIn:
    """Check an organizer's password; a failed try is recorded (and throttled) even though the sign-in raises."""
    login = username.strip().lower()
    with unit_of_work(engine) as session:
        account = session.scalar(select(Account).where(Account.username == login)) if login else None
        outcome = _sign_in(
            session,
            account=account,
            kind="organizer",
            secret=password,
            login=f"user:{login}",
            client=client,
            device=find_device(session, token=client.device_token),
            now=now,
        )
    return _signed_in_or_raise(outcome)


def sign_in_volunteer(
    engine: Engine, *, site_id: int, volunteer_id: int, pin: str, client: Client, now: dt.datetime
) -> SignedIn:
    """A volunteer picked from the enrolled tablet's list, with their PIN; only that site's tablets may do this."""
    with unit_of_work(engine) as session:
        device = find_device(session, token=client.device_token)
        if device is None or device.kind != "tablet" or device.site_id != site_id:
            outcome: SignedIn | StoreError = NotAllowed("error.tablet_only")
        else:
            account = session.scalar(
                select(Account)
                .join(Volunteer, Volunteer.id == Account.volunteer_id)
                .where(Account.volunteer_id == volunteer_id, Volunteer.site_id == site_id)
            )
            outcome = _sign_in(
                session,
                account=account,
                kind="volunteer",
                secret=pin,
                login=f"volunteer:{volunteer_id}",
                client=client,
                device=device,
                now=now,
            )
    return _signed_in_or_raise(outcome)


def sign_in_volunteer_elsewhere(engine: Engine, *, login: str, pin: str, client: Client, now: dt.datetime) -> SignedIn:
    """A volunteer away from the counter tablet: their username or mobile number, and their PIN. No list of names."""
    typed = login.strip().lower()
    phone = normalize_phone(typed)
    with unit_of_work(engine) as session:
        account = None
        if typed:
            account = session.scalar(
                select(Account)
                .join(Volunteer, Volunteer.id == Account.volunteer_id)
                .where(
                    or_(Account.username == typed, Volunteer.phone == phone)
                    if len(phone) >= 8
                    else Account.username == typed
                )
                .order_by(Account.id)
                .limit(1)
            )
        key = f"phone:{phone}" if len(phone) >= 8 else f"user:{typed}"
        device = find_device(session, token=client.device_token)
        outcome = _sign_in(
            session, account=account, kind="volunteer", secret=pin, login=key, client=client, device=device, now=now
        )
    return _signed_in_or_raise(outcome)


def _signed_in_or_raise(outcome: SignedIn | StoreError) -> SignedIn:
    # Raised after the commit, so a failed try is still counted.
    if isinstance(outcome, StoreError):
        raise outcome
    return outcome


def _sign_in(
    session: Session,
    *,
    account: Account | None,
    kind: str,
    secret: str,
    login: str,
    client: Client,
    device: KnownDevice | None,
    now: dt.datetime,
) -> SignedIn | StoreError:
    """One way for every sign-in: throttle, check the secret, count or forget the try, write the event.
    `device` is the one behind the client's cookie (`find_device`), which the caller has looked up already.

    An unknown login takes the same steps as a known one (the same keys, one argon2 check against a dummy hash), so
    neither the answers nor the time they take tell which logins exist."""
    volunteer = account.volunteer if account is not None and account.volunteer.active else None
    known = (
        device is not None
        and volunteer is not None
        and device.knows(volunteer_id=volunteer.id, site_id=volunteer.site_id)
    )
    keys = _sign_in_keys(login=login, kind=kind, client=client, device=device if known else None)
    # A day's cap per account, whatever login named it (a mobile number, a username, a name on the tablet); an
    # unknown login is capped under its own name, so both answer alike. Only the person's own browser skips it.
    own_browser = known and device is not None and device.kind == "browser"
    keys.append(
        _day_key(
            kind=kind,
            account_id=account.id if account is not None else None,
            login=login,
            site_id=volunteer.site_id if volunteer is not None else None,
            checked=not own_browser,
        )
    )
    try:
        check_not_limited(session, keys=keys, now=now)
    except TooManyAttempts as refusal:
        return refusal
    hashed = (
        None
        if volunteer is None or account is None
        else (account.password_hash if kind == "organizer" else account.pin_hash)
    )
    right = _verify(hashed or _dummy_hash(), secret) and hashed is not None
    roles = roles_at(session, volunteer_id=volunteer.id, site_id=volunteer.site_id) if volunteer else frozenset()
    if right and kind == "organizer" and "organizer" not in roles:
        right = False
    if not right or volunteer is None or account is None:
        tablet = device if device is not None and device.kind == "tablet" else None
        return _failed_sign_in(
            session, keys=keys, volunteer=volunteer, account=account, kind=kind, tablet=tablet, now=now
        )
    forget_failed_tries(session, keys=keys[:1], now=now)
    if known and device is not None:
        mark_device_seen(session, device_id=device.id, now=now)
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=volunteer.id,
        action="auth.signed_in",
        entity="account",
        entity_id=account.id,
        now=now,
        after={"kind": kind},
    )
    return SignedIn(volunteer_id=volunteer.id, name=volunteer.name, site_id=volunteer.site_id, roles=roles)


@functools.cache
def _dummy_hash() -> str:
    return hash_secret("not-a-real-password")


def _verify(hashed: str, secret: str) -> bool:
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


# --- Changing one's own secret, and an organizer resetting someone else's ---


@dataclass(frozen=True)
class AccountHolder:
    """A person of the site as the reset form lists them: never a hash, only whether one is set."""

    volunteer_id: int
    name: str
    username: str | None
    has_pin: bool


def change_own_password(
    engine: Engine,
    *,
    volunteer_id: int,
    current_password: str,
    new_password: str,
    now: dt.datetime,
    keep_token: str | None = None,
) -> None:
    """The signed-in organizer's new password; the current one must be right (wrong tries are throttled).

    Every other session of theirs ends; the one holding `keep_token` (this browser) stays."""
    check_password_rules(new_password)
    _change_own_secret(
        engine,
        volunteer_id=volunteer_id,
        current=current_password,
        new=new_password,
        now=now,
        kind="password",
        keep_token=keep_token,
    )


def change_own_pin(
    engine: Engine,
    *,
    volunteer_id: int,
    current_pin: str,
    new_pin: str,
    now: dt.datetime,
    keep_token: str | None = None,
) -> None:
    """The signed-in volunteer's new tablet PIN (4–6 digits); the current PIN must be right."""
    check_pin_rules(new_pin)
    _change_own_secret(
        engine, volunteer_id=volunteer_id, current=current_pin, new=new_pin, now=now, kind="pin", keep_token=keep_token
    )


def _sign_in_keys(*, login: str, kind: str, client: Client, device: KnownDevice | None) -> list[LimitKey]:
    """The throttle keys of one try; `device` only when it is known for this person (its own, or the site's tablet).

    On the counter tablet every volunteer is the same client: a PIN try there is slowed per name picked, never
    per tablet, so wrong PINs for one name never keep the others out (the organizers see them on the tablets page).
    """
    who = f"device:{device.id}" if device is not None else f"address:{client.address}"
    keys = [LimitKey(scope="account_client", value=f"{login}\x1f{who}", throttle=PER_SECRET_AND_CLIENT)]
    if not (device is not None and device.kind == "tablet" and kind == "volunteer"):
        keys.append(LimitKey(scope="client", value=who, throttle=PER_CLIENT))
    if device is None and kind == "volunteer":
        # A PIN has only 10,000 values: many addresses guessing one must not add up. A password has enough values
        # that this key would only let a guesser slow its owner down on a new browser.
        keys.append(LimitKey(scope="account", value=login, throttle=PER_ACCOUNT_ELSEWHERE))
    return keys


def _day_key(*, kind: str, account_id: int | None, login: str, site_id: int | None, checked: bool) -> LimitKey:
    """An account's PIN (or password) tries of the day; `checked=False` counts a try without ever refusing one."""
    who = f"account:{account_id}" if account_id is not None else login
    return LimitKey(
        scope="account", value=f"day\x1f{kind}\x1f{who}", site_id=site_id, throttle=PER_ACCOUNT_DAY if checked else None
    )


def _failed_sign_in(
    session: Session,
    *,
    keys: list[LimitKey],
    volunteer: Volunteer | None,
    account: Account | None,
    kind: str,
    tablet: KnownDevice | None,
    now: dt.datetime,
) -> SignInFailed:
    """Count the failed try against every key and log it (with the tablet it was made on, for the organizers' list);
    the same answer whether or not the login exists."""
    record_failed_try(session, keys=keys, now=now)
    record_event(
        session,
        site_id=volunteer.site_id if volunteer else None,
        actor_id=None,
        action="auth.sign_in_failed",
        entity="account",
        entity_id=account.id if volunteer and account else None,
        now=now,
        after={"kind": kind} if tablet is None else {"kind": kind, "tablet": tablet.id},
    )
    return SignInFailed()


# --- Names paused for the day, and an organizer lifting the pause ---


@dataclass(frozen=True)
class PausedName:
    """A person of the site whose PIN or password drew a day's worth of wrong tries."""

    volunteer_id: int
    name: str
    kind: str  # "volunteer" (the PIN) or "organizer" (the password)
    failures: int


def list_paused_names(session: Session, *, site_id: int, now: dt.datetime) -> list[PausedName]:
    """Who is refused on the tablet and on unknown browsers today, by name."""
    holders = session.execute(
        select(Volunteer.id, Volunteer.name, Account.id.label("account_id"))
        .join(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id, Volunteer.active.is_(True))
        .order_by(Volunteer.name, Volunteer.id)
    ).all()
    keys = {
        (row.id, row.name, kind): _day_key(
            kind=kind, account_id=row.account_id, login="", site_id=site_id, checked=True
        )
        for row in holders
        for kind in ("volunteer", "organizer")
    }
    counted = failures_today(session, keys=list(keys.values()), now=now)
    return [
        PausedName(volunteer_id=volunteer_id, name=name, kind=kind, failures=counted[key])
        for (volunteer_id, name, kind), key in keys.items()
        if counted[key] >= PER_ACCOUNT_DAY.tries
    ]


def lift_pause(session: Session, *, site_id: int, volunteer_id: int, actor_id: int, now: dt.datetime) -> None:
    """An organizer lets a paused name sign in again today (its PIN and its password): the day's count starts afresh."""
    account = session.scalar(
        select(Account)
        .join(Volunteer, Volunteer.id == Account.volunteer_id)
        .where(Account.volunteer_id == volunteer_id, Volunteer.site_id == site_id)
    )
    if account is None:
        raise NotFound("error.volunteer_not_found")
    if "organizer" not in roles_at(session, volunteer_id=actor_id, site_id=site_id):
        raise NotAllowed()
    keys = [
        _day_key(kind=kind, account_id=account.id, login="", site_id=site_id, checked=True)
        for kind in ("volunteer", "organizer")
    ]
    forget_failed_tries(session, keys=keys, now=now)
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="account.pause_lifted",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
    )


def _change_own_secret(
    engine: Engine,
    *,
    volunteer_id: int,
    current: str,
    new: str,
    now: dt.datetime,
    kind: str,
    keep_token: str | None,
) -> None:
    keys = [LimitKey(scope="account_client", value=f"change:{volunteer_id}", throttle=PER_SECRET_AND_CLIENT)]
    with unit_of_work(engine) as session:
        account = session.scalar(select(Account).where(Account.volunteer_id == volunteer_id))
        hashed = None if account is None else (account.password_hash if kind == "password" else account.pin_hash)
        outcome: StoreError | None
        if account is None or hashed is None:
            outcome = NotFound("error.no_password_set" if kind == "password" else "error.no_pin_set")
        else:
            outcome = _check_own_secret(
                session, account=account, hashed=hashed, current=current, kind=kind, keys=keys, now=now
            )
        if outcome is None and account is not None:
            if kind == "pin":
                # Checked here, where the person's mobile number is at hand (the format was checked before).
                check_pin_rules(new, phone=account.volunteer.phone)
            _store_secret(session, account=account, kind=kind, new=new, now=now, keep_token=keep_token)
            record_event(
                session,
                site_id=account.volunteer.site_id,
                actor_id=volunteer_id,
                action=f"account.{kind}_changed",
                entity="account",
                entity_id=account.id,
                now=now,
            )
    # Raised after the commit, so a wrong current secret is still counted.
    if outcome is not None:
        raise outcome


def _check_own_secret(
    session: Session,
    *,
    account: Account,
    hashed: str,
    current: str,
    kind: str,
    keys: list[LimitKey],
    now: dt.datetime,
) -> StoreError | None:
    """The refusal for a throttled or wrong current secret (a wrong one is counted and logged), else None."""
    try:
        check_not_limited(session, keys=keys, now=now)
    except TooManyAttempts as refusal:
        return refusal
    if _verify(hashed, current):
        return None
    record_failed_try(session, keys=keys, now=now)
    record_event(
        session,
        site_id=account.volunteer.site_id,
        actor_id=account.volunteer_id,
        action="account.change_failed",
        entity="account",
        entity_id=account.id,
        now=now,
        after={"kind": kind},
    )
    return SignInFailed("error.current_secret_wrong")


def reset_password(session: Session, *, volunteer_id: int, new_password: str, now: dt.datetime, actor_id: int) -> None:
    """An organizer sets another organizer's forgotten password at their site; their open sessions end."""
    check_password_rules(new_password)
    if volunteer_id == actor_id:
        # Your own password needs the current one: the change form, not a reset.
        raise NotAllowed("error.reset_own_secret")
    account = session.scalar(select(Account).where(Account.volunteer_id == volunteer_id))
    if account is None or account.username is None:
        raise NotFound("error.no_password_set")
    if "organizer" not in roles_at(session, volunteer_id=actor_id, site_id=account.volunteer.site_id):
        raise NotAllowed()
    _store_secret(session, account=account, kind="password", new=new_password, now=now)
    record_event(
        session,
        site_id=account.volunteer.site_id,
        actor_id=actor_id,
        action="account.password_reset",
        entity="account",
        entity_id=account.id,
        now=now,
    )


def list_account_holders(session: Session, *, site_id: int) -> list[AccountHolder]:
    """Active volunteers of a site, by name, with which secrets they have."""
    rows = session.execute(
        select(Volunteer.id, Volunteer.name, Account.username, Account.pin_hash.is_not(None).label("has_pin"))
        .outerjoin(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id, Volunteer.active.is_(True))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [
        AccountHolder(volunteer_id=row.id, name=row.name, username=row.username, has_pin=bool(row.has_pin))
        for row in rows
    ]


def _store_secret(
    session: Session, *, account: Account, kind: str, new: str, now: dt.datetime, keep_token: str | None = None
) -> None:
    """A new secret ends the person's sessions everywhere (but the browser that changed it): whoever knew the old
    one is signed out."""
    if kind == "password":
        account.password_hash = hash_secret(new)
    else:
        account.pin_hash = hash_secret(new)
    account.updated_at = now
    session.flush()
    end_sessions_of(session, volunteer_id=account.volunteer_id, reason="secret_changed", now=now, keep_token=keep_token)
