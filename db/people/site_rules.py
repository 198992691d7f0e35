"""Changing the site's rules (《买菜点管理细则》): every number the app enforces and the rules text, validated here
with the same bounds as the schema's checks, each change an event with what it was before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.core.errors import InvalidValue
from db.core.events import record_event
from db.people.sites import get_site_rules

MAX_RULES_TEXT = 5000
RULES_CHANGED = "site.rules_changed"


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float


# The whole numbers and their allowed ranges (as the schema's checks have them; the upper ends a sanity limit).
WHOLE_NUMBERS = {
    "hold_days": Bounds(1, 60),
    "chilled_hold_days": Bounds(1, 60),
    "frozen_hold_days": Bounds(1, 60),
    "readings_per_day": Bounds(1, 24),
    "idle_signout_minutes": Bounds(1, 240),
    "signout_cutoff_hours": Bounds(0, 168),
    "chilled_dwell_hours": Bounds(1, 720),
    "frozen_dwell_hours": Bounds(1, 720),
    "pickups_per_volunteer_hour": Bounds(1, 500),
}
# Temperatures in °C: a fridge's and a freezer's allowed range.
TEMPERATURES = {
    "chilled_min_c": Bounds(-10, 20),
    "chilled_max_c": Bounds(-10, 20),
    "frozen_min_c": Bounds(-40, 0),
    "frozen_max_c": Bounds(-40, 0),
}
RANGES = (("chilled_min_c", "chilled_max_c"), ("frozen_min_c", "frozen_max_c"))
TIMES = ("opens_at", "closes_at")
RULE_FIELDS = (*WHOLE_NUMBERS, *TEMPERATURES, *TIMES, "rules_text")


def update_site_rules(
    session: Session, *, site_id: int, changes: dict[str, Any], actor_id: int, now: dt.datetime
) -> list[str]:
    """Apply `changes` (rule name → new value) to the site's rules, all or none; returns the names that changed
    (none: nothing is written). One event `site.rules_changed` holds each changed rule before and after."""
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise InvalidValue("error.rules_unknown", names=", ".join(unknown))
    rules = get_site_rules(session, site_id=site_id)
    wanted = {name: getattr(rules, name) for name in RULE_FIELDS} | _checked_values(changes)
    _check_together(wanted)
    changed = [name for name in RULE_FIELDS if wanted[name] != getattr(rules, name)]
    if not changed:
        return []
    before = {name: getattr(rules, name) for name in changed}
    for name in changed:
        setattr(rules, name, wanted[name])
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action=RULES_CHANGED,
        entity="site",
        entity_id=site_id,
        now=now,
        before=before,
        after={name: wanted[name] for name in changed},
    )
    return changed


def _checked_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name in WHOLE_NUMBERS:
            values[name] = _in_bounds(name, value, WHOLE_NUMBERS[name], whole=True)
        elif name in TEMPERATURES:
            values[name] = _in_bounds(name, value, TEMPERATURES[name], whole=False)
        elif name in TIMES:
            if not isinstance(value, dt.time):
                raise InvalidValue("error.rules_time", rule=name)
            values[name] = value.replace(second=0, microsecond=0)
        else:
            text = str(value or "").strip()
            if len(text) > MAX_RULES_TEXT:
                raise InvalidValue("error.rules_text_too_long", limit=MAX_RULES_TEXT)
            values[name] = text
    return values


def _in_bounds(name: str, value: Any, bounds: Bounds, *, whole: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or (whole and value != int(value)):
        raise InvalidValue("error.rules_not_a_number", rule=name)
    if not bounds.low <= value <= bounds.high:
        low, high = (int(bounds.low), int(bounds.high)) if whole else (bounds.low, bounds.high)
        raise InvalidValue("error.rules_out_of_range", rule=name, low=low, high=high)
    return int(value) if whole else round(float(value), 1)


def _check_together(wanted: dict[str, Any]) -> None:
    for low, high in RANGES:
        if wanted[low] >= wanted[high]:
            raise InvalidValue("error.rules_range_order", rule=low)
    if wanted["opens_at"] >= wanted["closes_at"]:
        raise InvalidValue("error.rules_hours_order")
    for name in ("chilled_hold_days", "frozen_hold_days"):
        # Cold bags may be held fewer days than ambient ones, never more.
        if wanted[name] > wanted["hold_days"]:
            raise InvalidValue("error.rules_class_hold_longer", rule=name)
