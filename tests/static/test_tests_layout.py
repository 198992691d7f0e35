"""The tests' own layout holds: a folder per layer, store tests per db package, helpers only in tests/support/,
fixtures only in conftest.py files, and no test module importing another test module or a conftest."""

from __future__ import annotations

import ast
import pathlib

from tests.support.paths import ROOT

TESTS = ROOT / "tests"
LAYERS = {"browser", "pages", "static", "store", "support", "ui"}
# The helpers' names before tests/support/ (found on sys.path then), and `support` without `tests.`.
OLD_NAMES = {"support", "store_fixtures", "browser_support", "markdown_payloads", "manifest_files", "slot_workers"}
STORE_DOMAINS = {path.parent.name for path in (ROOT / "db").glob("*/__init__.py") if path.parent.name != "migrations"}


def python_files() -> list[pathlib.Path]:
    return sorted(path for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts)


def imported_modules(path: pathlib.Path) -> list[str]:
    """Every module an import statement in the file names, absolute (`from . import x` never occurs: ruff bans it)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_no_test_module_imports_a_test_module_or_a_conftest():
    offenders = {}
    for path in python_files():
        wrong = [
            name
            for name in imported_modules(path)
            if name.split(".")[-1].startswith("test_")
            or "conftest" in name.split(".")
            or name.split(".")[0] in OLD_NAMES  # a helper by another name than tests.support.<module>
        ]
        if wrong:
            offenders[str(path.relative_to(ROOT))] = wrong
    assert offenders == {}


def test_shared_helpers_hold_no_fixtures():
    """A shared fixture lives in a conftest.py (so no test imports one); tests/support/ holds plain helpers."""
    offenders = []
    for path in sorted((TESTS / "support").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list):
                offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []


def test_every_test_module_is_in_its_layer_and_store_tests_in_their_db_package():
    misplaced = []
    for path in TESTS.rglob("test_*.py"):
        parts = path.relative_to(TESTS).parts
        if (
            len(parts) < 2
            or parts[0] not in LAYERS - {"support"}
            or parts[0] == "store"
            and (len(parts) != 3 or parts[1] not in STORE_DOMAINS)
        ):
            misplaced.append(str(path.relative_to(ROOT)))
    assert misplaced == []
    assert {path.name for path in (TESTS / "store").iterdir() if path.is_dir() and path.name != "__pycache__"} == (
        STORE_DOMAINS
    )


def test_every_tests_folder_is_a_package():
    """So every module has one name (`tests.store.orders.test_manifest`), and two files may share a base name."""
    folders = {path.parent for path in python_files()}
    assert sorted(str(folder.relative_to(ROOT)) for folder in folders if not (folder / "__init__.py").exists()) == []
