"""Turns NLU's period keys ("last_week", "month_3", "last_30_days") into date ranges.

NLU does not know "now"; the action server does, in the bank's calendar.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_RECENT = re.compile(r"last_(\d{1,3})_(days|weeks|months)")
_MONTH = re.compile(r"month_(\d{1,2})")


def _month_start(day: date) -> date:
    return day.replace(day=1)


def date_range(key: object, today: date) -> tuple[date | None, date | None]:
    """(first day, last day) of the period, both inclusive; (None, None) when unknown (also
    for a value no extractor writes, such as a number from a typed ``/intent{...}``)."""
    if not key or not isinstance(key, str):
        return None, None
    previous = _month_start(today) - timedelta(days=1)  # a day of last month
    fixed = {
        "today": (today, today),
        "yesterday": (today - timedelta(days=1),) * 2,
        "day_before_yesterday": (today - timedelta(days=2),) * 2,
        "this_week": (today - timedelta(days=today.weekday()), today),
        "last_week": (today - timedelta(days=today.weekday() + 7),
                      today - timedelta(days=today.weekday() + 1)),
        "this_month": (_month_start(today), today),
        "last_month": (_month_start(_month_start(today) - timedelta(days=1)),
                       _month_start(today) - timedelta(days=1)),
        "week_before_last": (today - timedelta(days=today.weekday() + 14),
                             today - timedelta(days=today.weekday() + 8)),
        "month_before_last": (_month_start(_month_start(previous) - timedelta(days=1)),
                              _month_start(previous) - timedelta(days=1)),
    }
    if key in fixed:
        return fixed[key]
    if match := _RECENT.fullmatch(key):
        n, unit = int(match.group(1)), match.group(2)
        days = n * {"days": 1, "weeks": 7, "months": 30}[unit]
        return today - timedelta(days=days), today
    if match := _MONTH.fullmatch(key):
        month = int(match.group(1))
        if not 1 <= month <= 12:
            return None, None
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        return start, min(end, today)
    return None, None
