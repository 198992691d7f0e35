"""What must never leak: phones, PINs and passwords in the event log, HTML from people's text, secrets in logs."""

from __future__ import annotations

import ast
import json
import pathlib
import re
import shutil

import pytest
from sqlalchemy import select

from db.core.engine import make_engine, unit_of_work
from db.core.models import Event
from seed.demo import DEMO_PIN, ORGANIZER_PASSWORD
from tests.support.paths import ROOT

SOURCES = [
    ROOT / "app.py",
    *sorted((ROOT / "pages").glob("*.py")),
    *sorted((ROOT / "ui").glob("*.py")),
    *sorted((ROOT / "db").rglob("*.py")),
]
MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
SECRET_WORDS = re.compile(r"phone|pin|password|secret", re.IGNORECASE)


@pytest.mark.xdist_group("seed_demo")  # with the other tests of the demo, so that one worker builds it
def test_the_demo_event_log_holds_no_phone_number_pin_or_hash(demo_sqlite_file: pathlib.Path, tmp_path: pathlib.Path):
    shutil.copyfile(demo_sqlite_file, tmp_path / "demo.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    with unit_of_work(engine) as session:
        events = session.scalars(select(Event)).all()
    engine.dispose()
    assert len(events) > 100
    written = [json.dumps([event.before, event.after], ensure_ascii=False) for event in events]
    assert [text for text in written if MOBILE.search(text)] == []
    assert [text for text in written if "$argon2" in text or ORGANIZER_PASSWORD in text] == []
    assert [text for text in written if re.search(rf"\b{DEMO_PIN}\b", text)] == []


def test_no_page_renders_html_from_a_string_it_did_not_write():
    """`unsafe_allow_html` nowhere; `st.html` only with a constant of the module (its CSS), or one entry of a
    constant mapping (the style sheet per language)."""
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
                raise AssertionError(f"{path.name}: unsafe_allow_html")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "html":
                argument = node.args[0] if node.args else None
                if isinstance(argument, ast.Subscript):
                    argument = argument.value
                assert isinstance(argument, ast.Name) and argument.id.isupper(), f"{path.name}: st.html of {argument}"


def test_nothing_logs_or_prints_a_phone_pin_or_password():
    """No print or logging call is handed anything named like a phone number or a secret."""
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in ("print", "debug", "info", "warning", "error", "exception", "critical", "log"):
                continue
            if isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "st":
                continue  # st.info / st.warning / st.error show on the page; the page tests check those
            named = [
                sub.id if isinstance(sub, ast.Name) else sub.attr
                for arg in [*node.args, *node.keywords]
                for sub in ast.walk(arg)
                if isinstance(sub, ast.Name | ast.Attribute)
            ]
            assert not [word for word in named if SECRET_WORDS.search(word)], f"{path.name}:{node.lineno}"
