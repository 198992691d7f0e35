"""Every page, as each audience sees it, in both languages: no Chinese script in the English UI and no English
words in the Chinese one, Streamlit's own words included. People's data (names, addresses, platforms) and codes
are allowed, each listed here. The same walk runs axe-core on every page (tests/support/axe.py): no violation the
app causes, and none of Streamlit's beyond those listed there."""

from __future__ import annotations

import contextlib
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.axe import AxeLog, axe_missing
from tests.support.browser import IDLE_APP, open_page, sign_in_as_organizer, sign_in_on_tablet, zh
from tests.support.databases import skip_or_fail
from tests.support.markdown_payloads import unescaped
from tests.support.page_scan import visible_words
from ui.i18n import LANGUAGE_NAMES, translate
from ui.pages_registry import ORGANIZER, PUBLIC, SIGN_IN_PAGE, VOLUNTEER, pages_for

# Chinese script and full-width punctuation.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# The test pickup point's own data (tests/support/app_data.py and the enrolled tablet), in Chinese in any UI.
CHINESE_DATA = ["天山二村", "天山路", "王阿姨", "李主任", "多多买菜", "鸡蛋", "取货台平板 1", LANGUAGE_NAMES["zh-CN"]]
MASKED_NAME = re.compile(r"[\u4e00-\u9fff]\*+")  # 张** (ui masks residents' names)
# Latin words a Chinese page may show: the other language's name, file types and formats, products, the PIN.
LATIN_TOKENS = {LANGUAGE_NAMES["en"], "CSV", "Excel", "PIN", "QR", "JSON", "Lines", "zip", "SQLite", "PostgreSQL"}
LATIN_TOKENS |= {"README", "Backups"}  # the backup page points to README's section by its name
LATIN_TOKENS |= {"Ctrl"}  # the labels page says how to print (Ctrl+P)
# A Latin word of two or more letters not glued to digits (F1-01, TS2, A-1 and 8-123 are codes).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z]{2,}(?![A-Za-z0-9_-])")
SIDEBAR = '[data-testid="stSidebar"]'
SIDEBAR_MENU = '[data-testid="stSidebarNav"]'
ANIMATIONS_DONE_JS = (
    "(element) => Promise.all(element.getAnimations({subtree: true}).map((running) => running.finished))"
)
# 长辈模式's style sheet is in force (ui/style.py's ELDER_CSS sets the root font size).
ELDER_STYLE_JS = "() => getComputedStyle(document.documentElement).fontSize === '24px'"
# A chart in a tab not chosen is drawn when the tab is (the roster's staffing grid).
CHARTS_SUMMARIZED_JS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
  .filter((chart) => chart.checkVisibility())
  .every((chart) => !['', 'Vega visualization'].includes(chart.getAttribute('aria-label') || ''))"""


def wrong_script(words: list[str], language: str) -> list[str]:
    found = []
    for text in words:
        if language == "en":
            rest = MASKED_NAME.sub("", text)
            for data in CHINESE_DATA:
                rest = rest.replace(data, "")
            if CJK.search(rest):
                found.append(text)
        elif any(word not in LATIN_TOKENS for word in LATIN_WORD.findall(text)):
            found.append(text)
    return found


def title(language: str, spec) -> str:
    return unescaped(translate(language, spec.title_key))


def choose_language(page, language: str, axe: AxeLog | None = None, *, signed_in: bool = True) -> None:
    # A toast shown before the switch keeps its words until it fades (Streamlit cannot take one back): the welcome
    # toast of a sign-in is closed first, as a volunteer switching language at once would see it in the old one.
    # The residents' pages, with no sign-in, post none: no 3 s wait for one there.
    toasts = page.locator('[data-testid="stToast"]')
    with contextlib.suppress(PlaywrightTimeout):
        if signed_in:
            toasts.first.wait_for(timeout=3_000)
    if axe is not None and toasts.count():  # the welcome toast, named and in contrast, while it is there
        # Once it has slid in: half-way its words are faded, and axe would measure them so.
        toasts.first.evaluate(ANIMATIONS_DONE_JS)
        axe.check(page, "toast", within='[data-testid="stToastContainer"]')
    for close in toasts.locator("button").all():
        close.click()
    toasts.first.wait_for(state="detached")
    if language != "zh-CN":
        switch_language(page, language)


def switch_language(page, language: str) -> None:
    """Click the language in the sidebar and wait for the run it starts to end.

    Right after the click the app can still read as idle, before that run has begun; a menu click then would stop
    it half-way, and between the two runs the page is idle with the old language's elements still standing (the
    desk's cards, last on the page). The sidebar's own label in the new language shows that run has begun."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(LANGUAGE_NAMES[language], exact=True).click()
    sidebar.get_by_text(translate(language, "sidebar.language"), exact=True).wait_for()
    page.locator(IDLE_APP).wait_for()


