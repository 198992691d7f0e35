"""Known devices: counter tablets an organizer enrolled, and browsers remembered when their person signed in.

A device is known by a random token in its cookie; the table keeps only the token's SHA-256. Only an enrolled
tablet lists a site's volunteers for a PIN sign-in, and tries made from elsewhere never slow a known device down.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.core.clock import local_day_bounds, local_today
from db.core.engine import rows_changed
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import Account, Device, Event, LoginSession, Volunteer

MAX_DEVICE_NAME = 100


@dataclass(frozen=True)
class KnownDevice:
    id: int
    site_id: int
    kind: str
    name: str
    volunteer_id: int | None

    def knows(self, *, volunteer_id: int, site_id: int) -> bool:
        """Whether this device is that person's own: a tablet of their site, or their remembered browser."""
        if self.kind == "tablet":
            return self.site_id == site_id
        return self.volunteer_id == volunteer_id


@dataclass(frozen=True)
class TabletRow:
    id: int
    name: str
    enrolled_by: str | None
    enrolled_at: dt.datetime
    last_seen_at: dt.datetime


@dataclass(frozen=True)
class TabletWrongPins:
    """Wrong PINs typed on one tablet for one name today: how many, and the last one."""

    tablet: str
    name: str
    failures: int
    last_at: dt.datetime


def new_token() -> str:
    """A random token for a cookie: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enroll_tablet(session: Session, *, site_id: int, name: str, actor_id: int | None, now: dt.datetime) -> str:
    """Make this browser a counter tablet of the site; returns the token its cookie keeps (no actor: the demo)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidValue("error.device_name_required")
    if len(name) > MAX_DEVICE_NAME:
        raise InvalidValue("error.device_name_too_long", maximum=MAX_DEVICE_NAME)
    token = new_token()
    device = Device(
        site_id=site_id,
        kind="tablet",
        name=name,
        token_hash=token_hash(token),
        created_by=actor_id,
        created_at=now,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="device.enrolled",
        entity="device",
        entity_id=device.id,
        now=now,
        after={"name": name},
    )
    return token


def remember_browser(session: Session, *, volunteer_id: int, now: dt.datetime) -> str:
    """Remember the browser a person just signed in on, so guessing elsewhere never slows them; returns its token."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("error.volunteer_not_found")
    token = new_token()
    device = Device(
        site_id=volunteer.site_id,
        kind="browser",
        name="",
        volunteer_id=volunteer_id,
        token_hash=token_hash(token),
        created_at=now,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=volunteer_id,
        action="device.remembered",
        entity="device",
        entity_id=device.id,
        now=now,
    )
    return token


def find_device(session: Session, *, token: str | None) -> KnownDevice | None:
    """The device whose cookie holds `token`, unless it was revoked."""
    if not token:
        return None
    device = session.scalar(select(Device).where(Device.token_hash == token_hash(token), Device.revoked_at.is_(None)))
    if device is None:
        return None
    return KnownDevice(
        id=device.id, site_id=device.site_id, kind=device.kind, name=device.name, volunteer_id=device.volunteer_id
    )


def mark_device_seen(session: Session, *, device_id: int, now: dt.datetime) -> None:
    session.execute(update(Device).where(Device.id == device_id).values(last_seen_at=now))


def list_tablets(session: Session, *, site_id: int) -> list[TabletRow]:
    """The site's enrolled tablets that are not revoked, newest first."""
    rows = session.execute(
        select(Device.id, Device.name, Volunteer.name.label("enrolled_by"), Device.created_at, Device.last_seen_at)
        .outerjoin(Volunteer, Volunteer.id == Device.created_by)
        .where(Device.site_id == site_id, Device.kind == "tablet", Device.revoked_at.is_(None))
        .order_by(Device.created_at.desc(), Device.id.desc())
    )
    return [
        TabletRow(
            id=row.id,
            name=row.name,
            enrolled_by=row.enrolled_by,
            enrolled_at=row.created_at,
            last_seen_at=row.last_seen_at,
        )
        for row in rows
    ]


