"""QR codes a tablet at the desk can scan."""

from __future__ import annotations

import io

import streamlit as st

from ui.i18n import t


def show_qr(payload: str, *, caption: str) -> None:
    """A QR code a tablet at the desk can scan, sized for a phone screen; a screen reader reads what it encodes."""
    st.image(qr_png(payload), caption=caption, width=240, alt=qr_alt(payload))


def qr_alt(payload: str) -> str:
    """The image's text alternative: what the code encodes, as typed (an attribute, not Markdown)."""
    return t("a11y.qr_alt", payload=payload).plain


def qr_png(payload: str) -> bytes:
    import segno  # imported here: only the residents' page draws QR codes

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
