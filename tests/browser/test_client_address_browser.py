"""Which address is the client, against a real `streamlit run` (uvicorn under Streamlit 1.67 rewrites the client
address from X-Forwarded-For for connections from 127.0.0.1, as a same-host tunnel's are): without
TRUST_FORWARDED_FOR a rotated header buys no fresh client; with it, only the last entry (our proxy's hop) counts.

One server per setting for the module; each request is one load of a one-line probe page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import streamlit_server
from tests.support.paths import ROOT
from ui.session import UNTRUSTED_FORWARDED

ROTATED = [f"203.0.113.{number}" for number in range(1, 6)]


def probe_server(tmp_path_factory: pytest.TempPathFactory, trust: str) -> Iterator[str]:
    log = tmp_path_factory.mktemp(f"probe-{trust}") / "streamlit.log"
    with streamlit_server(
        None,
        log_path=log,
        script="tests/support/address_probe.py",
        env={"TRUST_FORWARDED_FOR": trust, "PYTHONPATH": str(ROOT)},
    ) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def untrusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from probe_server(tmp_path_factory, "0")


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from probe_server(tmp_path_factory, "1")


def clients(chromium, base_url: str, headers: list[str]) -> list[str]:
    """The client each request counts as, one page load per X-Forwarded-For value ("" sends none)."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    seen = []
    try:
        for header in headers:
            page.set_extra_http_headers({"X-Forwarded-For": header} if header else {})
            page.goto(base_url)
            seen.append(page.get_by_text("client=").inner_text().removeprefix("client="))
    finally:
        context.close()
    return seen


def test_without_trust_a_rotated_header_is_one_client(chromium, untrusting: str):
    seen = clients(chromium, untrusting, ["", *ROTATED])
    # uvicorn alone would have answered the five rotated addresses; the app counts them all as one client.
    assert seen[1:] == [UNTRUSTED_FORWARDED] * len(ROTATED)
    assert seen[0] not in ROTATED


def test_with_trust_only_the_last_hop_counts(chromium, trusting: str):
    seen = clients(chromium, trusting, [*ROTATED, "6.6.6.6, 198.51.100.9"])
    # The proxy appends the address it saw: whatever a client put before it is not its address.
    assert seen == [*ROTATED, "198.51.100.9"]
