"""The event log as organizers read it: filtered in SQL, newest first, with who did what in plain words.

Events store row ids (`entity_id`, `shift_id`, `volunteer_id` …); the log names those rows instead: a person by
name, a shift by its start, a bag by its pickup code, a slot or unit by its code. The names come from one read per
kind of row for the whole page of events, never one per event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from db.core.clock import to_local
from db.core.models import (
    Account,
    Assignment,
    Device,
    Event,
    Order,
    Shift,
    ShiftTemplate,
    Site,
    Slot,
    StorageUnit,
    TemperatureReading,
    Volunteer,
)

EVENT_COLUMNS = ["happened_at", "actor", "action", "entity", "subject", "before", "after"]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # Tables show the site's wall-clock time without an offset, as the volunteers read it.
    return None if moment is None else to_local(moment).replace(tzinfo=None)


def events_frame(
    session: Session,
    *,
    site_id: int,
    action: str | None = None,
    entity: str | None = None,
    actor_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """The site's newest events first, filtered in SQL: when, who, what, on which entity, before and after.

    A failed sign-in with an unknown username belongs to no site; organizers see those account events too.
    """
    actor = aliased(Volunteer)
    query = (
        select(Event, actor.name)
        .outerjoin(actor, actor.id == Event.actor_id)
        .where(or_(Event.site_id == site_id, and_(Event.site_id.is_(None), Event.entity == "account")))
        .order_by(Event.happened_at.desc(), Event.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(Event.action == action)
    if entity:
        query = query.where(Event.entity == entity)
    if actor_id is not None:
        query = query.where(Event.actor_id == actor_id)
    if start is not None:
        query = query.where(Event.happened_at >= start)
    if end is not None:
        query = query.where(Event.happened_at < end)
    rows = session.execute(query).all()
    names = read_names(session, events=[event for event, _ in rows])
    return pd.DataFrame(
        [
            {
                "happened_at": _local(event.happened_at),
                "actor": name or "",
                "action": event.action,
                "entity": event.entity,
                "subject": names.subject(event.entity, event.entity_id),
                "before": names.named(event.before, entity=event.entity),
                "after": names.named(event.after, entity=event.entity),
            }
            for event, name in rows
        ],
        columns=EVENT_COLUMNS,
    )


# An event's entity, and the kind of row its entity_id points at.
ENTITY_ROWS = {
    "order": "order",
    "volunteer": "volunteer",
    "account": "account",
    "assignment": "assignment",
    "shift": "shift",
    "shift_template": "shift_template",
    "storage_unit": "storage_unit",
    "temperature_reading": "reading",
    "device": "device",
    "site": "site",
}
# Entities that are people: their `name` field is a person's name.
PERSON_ENTITIES = ("volunteer",)
# Fields of an event's before/after holding a row id (or a list of them): the field that names it instead, and the
# kind of row.
ID_FIELDS = {
    "volunteer_id": ("volunteer", "volunteer"),
    "shift_id": ("shift", "shift"),
    "slot_id": ("slot", "slot"),
    "order_id": ("pickup_code", "order"),
    "storage_unit_id": ("unit", "storage_unit"),
    "corrects_id": ("corrects", "reading"),
    "told": ("told", "volunteer"),
}


@dataclass
class EventNames:
    """Names of the rows a page of events points at, by kind of row and id: each a small dict of fields (a
    person's name, a shift's start and role) that the page words like an event's before/after."""

    rows: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    def of(self, kind: str, row_id: Any) -> dict[str, Any] | None:
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            return None
        return self.rows.get(kind, {}).get(row_id)

    def subject(self, entity: str, entity_id: int | None) -> dict[str, Any]:
        """What the event is about, in names (an empty dict when the row is gone or the event names none)."""
        kind = ENTITY_ROWS.get(entity)
        return dict(self.of(kind, entity_id) or {}) if kind else {}

    def named(self, values: dict[str, Any] | None, *, entity: str = "") -> dict[str, Any] | None:
        """An event's before/after with every row id replaced by the row's name (left out when the row is gone);
        a person's `name` is their `person_name`."""
        if values is None:
            return None
        named: dict[str, Any] = {}
        for name, value in values.items():
            if name == "name" and entity in PERSON_ENTITIES:
                named["person_name"] = value
                continue
            if name not in ID_FIELDS:
                named[name] = value
                continue
            field_name, kind = ID_FIELDS[name]
            if isinstance(value, list):
                found = [self.of(kind, item) for item in value]
                named[field_name] = [_first_value(row) for row in found if row]
            elif (row := self.of(kind, value)) is not None:
                named[field_name] = _first_value(row)
        return named


