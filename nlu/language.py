"""Identifies the language of each message: ``en``, ``zh-Hans``, ``zh-Hant`` or ``vi``.

Off-the-shelf identifiers (langid, fastText) are unreliable on chat-length text: langid tags
"toi muon khoa the tin dung" as Indonesian, and none of them separates Simplified from
Traditional Chinese or knows Vietnamese teen-code.  The rules below use what is certain first
(script, Vietnamese letters, Cantonese particles, script-specific Han characters) and a
lexicon for the rest.  The guess is stored on the message as the ``language`` output property
with its confidence and the candidates it could not rule out, so the dialogue can keep the
conversation's language when a message ("ok", "你好") does not tell.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import fold_diacritics, script_tables

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "vi")
LANGUAGE_PROPERTY = "language"

_HAN = regex.compile(r"\p{Han}")
_LATIN_WORD = regex.compile(r"[\p{Latin}\p{M}']+")
# Letters that exist in Vietnamese and not in English: ă â đ ê ô ơ ư and vowels with tone marks.
_VIETNAMESE_LETTER = regex.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯ]|[aeiouyAEIOUY][\u0300\u0301\u0303\u0309\u0323]"
)
# Particles and words only written Cantonese uses; any of them makes a message Hong Kong
# Traditional even when every other character is shared with Simplified.
_CANTONESE = regex.compile(r"[嘅咗唔冇喺佢啲嘢咩嗰哋乜攞噉咁嚟嘞啱㗎喎囉嘛哂晒]|點解|幾多|點樣|係咪|邊度")

# Vietnamese syllables, written without diacritics: onset + rhyme.  A word that parses as a
# syllable and is not a frequent English word counts as Vietnamese.
_VI_SYLLABLE = regex.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:oa|oe|uy|ua|uo|ue|ie|ye|ia|ya|uu|[aeiouy])"
    r"(?:[aeiouy]{0,2})"
    r"(?:ng|nh|ch|[cmnpt])?"
)
_TEEN_CODE = frozenset(
    "ko k hok hem khg dc dk j z r mk mik bn ntn ns mun wa ak oke okie nha nhe nka ck vs cj".split()
)


@functools.lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    path = Path(__file__).parent / "resources" / "english_words.txt"
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.extend(line.split())
    return frozenset(words)


@dataclass(frozen=True)
class LanguageGuess:
    """The most likely language, how sure we are, and what it could also be."""

    code: str
    confidence: float
    candidates: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form stored in the parse data."""
        data = asdict(self)
        data["candidates"] = list(self.candidates)
        return data


def _chinese_variant(text: str) -> LanguageGuess:
    tables = script_tables()
    traditional = sum(ch in tables.traditional_only for ch in text)
    simplified = sum(ch in tables.simplified_only for ch in text)
    if _CANTONESE.search(text):
        traditional += 2
    if traditional > simplified:
        return LanguageGuess("zh-Hant", 0.99 if simplified == 0 else 0.8, ("zh-Hant",))
    if simplified > traditional:
        return LanguageGuess("zh-Hans", 0.99 if traditional == 0 else 0.8, ("zh-Hans",))
    # Only characters both scripts share ("你好", "我想分期"): Chinese, variant unknown.
    return LanguageGuess("zh-Hans", 0.5, ("zh-Hans", "zh-Hant"))


def _latin_language(text: str) -> LanguageGuess:
    if _VIETNAMESE_LETTER.search(unicodedata.normalize("NFD", text)):
        return LanguageGuess("vi", 0.99, ("vi",))
    english = _english_words()
    vi_score = en_score = 0.0
    for word in _LATIN_WORD.findall(fold_diacritics(text).lower()):
        if word in _TEEN_CODE:
            vi_score += 1.5
        elif word in english and _VI_SYLLABLE.fullmatch(word):
            en_score += 0.6  # "on", "me", "hi": English words that are Vietnamese syllables too
            vi_score += 0.4
        elif word in english:
            en_score += 1.0
        elif _VI_SYLLABLE.fullmatch(word):
            vi_score += 1.0
        elif len(word) > 1:
            en_score += 0.5  # brand names and unknown words lean English, weakly
    total = vi_score + en_score
    if total == 0:
        return LanguageGuess("en", 0.3, ("en", "vi"))
    if vi_score > en_score:
        confidence = vi_score / total
        return LanguageGuess("vi", confidence, ("vi",) if total >= 2 else ("vi", "en"))
    confidence = en_score / total
    return LanguageGuess("en", confidence, ("en",) if total >= 2 else ("en", "vi"))


def identify(text: str) -> LanguageGuess:
    """Guesses the language of one chat message.

    Han characters make a message Chinese unless Latin words clearly dominate it
    ("my card was declined at 全聯" is English, "我想 check balance" is Chinese).
    """
    han = len(_HAN.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    if han and han >= latin_words:
        return _chinese_variant(text)
    if latin_words:
        return _latin_language(text)
    return LanguageGuess("en", 0.0, LANGUAGES)  # digits, emoji, punctuation only


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class LanguageIdentifier(GraphComponent):
    """Adds the ``language`` output property (code, confidence, candidates) to each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options: the rules are fixed."""
        return {}

    @staticmethod
    def supported_languages() -> list[str] | None:
        """All languages."""
        return None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates the component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Identifies the language of each message's text."""
        for message in messages:
            text = message.get("text")
            if text:
                message.set(LANGUAGE_PROPERTY, identify(text).as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples need no language: nothing downstream learns from it."""
        return training_data
