"""Worker processes for tests/store/people/test_lockout_store.py: guessers of one password at the same time.

Each worker is a separate OS process (the 'spawn' context) with its own engine, so its sign-ins are concurrent
transactions on PostgreSQL and separate writers of one SQLite file. It reports its answers as counts by error name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from db.core.engine import make_engine
from db.core.errors import StoreError
from db.people.accounts import Client, sign_in_organizer
from tests.support.databases import NOW


def password_guesser(url: str, username: str, index: int, tries: int, start: Any, results: Any) -> None:
    """`tries` wrong passwords for `username`, each from a fresh address, all at the same moment."""
    engine = make_engine(url)
    counts: Counter[str] = Counter()
    try:
        start.wait()
        for number in range(tries):
            client = Client(address=f"10.{index}.{number}.1")
            try:
                sign_in_organizer(engine, username=username, password=f"guess-{index}-{number}", client=client, now=NOW)
                counts["signed_in"] += 1
            except StoreError as error:
                counts[type(error).__name__] += 1
            except Exception as error:  # the test reports any other failure by name
                counts[f"error:{type(error).__name__}"] += 1
        results.put(dict(counts))
    except BaseException as error:  # never leave the parent waiting for a result
        results.put({f"crash:{type(error).__name__}": 1})
    finally:
        engine.dispose()


__all__ = ["NOW", "password_guesser"]
