"""My account: who is signed in; change one's own PIN or password; organizers reset others' PINs and passwords."""

from collections.abc import Callable
from functools import partial
from typing import Any

import streamlit as st

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.people.accounts import (
    AccountHolder,
    change_own_password,
    change_own_pin,
    list_account_holders,
    reset_password,
    reset_pin,
)
from db.people.sites import get_site
from ui.actions import run_change
from ui.elder import elder_mode_switch
from ui.guard import require_role
from ui.i18n import t
from ui.keyboard import NUMERIC, input_hints
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.secret_form import SecretEntry, refused_secret_box, secret_form, secret_refused
from ui.session import session_token
from ui.signed_in import current_audience
from ui.store import get_engine, read_scope
from ui.tables import translate_codes
from ui.widgets import page_header, show_error

user = require_role(VOLUNTEER, ORGANIZER)
page_header("account")

with read_scope() as session:
    site = get_site(session, site_id=user.site_id)
    holders = list_account_holders(session, site_id=user.site_id)
st.markdown(t("account.who", name=user.name, site=site.name))
st.markdown(t("account.roles", roles=translate_codes(sorted(user.roles), "role") or t("account.no_roles")))
# Their own 长辈模式: it rules their screens once signed in, on any device.
elder_mode_switch(key="elder_mode_account")
me = next((holder for holder in holders if holder.volunteer_id == user.volunteer_id), None)
organizer = current_audience() == ORGANIZER


def saved(change: Callable[[], object], message_key: str, form: str, entered: SecretEntry) -> None:
    """Run one account change and say how it went, above its form; after a refusal the cursor goes back into the
    form's first box (the form emptied its boxes on submit, so the secret is typed afresh)."""
    try:
        change()
    except StoreError as error:
        with entered.answer:
            show_error(error)
        secret_refused(form, ask_current=True)
    else:
        entered.answer.success(t(message_key))


if organizer and me is not None and me.username:
    st.header(t("account.change_password"))
    entered = secret_form("change_password", kind="password", ask_current=True)
    if entered:
        saved(
            partial(
                change_own_password,
                engine=get_engine(),
                volunteer_id=user.volunteer_id,
                current_password=entered.current,
                new_password=entered.new,
                now=utc_now(),
                keep_token=session_token(),
            ),
            "account.password_changed",
            "change_password",
            entered,
        )

if me is not None and me.has_pin:
    st.header(t("account.change_pin"))
    entered = secret_form("change_pin", kind="pin", ask_current=True)
    if entered:
        saved(
            partial(
                change_own_pin,
                engine=get_engine(),
                volunteer_id=user.volunteer_id,
                current_pin=entered.current,
                new_pin=entered.new,
                now=utc_now(),
                keep_token=session_token(),
            ),
            "account.pin_changed",
            "change_pin",
            entered,
        )

if organizer:
    others = [holder for holder in holders if holder.volunteer_id != user.volunteer_id]

    def reset(kind: str, people: list[AccountHolder], *, heading: str, done: str) -> None:
        st.header(t(heading))
        person = st.selectbox(
            t("account.person"),
            people,
            index=None,
            format_func=lambda holder: holder.name,
            placeholder=t("account.person_placeholder"),
            key=f"reset_{kind}_person",
        )
        entered = secret_form(f"reset_{kind}", kind=kind, ask_current=False)
        if not entered:
            return
        if person is None:
            entered.answer.warning(t("account.person_placeholder"))
            return
        store_call = reset_pin if kind == "pin" else reset_password
        secret: dict[str, Any] = {"new_pin": entered.new} if kind == "pin" else {"new_password": entered.new}
        answer = entered.answer

        def refused(error: StoreError) -> None:
            with answer:
                show_error(error)
            secret_refused(f"reset_{kind}", ask_current=False)

        # Told in place: the form is already empty, and a fresh run would lose nothing worth keeping.
        run_change(
            partial(store_call, volunteer_id=person.volunteer_id, actor_id=user.volunteer_id, now=utc_now(), **secret),
            then=lambda _: answer.success(t(done)),
            refused=refused,
            rerun=False,
        )

    reset("pin", others, heading="account.reset_pin", done="account.pin_reset")
    reset(
        "password",
        [holder for holder in others if holder.username],
        heading="account.reset_password",
        done="account.password_reset",
    )

# PINs open the numeric keypad (the password fields keep the full keyboard); drawn last, once this run's refusal
# (if any) is known.
box, refusals = refused_secret_box()
input_hints(
    modes={t(key): NUMERIC for key in ("account.current_pin", "account.new_pin", "account.new_pin_again")},
    focus_key=box,
    token=refusals,
)
