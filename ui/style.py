"""The app's one style sheet: touch targets for the tablet, Streamlit's own English words in the reader's
language, and paper."""

from __future__ import annotations

import json

import streamlit as st

from ui.i18n import (
    LANGUAGES,
    current_language,
    translate,
)

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
/* An open list's choices, the tablet's names on the sign-in page among them (45 px each, at any width). */
[role="option"] { min-height: 3rem; }
.stRadio label, .stCheckbox label { min-height: 3rem; align-items: center; }
[data-testid="stSidebarNavLink"] { min-height: 3rem; align-items: center; }
[data-testid="stSidebarCollapseButton"] button, [data-testid="stExpandSidebarButton"],
[data-testid="stTextInputRootElement"] button, [data-testid="stToast"] button,
[data-testid="stNumberInput"] button { min-width: 3rem; min-height: 3rem; }
.stTabs [role="tab"] { min-height: 3rem; min-width: 3rem; }
.stDateInput [data-testid="stDateInputField"] { min-height: 3rem; }
/* A button's words wrap rather than end in "…" where two share a row (the arrivals' last bag: "in F1-03" beside
   the undo with its time, on the tablet). */
.stButton button [data-testid="stMarkdownContainer"], .stButton button [data-testid="stMarkdownContainer"] p {
  white-space: normal; overflow: visible; }
/* Heading anchors are for sharing a link to a section, not for the counter (and are 18 px). */
[data-testid="stHeaderActionElements"] { display: none; }
/* The table and chart toolbar's buttons speak English only and are 27 px: tables have download buttons. */
[data-testid="stElementToolbar"] { display: none !important; }
/* The upload box's own words are English ("200MB per file"): each label names the file types instead. */
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
/* A text field's own hint ("Press Enter to submit form", "Press Enter to apply") is English only. */
[data-testid="InputInstructions"] { display: none; }
"""
# Contrast (issue 22): Streamlit draws captions (st.caption: "updated at", the sidebar's "signed in as", a table's
# count) in a faded grey of 3.8:1 on white and on the sidebar's grey; this one, unfaded, is 5.8:1 on white and
# 5.2:1 on the tinted boxes (WCAG AA asks 4.5:1). Kept apart from the elder-mode block, which sets its own sizes and
# colours on top.
CONTRAST_CSS = """
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #666564; opacity: 1; }
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
    return f"<style>{TABLET_CSS}{CONTRAST_CSS}{replaced}{PRINT_CSS}{SHORT_VIEW_CSS}</style>"


# The desk at 200 % browser zoom (the 1024×768 tablet is then 512×384 CSS px), elder mode or not: the search box and
# its button stay side by side (Streamlit stacks columns under 640 px), and the row is pinned to the top of a short
# view clear of Streamlit's header (ui.keyboard's `pin`), so the first bag found and its button are in view below it.
SHORT_VIEW_CSS = """
.st-key-desk_search_row { scroll-margin-top: 4rem; }
.st-key-desk_search_row [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; }
.st-key-desk_search_row [data-testid="stColumn"] { min-width: 0; }
.st-key-desk_search_row [data-testid="stColumn"]:last-child { flex: 0 0 auto; width: auto; }
"""
# Catalog keys whose words stand in for Streamlit's own (see style_sheet).
STREAMLIT_WORDS = ("upload.button", "date.placeholder.year", "date.placeholder.month", "date.placeholder.day")
# Built once at import, from this module's CSS and the catalogs' words only.
STYLE_SHEETS = {language: style_sheet(language) for language in LANGUAGES}


def apply_tablet_style() -> None:
    """Once per run, from app.py: the CSS lives only as long as the run's elements."""
    st.html(STYLE_SHEETS[current_language()])