def visit_all(
    page, language: str, audience: str, axe: AxeLog | None = None, *, state: str = ""
) -> dict[str, list[str]]:
    """Each page of the audience's menu, through the menu (a fresh load would start a new session); with
    `axe`, axe's findings on each page are kept in it."""
    found = {}
    for spec in pages_for(audience):
        link = page.locator(f'[data-testid="stSidebarNavLink"][href$="/{spec.url_path}"]')
        if link.count() == 0:  # a signed-in person's sign-in page is not in their menu
            continue
        link.click()
        page.get_by_role("heading", name=title(language, spec)).first.wait_for()
        page.locator(IDLE_APP).wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0, spec.name
        # A screen reader speaks the page in its <html lang> (ui/page_language.py).
        page.locator(f'html[lang="{language}"]').wait_for(state="attached")
        # Every chart is named by its text summary (ui/charts.py), which Vega puts on the chart as its aria-label
        # once drawn (without one, Vega's own "Vega visualization").
        page.wait_for_function(CHARTS_SUMMARIZED_JS)
        found_before = bool(found)
        found[f"{audience} {spec.name}"] = wrong_script(visible_words(page), language)
        if axe is not None:
            # The sidebar's menu is the same on every page of the audience's menu: axe reads it on the first page
            # only (its list items were most of axe's nodes and half its time).
            outside = SIDEBAR_MENU if found_before else None
            where = f"{language} {audience}{state} {spec.name}"
            axe.check(page, where, outside=outside)
    return found


LANGUAGES = ("zh-CN", "en")
# A page's markup is the same in each language (only its words change): axe looks at it once, in Chinese.
AXE_LANGUAGES = ("zh-CN",)


def visit_in_each_language(page, audience: str, axe: AxeLog | None = None) -> dict[str, list[str]]:
    """The audience's menu in Chinese, then the same session switched to English in the sidebar and the menu again:
    each page of each language without a second server or sign-in. Starts on a page in Chinese."""
    found: dict[str, list[str]] = {}
    choose_language(page, "zh-CN", axe, signed_in=audience != PUBLIC)
    for language in LANGUAGES:
        if language != "zh-CN":
            switch_language(page, language)
        axe_here = axe if language in AXE_LANGUAGES else None
        visited = visit_all(page, language, audience, axe_here)
        found.update({f"{language} {name}": words for name, words in visited.items()})
    return found


def test_every_page_speaks_one_language(chromium, page, app_server: str):
    """One server for both languages: a page run's markup is the same in each, only its words change, so each
    audience's session visits its menu once per language."""
    found: dict[str, list[str]] = {}
    axe = AxeLog() if axe_missing() is None else None
    # Residents: no sign-in.
    open_page(page, f"{app_server}/sign_in", zh("page.sign_in.title"))
    found.update(visit_in_each_language(page, PUBLIC, axe))
    # A volunteer on the counter tablet: back to the sign-in page (in Chinese) from the English menu.
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{SIGN_IN_PAGE}"]').click()
    switch_language(page, "zh-CN")
    sign_in_on_tablet(page, app_server)
    found.update(visit_in_each_language(page, VOLUNTEER, axe))
    if axe is not None:
        # 长辈模式 switched on in the sidebar (ui/elder.py): the volunteer screens again, for axe, in the language the
        # walk ended in (the words are those already read).
        page.locator(SIDEBAR).get_by_text(translate("en", "elder.switch"), exact=True).click()
        page.wait_for_function(ELDER_STYLE_JS)
        page.locator(IDLE_APP).wait_for()
        visit_all(page, "en", VOLUNTEER, axe, state=" (elder mode)")
    # An organizer on the laptop.
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    laptop = context.new_page()
    laptop.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(laptop, app_server)
        found.update(visit_in_each_language(laptop, ORGANIZER, axe))
    finally:
        context.close()

    for language in LANGUAGES:
        visited = [name for name in found if name.startswith(f"{language} ")]
        assert len(visited) >= len(pages_for(ORGANIZER)) + len(pages_for(VOLUNTEER)), language
    wrong = [f"{name}: {text!r}" for name, words in found.items() for text in words]
    assert wrong == [], "\n".join(wrong)
    # The words are checked either way; axe only where its script is installed (CI installs it).
    if axe is None:
        skip_or_fail(str(axe_missing()), required_by="REQUIRE_BROWSER")
        return
    assert axe.unlisted == [], f"{len(axe.unlisted)} axe violations:\n" + "\n".join(axe.unlisted)
    # A listed one no page shows any more is taken off the list (tests/support/axe.py).
    assert axe.never_met() == []
