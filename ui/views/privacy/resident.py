"""A resident's data, for the organizer answering their request: the whole number typed, everything the site holds
under it on screen (the number masked), one workbook to hand them, and "anonymise now" after one more question.

What was found stays in the session only while the organizer is on this page: its keys start with "resident_data_"
(ui.session.PAGE_PRIVATE_STATE), which the shell forgets on the first run of any other page."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from db.core.clock import utc_now
from db.core.privacy import mask_phone
from db.people.login_sessions import SignedIn
from db.privacy.requests import ResidentData, anonymise_resident, find_resident, record_resident_export
from db.privacy.retention import Anonymised
from ui.actions import forget, run_change
from ui.downloads import translated_frame
from ui.event_words import change_text
from ui.exports import frames_to_xlsx_bytes
from ui.i18n import current_language, t
from ui.keyboard import PHONE, input_hints
from ui.privacy import masked_frame
from ui.session import post_notice
from ui.store import bookkeeping_scope
from ui.tables import show_table
from ui.widgets import confirmed_button

PHONE_KEY = "resident_data_phone"
# What the last find gave (a ResidentData, or None for "nothing under this number"), and for which site.
FOUND_KEY = "resident_data_found"
FOUND_SITE_KEY = "resident_data_site"
# Set by a find that named someone and by a done anonymisation: the next run empties the number box before drawing it.
CLEAR_KEY = "resident_data_clear"
ANONYMISE_KEY = "resident_data_anonymise"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The parts of what the site holds, in the order the screen and the workbook show them, with their code columns.
PARTS: dict[str, dict[str, str]] = {
    "bags": {"storage_class": "kind", "status": "status"},
    "events": {"action": "action"},
    "calls": {"outcome": "call_outcome"},
    "notices": {"action": "action"},
    "messages": {"channel": "channel", "kind": "message_kind", "status": "message_status"},
}


def find_form(user: SignedIn) -> None:
    """The whole number and "find" (Enter submits). A find is recorded by the store (an access record), so it runs
    once per submit and its answer is kept for the runs that follow (the download, the question); a number the store
    cannot read is said in place and stays in the box."""
    if st.session_state.pop(CLEAR_KEY, False):
        st.session_state[PHONE_KEY] = ""
    if st.session_state.get(FOUND_SITE_KEY) != user.site_id:
        forget(FOUND_KEY)  # the organizer now acts for another pickup point
    label = t("resident_data.phone")
    with st.form("resident_data_find"):
        typed = st.text_input(label, max_chars=20, placeholder=t("resident_data.phone_example").plain, key=PHONE_KEY)
        asked = st.form_submit_button(t("resident_data.find"), type="primary", key="resident_data_find_go")
    input_hints(modes={label: PHONE}, focus=label)
    if not asked:
        return
    forget(FOUND_KEY, f"{ANONYMISE_KEY}_pending")
    st.session_state[FOUND_SITE_KEY] = user.site_id
    find = partial(find_resident, site_id=user.site_id, phone=typed, volunteer_id=user.volunteer_id, now=utc_now())
    run_change(find, then=_found, scope=bookkeeping_scope)


def _found(found: ResidentData | None) -> None:
    """Kept for the runs that follow; once someone is found the box empties (the run after this one), so the whole
    number leaves the screen and the masked one names them. A number that found nobody stays to be corrected."""
    st.session_state[FOUND_KEY] = found
    if found is not None:
        st.session_state[CLEAR_KEY] = True


def found_resident() -> ResidentData | None:
    """The resident the last find found; None before a find, or when it found nothing (said here)."""
    if FOUND_KEY not in st.session_state:
        return None
    found: ResidentData | None = st.session_state[FOUND_KEY]
    if found is None:
        st.info(t("resident_data.not_found"))
    return found


def show_resident(found: ResidentData, user: SignedIn) -> None:
    """Who was found (the number masked), the file for the resident, "anonymise now", then every part as text."""
    st.markdown(
        t("resident_data.found", phone=mask_phone(found.phone), household_id=found.household_id, bags=len(found.bags))
    )
    download_for_resident(found, user)
    anonymise_now(found, user)
    for part, frame in on_screen(found).items():
        st.header(t(f"resident_data.part.{part}", count=len(frame)))
        show_table(frame.drop(columns=["order_id"], errors="ignore"), codes=PARTS[part])


def on_screen(found: ResidentData) -> dict[str, pd.DataFrame]:
    """The parts as the screen shows them: events worded, and every phone number masked (a correction's before and
    after, an SMS's recipient); the file for the resident holds them whole."""
    parts = worded_parts(found)
    parts["messages"] = masked_frame(parts["messages"], columns=("recipient",))
    return parts


def worded_parts(found: ResidentData) -> dict[str, pd.DataFrame]:
    """The five parts with each event's before and after in the reader's words (numbers masked, as change_text words
    them everywhere); a message whose text also speaks of other residents says so instead of its text."""
    events = found.events.assign(
        before=found.events["before"].map(change_text), after=found.events["after"].map(change_text)
    )
    withheld = t("resident_data.text_withheld").plain
    messages = found.messages.assign(text=found.messages["text"].map(lambda text: withheld if text is None else text))
    return {
        "bags": found.bags,
        "events": events,
        "calls": found.calls,
        "notices": found.notices,
        "messages": messages,
    }


def resident_workbook(found: ResidentData, *, language: str) -> tuple[bytes, int]:
    """One workbook for the resident: a sheet saying whose data it is, then a sheet per part, headings and code
    words in the organizer's language, the number whole. Returns the file and how many rows of data it holds."""
    parts = worded_parts(found)
    about = pd.DataFrame(
        {
            "field": [t(f"resident_data.sheet_{name}").plain for name in ("phone", "household_id", "made_at")],
            "value": [found.phone, found.household_id, t("format.moment", at=utc_now()).plain],
        }
    )
    sheets = {t("resident_data.sheet_about").plain: translated_frame(about, language=language)}
    for part, frame in parts.items():
        sheets[t(f"resident_data.sheet.{part}").plain] = translated_frame(frame, language=language, codes=PARTS[part])
    return frames_to_xlsx_bytes(sheets), sum(len(frame) for frame in parts.values())


def download_for_resident(found: ResidentData, user: SignedIn) -> None:
    """ "Download for the resident": the download itself is recorded (resident_exported, with its rows), at the
    moment of the click."""
    data, rows = resident_workbook(found, language=current_language())

    def record() -> None:
        exported = partial(
            record_resident_export,
            site_id=user.site_id,
            household_id=found.household_id,
            volunteer_id=user.volunteer_id,
            row_count=rows,
            now=utc_now(),
        )
        run_change(exported, done_key="resident_data.downloaded", rows=rows, scope=bookkeeping_scope, rerun=False)

    st.download_button(
        t("resident_data.download"),
        data,
        file_name=f"resident-{found.household_id}.xlsx",
        mime=XLSX,
        key="resident_data_download",
        on_click=record,
        type="primary",
        width="stretch",
        icon=":material/download:",
    )


def anonymise_now(found: ResidentData, user: SignedIn) -> None:
    """ "Anonymise now", after a question that says what stays and what the older backups still hold; the store
    refuses while a bag is open (said in place, with the count)."""
    if found.open_bags:
        st.caption(t("error.resident_has_open_bags", count=found.open_bags))
    question = t("resident_data.anonymise_question", bags=len(found.bags), household_id=found.household_id)
    if confirmed_button(
        t("resident_data.anonymise"),
        key=ANONYMISE_KEY,
        question=question,
        yes=t("resident_data.anonymise_yes"),
    ):
        anonymise = partial(
            anonymise_resident, site_id=user.site_id, phone=found.phone, volunteer_id=user.volunteer_id, now=utc_now()
        )
        run_change(anonymise, then=_anonymised)


def _anonymised(done: Anonymised) -> None:
    """The resident's data is gone from the store: gone from the session too, the number box emptied."""
    forget(FOUND_KEY)
    st.session_state[CLEAR_KEY] = True
    post_notice("resident_data.anonymised", orders=done.orders, events=done.events, messages=done.messages)
