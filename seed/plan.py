"""A plan of orders with their whole lifecycle, drawn from a Random; the demo and scale seeders both apply it."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.clock import local_moment
from db.core.models import UNIT_KIND_FOR_CLASS, Slot, StorageUnit
from db.orders.lifecycle import (
    ItemSpec,
    coldest_storage_class,
    create_order,
    hand_over,
    receive_order,
    report_problem,
    return_order,
    shelve_order,
)

PLATFORMS = ("多多买菜", "美团优选")
# 多多买菜 brings most bags; 美团优选 the rest.
PLATFORM_SHARE = 0.6
RETURN_TIME = dt.time(10, 0)
BASKETS = 2000
# When each platform's truck is checked in, local wall-clock time (start, minutes of work).
ARRIVALS = {"多多买菜": (dt.time(7, 30), 60), "美团优选": (dt.time(8, 30), 70)}
PRODUCTS = {
    "ambient": (
        "东北大米 5kg",
        "鸡蛋 30枚",
        "挂面 1kg",
        "金龙鱼调和油 5L",
        "海天生抽 500ml",
        "绵白糖 400g",
        "土豆 1kg",
        "洋葱 500g",
        "西红柿 500g",
        "黄瓜 500g",
        "大白菜 1颗",
        "青菜 500g",
        "苹果 1.5kg",
        "香蕉 1kg",
        "橙子 2kg",
        "卷纸 10卷",
        "洗洁精 1.1kg",
        "全麦面包",
        "八宝粥 6罐",
        "紫菜 50g",
    ),
    "chilled": (
        "光明鲜牛奶 950ml",
        "内酯豆腐",
        "老豆腐 500g",
        "原味酸奶 4杯",
        "冷鲜猪肉糜 300g",
        "鸡胸肉 500g",
        "豆浆 1L",
        "鲜切面 500g",
        "半成品糖醋小排",
        "鲜肉馄饨 20只",
        "上海青 冷藏装",
        "盒装草莓 300g",
    ),
    "frozen": (
        "速冻水饺 猪肉白菜",
        "速冻汤圆 黑芝麻",
        "冷冻虾仁 250g",
        "冷冻鸡翅中 500g",
        "速冻生煎包",
        "冷冻带鱼段 400g",
        "雪糕 6支装",
        "冷冻玉米 2根",
        "速冻小笼包",
        "冷冻牛排 2片",
    ),
}
CLASS_WEIGHTS = {"ambient": 62, "chilled": 28, "frozen": 10}
ITEM_COUNT_WEIGHTS = {1: 30, 2: 30, 3: 20, 4: 12, 5: 8}
QUANTITY_WEIGHTS = {1: 70, 2: 22, 3: 8}
MISSING_RATE = 0.004
DAMAGED_RATE = 0.005
UNCLAIMED_RATE = 0.02
# The platforms send a day's order list the evening before, each at its own time (local start, minutes of spread);
# an import creates all of a list's orders at once, `expected`.
MANIFEST_IMPORTS = {"多多买菜": (dt.time(20, 0), 50), "美团优选": (dt.time(21, 0), 50)}
# Orders per delivery day relative to the site's mean, Monday first: low after the weekend's own shopping,
# highest for the weekend's meals.
WEEKDAY_VOLUME = (0.84, 0.93, 0.96, 1.0, 1.1, 1.2, 0.97)
# Which day after delivery a household comes (0 = the same day), by its habit: most come the same evening, some
# always the next day, a few days late.
DELAY_WEIGHTS = {
    "prompt": {0: 88, 1: 10, 2: 2},
    "next_day": {0: 10, 1: 80, 2: 8, 3: 2},
    "late": {1: 10, 2: 35, 3: 35, 4: 15, 5: 5},
}
# The chance that a household who would come a day later comes a day sooner for a chilled or frozen bag.
COLD_HURRY = {"ambient": 0.0, "chilled": 0.35, "frozen": 0.6}
# A rainy day (the same for every site of a district): some who meant to come that day come the next.
RAIN_RATE = 0.1
RAIN_POSTPONED = 0.4
# Now and then a household comes at any time the site is open, whatever its habit.
STRAY_SHARE = 0.05
# When residents can come for a bag: after the morning's check-in, before closing (local seconds of the day).
EARLIEST_PICKUP, LATEST_PICKUP = 10 * 3600, 20 * 3600 + 55 * 60
MISSING_REASON = "到货缺件：此袋未随车送达"
DAMAGED_REASONS = ("袋子破损，鸡蛋碎了", "冷冻品已化冻，待平台处理", "商品与清单不符")
NO_SLOT_REASON = "货位已满，暂放待处理"
RETURN_REASON = "超过保管期未取，退回平台"
# Ranks order operations that fall on the same moment; the store replay and the slot simulation share them.
RANK_CREATE, RANK_RECEIVE, RANK_SHELVE, RANK_CLOSE = 0, 1, 2, 3


@dataclass(frozen=True)
class Resident:
    name: str
    phone: str
    address: str


@dataclass(frozen=True)
class Habits:
    """How a site's households order and come for their bags: the demo's by default, one drawn per site at scale.

    Shares are of households; each household keeps its habit over all its orders.
    """

    weekday_volume: tuple[float, ...] = WEEKDAY_VOLUME
    # An ordinary day's swing (standard deviation of the log of its factor), and how often a larger one comes:
    # a platform's promotion (x1.3-1.8) or a lull (a holiday weekend away, a platform outage: x0.55-0.8).
    swing: float = 0.12
    promotion_rate: float = 0.04
    lull_rate: float = 0.03
    # Households who come the same evening, and who come days late; the others come the next day.
    prompt_share: float = 0.6
    late_share: float = 0.1
    # Households at home in the daytime (retired, most of them), and who come at lunchtime on weekdays; the others
    # come after work.
    daytime_share: float = 0.3
    lunch_share: float = 0.1
    # Whose weather: sites of one district share their rainy days.
    weather: str = "demo"


DEMO_HABITS = Habits()


@dataclass(slots=True)
class OrderPlan:
    """One order and everything that happens to it up to `now`; volunteers are indices into the caller's list."""

    seq: int
    platform: str
    order_number: str
    pickup_code: str
    resident_name: str
    phone: str
    address: str
    delivery_date: dt.date
    items: tuple[ItemSpec, ...]
    storage_class: str
    created_at: dt.datetime
    status: str = "expected"
    received_at: dt.datetime | None = None
    received_by: int = 0
    slot_code: str | None = None
    shelved_at: dt.datetime | None = None
    picked_up_at: dt.datetime | None = None
    picked_up_by: int | None = None
    returned_at: dt.datetime | None = None
    problem_at: dt.datetime | None = None
    problem_reason: str | None = None
    closed_by: int = 0

    @property
    def closed_at(self) -> dt.datetime | None:
        return self.picked_up_at or self.returned_at or self.problem_at


