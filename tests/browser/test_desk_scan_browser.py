"""A handheld scanner at the counter tablet in Chromium (1024×768): the search box is tapped once, then only codes
and Enter are typed, whatever the last answer was — a miss, a bag not taken, a handover undone, a bag not ready, a
bag found by phone tail that asks for the whole phone; then the same at arrivals around "in the slot". Each scan
finds its bag with no tap on the box. An overdue bag's warning and button are in view above the last handover.
Screenshots of each step go to the folder CLOUD_BASKET_SCREENSHOTS names, when it is set; CI takes none (a failing
step's screen is kept anyway, tests/browser/conftest.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.core.clock import local_today
from db.core.models import Order, Slot
from tests.support.app_data import CODE, AppData, add_bag, order_row, receive, stored
from tests.support.browser import IDLE_APP, screenshot_folder, sign_in_on_tablet, zh

HEIGHT = 768


def slot_of(data: AppData, code: str) -> str:
    rows = stored(data, select(Slot.code).join(Order, Order.slot_id == Slot.id).where(Order.pickup_code == code))
    return rows[0].code


def test_a_scanner_finds_each_bag_without_a_tap(page, app_server: str, app_database_copy: AppData):
    from playwright.sync_api import expect  # here: without playwright the fixtures skip before this runs

    data = app_database_copy
    slot = receive(data)
    add_bag(data, code="922041", phone="13900003790", delivered=local_today())
    add_bag(data, code="5-5", phone="13900005555", delivered=local_today() - dt.timedelta(days=20))
    other_slot, overdue_slot = slot_of(data, "922041"), slot_of(data, "5-5")
    add_bag(data, code="7-7", phone="13900007777", delivered=local_today(), received=False)
    for code in ("6-1", "6-2"):
        add_bag(data, code=code, phone="13900006666", delivered=local_today(), received=False)
    shots = screenshot_folder()
    step = iter(range(1, 100))

    def shot(name: str) -> None:
        """The step's run over (the next scan goes to the screen it drew), and its screenshot with a folder."""
        page.locator(IDLE_APP).wait_for()
        number = next(step)
        if shots is not None:
            page.screenshot(path=str(shots / f"desk_scan_{number:02d}_{name}.png"))

    def focused_on(label: str) -> None:
        page.wait_for_function(
            "label => document.activeElement?.getAttribute('aria-label') === label", arg=label, timeout=10_000
        )

    def empty(label: str) -> None:
        """One box labelled `label`, empty. Emptied by the app, a box is drawn anew: until the run ends the old one
        may stand beside it."""
        page.wait_for_function(
            "label => { const boxes = document.querySelectorAll(`input[aria-label='${label}']`);"
            " return boxes.length === 1 && boxes[0].value === ''; }",
            arg=label,
        )

    def scan(code: str, box: str | None = None) -> None:
        """What a keyboard-wedge scanner does: the code's keys and Enter, into whatever has the cursor; then the
        box labelled `box` is empty again (the next scan starts fresh)."""
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        if box is not None:
            empty(box)

    def tap(name: str) -> None:
        page.get_by_role("button", name=name, exact=True).click()

    sign_in_on_tablet(page, app_server)
    search_label = zh("desk.search")
    search = page.get_by_label(search_label)
    search.click()  # once, at the start

    # A misread code, then the right one: not appended to the miss.
    scan("000000", search_label)
    page.get_by_text(zh("desk.nothing_found", text="000000")).wait_for()
    shot("miss")
    scan("922041", search_label)
    page.get_by_role("heading", name=zh("desk.slot", slot=other_slot)).wait_for()
    expect(search).to_have_attribute("placeholder", zh("desk.searched", text="922041"))
    shot("found_not_taken")
    # The resident did not take it; the next resident's code finds theirs.
    scan(CODE, search_label)
    page.get_by_role("heading", name=zh("desk.slot", slot=slot)).wait_for()
    focused_on(zh("desk.search"))
    tap(zh("desk.hand_over"))
    tap(zh("desk.confirm_self"))
    page.get_by_role("button", name=zh("desk.undo")).wait_for()
    shot("handed_over")
    tap(zh("desk.undo"))
    page.get_by_text(zh("desk.undone", code=CODE, slot=slot)).first.wait_for()
    assert order_row(data)[1] == "received"
    empty(search_label)
    focused_on(search_label)
    shot("undone")
    # A bag not checked in yet, then a bag that is.
    scan("7-7", search_label)
    page.get_by_text(zh("desk.not_ready", status=zh("value.status.expected"))).wait_for()
    toasts = page.locator('[data-testid="stToast"]')
    expect(toasts).to_have_count(0)  # the undo's toast went with the run it belonged to
    shot("not_ready")
    scan("922041", search_label)
    page.get_by_role("heading", name=zh("desk.slot", slot=other_slot)).wait_for()
    focused_on(zh("desk.search"))

    # Found by the phone tail, as a group notice's reader might try: the whole phone first, typed and checked.
    scan("3790", search_label)
    page.get_by_role("heading", name=zh("desk.slot", slot=other_slot)).wait_for()
    tap(zh("desk.hand_over"))
    focused_on(zh("desk.proof"))
    assert page.get_by_role("button", name=zh("desk.confirm_self")).count() == 0
    scan("13900003791", zh("desk.proof"))
    page.get_by_text(zh("desk.proof_wrong", tries=3)).wait_for()
    shot("proof_wrong")
    focused_on(zh("desk.proof"))
    scan("139 0000 3790")  # right: the box gives way to "who collected"
    tap(zh("desk.confirm_self"))
    page.get_by_role("button", name=zh("desk.undo")).wait_for()
    focused_on(zh("desk.search"))
    shot("handed_over_by_whole_phone")

    # An overdue bag right after a handover: its warning and its button first, in view, above the banner.
    scan("5-5", search_label)
    warning = page.get_by_text(zh("desk.overdue"), exact=True)
    warning.wait_for()
    shot("overdue_after_a_handover")
    hand_over = page.get_by_role("button", name=zh("desk.hand_over"), exact=True)
    banner = page.get_by_text(zh("desk.handed_over", code="922041", slot=other_slot, until="")[:10])
    for shown in (warning, hand_over):
        box = shown.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, box
        assert box["y"] < banner.bounding_box()["y"]
    assert overdue_slot

    # Arrivals: the code box tapped once; a miss, a bag in, "in the slot", the next bag — no tap on the box.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=zh("page.arrivals.title")).click()
    page.get_by_role("heading", name=zh("page.arrivals.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    code_label = zh("arrivals.code")
    page.get_by_label(code_label).click()
    scan("0000", code_label)
    page.get_by_text(zh("error.pickup_code_not_found", code="0000")).wait_for()
    shot("arrivals_miss")
    focused_on(zh("arrivals.code"))
    scan("6-1", code_label)
    page.get_by_text(zh("arrivals.bag", code="6-1")).wait_for()
    first_slot = slot_of(data, "6-1")
    page.get_by_role("heading", name=zh("arrivals.put_in", slot=first_slot)).wait_for()
    shot("arrivals_put_in")
    # The last bag's two buttons share a row on the tablet: each says all its words (the undo's time ended in "…").
    cut = page.locator('[data-testid="stMain"] button [data-testid="stMarkdownContainer"]').evaluate_all(
        "boxes => boxes.filter(box => box.scrollWidth > box.clientWidth + 1).map(box => box.textContent)"
    )
    assert cut == []
    tap(zh("arrivals.shelved", slot=first_slot))
    page.get_by_text(zh("arrivals.shelved_done", code="6-1", slot=first_slot)).first.wait_for()
    focused_on(zh("arrivals.code"))
    scan("6-2", code_label)
    page.get_by_text(zh("arrivals.bag", code="6-2")).wait_for()
    page.get_by_role("heading", name=zh("arrivals.put_in", slot=slot_of(data, "6-2"))).wait_for()
    expect(toasts).to_have_count(0)
    shot("arrivals_next_bag")
    assert page.locator('[data-testid="stException"]').count() == 0
