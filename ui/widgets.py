"""Widget patterns the pages share: page heading, tablet-sized buttons, translated errors and tables."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from db.cold_chain.temperatures import list_due_readings
from db.core.clock import to_local, utc_now
from db.core.errors import StoreError
from db.people.sites import SiteInfo, list_organizer_sites
from ui.i18n import (
    LANGUAGE_NAMES,
    LANGUAGE_STATE_KEY,
    LANGUAGES,
    MarkdownText,
    current_language,
    escape_markdown,
    join_list,
    load_catalog,
    t,
    translate,
)
from ui.pages_registry import page_spec
from ui.scan import decode_qr
from ui.session import act_for_site, acting_site_id, current_user
from ui.store import cached_read, read_scope

# The app's one style sheet, injected on every run (ui.shell): touch targets, Streamlit's own English words, paper.
# Touch targets of at least 48 px (3rem at the 18 px base font set in .streamlit/config.toml) for everything a
# volunteer taps on the 10-inch tablet: the menu and the sidebar's toggle, tabs, buttons, inputs and the small
# buttons Streamlit draws inside them (show password, open a select, close a toast).
TABLET_CSS = """
.stButton button, .stFormSubmitButton button, .stDownloadButton button, .stPageLink a { min-height: 3rem; }
.stTextInput input, .stNumberInput input { min-height: 3rem; font-size: 1.1rem; }
.stSelectbox [data-baseweb="select"] > div, .stMultiSelect [data-baseweb="select"] > div { min-height: 3rem; }
/* Streamlit 1.67 draws a selectbox as a react-aria combo box: its field is the group around the input. */
.stSelectbox [role="group"], .stMultiSelect [role="group"] { min-height: 3rem; }
.stSelectbox button, .stMultiSelect button { min-width: 3rem; }
.stRadio label, .stCheckbox label { min-height: 3rem; align-items: center; }
[data-testid="stSidebarNavLink"] { min-height: 3rem; align-items: center; }
[data-testid="stSidebarCollapseButton"] button, [data-testid="stExpandSidebarButton"],
[data-testid="stTextInputRootElement"] button, [data-testid="stToast"] button,
[data-testid="stNumberInput"] button { min-width: 3rem; min-height: 3rem; }
.stTabs [role="tab"] { min-height: 3rem; min-width: 3rem; }
.stDateInput [data-testid="stDateInputField"] { min-height: 3rem; }
/* Heading anchors are for sharing a link to a section, not for the counter (and are 18 px). */
[data-testid="stHeaderActionElements"] { display: none; }
/* The table and chart toolbar's buttons speak English only and are 27 px: tables have download buttons. */
[data-testid="stElementToolbar"] { display: none !important; }
/* The upload box's own words are English ("200MB per file"): each label names the file types instead. */
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
/* A text field's own hint ("Press Enter to submit form", "Press Enter to apply") is English only. */
[data-testid="InputInstructions"] { display: none; }
"""
# Paper: the page's content only, full width; no sidebar, menu, controls, buttons or toasts.
PRINT_CSS = """
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stExpandSidebarButton"], [data-testid="stToastContainer"], [data-testid="stToast"],
  [data-testid="stElementToolbar"], .stButton, .stDownloadButton, .stFormSubmitButton, .stPageLink,
  .stRadio, .stCheckbox, .stSelectbox, .stMultiSelect, .stTextInput, .stNumberInput, .stDateInput, .stTimeInput,
  .stFileUploader, .stCameraInput, .stForm, .stTabs [role="tablist"] { display: none !important; }
  .stMain, .stMainBlockContainer { padding: 0 !important; margin: 0 !important; max-width: 100% !important; }
}
"""


def style_sheet(language: str) -> str:
    """The app's CSS in `language`: where Streamlit draws words of its own that no parameter sets (the upload
    button, a date field's empty parts), the catalog's word is put in their place."""
    words = {key: json.dumps(translate(language, key).plain, ensure_ascii=False) for key in STREAMLIT_WORDS}
    replaced = f"""
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {{
  content: {words["upload.button"]}; font-size: 1rem; }}
