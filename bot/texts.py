"""The gateway's own texts, in the four languages (``bot/texts.yml``).

The gateway answers without Rasa in a few cases: a flood, an outage, a photo, an ambiguous
typed answer.  It writes those in the language Rasa last answered the chat in (each of Rasa's
messages says which), else the platform's hint, else English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cardcare.conversation import DEFAULT_LANGUAGE, LANGUAGES

TEXTS_FILE = Path(__file__).with_name("texts.yml")


@cache
def _texts() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    return data


def text(name: str, language: str | None, **values: Any) -> str:
    """The text ``name`` in ``language`` (English for a language CardCare does not speak).

    Raises:
        KeyError: there is no text of that name.
    """
    variants = _texts()[name]
    chosen = variants[language if language in LANGUAGES else DEFAULT_LANGUAGE]
    return chosen.format(**values) if values else chosen


def names() -> list[str]:
    """Every text's name (for the tests that check all four languages exist)."""
    return list(_texts())
