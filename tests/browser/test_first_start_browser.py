"""In Chromium: the very first start of a fresh install (no database yet) shows the app's own page and a progress
message at once while the demo is built, and the sidebar never lists the pages/ file names."""

from __future__ import annotations

import pathlib
import time

from tests.support.browser import IDLE_APP, fresh_install, streamlit_server, zh
from tests.support.paths import ROOT

# Every text the sidebar's menu ever shows, recorded in the page from its first moment (before any script of
# the app runs), so a menu drawn for an instant is caught too.
RECORD_MENU = """
window.__menuTexts = new Set();
new MutationObserver(() => {
  for (const link of document.querySelectorAll('[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavLink"]')) {
    window.__menuTexts.add(link.textContent.trim());
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""
# What Streamlit's pages/ auto-discovery would list: the file names, underscores shown as spaces, and the main script.
FILE_NAMES = {page.stem for page in (ROOT / "pages").glob("*.py")}
RAW_NAMES = FILE_NAMES | {name.replace("_", " ") for name in FILE_NAMES} | {"app"}


def test_the_first_start_shows_the_apps_page_and_progress_and_never_file_names(chromium, tmp_path: pathlib.Path):
    install = fresh_install(tmp_path / "install")
    with streamlit_server(None, root=install, log_path=tmp_path / "streamlit.log") as base_url:
        context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
        context.add_init_script(RECORD_MENU)
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            started = time.monotonic()
            page.goto(base_url)
            page.get_by_text(zh("app.building_demo")).wait_for()
            shown_at = time.monotonic() - started
            # The app's own page while the demo is still being built: its title and the message, not a blank page.
            assert page.get_by_role("heading", name=zh("app.title")).count() == 1
            assert page.get_by_role("heading", name=zh("page.status.title")).count() == 0
            page.screenshot(path=tmp_path / "first_start_progress.png")
            # Then the public home page (the residents' lookup), without a reload.
            page.get_by_role("heading", name=zh("page.status.title")).wait_for()
            page.locator(IDLE_APP).wait_for()
            ready_at = time.monotonic() - started
            page.screenshot(path=tmp_path / "first_start_ready.png")
            menu = set(page.evaluate("Array.from(window.__menuTexts)"))
        finally:
            context.close()
    print(f"first start: app's page with progress after {shown_at:.1f} s, home page after {ready_at:.1f} s")
    # A link's text is its icon's name and its title ("search查询我的订单"); a file name link would be the name alone.
    assert any(text.endswith(zh("page.status.title")) for text in menu), menu
    assert any(text.endswith(zh("page.sign_in.title")) for text in menu), menu
    assert not [text for text in menu if any(text.endswith(name) for name in RAW_NAMES)], menu
