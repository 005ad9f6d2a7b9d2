"""Units as a hierarchy: (city, district/county, department/town), resolved from what a speech says.

The parser keeps each speech's unit as written: "区经济信息委" at a 永川区 meeting, "重庆市永川区人民政府",
"永川区经济信息委". Filters and groupings need them to line up, so at ingest (rag/ingest/chunk.py) each unit is
resolved against the meeting's own district:

- a unit written with a bare "区"/"县" ("区公安局") belongs to the meeting's district;
- a unit naming no district ("胜利路街道") at a district meeting belongs to that district;
- a city prefix ("重庆市…") is split off, and the district's own government or party committee
  ("人民政府", "区委") is the district itself;
- a zone named after the district ("永川高新区" at a 永川区 meeting) sits under it.

The raw post (`speaker_title`) is kept untouched for display. Rules here are general (suffixes and
the meeting's own place), never a list of districts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.parse.meeting import meeting_level
from rag.places import place_stem, places
from rag.records import Chunk, Meeting, Speech
from rag.zh import DISTRICT_SUFFIXES, ZONE_SUFFIXES, any_of

# A district/county-level place ends a unit's first part; longest alternatives first.
_DISTRICT = re.compile(any_of(DISTRICT_SUFFIXES))
_CITY_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}市(?=[\u4e00-\u9fff])")
# What a district's own leadership organs are called: the unit is then the district itself.
_GOVERNMENT = re.compile(r"^(?:人民政府|政府|委|党委|区委|县委|委员会)$")
# Meeting-series noise: the year and the session number, so quarterly meetings of one series compare.
_SESSION = re.compile(r"\d{4}年|第[一二三四五六七八九十\d]+次?季度|第[一二三四五六七八九十\d]+次|[一二三四]季度|上半年|下半年")


@dataclass(frozen=True)
class UnitPath:
    """Where a unit sits. `local` is the department or town under the district (None: the district itself)."""

    city: str | None
    district: str | None
    local: str | None

    @property
    def name(self) -> str | None:
        """The display name: "永川区经济信息委", "永川区", "永川高新区" (a zone already names its district)."""
        if self.local and self.district:
            if self.local.startswith(place_stem(self.district)):
                return self.local
            return self.district + self.local
        return self.local or self.district or self.city


def home_district(meeting: Meeting | None) -> tuple[str | None, str | None]:
    """(city, district) a meeting belongs to, from its name; the district only for a district-level meeting.

    >>> home_district(Meeting("重庆市永川区第十八届人民代表大会第六次会议", "区"))
    ('重庆市', '永川区')
    >>> home_district(Meeting("区县委书记和部门一把手例会", "市"))
    (None, None)
    """
    if meeting is None or not meeting.name:
        return None, None
    found = places(meeting.name)
    city = next((p for p in found if p.endswith("市")), None)
    level = meeting.level or meeting_level(meeting.name)
    district = None
    if level == "区":
        district = next((p for p in found if p.endswith(DISTRICT_SUFFIXES)), None)
    return city, district


def _split_district(text: str) -> tuple[str | None, str]:
    """("永川区", "经济信息委") from "永川区经济信息委"; (None, text) when it opens with no district.
    A bare "区…" (no name before the suffix) is (None, "…") with the suffix dropped by the caller."""
    for m in _DISTRICT.finditer(text):
        candidate = text[: m.end()]
        if m.start() == 0:
            return None, text
        if places(candidate):
            return candidate, text[m.end():]
    return None, text


def resolve(unit: str | None, meeting: Meeting | None = None) -> UnitPath:
    """The unit's place in the hierarchy, given the meeting it was named at.

    >>> resolve("区经济信息委", Meeting("永川区镇街书记和部门一把手2024年第二次季度例会", "区")).name
    '永川区经济信息委'
    >>> resolve("重庆市永川区人民政府", Meeting("重庆市永川区第十八届人民代表大会第六次会议", "区"))
    UnitPath(city='重庆市', district='永川区', local=None)
    """
    city, home = home_district(meeting)
    text = (unit or "").strip()
    if not text:
        return UnitPath(city, None, None)
    prefix = _CITY_PREFIX.match(text)
    if prefix and not text.startswith(("市区", "市县")):
        city, text = prefix.group(0), text[prefix.end():]
    district, local = _split_district(text)
    if district is None and home:
        bare = re.match(r"^(?:区|县)(?=[\u4e00-\u9fff])", text)
        if bare and not text.startswith(("区县", "县区")):
            local = text[bare.end():]
        district = home
    elif district and home and district != home and district.endswith(ZONE_SUFFIXES) \
            and district.startswith(place_stem(home)):
        district, local = home, text  # 永川高新区 at a 永川区 meeting
    local = local.strip() or None
    if local and _GOVERNMENT.match(local):
        local = None
    return UnitPath(city, district, local)


def resolve_chunk(chunk: Chunk) -> UnitPath:
    """The hierarchy of an indexed chunk's (already resolved) unit; resolving twice changes nothing."""
    return resolve(chunk.unit, Meeting(chunk.meeting))


def hierarchy_key(path: UnitPath) -> tuple[str, str]:
    """Sort key grouping by district, the district itself before its departments and towns."""
    return (path.district or path.city or "~", path.local or "")


def resolved_speech(speech: Speech) -> Speech:
    """The speech with its unit replaced by the resolved display name (the post stays as written)."""
    name = resolve(speech.unit, speech.meeting).name if speech.unit else None
    return replace(speech, unit=name) if name and name != speech.unit else speech


def meeting_series(name: str | None) -> str:
    """A meeting's name without year and session, so one body's quarterly meetings share a key.

    >>> meeting_series("永川区镇街书记和部门一把手2024年第二次季度例会")
    '永川区镇街书记和部门一把手例会'
    """
    return _SESSION.sub("", name or "").strip()


def differ_by_one(a: str, b: str) -> bool:
    """Two names of equal length differing in exactly one character ("李国材", "李国财")."""
    return a != b and len(a) == len(b) >= 2 and sum(x != y for x, y in zip(a, b)) == 1