def _first_value(row: dict[str, Any]) -> Any:
    """A row referred to from a before/after is named by its first field (a name, a code, a start)."""
    return next(iter(row.values()))


def read_names(session: Session, *, events: Iterable[Event]) -> EventNames:
    """The names of every row these events point at: one read per kind of row."""
    wanted: dict[str, set[int]] = {}

    def want(kind: str, row_id: Any) -> None:
        if isinstance(row_id, int) and not isinstance(row_id, bool):
            wanted.setdefault(kind, set()).add(row_id)

    for event in events:
        kind = ENTITY_ROWS.get(event.entity)
        if kind:
            want(kind, event.entity_id)
        for values in (event.before, event.after):
            for name, value in (values or {}).items():
                if name in ID_FIELDS:
                    for item in value if isinstance(value, list) else [value]:
                        want(ID_FIELDS[name][1], item)
    names = EventNames()
    # Assignments and accounts are named through a shift and a person: read them first, then those with the rest.
    assignments = _read(
        session, wanted, "assignment", select(Assignment.id, Assignment.volunteer_id, Assignment.shift_id)
    )
    accounts = _read(session, wanted, "account", select(Account.id, Account.volunteer_id))
    for row in assignments:
        want("volunteer", row.volunteer_id)
        want("shift", row.shift_id)
    for row in accounts:
        want("volunteer", row.volunteer_id)
    readings = _read(
        session,
        wanted,
        "reading",
        select(TemperatureReading.id, TemperatureReading.taken_at, StorageUnit.code).join(
            StorageUnit, StorageUnit.id == TemperatureReading.storage_unit_id
        ),
    )
    names.rows["reading"] = {row.id: {"taken_at": _stamp(row.taken_at), "unit": row.code} for row in readings}
    simple = {
        "volunteer": (select(Volunteer.id, Volunteer.name), "volunteer"),
        "order": (select(Order.id, Order.pickup_code), "pickup_code"),
        "slot": (select(Slot.id, Slot.code), "slot"),
        "storage_unit": (select(StorageUnit.id, StorageUnit.code), "unit"),
        "device": (select(Device.id, Device.name), "device"),
        "site": (select(Site.id, Site.name), "site"),
    }
    for kind, (query, field_name) in simple.items():
        names.rows[kind] = {row[0]: {field_name: row[1]} for row in _read(session, wanted, kind, query)}
    shifts = _read(session, wanted, "shift", select(Shift.id, Shift.starts_at, Shift.role))
    names.rows["shift"] = {row.id: {"shift": _stamp(row.starts_at), "role": row.role} for row in shifts}
    templates = _read(
        session, wanted, "shift_template", select(ShiftTemplate.id, ShiftTemplate.weekday, ShiftTemplate.starts)
    )
    names.rows["shift_template"] = {row.id: {"weekday": row.weekday, "starts": row.starts} for row in templates}
    volunteers = names.rows["volunteer"]
    names.rows["account"] = {row.id: dict(volunteers.get(row.volunteer_id, {})) for row in accounts}
    names.rows["assignment"] = {
        row.id: {**volunteers.get(row.volunteer_id, {}), **names.rows["shift"].get(row.shift_id, {})}
        for row in assignments
    }
    return names


def _read(session: Session, wanted: dict[str, set[int]], kind: str, query: Any) -> list[Any]:
    """The rows of one kind that the events point at (its first selected column is the id)."""
    ids = wanted.get(kind)
    if not ids:
        return []
    id_column = query.selected_columns[0]
    return list(session.execute(query.where(id_column.in_(sorted(ids)))).all())


def _stamp(moment: dt.datetime) -> str:
    """A moment as events store them (UTC ISO text), so the page shows it like the other times of an event."""
    return moment.astimezone(dt.UTC).isoformat()


@dataclass(frozen=True)
class EventFilters:
    """What the event log can be filtered by at a site: the actions, entities and people it holds."""

    actions: list[str]
    entities: list[str]
    actors: list[tuple[int, str]]


def list_event_filters(session: Session, *, site_id: int) -> EventFilters:
    at_site = or_(Event.site_id == site_id, and_(Event.site_id.is_(None), Event.entity == "account"))
    actions = session.scalars(select(Event.action).where(at_site).distinct().order_by(Event.action))
    entities = session.scalars(select(Event.entity).where(at_site).distinct().order_by(Event.entity))
    actors = session.execute(
        select(Volunteer.id, Volunteer.name)
        .where(Volunteer.id.in_(select(Event.actor_id).where(at_site)))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return EventFilters(actions=list(actions), entities=list(entities), actors=[(row.id, row.name) for row in actors])