.stDateInput [data-placeholder="true"] {{ font-size: 0; }}
.stDateInput [data-placeholder="true"]::after {{ font-size: 1rem; }}
.stDateInput [data-placeholder="true"][data-type="year"]::after {{ content: {words["date.placeholder.year"]}; }}
.stDateInput [data-placeholder="true"][data-type="month"]::after {{ content: {words["date.placeholder.month"]}; }}
.stDateInput [data-placeholder="true"][data-type="day"]::after {{ content: {words["date.placeholder.day"]}; }}
"""
    return f"<style>{TABLET_CSS}{replaced}{PRINT_CSS}</style>"


# Catalog keys whose words stand in for Streamlit's own (see style_sheet).
STREAMLIT_WORDS = ("upload.button", "date.placeholder.year", "date.placeholder.month", "date.placeholder.day")
# Built once at import, from this module's CSS and the catalogs' words only.
STYLE_SHEETS = {language: style_sheet(language) for language in LANGUAGES}


def apply_tablet_style() -> None:
    """Once per run, from app.py: the CSS lives only as long as the run's elements."""
    st.html(STYLE_SHEETS[current_language()])


def page_header(name: str) -> None:
    """The page's title and the one paragraph saying what it holds."""
    spec = page_spec(name)
    st.title(t(spec.title_key))
    st.markdown(t(spec.intro_key))


def big_button(
    label: str, *, key: str, primary: bool = False, disabled: bool = False, on_click: Callable[[], None] | None = None
) -> bool:
    """A full-width button, easy to hit on the counter's tablet; `on_click` runs before the next run (it may reset
    other widgets, which the page itself cannot do once they are drawn)."""
    return st.button(
        label,
        key=key,
        type="primary" if primary else "secondary",
        width="stretch",
        disabled=disabled,
        on_click=on_click,
    )


def ask_first(key: str, subject: Any = True) -> None:
    """The first tap of a change that asks once more: `subject` (a bag, the chosen orders) waits in the session
    under `key` until "yes" or "no", so the question survives reruns (and another tablet's change meanwhile)."""
    st.session_state[key] = subject


def confirmation(
    key: str,
    *,
    question: str,
    yes: str | None = None,
    no: str | None = None,
    yes_key: str | None = None,
    no_key: str | None = None,
) -> Any:
    """The one "are you sure?" of the app: while something waits under `key` (ask_first), the question and two big
    buttons. Returns what waited on the run where "yes" is tapped (forgotten then); "no" forgets it and starts
    over; None on every other run."""
    subject = st.session_state.get(key)
    if subject is None:
        return None
    st.warning(question)
    if big_button(yes or t("confirm.yes"), key=yes_key or f"{key}_yes", primary=True):
        st.session_state.pop(key, None)
        return subject
    if big_button(no or t("confirm.no"), key=no_key or f"{key}_no"):
        st.session_state.pop(key, None)
        st.rerun()
    return None


def confirmed_button(
    label: str,
    *,
    key: str,
    question: str,
    primary: bool = False,
    yes: str | None = None,
    no: str | None = None,
    yes_key: str | None = None,
    no_key: str | None = None,
) -> bool:
    """A big button that asks once more (ask_first + confirmation): True only on the run where the second tap says
    yes; "no" backs out. The answer buttons are `{key}_yes` and `{key}_no` unless named."""
    if big_button(label, key=key, primary=primary):
        ask_first(f"{key}_pending")
    answered = confirmation(
        f"{key}_pending",
        question=question,
        yes=yes,
        no=no,
        yes_key=yes_key or f"{key}_yes",
        no_key=no_key or f"{key}_no",
    )
    return answered is not None


def camera_scan(*, key: str, fills: str) -> None:
    """Once the volunteer opens the camera: a photographed QR code or barcode goes into the text box `fills`
    (rendered after this), once per photo, so the volunteer sees what was read and can correct it."""
    if not st.toggle(t("scan.open_camera"), key=f"{key}_open"):
        return
    photo = st.camera_input(t("scan.camera"), key=key)
    # The photo stays in the widget across reruns: read each one once, or it would overwrite later typing.
    if photo is None or st.session_state.get(f"{key}_read") == photo.file_id:
        return
    st.session_state[f"{key}_read"] = photo.file_id
    text = decode_qr(photo.getvalue())
    if text is None:
        st.warning(t("scan.nothing_found"))
        return
    st.session_state[fills] = text


