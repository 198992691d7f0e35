"""The labels page under AppTest: bag and slot label sheets, with every text from data escaped for st.html."""

from __future__ import annotations

from db.cold_chain.units import create_storage_unit
from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from tests.support.app_data import CODE, AppData
from tests.support.pages import organizer_on
from ui.i18n import translate

HOSTILE = '<img src=x onerror="alert(1)">**柜**'


def sheet(at) -> str:
    bodies = [element.proto.body for element in at.get("html") if "cb-labels" in element.proto.body]
    assert len(bodies) == 1
    return bodies[0]


def test_todays_bag_labels_carry_code_and_qr(app_env: AppData):
    at = organizer_on(app_env, "labels")
    body = sheet(at)
    assert CODE in body
    # The one bag: its masked name and one QR image.
    assert "张**" in body
    assert body.count('<img src="data:image/png;base64,') == 1
    assert [caption.value for caption in at.caption][0] == translate("zh-CN", "labels.count", count=1).plain


def test_slot_labels_escape_a_unit_name(writable_app_env: AppData):
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        unit_id = create_storage_unit(
            session,
            site_id=writable_app_env.site_id,
            code="X9",
            name=HOSTILE,
            kind="shelf",
            slot_count=2,
            now=utc_now(),
        ).id
    store.dispose()
    at = organizer_on(writable_app_env, "labels")
    at.radio(key="labels_kind").set_value("slots").run()
    assert not at.exception
    # F1 6, Z1 4, S1 10 and X9 2 slots.
    assert sheet(at).count('<img src="data:image/png;base64,') == 22
    at.selectbox(key="labels_unit").set_value(unit_id).run()
    body = sheet(at)
    assert body.count('<img src="data:image/png;base64,') == 2
    assert "X9-01" in body and "X9-02" in body
    # The unit's name arrives as text: no tag, no Markdown.
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;**柜**" in body
