"""Who is signed in in this browser session and which site they work on: read from the session's state only, so
the store's scopes (ui/store.py) can ask without a cycle; ui/session.py signs people in and out."""

from __future__ import annotations

import streamlit as st

from db.people.login_sessions import SignedIn
from ui.pages_registry import ORGANIZER, PUBLIC

# session_state keys; the page tests set the first two directly to act as a signed-in person.
SIGNED_IN_KEY = "signed_in"
AUDIENCE_KEY = "audience"
# The site an organizer with several sites is looking after right now (see acting_site_id).
ACTING_SITE_KEY = "acting_site_id"


def current_user() -> SignedIn | None:
    user: SignedIn | None = st.session_state.get(SIGNED_IN_KEY)
    return user


def current_audience() -> str:
    """public, volunteer or organizer: decides which pages this browser session may see."""
    if current_user() is None:
        return PUBLIC
    audience: str = st.session_state.get(AUDIENCE_KEY, PUBLIC)
    return audience


def acting_site_id() -> int:
    """The site every page works on: the one an organizer opened (district view or the sidebar switch), else
    the signed-in person's own. Every organizer page asks here instead of reading `site_id` off the user."""
    user = current_user()
    acting: int | None = st.session_state.get(ACTING_SITE_KEY)
    if acting is not None and current_audience() == ORGANIZER:
        return acting
    if user is None:
        raise RuntimeError("acting_site_id asks for the site of someone signed in")
    return user.site_id


def act_for_site(site_id: int) -> None:
    """Only for a site the caller took from the organizer's own list (db.people.sites.list_organizer_sites)."""
    st.session_state[ACTING_SITE_KEY] = site_id


def working_site() -> int | None:
    """The site the signed-in person is working on (acting_site_id), None when nobody is signed in."""
    return acting_site_id() if current_user() is not None else None