def show_error(error: StoreError) -> None:
    st.error(t(error.key, **error.params))


def show_table(frame: pd.DataFrame, *, codes: dict[str, str] | None = None) -> None:
    """A read-only table with translated headers (`column.<name>`); `codes` maps a column to its value family.

    The interactive grid shows cells as text, not Markdown: a cell holding a translated message takes its
    `.plain` words (pandas keeps text cells as plain str, so a MarkdownText would arrive escaped)."""
    if frame.empty:
        st.caption(t("table.empty"))
        return
    st.dataframe(_worded(frame, codes=codes), hide_index=True, width="stretch")


def show_print_table(frame: pd.DataFrame) -> None:
    """A static table for paper (already translated, as ui.downloads.translated_frame makes it). st.table reads
    every cell and header as Markdown, so each one is escaped here: names and codes print as typed."""
    shown = frame.map(_printed)
    shown.columns = [escape_markdown(column) for column in shown.columns]
    st.table(shown, border="horizontal", hide_index=True)


def _printed(value: Any) -> Any:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}"  # a reading as typed (5.1), not the static table's 5.1000
    if isinstance(value, dt.datetime | dt.time):
        return _worded_time(value)
    if isinstance(value, bool | int):
        return value
    return escape_markdown(value)


def _worded(frame: pd.DataFrame, *, codes: dict[str, str] | None) -> pd.DataFrame:
    # The language once and each code word once per table: a 200-row list asked for both cell by cell (the session's
    # state read 10,000 times) and spent a quarter of the orders page's run on it.
    language = current_language()
    shown = frame.copy()
    for column, family in (codes or {}).items():
        shown[column] = shown[column].map(_code_words(family, language=language))
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]) or _holds_times(shown[column]):
            # Times as the catalog spells them (`{at:%H:%M}`): no seconds in the roster or the logs.
            shown[column] = shown[column].map(lambda value: _worded_time(value, language=language))
        elif pd.api.types.is_object_dtype(shown[column]) or pd.api.types.is_string_dtype(shown[column]):
            # Missing text (a bag with no slot yet) shows blank, not the table's grey "None".
            shown[column] = shown[column].where(shown[column].notna(), "")
    shown.columns = [translate(language, f"column.{column}").plain for column in shown.columns]
    return shown


def _code_words(family: str, *, language: str) -> Callable[[Any], MarkdownText | None]:
    """A cell's code word(s) → words (translate_codes), each distinct value looked up once."""
    words: dict[Any, MarkdownText] = {}

    def word(value: Any) -> MarkdownText | None:
        if value is None:
            return None
        key = tuple(value) if isinstance(value, list) else value
        if key not in words:
            words[key] = translate_codes(value, family, language=language)
        return words[key]

    return word


def _holds_times(values: pd.Series) -> bool:
    """A column of moments or times of day (object dtype: pandas keeps dt.time and mixed moments as objects)."""
    present = values.dropna()
    return not present.empty and all(isinstance(value, dt.datetime | dt.time) for value in present)


def _worded_time(value: Any, *, language: str | None = None) -> str:
    if value is None or pd.isna(value):
        return ""
    key = "format.time" if isinstance(value, dt.time) else "format.moment"
    return translate(language or current_language(), key, at=value).plain


# Fields of an event's before/after that hold a stored code word, and the value families that name it, tried in
# order (an `outcome` is an excursion check's or a call's; a `kind` a unit's, a storage class, an account's secret or
# a backup's).
CHANGE_VALUE_FAMILIES: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "kind": ("kind",),
    "storage_class": ("kind",),
    "role": ("role",),
    "roles": ("role",),
    "outcome": ("outcome", "call_outcome"),
    "notice": ("notice",),
    "weekday": ("weekday",),
    "collected_by": ("collector",),
    # A weekday's hours in a rules change: "closed" or "usual" in words, other hours as they are ("09:00–12:00").
    **{f"weekday_hours_{weekday}": ("opening",) for weekday in range(7)},
}


