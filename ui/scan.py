"""Reading a code from a tablet camera photo: the resident's QR (or a bag label's barcode) as text."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError


def decode_qr(image_bytes: bytes) -> str | None:
    """The text of the first code in the photo, or None when the photo holds none (or is not an image)."""
    try:
        image: Image.Image = Image.open(io.BytesIO(image_bytes))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    # zxing-cpp reads grayscale or RGB; a camera PNG may carry an alpha channel or a palette.
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    for code in zxingcpp.read_barcodes(image):
        if code.valid and code.text.strip():
            return code.text.strip()
    return None
