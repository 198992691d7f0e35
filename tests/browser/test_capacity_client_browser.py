"""The capacity bench's load client (bench/protocol.py) against `streamlit run app.py`, no Chromium: a tablet's
session opens on the desk with its cookies in the websocket handshake and a scan returns the bag; a resident's lookup
on the public status page answers. The bench's figures themselves are measured by `python -m bench.capacity`, never
asserted."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from bench.capacity import Cookies
from bench.protocol import StreamlitSession, text_value, trigger
from tests.support.app_data import CODE, RESIDENT_PHONE, AppData
from ui.i18n import translate

T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on a thread of its own: a worker that has run a Playwright test holds a running event loop in
    its main thread, where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _desk_scan(base_url: str, cookies: dict[str, str]) -> tuple[list[str], list[str], float]:
    session, _ = await StreamlitSession.open(base_url, page="desk", cookies=cookies)
    try:
        opened = session.texts
        ms = await session.tap([text_value(session.widget("desk_query"), CODE)])
        return opened, session.texts, ms
    finally:
        await session.close()


async def _status_lookup(base_url: str) -> list[str]:
    session, _ = await StreamlitSession.open(base_url, page="status", query="site=TS2", address="10.0.0.7")
    try:
        await session.tap(
            [
                text_value(session.widget("status_pickup_code"), CODE),
                text_value(session.widget("status_phone_tail"), RESIDENT_PHONE[-4:]),
                trigger(session.widget("status_submit")),
            ]
        )
        return session.texts
    finally:
        await session.close()


def test_the_load_client_scans_on_a_signed_in_tablet_and_looks_up_an_order(app_server: str, app_database_copy: AppData):
    data = app_database_copy
    cookies = Cookies(url=data.url, site_id=data.site_id, volunteer=data.volunteer, organizer=data.organizer)
    opened, scanned, ms = run_apart(_desk_scan(app_server, cookies.tablet()))
    # The desk itself, signed in by the cookies alone (without them the app shows the sign-in page instead).
    assert translate("zh-CN", "page.desk.title") in opened
    volunteer = translate("zh-CN", "audience.volunteer")
    assert translate("zh-CN", "sidebar.signed_in_as", name=data.volunteer.name, audience=volunteer) in opened
    assert ms > 0
    # The bag's card: its pickup code (Markdown-escaped in the protocol's strings).
    assert any(CODE.replace("-", "\\-") in text or CODE in text for text in scanned)
    assert not any(CODE.replace("-", "\\-") in text or CODE in text for text in opened)
    # The order has not arrived yet: the resident is told so.
    assert translate("zh-CN", "status.state.not_arrived") in run_apart(_status_lookup(app_server))
