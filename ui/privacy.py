"""Residents' personal data on screens and in files: numbers masked by default; "show the number" and an unmasked
export first ask why, and each is recorded as an access record (db.privacy.access) — one way to ask, for both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.core.privacy import mask_phone
from db.people.login_sessions import SignedIn
from db.privacy.access import record_access, reveal_phone
from ui.actions import run_change
from ui.downloads import download_buttons
from ui.i18n import t, translate
from ui.store import bookkeeping_scope
from ui.widgets import show_error

# The reasons an organizer gives on a screen; a resident's own request is asked on the resident's data page.
ASKED_REASONS = ("call", "platform_dispute", "other")
MAX_NOTE_LENGTH = 200
# Whole numbers this browser session was shown, by bag: {order_id: phone}. Never stored, gone with the session.
REVEALED_KEY = "privacy_revealed"
# Columns of a frame that hold a resident's phone number.
PHONE_COLUMNS = ("phone",)


@dataclass(frozen=True)
class Reason:
    """Why an organizer looks beyond the mask: a code of ACCESS_REASONS and the note, or None."""

    reason: str
    note: str | None


def reason_form(key: str, *, submit: str) -> Reason | None:
    """The question "why?": the reasons and a note (needed for "other"). Returns the answer on the run its button
    is pressed; "other" without a note is refused in place, and None otherwise."""
    with st.form(key=f"{key}_form", border=False):
        st.caption(t("privacy.ask_why"))
        # Words looked up now: a format function runs again where the reader's language is not known.
        labels = {code: t(f"value.access_reason.{code}").plain for code in ASKED_REASONS}
        reason = st.radio(
            t("column.reason"),
            ASKED_REASONS,
            format_func=labels.__getitem__,
            horizontal=True,
            key=f"{key}_reason",
        )
        note = st.text_input(t("privacy.note"), max_chars=MAX_NOTE_LENGTH, key=f"{key}_note")
        sent = st.form_submit_button(submit, type="primary", width="stretch", key=f"{key}_go")
    if not sent:
        return None
    written = note.strip() or None
    if reason == "other" and written is None:
        st.error(t("error.access_note_needed"))
        return None
    return Reason(reason=reason, note=written)


def masked_phone(phone: str) -> str:
    """A resident's number as every screen shows it by default (a blank number, after anonymising, as "—")."""
    return mask_phone(phone) if phone else "—"


def revealed_phone(order_id: int) -> str | None:
    """The bag's whole number when this session was shown it (show_number_button), else None."""
    revealed: dict[int, str] = st.session_state.get(REVEALED_KEY, {})
    return revealed.get(order_id)


def show_number_button(user: SignedIn, *, order_id: int, key: str) -> None:
    """ "Show the number": asks why, records who looked at which bag's number (reveal_phone), and from the next
    run this session shows the whole number (revealed_phone)."""
    with st.popover(t("privacy.show_number"), icon=":material/visibility:", key=f"{key}_popover"):
        reason = reason_form(key, submit=t("privacy.show_number"))
    if reason is None:
        return
    reveal = partial(
        reveal_phone,
        site_id=user.site_id,
        order_id=order_id,
        volunteer_id=user.volunteer_id,
        reason=reason.reason,
        note=reason.note,
        now=utc_now(),
    )
    # An access record changes no figure: the cached figures stay.
    run_change(reveal, scope=bookkeeping_scope, then=partial(_keep_revealed, order_id))


def _keep_revealed(order_id: int, phone: str) -> None:
    st.session_state[REVEALED_KEY] = {**st.session_state.get(REVEALED_KEY, {}), order_id: phone}


def masked_frame(frame: pd.DataFrame, *, columns: tuple[str, ...] = PHONE_COLUMNS) -> pd.DataFrame:
    """A copy with the residents' numbers in `columns` masked (blank cells stay blank)."""
    shown = frame.copy()
    for column in columns:
        if column in shown.columns:
            shown[column] = shown[column].map(lambda phone: mask_phone(phone) if isinstance(phone, str) else phone)
    return shown


