"""In Chromium: people's names that look like HTML or script are shown as typed text, never run or rendered."""

from __future__ import annotations

import pathlib

import pytest

from db.core.engine import make_engine, unit_of_work
from db.people.accounts import create_volunteer
from tests.support.app_data import APP_VOLUNTEER_PIN, AppData
from tests.support.browser import IDLE_APP, enroll_as_tablet, open_page, sign_in_on_tablet, streamlit_server, zh
from tests.support.databases import NOW

SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_server(app_database_copy: AppData, tmp_path: pathlib.Path):
    store = make_engine(app_database_copy.url)
    with unit_of_work(store) as session:
        for name in (SCRIPT_NAME, IMG_NAME):
            create_volunteer(
                session,
                site_id=app_database_copy.site_id,
                name=name,
                phone="13611112222",
                roles=("handout",),
                pin=APP_VOLUNTEER_PIN,
                now=NOW,
            )
    store.dispose()
    log_path = tmp_path / "streamlit.log"
    with streamlit_server(app_database_copy.url, log_path=log_path) as base_url:
        yield base_url, log_path


def test_html_looking_names_are_plain_text(chromium, hostile_server, app_database_copy: AppData):
    base_url, log_path = hostile_server
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    enroll_as_tablet(context, base_url=base_url, database_url=app_database_copy.url, site_id=app_database_copy.site_id)
    page = context.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        open_page(page, f"{base_url}/sign_in", zh("page.sign_in.title"))
        page.get_by_label(zh("sign_in.name")).click()
        # Both names are options, as typed.
        assert page.get_by_role("option", name=SCRIPT_NAME).count() == 1
        sign_in_on_tablet(page, base_url, name=IMG_NAME)
        # The sidebar and the account page both carry the name (a reload would start a new session: click).
        page.locator('[data-testid="stSidebarNavLink"]', has_text=zh("page.account.title")).click()
        page.get_by_role("heading", name=zh("page.account.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        assert page.get_by_text(IMG_NAME, exact=False).count() >= 2

        assert dialogs == []
        assert page.locator('img[src="x"]').count() == 0
        assert page.locator("script", has_text="alert(1)").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
    # The server's log carries neither the PIN nor a phone number.
    log = log_path.read_text(errors="replace")
    assert APP_VOLUNTEER_PIN not in log and "13611112222" not in log
