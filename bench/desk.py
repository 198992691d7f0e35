"""The desk's store calls against their floors: finds by code and phone tail, the open counts, a handover (rolled
back, and committed after a page's read)."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bench.timing import Figure, interleaved
from db.core.clock import utc_now
from db.core.engine import make_engine, read_only
from db.core.models import SLOTTED_ORDER_STATUSES, Event, Order, Slot, Volunteer, status_among
from db.orders.lifecycle import count_orders_by_status, find_orders, hand_over

HOLD_DAYS = 3


def desk_figures(url: str, *, runs: int, warmup: int) -> dict[str, Figure]:
    engine = make_engine(url)
    try:
        with read_only(engine) as session:
            bags = session.execute(
                select(Order.id, Order.site_id, Order.pickup_code, Order.phone_tail, Order.status, Slot.code)
                .join(Slot, Slot.id == Order.slot_id)
                .where(status_among(SLOTTED_ORDER_STATUSES))
            ).all()
            volunteers = dict(
                session.execute(select(Volunteer.site_id, func.min(Volunteer.id)).group_by(Volunteer.site_id)).all()
            )
        # Twice as many bags as timed runs: ours and the floor hand over different bags in each pair.
        targets = random.Random(0).sample(bags, min(len(bags), 2 * runs))
        now = utc_now()
        with read_only(engine) as session:

            def pick(index: int) -> tuple[int, int, str, str, str, str]:
                return targets[index % len(targets)]

            def tidy(call: Callable[[int], object]) -> Callable[[int], object]:
                """Each call starts with an empty identity map, as a page's fresh session would."""

                def run(index: int) -> object:
                    result = call(index)
                    session.expunge_all()
                    return result

                return run

            figures = {
                "desk find by code": interleaved(
                    tidy(lambda i: find_orders(session, site_id=pick(i)[1], text=pick(i)[2], now=now, hold_days=3)),
                    tidy(
                        lambda i: session.scalars(
                            select(Order).where(Order.site_id == pick(i)[1], Order.pickup_code == pick(i)[2])
                        ).all()
                    ),
                    runs=runs,
                    warmup=warmup,
                ),
                "desk find by phone tail": interleaved(
                    tidy(lambda i: find_orders(session, site_id=pick(i)[1], text=pick(i)[3], now=now, hold_days=3)),
                    tidy(
                        lambda i: session.scalars(
                            select(Order).where(Order.site_id == pick(i)[1], Order.phone_tail == pick(i)[3])
                        ).all()
                    ),
                    runs=runs,
                    warmup=warmup,
                ),
                "desk open counts": interleaved(
                    tidy(
                        lambda i: count_orders_by_status(session, site_id=pick(i)[1], statuses=SLOTTED_ORDER_STATUSES)
                    ),
                    tidy(
                        lambda i: session.execute(
                            select(Order.status, func.count())
                            .where(Order.site_id == pick(i)[1], status_among(SLOTTED_ORDER_STATUSES))
                            .group_by(Order.status)
                        ).all()
                    ),
                    runs=runs,
                    warmup=warmup,
                ),
            }

        def ours(index: int, *, bag_at: Callable[[int], Any] = pick, commit: bool = False) -> None:
            bag = bag_at(2 * index)
            with Session(engine) as session:
                session.begin()
                hand_over(session, order_id=bag[0], volunteer_id=volunteers[bag[1]], now=now)
                session.flush()
                if commit:
                    session.commit()
                else:
                    session.rollback()

        def floor(index: int, *, bag_at: Callable[[int], Any] = pick, commit: bool = False) -> None:
            order_id, site_id, _, _, status, slot = bag_at(2 * index + 1)
            with Session(engine) as session:
                session.begin()
                session.execute(
                    update(Order)
                    .where(Order.id == order_id, Order.status.in_(("received", "shelved")))
                    .values(status="picked_up", picked_up_at=now, picked_up_by=volunteers[site_id])
                )
                session.execute(
                    insert(Event).values(
                        site_id=site_id,
                        actor_id=volunteers[site_id],
                        action="order.picked_up",
                        entity="order",
                        entity_id=order_id,
                        happened_at=now,
                        before={"status": status, "slot": slot},
                        after={"status": "picked_up"},
                    )
                )
                if commit:
                    session.commit()
                else:
                    session.rollback()

        # Both sides roll back, so every run sees the same bags waiting.
        figures["handover"] = interleaved(ours, floor, runs=runs, warmup=warmup)
        # As on the desk: a page's read (untimed), then the handover, committed. Each side hands over bags of its
        # own, bags no other figure uses (the bench's one write besides the organizer role: 2 × (runs + warmup)
        # waiting bags are handed over). On PostgreSQL the read ends with COMMIT and psycopg keeps its prepared
        # statements; a ROLLBACK (the figure above) makes it forget them, and each handover plans anew.
        used = set(targets)
        rest = [bag for bag in bags if bag not in used]
        if len(rest) < 2 * (runs + warmup):
            raise SystemExit(
                f"too few waiting bags for the committed handovers: {len(rest)}, {2 * (runs + warmup)} needed"
            )
        spare = random.Random(1).sample(rest, 2 * (runs + warmup))

        def page_read(index: int) -> None:
            with read_only(engine) as reading:
                count_orders_by_status(reading, site_id=spare[2 * index][1], statuses=SLOTTED_ORDER_STATUSES)

        figures["handover committed"] = interleaved(
            partial(ours, bag_at=spare.__getitem__, commit=True),
            partial(floor, bag_at=spare.__getitem__, commit=True),
            runs=runs,
            warmup=warmup,
            before=page_read,
        )
        return figures
    finally:
        engine.dispose()
