"""What an evidence sentence must satisfy beyond the question's words: the year(s) asked, and the kind
of quantity asked (an amount of money, a duration). A sentence satisfies a year itself ("2024年…",
"今年…" in a speech of that year) or through its speech's metadata (date, title, header) when it
states no year of its own; one that states another year is a near miss, quoted only as such
(「资料中只有2023年的数据：…」), never as the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.evidence import Candidate
from rag.zh import MAGNITUDES, NUMBER, any_of

_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# "2019年以来", "2019—2023年", "2019年至2023年": a range of years, not one
_SINCE = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:以来|至今|来)")
_RANGE = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:[-—–~～至到])\s*((?:19|20)\d{2})\s*年")
_RELATIVE = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "明年": 1}
_RELATIVE_RE = re.compile("|".join(_RELATIVE))
_DATE_YEAR = re.compile(r"^((?:19|20)\d{2})(?:-(\d{1,2}))?")
# A review of the year just ended, as a report early in the next year writes it ("预计全年…", "这一年…")
_REVIEW = re.compile(r"预计全年|这一年|一年来|过去一年|过去的一年|刚刚过去")
EARLY_MONTHS = 3  # a speech in January–March reviews the previous year

MONEY, DURATION, DATE = "money", "duration", "date"
# How a question asks for money or a duration, when it names no other unit ("增长多少" asks a rate).
_ASKS_MONEY = re.compile(r"多少钱|花了多少|花费|金额|资金|经费|费用|收入|营收|利润|税收|产值|总值|GDP|增加值|零售总额|"
                         r"投资(?:了)?多少|投入(?:了)?多少|预算|多少(?:万|亿)?元")
_ASKS_RATE = re.compile(r"增长|增速|增幅|下降|提高|比例|占比|比重|率|百分")
_ASKS_DURATION = re.compile(r"多久|多长时间|用了几年|几年时间|多少年|几个月|多少天|多少个小时")
_ASKS_DATE = re.compile(r"哪天|哪一天|几月几[日号]|什么日子|哪一年|哪年|什么时候|何时")
_QUANTITY_FIGURE = {
    MONEY: re.compile(rf"{NUMBER}\s*[多余]?\s*{any_of(MAGNITUDES)}*[多余]?(?:元|美元)"),
    DATE: re.compile(r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月(?:\d{1,2}\s*[日号])?|[一二三四五六七八九十]+月|去年|今年|前年|上月|本月|年代|世纪|时期|期间|朝"),
    DURATION: re.compile(rf"(?:{NUMBER}|[一二三四五六七八九十两半]+)\s*(?:个?月|年|天|日|小时|周|个工作日)"),
}


@dataclass(frozen=True)
class Constraints:
    """Years a sentence must be about (empty: any), `since`: any year from the first on; and the
    kind of quantity asked (None: any)."""

    years: tuple[int, ...] = ()
    since: bool = False
    quantity: str | None = None

    def __bool__(self) -> bool:
        return bool(self.years or self.quantity)

    def year_ok(self, year: int) -> bool:
        return year >= self.years[0] if self.since else year in self.years


def of(question: str) -> Constraints:
    """The constraints a question sets.

    >>> of("青石区2023年新增多少家企业?"), of("2019年以来引进了多少项目?").since, of("广场花了多少钱?").quantity
    (Constraints(years=(2023,), since=False, quantity=None), True, 'money')
    >>> of("2019年至2021年GDP增长多少?").years, of("项目建设用了多久?").quantity
    ((2019, 2020, 2021), 'duration')
    """
    since = _SINCE.search(question)
    span = _RANGE.search(question)
    if span and int(span.group(1)) <= int(span.group(2)) <= int(span.group(1)) + 30:
        years = tuple(range(int(span.group(1)), int(span.group(2)) + 1))
    else:
        years = tuple(dict.fromkeys(int(y) for y in _YEAR.findall(question)))
    quantity = None
    if _ASKS_DURATION.search(question):
        quantity = DURATION
    elif _ASKS_DATE.search(question):
        quantity = DATE
    elif _ASKS_MONEY.search(question) and not _ASKS_RATE.search(question):
        quantity = MONEY
    return Constraints(years, bool(since) and not span, quantity)


def describe(cons: Constraints, year_missing: bool) -> str:
    """What is missing, for a refusal: the year(s) asked, else the kind of figure.

    >>> describe(Constraints((2024,)), True), describe(Constraints((2019, 2020, 2021)), True), describe(Constraints(quantity=MONEY), False)
    ('2024年的数据', '2019—2021年的数据', '所问的金额')
    """
    if cons.years and (year_missing or not cons.quantity):
        span = f"{cons.years[0]}—{cons.years[-1]}" if len(cons.years) > 1 else str(cons.years[0])
        return f"{span}年{'以来' if cons.since else ''}的数据"
    return {MONEY: "所问的金额", DURATION: "所问的时长", DATE: "所问的日期"}[cons.quantity or MONEY]


def stated_years(text: str, date: str | None) -> set[int]:
    """The years a text states: written ones, and 今年/去年/明年 read against the speech's date; a
    review of the year ("预计全年…") early in a year is about the year before.

    >>> sorted(stated_years("今年地区生产总值增长5%，去年增长4%", "2024-01-20")), stated_years("预计全年增长2%", "2025-01-13")
    ([2023, 2024], {2024})
    """
    years = {int(y) for y in _YEAR.findall(text)}
    m = _DATE_YEAR.match(date or "")
    if m:
        year = int(m.group(1))
        years |= {year + _RELATIVE[w] for w in _RELATIVE_RE.findall(text)}
        if not years and _REVIEW.search(text):
            early = m.group(2) is not None and int(m.group(2)) <= EARLY_MONTHS
            years.add(year - 1 if early else year)
    return years


def about_years(c: Candidate) -> set[int]:
    """The years a sentence is about: those it states, else those its chunk's header or title states,
    else its speech's year and the one before (a report reviews the past year); empty when unknown."""
    chunk = c.hit.chunk
    own = stated_years(c.sentence, chunk.meeting_date)
    if own:
        return own
    context = stated_years(" ".join(x for x in (chunk.header, chunk.title or "") if x), None)
    if context:
        return context
    m = _DATE_YEAR.match(chunk.meeting_date or "")
    return {int(m.group(1)), int(m.group(1)) - 1} if m else set()


def states_year(c: Candidate, cons: Constraints) -> bool:
    """The sentence itself states a year asked ("2024年…", or 今年 in a speech of 2024)."""
    return any(cons.year_ok(y) for y in stated_years(c.sentence, c.hit.chunk.meeting_date))


def satisfies(c: Candidate, cons: Constraints) -> bool:
    """The sentence meets the years (an unknown year counts as met) and the kind of quantity asked."""
    if cons.years:
        years = about_years(c)
        if years and not any(cons.year_ok(y) for y in years):
            return False
    if cons.quantity and not _QUANTITY_FIGURE[cons.quantity].search(c.sentence):
        return False
    return True


def other_year(c: Candidate, cons: Constraints) -> int | None:
    """The year a near miss is about: the sentence meets everything but the year, which it states."""
    if not cons.years or not satisfies(c, Constraints(quantity=cons.quantity)):
        return None
    years = about_years(c)
    if not years or any(cons.year_ok(y) for y in years):
        return None
    return max(stated_years(c.sentence, c.hit.chunk.meeting_date) or years)
