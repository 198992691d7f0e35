"""Who is signed in, in this browser session: sign-in kept across reloads (a server-side session behind a cookie),
the known device, sign-out, notices, and the tablet's idle sign-out."""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from db.core.clock import utc_now
from db.core.engine import database_url, is_embedded_default
from db.people.accounts import Client
from db.people.devices import KnownDevice, count_tablets_ever, enroll_tablet, find_device, remember_browser
from db.people.login_sessions import (
    TOUCH_EVERY,
    SignedIn,
    end_login_session,
    resume_login_session,
    start_login_session,
    touch_login_session,
)
from db.people.sites import get_site_rules, list_sites
from ui.cookies import DEVICE_COOKIE, SESSION_COOKIE, read_cookie, write_cookies
from ui.i18n import MarkdownText, t
from ui.pages_registry import VOLUNTEER
from ui.signed_in import (
    ACTING_SITE_KEY,
    AUDIENCE_KEY,
    SIGNED_IN_KEY,
    current_audience,
    current_user,
)
from ui.store import bookkeeping_scope, read_scope

# session_state keys (those of who is signed in: ui/signed_in.py).
LAST_ACTIVE_KEY = "last_active_at"
IDLE_MINUTES_KEY = "idle_signout_minutes"
NOTICE_KEY = "notice"
# The sign-in's token (its hash is in login_sessions), its row id and when the row last heard from us.
SESSION_TOKEN_KEY = "login_token"
SESSION_ID_KEY = "login_session_id"
SESSION_SEEN_KEY = "login_seen_at"
# This browser's device token and what it stands for (an enrolled tablet, a remembered browser), or None.
DEVICE_TOKEN_KEY = "device_token"
DEVICE_KEY = "device"
COOKIES_READ_KEY = "cookies_read"
# Pages whose session_state (every key with the prefix) holds a resident's personal data: it is forgotten on the first
# run of any other page, so a number typed there does not stay in the session once the organizer has moved on.
PAGE_PRIVATE_STATE = {"resident_data": "resident_data_"}


def current_device() -> KnownDevice | None:
    return st.session_state.get(DEVICE_KEY)


def current_client() -> Client:
    """Who is asking, for throttling failed sign-ins: the address, and the device this browser is known as."""
    return Client(address=client_address(), device_token=st.session_state.get(DEVICE_TOKEN_KEY))


def session_token() -> str | None:
    return st.session_state.get(SESSION_TOKEN_KEY)


def start_session(user: SignedIn, *, audience: str, now: dt.datetime) -> None:
    """Signed in: a server-side session whose token the browser keeps, so a reload stays signed in; a browser the
    person signs in on for the first time is remembered, so guessing elsewhere never slows them down."""
    device = current_device()
    with bookkeeping_scope() as session:
        token = start_login_session(
            session, user=user, audience=audience, device_id=device.id if device else None, now=now
        )
        if device is None:
            st.session_state[DEVICE_TOKEN_KEY] = remember_browser(session, volunteer_id=user.volunteer_id, now=now)
    if device is None:
        with read_scope() as session:
            st.session_state[DEVICE_KEY] = find_device(session, token=st.session_state[DEVICE_TOKEN_KEY])
    _keep_signed_in(user, audience=audience, now=now)
    st.session_state[SESSION_TOKEN_KEY] = token
    st.session_state[SESSION_SEEN_KEY] = now


def _keep_signed_in(user: SignedIn, *, audience: str, now: dt.datetime) -> None:
    st.session_state[SIGNED_IN_KEY] = user
    st.session_state.pop(ACTING_SITE_KEY, None)
    st.session_state[AUDIENCE_KEY] = audience
    st.session_state[LAST_ACTIVE_KEY] = now
    st.session_state.pop(IDLE_MINUTES_KEY, None)


def end_session(*, notice_key: str = "session.signed_out", reason: str = "signed_out", **params: object) -> None:
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if token:
        with bookkeeping_scope() as session:
            end_login_session(session, token=token, reason=reason, now=utc_now())
    _forget_sign_in()
    post_notice(notice_key, **params)


def _forget_sign_in() -> None:
    for key in (
        SIGNED_IN_KEY,
        AUDIENCE_KEY,
        LAST_ACTIVE_KEY,
        IDLE_MINUTES_KEY,
        ACTING_SITE_KEY,
        SESSION_TOKEN_KEY,
        SESSION_ID_KEY,
        SESSION_SEEN_KEY,
    ):
        st.session_state.pop(key, None)


def restore_sign_in(now: dt.datetime | None = None) -> None:
    """Once per browser session, from the cookies: the known device, and a sign-in that is still live. On every
    later run: the sign-in is still live on the server (signed out elsewhere, a changed PIN, an organizer ended it),
    and the server hears that this browser is in use, at most every TOUCH_EVERY."""
    now = now or utc_now()
    if not st.session_state.get(COOKIES_READ_KEY):
        st.session_state[COOKIES_READ_KEY] = True
        _read_cookies(now)
    token = st.session_state.get(SESSION_TOKEN_KEY)
    if token:
        _check_live(token, now)