def change_text(values: dict[str, Any] | None) -> str:
    """An event's before or after in the reader's language: 状态：已上架；货位：F1-01 (not status=shelved).
    Plain text, for the event tables' cells (never Markdown)."""
    if not values:
        return ""
    catalog = load_catalog(current_language())
    parts = []
    for field_name, value in values.items():
        if value is None:
            continue
        codes = value if isinstance(value, list) else [value]
        family = next(
            (
                family
                for family in CHANGE_VALUE_FAMILIES.get(field_name, ())
                if all(f"value.{family}.{code}" in catalog for code in codes)
            ),
            None,
        )
        if family:
            shown = translate_codes([str(code) for code in codes], family)
        elif isinstance(value, bool):
            shown = t(f"value.yes_no.{value}")
        elif isinstance(value, list):
            shown = join_list(value)
        else:
            shown = _local_if_moment(value)
        label = catalog.get(f"column.{field_name}", field_name)
        parts.append(t("change.field", field=label, value=shown).plain)
    return t("change.separator").plain.join(parts)


def worded_changes(events: pd.DataFrame) -> pd.DataFrame:
    """An event frame with its before/after (and what it is about, when the frame names it) in words (see
    change_text)."""
    worded = events.assign(before=events["before"].map(change_text), after=events["after"].map(change_text))
    if "subject" in worded.columns:
        worded["subject"] = worded["subject"].map(change_text)
    return worded


def _local_if_moment(value: Any) -> str:
    """Times in events are stored as UTC ISO text; shown in Asia/Shanghai like every other time, as the catalog
    spells a moment (no seconds)."""
    if isinstance(value, str) and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return t("format.moment", at=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).plain
    return str(value)


def translate_codes(value: str | list[str], family: str, *, language: str | None = None) -> MarkdownText:
    """Stored code words (`picked_up`, `fridge`) in the reader's language (or `language`); lists joined. Catalog
    words only, so the result is safe for Markdown as it is."""
    language = language or current_language()
    codes = value if isinstance(value, list) else [value]
    return join_list([translate(language, f"value.{family}.{code}") for code in codes], language=language)


def choose_site(sites: list[SiteInfo], *, key: str) -> SiteInfo | None:
    """The pickup point this screen is about: asked only when there is more than one."""
    if not sites:
        st.info(t("site.none"))
        return None
    if len(sites) == 1:
        return sites[0]
    return st.selectbox(t("site.choose"), sites, format_func=lambda site: f"{site.name} ({site.code})", key=key)


def organizer_sites(volunteer_id: int) -> list[SiteInfo]:
    """The sites this organizer may act for (read through the short cache: every organizer run asks)."""
    return cached_read(list_organizer_sites, volunteer_id=volunteer_id)


def acting_site_switch() -> None:
    """In the sidebar, for an organizer of several sites: which site the pages are about (ui.session)."""
    user = current_user()
    sites = organizer_sites(user.volunteer_id)
    if len(sites) < 2:
        return
    by_id = {site.id: site for site in sites}
    if acting_site_id() not in by_id:
        act_for_site(user.site_id if user.site_id in by_id else sites[0].id)

    def _keep_choice() -> None:
        act_for_site(st.session_state["acting_site_choice"])

    # Seeded each run from our own key: the district view may have opened another site meanwhile.
    st.session_state["acting_site_choice"] = acting_site_id()
    st.selectbox(
        t("site.acting"),
        list(by_id),
        format_func=lambda site_id: f"{by_id[site_id].name} ({by_id[site_id].code})",
        key="acting_site_choice",
        on_change=_keep_choice,
    )


