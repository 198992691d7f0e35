"""Show less, and log who looked (issue 23 §2) under AppTest: a resident's number masked by default; "show the number"
and an unmasked export ask why and are recorded; the access records page; no page or file a volunteer can open shows
a resident's whole number or any volunteer's, and no organizer page shows a resident's whole number unasked."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import AccessRecord, Order
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.privacy.access import record_access
from tests.support.app_data import CODE, RESIDENT_PHONE, VOLUNTEER_PHONE, AppData, stored
from tests.support.pages import Downloads, new_app, organizer_on, texts
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, VOLUNTEER, pages_for

MASKED = "137****2222"  # RESIDENT_PHONE masked
# A second resident whose bag is overdue, so the call list, the daily report and the desk have a number to hide.
OVERDUE_PHONE = "13355557777"
OVERDUE_MASKED = "133****7777"
ORGANIZER_PHONE = "13900001111"  # 李主任's, in the app database


def add_overdue_bag(data: AppData) -> None:
    """The second resident's bag, delivered and checked in eight days ago, still in its slot."""
    received = utc_now() - dt.timedelta(days=8)
    store = make_engine(data.url)
    with unit_of_work(store) as session:
        order = create_order(
            session,
            site_id=data.site_id,
            platform="美团优选",
            order_number="N-9-901",
            pickup_code="9-901",
            resident_name="赵女士",
            phone=OVERDUE_PHONE,
            address="7号101室",
            delivery_date=local_today(received),
            items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
            now=received,
        )
        receive_order(session, order_id=order.id, volunteer_id=data.volunteer.volunteer_id, now=received)
    store.dispose()


def shown(at) -> str:
    """Every word the run drew, tables' cells too, Markdown escapes taken out (137\\*\\*\\*\\*2222 reads as
    137****2222)."""
    cells = [frame.value.to_csv() for frame in (*at.dataframe, *at.table)]
    return "\n".join([*texts(at._tree), *cells]).replace("\\", "")


def access_records(data: AppData) -> list[tuple]:
    rows = stored(
        data,
        select(
            AccessRecord.volunteer_id,
            AccessRecord.kind,
            AccessRecord.reason,
            AccessRecord.note,
            AccessRecord.order_id,
            AccessRecord.subject,
            AccessRecord.row_count,
        ).order_by(AccessRecord.id),
    )
    return [tuple(row) for row in rows]


def open_detail(data: AppData, *, language: str = "zh-CN"):
    at = new_app(data, audience=ORGANIZER, language=language).switch_page("pages/orders.py").run()
    at.selectbox(key="orders_detail").select_index(0).run()
    assert not at.exception, [element.value for element in at.exception]
    order_id = stored(data, select(Order.id).where(Order.pickup_code == CODE))[0].id
    return at, order_id


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_number_is_shown_after_a_reason_and_recorded(writable_app_env: AppData, language: str):
    at, order_id = open_detail(writable_app_env, language=language)
    assert RESIDENT_PHONE not in shown(at) and MASKED in shown(at)
    # The correction form's phone box starts empty, the masked number its hint.
    phone_box = at.text_input(key=f"correct_phone_{order_id}")
    assert (phone_box.value, phone_box.placeholder) == ("", MASKED)

    at.radio(key=f"show_number_{order_id}_reason").set_value("call")
    at.button(key=f"show_number_{order_id}_go").click().run()
    assert not at.exception
    organizer = writable_app_env.organizer.volunteer_id
    assert access_records(writable_app_env) == [(organizer, "phone_shown", "call", None, order_id, None, None)]
    assert RESIDENT_PHONE in " ".join(element.value for element in at.markdown)
    assert translate(language, "privacy.shown_recorded") in [caption.value for caption in at.caption]
    assert not at.get("popover")  # shown: nothing more to ask
    # The rest of this session shows it without asking (or recording) again.
    at.run()
    assert RESIDENT_PHONE in shown(at)
    assert len(access_records(writable_app_env)) == 1


