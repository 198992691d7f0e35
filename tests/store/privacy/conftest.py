"""The privacy store tests' pickup point (tests/support/privacy_pickup.py), built anew on each database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from tests.support.privacy_pickup import Pickup, build_pickup


@pytest.fixture
def pickup(engine: Engine, now: dt.datetime) -> Pickup:
    return build_pickup(engine, now=now)
