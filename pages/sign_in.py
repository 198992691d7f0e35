"""Sign-in: on an enrolled counter tablet a volunteer picks their name and types the PIN; anywhere else a volunteer
types their username or mobile number and PIN (no list of names); an organizer uses username and password."""

from collections.abc import Callable

import streamlit as st

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.people.accounts import (
    list_volunteers_for_sign_in,
    sign_in_organizer,
    sign_in_volunteer,
    sign_in_volunteer_elsewhere,
)
from db.people.devices import KnownDevice
from db.people.login_sessions import SignedIn
from db.people.sites import get_site
from ui.guard import allow_public
from ui.i18n import t
from ui.keyboard import NUMERIC, input_hints
from ui.pages_registry import HOME, ORGANIZER, PUBLIC, VOLUNTEER, page_spec
from ui.session import current_client, current_device, post_notice, start_session
from ui.store import get_engine, read_scope
from ui.widgets import page_header

allow_public(PUBLIC)
# Refused sign-ins in this browser session: each puts the cursor back into the secret box that was refused.
FAILED_KEY = "sign_in_refused"
# The last refusal: (form, level, message key, params, next step's key), shown above that form until the next try.
REFUSAL_KEY = "sign_in_refusal"
# Who signed in in a submit callback, for the page run that follows to start the session and move on.
DONE_KEY = "sign_in_done"
page_header("sign_in")


def attempt(form: str, *, secret_key: str, audience: str, next_key: str, sign_in: Callable[[], SignedIn]) -> None:
    """A form's submit callback. Run before the page is drawn again, so a refusal can empty the secret box (typing
    the PIN again as the message asks must not append to the wrong one) and the cursor goes back into it."""
    try:
        user = sign_in()
    except StoreError as error:
        st.session_state[REFUSAL_KEY] = (form, "error", error.key, error.params, next_key)
        st.session_state[secret_key] = ""
        st.session_state[FAILED_KEY] = st.session_state.get(FAILED_KEY, 0) + 1
    else:
        st.session_state.pop(REFUSAL_KEY, None)
        st.session_state[DONE_KEY] = (user, audience)


def signed_in(user: SignedIn, audience: str) -> None:
    start_session(user, audience=audience, now=utc_now())
    post_notice("sign_in.welcome", name=user.name)
    st.switch_page(page_spec(HOME[audience]).path)


def refusal(form: str) -> None:
    """A refused sign-in says why and what to do next (try again, or ask an organizer for a reset), above the form
    so the tablet shows it without scrolling; the waits of the throttling (docs/security.md) stay as they are."""
    shown = st.session_state.get(REFUSAL_KEY)
    if shown is None or shown[0] != form:
        return
    _, level, key, params, next_key = shown
    if level == "warning":
        st.warning(t(key))
        return
    # One box, so the form's fields stay in view below it; both texts are catalog messages (safe as Markdown).
    st.error(f"{t(key, **params)}\n\n{t(next_key)}")


def keypads() -> None:
    """The PIN opens the numeric keypad on the tablet (Streamlit's inputs have no parameter for it); after a
    refusal the cursor goes back into the refused PIN or password box, in view."""
    failed = st.session_state.get(FAILED_KEY, 0)
    shown = st.session_state.get(REFUSAL_KEY)
    organizer = shown is not None and shown[0] == "organizer"
    input_hints(
        modes={t("sign_in.pin"): NUMERIC},
        focus=(t("sign_in.password") if organizer else t("sign_in.pin")) if failed else None,
        reveal=("sign_in_password" if organizer else "sign_in_pin") if failed else None,
        token=failed,
    )


def sign_in_on_tablet(device: KnownDevice) -> None:
    volunteer = st.session_state.get("sign_in_volunteer")
    if volunteer is None:
        st.session_state[REFUSAL_KEY] = ("volunteer", "warning", "sign_in.choose_name", {}, "")
        return
    attempt(
        "volunteer",
        secret_key="sign_in_pin",
        audience=VOLUNTEER,
        next_key="sign_in.pin_next",
        sign_in=lambda: sign_in_volunteer(
            get_engine(),
            site_id=device.site_id,
            volunteer_id=volunteer.id,
            pin=st.session_state.get("sign_in_pin", "").strip(),
            client=current_client(),
            now=utc_now(),
        ),
    )


def tablet_form(device: KnownDevice) -> None:
    """The counter tablet: the site's volunteers by name, then the PIN."""
    with read_scope() as session:
        site = get_site(session, site_id=device.site_id)
        volunteers = list_volunteers_for_sign_in(session, site_id=device.site_id)
    st.caption(t("sign_in.tablet_of", tablet=device.name, site=site.name))
    refusal("volunteer")
    with st.form("volunteer_sign_in"):
        st.selectbox(
            t("sign_in.name"),
            volunteers,
            index=None,
            format_func=lambda choice: choice.name,
            placeholder=t("sign_in.name_placeholder"),
            key="sign_in_volunteer",
        )
        st.text_input(t("sign_in.pin"), type="password", max_chars=6, key="sign_in_pin")
        st.form_submit_button(
            t("sign_in.submit"),
            type="primary",
            width="stretch",
            key="sign_in_volunteer_submit",
            on_click=sign_in_on_tablet,
            args=(device,),
        )


def elsewhere_form() -> None:
    """Away from the counter: nothing here tells a visitor who volunteers at the pickup point."""
    st.caption(t("sign_in.elsewhere_hint"))
    refusal("volunteer")
    with st.form("volunteer_sign_in_elsewhere"):
        st.text_input(t("sign_in.login"), max_chars=50, key="sign_in_login")
        st.text_input(t("sign_in.pin"), type="password", max_chars=6, key="sign_in_pin")
        st.form_submit_button(
            t("sign_in.submit"),
            type="primary",
            width="stretch",
            key="sign_in_volunteer_submit",
            on_click=lambda: attempt(
                "volunteer",
                secret_key="sign_in_pin",
                audience=VOLUNTEER,
                next_key="sign_in.pin_next",
                sign_in=lambda: sign_in_volunteer_elsewhere(
                    get_engine(),
                    login=st.session_state.get("sign_in_login", ""),
                    pin=st.session_state.get("sign_in_pin", "").strip(),
                    client=current_client(),
                    now=utc_now(),
                ),
            ),
        )


def organizer_form() -> None:
    refusal("organizer")
    with st.form("organizer_sign_in"):
        st.text_input(t("sign_in.username"), key="sign_in_username")
        st.text_input(t("sign_in.password"), type="password", key="sign_in_password")
        st.form_submit_button(
            t("sign_in.submit"),
            type="primary",
            width="stretch",
            key="sign_in_organizer_submit",
            on_click=lambda: attempt(
                "organizer",
                secret_key="sign_in_password",
                audience=ORGANIZER,
                next_key="sign_in.password_next",
                sign_in=lambda: sign_in_organizer(
                    get_engine(),
                    username=st.session_state.get("sign_in_username", ""),
                    password=st.session_state.get("sign_in_password", ""),
                    client=current_client(),
                    now=utc_now(),
                ),
            ),
        )


if DONE_KEY in st.session_state:
    signed_in(*st.session_state.pop(DONE_KEY))
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
