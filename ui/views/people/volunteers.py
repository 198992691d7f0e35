"""The volunteers screen's parts: the site's people as a table, editing one, adding one, a PIN reset, and an import
from a CSV list (pages/volunteers.py lays them out)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.core.models import ROLES
from db.people.accounts import create_volunteer, reset_pin
from db.people.login_sessions import SignedIn
from db.people.volunteers import (
    VolunteerDetail,
    VolunteerImportPlan,
    import_volunteers,
    list_site_volunteers,
    plan_volunteer_import,
    update_volunteer,
)
from ui.actions import run_change
from ui.i18n import current_language, t
from ui.manifest_text import import_error_text, import_message
from ui.secret_form import secret_refused
from ui.store import read_scope
from ui.tables import show_table

# A new uploader key after each import empties it, so the same file is not offered twice.
IMPORT_ROUND_KEY = "volunteer_import_round"


def role_name(role: str) -> str:
    return t(f"value.role.{role}")


def site_volunteers(user: SignedIn) -> list[VolunteerDetail]:
    with read_scope() as session:
        return list_site_volunteers(session, site_id=user.site_id)


def people_table(people: list[VolunteerDetail]) -> None:
    """Everyone of the site. Organizers see phone numbers whole (docs/security.md): no masking on this page."""
    rows = [
        {"person_name": p.name, "phone": p.phone, "roles": list(p.roles), "active": p.active, "has_pin": p.has_pin}
        for p in people
    ]
    columns = ["person_name", "phone", "roles", "active", "has_pin"]
    show_table(pd.DataFrame(rows, columns=columns), codes={"roles": "role"})


def edit_tab(user: SignedIn, people: list[VolunteerDetail]) -> None:
    """One person's name, phone, roles, and whether they are active."""
    person = st.selectbox(
        t("volunteers.choose"),
        people,
        index=None,
        format_func=lambda p: p.name,
        placeholder=t("volunteers.choose_placeholder"),
        key="volunteer_edit_who",
    )
    if person is None:
        return
    with st.form(f"volunteer_edit_{person.id}"):
        name = st.text_input(t("column.person_name"), value=person.name, key=f"edit_name_{person.id}")
        phone = st.text_input(t("column.phone"), value=person.phone, key=f"edit_phone_{person.id}")
        roles = st.multiselect(
            t("column.roles"),
            ROLES,
            default=list(person.roles),
            format_func=role_name,
            placeholder=t("widget.choose"),
            key=f"edit_roles_{person.id}",
        )
        active = st.checkbox(t("column.active"), value=person.active, key=f"edit_active_{person.id}")
        if st.form_submit_button(t("volunteers.save"), type="primary", key="volunteer_edit_submit"):
            save = partial(
                update_volunteer,
                volunteer_id=person.id,
                name=name,
                phone=phone,
                roles=roles,
                active=active,
                now=utc_now(),
                actor_id=user.volunteer_id,
            )
            run_change(save, done_key="volunteers.saved", name=name.strip())


def add_tab(user: SignedIn) -> None:
    """A new volunteer of the site, with a PIN or without (they set one later)."""
    with st.form("volunteer_add", clear_on_submit=True):
        name = st.text_input(t("column.person_name"), key="add_name")
        phone = st.text_input(t("column.phone"), key="add_phone")
        roles = st.multiselect(
            t("column.roles"),
            ROLES,
            default=["handout"],
            format_func=role_name,
            placeholder=t("widget.choose"),
            key="add_roles",
        )
        pin = st.text_input(t("volunteers.pin"), type="password", max_chars=6, key="add_pin")
        if st.form_submit_button(t("volunteers.add"), type="primary", key="volunteer_add_submit"):
            add = partial(
                create_volunteer,
                site_id=user.site_id,
                name=name,
                phone=phone,
                roles=roles,
                pin=pin.strip() or None,
                now=utc_now(),
                actor_id=user.volunteer_id,
            )
            run_change(add, done_key="volunteers.added", name=name.strip())


