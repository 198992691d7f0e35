"""QR codes a tablet at the desk can scan."""

from __future__ import annotations

import io

import streamlit as st


def show_qr(payload: str, *, caption: str) -> None:
    """A QR code a tablet at the desk can scan, sized for a phone screen."""
    st.image(qr_png(payload), caption=caption, width=240)


def qr_png(payload: str) -> bytes:
    import segno  # imported here: only the residents' page draws QR codes

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
