"""Maps what a platform says about a user's language to the four languages CardCare speaks.

Telegram sends an IETF tag (``language_code``: "vi", "zh-hans", "zh-TW"), WeChat a
``zh_CN``-style code, a browser an ``Accept-Language`` header.  Chinese tags that name a region
decide the script: Hong Kong, Macau and Taiwan write Traditional; mainland China and Singapore
Simplified.  The result is only a hint: what the user writes decides first (``actions.language``).
"""

from __future__ import annotations

_TRADITIONAL = {"hant", "tw", "hk", "mo", "yue"}
_SIMPLIFIED = {"hans", "cn", "sg", "my"}


def language_of(tag: str | None) -> str | None:
    """``"zh-HK"`` → ``"zh-Hant"``, ``"vi-VN"`` → ``"vi"``; None for a language not spoken."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    primary = parts[0]
    if primary in ("zh", "yue", "cmn"):
        rest = set(parts[1:]) | ({"yue"} if primary == "yue" else set())
        if rest & _TRADITIONAL:
            return "zh-Hant"
        return "zh-Hans"
    if primary in ("en", "vi"):
        return primary
    return None


def language_of_accept(header: str | None) -> str | None:
    """The best language CardCare speaks in an ``Accept-Language`` header, by q-value."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = language_of(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None

