"""The sidebar's switches and the site picker: which pickup point a screen is about, and the language."""

from __future__ import annotations

import streamlit as st

from db.people.sites import SiteInfo, list_organizer_sites
from ui.i18n import (
    LANGUAGE_NAMES,
    LANGUAGE_STATE_KEY,
    LANGUAGES,
    current_language,
    t,
)
from ui.signed_in import act_for_site, acting_site_id, current_user
from ui.store import cached_read


def choose_site(sites: list[SiteInfo], *, key: str) -> SiteInfo | None:
    """The pickup point this screen is about: asked only when there is more than one."""
    if not sites:
        st.info(t("site.none"))
        return None
    if len(sites) == 1:
        return sites[0]
    return st.selectbox(t("site.choose"), sites, format_func=lambda site: f"{site.name} ({site.code})", key=key)


def organizer_sites(volunteer_id: int) -> list[SiteInfo]:
    """The sites this organizer may act for (read through the short cache: every organizer run asks)."""
    sites: list[SiteInfo] = cached_read(list_organizer_sites, volunteer_id=volunteer_id)
    return sites


def acting_site_switch() -> None:
    """In the sidebar, for an organizer of several sites: which site the pages are about (ui.session)."""
    user = current_user()
    if user is None:
        return
    sites = organizer_sites(user.volunteer_id)
    if len(sites) < 2:
        return
    by_id = {site.id: site for site in sites}
    if acting_site_id() not in by_id:
        act_for_site(user.site_id if user.site_id in by_id else sites[0].id)

    def _keep_choice() -> None:
        act_for_site(st.session_state["acting_site_choice"])

    # Seeded each run from our own key: the district view may have opened another site meanwhile.
    st.session_state["acting_site_choice"] = acting_site_id()
    st.selectbox(
        t("site.acting"),
        list(by_id),
        format_func=lambda site_id: f"{by_id[site_id].name} ({by_id[site_id].code})",
        key="acting_site_choice",
        on_change=_keep_choice,
    )


def language_switch() -> None:
    """中文 / English in the sidebar; the choice lasts for this browser session."""

    def _keep_choice() -> None:
        st.session_state[LANGUAGE_STATE_KEY] = st.session_state["language_choice"]

    # Seeded from our own key each run: a widget's value is dropped on a page switch, the session's language is not.
    st.session_state["language_choice"] = current_language()
    st.radio(
        t("sidebar.language"),
        LANGUAGES,
        format_func=LANGUAGE_NAMES.__getitem__,
        horizontal=True,
        key="language_choice",
        on_change=_keep_choice,
    )
