"""A second OS process for the backup tests: creates, receives and hands over orders in a loop, one commit each,
and appends each created order's number to a log after its commit, until a stop file appears.

Run from the project folder as `python -m tests.support.backup_writer URL SITE VOLUNTEER LOG STOP`."""

from __future__ import annotations

import pathlib
import sys
import time

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order

# A guard against a test that dies without writing the stop file.
MAX_SECONDS = 90


def main(url: str, site_id: int, volunteer_id: int, log_path: str, stop_path: str) -> int:
    engine = make_engine(url)
    stop, started, number = pathlib.Path(stop_path), time.monotonic(), 0
    with open(log_path, "a", encoding="utf-8") as log:
        while not stop.exists() and time.monotonic() - started < MAX_SECONDS:
            number += 1
            order_number = f"W-{number:05d}"
            with unit_of_work(engine) as session:
                order = create_order(
                    session,
                    site_id=site_id,
                    platform="多多买菜",
                    order_number=order_number,
                    pickup_code=f"9-{number:05d}",
                    resident_name="李阿婆😀",
                    phone="13800000000",
                    delivery_date=local_today(),
                    items=[ItemSpec(product="青菜", quantity=2, storage_class="ambient")],
                    now=utc_now(),
                )
                order_id = order.id
            log.write(order_number + "\n")
            log.flush()
            with unit_of_work(engine) as session:
                receive_order(session, order_id=order_id, volunteer_id=volunteer_id, now=utc_now())
            with unit_of_work(engine) as session:
                hand_over(session, order_id=order_id, volunteer_id=volunteer_id, now=utc_now())
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]))
