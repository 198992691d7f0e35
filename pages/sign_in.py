"""Sign-in: on an enrolled counter tablet a volunteer picks their name and types the PIN; anywhere else a volunteer
types their username or mobile number and PIN (no list of names); an organizer uses username and password."""

import streamlit as st

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.people.accounts import (
    SignedIn,
    list_volunteers_for_sign_in,
    sign_in_organizer,
    sign_in_volunteer,
    sign_in_volunteer_elsewhere,
)
from db.people.devices import KnownDevice
from db.people.sites import get_site
from ui.guard import require_role
from ui.i18n import t
from ui.keyboard import NUMERIC, input_hints
from ui.pages_registry import HOME, ORGANIZER, PUBLIC, VOLUNTEER, page_spec
from ui.session import current_client, current_device, post_notice, start_session
from ui.store import get_engine, read_scope
from ui.widgets import page_header

require_role(PUBLIC)
# Refused sign-ins in this browser session: each puts the cursor back into the PIN.
FAILED_KEY = "sign_in_refused"
page_header("sign_in")


def signed_in(user: SignedIn, audience: str) -> None:
    start_session(user, audience=audience, now=utc_now())
    post_notice("sign_in.welcome", name=user.name)
    st.switch_page(page_spec(HOME[audience]).path)


def refused(answer, error: StoreError, *, next_key: str) -> None:  # answer: an st.empty() above the form
    """A refused sign-in says why and what to do next (try again, or ask an organizer for a reset), above the form
    so the tablet shows it without scrolling; the waits of the throttling (docs/security.md) stay as they are."""
    # One box, so the form's fields stay in view below it; both texts are catalog messages (safe as Markdown).
    answer.error(f"{t(error.key, **error.params)}\n\n{t(next_key)}")
    st.session_state[FAILED_KEY] = st.session_state.get(FAILED_KEY, 0) + 1


def keypads() -> None:
    """The PIN opens the numeric keypad on the tablet (Streamlit's inputs have no parameter for it); after a
    refusal the cursor goes back into it, in view."""
    failed = st.session_state.get(FAILED_KEY, 0)
    input_hints(
        modes={t("sign_in.pin"): NUMERIC},
        focus=t("sign_in.pin") if failed else None,
        reveal="sign_in_pin" if failed else None,
        token=failed,
    )


def tablet_form(device: KnownDevice) -> None:
    """The counter tablet: the site's volunteers by name, then the PIN."""
    with read_scope() as session:
        site = get_site(session, site_id=device.site_id)
        volunteers = list_volunteers_for_sign_in(session, site_id=device.site_id)
    st.caption(t("sign_in.tablet_of", tablet=device.name, site=site.name))
    answer = st.empty()
    with st.form("volunteer_sign_in"):
        volunteer = st.selectbox(
            t("sign_in.name"),
            volunteers,
            index=None,
            format_func=lambda choice: choice.name,
            placeholder=t("sign_in.name_placeholder"),
            key="sign_in_volunteer",
        )
        pin = st.text_input(t("sign_in.pin"), type="password", max_chars=6, key="sign_in_pin")
        submitted = st.form_submit_button(
            t("sign_in.submit"), type="primary", width="stretch", key="sign_in_volunteer_submit"
        )
    if submitted and volunteer is None:
        answer.warning(t("sign_in.choose_name"))
    elif submitted:
        try:
            user = sign_in_volunteer(
                get_engine(),
                site_id=device.site_id,
                volunteer_id=volunteer.id,
                pin=pin.strip(),
                client=current_client(),
                now=utc_now(),
            )
        except StoreError as error:
            refused(answer, error, next_key="sign_in.pin_next")
        else:
            signed_in(user, VOLUNTEER)


def elsewhere_form() -> None:
    """Away from the counter: nothing here tells a visitor who volunteers at the pickup point."""
    st.caption(t("sign_in.elsewhere_hint"))
    answer = st.empty()
    with st.form("volunteer_sign_in_elsewhere"):
        login = st.text_input(t("sign_in.login"), max_chars=50, key="sign_in_login")
        pin = st.text_input(t("sign_in.pin"), type="password", max_chars=6, key="sign_in_pin")
        submitted = st.form_submit_button(
            t("sign_in.submit"), type="primary", width="stretch", key="sign_in_volunteer_submit"
        )
    if submitted:
        try:
            user = sign_in_volunteer_elsewhere(
                get_engine(), login=login, pin=pin.strip(), client=current_client(), now=utc_now()
            )
        except StoreError as error:
            refused(answer, error, next_key="sign_in.pin_next")
        else:
            signed_in(user, VOLUNTEER)


def organizer_form() -> None:
    answer = st.empty()
    with st.form("organizer_sign_in"):
        username = st.text_input(t("sign_in.username"), key="sign_in_username")
        password = st.text_input(t("sign_in.password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(
            t("sign_in.submit"), type="primary", width="stretch", key="sign_in_organizer_submit"
        )
    if submitted:
        try:
            user = sign_in_organizer(
                get_engine(), username=username, password=password, client=current_client(), now=utc_now()
            )
        except StoreError as error:
            refused(answer, error, next_key="sign_in.password_next")
        else:
            signed_in(user, ORGANIZER)


volunteer_tab, organizer_tab = st.tabs([t("sign_in.volunteer_tab"), t("sign_in.organizer_tab")])
with volunteer_tab:
    device = current_device()
    if device is not None and device.kind == "tablet":
        tablet_form(device)
    else:
        elsewhere_form()
with organizer_tab:
    organizer_form()
keypads()
