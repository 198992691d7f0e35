"""db.orders.buildings: the building of an address as residents really type it; what cannot be read is no building,
never a wrong one."""

from __future__ import annotations

import pytest

from db.orders.buildings import building_number, building_of, building_order

# (address as typed, its building or None): from manifests of estates like 天山二村 and what residents type in apps.
ADDRESSES = [
    # 号, with a room or nothing after it
    ("天山二村12号302室", 12),
    ("12号501", 12),
    ("12号", 12),
    ("天山二村 12 号 501 室", 12),
    ("天山五村3号3楼", 3),
    ("长宁区天山二村58号602", 58),
    # dashes and hashes: building-room, building-unit-room
    ("12-501", 12),
    ("天山二村12-501", 12),
    ("12 - 501", 12),
    ("7-2-301", 7),
    ("12#501", 12),
    ("12#楼501室", 12),
    ("天山二村１２＃５０１", 12),
    ("12—501", 12),
    ("12－501", 12),
    # other marks of a building
    ("12幢", 12),
    ("5幢2单元", 5),
    ("12栋1单元1102", 12),
    ("12座", 12),
    ("3号楼101", 3),
    ("天山路 ３号楼 101", 3),
    ("12号 楼", 12),
    ("9号幢", 9),
    # Chinese numerals
    ("十二号", 12),
    ("三号楼", 3),
    ("天山二村十二号302室", 12),
    ("二十三号楼", 23),
    ("一百零五号", 105),
    ("第五栋", 5),
    ("七号楼402", 7),
    # a road's number before the estate, a lane's number before its house
    ("娄山关路88号天山二村7号楼", 7),
    ("娄山关路 88 号 天山二村 7号", 7),
    ("娄山关路八十八号天山二村七号楼", 7),
    ("天山路123弄5号301室", 5),
    ("娄山关路88-1号天山二村12-501", 12),
    # full-width digits
    ("天山二村１２号３０２室", 12),
    ("１２幢", 12),
    # what cannot be read: no building, never a guessed one
    ("", None),
    ("302室", None),
    ("天山二村", None),
    ("娄山关路88号", None),
    ("娄山关路88号302室", None),
    ("3楼301", None),
    ("地铁2号线天山路站", None),
    ("3号门保安室", None),
    ("B12号", None),
    ("1234号", None),
    ("0号", None),
    ("138-1234-5678", None),
    ("2026-12-01送到", None),
    ("12号楼 5号楼", None),
    ("天山二村 门卫代收", None),
    ("12 501", None),
]


@pytest.mark.parametrize(("address", "number"), ADDRESSES)
def test_the_building_of_an_address(address: str, number: int | None) -> None:
    assert building_number(address) == number
    assert building_of(address) == ("" if number is None else f"{number}号")


def test_the_table_is_long_enough_to_mean_something() -> None:
    assert len(ADDRESSES) >= 40
    assert len({address for address, _number in ADDRESSES}) == len(ADDRESSES)


def test_buildings_sort_by_number_and_the_unknown_goes_last() -> None:
    assert sorted(["", "12号", "3号", "100号", "21号"], key=building_order) == ["3号", "12号", "21号", "100号", ""]