def _read_cookies(now: dt.datetime) -> None:
    device_token = read_cookie(DEVICE_COOKIE)
    with read_scope() as session:
        device = find_device(session, token=device_token)
        resumed = resume_login_session(session, token=read_cookie(SESSION_COOKIE), now=now)
        first_demo_browser = device is None and is_embedded_default(database_url()) and count_tablets_ever(session) == 0
        demo_site = next(iter(list_sites(session)), None) if first_demo_browser else None
    if demo_site is not None:
        # The demo works in one step: the first browser to open it becomes its counter tablet.
        with bookkeeping_scope() as session:
            device_token = enroll_tablet(
                session, site_id=demo_site.id, name=t("device.demo_tablet_name"), actor_id=None, now=now
            )
        with read_scope() as session:
            device = find_device(session, token=device_token)
    st.session_state[DEVICE_TOKEN_KEY] = device_token if device is not None else None
    st.session_state[DEVICE_KEY] = device
    if resumed is not None and current_user() is None:
        _keep_signed_in(resumed.user, audience=resumed.audience, now=now)
        st.session_state[SESSION_TOKEN_KEY] = read_cookie(SESSION_COOKIE)
        st.session_state[SESSION_ID_KEY] = resumed.id
        st.session_state[SESSION_SEEN_KEY] = resumed.last_seen_at


def _check_live(token: str, now: dt.datetime) -> None:
    with read_scope() as session:
        resumed = resume_login_session(session, token=token, now=now)
    if resumed is None:
        _forget_sign_in()
        post_notice("session.ended_elsewhere")
        return
    st.session_state[SESSION_ID_KEY] = resumed.id
    if now - resumed.last_seen_at >= TOUCH_EVERY:
        with bookkeeping_scope() as session:
            touch_login_session(session, session_id=resumed.id, now=now)
        st.session_state[SESSION_SEEN_KEY] = now


def set_device(token: str) -> None:
    """This browser is now known as the device behind `token` (an organizer just enrolled it as a tablet)."""
    st.session_state[DEVICE_TOKEN_KEY] = token
    with read_scope() as session:
        st.session_state[DEVICE_KEY] = find_device(session, token=token)


def sync_cookies() -> None:
    """Once per run: the browser's cookies follow this browser session's sign-in and device."""
    write_cookies(
        {SESSION_COOKIE: st.session_state.get(SESSION_TOKEN_KEY), DEVICE_COOKIE: st.session_state.get(DEVICE_TOKEN_KEY)}
    )


def forget_left_pages(*, current: str) -> None:
    """Once per run, before the page (`current`, its URL path): drop what the other pages of PAGE_PRIVATE_STATE
    kept (their widgets' values too)."""
    for page, prefix in PAGE_PRIVATE_STATE.items():
        if page != current:
            for key in [key for key in st.session_state if str(key).startswith(prefix)]:
                del st.session_state[key]


def post_notice(key: str, **params: object) -> None:
    """A message for the next run, which may be on another page (sign-in, sign-out)."""
    st.session_state[NOTICE_KEY] = (key, params)


def pop_notice() -> MarkdownText | None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice is None:
        return None
    key, params = notice
    return t(key, **params)


def idle_minutes() -> int:
    """The signed-in volunteer's site rule, read once per sign-in."""
    minutes = st.session_state.get(IDLE_MINUTES_KEY)
    if minutes is None:
        user = current_user()
        if user is None:
            raise RuntimeError("idle_minutes asks for the site of someone signed in")
        with read_scope() as session:
            minutes = get_site_rules(session, site_id=user.site_id).idle_signout_minutes
        st.session_state[IDLE_MINUTES_KEY] = minutes
    return minutes


def is_idle(now: dt.datetime) -> bool:
    if current_audience() != VOLUNTEER:
        return False
    last_active = st.session_state.get(LAST_ACTIVE_KEY)
    return last_active is not None and now - last_active > dt.timedelta(minutes=idle_minutes())


def sign_out_if_idle(now: dt.datetime | None = None) -> bool:
    """Every run counts as activity; a run after the idle limit signs the tablet's volunteer out instead."""
    now = now or utc_now()
    if is_idle(now):
        end_session(notice_key="session.idle_signed_out", reason="idle", minutes=idle_minutes())
        return True
    st.session_state[LAST_ACTIVE_KEY] = now
    return False


@st.fragment(run_every=dt.timedelta(seconds=30))
def watch_idle() -> None:
    """Reruns the app once the limit passes, so an idle tablet does not keep showing residents' data."""
    # A fragment run is not activity: it only looks, and never moves LAST_ACTIVE_KEY.
    if is_idle(utc_now()):
        st.rerun(scope="app")


# The one client that every request carrying an X-Forwarded-For header we do not trust counts as.
UNTRUSTED_FORWARDED = "forwarded-untrusted"


def client_address() -> str:
    """Who is asking, for the throttling of sign-ins and the residents' lookup: the browser's address as the app
    sees it.

    Behind a reverse proxy every request comes from the proxy; with `TRUST_FORWARDED_FOR=1` the last
    X-Forwarded-For entry counts instead (the one our proxy added: a client cannot forge it). Without it, a
    request carrying the header counts as one client with every other such request: Streamlit 1.67 serves through
    uvicorn, which takes the address from X-Forwarded-For for any connection from 127.0.0.1 (its
    FORWARDED_ALLOW_IPS, read before any app code), so behind a same-host tunnel that passes the header through
    each rotated header would otherwise be a fresh client. Local requests have no address and share one counter.
    """
    forwarded = st.context.headers.get("X-Forwarded-For") or ""
    if os.environ.get("TRUST_FORWARDED_FOR", "") not in ("", "0"):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    elif forwarded.strip():
        return UNTRUSTED_FORWARDED
    address = st.context.ip_address
    # Under AppTest the address is a stand-in object, not text: count those as local too.
    return address if isinstance(address, str) and address else "local"
