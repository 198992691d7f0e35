"""People and their credentials: volunteers, roles, organizer passwords, tablet PINs (argon2)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.engine import unit_of_work
from db.errors import (
    AccountLocked,
    DuplicateValue,
    InvalidValue,
    NotAllowed,
    NotFound,
    SignInFailed,
    StoreError,
)
from db.events import record_event
from db.models import ROLES, Account, Volunteer, VolunteerRole

MIN_PASSWORD_LENGTH = 8
PIN_PATTERN = re.compile(r"\d{4,6}")
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 5

_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """Who is using the app: the person, the site they act for, and their roles there."""

    volunteer_id: int
    name: str
    site_id: int
    roles: frozenset[str]


@dataclass(frozen=True)
class VolunteerChoice:
    id: int
    name: str


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("error.password_too_short", minimum=MIN_PASSWORD_LENGTH)


def check_pin_rules(pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidValue("error.pin_format")


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
        raise InvalidValue("error.role_unknown", role=", ".join(sorted(unknown)))
    volunteer = Volunteer(site_id=site_id, name=name, phone=phone.strip(), active=True, created_at=now)
    volunteer.roles = [VolunteerRole(site_id=site_id, role=role) for role in dict.fromkeys(roles)]
    session.add(volunteer)
    session.flush()
    if pin is not None:
        check_pin_rules(pin)
        pin_hash = hash_secret(pin)
    if pin_hash is not None:
        session.add(Account(volunteer_id=volunteer.id, pin_hash=pin_hash, updated_at=now))
    record_event(
        session, site_id=site_id, actor_id=actor_id, action="volunteer.created", entity="volunteer",
        entity_id=volunteer.id, now=now, after={"name": name, "roles": sorted(set(roles))},
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
            session, site_id=site_id, actor_id=actor_id, action="volunteer.role_granted", entity="volunteer",
            entity_id=volunteer_id, now=now, after={"role": role},
        )


def create_organizer_account(
    session: Session, *, volunteer_id: int, username: str, password: str, now: dt.datetime,
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
        session, site_id=volunteer.site_id, actor_id=actor_id, action="account.password_set", entity="volunteer",
        entity_id=volunteer_id, now=now, after={"username": username},
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
    """An organizer sets a new tablet PIN for a volunteer who forgot theirs; it also lifts a lock."""
    check_pin_rules(new_pin)
    volunteer, account = _volunteer_and_account(session, volunteer_id=volunteer_id, now=now)
    account.pin_hash = hash_secret(new_pin)
    account.failed_attempts = 0
    account.locked_until = None
    account.updated_at = now
    session.flush()
    record_event(
        session, site_id=volunteer.site_id, actor_id=actor_id, action="account.pin_reset", entity="volunteer",
        entity_id=volunteer_id, now=now,
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


def sign_in_organizer(engine: Engine, *, username: str, password: str, now: dt.datetime) -> SignedIn:
    """Check an organizer's password; failed tries are recorded even though the sign-in raises."""
    with unit_of_work(engine) as session:
        outcome = _sign_in_organizer(session, username=username, password=password, now=now)
    if isinstance(outcome, StoreError):
        raise outcome
    return outcome


def sign_in_volunteer(engine: Engine, *, site_id: int, volunteer_id: int, pin: str, now: dt.datetime) -> SignedIn:
    """Check a volunteer's tablet PIN; five wrong tries lock that volunteer for five minutes."""
    with unit_of_work(engine) as session:
        account = session.scalar(
            select(Account)
            .join(Volunteer, Volunteer.id == Account.volunteer_id)
            .where(Account.volunteer_id == volunteer_id, Volunteer.site_id == site_id, Volunteer.active.is_(True))
        )
        if account is None or account.pin_hash is None:
            outcome: SignedIn | StoreError = SignInFailed()
        else:
            outcome = _check_secret(session, account=account, secret=pin, hashed=account.pin_hash, now=now,
                                    kind="volunteer", required_role=None)
    if isinstance(outcome, StoreError):
        raise outcome
    return outcome


def _sign_in_organizer(session: Session, *, username: str, password: str, now: dt.datetime) -> SignedIn | StoreError:
    account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    if account is None or account.password_hash is None:
        # Spend the same time as a real check, so unknown usernames are not told apart by timing.
        _verify(_dummy_hash(), password)
        record_event(
            session, site_id=None, actor_id=None, action="auth.sign_in_failed", entity="account",
            entity_id=None, now=now, after={"kind": "organizer"},
        )
        return SignInFailed()
    return _check_secret(session, account=account, secret=password, hashed=account.password_hash, now=now,
                         kind="organizer", required_role="organizer")


