"""The resident's-data page under AppTest, in both languages: an organizer finds a resident by whole number and reads
everything the site holds (the number masked on screen), downloads it for them (recorded, the number whole in the
file), is refused anonymising while a bag is open, anonymises a resident whose bags are closed (then finds nothing),
and the number typed leaves the session with the page."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today
from db.core.models import AccessRecord, Event, Order
from tests.support.app_data import (
    CLOSED_RESIDENT_NAME,
    CLOSED_RESIDENT_PHONE,
    CODE,
    RESIDENT_PHONE,
    AppData,
    add_bag,
    add_closed_resident,
    stored,
)
from tests.support.pages import new_app, texts
from ui.exports import frames_to_xlsx_bytes
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, page_spec
from ui.views.privacy import resident as resident_view


def open_page(data: AppData, language: str) -> AppTest:
    at = new_app(data, audience=ORGANIZER, language=language).switch_page(page_spec("resident_data").path).run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def find(at: AppTest, phone: str) -> AppTest:
    at.text_input(key="resident_data_phone").input(phone)
    at.button(key="resident_data_find_go").click().run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def access_kinds(data: AppData) -> list[tuple[str, str, int | None]]:
    query = select(AccessRecord.kind, AccessRecord.reason, AccessRecord.row_count).order_by(AccessRecord.id)
    return [tuple(row) for row in stored(data, query)]


def anonymise(at: AppTest) -> AppTest:
    at.button(key="resident_data_anonymise").click().run()
    at.button(key="resident_data_anonymise_yes").click().run()
    assert not at.exception, [element.value for element in at.exception]
    return at


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_an_organizer_finds_a_resident_downloads_it_for_them_and_anonymises_it(
    writable_app_env: AppData, language: str, monkeypatch: pytest.MonkeyPatch
):
    add_closed_resident(writable_app_env)
    # The workbook the download button offers, as the page built it (AppTest keeps no downloadable file).
    made: list[bytes] = []

    def keep_workbook(sheets):
        made.append(frames_to_xlsx_bytes(sheets))
        return made[-1]

    monkeypatch.setattr(resident_view, "frames_to_xlsx_bytes", keep_workbook)
    at = find(open_page(writable_app_env, language), "+86 139-1234-0000")  # 13912340000 as people write it
    say = lambda key, **params: translate(language, key, **params)  # noqa: E731
    # Found: the box is empty again, the whole number off the screen.
    assert at.text_input(key="resident_data_phone").value == ""
    bags = at.dataframe[0].value
    assert list(bags[say("column.pickup_code").plain]) == ["7-001", "7-002"]
    assert list(bags[say("column.resident_name").plain]) == [CLOSED_RESIDENT_NAME, CLOSED_RESIDENT_NAME]
    assert list(bags[say("column.status").plain]) == [
        say("value.status.picked_up").plain,
        say("value.status.returned").plain,
    ]
    headers = [element.value for element in at.header]
    for part, count in (("bags", 2), ("calls", 1), ("notices", 1), ("messages", 1)):
        assert say(f"resident_data.part.{part}", count=count) in headers
    calls = at.dataframe[2].value
    assert list(calls[say("column.outcome").plain]) == [say("value.call_outcome.see_note").plain]
    assert list(calls[say("column.note").plain]) == ["说下周来"]
    # Events worded like the event log's: the action's name, not its code.
    events = at.dataframe[1].value
    assert say("value.action.order.picked_up").plain in set(events[say("column.action").plain])
    # The number masked on screen, everywhere (the SMS's recipient too).
    cells = [str(value) for table in at.dataframe for value in table.value.to_numpy().ravel()]
    everything = " ".join([*texts(at._tree), *cells])
    assert CLOSED_RESIDENT_PHONE not in everything and "139****0000" in everything
    assert access_kinds(writable_app_env) == [("resident_found", "resident_request", 2)]

    # The file for the resident: one workbook, a sheet per part, headings in the organizer's language, number whole.
    [download] = at.get("download_button")
    assert download.proto.label == say("resident_data.download").plain
    book = openpyxl.load_workbook(io.BytesIO(made[-1]))
    assert book.sheetnames == [
        say(key).plain
        for key in (
            "resident_data.sheet_about",
            *(f"resident_data.sheet.{part}" for part in ("bags", "events", "calls", "notices", "messages")),
        )
    ]
    assert CLOSED_RESIDENT_PHONE in [cell.value for row in book[book.sheetnames[0]].iter_rows() for cell in row]
    bag_sheet = book[say("resident_data.sheet.bags").plain]
    assert [cell.value for cell in bag_sheet[1]][:3] == [
        say(f"column.{name}").plain for name in ("platform", "order_number", "pickup_code")
    ]
    at.download_button(key="resident_data_download").click().run()
    assert not at.exception
    rows = sum(len(frame) for frame in (bags, events, calls, at.dataframe[3].value, at.dataframe[4].value))
    assert access_kinds(writable_app_env)[-1] == ("resident_exported", "resident_request", rows)
    assert say("resident_data.downloaded", rows=rows) in [element.value for element in at.info]

    # Anonymise now: the question says what stays and that older backups still hold the data.
    at.button(key="resident_data_anonymise").click().run()
    [question] = [element.value for element in at.warning]
    household_id = stored(writable_app_env, select(Order.household_id).where(Order.pickup_code == "7-001"))[0][0]
    assert question == say("resident_data.anonymise_question", bags=2, household_id=household_id)
    at.button(key="resident_data_anonymise_yes").click().run()
    assert not at.exception and not at.error
    # The counts the store reported, as its event keeps them.
    [(counts,)] = stored(writable_app_env, select(Event.after).where(Event.action == "privacy.resident_anonymised"))
    assert (counts["bags"], counts["messages"]) == (2, 1) and counts["events"] >= 1
    assert [element.value for element in at.info] == [
        say("resident_data.anonymised", orders=2, events=counts["events"], messages=1)
    ]
    assert stored(
        writable_app_env, select(Order.resident_name, Order.phone).where(Order.household_id == household_id)
    ) == [
        ("", ""),
        ("", ""),
    ]
    # The same number now finds nothing.
    find(at, CLOSED_RESIDENT_PHONE)
    assert [element.value for element in at.info] == [say("resident_data.not_found")]
    assert not at.dataframe


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_anonymising_is_refused_while_a_bag_is_open(writable_app_env: AppData, language: str):
    # The app database's resident has one bag, still expected; a second one is in its slot.
    add_bag(writable_app_env, code="7-003", phone=RESIDENT_PHONE, delivered=local_today())
    at = find(open_page(writable_app_env, language), RESIDENT_PHONE)
    refusal = translate(language, "error.resident_has_open_bags", count=2)
    # Said before the question too, with the count.
    assert refusal in [element.value for element in at.caption]
    anonymise(at)
    assert [element.value for element in at.error] == [refusal]
    assert stored(writable_app_env, select(Order.resident_name).where(Order.pickup_code == CODE)) == [("张先生",)]
    assert [kind for kind, _, _ in access_kinds(writable_app_env)] == ["resident_found"]


def test_a_short_number_is_said_plainly_and_stays_in_the_box(writable_app_env: AppData):
    at = find(open_page(writable_app_env, "zh-CN"), "2222")
    assert [element.value for element in at.error] == [translate("zh-CN", "error.phone_format")]
    assert at.text_input(key="resident_data_phone").value == "2222"
    assert not at.dataframe and access_kinds(writable_app_env) == []
    # A whole number the site holds nothing under: said plainly, recorded as nothing.
    find(at, "13800000000")
    assert [element.value for element in at.info] == [translate("zh-CN", "resident_data.not_found")]
    assert at.text_input(key="resident_data_phone").value == "13800000000"  # to be corrected
    assert access_kinds(writable_app_env) == []


def test_the_number_typed_leaves_the_session_with_the_page(writable_app_env: AppData):
    at = find(open_page(writable_app_env, "zh-CN"), RESIDENT_PHONE)
    assert at.dataframe
    at.switch_page(page_spec("dashboard").path).run()
    assert not at.exception
    kept = at.session_state.to_dict()
    assert [key for key in kept if key.startswith("resident_data_")] == []
    # Nowhere in the session, the widgets' own state included.
    assert RESIDENT_PHONE not in repr(at.session_state._state)  # SafeSessionState: widgets' values by id too
    # Back on the page: an empty box, nothing shown until the next find.
    at.switch_page(page_spec("resident_data").path).run()
    assert at.text_input(key="resident_data_phone").value == "" and not at.dataframe
