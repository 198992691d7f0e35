"""Sign-in: a volunteer on the shared tablet by name and PIN, an organizer by username and password."""

import streamlit as st

from db.accounts import list_volunteers_for_sign_in, sign_in_organizer, sign_in_volunteer
from db.clock import utc_now
from db.errors import StoreError
from db.sites import list_sites
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import HOME, ORGANIZER, PUBLIC, VOLUNTEER, page_spec
from ui.session import post_notice, start_session
from ui.store import get_engine, read_scope
from ui.widgets import choose_site, page_header, show_error

require_role(PUBLIC)
page_header("sign_in")

volunteer_tab, organizer_tab = st.tabs([t("sign_in.volunteer_tab"), t("sign_in.organizer_tab")])

with volunteer_tab:
    with read_scope() as session:
        sites = list_sites(session)
    site = choose_site(sites, key="sign_in_site")
    if site is not None:
        with read_scope() as session:
            volunteers = list_volunteers_for_sign_in(session, site_id=site.id)
        with st.form("volunteer_sign_in"):
            volunteer = st.selectbox(
                t("sign_in.name"), volunteers, index=None, format_func=lambda choice: choice.name,
                placeholder=t("sign_in.name_placeholder"), key="sign_in_volunteer",
            )
            pin = st.text_input(t("sign_in.pin"), type="password", max_chars=6, key="sign_in_pin")
            pin_submitted = st.form_submit_button(
                t("sign_in.submit"), type="primary", width="stretch", key="sign_in_volunteer_submit"
            )
        if pin_submitted and volunteer is None:
            st.warning(t("sign_in.choose_name"))
        elif pin_submitted:
            try:
                user = sign_in_volunteer(
                    get_engine(), site_id=site.id, volunteer_id=volunteer.id, pin=pin.strip(), now=utc_now()
                )
            except StoreError as error:
                show_error(error)
            else:
                start_session(user, audience=VOLUNTEER, now=utc_now())
                post_notice("sign_in.welcome", name=user.name)
                st.switch_page(page_spec(HOME[VOLUNTEER]).path)

with organizer_tab, st.form("organizer_sign_in"):
    username = st.text_input(t("sign_in.username"), key="sign_in_username")
    password = st.text_input(t("sign_in.password"), type="password", key="sign_in_password")
    password_submitted = st.form_submit_button(
        t("sign_in.submit"), type="primary", width="stretch", key="sign_in_organizer_submit"
    )
if password_submitted:
    try:
        user = sign_in_organizer(get_engine(), username=username, password=password, now=utc_now())
    except StoreError as error:
        with organizer_tab:
            show_error(error)
    else:
        start_session(user, audience=ORGANIZER, now=utc_now())
        post_notice("sign_in.welcome", name=user.name)
        st.switch_page(page_spec(HOME[ORGANIZER]).path)