def unmasked_reason(key: str, *, record: Callable[[Reason], None] | None = None) -> Reason | None:
    """The switch for unmasked files and, once it is on, the question why; the answer lasts while the switch
    stays on (this session only). None while the files stay masked. `record` records a list shown unmasked on
    the page itself (a print view) once, when the reason is given; files record themselves as they are made."""
    reason_key = f"{key}_unmasked_reason"
    if not st.toggle(t("privacy.unmasked"), key=f"{key}_unmasked", help=t("privacy.unmasked_help")):
        st.session_state.pop(reason_key, None)
        return None
    reason: Reason | None = st.session_state.get(reason_key)
    if reason is None:
        reason = reason_form(key, submit=t("privacy.unmasked_go"))
        if reason is None:
            return None
        if record is not None:
            try:
                record(reason)
            except StoreError as error:
                show_error(error)
                return None
        st.session_state[reason_key] = reason
    st.caption(t("privacy.unmasked_ready", reason=t(f"value.access_reason.{reason.reason}"), note=reason.note or ""))
    return reason


def record_unmasked(*, user: SignedIn, site_id: int, reason: Reason, subject: str, row_count: int) -> None:
    """One access record for an unmasked file made for download: which list, how many rows, why. Safe off the
    page's run (Streamlit's download thread): it reads nothing of the session."""
    with bookkeeping_scope() as session:
        record_access(
            session,
            site_id=site_id,
            volunteer_id=user.volunteer_id,
            kind="export_unmasked",
            reason=reason.reason,
            note=reason.note,
            subject=subject,
            row_count=row_count,
            now=utc_now(),
        )


def recorded_file(
    make: Callable[[], bytes], *, user: SignedIn, site_id: int, reason: Reason, subject: str, row_count: int
) -> Callable[[], bytes]:
    """`make` for a download button (run when the file is asked for), recording the unmasked file as it is made."""

    def made() -> bytes:
        data = make()
        record_unmasked(user=user, site_id=site_id, reason=reason, subject=subject, row_count=row_count)
        return data

    return made


def personal_data_downloads(
    load_masked: Callable[[], pd.DataFrame],
    load_whole: Callable[[], pd.DataFrame],
    *,
    user: SignedIn,
    subject: str,
    key: str,
    file_stem: str,
    codes: dict[str, str] | None = None,
    first: tuple[str, ...] = (),
) -> None:
    """CSV and Excel of a list naming residents: masked files, and — once the organizer said why — unmasked ones,
    each recorded with its row count when it is made (ui.downloads.download_buttons: on the download thread)."""
    download_buttons(load_masked, key=key, file_stem=file_stem, codes=codes, first=first)
    reason = unmasked_reason(key)
    if reason is None:
        return

    def load_and_record() -> pd.DataFrame:
        frame = load_whole()
        record_unmasked(user=user, site_id=user.site_id, reason=reason, subject=subject, row_count=len(frame))
        return frame

    download_buttons(
        load_and_record,
        key=f"{key}_whole",
        file_stem=f"{file_stem}-unmasked",
        codes=codes,
        first=first,
        labels=(t("privacy.unmasked_csv"), t("privacy.unmasked_xlsx")),
    )


# An access record's code words and the value families that name them.
ACCESS_CODES = {"kind": "access_kind", "reason": "access_reason", "subject": "access_subject"}


def worded_access_records(records: pd.DataFrame, *, language: str) -> pd.DataFrame:
    """Access records (db.privacy.access.list_access_records) for people: kinds, reasons and lists in `language`
    (blank where a record has none), times to the minute, the household id under a heading of its own (files
    leave `…_id` columns out)."""
    worded = records.rename(columns={"household_id": "household"})
    # Already on the site's clock (the store gives local times): to the minute, as text, on screen and in files.
    worded["happened_at"] = worded["happened_at"].map(lambda at: f"{at:%Y-%m-%d %H:%M}")
    # A count only where a record has one (an export's rows): blank, not "None", elsewhere.
    worded["row_count"] = worded["row_count"].astype(object).where(worded["row_count"].notna(), None)
    for column, family in ACCESS_CODES.items():
        worded[column] = worded[column].map(
            lambda code, family=family: (
                translate(language, f"value.{family}.{code}").plain if isinstance(code, str) and code else ""
            )
        )
    return worded