@dataclass
class _Simulation:
    """Free slots (as indices into the layout, so the smallest is the store's first free slot) and open codes."""

    layout: dict[str, list[str]]
    free: dict[str, list[int]] = field(default_factory=dict)
    open_codes: set[str] = field(default_factory=set)
    pending: list[tuple[dt.datetime, int, int, OrderPlan]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.free = {storage_class: list(range(len(codes))) for storage_class, codes in self.layout.items()}
        self.slot_index = {code: i for codes in self.layout.values() for i, code in enumerate(codes)}


def slot_layout(session: Session, *, site_id: int) -> dict[str, list[str]]:
    """Slot codes per storage class in the order `db.cold_chain.units.find_free_slot` hands them out."""
    layout: dict[str, list[str]] = {}
    for storage_class, kind in UNIT_KIND_FOR_CLASS.items():
        query = (
            select(Slot.code)
            .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
            .where(Slot.site_id == site_id, StorageUnit.kind == kind, StorageUnit.active.is_(True))
            .order_by(StorageUnit.code, Slot.position)
        )
        layout[storage_class] = list(session.scalars(query))
    return layout


def daily_volumes(rng: random.Random, *, mean: float, habits: Habits = DEMO_HABITS) -> Callable[[dt.date], int]:
    """Orders per delivery day around `mean`, for days asked in order: the weekday's pattern, a slowly drifting level
    (a site gains and loses households), an ordinary day's swing and now and then a larger one."""
    level = 1.0

    def volume(day: dt.date) -> int:
        nonlocal level
        level = 1.0 + 0.9 * (level - 1.0) + rng.gauss(0.0, 0.015)
        swing = math.exp(rng.gauss(-(habits.swing**2) / 2, habits.swing))
        rare, size = rng.random(), rng.random()
        if rare < habits.promotion_rate:
            swing *= 1.3 + 0.5 * size
        elif rare < habits.promotion_rate + habits.lull_rate:
            swing *= 0.55 + 0.25 * size
        return max(0, round(mean * habits.weekday_volume[day.weekday()] * level * swing))

    return volume


def plan_orders(
    rng: random.Random,
    *,
    residents: list[Resident],
    layout: dict[str, list[str]],
    first_day: dt.date,
    last_day: dt.date,
    daily_volume: Callable[[dt.date], int],
    now: dt.datetime,
    hold_days: int,
    volunteer_count: int,
    order_prefix: str = "",
    habits: Habits = DEMO_HABITS,
) -> Iterator[OrderPlan]:
    """Orders delivered from `first_day` to `last_day`, yielded day by day, each with its fate up to `now`.

    Each day's orders are imported the evening before (MANIFEST_IMPORTS); a list whose evening is still to come at
    `now` (the seeds' tomorrow) is imported at `now`. Slots are simulated exactly as the store hands them out (first
    free slot by unit code and position, operations in (moment, rank, seq) order), so applying the plan through the
    store or in bulk gives the same rows. Pickup codes are unique among the orders open at each moment. A bag that
    finds no free slot becomes a problem order, as a volunteer would record it.
    """
    sim = _Simulation(layout=layout)
    # Households buy from a repertoire: drawing whole baskets keeps a million orders quick to plan.
    baskets = [_draw_basket(rng) for _ in range(BASKETS)]
    households = _Households(rng, count=len(residents), habits=habits)
    seq = 0
    day = first_day
    while day <= last_day:
        imported = {
            platform: min(now, _moment(day - ONE_DAY, start) + dt.timedelta(seconds=rng.randrange(minutes * 60)))
            for platform, (start, minutes) in MANIFEST_IMPORTS.items()
        }
        plans = []
        for number in range(daily_volume(day)):
            plan = _draw_order(
                rng,
                sim=sim,
                seq=seq,
                number=number,
                day=day,
                imported=imported,
                residents=residents,
                households=households,
                baskets=baskets,
                now=now,
                hold_days=hold_days,
                volunteer_count=volunteer_count,
                order_prefix=order_prefix,
            )
            plans.append(plan)
            seq += 1
            if plan.received_at is not None:
                heapq.heappush(sim.pending, (plan.received_at, RANK_RECEIVE, plan.seq, plan))
            elif plan.problem_at is not None:
                heapq.heappush(sim.pending, (plan.problem_at, RANK_CLOSE, plan.seq, plan))
        # Every operation before the next day's lists come in: their pickup codes avoid every bag still open then.
        _run_until(sim, end=_moment(day, MANIFEST_IMPORTS[PLATFORMS[0]][0]))
        yield from plans
        day += ONE_DAY


Value = TypeVar("Value")


class _Weighted(Generic[Value]):
    """A weighted choice that costs one random() and one bisect."""

    def __init__(self, weights: dict[Value, int]) -> None:
        self.values = tuple(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> Value:
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]


_ITEM_COUNT = _Weighted(ITEM_COUNT_WEIGHTS)
_CLASS = _Weighted(CLASS_WEIGHTS)
_QUANTITY = _Weighted(QUANTITY_WEIGHTS)
_DELAY = {habit: _Weighted(weights) for habit, weights in DELAY_WEIGHTS.items()}
MIDNIGHT = dt.time(0, 0)
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class _Household:
    delay: _Weighted[int]
    # "evening", "daytime" or "lunch": when on a weekday this household comes; and its own shift of that time.
    hours: str
    shift: int


class _Households:
    """Each resident's habit, drawn once; some households order far more often than others."""

    def __init__(self, rng: random.Random, *, count: int, habits: Habits) -> None:
        self.weather = habits.weather
        self.members: list[_Household] = []
        for _ in range(count):
            kind, hours = rng.random(), rng.random()
            delay = "prompt" if kind < habits.prompt_share else "late" if kind > 1 - habits.late_share else "next_day"
            if hours < habits.daytime_share:
                when = "daytime"
            elif hours < habits.daytime_share + habits.lunch_share:
                when = "lunch"
            else:
                when = "evening"
            self.members.append(_Household(delay=_DELAY[delay], hours=when, shift=rng.randrange(-1800, 1801)))
        self.cumulative = list(itertools.accumulate(rng.lognormvariate(0.0, 0.8) for _ in range(count)))

    def draw(self, rng: random.Random) -> int:
        return bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])


