"""The residents' status page under AppTest: the answers, identical refusals, throttling shared by every process,
the whole phone number for a much-guessed code, and no leaks."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.errors import FullPhoneNeeded
from db.core.models import LookupAttempt, Order
from db.orders.lifecycle import find_orders, receive_order
from db.orders.residents import lookup_order_status, normalize_pickup_code
from db.people.site_rules import update_site_rules
from db.people.sites import get_site_rules
from db.people.throttling import FIRST_DELAY, PER_SECRET_AND_CLIENT
from tests.support.app_data import AppData
from tests.support.pages import new_app, texts
from ui.i18n import message, translate
from ui.pages_registry import ORGANIZER, PUBLIC, VOLUNTEER, page_spec

# The app database's one order: 张先生, 13700002222, pickup code 8-123, expected today.
CODE, TAIL = "8-123", "2222"
FULL_PHONE = re.compile(r"1\d{10}")


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def ask(at: AppTest, *, code: str, tail: str) -> AppTest:
    at.text_input(key="status_pickup_code").input(code)
    at.text_input(key="status_phone_tail").input(tail)
    return at.button(key="status_submit").click().run()


def status_page(data: AppData) -> AppTest:
    at = new_app(data, audience=PUBLIC).switch_page(page_spec("status").path).run()
    assert not at.exception
    return at


def answer(at: AppTest) -> list[tuple[str, str]]:
    """What the page shows below the form, in order: every element but the inputs, which echo what was typed."""
    shown = []

    def walk(node) -> None:  # an AppTest element tree node
        for child in getattr(node, "children", {}).values():
            kind = getattr(child, "type", "")
            if kind not in ("text_input", "form", "") and not kind.endswith("button"):
                shown.append((kind, str(getattr(child, "value", ""))))
            walk(child)

    walk(at.main)
    return shown


def test_a_wrong_code_and_a_wrong_phone_get_the_same_page(writable_app_env: AppData):
    wrong_code = answer(ask(status_page(writable_app_env), code="8-124", tail=TAIL))
    wrong_phone = answer(ask(status_page(writable_app_env), code=CODE, tail="2223"))
    assert wrong_code == wrong_phone
    assert ("warning", zh("status.not_found")) in wrong_code


def test_the_right_pair_tells_the_state_the_collect_by_day_and_shows_a_qr(writable_app_env: AppData):
    at = ask(status_page(writable_app_env), code=CODE, tail=TAIL)
    assert not at.exception
    assert [element.value for element in at.info] == [zh("status.state.not_arrived")]
    assert len(at.get("image")) == 1
    everything = " ".join(texts(at._tree))
    assert "张" not in everything and not FULL_PHONE.search(everything)


def test_a_ready_bag_shows_its_slot(writable_app_env: AppData):
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        order_id = find_orders(session, site_id=writable_app_env.site_id, text=CODE, now=utc_now(), hold_days=3)[0].id
        slot = receive_order(
            session, order_id=order_id, volunteer_id=writable_app_env.volunteer.volunteer_id, now=utc_now()
        )
    store.dispose()
    at = ask(status_page(writable_app_env), code=normalize_pickup_code(CODE).lower(), tail=TAIL)
    assert len(at.success) == 1 and slot in at.success[0].value.replace("\\", "")


def test_the_delay_holds_for_a_fresh_session(writable_app_env: AppData):
    at = status_page(writable_app_env)
    for number in range(PER_SECRET_AND_CLIENT.free_tries):
        ask(at, code=CODE, tail=f"{number:04d}")
        assert ("warning", zh("status.not_found")) in answer(at)
    # A new browser session (new AppTest, nothing shared but the database) with the right pair is held off.
    fresh = ask(status_page(writable_app_env), code=CODE, tail=TAIL)
    assert not fresh.exception
    assert len(fresh.error) == 1 and fresh.error[0].value == throttled_message("zh-CN", writable_app_env)
    assert not fresh.info and not fresh.get("imgs")


def throttled_message(language: str, data: AppData) -> str:
    """The throttled answer as the page words it: the last failed try plus the first delay, on the site's clock."""
    store = make_engine(data.url)
    with unit_of_work(store) as session:
        last = session.scalar(select(func.max(LookupAttempt.attempted_at)))
    store.dispose()
    return translate(language, "status.throttled", until=last.replace(tzinfo=dt.UTC) + FIRST_DELAY)


def test_a_throttled_visitor_is_told_when_to_retry_and_that_the_desk_can_help(writable_app_env: AppData):
    at = status_page(writable_app_env)
    for number in range(PER_SECRET_AND_CLIENT.free_tries):
        ask(at, code=CODE, tail=f"{number:04d}")
    for language in ("zh-CN", "en"):
        fresh = new_app(writable_app_env, language=language).switch_page(page_spec("status").path).run()
        ask(fresh, code=CODE, tail=TAIL)
        assert not fresh.exception
        assert [element.value for element in fresh.error] == [throttled_message(language, writable_app_env)]
        assert not fresh.success and not fresh.info