def language_switch() -> None:
    """中文 / English in the sidebar; the choice lasts for this browser session."""

    def _keep_choice() -> None:
        st.session_state[LANGUAGE_STATE_KEY] = st.session_state["language_choice"]

    # Seeded from our own key each run: a widget's value is dropped on a page switch, the session's language is not.
    st.session_state["language_choice"] = current_language()
    st.radio(
        t("sidebar.language"),
        LANGUAGES,
        format_func=LANGUAGE_NAMES.__getitem__,
        horizontal=True,
        key="language_choice",
        on_change=_keep_choice,
    )


def show_qr(payload: str, *, caption: str) -> None:
    """A QR code a tablet at the desk can scan, sized for a phone screen."""
    st.image(qr_png(payload), caption=caption, width=240)


def qr_png(payload: str) -> bytes:
    import segno  # imported here: only the residents' page draws QR codes

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


# Labels of the secret form: current, new, new again, save.
_SECRET_LABELS = {
    "pin": ("account.current_pin", "account.new_pin", "account.new_pin_again", "account.save_pin"),
    "password": (
        "account.current_password",
        "account.new_password",
        "account.new_password_again",
        "account.save_password",
    ),
}


# The secret form refused last and how many refusals so far: the cursor goes back into its first box.
SECRET_REFUSED_KEY = "secret_form_refused"


def secret_refused(key: str, *, ask_current: bool) -> None:
    """After a refusal of the secret form `key` (its boxes are empty already): the cursor goes back into its first."""
    count = st.session_state.get(SECRET_REFUSED_KEY, ("", 0))[1] + 1
    st.session_state[SECRET_REFUSED_KEY] = (f"{key}_current" if ask_current else f"{key}_new", count)


def refused_secret_box() -> tuple[str | None, int]:
    """The widget key of the box to put the cursor in after the last refusal (None: none yet), and its token."""
    box, count = st.session_state.get(SECRET_REFUSED_KEY, ("", 0))
    return box or None, count


@dataclass(frozen=True)
class SecretEntry:
    """What a secret form was given, and the place above the form where its answer goes (in view of its boxes)."""

    current: str
    new: str
    answer: Any  # a Streamlit container


def secret_form(key: str, *, kind: str, ask_current: bool) -> SecretEntry | None:
    """A form for a new PIN or password, typed twice; returns what was typed once submitted and both agree.

    `kind` is "pin" or "password"; `ask_current` for one's own secret (an organizer's reset does not know it).
    Refusals and successes are said in `answer`, above the form, where the cursor goes back after a refusal.
    """
    answer = st.container()
    current_label, new_label, again_label, save_label = _SECRET_LABELS[kind]
    max_chars = 6 if kind == "pin" else 128
    with st.form(key, clear_on_submit=True):
        current = (
            st.text_input(t(current_label), type="password", max_chars=max_chars, key=f"{key}_current")
            if ask_current
            else ""
        )
        new = st.text_input(t(new_label), type="password", max_chars=max_chars, key=f"{key}_new")
        again = st.text_input(t(again_label), type="password", max_chars=max_chars, key=f"{key}_again")
        submitted = st.form_submit_button(t(save_label), type="primary", width="stretch", key=f"{key}_submit")
    if not submitted:
        return None
    if new != again:
        answer.error(t("account.new_secrets_differ"))
        secret_refused(key, ask_current=ask_current)
        return None
    return SecretEntry(current=current, new=new, answer=answer)


def due_readings_notice(*, site_id: int) -> None:
    """Fridge and freezer readings still to take (a follow-up after an out-of-range one, or a missed one),
    with a link to the temperature log; nothing when all is done. The desk and the dashboard show it."""
    with read_scope() as session:
        due = list_due_readings(session, site_id=site_id, now=utc_now())
    for item in due:
        if item.kind == "follow_up":
            text = t(
                "due.follow_up", unit=item.unit_code, name=item.unit_name, time=to_local(item.due_at).strftime("%H:%M")
            )
            show = st.error if item.overdue else st.warning
        else:
            text = t("due.missing", unit=item.unit_code, name=item.unit_name, count=item.missing)
            show = st.warning
        show(text, icon=":material/thermostat:")
    if due:
        st.page_link(page_spec("temperatures").path, label=t("due.go_log"), icon=":material/edit_note:")