@functools.cache
def _moment(day: dt.date, time: dt.time) -> dt.datetime:
    return local_moment(day, time)


@functools.cache
def _rainy(weather: str, day: dt.date) -> bool:
    return random.Random(f"cloudbasket-weather:{weather}:{day.toordinal()}").random() < RAIN_RATE


def _draw_order(
    rng: random.Random,
    *,
    sim: _Simulation,
    seq: int,
    number: int,
    day: dt.date,
    imported: dict[str, dt.datetime],
    residents: list[Resident],
    households: _Households,
    baskets: list[tuple[ItemSpec, ...]],
    now: dt.datetime,
    hold_days: int,
    volunteer_count: int,
    order_prefix: str,
) -> OrderPlan:
    platform = PLATFORMS[0] if rng.random() < PLATFORM_SHARE else PLATFORMS[1]
    who = households.draw(rng)
    resident = residents[who]
    items = rng.choice(baskets)
    code = _draw_pickup_code(rng, platform=platform, taken=sim.open_codes)
    sim.open_codes.add(code)
    plan = OrderPlan(
        seq=seq,
        platform=platform,
        order_number=_order_number(rng, platform=platform, day=day, number=number, prefix=order_prefix),
        pickup_code=code,
        resident_name=resident.name,
        phone=resident.phone,
        address=resident.address,
        delivery_date=day,
        items=items,
        storage_class=coldest_storage_class([i.storage_class for i in items]),
        created_at=imported[platform],
    )
    start, minutes = ARRIVALS[platform]
    arrival = _moment(day, start) + dt.timedelta(seconds=rng.randrange(minutes * 60))
    # Every draw happens whatever `now` is, so earlier days come out the same on any day.
    fate = rng.random()
    plan.received_by = rng.randrange(volunteer_count)
    plan.closed_by = rng.randrange(volunteer_count)
    shelve_after = dt.timedelta(seconds=rng.randrange(60, 600))
    close_after = _draw_close_after(
        rng,
        day=day,
        hold_days=hold_days,
        fate=fate,
        arrival=arrival,
        household=households.members[who],
        storage_class=plan.storage_class,
        weather=households.weather,
    )
    if arrival > now:
        return plan
    if fate < MISSING_RATE:
        plan.status, plan.problem_at, plan.problem_reason = "problem", arrival, MISSING_REASON
        return plan
    plan.status, plan.received_at = "received", arrival
    shelved_at = arrival + shelve_after
    if shelved_at <= now and (close_after is None or shelved_at <= close_after):
        plan.status, plan.shelved_at = "shelved", shelved_at
    if close_after is None or close_after > now:
        return plan
    if fate < MISSING_RATE + DAMAGED_RATE:
        plan.status, plan.problem_at = "problem", close_after
        plan.problem_reason = DAMAGED_REASONS[int(fate * 1e6) % len(DAMAGED_REASONS)]
    elif fate < MISSING_RATE + DAMAGED_RATE + UNCLAIMED_RATE:
        plan.status, plan.returned_at = "returned", close_after
    else:
        plan.status, plan.picked_up_at, plan.picked_up_by = "picked_up", close_after, plan.closed_by
    return plan