def test_a_bag_past_its_collect_by_day_says_overdue_and_sends_to_the_desk(writable_app_env: AppData):
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        order = session.scalars(select(Order).where(Order.pickup_code == normalize_pickup_code(CODE))).one()
        order.delivery_date = local_today() - dt.timedelta(days=6)
        receive_order(session, order_id=order.id, volunteer_id=writable_app_env.volunteer.volunteer_id, now=utc_now())
        hold_days = get_site_rules(session, site_id=writable_app_env.site_id).hold_days
        last_day = order.delivery_date + dt.timedelta(days=hold_days - 1)
    store.dispose()
    for language in ("zh-CN", "en"):
        at = new_app(writable_app_env, language=language).switch_page(page_spec("status").path).run()
        ask(at, code=CODE, tail=TAIL)
        assert not at.exception
        expected = translate(language, "status.state.overdue", date=f"{last_day:%Y-%m-%d}", days=hold_days)
        assert [element.value for element in at.warning] == [expected]
        # No "ready" and no "please collect by" a past day; the QR stays for the desk.
        assert not at.success and not any(
            message(language, "status.collect_by").split("{")[0] in str(element.value) for element in at.markdown
        )
        assert len(at.get("image")) == 1


def test_a_much_guessed_code_asks_for_the_whole_phone_and_the_owner_gets_in(writable_app_env: AppData):
    store = make_engine(writable_app_env.url)
    for number in range(20):
        with contextlib.suppress(FullPhoneNeeded), unit_of_work(store) as session:
            # After five misses the code wants the whole number from everyone: that is the point.
            lookup_order_status(
                session,
                site_id=writable_app_env.site_id,
                pickup_code=CODE,
                phone_tail=f"{number:04d}",
                client=f"10.9.0.{number}",
                now=utc_now(),
            )
    store.dispose()
    at = ask(status_page(writable_app_env), code=CODE, tail=TAIL)
    assert [element.value for element in at.error] == [zh("error.full_phone_needed")]
    at.button(key="status_full_phone_go").click().run()
    at.text_input(key="status_pickup_code").input(CODE)
    at.text_input(key="status_phone").input("137 0000 2222")
    at.button(key="status_submit").click().run()
    assert not at.exception and not at.error
    assert [element.value for element in at.info] == [zh("status.state.not_arrived")]


def test_bad_input_is_said_plainly(app_env: AppData):
    at = ask(status_page(app_env), code=CODE, tail="22")
    assert [element.value for element in at.error] == [zh("error.phone_tail_format")]


def test_no_page_shows_a_whole_phone_number_to_volunteers_or_residents(app_env: AppData):
    from ui.pages_registry import PAGES

    for audience in (PUBLIC, VOLUNTEER):
        for spec in PAGES:
            at = new_app(app_env, audience=audience).switch_page(spec.path).run()
            shown = list(texts(at._tree))
            shown += [str(cell) for frame in at.dataframe for cell in frame.value.to_numpy().ravel()]
            assert [text for text in shown if FULL_PHONE.search(text)] == [], (audience, spec.name)
    # Organizers do see them whole, on the volunteers page (docs/security.md).
    at = new_app(app_env, audience=ORGANIZER).switch_page(page_spec("volunteers").path).run()
    assert "13812345678" in {str(cell) for frame in at.dataframe for cell in frame.value.to_numpy().ravel()}


def test_the_qr_code_reads_back_as_the_desk_expects():
    import io

    import pytest

    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp reads QR codes back")
    from PIL import Image

    from db.orders.lifecycle import parse_qr_payload, qr_payload
    from ui.qr import qr_png

    payload = qr_payload(site_code="TS2", pickup_code=CODE)
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload))))
    assert parse_qr_payload(found.text) == ("TS2", CODE)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_residents_read_what_is_kept_how_long_and_whom_to_ask_before_any_lookup(
    writable_app_env: AppData, language: str
):
    def privacy_lines(at: AppTest) -> str:
        assert not at.exception
        assert translate(language, "status.privacy_head") in [element.value for element in at.subheader]
        [section] = [
            element.value for element in at.markdown if translate(language, "status.privacy_what") in element.value
        ]
        return section

    opened = new_app(writable_app_env, language=language).switch_page(page_spec("status").path).run()
    section = privacy_lines(opened)
    assert translate(language, "status.privacy_how_long", days=30, never_closed_days=60) in section
    # No contact set yet: ask at the pickup desk.
    assert translate(language, "status.privacy_ask_desk") in section
    # The section names nobody: no resident's name, no phone number.
    everything = " ".join(texts(opened._tree))
    assert "张" not in everything and not FULL_PHONE.search(everything)

    contact = "天山二村居委会 **6259 0000** <b>x</b>"
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        changes = {"personal_data_days": 1, "privacy_contact": contact}
        update_site_rules(
            session,
            site_id=writable_app_env.site_id,
            changes=changes,
            actor_id=writable_app_env.organizer.volunteer_id,
            now=utc_now(),
        )
    store.dispose()
    section = privacy_lines(new_app(writable_app_env, language=language).switch_page(page_spec("status").path).run())
    assert translate(language, "status.privacy_how_long", days=1, never_closed_days=31) in section
    # The committee's contact as typed: escaped for Markdown by the translator, so it reads as text.
    assert translate(language, "status.privacy_ask", contact=contact) in section
    assert "**6259" not in section and "<b>" not in section
