"""What the forecast learns from a site's history: each class's pickup-delay distribution per weekday of delivery
(the share of its bags leaving their slot on day 0, 1, 2, … after delivery), the share of late leavers that were
returned, and the hour profiles of check-ins and handovers per weekday. Plain counts, explainable."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from db.core.models import STORAGE_CLASSES
from db.forecast.history import SiteHistory

# Delays of this many days or more are one bucket (left on that day).
DELAY_DAYS = 10
# The stated default when there is no history at all: 60 % same day, 30 % next day, 10 % the day after.
DEFAULT_DELAY_SHARES = (0.6, 0.3, 0.1)
# A weekday's own evidence is blended with the class's all-weekday figures as if these many bags (at risk on that
# day) or handovers (in the hour profile) had followed the pooled figures: a weekday with few bags leans on the rest.
DELAY_BLEND_BAGS = 30.0
HOUR_BLEND_BAGS = 50.0
WEEKDAYS = range(7)
HOURS = range(24)


@dataclass(frozen=True)
class Learned:
    delays: dict[tuple[str, int], tuple[float, ...]]  # (class, weekday of delivery) → share leaving on day k
    returned_share: dict[str, float]  # of the bags leaving at or after their hold, the share returned
    check_ins: dict[int, tuple[float, ...]]  # weekday → share of the day's check-ins in each hour 0…23
    pickups: dict[int, tuple[float, ...]]  # weekday → share of the day's handovers and returns per hour
    received_share: dict[str, float]  # of the bags ordered, the share checked in (not missing)


def default_learned() -> Learned:
    shares = tuple(DEFAULT_DELAY_SHARES) + (0.0,) * (DELAY_DAYS + 1 - len(DEFAULT_DELAY_SHARES))
    return Learned(
        delays={(storage_class, weekday): shares for storage_class in STORAGE_CLASSES for weekday in WEEKDAYS},
        returned_share={storage_class: 0.0 for storage_class in STORAGE_CLASSES},
        check_ins={},
        pickups={},
        received_share={storage_class: 1.0 for storage_class in STORAGE_CLASSES},
    )


def learn(histories: list[SiteHistory], *, observed_until: dt.date, holds: dict[str, int], by_weekday: bool) -> Learned:
    """The delay distribution from the held rollups, censored at `observed_until` (a delivery of d days ago tells
    its bags' delays up to d days: the hazard of leaving on day k is counted over the deliveries seen that far),
    the returned share from the delivery rollups, the hour profiles from the hour rollups."""
    events: dict[tuple[str, int, int], float] = defaultdict(float)
    at_risk: dict[tuple[str, int, int], float] = defaultdict(float)
    returned: dict[str, float] = defaultdict(float)
    late_leavers: dict[str, float] = defaultdict(float)
    ordered: dict[str, float] = defaultdict(float)
    received: dict[str, float] = defaultdict(float)
    for history in histories:
        for (delivery, storage_class), bags in history.checked_in.items():
            weekday = delivery.weekday() if by_weekday else 0
            seen = min((observed_until - delivery).days, DELAY_DAYS - 1)
            remaining = float(bags)
            for k in range(seen + 1):
                left = history.left.get((delivery, storage_class, k), 0)
                at_risk[(storage_class, weekday, k)] += remaining
                events[(storage_class, weekday, k)] += left
                remaining -= left
            if (observed_until - delivery).days >= DELAY_DAYS:  # old enough for its returns to be known
                returned[storage_class] += history.returned.get((delivery, storage_class), 0)
        for (delivery, storage_class, k), count in history.left.items():
            if (observed_until - delivery).days >= DELAY_DAYS and k >= holds[storage_class]:
                late_leavers[storage_class] += count
        for (_, storage_class), count in history.received.items():
            received[storage_class] += count
        for (_, _, storage_class), count in history.orders.items():
            ordered[storage_class] += count
    fallback = default_learned()
    delays: dict[tuple[str, int], tuple[float, ...]] = {}
    for storage_class in STORAGE_CLASSES:
        pooled_raw = [
            _hazard(
                sum(events[(storage_class, w, k)] for w in WEEKDAYS),
                sum(at_risk[(storage_class, w, k)] for w in WEEKDAYS),
                prior=None,
            )
            for k in range(DELAY_DAYS)
        ]
        default_hazards = _hazards(fallback.delays[(storage_class, 0)])
        pooled = [h if h is not None else default_hazards[k] for k, h in enumerate(pooled_raw)]
        for weekday in WEEKDAYS:
            key = weekday if by_weekday else 0
            hazards = [
                _hazard(events[(storage_class, key, k)], at_risk[(storage_class, key, k)], prior=pooled[k])
                for k in range(DELAY_DAYS)
            ]
            delays[(storage_class, weekday)] = _shares(
                [h if h is not None else pooled[k] for k, h in enumerate(hazards)]
            )
    return Learned(
        delays=delays,
        returned_share={
            c: min(1.0, returned[c] / late_leavers[c]) if late_leavers[c] else 0.0 for c in STORAGE_CLASSES
        },
        check_ins=_hour_profile([h.check_ins_by_hour for h in histories], by_weekday=by_weekday),
        pickups=_hour_profile([h.pickups_by_hour for h in histories], by_weekday=by_weekday),
        received_share={c: received[c] / ordered[c] if ordered[c] else 1.0 for c in STORAGE_CLASSES},
    )


def _hazard(events: float, at_risk: float, *, prior: float | None) -> float | None:
    if prior is None:
        return events / at_risk if at_risk > 0 else None
    return (events + DELAY_BLEND_BAGS * prior) / (at_risk + DELAY_BLEND_BAGS)


def _hazards(shares: tuple[float, ...]) -> list[float]:
    hazards, remaining = [], 1.0
    for share in shares[:DELAY_DAYS]:
        hazards.append(share / remaining if remaining > 1e-12 else 1.0)
        remaining -= share
    return hazards


def _shares(hazards: list[float]) -> tuple[float, ...]:
    shares, remaining = [], 1.0
    for hazard in hazards:
        share = remaining * min(max(hazard, 0.0), 1.0)
        shares.append(share)
        remaining -= share
    shares.append(max(remaining, 0.0))  # DELAY_DAYS or later
    return tuple(shares)


def _hour_profile(days: list[dict[dt.date, dict[int, int]]], *, by_weekday: bool) -> dict[int, tuple[float, ...]]:
    counts: dict[int, list[float]] = {w: [0.0] * 24 for w in WEEKDAYS}
    for per_day in days:
        for day, hours in per_day.items():
            for hour, count in hours.items():
                counts[day.weekday()][hour] += count
    pooled = [sum(counts[w][h] for w in WEEKDAYS) for h in HOURS]
    pooled_total = sum(pooled)
    if not pooled_total:
        return {}
    profile = {}
    for weekday in WEEKDAYS:
        own = counts[weekday] if by_weekday else pooled
        total = sum(own)
        profile[weekday] = tuple(
            (own[h] + HOUR_BLEND_BAGS * pooled[h] / pooled_total) / (total + HOUR_BLEND_BAGS) for h in HOURS
        )
    return profile