def _draw_close_after(
    rng: random.Random,
    *,
    day: dt.date,
    hold_days: int,
    fate: float,
    arrival: dt.datetime,
    household: _Household,
    storage_class: str,
    weather: str,
) -> dt.datetime:
    """When the bag leaves: damaged soon after arrival, unclaimed ones returned some days after the hold time, the
    others when the household comes, by its habit, sooner for cold bags, later after rain."""
    if fate < MISSING_RATE + DAMAGED_RATE:
        return arrival + dt.timedelta(seconds=rng.randrange(120, 1200))
    if fate < MISSING_RATE + DAMAGED_RATE + UNCLAIMED_RATE:
        # Volunteers clear overdue bags when they get round to it: some days after the last collection day.
        return_day = day + dt.timedelta(days=hold_days + rng.randrange(7))
        return _moment(return_day, RETURN_TIME) + dt.timedelta(seconds=rng.randrange(5400))
    days = household.delay.draw(rng)
    if days and rng.random() < COLD_HURRY[storage_class]:
        days -= 1
    pickup_day = day + dt.timedelta(days=days)
    if _rainy(weather, pickup_day) and rng.random() < RAIN_POSTPONED:
        pickup_day += ONE_DAY
    seconds = _draw_pickup_seconds(rng, household=household, weekend=pickup_day.weekday() >= 5)
    moment = _moment(pickup_day, MIDNIGHT) + dt.timedelta(seconds=seconds)
    if moment < arrival + dt.timedelta(minutes=15):
        # Waiting at the door for the truck: right after the bag is checked in.
        moment = arrival + dt.timedelta(seconds=rng.randrange(900, 3600))
    return moment


