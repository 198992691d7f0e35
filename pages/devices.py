"""Tablets and sign-ins: enroll this browser as a counter tablet, remove a tablet, see today's wrong PINs on the
tablets and lift a name paused for the day, see who is signed in where and end a person's sign-ins (a lost phone, a
volunteer who left)."""

import datetime as dt
from collections.abc import Sequence
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from db.core.clock import to_local, utc_now
from db.people.accounts import lift_pause, list_paused_names
from db.people.devices import enroll_tablet, list_tablets, list_wrong_pins_on_tablets, revoke_tablet
from db.people.login_sessions import end_sessions_by_organizer, list_open_sessions
from db.people.throttling import PER_ACCOUNT_DAY, PER_SECRET_AND_CLIENT
from ui.actions import run_change
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.session import current_device, set_device
from ui.store import bookkeeping_scope, read_scope
from ui.tables import show_table
from ui.widgets import confirmed_button, page_header

user = require_role(ORGANIZER)
page_header("devices")


def shown_moment(moment: dt.datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def this_browser() -> None:
    st.header(t("devices.this_browser"))
    device = current_device()
    if device is not None and device.kind == "tablet":
        st.success(t("devices.is_tablet", name=device.name))
        return
    st.caption(t("devices.enroll_hint"))
    name = st.text_input(
        t("devices.name"), max_chars=100, placeholder=t("devices.name_placeholder"), key="devices_name"
    )
    if confirmed_button(t("devices.enroll"), key="devices_enroll", question=t("devices.enroll_question")):
        run_change(
            partial(enroll_tablet, site_id=user.site_id, name=name, actor_id=user.volunteer_id, now=utc_now()),
            scope=bookkeeping_scope,
            then=set_device,
            done_key="devices.enrolled",
            name=" ".join(name.split()),
        )


def tablets() -> None:
    st.header(t("devices.tablets"))
    with read_scope() as session:
        rows = list_tablets(session, site_id=user.site_id)
    show_table(
        pd.DataFrame(
            [
                {
                    "device": row.name,
                    "enrolled_by": row.enrolled_by or "",
                    "enrolled_at": shown_moment(row.enrolled_at),
                    "last_seen_at": shown_moment(row.last_seen_at),
                }
                for row in rows
            ],
            columns=["device", "enrolled_by", "enrolled_at", "last_seen_at"],
        )
    )
    if not rows:
        return
    tablet = st.selectbox(
        t("devices.tablet"),
        rows,
        index=None,
        format_func=lambda row: row.name,
        placeholder=t("devices.tablet_placeholder"),
        key="devices_tablet",
    )
    if tablet is not None and confirmed_button(
        t("devices.revoke"), key="devices_revoke", question=t("devices.revoke_question", name=tablet.name)
    ):
        run_change(
            partial(
                revoke_tablet, site_id=user.site_id, device_id=tablet.id, actor_id=user.volunteer_id, now=utc_now()
            ),
            scope=bookkeeping_scope,
            done_key="devices.revoked",
            name=tablet.name,
        )


def wrong_tries() -> None:
    """Today's wrong PINs on the tablets (which name, when) and the names paused for the day, with a lift."""
    now = utc_now()
    with read_scope() as session:
        wrong = list_wrong_pins_on_tablets(session, site_id=user.site_id, now=now)
        paused = list_paused_names(session, site_id=user.site_id, now=now)
    st.header(t("devices.wrong_pins"))
    st.caption(t("devices.wrong_pins_hint", free=PER_SECRET_AND_CLIENT.free_tries))
    show_table(
        pd.DataFrame(
            [
                {
                    "device": row.tablet,
                    "person": row.name,
                    "failures": row.failures,
                    "last_failed_at": shown_moment(row.last_at),
                }
                for row in wrong
            ],
            columns=["device", "person", "failures", "last_failed_at"],
        )
    )
    st.header(t("devices.paused"))
    st.caption(t("devices.paused_hint", tries=PER_ACCOUNT_DAY.tries))
    secrets = {"volunteer": t("sign_in.pin"), "organizer": t("sign_in.password")}
    show_table(
        pd.DataFrame(
            [{"person": row.name, "secret": secrets[row.kind], "failures": row.failures} for row in paused],
            columns=["person", "secret", "failures"],
        )
    )
    person = pick_person(paused, placeholder=t("devices.paused_placeholder"), key="devices_paused_person")
    if person is not None and confirmed_button(
        t("devices.lift"), key="devices_lift", question=t("devices.lift_question", name=person[1])
    ):
        lift = partial(lift_pause, site_id=user.site_id, volunteer_id=person[0], actor_id=user.volunteer_id, now=now)
        run_change(lift, scope=bookkeeping_scope, done_key="devices.lifted", name=person[1])


def open_sessions() -> None:
    st.header(t("devices.sessions"))
    with read_scope() as session:
        rows = list_open_sessions(session, site_id=user.site_id, now=utc_now())
    show_table(
        pd.DataFrame(
            [
                {
                    "person": row.name,
                    "audience": t(f"audience.{row.audience}"),
                    "device": row.device or t("devices.own_browser"),
                    "signed_in_at": shown_moment(row.created_at),
                    "last_seen_at": shown_moment(row.last_seen_at),
                }
                for row in rows
            ],
            columns=["person", "audience", "device", "signed_in_at", "last_seen_at"],
        )
    )
    person = pick_person(rows, placeholder=t("devices.person_placeholder"), key="devices_person")
    if person is not None and confirmed_button(
        t("devices.end_sessions"), key="devices_end", question=t("devices.end_question", name=person[1])
    ):
        end = partial(
            end_sessions_by_organizer,
            site_id=user.site_id,
            volunteer_id=person[0],
            actor_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(end, scope=bookkeeping_scope, done_key="devices.sessions_ended", result_as="count", name=person[1])


def pick_person(rows: Sequence[Any], *, placeholder: str, key: str) -> tuple[int, str] | None:
    """One of the people the rows name (volunteer_id, name), by name; None until one is picked or when none is."""
    people: list[tuple[int, str]] = sorted({(row.volunteer_id, row.name) for row in rows}, key=lambda person: person[1])
    if not people:
        return None
    return st.selectbox(
        t("devices.person"), people, index=None, format_func=lambda person: person[1], placeholder=placeholder, key=key
    )


this_browser()
tablets()
wrong_tries()
open_sessions()