# The PIN reset's last refusal: (level, message key, params), shown above its form until the next try.
PIN_REFUSAL_KEY = "volunteer_pin_refusal"


def pin_tab(user: SignedIn, people: list[VolunteerDetail]) -> None:
    """A new PIN for an active volunteer, typed twice. Reset from the submit callback, so a refusal (a PIN a guesser
    tries first, two that differ) can still empty both boxes; the cursor goes back into the first
    (pages/volunteers.py)."""
    refusal = st.session_state.get(PIN_REFUSAL_KEY)
    if refusal is not None:
        level, key, params = refusal
        (st.warning if level == "warning" else st.error)(t(key, **params))
    with st.form("volunteer_pin"):
        st.selectbox(
            t("volunteers.choose"),
            [p for p in people if p.active],
            index=None,
            format_func=lambda p: p.name,
            placeholder=t("volunteers.choose_placeholder"),
            key="pin_who",
        )
        st.text_input(t("volunteers.new_pin"), type="password", max_chars=6, key="pin_new")
        st.text_input(t("volunteers.new_pin_again"), type="password", max_chars=6, key="pin_again")
        st.form_submit_button(
            t("volunteers.reset_pin"), type="primary", key="pin_submit", on_click=_reset_pin_now, args=(user,)
        )


def _reset_pin_now(user: SignedIn) -> None:
    person = st.session_state.get("pin_who")
    new_pin = st.session_state.get("pin_new", "")
    refusal: tuple[str, str, dict[str, Any]] | None = None
    if person is None:
        refusal = ("warning", "volunteers.choose_first", {})
    elif new_pin != st.session_state.get("pin_again", ""):
        refusal = ("warning", "volunteers.pins_differ", {})
    else:

        def refused(error: StoreError) -> None:
            nonlocal refusal
            refusal = ("error", error.key, error.params)

        reset = partial(
            reset_pin, volunteer_id=person.id, new_pin=new_pin.strip(), now=utc_now(), actor_id=user.volunteer_id
        )
        run_change(reset, done_key="volunteers.pin_was_reset", refused=refused, rerun=False, name=person.name)
    st.session_state["pin_new"] = st.session_state["pin_again"] = ""
    if refusal is None:
        st.session_state.pop(PIN_REFUSAL_KEY, None)
        return
    st.session_state[PIN_REFUSAL_KEY] = refusal
    if person is not None:
        secret_refused("pin", ask_current=False)


def import_tab(user: SignedIn) -> None:
    """A CSV list checked row by row first; imported only when no row is refused."""
    st.markdown(t("volunteers.import_help"))
    import_round = st.session_state.get(IMPORT_ROUND_KEY, 0)
    upload = st.file_uploader(t("volunteers.import_file"), type=["csv"], key=f"volunteer_import_file_{import_round}")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        with read_scope() as session:
            plan = plan_volunteer_import(session, site_id=user.site_id, data=data)
    except StoreError as error:
        st.error(import_error_text(error, language=current_language()))
        return
    import_preview(plan)
    if not plan.rejected and st.button(
        t("volunteers.import_now", count=len(plan.volunteers)), type="primary", key="volunteer_import_submit"
    ):
        imported = partial(
            import_volunteers, site_id=user.site_id, data=data, now=utc_now(), actor_id=user.volunteer_id
        )
        run_change(
            imported,
            then=lambda _count: st.session_state.update({IMPORT_ROUND_KEY: import_round + 1}),
            done_key="volunteers.imported",
            result_as="count",
        )


def import_preview(plan: VolunteerImportPlan) -> None:
    """How many rows are ready and how many refused, each refused row with its reason."""
    st.info(t("volunteers.import_preview", ready=len(plan.volunteers), rejected=len(plan.rejected)))
    if not plan.rejected:
        return
    language = current_language()
    rows = [
        {"row": row.row, "reason": import_message(row.key, row.params, language=language).plain}
        for row in plan.rejected
    ]
    show_table(pd.DataFrame(rows, columns=["row", "reason"]))
    st.warning(t("volunteers.import_fix_first"))