def _draw_pickup_seconds(rng: random.Random, *, household: _Household, weekend: bool) -> int:
    """The time of day a household comes: after work on weekdays (the evening peak), at lunch, or in the daytime for
    those at home; weekend mornings and afternoons for all. Its own shift keeps each household near its usual time."""
    hour = 3600
    which = rng.random()
    if which < STRAY_SHARE:
        return rng.randrange(EARLIEST_PICKUP, LATEST_PICKUP)
    if household.hours == "daytime":
        if which < 0.6:
            seconds = rng.triangular(10 * hour, 12 * hour, 10.5 * hour)
        else:
            seconds = rng.triangular(14 * hour, 17.5 * hour, 15.5 * hour)
    elif weekend:
        if which < 0.45:
            seconds = rng.triangular(10 * hour, 12.5 * hour, 10.75 * hour)
        else:
            seconds = rng.triangular(14 * hour, 21 * hour, 17 * hour)
    elif household.hours == "lunch":
        seconds = rng.triangular(11.5 * hour, 13.5 * hour, 12.25 * hour)
    else:
        seconds = rng.triangular(17.25 * hour, 21 * hour, 18.6 * hour)
    return min(LATEST_PICKUP, max(EARLIEST_PICKUP, int(seconds) + household.shift))


def _draw_basket(rng: random.Random) -> tuple[ItemSpec, ...]:
    chosen: dict[str, ItemSpec] = {}
    for _ in range(_ITEM_COUNT.draw(rng)):
        storage_class = _CLASS.draw(rng)
        product = rng.choice(PRODUCTS[storage_class])
        # The same product twice is one line with its quantity, as the platforms list it.
        chosen.setdefault(product, ItemSpec(product=product, quantity=_QUANTITY.draw(rng), storage_class=storage_class))
    return tuple(chosen.values())


def _draw_pickup_code(rng: random.Random, *, platform: str, taken: set[str]) -> str:
    while True:
        number = rng.randrange(1_000_000)
        if platform == "多多买菜":
            # Shelf-row-number style, as printed on the platform's labels: 8-3-1207.
            code = f"{number % 20 + 1}-{number // 20 % 5 + 1}-{number // 100:04d}"
        else:
            code = f"{number:06d}"
        if code not in taken:
            return code


def _order_number(rng: random.Random, *, platform: str, day: dt.date, number: int, prefix: str) -> str:
    # Day and running number keep it unique; the random part makes it look like a platform's.
    if platform == "多多买菜":
        return f"{prefix}{day:%y%m%d}-{rng.randrange(10**8):08d}{number:05d}"
    return f"{prefix}MT{day:%Y%m%d}{number:06d}{rng.randrange(10_000):04d}"


