"""The desk, when it finds a bag, says whether the resident was told: the group notice that named it and the last
call about it (AppTest)."""

from __future__ import annotations

from sqlalchemy import select

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Order
from db.orders.calls import record_call
from db.orders.notices import record_notice_copied
from tests.support.app_data import CODE, AppData, receive
from tests.support.pages import new_app
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER


def test_the_desk_shows_the_notice_and_the_last_call(writable_app_env: AppData):
    receive(writable_app_env)
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run()
    at.text_input(key="desk_query").input(CODE).run()
    assert not at.exception
    before = [caption.value for caption in at.caption]
    store = make_engine(writable_app_env.url)
    volunteer = writable_app_env.volunteer.volunteer_id
    with unit_of_work(store) as session:
        order_id = session.scalar(select(Order.id).where(Order.pickup_code == CODE))
        site_id = writable_app_env.site_id
        record_notice_copied(
            session, site_id=site_id, kind="arrivals", order_ids=[order_id], volunteer_id=volunteer, now=utc_now()
        )
        record_call(
            session,
            site_id=site_id,
            order_ids=[order_id],
            outcome="see_note",
            note="晚上七点来",
            volunteer_id=volunteer,
            now=utc_now(),
        )
    store.dispose()
    at.run()
    after = [caption.value for caption in at.caption if caption.value not in before]
    told = translate("zh-CN", "value.notice.arrivals").plain
    assert any(told in caption and "王阿姨" in caption for caption in after), after
    assert any("晚上七点来" in caption for caption in after), after
