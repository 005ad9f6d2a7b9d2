"""The meeting a document reports: its name, level (市/区) and ISO date, from the header text."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.parse.noise import LABELS
from rag.records import Meeting
from rag.zh import FULL_STOPS

_MEETING_WORD = (
    r"(?:例会|会议|大会|座谈会|推进会|工作会|全会|研讨会|论坛|联席会|调度会|现场会|纪念会|报告会|表彰会|交流会|"
    r"年会|峰会|恳谈会|协调会|动员会|部署会|总结会|分析会|发布会|记者会|党代会|教代会|职代会|团代会|讨论会|协商会)"
)
_DATE = re.compile(r"(?:(?P<year>(?:19|20)\d{2})\s*年\s*)?(?P<month>1[0-2]|0?[1-9])\s*月\s*(?P<day>3[01]|[12]\d|0?[1-9])\s*日")
_DATE_AT_MEETING = re.compile(rf"{_DATE.pattern}\s*(?:上午|下午)?\s*在[^，。；]{{2,50}}?{_MEETING_WORD}上")
# "10月16日上午10时，中国共产党第二十次全国代表大会在人民大会堂开幕": a date said of the meeting's opening
# … or of a report made to it: "李某3月5日向十四届全国人大四次会议作关于…的说明"
_DATE_OF_EVENT = re.compile(rf"{_DATE.pattern}\s*(?:上午|下午|晚上?)?(?:\d{{1,2}}时)?[，,]?(?:(?=[^。；]{{0,80}}?{_MEETING_WORD})"
                            rf"[^，。；]{{2,60}}?(?:胜利|隆重)?(?:召开|举行|开幕)|向[^，。；]{{2,50}}?{_MEETING_WORD}作)")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# Ordered from the most to the least explicit way a header names its meeting.
_NAME_PATTERNS = (
    re.compile(rf"在(?P<name>[^，。；\s]{{4,50}}?{_MEETING_WORD})上"),
    re.compile(rf"向(?P<name>[^，。；“”\s]{{4,50}}?{_MEETING_WORD})(?:作|报告)"),  # "…检察长某某向…会议作工作报告"
    re.compile(rf"^[—\-\s]*(?P<name>[^，。；“”]{{4,50}}?{_MEETING_WORD})(?:上|交流发言|发言|材料|摘登|摘要|汇编)"),
    re.compile(rf"(?P<place>[^，。；\s]{{0,12}}?)(?:召开|举行)(?:了)?(?:“[^”]{{0,30}}”)?(?P<name>[^，。；“”]{{2,50}}?{_MEETING_WORD})"),
    re.compile(rf"(?P<name>[^，。；“”\s]{{4,50}}?{_MEETING_WORD})(?:\d{{1,2}}日)?(?:上午|下午)?(?:在[^，。；\s]{{1,12}})?"
               r"(?:胜利|隆重)?(?:召开|举行|开幕)"),
)
_PUBLICATION = re.compile(
    r"^[（(]?\s*(?P<paper>[^，,（）()]{2,12}(?:报|刊|网|社|杂志|新闻))\s*[，,]?\s*(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*[）)]?$"
)
_PAGE_EDITION = re.compile(
    r"^《\s*(?P<paper>[^》]{2,12}?)\s*》\s*[（(]\s*(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)"
    r"\s*(?:第\s*)?\d{0,2}\s*版?\s*[）)]$"
)  # a People's Daily page line: 《 人民日报 》（ 2019年10月23日 09 版）
_SOURCE_FIELD = re.compile(r"^(?:来源|稿源|出处)\s*[：:]\s*(?P<paper>[^\s，。：:]{2,20})$")
_TIME_FIELD = re.compile(r"^(?:(?:发布)?(?:时间|日期)|date)\s*[：:]\s*(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})")
_LEADING_DATE = re.compile(r"^\d{1,2}月\d{1,2}日[，,]?")
# A news dateline opening a story: "新华社北京3月5日电（记者 …）", "本报北京10月22日电".
NEWS_DATELINE = re.compile(r"^[^，。；]{0,16}?\d{1,2}月\d{1,2}日电\s*(?:[（(][^（）()]{0,30}[）)])?\s*")
# A news site's date-and-source line: "2019年10月23日09:27 | 来源：人民网－人民日报".
_DATED_SOURCE = re.compile(
    r"^(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*[|｜]?\s*"
    r"来源[：:]\s*(?P<paper>[^\s，。]{2,20})$"
)
_HEADLINE_MAX = 50  # a headline or subtitle line; longer lines are prose
# What may stand before a dateline's date: nothing, a label (编者按), or a news agency and place ("新华社北京").
_DATELINE_LEAD = re.compile(
    rf"[—\-\s]*(?:(?:{'|'.join(LABELS)})[：:]?\s*)?(?:(?:新华社|本报|中新社|人民网|央视网|央广网)[\u4e00-\u9fff]{{0,6}})?"
)


_TRAILING_EDITION = re.compile(rf"(?<=\S){_PAGE_EDITION.pattern[1:]}")


def split_edition(line: str) -> tuple[str, str | None]:
    """A People's Daily page line glued to the end of another line: the line, and the publication.

    >>> split_edition("国务院总理  李  强《人民日报》（2026年03月14日第 01 版）")
    ('国务院总理  李  强', '人民日报，2026年03月14日')
    """
    match = _TRAILING_EDITION.search(line)
    if not match:
        return line, None
    return line[: match.start()].rstrip(), parse_publication(match.group())


def parse_publication(line: str) -> str | None:
    """A publication line → "paper，date"; a web page's source or time field → that part alone.

    >>> parse_publication("（重庆日报，2023年10月24日）"), parse_publication("《 人民日报 》（ 2019年10月23日 09 版）")
    ('重庆日报，2023年10月24日', '人民日报，2019年10月23日')
    >>> parse_publication("来源：重庆日报"), parse_publication("时间：2026-02-03")
    ('重庆日报', '2026年2月3日')
    """
    line = line.strip()
    match = _PUBLICATION.match(line) or _PAGE_EDITION.match(line) or _DATED_SOURCE.match(line)
    if match:
        return f"{match.group('paper')}，{match.group('date')}"
    if (match := _SOURCE_FIELD.match(line)):
        return match.group("paper")
    if (match := _TIME_FIELD.match(line)):
        return f"{match.group('y')}年{int(match.group('m'))}月{int(match.group('d'))}日"
    return None


_CN_DIGITS = {c: str(k) for k, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0"}
_CN_DATE = re.compile(r"([〇○Ｏ零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")


def _cn_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十五 → 25, 三十一 → 31."""
    if "十" not in text:
        return int(_CN_DIGITS[text])
    tens, _, ones = text.partition("十")
    return int(_CN_DIGITS.get(tens, "1")) * 10 + (int(_CN_DIGITS[ones]) if ones else 0)