def test_other_needs_a_note(writable_app_env: AppData):
    at, order_id = open_detail(writable_app_env)
    at.radio(key=f"show_number_{order_id}_reason").set_value("other")
    at.button(key=f"show_number_{order_id}_go").click().run()
    assert [element.value for element in at.error] == [translate("zh-CN", "error.access_note_needed")]
    assert access_records(writable_app_env) == [] and RESIDENT_PHONE not in shown(at)

    at.radio(key=f"show_number_{order_id}_reason").set_value("other")
    at.text_input(key=f"show_number_{order_id}_note").input("居民电话里问快递员")
    at.button(key=f"show_number_{order_id}_go").click().run()
    assert [row[1:4] for row in access_records(writable_app_env)] == [("phone_shown", "other", "居民电话里问快递员")]
    assert RESIDENT_PHONE in shown(at)


def test_the_orders_export_is_masked_unless_the_organizer_says_why(writable_app_env: AppData, downloads: Downloads):
    at = organizer_on(writable_app_env, "orders")
    masked = downloads.file(at, "orders_export_csv").decode("utf-8-sig")
    assert RESIDENT_PHONE not in masked and MASKED in masked and "张先生" not in masked
    assert access_records(writable_app_env) == []  # a masked file records nothing

    at.toggle(key="orders_export_unmasked").set_value(True).run()
    whole_keys = {"orders_export_whole_csv", "orders_export_whole_xlsx"}
    assert not whole_keys & {button.key for button in at.get("download_button")}  # not before a reason
    at.radio(key="orders_export_reason").set_value("platform_dispute")
    at.button(key="orders_export_go").click().run()
    assert not at.exception
    assert whole_keys <= {button.key for button in at.get("download_button")}
    assert access_records(writable_app_env) == []  # recorded when a file is made, not before

    workbook = pd.read_excel(io.BytesIO(downloads.file(at, "orders_export_whole_xlsx")), dtype=str)
    assert list(workbook[translate("zh-CN", "column.phone")]) == [RESIDENT_PHONE]
    organizer = writable_app_env.organizer.volunteer_id
    assert access_records(writable_app_env) == [
        (organizer, "export_unmasked", "platform_dispute", None, None, "orders", 1)
    ]
    # The switch off: masked files only, and the reason is asked again next time.
    at.toggle(key="orders_export_unmasked").set_value(False).run()
    at.toggle(key="orders_export_unmasked").set_value(True).run()
    assert not whole_keys & {button.key for button in at.get("download_button")}


def test_the_daily_report_masks_numbers_and_records_an_unmasked_workbook(
    writable_app_env: AppData, downloads: Downloads
):
    add_overdue_bag(writable_app_env)
    at = organizer_on(writable_app_env, "daily_report")
    assert OVERDUE_PHONE not in shown(at) and OVERDUE_MASKED in shown(at)
    assert OVERDUE_PHONE.encode() not in downloads.file(at, "daily_xlsx")

    at.toggle(key="daily_unmasked").set_value(True).run()
    at.radio(key="daily_reason").set_value("call")
    at.button(key="daily_go").click().run()
    workbook = pd.read_excel(io.BytesIO(downloads.file(at, "daily_whole_xlsx")), sheet_name=None, dtype=str)
    overdue = workbook[translate("zh-CN", "daily.part.overdue")]
    assert list(overdue[translate("zh-CN", "column.phone")]) == [OVERDUE_PHONE]
    assert [row[1:] for row in access_records(writable_app_env)] == [
        ("export_unmasked", "call", None, None, "daily_report", 1)
    ]


