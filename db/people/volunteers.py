"""The organizer's side of volunteers: edit a person and their roles, and import a list from a CSV file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.errors import InvalidValue, NotAllowed, NotFound, StoreError
from db.core.events import record_event
from db.core.models import ROLES, Account, Volunteer, VolunteerRole
from db.core.typed import decode_table_file, normalize_phone
from db.people.accounts import check_pin_rules, create_volunteer, hash_secret

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 2000
NAME_LIMIT = 50
# Header spellings accepted, after normalizing (NFKC, lower case, no spaces).
IMPORT_HEADERS = {
    "name": ("name", "姓名", "名字", "志愿者"),
    "phone": ("phone", "mobile", "手机", "手机号", "电话", "联系电话"),
    "roles": ("roles", "role", "岗位", "角色"),
    "pin": ("pin", "pin码", "密码"),
}
ROLE_NAMES = {
    "receiving": "receiving",
    "收货": "receiving",
    "handout": "handout",
    "发货": "handout",
    "发放": "handout",
    "cold_check": "cold_check",
    "coldcheck": "cold_check",
    "测温": "cold_check",
    "organizer": "organizer",
    "组织者": "organizer",
}
_ROLE_SEPARATORS = re.compile(r"[、,，;；/|\s]+")
_MOBILE = re.compile(r"1\d{10}")


class VolunteerImportUnreadable(StoreError):
    """The file as a whole cannot be used: nothing is imported."""

    key = "error.volunteer_import_unreadable"


@dataclass(frozen=True)
class VolunteerDetail:
    """A person as the organizer's volunteer page edits them (phone whole: organizers only)."""

    id: int
    name: str
    phone: str
    roles: tuple[str, ...]
    active: bool
    has_pin: bool


@dataclass(frozen=True)
class PlannedVolunteer:
    row: int  # as a spreadsheet numbers it: the header is row 1
    name: str
    phone: str
    roles: tuple[str, ...]
    pin: str | None


@dataclass(frozen=True)
class RejectedVolunteerRow:
    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VolunteerImportPlan:
    volunteers: list[PlannedVolunteer]
    rejected: list[RejectedVolunteerRow]


def list_site_volunteers(session: Session, *, site_id: int) -> list[VolunteerDetail]:
    """Everyone whose home is the site, active or not, by name, with their roles there."""
    rows = session.execute(
        select(Volunteer, Account.pin_hash.is_not(None))
        .outerjoin(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id)
        .order_by(Volunteer.name, Volunteer.id)
    ).all()
    roles: dict[int, list[str]] = {}
    for volunteer_id, role in session.execute(
        select(VolunteerRole.volunteer_id, VolunteerRole.role).where(VolunteerRole.site_id == site_id)
    ):
        roles.setdefault(volunteer_id, []).append(role)
    return [
        VolunteerDetail(
            id=volunteer.id,
            name=volunteer.name,
            phone=volunteer.phone,
            roles=tuple(role for role in ROLES if role in roles.get(volunteer.id, [])),
            active=volunteer.active,
            has_pin=bool(has_pin),
        )
        for volunteer, has_pin in rows
    ]


def update_volunteer(
    session: Session,
    *,
    volunteer_id: int,
    name: str,
    phone: str,
    roles: list[str] | tuple[str, ...],
    active: bool,
    now: dt.datetime,
    actor_id: int | None = None,
) -> None:
    """Change a volunteer's name, phone, roles at their site, and whether they are active."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("error.volunteer_not_found")
    name = name.strip()
    if not name:
        raise InvalidValue("error.name_required")
    phone = normalize_phone(phone) if phone.strip() else ""
    if phone and not _MOBILE.fullmatch(phone):
        raise InvalidValue("error.phone_format")
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise InvalidValue("error.role_unknown", role=sorted(unknown))
    # An organizer cannot lock themselves out of the organizer pages by mistake.
    if volunteer_id == actor_id and ("organizer" not in roles or not active):
        raise NotAllowed("error.cannot_demote_self")
    before_roles = sorted(
        session.scalars(
            select(VolunteerRole.role).where(
                VolunteerRole.volunteer_id == volunteer_id, VolunteerRole.site_id == volunteer.site_id
            )
        )
    )
    before = {"name": volunteer.name, "phone": volunteer.phone, "active": volunteer.active, "roles": before_roles}
    volunteer.name, volunteer.phone, volunteer.active = name, phone, active
    kept = [role for role in volunteer.roles if role.site_id != volunteer.site_id or role.role in roles]
    held = {role.role for role in kept if role.site_id == volunteer.site_id}
    volunteer.roles = kept + [
        VolunteerRole(site_id=volunteer.site_id, role=role) for role in dict.fromkeys(roles) if role not in held
    ]
    session.flush()
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=actor_id,
        action="volunteer.updated",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
        before=before,
        after={"name": name, "phone": phone, "active": active, "roles": sorted(set(roles))},
    )


def volunteer_elder_mode(session: Session, *, volunteer_id: int) -> bool:
    """Whether this volunteer wants 长辈模式 on their screens once signed in."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("error.volunteer_not_found")
    return volunteer.elder_mode


def set_volunteer_elder_mode(session: Session, *, volunteer_id: int, elder_mode: bool, now: dt.datetime) -> None:
    """The volunteer switches their own 长辈模式 on or off (from the account page or the tablet's sidebar)."""
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise NotFound("error.volunteer_not_found")
    if volunteer.elder_mode == elder_mode:
        return
    before = volunteer.elder_mode
    volunteer.elder_mode = elder_mode
    session.flush()
    record_event(
        session,
        site_id=volunteer.site_id,
        actor_id=volunteer_id,
        action="volunteer.elder_mode_set",
        entity="volunteer",
        entity_id=volunteer_id,
        now=now,
        before={"elder_mode": before},
        after={"elder_mode": elder_mode},
    )


