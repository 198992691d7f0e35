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
    return f"<style>{TABLET_CSS}{CONTRAST_CSS}{replaced}{PRINT_CSS}</style>"


# Catalog keys whose words stand in for Streamlit's own (see style_sheet).
STREAMLIT_WORDS = ("upload.button", "date.placeholder.year", "date.placeholder.month", "date.placeholder.day")
# Built once at import, from this module's CSS and the catalogs' words only.
STYLE_SHEETS = {language: style_sheet(language) for language in LANGUAGES}


def apply_tablet_style() -> None:
    """Once per run, from app.py: the CSS lives only as long as the run's elements."""
    st.html(STYLE_SHEETS[current_language()])
