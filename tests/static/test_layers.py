"""The layers hold: the store (db/) never imports the UI (ui/, pages/, streamlit), pages never build SQL."""

from __future__ import annotations

import ast
import pathlib

from tests.support.paths import ROOT

# `python -m db` hands over to cli/, which prints words; the store itself never does.
ENTRY_POINT = ROOT / "db" / "__main__.py"
ABOVE_THE_STORE = ("ui", "pages", "streamlit", "cli", "seed", "bench", "app")


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_store_never_imports_what_sits_above_it():
    offenders = {}
    for path in sorted((ROOT / "db").rglob("*.py")):
        if path == ENTRY_POINT:
            continue
        above = {name for name in imported_modules(path) if name.split(".")[0] in ABOVE_THE_STORE}
        if above:
            offenders[str(path.relative_to(ROOT))] = sorted(above)
    assert offenders == {}


def test_the_entry_point_only_hands_over_to_the_command_line():
    assert imported_modules(ENTRY_POINT) == {"sys", "cli.main"}


def test_pages_build_no_sql():
    for path in sorted((ROOT / "pages").glob("*.py")):
        modules = imported_modules(path)
        assert not {name for name in modules if name.split(".")[0] == "sqlalchemy"}, path.name
