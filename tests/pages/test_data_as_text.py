"""Data is shown as text: every page, for every audience, in both languages, with Markdown/HTML payloads in every
value a person or a file sets (tests/support/markdown_payloads.py). Markdown bodies may hold payloads only escaped; the
literal surfaces (dataframe cells, selectbox options, st.text, a component's data) hold them as typed, without
backslashes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from db.orders.notices import plain_for_chat
from tests.support.markdown_payloads import (
    ADDRESS,
    CLOSED_NOTE,
    CODE_EXPECTED,
    CODE_PROBLEM,
    CODE_READY,
    NAME,
    ORDER_NUMBER,
    PHONE,
    PLATFORM,
    PRIVACY_CONTACT,
    PRODUCT,
    REASON,
    UNIT_NAME,
    VOLUNTEER_NAME,
    WORD_JOINER,
    PayloadData,
    build_payload_database,
    markup_from_payload,
    shown_as_text,
)
from tests.support.paths import ROOT
from ui.i18n import LANGUAGE_STATE_KEY, LANGUAGES
from ui.pages_registry import AUDIENCES, ORGANIZER, PAGES, PUBLIC, VOLUNTEER
from ui.signed_in import AUDIENCE_KEY, SIGNED_IN_KEY

# Fields that Streamlit shows as typed, never as Markdown: option lists of the select widgets, what is in an input
# box, and names that are not text at all (ids, icons, URLs).
PLAIN_FIELDS = {
    "default",
    "value",
    "raw_value",
    "raw_values",
    "placeholder",
    "id",
    "form_id",
    "query_param_key",
    "icon",
    "url",
    "page",
    "page_script_hash",
    "mimetype",
    "file_name",
    "format",
}
PLAIN_OPTION_WIDGETS = {"Selectbox", "MultiSelect"}
# Arrow data travels as bytes and is read back as frames below (st.table's cells are Markdown, st.dataframe's not).
ARROW_PROTOS = {"Arrow", "ArrowTable", "Table"}


@pytest.fixture(scope="module")
def payload_data(tmp_path_factory: pytest.TempPathFactory) -> PayloadData:
    return build_payload_database(tmp_path_factory.mktemp("payload") / "app.db")


@pytest.fixture
def payload_env(payload_data: PayloadData, monkeypatch: pytest.MonkeyPatch) -> PayloadData:
    monkeypatch.setenv("DATABASE_URL", payload_data.app.url)
    monkeypatch.delenv("APP_LANG", raising=False)
    return payload_data


def nodes(node) -> Iterator:  # an AppTest element tree node of any kind
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def proto_strings(message: Message, *, plain: set[str]) -> Iterator[tuple[bool, str]]:
    """(is Markdown, text) for every string in a proto message, nested ones included."""
    kind = message.DESCRIPTOR.name
    for field, value in message.ListFields():
        # Repeated fields (upb's containers are sequences without __iter__) are read item by item.
        items = [value] if isinstance(value, str | bytes | Message | int | float | bool) else list(value)
        for item in items:
            if isinstance(item, Message):
                if item.DESCRIPTOR.name not in ARROW_PROTOS:
                    yield from proto_strings(item, plain=plain)
            elif isinstance(item, str) and kind == "BidiComponent" and field.name == "json":
                # A component's data (the copy button's text): JSON its script sets with textContent, as typed.
                yield from ((False, text) for text in json_strings(json.loads(item)))
            elif isinstance(item, str):
                literal = (
                    field.name in plain
                    or (field.name == "options" and kind in PLAIN_OPTION_WIDGETS)
                    or (field.name == "body" and kind == "Text")  # st.text: shown as typed, in a fixed font
                )
                yield not literal, item


def json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def surfaces(at: AppTest) -> tuple[list[str], list[str]]:
    """Every text on the page: (Markdown bodies, labels, help, st.table cells; literal cells and options)."""
    markdown: list[str] = []
    literal: list[str] = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            for is_markdown, text in proto_strings(proto, plain=PLAIN_FIELDS):
                (markdown if is_markdown else literal).append(text)
        kind = getattr(node, "type", None)
        if kind in ("table", "dataframe"):
            frame: pd.DataFrame = node.value
            cells = [str(value) for value in frame.to_numpy().ravel().tolist() if isinstance(value, str)]
            headers = [str(column) for column in frame.columns]
            (markdown if kind == "table" else literal).extend(cells + headers)
    return markdown, literal


def signed_in_app(data: PayloadData, *, audience: str, language: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[LANGUAGE_STATE_KEY] = language
    if audience != PUBLIC:
        at.session_state[SIGNED_IN_KEY] = data.volunteer if audience == VOLUNTEER else data.app.organizer
        at.session_state[AUDIENCE_KEY] = audience
    return at


def visit(at: AppTest, page: str) -> Iterator[AppTest]:
    """The page as it opens, then in each state that shows more of the data."""
    yield at
    if page == "desk":
        at.text_input(key="desk_query").input(PHONE[-4:]).run()
        yield at
    elif page == "arrivals":
        at.text_input(key="arrivals_code").input(CODE_EXPECTED)
        at.button(key="arrivals_receive").click().run()
        yield at
    elif page == "orders":
        detail = at.selectbox(key="orders_detail")
        detail.select(next(option for option in detail.options if option.startswith(CODE_PROBLEM))).run()
        yield at
    elif page == "status":
        at.text_input(key="status_pickup_code").input(CODE_READY)
        at.text_input(key="status_phone_tail").input(PHONE[-4:])
        at.button(key="status_submit").click().run()
        yield at
    elif page == "resident_data":
        at.text_input(key="resident_data_phone").input(PHONE)
        at.button(key="resident_data_find_go").click().run()
        yield at
    elif page == "daily_report":
        at.toggle(key="daily_print").set_value(True).run()
        yield at
    elif page == "temperatures":
        at.button(key="temperature_unit_X9").click().run()
        yield at


def one_line(text: str) -> str:
    return " ".join(text.split())


# What each page must show of the payloads once visited (so the checks below look at real payloads), as
# (Markdown surfaces, literal surfaces). The volunteer sees names masked; the sidebar names the signed-in person.
SHOWN = {
    "desk": ([CODE_READY, PLATFORM], []),
    "arrivals": ([CODE_EXPECTED], [CODE_EXPECTED]),
    "orders": ([CODE_PROBLEM, NAME, ADDRESS, REASON, PLATFORM, ORDER_NUMBER], [NAME, PLATFORM, PRODUCT]),
    "status": ([CODE_READY, PRIVACY_CONTACT], [CLOSED_NOTE]),
    # A group text also breaks what a chat app would tap (the note's link): db.orders.notices.plain_for_chat.
    "notices": ([], [plain_for_chat(CLOSED_NOTE)]),
    "site_rules": ([], [CLOSED_NOTE, PRIVACY_CONTACT]),
    # Everything the site holds under the resident's number, as literal table cells.
    "resident_data": ([], [NAME, ADDRESS, PLATFORM, ORDER_NUMBER, PRODUCT, REASON]),
    "daily_report": ([PLATFORM, CODE_PROBLEM, REASON, VOLUNTEER_NAME], []),
    "slot_list": ([CODE_READY], []),
    "temperatures": ([UNIT_NAME], []),
    "storage": ([], [UNIT_NAME, CODE_READY]),
    "volunteers": ([], [VOLUNTEER_NAME]),
    "audit": ([], [VOLUNTEER_NAME]),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.name)
def test_payloads_never_reach_markdown_unescaped(payload_env: PayloadData, spec, audience: str, language: str):
    at = signed_in_app(payload_env, audience=audience, language=language).switch_page(spec.path).run()
    allowed = audience in spec.audiences
    seen_markdown: list[str] = []
    seen_literal: list[str] = []
    for state in visit(at, spec.name) if allowed else [at]:
        assert not state.exception, [element.value for element in state.exception]
        markdown, literal = surfaces(state)
        for text in markdown:
            assert markup_from_payload(text) == [], text
        for text in literal:
            # As typed: no Markdown escapes or word joiners where Streamlit shows text literally.
            assert WORD_JOINER not in text and "\\" not in text, text
        seen_markdown += [shown_as_text(text) for text in markdown]
        seen_literal += literal

    expected_markdown, expected_literal = SHOWN.get(spec.name, ([], [])) if allowed else ([], [])
    if audience != PUBLIC:
        signed_in = VOLUNTEER_NAME if audience == VOLUNTEER else payload_env.app.organizer.name
        expected_markdown = [*expected_markdown, signed_in]  # the sidebar's "signed in as"
    for value in expected_markdown:
        assert any(one_line(value) in text for text in seen_markdown), (value, seen_markdown)
    for value in expected_literal:
        assert any(value in text for text in seen_literal), (value, seen_literal)


def test_an_organizer_sees_the_payload_volunteer_and_a_rejected_row_as_text(payload_env: PayloadData):
    """The manifest page's preview and its rejected rows (a reason quoting a payload value) are literal tables."""
    from tests.support.markdown_payloads import manifest_csv

    data = manifest_csv().replace(PHONE.encode(), b"[x](https://evil.example/p)", 1)
    at = signed_in_app(payload_env, audience=ORGANIZER, language="en").switch_page("pages/manifest.py").run()
    at.file_uploader(key="manifest_file").set_value(("m.csv", data, "text/csv")).run()
    assert not at.exception
    markdown, literal = surfaces(at)
    assert all(markup_from_payload(text) == [] for text in markdown)
    assert all("\\" not in text and WORD_JOINER not in text for text in literal)
    assert any("[x](https://evil.example/p)" in text for text in literal)  # the bad phone, quoted as typed
