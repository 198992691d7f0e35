"""Who is signed in, in this browser session: sign-in, sign-out, notices, and the tablet's idle sign-out."""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from db.accounts import SignedIn
from db.clock import utc_now
from db.sites import get_site_rules
from ui.i18n import t
from ui.pages_registry import ORGANIZER, PUBLIC, VOLUNTEER
from ui.store import read_scope

# session_state keys; the page tests set the first two directly to act as a signed-in person.
SIGNED_IN_KEY = "signed_in"
AUDIENCE_KEY = "audience"
LAST_ACTIVE_KEY = "last_active_at"
IDLE_MINUTES_KEY = "idle_signout_minutes"
NOTICE_KEY = "notice"
# The site an organizer with several sites is looking after right now (see acting_site_id).
ACTING_SITE_KEY = "acting_site_id"


def current_user() -> SignedIn | None:
    return st.session_state.get(SIGNED_IN_KEY)


def current_audience() -> str:
    """public, volunteer or organizer: decides which pages this browser session may see."""
    if current_user() is None:
        return PUBLIC
    return st.session_state.get(AUDIENCE_KEY, PUBLIC)


def start_session(user: SignedIn, *, audience: str, now: dt.datetime) -> None:
    st.session_state[SIGNED_IN_KEY] = user
    st.session_state.pop(ACTING_SITE_KEY, None)
    st.session_state[AUDIENCE_KEY] = audience
    st.session_state[LAST_ACTIVE_KEY] = now
    st.session_state.pop(IDLE_MINUTES_KEY, None)


def end_session(*, notice_key: str = "session.signed_out", **params: object) -> None:
    for key in (SIGNED_IN_KEY, AUDIENCE_KEY, LAST_ACTIVE_KEY, IDLE_MINUTES_KEY, ACTING_SITE_KEY):
        st.session_state.pop(key, None)
    post_notice(notice_key, **params)


def acting_site_id() -> int:
    """The site every page works on: the one an organizer opened (district view or the sidebar switch), else
    the signed-in person's own. Every organizer page asks here instead of reading `site_id` off the user."""
    user = current_user()
    acting = st.session_state.get(ACTING_SITE_KEY)
    if acting is not None and current_audience() == ORGANIZER:
        return acting
    return user.site_id


def act_for_site(site_id: int) -> None:
    """Only for a site the caller took from the organizer's own list (db.sites.list_organizer_sites)."""
    st.session_state[ACTING_SITE_KEY] = site_id


def post_notice(key: str, **params: object) -> None:
    """A message for the next run, which may be on another page (sign-in, sign-out)."""
    st.session_state[NOTICE_KEY] = (key, params)


def pop_notice() -> str | None:
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
        end_session(notice_key="session.idle_signed_out", minutes=idle_minutes())
        return True
    st.session_state[LAST_ACTIVE_KEY] = now
    return False


@st.fragment(run_every=dt.timedelta(seconds=30))
def watch_idle() -> None:
    """Reruns the app once the limit passes, so an idle tablet does not keep showing residents' data."""
    # A fragment run is not activity: it only looks, and never moves LAST_ACTIVE_KEY.
    if is_idle(utc_now()):
        st.rerun(scope="app")


def client_address() -> str:
    """Who is asking, for the residents' rate limit: the browser's address as the app sees it.

    Behind a reverse proxy every request comes from the proxy; with `TRUST_FORWARDED_FOR=1` the last
    X-Forwarded-For entry counts instead (the one our proxy added: a client cannot forge it). Local
    requests have no address and share one counter.
    """
    if os.environ.get("TRUST_FORWARDED_FOR", "") not in ("", "0"):
        forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    address = st.context.ip_address
    # Under AppTest the address is a stand-in object, not text: count those as local too.
    return address if isinstance(address, str) and address else "local"