def _run_until(sim: _Simulation, *, end: dt.datetime) -> None:
    while sim.pending and sim.pending[0][0] < end:
        moment, rank, _seq, plan = heapq.heappop(sim.pending)
        if rank == RANK_RECEIVE:
            _take_slot(sim, plan=plan, moment=moment)
        else:
            if plan.slot_code is not None:
                heapq.heappush(sim.free[plan.storage_class], sim.slot_index[plan.slot_code])
            if plan.status != "problem":
                # A problem order stays open, and keeps its pickup code, until someone resolves it.
                sim.open_codes.discard(plan.pickup_code)


def _take_slot(sim: _Simulation, *, plan: OrderPlan, moment: dt.datetime) -> None:
    free = sim.free[plan.storage_class]
    if not free:
        plan.status, plan.problem_at, plan.problem_reason = "problem", moment, NO_SLOT_REASON
        plan.received_at = plan.shelved_at = plan.picked_up_at = plan.returned_at = None
        plan.picked_up_by = None
        return
    plan.slot_code = sim.layout[plan.storage_class][heapq.heappop(free)]
    if plan.closed_at is not None:
        heapq.heappush(sim.pending, (plan.closed_at, RANK_CLOSE, plan.seq, plan))


def plan_operations(plans: list[OrderPlan]) -> list[tuple[dt.datetime, int, int, OrderPlan]]:
    """Every store operation of the plans, in the order the slot simulation assumed."""
    operations = []
    for plan in plans:
        operations.append((plan.created_at, RANK_CREATE, plan.seq, plan))
        if plan.received_at is not None:
            operations.append((plan.received_at, RANK_RECEIVE, plan.seq, plan))
        if plan.shelved_at is not None:
            operations.append((plan.shelved_at, RANK_SHELVE, plan.seq, plan))
        if plan.closed_at is not None:
            operations.append((plan.closed_at, RANK_CLOSE, plan.seq, plan))
    operations.sort(key=lambda operation: operation[:3])
    return operations


def apply_plan_through_store(
    session: Session, *, plans: list[OrderPlan], site_id: int, volunteer_ids: list[int]
) -> dict[int, int]:
    """Replay the plans with the store's own functions, in time order; returns order id by plan seq."""
    order_ids: dict[int, int] = {}
    for moment, rank, seq, plan in plan_operations(plans):
        if rank == RANK_CREATE:
            order = create_order(
                session,
                site_id=site_id,
                platform=plan.platform,
                order_number=plan.order_number,
                pickup_code=plan.pickup_code,
                resident_name=plan.resident_name,
                phone=plan.phone,
                delivery_date=plan.delivery_date,
                items=list(plan.items),
                now=moment,
                address=plan.address,
            )
            order_ids[seq] = order.id
        elif rank == RANK_RECEIVE:
            slot = receive_order(
                session, order_id=order_ids[seq], volunteer_id=volunteer_ids[plan.received_by], now=moment
            )
            if slot != plan.slot_code:
                raise RuntimeError(f"plan expected slot {plan.slot_code}, the store gave {slot}")
        elif rank == RANK_SHELVE:
            shelve_order(session, order_id=order_ids[seq], volunteer_id=volunteer_ids[plan.received_by], now=moment)
        else:
            _close(session, plan=plan, order_id=order_ids[seq], volunteer_id=volunteer_ids[plan.closed_by], now=moment)
    return order_ids


def _close(session: Session, *, plan: OrderPlan, order_id: int, volunteer_id: int, now: dt.datetime) -> None:
    if plan.status == "picked_up":
        hand_over(session, order_id=order_id, volunteer_id=volunteer_id, now=now)
    elif plan.status == "returned":
        return_order(session, order_id=order_id, volunteer_id=volunteer_id, reason=RETURN_REASON, now=now)
    else:
        report_problem(session, order_id=order_id, volunteer_id=volunteer_id, reason=plan.problem_reason or "", now=now)
