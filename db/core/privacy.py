"""What the app may show of personal data: phone numbers masked for everyone but organizers."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`: the first three and last four digits stay, the middle is starred."""
    digits = "".join(character for character in phone if character.isdigit())
    if len(digits) < 8:
        # Too short to keep both ends and still hide anything: keep only the last two.
        return "*" * max(len(digits) - 2, 0) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """`王秀英` → `王**`: the family name stays, enough to tell two bags apart at the desk."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def mask_given_name(name: str) -> str:
    """`王秀英` → `王*英`, `王英` → `王*`: first and last character stay, as neighbours write it in a building's group
    chat, so a notice names someone the neighbours can place without spelling out the name."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
