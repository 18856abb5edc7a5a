"""Dates, periods and installment tenors: "last week", "上個月", "tháng trước", "12期", "6 tháng".

Values are canonical keys (``today``, ``last_month``, ``last_30_days``, ``month_3``) that the
action server turns into dates in the cardholder's time zone; NLU does not know "now".
Matching runs on the normalised text folded to ASCII letters, so "thang truoc" and
"tháng trước" are one pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from nlu.numbers import CHINESE_NUMERAL_CHARS, parse_chinese_numeral

_N = rf"(?P<n>\d{{1,3}}|[{CHINESE_NUMERAL_CHARS}]{{1,3}})"

_FIXED_PERIODS: list[tuple[str, str]] = [
    # Before "last week"/"last month": "上上个月" holds "上个月", "tuan truoc nua" "tuan truoc".
    ("week_before_last", r"(?:the )?week before last|tuan truoc nua|tuan truoc truoc"
                         r"|上上周|上上星期|上上个星期|上上礼拜|上上个礼拜"),
    ("month_before_last", r"(?:the )?month before last|thang truoc nua|thang truoc truoc"
                          r"|上上个月|上上月"),
    ("day_before_yesterday", r"前天|前日|hom kia|day before yesterday"),
    ("yesterday", r"yesterday|hom qua|昨天|昨日|寻日|琴日|kham qua"),
    ("today", r"today|hom nay|今天|今日|今日"),
    ("this_week", r"this week|tuan nay|这周|本周|这个星期|这星期|这个礼拜"
                  r"|今个星期|呢个星期|呢个礼拜"),
    ("last_week", r"last week|tuan truoc|tuan roi|上周|上星期|上个星期|上礼拜|上个礼拜|上个周"),
    ("this_month", r"this month|thang nay|这个月|本月|今个月|呢个月"),
    ("last_month", r"last month|thang truoc|thang roi|上个月|上月"),
]
_MONTH_NAMES = {
    name: i
    for i, names in enumerate(
        ["january jan", "february feb", "march mar", "april apr", "may", "june jun",
         "july jul", "august aug", "september sep sept", "october oct", "november nov",
         "december dec"],
        start=1,
    )
    for name in names.split()
}

_RECENT = regex.compile(
    rf"(?:(?:last|past|previous)\s+{_N}\s+(?P<unit>days?|weeks?|months?)"
    rf"|{_N}\s+(?P<unit>ngay|tuan|thang)\s+(?:qua|gan day|vua qua|truoc|gan nhat)"
    rf"|(?:最近|近|过去|前)\s*{_N}\s*(?P<unit>天|日|周|个星期|个月))",
)
_MONTH_ALTERNATION = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
_CALENDAR_MONTH = regex.compile(
    rf"(?:(?<![\p{{L}}])thang\s+(?P<m>\d{{1,2}})(?![\p{{L}}\d.,]|\s*(?:thang|ngay|\d))"
    rf"|(?<![个\d])(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月(?!\s*\d)"
    rf"|(?<![\p{{L}}])(?:in|since|for|from)\s+(?P<name>{_MONTH_ALTERNATION})(?![\p{{L}}]))",
)
_TENOR = regex.compile(
    rf"{_N}\s*(?:-\s*)?(?:期|个月|months?|mos?|mths?|thang|ky|ki)(?![\p{{L}}])"
    rf"|分\s*{_N}\s*期"
    rf"|(?:ky han|tenor of|over)\s*{_N}(?:\s*(?:thang|months?))?(?![\p{{L}}\d])",
)
_UNIT_KEYS = {"day": "days", "days": "days", "ngay": "days", "天": "days", "日": "days",
              "week": "weeks", "weeks": "weeks", "tuan": "weeks", "周": "weeks",
              "个星期": "weeks", "month": "months", "months": "months", "thang": "months",
              "个月": "months"}


@dataclass(frozen=True)
class Span:
    """A value found at ``[start, end)`` of the normalised text."""

    value: str
    start: int
    end: int


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else parse_chinese_numeral(text)


def find_periods(folded: str) -> list[Span]:
    """Finds dates and periods in normalised, diacritic-folded text."""
    spans: list[Span] = []
    for match in _RECENT.finditer(folded):
        n = _number(match.group("n"))
        if n:
            spans.append(Span(f"last_{n}_{_UNIT_KEYS[match.group('unit')]}", *match.span()))
    for value, pattern in _FIXED_PERIODS:
        for match in regex.finditer(rf"(?<![\p{{Latin}}])(?:{pattern})(?![\p{{Latin}}])", folded):
            spans.append(Span(value, *match.span()))
    for match in _CALENDAR_MONTH.finditer(folded):
        if match.group("name"):
            month: int | None = _MONTH_NAMES[match.group("name")]
        else:
            month = _number(match.group("m"))
        if month and 1 <= month <= 12:
            spans.append(Span(f"month_{month}", *match.span()))
    return _without_overlaps(spans)


def find_tenors(folded: str, periods: list[Span]) -> list[Span]:
    """Finds installment tenors ("12期", "6 tháng", "24 months") that are not periods."""
    spans = []
    for match in _TENOR.finditer(folded):
        n = _number(match.group("n"))
        overlaps = any(p.start < match.end() and match.start() < p.end for p in periods)
        if n and 1 <= n <= 120 and not overlaps:
            spans.append(Span(str(n), *match.span()))
    return spans


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Keeps the longest of overlapping spans ("last 30 days" over "last")."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
