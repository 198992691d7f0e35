"""The layers hold: the store (db/) never imports the UI (ui/, pages/, streamlit), pages never build SQL, every
import among db/, ui/, pages/ and cli/ points down a layer (inside the store: down its packages) and none of them
forms a cycle; the one exception is db/__main__.py handing `python -m db` over to cli/."""

from __future__ import annotations

import ast
import graphlib
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


# Each layer and the store's packages, lowest first: an import points at a lower rank or its own (db/outbox sits
# beside db/reports: its plans read orders, the roster, the cold chain and people; db/privacy sits above both: it
# anonymises bags and the messages about them, and reads the reports' export lists). cli/ sits beside
# ui/ (it prints the translator's words: ui/i18n.py, ui/manifest_text.py); nothing imports pages/.
RANKS = {
    "db.core": 0,
    "db.people": 1,
    "db.cold_chain": 2,
    "db.roster": 2,
    "db.orders": 3,
    "db.reports": 4,
    "db.outbox": 4,
    "db.forecast": 4,
    "db.privacy": 5,
    "db": 5,
    "ui": 6,
    "cli": 7,
    "pages": 8,
}
LAYERS = ("db", "ui", "pages", "cli")


def module_paths() -> dict[str, pathlib.Path]:
    modules = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "versions" in path.parts:  # Alembic revisions: loaded by file, importing only the schema's tools
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            modules[name] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of db/, ui/, pages/ and cli/ it imports (a `from package import name` counts for the
    module `name` when there is one), wherever the import stands (inside a function too)."""
    modules = module_paths()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                wanted = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in wanted:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    targets.add(target)
        graph[name] = targets
    return graph


def rank(module: str) -> int:
    parts = module.split(".")
    return RANKS.get(".".join(parts[:2]), RANKS[parts[0]])


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if rank(target) > rank(module) and module != "db.__main__"
    )


def test_every_import_points_down_a_layer():
    assert upward(import_graph()) == []


def test_no_import_cycle():
    graph = {
        module: targets - {"cli.main"} if module == "db.__main__" else targets
        for module, targets in import_graph().items()
    }
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_the_checks_find_an_arrow_up_and_a_cycle():
    """The two checks above fail on what they look for: the store's people importing orders (the arrow up it had),
    and orders and the cold chain importing each other (the cycle it had)."""
    assert upward({"db.people.volunteers": {"db.orders.manifest"}}) == [("db.people.volunteers", "db.orders.manifest")]
    assert upward({"ui.store": {"pages.desk"}}) == [("ui.store", "pages.desk")]
    cycle = {"db.orders.lifecycle": {"db.cold_chain.units"}, "db.cold_chain.units": {"db.orders.lifecycle"}}
    try:
        graphlib.TopologicalSorter(cycle).prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("a cycle went unnoticed")
