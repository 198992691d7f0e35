"""SQL for the site's wall clock: local day and hour of a stored UTC column, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from db.core.clock import SITE_TZ

# Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so SQLite's fixed shift is exact.
SQLITE_SHIFT = "'+8 hours'"


class _LocalPart(FunctionElement[Any]):
    """One part of a UTC timestamp column read on the site's clock; rendered without bound parameters, so the
    same expression may stand in SELECT and GROUP BY (PostgreSQL matches them textually)."""

    # One subclass per part: the statement cache tells them apart by class.
    inherit_cache = True
    part = ""


class _LocalDay(_LocalPart):
    type = Date()
    inherit_cache = True
    part = "day"


class _LocalHour(_LocalPart):
    type = Integer()
    inherit_cache = True
    part = "hour"


class _HoursBetween(FunctionElement[Any]):
    """Hours from one UTC timestamp column to another, as a float."""

    type = Float()
    inherit_cache = True


@compiles(_LocalPart, "sqlite")
def _local_part_sqlite(element: _LocalPart, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    if element.part == "day":
        return f"date({column}, {SQLITE_SHIFT})"
    return f"CAST(strftime('%H', {column}, {SQLITE_SHIFT}) AS INTEGER)"


@compiles(_LocalPart, "postgresql")
def _local_part_postgresql(element: _LocalPart, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    local = f"(({column} AT TIME ZONE 'UTC') AT TIME ZONE '{SITE_TZ.key}')"
    if element.part == "day":
        return f"CAST({local} AS DATE)"
    return f"CAST(EXTRACT(HOUR FROM {local}) AS INTEGER)"


@compiles(_HoursBetween, "sqlite")
def _hours_between_sqlite(element: _HoursBetween, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(_HoursBetween, "postgresql")
def _hours_between_postgresql(element: _HoursBetween, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 3600.0)"


def local_day(column: Any) -> ColumnElement[dt.date]:
    """The local (Asia/Shanghai) calendar date of a UTC timestamp column."""
    return _LocalDay(column)


def local_hour(column: Any) -> ColumnElement[int]:
    """The local hour, 0–23."""
    return _LocalHour(column)


def hours_between(start: Any, end: Any) -> ColumnElement[float]:
    return _HoursBetween(start, end)
