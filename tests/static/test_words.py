"""The words of the catalogs: one word per concept (docs/glossary.md), English without Chinese script or
punctuation, Chinese without the retired synonyms."""

from __future__ import annotations

import re

import pytest

from tests.support.paths import ROOT
from ui.i18n import load_catalog

# Han, kana, hangul, and the full-width and CJK punctuation blocks (、，。：；！？「」（）…).
CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
GLOSSARY = ROOT / "docs" / "glossary.md"


def glossary_rows() -> list[list[str]]:
    """The glossary's table rows: zh term, en term, meaning, retired words (zh), where used."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and not set(cells[0]) <= {"-", ":"} and cells[0] != "zh":
            rows.append(cells)
    return rows


def test_english_messages_hold_no_chinese_script_or_full_width_punctuation():
    english = load_catalog("en")
    found = {key: "".join(CJK.findall(text)) for key, text in english.items() if CJK.search(text)}
    # The two language names are each written in their own script on purpose (ui.i18n.LANGUAGE_NAMES, not here).
    assert found == {}


def test_chinese_messages_use_no_english_word_but_allowed_tokens():
    """Latin letters in Chinese text are codes, units, formats and names of things (CSV, PIN, F1-01, °C …)."""
    allowed = {
        "CSV", "Excel", "PIN", "JSON", "Lines", "SQLite", "PostgreSQL", "README", "Backups", "QR", "zip",
        "python", "m", "db", "backup", "restore", "pg_dump", "force", "MB", "C", "h", "Ctrl", "P", "F", "S", "Z",
        "UTF", "GB", "_", "A",  # A4 paper
    }  # fmt: skip
    words = set()
    for key, text in load_catalog("zh-CN").items():
        plain = re.sub(r"\{[^}]*\}", "", text)  # placeholders and their format specs are not words shown
        words |= {(key, word) for word in re.findall(r"[A-Za-z_]+", plain) if word not in allowed}
    assert sorted(words) == []


def test_the_glossary_lists_each_concept_once_in_each_language():
    rows = glossary_rows()
    assert len(rows) >= 20
    for column in (0, 1):
        terms = [row[column] for row in rows]
        assert sorted({term for term in terms if terms.count(term) > 1}) == []


@pytest.mark.parametrize("row", glossary_rows(), ids=lambda row: row[1])
def test_the_catalogs_follow_the_glossary(row: list[str]):
    """A retired word (提货码 for 取货码) appears in no Chinese message; the chosen term is in use."""
    zh_term, _, _, retired, _ = row
    chinese = load_catalog("zh-CN")
    for word in (word.strip() for word in retired.split("、") if word.strip() and word.strip() != "—"):
        assert sorted(key for key, text in chinese.items() if word in text) == [], word
    assert any(zh_term.split("（")[0] in text for text in chinese.values()), zh_term


def test_the_reconciliation_counts_bags_in_bags():
    """It counts orders, one bag each: 袋 (docs/glossary.md), never 件, which counts items (缺件 is a term itself)."""
    chinese = load_catalog("zh-CN")
    shown = [
        key
        for key in chinese
        if key.startswith(("reconcile.", "page.reconciliation.", "value.balance.")) or key == "column.in_manifest"
    ]
    assert len(shown) > 5
    assert sorted(key for key in shown if "件" in chinese[key].replace("缺件", "")) == []


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_backup_page_says_what_to_do_in_words_not_a_shell_command(language: str):
    catalog = load_catalog(language)
    shown = {key: text for key, text in catalog.items() if key.startswith(("backup.", "page.backup."))}
    assert len(shown) > 5
    assert sorted(key for key, text in shown.items() if "`" in text or "python" in text) == []


def test_english_says_pickup_point_not_site():
    english = load_catalog("en")
    site = re.compile(r"\bsites?\b", re.IGNORECASE)
    shown = {key: text for key, text in english.items() if site.search(re.sub(r"\{[^}]*\}", "", text))}
    assert shown == {}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_page_intros_name_buttons_and_pages_by_their_real_words(language: str):
    """A quoted word in a page's intro (点“交给居民”, tap “Hand over”) is a label the app really shows."""
    catalog = load_catalog(language)
    labels = set(catalog.values())
    quoted = {
        (key, word)
        for key, text in catalog.items()
        if key.startswith("page.") and key.endswith(".intro")
        for word in re.findall(r"“([^”]+)”", text)
    }
    assert quoted, "no intro quotes a label"
    # README's section headings are not labels of the app.
    assert sorted((key, word) for key, word in quoted if word not in labels and word != "Backups") == []


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_desk_intro_names_the_desk_buttons(language: str):
    """The buttons a volunteer taps to hand a bag over, say who collects it, and take it back, in that order."""
    catalog = load_catalog(language)
    quoted = re.findall(r"“([^”]+)”", catalog["page.desk.intro"])
    assert quoted == [catalog["desk.hand_over"], catalog["desk.confirm_self"], catalog["desk.undo"]]
