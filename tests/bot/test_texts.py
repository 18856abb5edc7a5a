"""The gateway's own texts: all four languages, Traditional without Simplified characters."""

from __future__ import annotations

from string import Formatter

import pytest

from bot import texts
from cardcare.conversation import LANGUAGES
from nlu.normalize import script_tables


@pytest.mark.parametrize("name", texts.names())
def test_every_text_exists_in_every_language(name):
    variants = texts._texts()[name]
    assert sorted(variants) == sorted(LANGUAGES)
    assert all(v.strip() for v in variants.values())


@pytest.mark.parametrize("name", texts.names())
def test_every_language_fills_the_same_placeholders(name):
    fields = {language: sorted(f for _, f, _, _ in Formatter().parse(template) if f)
              for language, template in texts._texts()[name].items()}
    assert len({tuple(f) for f in fields.values()}) == 1, fields


@pytest.mark.parametrize(("language", "forbidden"),
                         [("zh-Hant", "simplified_only"), ("zh-Hans", "traditional_only")])
def test_chinese_texts_use_their_own_script(language, forbidden):
    characters = getattr(script_tables(), forbidden)
    for name in texts.names():
        bad = {ch for ch in texts.text(name, language) if ch in characters}
        assert not bad, (name, bad)


def test_unknown_languages_get_english():
    assert texts.text("unsupported", "fr") == texts.text("unsupported", "en")
