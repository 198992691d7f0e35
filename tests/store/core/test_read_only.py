"""`read_only` transactions write nothing on either database; on PostgreSQL they are READ ONLY and end with COMMIT,
so psycopg keeps the statements it prepared on the connection (a ROLLBACK makes it forget them all)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DBAPIError

from db.core.engine import read_only, unit_of_work
from db.core.models import Site
from db.people.sites import create_site


def test_a_write_in_a_read_only_transaction_never_lands(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="TS2", name="天山二村", now=now).id
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="read-only transaction"), read_only(engine) as session:
            session.execute(update(Site).where(Site.id == site_id).values(name="改名"))
    else:
        with read_only(engine) as session:
            session.execute(update(Site).where(Site.id == site_id).values(name="改名"))
    with read_only(engine) as session:
        assert session.scalar(select(Site.name).where(Site.id == site_id)) == "天山二村"


def test_repeated_reads_keep_their_prepared_statement_on_postgresql(engine: Engine) -> None:
    statement = text("SELECT count(*) FROM sites WHERE id > :floor")
    for floor in range(8):
        with read_only(engine) as session:
            session.execute(statement, {"floor": floor}).all()
    with read_only(engine) as session:
        if engine.dialect.name != "postgresql":
            # SQLite's driver keeps its own statement cache, whatever ends the transaction.
            assert session.execute(statement, {"floor": 0}).scalar() == 0
            return
        prepared = session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM sites WHERE id >" in sql for sql in prepared), prepared
