"""Label sheets for A4 paper: slot labels for a unit's shelves and boxes, bag labels for a delivery.

Each label is a card in a grid (three across, as many down as fit); the QR codes are PNG images inlined as data
URIs. Every text that comes from data (codes, names, unit names) is HTML-escaped here, because st.html renders
what it is given.
"""

from __future__ import annotations

import base64
import html

import streamlit as st

from db.orders.labels import BagLabel, SlotLabel
from ui.i18n import t
from ui.widgets import qr_png

LABELS_CLASS = "cb-labels"
# The sheet: a grid of cards that never splits across pages; in print only the sheet shows.
SHEET_CSS = f"""
<style>
.{LABELS_CLASS} {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }}
.{LABELS_CLASS} .cb-label {{ border: 1px dashed #888; border-radius: 2mm; padding: 3mm; text-align: center;
  break-inside: avoid; page-break-inside: avoid; color: #000; background: #fff; }}
.{LABELS_CLASS} .cb-big {{ font-size: 22pt; font-weight: 700; line-height: 1.1; white-space: nowrap; }}
.{LABELS_CLASS} .cb-small {{ font-size: 11pt; line-height: 1.3; }}
.{LABELS_CLASS} img {{ width: 30mm; height: 30mm; image-rendering: pixelated; margin: 1mm auto; display: block; }}
@page {{ size: A4; margin: 10mm; }}
@media print {{
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stToast"],
  [data-testid="stSidebarCollapsedControl"], .st-key-labels_controls, .stButton, .stDownloadButton
    {{ display: none !important; }}
  .stMainBlockContainer {{ padding: 0 !important; max-width: 100% !important; }}
}}
</style>
"""


def _qr_image(payload: str) -> str:
    data = base64.b64encode(qr_png(payload)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="QR {html.escape(payload)}">'


def _card(big: str, lines: list[str], payload: str) -> str:
    small = "".join(f'<div class="cb-small">{html.escape(line)}</div>' for line in lines)
    return f'<div class="cb-label"><div class="cb-big">{html.escape(big)}</div>{_qr_image(payload)}{small}</div>'


def slot_label_cards(labels: list[SlotLabel]) -> list[str]:
    return [
        _card(label.slot_code, [f"{t(f'value.kind.{label.storage_class}').plain} · {label.unit_name}"], label.payload)
        for label in labels
    ]


def bag_label_cards(labels: list[BagLabel]) -> list[str]:
    return [
        _card(
            label.pickup_code,
            [
                t("labels.slot", slot=label.slot_code).plain if label.slot_code else t("labels.no_slot").plain,
                f"{label.masked_name} · {t(f'value.kind.{label.storage_class}').plain}",
            ],
            label.payload,
        )
        for label in labels
    ]


def show_label_sheet(cards: list[str]) -> None:
    """The cards as one printable sheet."""
    st.html(SHEET_CSS + f'<div class="{LABELS_CLASS}">' + "".join(cards) + "</div>")