@pytest.fixture
def recorded(writable_app_env: AppData) -> AppData:
    """Three access records of the organizer: a number shown today, an unmasked export today, one 40 days ago."""
    store = make_engine(writable_app_env.url)
    now = utc_now()
    order_id = stored(writable_app_env, select(Order.id).where(Order.pickup_code == CODE))[0].id
    with unit_of_work(store) as session:
        for kind, reason, note, subject, rows, when in (
            ("phone_shown", "call", None, None, None, now - dt.timedelta(days=40)),
            ("export_unmasked", "other", "街道要的名单", "orders", 3, now - dt.timedelta(minutes=5)),
            ("phone_shown", "platform_dispute", None, None, None, now),
        ):
            record_access(
                session,
                site_id=writable_app_env.site_id,
                volunteer_id=writable_app_env.organizer.volunteer_id,
                kind=kind,
                reason=reason,
                note=note,
                order_id=order_id if kind == "phone_shown" else None,
                subject=subject,
                row_count=rows,
                now=when,
            )
    store.dispose()
    return writable_app_env


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_access_records_page_lists_filters_and_exports(recorded: AppData, language: str, downloads: Downloads):
    def say(key: str) -> str:
        return translate(language, key).plain

    at = new_app(recorded, audience=ORGANIZER, language=language).switch_page("pages/access_records.py").run()
    assert not at.exception, [element.value for element in at.exception]
    table = at.dataframe[0].value
    # The last 30 days, newest first, in words.
    assert list(table[say("column.kind")]) == [
        say("value.access_kind.phone_shown"),
        say("value.access_kind.export_unmasked"),
    ]
    assert list(table[say("column.reason")]) == [
        say("value.access_reason.platform_dispute"),
        say("value.access_reason.other"),
    ]
    assert list(table[say("column.subject")]) == ["", say("value.access_subject.orders")]
    assert list(table[say("column.pickup_code")].fillna("")) == [CODE, ""]
    assert list(table[say("column.volunteer_name")]) == ["李主任", "李主任"]
    assert "街道要的名单" in list(table[say("column.note")])

    at.selectbox(key="access_kind").set_value("export_unmasked").run()
    assert list(at.dataframe[0].value[say("column.row_count")]) == [3]
    at.selectbox(key="access_kind").set_value(None).run()
    at.selectbox(key="access_person").set_value(recorded.organizer.volunteer_id).run()
    assert len(at.dataframe[0].value) == 2
    at.date_input(key="access_days").set_value((local_today() - dt.timedelta(days=45), local_today())).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 3
    exported = downloads.file(at, "access_export_csv").decode("utf-8-sig")
    assert say("value.access_kind.export_unmasked") in exported and "街道要的名单" in exported


def test_no_volunteer_page_or_file_shows_a_whole_number(writable_app_env: AppData, downloads: Downloads):
    """Every page a volunteer can open (the desk after a search by the overdue resident's phone tail too), and every
    file on them: no resident's whole number, and no volunteer's number at all; the masked number where a page
    names the resident."""
    add_overdue_bag(writable_app_env)
    whole = (RESIDENT_PHONE, OVERDUE_PHONE, VOLUNTEER_PHONE, ORGANIZER_PHONE)
    for spec in pages_for(VOLUNTEER):
        at = new_app(writable_app_env, audience=VOLUNTEER).switch_page(spec.path).run()
        assert not at.exception, (spec.name, [element.value for element in at.exception])
        if spec.name == "desk":
            at.text_input(key="desk_query").input(OVERDUE_PHONE[-4:]).run()
        words = shown(at)
        assert not [phone for phone in whole if phone in words], spec.name
        if spec.name in ("desk", "overdue_calls"):
            assert OVERDUE_MASKED in words, spec.name
        for button in at.get("download_button"):
            if button.proto.deferred_file_id:
                made = downloads.file(at, button.proto.id.rsplit("-", 1)[-1])
                assert not [phone for phone in whole if phone.encode() in made], (spec.name, button.proto.label)


def test_no_organizer_page_shows_a_residents_whole_number_unasked(writable_app_env: AppData):
    """Masked by default everywhere (the call link's address dials it, its words do not show it); volunteers'
    numbers only where organizers roster them."""
    add_overdue_bag(writable_app_env)
    for spec in pages_for(ORGANIZER):
        at = new_app(writable_app_env, audience=ORGANIZER).switch_page(spec.path).run()
        assert not at.exception, (spec.name, [element.value for element in at.exception])
        words = shown(at)
        assert RESIDENT_PHONE not in words and OVERDUE_PHONE not in words, spec.name
        if spec.name == "volunteers":
            assert VOLUNTEER_PHONE in words
        elif spec.name != "roster":  # the roster shows a shift's people with their numbers once it is opened
            assert VOLUNTEER_PHONE not in words, spec.name
