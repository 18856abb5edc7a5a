"""Which statement month a period names, and which statements are offered."""

from __future__ import annotations

from datetime import date

import pytest

from actions.account import recent_statements, statement_month
from actions.formatting import month_name

TODAY = date(2026, 1, 20)


@pytest.mark.parametrize(("period", "month"), [
    ("last_month", "2025-12"),
    ("this_month", "2026-01"),
    ("month_11", "2025-11"),  # the latest November, last year's
    ("month_1", "2026-01"),
    ("month_before_last", "2025-11"),
    ("last_30_days", None),  # across two months: which one is not said
    (None, None),
    (12, None),
])
def test_a_period_names_a_statement_month_only_if_it_is_one_month(period, month):
    assert statement_month(period, TODAY) == month


def test_recent_statements_go_back_across_the_new_year():
    assert recent_statements(date(2026, 1, 8)) == [
        date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1)]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "November 2026"), ("zh-Hans", "2026年11月"), ("zh-Hant", "2026年11月"),
    ("vi", "tháng 11 năm 2026")])
def test_month_names_in_each_language(language, expected):
    assert month_name(date(2026, 11, 1), language) == expected
