"""rag.units: units resolved into (city, district, department/town) against the meeting they were named at."""

import pytest

from rag.records import Chunk, Meeting
from rag.units import UnitPath, differ_by_one, meeting_series, resolve, resolve_chunk

DISTRICT_MEETING = Meeting("青溪区镇街书记和部门一把手2025年第一季度例会", "区", "2025-03-21")
CITY_MEETING = Meeting("区县委书记和部门一把手2025年第一季度例会", "市", "2025-04-18")


@pytest.mark.parametrize("unit, meeting, expected", [
    ("区公安局", DISTRICT_MEETING, UnitPath(None, "青溪区", "公安局")),  # bare 区 → the meeting's district
    ("白鹭镇", DISTRICT_MEETING, UnitPath(None, "青溪区", "白鹭镇")),  # a town naming no district
    ("青溪区交通局", DISTRICT_MEETING, UnitPath(None, "青溪区", "交通局")),
    ("青溪高新区", DISTRICT_MEETING, UnitPath(None, "青溪区", "青溪高新区")),  # a zone named after it
    ("云岭区", CITY_MEETING, UnitPath(None, "云岭区", None)),
    ("石门县", CITY_MEETING, UnitPath(None, "石门县", None)),
    ("市发展改革委", CITY_MEETING, UnitPath(None, None, "市发展改革委")),  # no district invented at city level
])
def test_resolve(unit, meeting, expected):
    assert resolve(unit, meeting) == expected


def test_the_districts_own_government_is_the_district():
    meeting = Meeting("南江市青溪区第三届人民代表大会第二次会议", "区")
    assert resolve("南江市青溪区人民政府", meeting) == UnitPath("南江市", "青溪区", None)
    assert resolve("南江市青溪区人民政府", meeting).name == "青溪区"


@pytest.mark.parametrize("unit", ["区公安局", "白鹭镇", "青溪高新区", "青溪区"])
def test_resolving_twice_changes_nothing(unit):
    once = resolve(unit, DISTRICT_MEETING).name
    assert resolve(once, DISTRICT_MEETING).name == once


def test_chunk_hierarchy_reads_the_meeting_level_from_its_name():
    chunk = Chunk("a.txt:0:0:0", "正文", "", "郑国栋", "区公安局局长", "青溪区公安局", DISTRICT_MEETING.name,
                  None, "a.txt", 0, 0, 0, 0, 2)
    assert resolve_chunk(chunk) == UnitPath(None, "青溪区", "公安局")


def test_meeting_series_and_one_character_names():
    assert meeting_series("青溪区镇街书记和部门一把手2025年第一季度例会") == meeting_series(
        "青溪区镇街书记和部门一把手2024年第三次季度例会")
    assert differ_by_one("周海涛", "周海滔") and not differ_by_one("周海涛", "周海涛")
    assert not differ_by_one("周海涛", "林晓燕") and not differ_by_one("周涛", "周海涛")
