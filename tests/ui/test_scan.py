"""The camera scan: a QR made like the resident page's is read back from a scaled, rotated photo."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from db.orders.lifecycle import parse_qr_payload, qr_payload
from ui.scan import decode_qr

segno = pytest.importorskip("segno", reason="segno makes the test QR codes (requirements-dev.txt)")


def photo_of_qr(text: str, *, scale: int, angle: float, image_format: str = "PNG") -> bytes:
    """A QR code as a tablet camera might see it: scaled, turned a little, on a grey background."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    turned = code.rotate(angle, expand=True, fillcolor=(200, 200, 200), resample=Image.Resampling.BICUBIC)
    scene = Image.new("RGB", (turned.width + 160, turned.height + 120), (200, 200, 200))
    scene.paste(turned, (80, 60))
    out = io.BytesIO()
    scene.save(out, format=image_format)
    return out.getvalue()


@pytest.mark.parametrize(("scale", "angle", "image_format"), [(3, 0, "PNG"), (7, 7, "JPEG"), (11, -12, "PNG")])
def test_a_scaled_and_rotated_qr_reads_back_as_the_payload(scale: int, angle: float, image_format: str):
    payload = qr_payload(site_code="TS2", pickup_code="8-3-1207")
    text = decode_qr(photo_of_qr(payload, scale=scale, angle=angle, image_format=image_format))
    assert text == payload
    assert parse_qr_payload(text) == ("TS2", "8-3-1207")


def test_a_photo_without_a_code_gives_none():
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 190, 200)).save(blank, format="PNG")
    assert decode_qr(blank.getvalue()) is None


def test_bytes_that_are_not_an_image_give_none():
    assert decode_qr(b"not an image at all") is None
    assert decode_qr(b"") is None