# 长辈模式 (elder mode), on top of the sheet above while ui.elder.elder_mode_on() says so: the numbers of the
# guideline for elder-friendly apps (issue 22): body text of at least 24 px (the root size, so every rem grows with
# it), line height of at least 1.3, main controls of at least 60 px each way, every text at 4.5:1 or more (grey
# captions in the text's own colour), status with an icon as well as its colour and words, and the one primary
# action of a step set apart by its size and a frame. Checked by tests/browser/test_elder_mode_browser.py.
ELDER_CSS = """
html { font-size: 24px !important; }
.stApp { line-height: 1.4; }
.stMainBlockContainer { padding-left: 1.5rem; padding-right: 1.5rem; padding-top: 4rem; }
[data-testid="stSidebar"] p, [data-testid="stSidebar"] span, [data-testid="stSidebar"] label,
[data-testid="stSidebarNavLink"] span, [data-testid="stNavSectionHeader"], [data-testid="stNavSectionHeader"] * {
  font-size: 1rem !important; }
/* A long page name wraps instead of ending in "…" at the larger size. */
[data-testid="stSidebarNavLink"] span { white-space: normal; overflow: visible; text-overflow: clip; }
.stSelectbox [data-baseweb="select"] *, .stMultiSelect [data-baseweb="select"] *, .stSelectbox input,
.stSelectbox [role="group"] * { font-size: 1rem !important; }
.stApp p, .stApp li, .stApp label, .stApp td, .stApp th { line-height: 1.4; }
.stApp h1 { font-size: 1.75rem; line-height: 1.3; }
.stApp h2 { font-size: 1.5rem; line-height: 1.3; }
.stApp h3, .stApp h4 { font-size: 1.25rem; line-height: 1.3; }
/* Nothing smaller than the body text: captions, widget labels, help, metrics' labels, small print. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *, .stApp small,
[data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] *,
.stApp [data-baseweb="tag"] span, .stApp [role="option"], .stApp [role="tab"] p, .stRadio [role="radiogroup"] p,
.stCheckbox label p, [data-testid="stCheckbox"] p, [data-testid="stToast"] p, .stPageLink p {
  font-size: 1rem !important; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: inherit !important; opacity: 1; }
.stTextInput input, .stNumberInput input, .stTextArea textarea, .stDateInput input, .stTimeInput input {
  font-size: 1rem; min-height: 2.5rem; }
.stTextInput input::placeholder, .stNumberInput input::placeholder, .stTextArea textarea::placeholder {
  color: #4a4c57; opacity: 1; }
/* Main controls of at least 60 px (2.5rem at 24 px). */
.stButton button, .stFormSubmitButton button, .stDownloadButton button, .stPageLink a,
[data-testid="stSidebarNavLink"], .stRadio label, .stCheckbox label, .stTabs [role="tab"],
.stSelectbox [role="group"], .stMultiSelect [role="group"], .stSelectbox [data-baseweb="select"] > div,
.stSelectbox [role="combobox"], .stMultiSelect [role="combobox"],
[data-testid="stTextInputRootElement"] button, [data-testid="stNumberInput"] button, .stSelectbox button,
.stMultiSelect button, [data-testid="stToast"] button, [data-testid="stSidebarCollapseButton"] button,
[data-testid="stExpandSidebarButton"], .stDateInput [data-testid="stDateInputField"] {
  min-height: 2.5rem; min-width: 2.5rem; }
.stButton button p, .stFormSubmitButton button p, .stDownloadButton button p { font-size: 1rem; }
/* The one primary action of a step: taller, bold, framed apart from the rest. */
.stButton button[kind="primary"], .stFormSubmitButton button[kind="primaryFormSubmit"] {
  min-height: 3rem; font-weight: 700; outline: 3px solid #1b5e20; outline-offset: 3px; }
.stButton button[kind="primary"] p, .stFormSubmitButton button[kind="primaryFormSubmit"] p { font-weight: 700; }
/* Status never by colour alone: each kind of message starts with its own sign (its words say the rest). */
/* Alerts' words darker than Streamlit's (its warning is 4.6:1 on its yellow). */
[data-testid="stAlertContentSuccess"], [data-testid="stAlertContentSuccess"] * { color: #0b4d1f !important; }
[data-testid="stAlertContentWarning"], [data-testid="stAlertContentWarning"] * { color: #4d3600 !important; }
[data-testid="stAlertContentError"], [data-testid="stAlertContentError"] * { color: #7a0c0c !important; }
[data-testid="stAlertContentInfo"], [data-testid="stAlertContentInfo"] * { color: #0d3c78 !important; }
[data-testid="stAlertContentSuccess"] [data-testid="stMarkdownContainer"] > p:first-child::before { content: "✔"; }
[data-testid="stAlertContentWarning"] [data-testid="stMarkdownContainer"] > p:first-child::before { content: "⚠"; }
[data-testid="stAlertContentError"] [data-testid="stMarkdownContainer"] > p:first-child::before { content: "✖"; }
[data-testid="stAlertContentInfo"] [data-testid="stMarkdownContainer"] > p:first-child::before { content: "ℹ"; }
[data-testid^="stAlertContent"] [data-testid="stMarkdownContainer"] > p:first-child::before {
  margin-right: 0.5rem; font-weight: 700; }
/* A short view (200 % zoom): tighter gaps, so the desk's search row, the slot found and its button fit in 384 px. */
@media (max-height: 500px) {
  .stMain [data-testid="stVerticalBlock"] { gap: 0.5rem; }
  .st-key-desk_search_row { scroll-margin-top: 3.5rem; }
  .stMain [data-testid="stVerticalBlockBorderWrapper"] { padding: 0.5rem; }
  .stMain h3 { padding: 0; }
  .stButton button[kind="primary"] { min-height: 2.5rem; }
}
"""

# Built once at import, from this module's CSS only.
ELDER_STYLE_SHEET = f"<style>{ELDER_CSS}</style>"


def apply_elder_style() -> None:
    """Once per run after apply_tablet_style, only in 长辈模式."""
    st.html(ELDER_STYLE_SHEET)
