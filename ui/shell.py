"""The app shell around every page: store, language, who is signed in, idle sign-out, and the menu."""

from __future__ import annotations

import gc
import sys
import threading

import streamlit as st

from ui.elder import elder_mode_on, elder_mode_switch
from ui.i18n import t
from ui.page_language import mark_page_language
from ui.pages_registry import HOME, ORGANIZER, PAGES, SIGN_IN_PAGE, page_spec
from ui.session import (
    current_device,
    end_session,
    forget_left_pages,
    pop_notice,
    restore_sign_in,
    sign_out_if_idle,
    sync_cookies,
    watch_idle,
)
from ui.signed_in import current_audience, current_user
from ui.store import builds_demo, engine_ready, get_engine
from ui.style import apply_elder_style, apply_tablet_style
from ui.switches import acting_site_switch, language_switch

# Per script thread (one run of one browser session at a time), not session_state: a stopped run must not
# leave it set.
_shell = threading.local()
# How many modules were loaded when this process last froze what it had loaded (see _freeze_loaded).
_frozen_at = [0]
_freezing = threading.Lock()


def run_app() -> None:
    """What app.py does on every run, top to bottom."""
    # .streamlit/config.toml hides the menu of file names Streamlit's pages/ auto-discovery shows on a process's
    # first run; the app's own menu is wanted, and st.navigation reads the option when it is called.
    st.set_option("client.showSidebarNavigation", True)
    st.set_page_config(page_title=t("app.title"), page_icon="🧺", layout="wide")
    if not engine_ready():
        first_start()
    get_engine()  # migrates (and on the embedded demo database, seeds) before the first page needs it
    restore_sign_in()
    signed_out_idle = sign_out_if_idle()
    # Expanded: an organizer has more pages than Streamlit lists before folding the rest under "View more".
    page = st.navigation(build_navigation(current_audience()), expanded=True)
    if signed_out_idle:
        # The tablet goes back to the sign-in screen for the next volunteer; the notice says why.
        st.switch_page(page_spec(SIGN_IN_PAGE).path)
    apply_tablet_style()
    if elder_mode_on():
        apply_elder_style()
    sidebar(on_sign_in=page.url_path == page_spec(SIGN_IN_PAGE).url_path)
    notice = pop_notice()
    if notice:
        st.info(notice)
        # Also where the eye is: after a tap halfway down a page the message at the top is scrolled out of view.
        st.toast(notice, duration="long")
    with st.sidebar:
        drop_stale_toasts(keep=notice.plain if notice else "")
        mark_page_language()
    forget_left_pages(current=page.url_path)
    _shell.running = True
    try:
        page.run()
    finally:
        _shell.running = False
        _freeze_loaded()


def _freeze_loaded() -> None:
    """After a run that loaded modules (the process's first, a page's first visit): what is loaded by then (modules,
    the engine, the catalogs) lives as long as the process, so Python's collector stops walking it (gc.freeze). A
    full collection of the whole heap took 0.1-0.45 s, during which the screen waited; .streamlit/config.toml turns
    off Streamlit's own after every run, and this keeps Python's occasional one short."""
    with _freezing:
        if len(sys.modules) > _frozen_at[0]:
            _frozen_at[0] = len(sys.modules)
            gc.collect()  # the garbage of the start, not frozen with it
            gc.freeze()


# Closes every toast but this run's: a toast is the notice of the run that posted it, and Streamlit keeps it on
# screen (ten seconds) through the next scan, a page switch, anything. Compared as rendered text, spaces and word
# joiners left out. The component redraws (and runs) whenever the notice changes, which every run after a notice does.
_TOASTS_JS = """
export default function (component) {
  const words = (text) => (text || "").replace(/[\\s\\u200b-\\u200d\\u2060\\ufeff]/g, "");
  const keep = words((component.data || {}).keep);
  for (const toast of document.querySelectorAll('[data-testid="stToast"]')) {
    if (!keep || words(toast.innerText) !== keep) toast.querySelector("button")?.click();
  }
}
"""
_toasts = st.components.v2.component("cloudbasket_toasts", js=_TOASTS_JS)


def drop_stale_toasts(*, keep: str) -> None:
    """Once per run: toasts of earlier runs go; `keep` is this run's notice (plain words), or ""."""
    _toasts(key="cloudbasket_toasts", data={"keep": keep}, height=0)


def first_start() -> None:
    """The process's first run: the menu and the app's own words at once, then the slow part (migrating, and on
    the embedded database building the demo), then the page asked for.

    `st.navigation` comes first so the sidebar shows the app's menu, never the file names of Streamlit's `pages/`
    auto-discovery; nobody is signed in yet in a new process's session state, so it is the public menu, with every
    page registered (the address asked for is kept)."""
    st.navigation(build_navigation(current_audience()), expanded=True)
    apply_tablet_style()
    st.title(t("app.title"))
    with st.spinner(t("app.building_demo" if builds_demo() else "app.starting")):
        get_engine()
    st.rerun()


def build_navigation(audience: str) -> dict[str, list[st.Page]]:
    """Every page is registered, so any page's URL runs its own guard instead of silently showing the home page;
    only the pages this audience may see are listed in the menu."""
    # Streamlit serves the default page at `/` and ignores its url_path, so no real page is the default:
    # a hidden landing page is, and every page keeps its own address (`/status?site=TS2` on a poster).
    landing = st.Page(land_on_home, title=t("app.title"), url_path="home", default=True, visibility="hidden")
    sections: dict[str, list[st.Page]] = {"": [landing]}
    for spec in PAGES:
        allowed = audience in spec.audiences
        page = st.Page(
            spec.path,
            title=t(spec.title_key),
            icon=spec.icon,
            url_path=spec.url_path,
            visibility="visible" if allowed else "hidden",
        )
        # Hidden pages go in an untitled group: a section of only hidden pages would still show its title.
        sections.setdefault(t(spec.section_key) if allowed else "", []).append(page)
    return sections


def land_on_home() -> None:
    """The root address: on to this audience's home page, keeping the query (`/?site=TS2`)."""
    st.switch_page(page_spec(HOME[current_audience()]).path, query_params=st.query_params.to_dict())


def sidebar(*, on_sign_in: bool) -> None:
    with st.sidebar:
        sync_cookies()
        user = current_user()
        if user is not None:
            # Sign-out first, right under the menu: on the landscape tablet it stays in view without scrolling.
            if st.button(t("sidebar.sign_out"), key="sign_out", icon=":material/logout:", width="stretch"):
                end_session()
                st.switch_page(page_spec(SIGN_IN_PAGE).path)
            st.caption(t("sidebar.signed_in_as", name=user.name, audience=t(f"audience.{current_audience()}")))
            if current_audience() == ORGANIZER:
                acting_site_switch()
        language_switch()
        device = current_device()
        # 长辈模式: always on the counter tablet (the tablet's own, or the signed-in volunteer's), and on the sign-in
        # screen anywhere (this browser session's); elsewhere a volunteer switches it on the account page.
        if (device is not None and device.kind == "tablet") or on_sign_in:
            elder_mode_switch()
        if user is not None:
            watch_idle()


def ensure_shell() -> None:
    """Run the shell around a page that was started without it, then end the bare run.

    Streamlit's legacy `pages/` auto-discovery runs a page file on its own on a process's first run (and on every
    AppTest run). Calling `st.navigation` in `run_app` switches that mode off for the process; doing it within the
    same run keeps the click or input that started the run."""
    if getattr(_shell, "running", False):
        return
    run_app()
    st.stop()
