"""Dates as people and documents write them → ISO "YYYY-MM-DD"; the one date parser.

Accepted for a day: 2023-07-28, 2023-7-28, 2023/7/28, 2023.7.28, 2023年7月28日. A day that does not
exist (2023-02-31) is rejected, not passed on. A range bound (filters in the CLI and the UI) may
also be a month or a year: "2023-07" or "2023" mean its first day as a start, its last as an end.
"""

from __future__ import annotations

import calendar
import datetime
import re

from rag.errors import UsageError

_DAY = re.compile(r"^((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_PARTIAL = re.compile(r"^((?:19|20)\d{2})(?:\s*[-/.年]\s*(\d{1,2})\s*月?)?\s*年?$")


def iso_date(text: str) -> str | None:
    """The ISO form of a written day, or None when it is not one.

    >>> iso_date("2023年7月28日"), iso_date("2023/7/8"), iso_date("2023-02-31"), iso_date("2023")
    ('2023-07-28', '2023-07-08', None, None)
    """
    match = _DAY.match(text.strip())
    return _valid(*map(int, match.groups())) if match else None


def range_bound(text: str | None, end: bool) -> str | None:
    """A filter bound (CLI and UI): a day, month or year as the first (end=False) or last (end=True)
    day of the range; None when blank. Anything else, an impossible day included, is a UsageError."""
    if text is None or not text.strip():
        return None
    day = _bound(text, end)
    if day is None:
        shaped = _DAY.match(text.strip()) or _PARTIAL.match(text.strip())
        problem = "日期不存在" if shaped else "日期格式不对"  # "2024-13-45" is shaped like a date; "昨天" is not
        raise UsageError(f"{problem}：「{text.strip()}」— 请写成 2023-07-28、2023-07 或 2023")
    return day


def _bound(text: str, end: bool) -> str | None:
    day = iso_date(text)
    if day is not None:
        return day
    match = _PARTIAL.match(text.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    if month is None:
        return _valid(year, 12, 31) if end else _valid(year, 1, 1)
    if not 1 <= month <= 12:
        return None
    return _valid(year, month, calendar.monthrange(year, month)[1] if end else 1)


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None
