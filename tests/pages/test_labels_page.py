"""The labels page under AppTest: bag and slot label sheets, every text from data shown as text."""

from __future__ import annotations

from db.cold_chain.units import create_storage_unit
from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from tests.support.app_data import CODE, AppData
from tests.support.pages import organizer_on
from ui.i18n import translate

HOSTILE = '<img src=x onerror="alert(1)">**柜**'


def sheet(at) -> tuple[list[str], list[str], int]:
    """The cards' codes (as their Markdown), detail lines and QR images."""
    codes = [element.value for element in at.markdown if element.value.startswith("**")]
    # The captions under the cards: after the page's own two (how many, how to print).
    lines = [element.value for element in at.caption][2:]
    images = len(at.get("image"))
    return codes, lines, images


def test_todays_bag_labels_carry_code_and_qr(app_env: AppData):
    at = organizer_on(app_env, "labels")
    codes, lines, images = sheet(at)
    assert codes == [translate("zh-CN", "labels.code", code=CODE)]
    assert any("张" in line for line in lines)
    assert images == 1
    assert translate("zh-CN", "labels.count", count=1) in [caption.value for caption in at.caption]


def test_slot_labels_show_a_unit_name_as_text(writable_app_env: AppData):
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
    assert sheet(at)[2] == 22
    at.selectbox(key="labels_unit").set_value(unit_id).run()
    codes, lines, images = sheet(at)
    assert images == 2
    assert codes == [translate("zh-CN", "labels.code", code=code) for code in ("X9-01", "X9-02")]
    # The unit's name goes through the translator's escapes: Markdown shows it as typed, no tag, no bold.
    assert lines[:2] == [translate("zh-CN", "labels.line", line=f"常温 · {HOSTILE}")] * 2
    assert "<img" not in lines[0].replace("\\<", "")