def plan_volunteer_import(session: Session, *, site_id: int, data: bytes) -> VolunteerImportPlan:
    """Read a CSV (UTF-8 with or without BOM, or GB18030) of name, phone, roles and optional PIN; check every row.

    Changes nothing, so the page can show each rejected row with its reason before anything is written."""
    grid = _read_grid(data)
    columns = _columns(grid[0])
    existing_phones = set(
        session.scalars(select(Volunteer.phone).where(Volunteer.site_id == site_id, Volunteer.phone != ""))
    )
    planned: list[PlannedVolunteer] = []
    rejected: list[RejectedVolunteerRow] = []
    phones_in_file: set[str] = set()
    for number, cells in enumerate(grid[1:], start=2):
        values = {name: _clean(cells[index]) if index < len(cells) else "" for name, index in columns.items()}
        if not any(values.values()):
            continue
        checked = _check_row(number, values)
        if isinstance(checked, RejectedVolunteerRow):
            rejected.append(checked)
            continue
        if checked.phone and (checked.phone in existing_phones or checked.phone in phones_in_file):
            rejected.append(RejectedVolunteerRow(number, "error.row_volunteer_exists", {"phone": checked.phone}))
            continue
        phones_in_file.add(checked.phone)
        planned.append(checked)
    if not planned and not rejected:
        raise VolunteerImportUnreadable("error.volunteer_import_no_rows")
    return VolunteerImportPlan(volunteers=planned, rejected=rejected)


def import_volunteers(
    session: Session, *, site_id: int, data: bytes, now: dt.datetime, actor_id: int | None = None
) -> int:
    """Create every volunteer in the file, or none: a file with any rejected row is refused whole."""
    plan = plan_volunteer_import(session, site_id=site_id, data=data)
    if plan.rejected:
        raise InvalidValue("error.volunteer_import_has_errors", count=len(plan.rejected))
    for person in plan.volunteers:
        create_volunteer(
            session,
            site_id=site_id,
            name=person.name,
            phone=person.phone,
            roles=person.roles,
            pin_hash=hash_secret(person.pin) if person.pin else None,
            now=now,
            actor_id=actor_id,
        )
    return len(plan.volunteers)


def _read_grid(data: bytes) -> list[list[str]]:
    if not data.strip():
        raise VolunteerImportUnreadable("error.manifest_empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise VolunteerImportUnreadable("error.manifest_too_large", megabytes=MAX_IMPORT_BYTES // (1024 * 1024))
    try:
        text, _ = decode_table_file(data)
    except StoreError as error:
        raise VolunteerImportUnreadable("error.manifest_encoding") from error
    if "\x00" in text:
        raise VolunteerImportUnreadable("error.manifest_not_a_table")
    try:
        grid = [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise VolunteerImportUnreadable("error.manifest_not_a_table") from error
    while grid and not any(cell.strip() for cell in grid[0]):
        grid.pop(0)
    if not grid:
        raise VolunteerImportUnreadable("error.manifest_empty")
    if len(grid) > MAX_IMPORT_ROWS + 1:
        raise VolunteerImportUnreadable("error.manifest_too_many_rows", maximum=MAX_IMPORT_ROWS)
    return grid


def _columns(header: list[str]) -> dict[str, int]:
    lookup = {spelling: name for name, spellings in IMPORT_HEADERS.items() for spelling in spellings}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = lookup.get(re.sub(r"\s", "", unicodedata.normalize("NFKC", cell).strip().lower()))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [name for name in ("name", "roles") if name not in columns]
    if missing:
        raise VolunteerImportUnreadable("error.manifest_missing_columns", columns=tuple(missing), count=len(missing))
    return columns


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()


def _check_row(number: int, values: dict[str, str]) -> PlannedVolunteer | RejectedVolunteerRow:
    name = values.get("name", "")
    if not name:
        return RejectedVolunteerRow(number, "error.row_missing_value", {"column": "name"})
    if len(name) > NAME_LIMIT:
        return RejectedVolunteerRow(number, "error.row_value_too_long", {"column": "name", "limit": NAME_LIMIT})
    raw_phone = values.get("phone", "")
    phone = normalize_phone(raw_phone) if raw_phone else ""
    if raw_phone and not _MOBILE.fullmatch(phone):
        return RejectedVolunteerRow(number, "error.row_bad_phone", {"value": raw_phone})
    words = [word for word in _ROLE_SEPARATORS.split(values.get("roles", "")) if word]
    if not words:
        return RejectedVolunteerRow(number, "error.row_missing_value", {"column": "roles"})
    unknown = [word for word in words if word.lower() not in ROLE_NAMES]
    if unknown:
        return RejectedVolunteerRow(number, "error.row_bad_role", {"value": list(unknown)})
    pin = values.get("pin", "") or None
    if pin is not None:
        try:
            check_pin_rules(pin, phone=phone)
        except InvalidValue as error:
            # A PIN of the wrong shape, or one a guesser tries first (each says which).
            key = "error.row_bad_pin" if error.key == "error.pin_format" else error.key
            return RejectedVolunteerRow(number, key, error.params)
    roles = tuple(dict.fromkeys(ROLE_NAMES[word.lower()] for word in words))
    return PlannedVolunteer(row=number, name=name, phone=phone, roles=roles, pin=pin)
