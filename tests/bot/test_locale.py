"""Platform language settings → the four languages CardCare speaks."""

from __future__ import annotations

import pytest

from bot.locale import language_of, language_of_accept


@pytest.mark.parametrize(("tag", "language"), [
    ("en", "en"), ("en-US", "en"), ("vi", "vi"), ("vi-VN", "vi"),
    ("zh-hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-sg", "zh-Hans"), ("zh_CN", "zh-Hans"),
    ("zh", "zh-Hans"), ("zh-hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-hk", "zh-Hant"),
    ("zh_TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"), ("yue", "zh-Hant"),
    ("fr", None), ("", None), (None, None),
])
def test_platform_tags(tag, language):
    assert language_of(tag) == language


@pytest.mark.parametrize(("header", "language"), [
    ("vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi"),
    ("fr-FR,fr;q=0.9,zh-TW;q=0.8,en;q=0.5", "zh-Hant"),
    ("en;q=0.5, zh-CN;q=0.9", "zh-Hans"),
    ("de, fr;q=0.9", None), ("zh-HK;q=0, en;q=0.1", "en"), ("", None),
])
def test_accept_language_headers(header, language):
    assert language_of_accept(header) == language