def _check_secret(
    session: Session, *, account: Account, secret: str, hashed: str, now: dt.datetime, kind: str,
    required_role: str | None,
) -> SignedIn | StoreError:
    volunteer = account.volunteer
    refusal = _refuse_wrong_secret(session, account=account, secret=secret, hashed=hashed, now=now, kind=kind,
                                   action="auth.sign_in_failed")
    if refusal is not None:
        return refusal
    roles = roles_at(session, volunteer_id=volunteer.id, site_id=volunteer.site_id)
    if required_role is not None and required_role not in roles:
        return SignInFailed()
    account.failed_attempts = 0
    account.locked_until = None
    record_event(
        session, site_id=volunteer.site_id, actor_id=volunteer.id, action="auth.signed_in", entity="account",
        entity_id=account.id, now=now, after={"kind": kind},
    )
    return SignedIn(volunteer_id=volunteer.id, name=volunteer.name, site_id=volunteer.site_id, roles=roles)


def _refuse_wrong_secret(
    session: Session, *, account: Account, secret: str, hashed: str, now: dt.datetime, kind: str, action: str,
    wrong_key: str | None = None,
) -> StoreError | None:
    """None when the secret is right and the account not locked; else the refusal, the failure counted."""
    if account.locked_until is not None and account.locked_until > now:
        return AccountLocked(until=account.locked_until)
    if _verify(hashed, secret):
        return None
    # Counted in one statement so two tablets guessing at once cannot both slip under the limit.
    session.execute(
        update(Account).where(Account.id == account.id)
        .values(failed_attempts=Account.failed_attempts + 1)
    )
    session.refresh(account)
    locked = account.failed_attempts >= MAX_FAILED_ATTEMPTS
    if locked:
        account.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        account.failed_attempts = 0
    record_event(
        session, site_id=account.volunteer.site_id, actor_id=account.volunteer_id, action=action,
        entity="account", entity_id=account.id, now=now, after={"kind": kind, "locked": locked},
    )
    return AccountLocked(until=account.locked_until) if locked else SignInFailed(wrong_key)


def roles_at(session: Session, *, volunteer_id: int, site_id: int) -> frozenset[str]:
    query = select(VolunteerRole.role).where(
        VolunteerRole.volunteer_id == volunteer_id, VolunteerRole.site_id == site_id
    )
    return frozenset(session.scalars(query))


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
    engine: Engine, *, volunteer_id: int, current_password: str, new_password: str, now: dt.datetime
) -> None:
    """The signed-in organizer's new password; the current one must be right (wrong tries count toward the lock)."""
    check_password_rules(new_password)
    _change_own_secret(engine, volunteer_id=volunteer_id, current=current_password, new=new_password, now=now,
                       kind="password")


def change_own_pin(engine: Engine, *, volunteer_id: int, current_pin: str, new_pin: str, now: dt.datetime) -> None:
    """The signed-in volunteer's new tablet PIN (4–6 digits); the current PIN must be right."""
    check_pin_rules(new_pin)
    _change_own_secret(engine, volunteer_id=volunteer_id, current=current_pin, new=new_pin, now=now, kind="pin")


def _change_own_secret(
    engine: Engine, *, volunteer_id: int, current: str, new: str, now: dt.datetime, kind: str
) -> None:
    with unit_of_work(engine) as session:
        account = session.scalar(select(Account).where(Account.volunteer_id == volunteer_id))
        hashed = None if account is None else (account.password_hash if kind == "password" else account.pin_hash)
        if hashed is None:
            outcome: StoreError | None = NotFound("error.no_password_set" if kind == "password" else "error.no_pin_set")
        else:
            outcome = _refuse_wrong_secret(
                session, account=account, secret=current, hashed=hashed, now=now, kind=kind,
                action="account.change_failed", wrong_key="error.current_secret_wrong",
            )
        if outcome is None:
            _store_secret(session, account=account, kind=kind, new=new, now=now)
            record_event(
                session, site_id=account.volunteer.site_id, actor_id=volunteer_id, action=f"account.{kind}_changed",
                entity="account", entity_id=account.id, now=now,
            )
    # Raised after the commit, so a wrong current secret is still counted.
    if outcome is not None:
        raise outcome


def reset_password(
    session: Session, *, volunteer_id: int, new_password: str, now: dt.datetime, actor_id: int
) -> None:
    """An organizer sets another organizer's forgotten password at their site; it also lifts a lock."""
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
        session, site_id=account.volunteer.site_id, actor_id=actor_id, action="account.password_reset",
        entity="account", entity_id=account.id, now=now,
    )


def list_account_holders(session: Session, *, site_id: int) -> list[AccountHolder]:
    """Active volunteers of a site, by name, with which secrets they have."""
    rows = session.execute(
        select(Volunteer.id, Volunteer.name, Account.username, Account.pin_hash.is_not(None).label("has_pin"))
        .outerjoin(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id, Volunteer.active.is_(True))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [AccountHolder(volunteer_id=row.id, name=row.name, username=row.username, has_pin=bool(row.has_pin))
            for row in rows]


def _store_secret(session: Session, *, account: Account, kind: str, new: str, now: dt.datetime) -> None:
    if kind == "password":
        account.password_hash = hash_secret(new)
    else:
        account.pin_hash = hash_secret(new)
    account.failed_attempts = 0
    account.locked_until = None
    account.updated_at = now
    session.flush()
