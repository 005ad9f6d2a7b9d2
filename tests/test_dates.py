"""rag.dates: the one date parser behind records, sidecars, the CLI filters and the UI filters."""

import pytest

from rag.dates import iso_date, range_bound
from rag.errors import UsageError


@pytest.mark.parametrize("text,expected", [
    ("2021-03-09", "2021-03-09"), ("2021-3-9", "2021-03-09"), ("2021/3/9", "2021-03-09"),
    ("2021.03.09", "2021-03-09"), ("2021年3月9日", "2021-03-09"), (" 2021 年 3 月 9 日 ", "2021-03-09"),
])
def test_a_written_day_becomes_iso(text, expected):
    assert iso_date(text) == expected


@pytest.mark.parametrize("text", ["2021-02-29", "2021-13-01", "2021-04-31", "2021", "2021-03", "21-3-9", "三月九日"])
def test_what_is_not_a_real_day_is_rejected(text):
    assert iso_date(text) is None


def test_a_leap_day_exists_in_a_leap_year():
    assert iso_date("2020-02-29") == "2020-02-29"


@pytest.mark.parametrize("text,end,expected", [
    ("2021", False, "2021-01-01"), ("2021", True, "2021-12-31"),
    ("2021-2", True, "2021-02-28"), ("2020-02", True, "2020-02-29"), ("2021/11", False, "2021-11-01"),
    ("2021年11月", True, "2021-11-30"), ("2021-11-05", True, "2021-11-05"), ("", False, None), (None, True, None),
])
def test_range_bounds_take_a_day_month_or_year(text, end, expected):
    assert range_bound(text, end) == expected


@pytest.mark.parametrize("text", ["2021-02-30", "2021-13", "昨天", "2021-1-1-1"])
def test_a_bad_bound_is_a_usage_error_naming_it(text):
    with pytest.raises(UsageError, match=text):
        range_bound(text, end=False)


def test_the_message_says_whether_the_day_does_not_exist_or_the_form_is_wrong():
    with pytest.raises(UsageError, match="日期不存在"):
        range_bound("2024-13-45", end=False)
    with pytest.raises(UsageError, match="日期格式不对"):
        range_bound("上周", end=False)
