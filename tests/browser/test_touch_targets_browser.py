"""On the counter's 10-inch tablet (1024×768) every control a volunteer taps is at least 48 px each way."""

from __future__ import annotations

from tests.support.browser import IDLE_APP, open_page, sign_in_on_tablet, zh
from tests.support.page_scan import small_targets
from ui.pages_registry import SIGN_IN_PAGE, VOLUNTEER, pages_for

MINIMUM_PX = 48


def test_every_volunteer_page_has_only_touch_sized_controls(page, app_server: str):
    offenders: dict[str, list[str]] = {}
    open_page(page, f"{app_server}/sign_in", zh("page.sign_in.title"))
    offenders[SIGN_IN_PAGE] = small_targets(page, minimum=MINIMUM_PX)

    sign_in_on_tablet(page, app_server)
    visited = [SIGN_IN_PAGE]
    for spec in pages_for(VOLUNTEER):
        if spec.name == SIGN_IN_PAGE:
            continue
        # Through the menu: a fresh page load would start a new, signed-out session.
        page.locator(f'[data-testid="stSidebarNavLink"][href$="/{spec.url_path}"]').click()
        page.get_by_role("heading", name=zh(spec.title_key)).first.wait_for()
        page.locator(IDLE_APP).wait_for()
        offenders[spec.name] = small_targets(page, minimum=MINIMUM_PX)
        visited.append(spec.name)

    # The sidebar folded away: its toggle is then the only way back to the menu.
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.locator('[data-testid="stExpandSidebarButton"]').wait_for()
    # The menu's links shrink while the sidebar slides away (18 px wide mid-way on a busy machine): measure once the
    # fold has ended, within five seconds; a target still small then is a real one.
    for _ in range(20):
        offenders["folded sidebar"] = small_targets(page, minimum=MINIMUM_PX)
        if not offenders["folded sidebar"]:
            break
        page.wait_for_timeout(250)

    assert visited == [SIGN_IN_PAGE, *(spec.name for spec in pages_for(VOLUNTEER))]
    assert {name: found for name, found in offenders.items() if found} == {}
