"""Sign-ins that survive a reload: a random token in the browser's cookie, its hash and expiry in `login_sessions`.

Volunteers' sessions end after their site's idle minutes, organizers' after ORGANIZER_IDLE_MINUTES; signing out,
changing or resetting a secret, revoking a tablet, or an organizer's "end sessions" end them at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.core.engine import rows_changed
from db.core.errors import NotFound
from db.core.events import record_event
from db.core.models import Device, LoginSession, SiteRules, Volunteer, VolunteerRole
from db.people.devices import new_token, token_hash

# An organizer's laptop stays signed in through a working day of pauses.
ORGANIZER_IDLE_MINUTES = 12 * 60
# A page run is a sign of life; the row is written at most this often, not on every tap.
TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class SignedIn:
    """Who is using the app: the person, the site they act for, and their roles there."""

    volunteer_id: int
    name: str
    site_id: int
    roles: frozenset[str]


@dataclass(frozen=True)
class ResumedSession:
    id: int
    user: SignedIn
    audience: str
    device_id: int | None
    last_seen_at: dt.datetime


@dataclass(frozen=True)
class OpenSession:
    """A live sign-in as the organizer's list shows it."""

    id: int
    volunteer_id: int
    name: str
    audience: str
    device: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


def roles_at(session: Session, *, volunteer_id: int, site_id: int) -> frozenset[str]:
    query = select(VolunteerRole.role).where(
        VolunteerRole.volunteer_id == volunteer_id, VolunteerRole.site_id == site_id
    )
    return frozenset(session.scalars(query))


def start_login_session(
    session: Session, *, user: SignedIn, audience: str, device_id: int | None, now: dt.datetime
) -> str:
    """A new session for someone who just proved who they are; returns the token for the browser's cookie."""
    if audience == "volunteer":
        idle = session.scalar(select(SiteRules.idle_signout_minutes).where(SiteRules.site_id == user.site_id))
        if idle is None:
            raise NotFound("error.site_not_found")
    else:
        idle = ORGANIZER_IDLE_MINUTES
    token = new_token()
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            volunteer_id=user.volunteer_id,
            site_id=user.site_id,
            audience=audience,
            device_id=device_id,
            idle_minutes=idle,
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(minutes=idle),
        )
    )
    session.flush()
    return token


def resume_login_session(session: Session, *, token: str | None, now: dt.datetime) -> ResumedSession | None:
    """The live session behind a cookie's token, or None (unknown, ended, expired, or the person lost the role)."""
    if not token:
        return None
    row = session.execute(
        select(LoginSession, Volunteer.name, Volunteer.active)
        .join(Volunteer, Volunteer.id == LoginSession.volunteer_id)
        .where(
            LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None), LoginSession.expires_at > now
        )
    ).first()
    if row is None or not row.active:
        return None
    login = row.LoginSession
    roles = roles_at(session, volunteer_id=login.volunteer_id, site_id=login.site_id)
    if login.audience == "organizer" and "organizer" not in roles:
        return None
    user = SignedIn(volunteer_id=login.volunteer_id, name=row.name, site_id=login.site_id, roles=roles)
    return ResumedSession(
        id=login.id, user=user, audience=login.audience, device_id=login.device_id, last_seen_at=login.last_seen_at
    )


def touch_login_session(session: Session, *, session_id: int, now: dt.datetime) -> bool:
    """Move a live session's expiry on from now; False when it has ended or expired meanwhile."""
    login = session.get(LoginSession, session_id)
    if login is None or login.ended_at is not None or login.expires_at <= now:
        return False
    login.last_seen_at = now
    login.expires_at = now + dt.timedelta(minutes=login.idle_minutes)
    session.flush()
    return True


def end_login_session(session: Session, *, token: str, reason: str, now: dt.datetime) -> None:
    """Sign-out (or idle) of the browser holding `token`; nothing to do when it has already ended."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == token_hash(token), LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )


def end_sessions_of(
    session: Session, *, volunteer_id: int, reason: str, now: dt.datetime, keep_token: str | None = None
) -> int:
    """End every live session of a person (a changed secret, an organizer's order); the caller's own may stay."""
    query = update(LoginSession).where(LoginSession.volunteer_id == volunteer_id, LoginSession.ended_at.is_(None))
    if keep_token:
        query = query.where(LoginSession.token_hash != token_hash(keep_token))
    return rows_changed(session, query.values(ended_at=now, end_reason=reason))


def end_sessions_by_organizer(
    session: Session, *, site_id: int, volunteer_id: int, actor_id: int, now: dt.datetime
) -> int:
    """An organizer ends every sign-in of a person of their site (a lost phone, a volunteer who left)."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.site_id != site_id:
        raise NotFound("error.volunteer_not_found")
    ended = end_sessions_of(session, volunteer_id=volunteer_id, reason="ended_by_organizer", now=now)
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="account.sessions_ended",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
        after={"sessions": ended},
    )
    return ended


def list_open_sessions(session: Session, *, site_id: int, now: dt.datetime) -> list[OpenSession]:
    """Live sign-ins at a site, most recently active first."""
    rows = session.execute(
        select(LoginSession, Volunteer.name, Device.name.label("device"))
        .join(Volunteer, Volunteer.id == LoginSession.volunteer_id)
        .outerjoin(Device, (Device.id == LoginSession.device_id) & (Device.kind == "tablet"))
        .where(LoginSession.site_id == site_id, LoginSession.ended_at.is_(None), LoginSession.expires_at > now)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )
    return [
        OpenSession(
            id=row.LoginSession.id,
            volunteer_id=row.LoginSession.volunteer_id,
            name=row.name,
            audience=row.LoginSession.audience,
            device=row.device,
            created_at=row.LoginSession.created_at,
            last_seen_at=row.LoginSession.last_seen_at,
            expires_at=row.LoginSession.expires_at,
        )
        for row in rows
    ]
