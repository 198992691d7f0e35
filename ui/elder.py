"""长辈模式 (elder mode): whether it is on for this browser session, and its switch.

Which mode applies is the store's rule (db.people.devices.elder_mode_applies): a signed-in volunteer's own, else the
enrolled counter tablet's, else what was switched for this browser session (off until then). The style sheet
(ui.style.apply_elder_style) and the voice at the counter ask `elder_mode_on()`.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from db.core.clock import utc_now
from db.people.devices import elder_mode_applies, set_tablet_elder_mode
from db.people.volunteers import set_volunteer_elder_mode
from ui.actions import run_change
from ui.i18n import t
from ui.session import current_device
from ui.signed_in import current_user
from ui.store import bookkeeping_scope, read_scope

# session_state keys: the choice of a plain browser for this session, and the last answer with what it was about.
CHOSEN_KEY = "elder_mode_chosen"
ANSWER_KEY = "elder_mode_answer"
SWITCH_KEY = "elder_mode_switch"


def _asked() -> tuple[int | None, int | None, bool]:
    user = current_user()
    device = current_device()
    tablet_id = device.id if device is not None and device.kind == "tablet" else None
    return (user.volunteer_id if user else None, tablet_id, bool(st.session_state.get(CHOSEN_KEY, False)))


def elder_mode_on() -> bool:
    """Whether 长辈模式 applies to this browser session now (read once per person and device, then kept)."""
    asked = _asked()
    answer = st.session_state.get(ANSWER_KEY)
    if answer is None or answer[0] != asked:
        volunteer_id, tablet_id, chosen = asked
        with read_scope() as session:
            on = elder_mode_applies(session, volunteer_id=volunteer_id, device_id=tablet_id, chosen_for_session=chosen)
        answer = (asked, on)
        st.session_state[ANSWER_KEY] = answer
    return bool(answer[1])


def set_elder_mode(on: bool) -> None:
    """Switch the mode that applies now: the volunteer's own, the tablet's, or this browser session's."""
    volunteer_id, tablet_id, _ = _asked()
    now = utc_now()
    if volunteer_id is not None:
        change = partial(set_volunteer_elder_mode, volunteer_id=volunteer_id, elder_mode=on, now=now)
        run_change(change, scope=bookkeeping_scope, rerun=False)
    elif tablet_id is not None:
        change = partial(set_tablet_elder_mode, device_id=tablet_id, elder_mode=on, actor_id=None, now=now)
        run_change(change, scope=bookkeeping_scope, rerun=False)
    else:
        st.session_state[CHOSEN_KEY] = on
    st.session_state.pop(ANSWER_KEY, None)


def elder_mode_switch(*, key: str = SWITCH_KEY) -> None:
    """The switch: in the sidebar on the counter tablet and on the sign-in screen, on the account page."""

    def _keep_choice() -> None:
        set_elder_mode(bool(st.session_state[key]))

    # Seeded from the rule each run: the mode follows who signs in, so the widget's own value must not linger.
    st.session_state[key] = elder_mode_on()
    st.toggle(t("elder.switch"), key=key, on_change=_keep_choice)
