import pytest

from nlu.entities import extract


def values(text: str, entity: str) -> list[str]:
    return [e["value"] for e in extract(text) if e["entity"] == entity]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show me last week", ["last_week"]),
        ("上个月的账单", ["last_month"]),
        ("上個月嘅月結單", ["last_month"]),
        ("giao dịch tháng trước", ["last_month"]),
        ("giao dich thang truoc", ["last_month"]),
        ("what did I spend today", ["today"]),
        ("尋日碌咗卡", ["yesterday"]),
        ("hôm qua", ["yesterday"]),
        ("past 30 days", ["last_30_days"]),
        ("最近三个月", ["last_3_months"]),
        ("trong 3 tháng qua", ["last_3_months"]),
        ("in March", ["month_3"]),
        ("sao kê tháng 3", ["month_3"]),
        ("the week before last", ["week_before_last"]),
        ("上上周买的", ["week_before_last"]),
        ("tuần trước nữa", ["week_before_last"]),
        ("上上個月的帳單", ["month_before_last"]),
        ("上上个月", ["month_before_last"]),
        ("sao ke thang truoc nua", ["month_before_last"]),
        ("what did I buy the month before last", ["month_before_last"]),
    ],
)
def test_periods(text, expected):
    assert values(text, "period") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("分12期", ["12"]),
        ("6個月", ["6"]),
        ("12 tháng", ["12"]),
        ("trả góp 6 kỳ", ["6"]),
        ("24 months", ["24"]),
        ("a 6-month plan", ["6"]),
    ],
)
def test_tenors(text, expected):
    assert values(text, "months") == expected


def test_period_months_are_not_tenors():
    assert values("trong 3 tháng qua", "months") == []