def arabic_dates(line: str) -> str:
    """Dates written in Chinese numerals (a report's subtitle) in Arabic ones.

    >>> arabic_dates("——二〇二六年三月五日在第十四届全国人民代表大会第四次会议上")
    '——2026年3月5日在第十四届全国人民代表大会第四次会议上'
    """
    return _CN_DATE.sub(lambda m: f"{''.join(_CN_DIGITS[c] for c in m.group(1))}年{_cn_number(m.group(2))}月"
                                  f"{_cn_number(m.group(3))}日", line)


def find_meeting(header_lines: list[str], publication: str | None = None) -> Meeting:
    """Meeting name, level and date from the lines before the first speech."""
    header_lines = [arabic_dates(line) for line in header_lines]
    raw = _find_name(header_lines)
    name = _clean_name(raw) if raw else None
    headlines = [line for line in header_lines if _is_headline(line) and re.search(_MEETING_WORD, line)]
    year = _year_from(name) or next(filter(None, map(_year_from, headlines)), None) or _year_from(publication)
    date = _find_date(header_lines, year)
    if date is None and publication:
        date = _find_date([publication], None)
    return Meeting(name=name, level=meeting_level(raw), date=date, publication=publication)


def _find_name(lines: list[str]) -> str | None:
    lines = [NEWS_DATELINE.sub("", line) for line in lines]
    for pattern in _NAME_PATTERNS:
        for line in lines:
            match = pattern.search(line)
            if match:
                place = (match.groupdict().get("place") or "")
                place = _LEADING_DATE.sub("", place)
                return (place + match.group("name")).strip("—-　 ")
    return None


def _clean_name(name: str) -> str:
    """ "我市区县委书记…例会" → "区县委书记…例会": "我市", "全区" name no place we know."""
    return re.sub(r"^(?:我|本|全)[市区县]", "", name)


def meeting_level(name: str | None) -> str | None:
    """区 for a district/county meeting, 市 for a city-wide one, None for any other (a national symposium).

    >>> meeting_level("永川区镇街书记和部门一把手2023年第二季度例会"), meeting_level("重庆市区县委书记和部门一把手例会")
    ('区', '市')
    >>> meeting_level("新中国法治建设成就与经验座谈会") is None
    True
    """
    if not name:
        return None
    own = re.match(r"^(?:我|本|全)([市区县])", name)
    if own:
        return "市" if own.group(1) == "市" else "区"
    body = re.sub(r"^[\u4e00-\u9fff]{2,3}市(?!区县)", "", name)
    if re.match(r"^[\u4e00-\u9fff]{2,4}?[区县](?![县委])", body) and not body.startswith("区县"):
        return "区"
    return "市" if "市" in name or body.startswith("区县") else None


def _year_from(text: str | None) -> str | None:
    match = _YEAR.search(text or "")
    return match.group(1) if match else None


def _is_headline(line: str) -> bool:
    return len(line) <= _HEADLINE_MAX and not re.search(f"[{FULL_STOPS}]$", line)


def _find_date(lines: list[str], year: str | None) -> str | None:
    """The first date that stands where a meeting's date is written: said of the meeting itself
    ("——2020年5月22日在第十三届全国人民代表大会第三次会议上", before any dateline, which dates the
    story), else in a headline or subtitle, or opening a dateline ("7月28日，…召开", "新华社北京3月5日电").
    A date inside a sentence is a date the text talks about, not the meeting's.

    >>> _find_date(["新华社北京5月29日电", "——2020年5月22日在第十三届全国人民代表大会第三次会议上"], "2020")
    '2020-05-22'
    """
    for line in lines:
        match = _DATE_AT_MEETING.search(line) or _DATE_OF_EVENT.search(line)
        if match and (_is_headline(line) or match.re is _DATE_OF_EVENT) and (match.group("year") or year):
            return f"{match.group('year') or year}-{int(match.group('month')):02d}-{int(match.group('day')):02d}"
    for line in lines:
        for match in _DATE.finditer(line):
            if not (_is_headline(line) or _DATELINE_LEAD.fullmatch(line[: match.start()])):
                continue
            found_year = match.group("year") or year
            if found_year:
                return f"{found_year}-{int(match.group('month')):02d}-{int(match.group('day')):02d}"
    return None


def override(meeting: Meeting, meta: dict[str, str]) -> Meeting:
    """Apply a sidecar's meeting fields (meeting, date, level, publication)."""
    changes = {key: meta[src] for key, src in (("name", "meeting"), ("date", "date"), ("level", "level"),
                                               ("publication", "publication")) if meta.get(src)}
    return replace(meeting, **changes)
