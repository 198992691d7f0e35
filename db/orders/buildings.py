"""The building of an address as residents type it (`12号501`, `12-501`, `12#501`, `12幢`, `十二号`, `三号楼`,
full-width digits), for the notices, the call list and the slot list; a pure function, no store.

An address that does not name one building plainly reads as no building: a bag listed under "building not known"
is found by its neighbours, a bag listed under the wrong building is not.
"""

from __future__ import annotations

import re
import unicodedata

# Building numbers run to a few hundred; a longer number is a road's, a room's or a phone's, never a building's.
MAX_BUILDING = 999

_DIGITS = r"\d{1,3}"
_CHINESE = r"[零〇一二两三四五六七八九十百]{1,5}"
_NUMBER = rf"(?<![\d零〇一二两三四五六七八九十百A-Za-z#/\-])({_DIGITS}|{_CHINESE})\s*"
# A number right after a road's name is the estate's street number (`娄山关路88号`), not a building of it.
_ROAD = r"(?:路|街|大道|公路|巷|胡同)\s*$"
# Marks that name a building whatever comes before: 12号楼, 12幢, 12栋, 12座, 12#.
_STRONG = re.compile(_NUMBER + r"(?:号\s*(?:楼|幢|栋)|幢|栋|座|#)")
# 12号 (then a room, or nothing): a building unless it is a metro line, a gate, a compound, an exit or a shop.
_NUMBERED = re.compile(_NUMBER + r"号(?!\s*(?:线|门|院|口|铺|商铺|库|车位|机))")
# 12-501 and 12-3-501 (building, unit, room): a room of 3 or 4 digits ends it; a phone's 138-1234-5678 does not fit.
_DASHED = re.compile(rf"(?<![\d\-A-Za-z])({_DIGITS})\s*-\s*(?:\d{{1,2}}\s*-\s*)?\d{{3,4}}(?![\d\-])")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")

_CHINESE_DIGITS = {char: value for value, char in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def building_number(address: str) -> int | None:
    """The building an address names (`娄山关路88号天山二村7号楼` → 7), or None when it names none or several.

    A building mark (号楼, 幢, 栋, 座, #) wins over a bare 号, which wins over a dashed room (`12-501`); a bare or
    dashed number right after a road's name is the road's (`天山路3号楼` is still building 3); two different
    buildings at one level read as none."""
    text = unicodedata.normalize("NFKC", address or "").translate(_DASHES)
    for pattern in (_STRONG, _NUMBERED, _DASHED):
        numbers = {
            number
            for match in pattern.finditer(text)
            if (pattern is _STRONG or not re.search(_ROAD, text[: match.start()]))
            and (number := _number(match[1])) is not None
            and 0 < number <= MAX_BUILDING
        }
        if numbers:
            return numbers.pop() if len(numbers) == 1 else None
    return None


def building_of(address: str) -> str:
    """The building as the lists name it (`12号302室` → `12号`); empty when the address names none plainly."""
    number = building_number(address)
    return "" if number is None else f"{number}号"


def building_order(building: str) -> tuple[bool, int, str]:
    """Sort key for `building_of` values: by number (2号 before 10号), the unknown building ("") last."""
    number = building.removesuffix("号")
    return (building == "", int(number) if number.isdigit() else 0, building)


def _number(written: str) -> int | None:
    """`12` → 12, `十二` → 12, `一百零五` → 105, `一二` → 12 (read digit by digit); None for what is not a number."""
    if written.isdigit():
        return int(written)
    if not any(unit in written for unit in "十百"):
        return int("".join(str(_CHINESE_DIGITS[char]) for char in written))
    total, digit = 0, None
    for char in written:
        if char in "零〇":  # 一百零五: the zero only holds a place
            continue
        if char in _CHINESE_DIGITS:
            if digit is not None:  # two digits in a row inside 十/百 (`十二三`): not a number
                return None
            digit = _CHINESE_DIGITS[char]
        else:
            unit = 10 if char == "十" else 100
            total += (1 if digit is None else digit) * unit
            digit = None
    return total + (digit or 0)
