"""Pickup points and their rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.errors import DuplicateValue, InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import Site, SiteRules, VolunteerRole


@dataclass(frozen=True)
class SiteInfo:
    id: int
    code: str
    name: str
    address: str


def create_site(
    session: Session, *, code: str, name: str, address: str = "", now: dt.datetime, actor_id: int | None = None
) -> Site:
    """A new pickup point with the default rules."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise InvalidValue("error.site_code_and_name_required")
    if session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise DuplicateValue("error.site_code_taken", code=code)
    site = Site(code=code, name=name.strip(), address=address.strip(), created_at=now)
    site.rules = SiteRules()
    session.add(site)
    session.flush()
    record_event(
        session,
        site_id=site.id,
        actor_id=actor_id,
        action="site.created",
        entity="site",
        entity_id=site.id,
        now=now,
        after={"code": code, "name": site.name},
    )
    return site


def get_site(session: Session, *, site_id: int) -> SiteInfo:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("error.site_not_found")
    return _info(site)


def get_site_by_code(session: Session, *, code: str) -> SiteInfo:
    site = session.scalar(select(Site).where(Site.code == code.strip().upper()))
    if site is None:
        raise NotFound("error.site_not_found")
    return _info(site)


def list_sites(session: Session) -> list[SiteInfo]:
    return [_info(site) for site in session.scalars(select(Site).order_by(Site.code))]


def count_sites(session: Session) -> int:
    return session.scalar(select(func.count(Site.id))) or 0


def list_organizer_sites(session: Session, *, volunteer_id: int) -> list[SiteInfo]:
    """The sites where this person holds the organizer role."""
    query = (
        select(Site)
        .join(VolunteerRole, VolunteerRole.site_id == Site.id)
        .where(VolunteerRole.volunteer_id == volunteer_id, VolunteerRole.role == "organizer")
        .order_by(Site.code)
    )
    return [_info(site) for site in session.scalars(query)]


def get_site_rules(session: Session, *, site_id: int) -> SiteRules:
    rules = session.get(SiteRules, site_id)
    if rules is None:
        raise NotFound("error.site_not_found")
    return rules


def _info(site: Site) -> SiteInfo:
    return SiteInfo(id=site.id, code=site.code, name=site.name, address=site.address)
