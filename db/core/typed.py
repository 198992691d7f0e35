"""What people type and files hold, read one way by every package: a phone number's digits, a table file's text."""

from __future__ import annotations

import re
import unicodedata

from db.core.errors import ManifestUnreadable


def normalize_phone(raw: str) -> str:
    """Digits only, without a +86/0086 prefix: '+86 138-0013-8000' → '13800138000'."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix) :]
    return digits


def decode_table_file(data: bytes) -> tuple[str, str]:
    """A table file's text and its encoding, strict and in this order: UTF-8 (a BOM is dropped), then GB18030,
    which covers GBK exports; neither → ManifestUnreadable."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ManifestUnreadable("error.manifest_encoding")
