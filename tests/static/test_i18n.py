"""The language catalogs: same keys in zh-CN and en, nothing empty, every key the code uses is there."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re

import pytest

import db.core.errors
from db.core.models import ASSIGNMENT_STATUSES, ORDER_STATUSES, ROLES, STORAGE_CLASSES, UNIT_KINDS
from db.people.site_rules import CHOICES
from tests.support.paths import ROOT
from ui.i18n import LANGUAGES, PLURAL_FORMS, has_message, join_list, load_catalog, placeholders, translate
from ui.pages_registry import AUDIENCES, PAGES

UI_SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
DB_SOURCES = sorted((ROOT / "db").rglob("*.py"))


def catalog_namespaces() -> set[str]:
    return {key.split(".", 1)[0] for key in load_catalog("en")}


def key_literals(path: pathlib.Path) -> set[str]:
    """String constants in a file that look like catalog keys of a namespace the catalogs use."""
    namespaces = catalog_namespaces()
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if (
                re.fullmatch(r"[a-z_]+(\.[a-z_\-]+)+", text)
                and text.split(".")[0] in namespaces
                and not text.endswith((".py", ".json"))
            ):
                found.add(text)
    return found


def messages(language: str) -> dict[str, list[str]]:
    """Each message of a catalog with its texts: one for a plain key, one per plural form for a family
    (`key.one` / `key.other` are one message `key`)."""
    found: dict[str, list[str]] = {}
    for key, text in load_catalog(language).items():
        base, _, form = key.rpartition(".")
        found.setdefault(base if form in PLURAL_FORMS else key, []).append(text)
    return found


def test_both_languages_have_the_same_keys_and_no_empty_message():
    zh, en = load_catalog("zh-CN"), load_catalog("en")
    assert sorted(set(messages("zh-CN")) ^ set(messages("en"))) == []
    assert [key for key in zh if not zh[key].strip()] == []
    assert [key for key in en if not en[key].strip()] == []


def test_placeholders_match_between_languages():
    """Every form of a message takes the same parameters in both languages (an English "one" form may leave the
    count out: "this volunteer")."""
    zh, en = messages("zh-CN"), messages("en")
    differing = {}
    for key, texts in zh.items():
        wanted = set().union(*(placeholders(text) for text in texts))
        for text in en[key]:
            if placeholders(text) not in (wanted, wanted - {"count"}):
                differing[key] = (wanted, placeholders(text))
    assert differing == {}


def test_every_english_message_taking_a_count_has_its_plural_forms():
    """A message with {count} is a family: `.one` and `.other` in English, `.other` in Chinese (no plural there);
    a plain "(s)" would read "1 item(s)" instead of "1 item"."""
    en, zh = load_catalog("en"), load_catalog("zh-CN")
    plain_with_count = sorted(
        key for key, text in en.items() if "count" in placeholders(text) and key.rpartition(".")[2] not in PLURAL_FORMS
    )
    assert plain_with_count == []
    # A family has a `.one`, or an `.other` taking the count: `value.access_reason.other` is a stored code's word.
    families = {
        key.rpartition(".")[0]
        for key, text in en.items()
        if key.endswith(".one") or (key.endswith(".other") and "count" in placeholders(text))
    }
    assert (
        sorted(f"{family}.{form}" for family in families for form in PLURAL_FORMS if f"{family}.{form}" not in en) == []
    )
    assert sorted(family for family in families if f"{family}.other" not in zh) == []
    assert sorted(key for key, text in en.items() if "(s)" in text) == []


@pytest.mark.parametrize("count", [0, 1, 2, 21])
def test_the_count_chooses_the_plural_form(count: int):
    english = translate("en", "arrivals.received_count", count=count).plain
    assert english == (f"{count} bag received." if count == 1 else f"{count} bags received.")
    assert translate("zh-CN", "arrivals.received_count", count=count).plain == f"已签收 {count} 袋。"


@pytest.mark.parametrize(("orders", "items", "words"), [(1, 1, "1 order (1 item)"), (2, 3, "2 orders (3 items)")])
def test_each_number_of_a_message_agrees_with_its_own_word(orders: int, items: int, words: str):
    english = translate("en", "manifest.summary", orders=orders, items=items, already=1, rejected=0).plain
    assert english.startswith(f"Imported {words};") and "1 order was already here" in english
    assert "0 rows rejected" in english and "|" not in english
    # Chinese has no plural: the spec words never show, the digits do.
    chinese = translate("zh-CN", "manifest.summary", orders=orders, items=items, already=1, rejected=0).plain
    assert f"{orders} 个订单" in chinese and "|" not in chinese


def test_a_list_parameter_is_joined_in_the_language():
    assert translate("en", "error.row_bad_role", value=["cook", "<b>"]).plain.startswith("Unknown role: cook, <b>")
    assert translate("zh-CN", "error.row_bad_role", value=["厨师", "保安"]).plain.startswith("未知的岗位：厨师、保安")


def test_a_list_joins_with_the_language_separator_and_escapes_its_items():
    assert join_list(["F1", "F2"], language="zh-CN").plain == "F1、F2"
    assert join_list(["F1", "F2"], language="en").plain == "F1, F2"
    assert join_list(["[x](y)"], language="en") == "\\[x\\]\\(y\\)"


@pytest.mark.parametrize("path", UI_SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_key_literal_in_the_ui_exists(path: pathlib.Path):
    catalog = load_catalog("en")
    assert sorted(key for key in key_literals(path) if key not in catalog and not has_message("en", key)) == []


def test_every_t_call_uses_a_literal_or_a_known_family():
    """t(f"...") builds keys at run time; those families are checked below, anything else must be a literal."""
    families = ("page.", "nav.section.", "audience.", "value.", "column.")
    for path in UI_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t" and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr):
                    prefix = first.values[0].value if isinstance(first.values[0], ast.Constant) else ""
                    assert prefix.startswith(families), f"{path.name}: t(f'{prefix}...') is not a checked family"


def test_every_error_key_the_store_raises_exists():
    raised = set()
    for path in DB_SOURCES:
        raised |= set(re.findall(r"\"(error\.[a-z_.]+)\"", path.read_text(encoding="utf-8")))
    defaults = {
        cls.key
        for cls in vars(db.core.errors).values()
        if isinstance(cls, type) and issubclass(cls, db.core.errors.StoreError)
    }
    assert sorted(key for key in raised | defaults if not has_message("en", key)) == []


def test_page_and_value_families_are_complete():
    catalog = load_catalog("en")
    wanted = {key for spec in PAGES for key in (spec.title_key, spec.intro_key, spec.section_key)}
    wanted |= {f"audience.{audience}" for audience in AUDIENCES}
    wanted |= {f"value.role.{role}" for role in ROLES}
    wanted |= {f"value.status.{status}" for status in (*ORDER_STATUSES, *ASSIGNMENT_STATUSES)}
    wanted |= {f"value.kind.{kind}" for kind in (*UNIT_KINDS, *STORAGE_CLASSES)}
    assert sorted(wanted - set(catalog)) == []


def test_a_site_writes_its_messages_only_in_a_language_the_app_speaks():
    """The store checks a site's `language` against its own list (it may not import ui/i18n.py): the same codes,
    each with a name in both catalogs (the rules page's box, the rules change in the event log)."""
    assert CHOICES["language"] == LANGUAGES
    for language in LANGUAGES:
        catalog = load_catalog(language)
        assert [code for code in LANGUAGES if f"value.language.{code}" not in catalog] == [], language


def test_every_table_column_of_the_store_frames_has_a_header():
    """Pages show the event log's and their own frames through show_table, which looks up `column.<name>`
    (the page matrix in test_pages.py also reads every rendered table header for raw keys)."""
    catalog = load_catalog("en")
    names: set[str] = set()
    for path in [ROOT / "db" / "reports" / "audit.py", *(ROOT / "pages").glob("*.py")]:
        for group in re.findall(r"columns=\[([^\]]*)\]", path.read_text(encoding="utf-8")):
            names |= set(re.findall(r"\"([a-z_]+)\"", group))
    assert names and sorted(f"column.{name}" for name in names if f"column.{name}" not in catalog) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translate_fills_parameters_and_shows_stored_codes_in_the_language(language: str):
    text = translate(language, "error.wrong_state", status="picked_up")
    assert "picked_up" not in text and load_catalog(language)["value.status.picked_up"] in text
    moment = dt.datetime(2026, 11, 25, 2, 5, tzinfo=dt.UTC)
    # Waits are seconds to minutes: the time to the second, on the Shanghai clock.
    assert "10:05:00" in translate(language, "error.too_many_attempts", until=moment)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_format_spec_shows_a_moment_on_the_site_clock_and_leaves_other_values_alone(language: str):
    moment = dt.datetime(2026, 11, 25, 2, 5, tzinfo=dt.UTC)
    text = translate(language, "error.already_handed_over", at=moment, volunteer="王*阿姨")
    assert "10:05" in text and "2026-11-25" not in text and "{" not in text
    assert "10:05" in text.plain and "王*阿姨" in text.plain and "王\\*阿姨" in text
    # A value that is not a moment (a test passing "", a caller leaving it out) ignores the spec.
    for params in ({"at": "", "volunteer": "x"}, {"volunteer": "x"}):
        assert "{" not in translate(language, "error.already_handed_over", **params)


def test_a_missing_parameter_shows_an_ellipsis_not_braces():
    assert "{" not in translate("en", "error.wrong_state") and "…" in translate("en", "error.wrong_state")


def test_an_unknown_key_comes_back_as_itself():
    assert translate("en", "no.such.key") == "no.such.key"


def test_every_recorded_action_and_entity_has_a_name_in_both_languages():
    """The event log and an order's history show actions and entities in words, never as stored codes."""
    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "db").rglob("*.py"))
    actions = set(re.findall(r"action=\"([a-z_]+\.[a-z_]+)\"", source))
    actions |= set(re.findall(r"\"action\": \"([a-z_]+\.[a-z_]+)\"", source))
    # Built from the kind of secret: account.password_changed / account.pin_changed.
    actions |= {f"account.{kind}_changed" for kind in ("password", "pin")}
    entities = set(re.findall(r"entity=\"([a-z_]+)\"", source)) | set(re.findall(r"\"entity\": \"([a-z_]+)\"", source))
    assert len(actions) > 30 and "order.imported" in actions and "order" in entities
    for language in LANGUAGES:
        catalog = load_catalog(language)
        wanted = {f"value.action.{a}" for a in actions} | {f"value.entity.{e}" for e in entities}
        missing = sorted(wanted - set(catalog))
        assert missing == [], language


def test_every_field_an_event_records_has_a_heading_in_both_languages():
    """The event log and an order's history word an event's before/after (手机：…), never as `phone=…`."""
    fields: set[str] = set()
    for path in DB_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("before", "after") and isinstance(node.value, ast.Dict):
                fields |= {key.value for key in node.value.keys if isinstance(key, ast.Constant)}
    assert {"status", "slot", "phone", "reading_c", "shift_id"} <= fields
    for language in LANGUAGES:
        missing = sorted(field for field in fields if f"column.{field}" not in load_catalog(language))
        assert missing == [], language


def test_no_page_still_promises_what_it_will_have():
    """Stub wording from before a page was built ("will be here") must not survive in either language."""
    stale = {
        key: text
        for language in LANGUAGES
        for key, text in load_catalog(language).items()
        if re.search(r"will be here|coming soon|将在这里|敬请期待", text)
    }
    assert stale == {}
