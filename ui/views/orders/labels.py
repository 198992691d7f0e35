"""Label sheets for A4 paper: slot labels for a unit's shelves and boxes, bag labels for a delivery.

Each label is a bordered card in a row of three: the code large, its QR code, a line or two of detail. Cards are
Streamlit elements (text through the translator, the QR code as an image), so nothing from data becomes HTML; the
module's CSS only sizes them and keeps a card whole on paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from db.orders.labels import BagLabel, SlotLabel
from ui.i18n import t
from ui.qr import qr_alt, qr_png

PER_ROW = 3
SHEET_KEY = "labels_sheet"
# Codes large; in print only the sheet shows, three cards across, none split between pages.
SHEET_CSS = """
<style>
.st-key-labels_sheet [data-testid="stMarkdownContainer"] strong { font-size: 22pt; white-space: nowrap; }
.st-key-labels_sheet [data-testid="stImage"] img { image-rendering: pixelated; }
.st-key-labels_sheet [class*="st-key-label_"] { gap: 0.2rem; }
@page { size: A4; margin: 10mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stToast"],
  [data-testid="stSidebarCollapsedControl"], .st-key-labels_controls { display: none !important; }
  .stMainBlockContainer { padding: 0 !important; max-width: 100% !important; }
  .st-key-labels_sheet [class*="st-key-label_"] { break-inside: avoid; page-break-inside: avoid; }
  .st-key-labels_sheet [data-testid="stHorizontalBlock"] { flex-wrap: nowrap !important; }
}
</style>
"""


@dataclass(frozen=True)
class LabelCard:
    code: str
    lines: tuple[str, ...]
    payload: str


def slot_label_cards(labels: list[SlotLabel]) -> list[LabelCard]:
    return [
        LabelCard(
            code=label.slot_code,
            lines=(f"{t(f'value.kind.{label.storage_class}').plain} · {label.unit_name}",),
            payload=label.payload,
        )
        for label in labels
    ]


def bag_label_cards(labels: list[BagLabel]) -> list[LabelCard]:
    return [
        LabelCard(
            code=label.pickup_code,
            lines=(
                t("labels.slot", slot=label.slot_code).plain if label.slot_code else t("labels.no_slot").plain,
                f"{label.masked_name} · {t(f'value.kind.{label.storage_class}').plain}",
            ),
            payload=label.payload,
        )
        for label in labels
    ]


def show_label_sheet(cards: list[LabelCard]) -> None:
    """The cards as one printable sheet, three to a row."""
    st.html(SHEET_CSS)
    with st.container(key=SHEET_KEY):
        for start in range(0, len(cards), PER_ROW):
            row = cards[start : start + PER_ROW]
            for offset, (column, card) in enumerate(zip(st.columns(PER_ROW), row, strict=False)):
                with column.container(border=True, key=f"label_{start + offset}"):
                    st.markdown(t("labels.code", code=card.code))
                    st.image(qr_png(card.payload), width=120, alt=qr_alt(card.payload))
                    for line in card.lines:
                        st.caption(t("labels.line", line=line))