def revoke_tablet(session: Session, *, site_id: int, device_id: int, actor_id: int, now: dt.datetime) -> None:
    """The tablet is no longer known (lost, replaced): its cookie stops working and its sign-ins end."""
    revoked = rows_changed(
        session,
        update(Device)
        .where(Device.id == device_id, Device.site_id == site_id, Device.kind == "tablet", Device.revoked_at.is_(None))
        .values(revoked_at=now),
    )
    if revoked != 1:
        raise NotFound("error.device_not_found")
    session.execute(
        update(LoginSession)
        .where(LoginSession.device_id == device_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason="device_revoked")
    )
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="device.revoked",
        entity="device",
        entity_id=device_id,
        now=now,
    )


def list_wrong_pins_on_tablets(session: Session, *, site_id: int, now: dt.datetime) -> list[TabletWrongPins]:
    """Today's wrong PINs on the site's tablets, per tablet and name, the most recent first: many of them tell the
    organizers someone is guessing at the counter (or with a copy of its cookie); nobody else is slowed by them."""
    start, _ = local_day_bounds(local_today(now))
    rows = session.execute(
        select(Event.after, Event.happened_at, Volunteer.name)
        .outerjoin(Account, Account.id == Event.entity_id)
        .outerjoin(Volunteer, Volunteer.id == Account.volunteer_id)
        .where(Event.site_id == site_id, Event.action == "auth.sign_in_failed", Event.happened_at >= start)
    ).all()
    tablets = {
        row.id: row.name for row in session.execute(select(Device.id, Device.name).where(Device.site_id == site_id))
    }
    seen: dict[tuple[str, str], tuple[int, dt.datetime]] = {}
    for row in rows:
        tablet_id = (row.after or {}).get("tablet")
        tablet = tablets.get(tablet_id) if isinstance(tablet_id, int) else None
        if tablet is None:
            continue
        failures, last = seen.get((tablet, row.name or ""), (0, row.happened_at))
        seen[(tablet, row.name or "")] = (failures + 1, max(last, row.happened_at))
    listed = [
        TabletWrongPins(tablet=tablet, name=name, failures=failures, last_at=last)
        for (tablet, name), (failures, last) in seen.items()
    ]
    return sorted(listed, key=lambda row: (row.last_at, row.tablet, row.name), reverse=True)


def count_tablets_ever(session: Session) -> int:
    """Tablets ever enrolled anywhere, revoked ones included: the demo enrolls its first browser when this is 0."""
    return session.scalar(select(func.count(Device.id)).where(Device.kind == "tablet")) or 0


def _live_tablet(session: Session, *, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.kind != "tablet" or device.revoked_at is not None:
        raise NotFound("error.device_not_found")
    return device


def tablet_elder_mode(session: Session, *, device_id: int) -> bool:
    """Whether this counter tablet is in 长辈模式 (it rules the tablet while nobody is signed in on it)."""
    return _live_tablet(session, device_id=device_id).elder_mode


def set_tablet_elder_mode(
    session: Session, *, device_id: int, elder_mode: bool, actor_id: int | None, now: dt.datetime
) -> None:
    """Switch the counter tablet's 长辈模式 on or off (anyone at the tablet may; a signed-in person is the actor)."""
    device = _live_tablet(session, device_id=device_id)
    if device.elder_mode == elder_mode:
        return
    before = device.elder_mode
    device.elder_mode = elder_mode
    session.flush()
    record_event(
        session,
        site_id=device.site_id,
        actor_id=actor_id,
        action="device.elder_mode_set",
        entity="device",
        entity_id=device.id,
        now=now,
        before={"elder_mode": before},
        after={"elder_mode": elder_mode},
    )


def elder_mode_applies(
    session: Session, *, volunteer_id: int | None, device_id: int | None, chosen_for_session: bool
) -> bool:
    """The rule of which 长辈模式 applies: a signed-in volunteer's own; else, on an enrolled counter tablet, the
    tablet's; else (a plain browser, a remembered one, a revoked tablet) what was switched for this browser session."""
    if volunteer_id is not None:
        return bool(session.scalar(select(Volunteer.elder_mode).where(Volunteer.id == volunteer_id)))
    if device_id is not None:
        tablet = session.scalar(
            select(Device.elder_mode).where(
                Device.id == device_id, Device.kind == "tablet", Device.revoked_at.is_(None)
            )
        )
        if tablet is not None:
            return tablet
    return chosen_for_session
