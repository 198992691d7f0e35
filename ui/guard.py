"""The role guard every page calls first: a translated refusal, and nothing else, for the wrong audience."""

from __future__ import annotations

import dataclasses

import streamlit as st

from db.people.login_sessions import SignedIn
from ui.i18n import t
from ui.pages_registry import ORGANIZER, PUBLIC, SIGN_IN_PAGE, page_spec
from ui.shell import ensure_shell
from ui.signed_in import acting_site_id, current_audience, current_user


def require_role(*audiences: str) -> SignedIn:
    """The guard of a page for signed-in people (volunteers, organizers): who is signed in when their audience may
    see this page; otherwise a refusal, and the page stops."""
    if PUBLIC in audiences:
        raise ValueError("a page open to the public guards with allow_public")
    user = _admitted(audiences)
    if user is None:  # not reached: a signed-in audience always has a user, and a refusal stops the run
        st.stop()
        raise RuntimeError("st.stop() returned")
    return user


def allow_public(*audiences: str) -> SignedIn | None:
    """The guard of a page open to the public (the residents' status page, sign-in): None for someone not signed
    in, who is signed in when their audience may also see it; otherwise a refusal, and the page stops."""
    if PUBLIC not in audiences:
        raise ValueError("a page for signed-in people only guards with require_role")
    return _admitted(audiences)


def _admitted(audiences: tuple[str, ...]) -> SignedIn | None:
    ensure_shell()
    audience = current_audience()
    if audience in audiences:
        user = current_user()
        if user is not None and audience == ORGANIZER:
            # An organizer of several sites works on the one they opened; pages just read `user.site_id`.
            user = dataclasses.replace(user, site_id=acting_site_id())
        return user
    if audience == PUBLIC:
        st.warning(t("guard.sign_in_needed"))
        st.page_link(page_spec(SIGN_IN_PAGE).path, label=t("guard.go_sign_in"), icon=":material/login:")
    elif set(audiences) == {PUBLIC}:
        st.info(t("guard.already_signed_in"))
    else:
        st.warning(t("guard.not_for_role", audience=t(f"audience.{audience}")))
    st.stop()
    return None  # not reached: st.stop() ends the run
