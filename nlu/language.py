"""Identifies the language of each message: ``en``, ``zh-Hans``, ``zh-Hant`` or ``vi``.

Off-the-shelf identifiers (langid, fastText) are unreliable on chat-length text: langid tags
"toi muon khoa the tin dung" as Indonesian, and none of them separates Simplified from
Traditional Chinese or knows Vietnamese teen-code.  This component first applies what is
certain (script, Vietnamese letters, Cantonese particles, characters that exist in only one
Chinese script); what remains ("你好", "bye", "the bi khoa roi") goes to two small naive Bayes
models trained at `rasa train` time on the training examples, whose language is the
``language`` metadata of their intent block (``data/nlu/<language>/``).

The guess is stored on the message as the ``language`` output property with its confidence
and the candidates it could not rule out.  It also becomes a ``language`` entity, the
candidates in order of preference, which fills the ``language`` slot (``LanguageSlot``) in Rasa
itself: the conversation keeps its language when a message ("ok", "你好") does not tell, with
no call to the action server on every message.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.slots import Slot, TextSlot
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.naive_bayes import NaiveBayes, char_ngrams
from nlu.normalize import fold_diacritics, script_tables

# cardcare.conversation.LANGUAGES, copied: nlu/ is loaded into Rasa on its own and imports no
# other project folder (tests/test_import_boundaries.py); tests/nlu/test_language.py keeps the two
# equal.
LANGUAGES = ("en", "zh-Hans", "zh-Hant", "vi")
LANGUAGE_PROPERTY = "language"
# The entity (and slot) carrying each message's possible languages to the dialogue.
LANGUAGE_ENTITY = "language"
# cardcare.conversation.LANGUAGE_HINT_KEY, copied as LANGUAGES is: the channel's language for
# the user (Telegram's app language, say), in the message's metadata.
LANGUAGE_HINT_KEY = "language_hint"
LANGUAGE_METADATA_KEY = "language"
_MODELS_FILE = "language_models.json"

_HAN = regex.compile(r"\p{Han}")
_NOT_HAN = regex.compile(r"\P{Han}+")
_LATIN_WORD = regex.compile(r"[\p{Latin}\p{M}']+")
# Letters that exist in Vietnamese and not in English: ă â đ ê ô ơ ư and vowels with tone
# marks (checked on the decomposed text).
_VIETNAMESE_LETTER = regex.compile(
    r"[ăâđêôơưĂÂĐÊÔƠƯ]|[aeiouyAEIOUY][\u0300\u0301\u0303\u0309\u0323]"
)
# Particles and words only written Cantonese uses; any of them makes a message Hong Kong
# Traditional even when every other character is shared with Simplified: 咁 ("so"), 喇, the
# greeting 早晨, sentence-final 先 ("我走先"), 蚊 for dollars ("800蚊"), and 晒 ("all") in its
# set phrases (Mandarin chat uses 晒 for "show off", so not alone).
_CANTONESE = regex.compile(
    r"[嘅咗唔冇喺佢啲嘢咩嗰哋乜攞噉嚟嘞啱㗎喎囉哂咁喇]|點解|幾多|點樣|係咪|邊度|早晨|走先"
    r"|(?:該|该|擾|扰|謝|谢)晒|\d\s*蚊")
# Written in both scripts' shared characters but regional: Taiwan's 妳/喔/唷 and place-bound
# services, against mainland 咋/哈喽.  Weaker than script evidence, stronger than statistics.
_TAIWAN_HONG_KONG = regex.compile(r"[妳喔唷]|捷運|悠遊卡|八達通|好市多|全聯|蝦皮")
_MAINLAND = regex.compile(r"咋|哈喽|支付宝|花呗")
# A statistical guess at least this sure about a longer Latin message rules out the other
# Latin-script language; below, both stay candidates and the conversation's language wins.
_SURE = 0.97
# Fewer Latin words than this, with nothing Vietnamese in them, is what users of every
# language type ("ok", "thx", "Visa", "Starbucks", "NT$2,500"): no language is ruled out.
_SHORT_LATIN_WORDS = 3
# How much likelier (log-odds, here 7 to 1) a short message's words must be in Vietnamese than
# in English for it to count as Vietnamese: "cam on" +3.0, "co a" +4.3; "hi" -1.6, "Visa" +0.9.
_SHORT_VIETNAMESE_EVIDENCE = 2.0


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


@dataclass(frozen=True)
class LanguageModels:
    """Tie-breakers learned from the training data: Simplified vs Traditional, en vs vi."""

    chinese: NaiveBayes | None = None
    latin: NaiveBayes | None = None


def _han_features(text: str) -> list[str]:
    return char_ngrams(_NOT_HAN.sub(" ", text), sizes=(1, 2))


def _latin_features(text: str) -> list[str]:
    folded = fold_diacritics(text).lower()
    words = _LATIN_WORD.findall(folded)
    return char_ngrams(" ".join(words), sizes=(1, 2, 3, 4)) + [f"w:{w}" for w in words]


def _chinese_variant(text: str, model: NaiveBayes | None) -> LanguageGuess:
    tables = script_tables()
    traditional = sum(ch in tables.traditional_only for ch in text)
    simplified = sum(ch in tables.simplified_only for ch in text)
    if _CANTONESE.search(text):
        traditional += 2
    traditional += len(_TAIWAN_HONG_KONG.findall(text))
    simplified += len(_MAINLAND.findall(text))
    if traditional > simplified:
        return LanguageGuess("zh-Hant", 0.99 if simplified == 0 else 0.8, ("zh-Hant",))
    if simplified > traditional:
        return LanguageGuess("zh-Hans", 0.99 if traditional == 0 else 0.8, ("zh-Hans",))
    # Only characters both scripts share ("你好", "我想分期"): Chinese, variant open.  Words
    # one region uses ("早晨", "在吗") make one variant likelier, never certain.
    code = "zh-Hans"
    if model is not None:
        posterior = model.posterior(_han_features(text))
        code = max(posterior, key=posterior.__getitem__)
    return LanguageGuess(code, 0.5, ("zh-Hans", "zh-Hant"))


def _latin_language(text: str, model: NaiveBayes | None) -> LanguageGuess:
    if _VIETNAMESE_LETTER.search(unicodedata.normalize("NFD", text)):
        return LanguageGuess("vi", 0.99, ("vi",))
    if model is None:
        return LanguageGuess("en", 0.3, LANGUAGES)
    posterior = model.posterior(_latin_features(text))
    code = max(posterior, key=posterior.__getitem__)
    confidence = posterior[code]
    words = _LATIN_WORD.findall(fold_diacritics(text).lower())
    if len(words) < _SHORT_LATIN_WORDS:
        # "hi", "ok" or "Visa" tell nothing, however sure the character n-grams are
        # (Vietnamese chats greet with "hi" too): a new chat then speaks English, or the
        # channel's hint (``preference``).  Only words far likelier in Vietnamese ("cam on",
        # "ko dc", "hey ad") make it Vietnamese.
        evidence = sum(model.log_probability("vi", f"w:{w}") - model.log_probability("en", f"w:{w}")
                       for w in words)
        return LanguageGuess("vi" if evidence > _SHORT_VIETNAMESE_EVIDENCE else "en", confidence,
                             LANGUAGES)
    sure = confidence >= _SURE
    return LanguageGuess(code, confidence, (code,) if sure else ("en", "vi"))


def identify(text: str, models: LanguageModels | None = None) -> LanguageGuess:
    """Guesses the language of one chat message.

    Han characters make a message Chinese unless Latin words outnumber them ("my card was
    declined at 全聯" is English, "我想 check balance" is Chinese); a Cantonese particle makes
    it Chinese regardless ("double charge咗 Foodpanda").
    """
    models = models or LanguageModels()
    han = len(_HAN.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    if han and (han >= latin_words or _CANTONESE.search(text)):
        return _chinese_variant(text, models.chinese)
    if latin_words:
        return _latin_language(text, models.latin)
    return LanguageGuess("en", 0.0, LANGUAGES)  # digits, emoji, punctuation only


def preference(guess: LanguageGuess, hint: str | None = None) -> list[str]:
    """The languages a message leaves possible, in the order a conversation that speaks none of
    them takes them: the channel's hint when the message allows it, then the guess.

    "你好" from an app set to Traditional Chinese → ``["zh-Hant", "zh-Hans"]``.
    """
    first = (hint,) if hint in guess.candidates else ()
    return list(dict.fromkeys((*first, guess.code, *guess.candidates)))


class LanguageSlot(TextSlot):
    """The conversation's language, decided in Rasa as each message arrives.

    Filled from the ``language`` entity (``preference``'s list) or from an explicit request
    ("English please": one code).  It keeps the language it has when the message leaves that
    one possible ("ok" in a Vietnamese chat, "你好" in a Traditional one), else takes the first.
    Anything that is not one of LANGUAGES leaves it as it was.  Rasa replays a conversation's
    events through this setter, so a stored conversation comes back with the same language.
    """

    type_name = "nlu.language.LanguageSlot"

    @property
    def value(self) -> Any:
        """One of LANGUAGES, or None before the first message."""
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        if value is None:  # Rasa resetting the slot
            Slot.value.fset(self, None)  # type: ignore[attr-defined]
            return
        offered = [value] if isinstance(value, str) else list(value)
        possible = [code for code in offered if code in LANGUAGES]
        if possible:
            chosen = self._value if self._value in possible else possible[0]
            Slot.value.fset(self, chosen)  # type: ignore[attr-defined]


def writes_in_script_of(text: str, language: str) -> bool:
    """Whether the text holds any writing in the language's script (Han or Latin letters).

    A bare amount ("NT$2,500"), a brand ("Starbucks") or an English phrase sent by a Chinese
    speaker carries nothing of Chinese: no identifier can tell from it that the writer is.
    """
    pattern = _HAN if language.startswith("zh") else _LATIN_WORD
    return bool(pattern.search(text))


def example_language(message: Message) -> str | None:
    """The language a training example is labelled with (intent-block or example metadata)."""
    metadata = message.get("metadata") or {}
    for level in ("example", "intent"):
        language = (metadata.get(level) or {}).get(LANGUAGE_METADATA_KEY)
        if language in LANGUAGES:
            return str(language)
    return None


def train_models(examples: list[tuple[str, str]]) -> LanguageModels:
    """Learns the tie-breakers from (text, language) pairs."""
    chinese = [(_han_features(t), lang) for t, lang in examples
               if lang.startswith("zh") and _HAN.search(t)]
    latin = [(_latin_features(t), lang) for t, lang in examples
             if lang in ("en", "vi") and _LATIN_WORD.search(t) and not _HAN.search(t)]
    # Smoothing chosen by 5-fold cross-validation on the training messages the script
    # rule cannot settle (alpha 1.0: 0.696 correct, 0.5: 0.686, 0.1: 0.666).
    return LanguageModels(
        chinese=NaiveBayes.fit(chinese, alpha=1.0) if len({g for _, g in chinese}) == 2 else None,
        latin=NaiveBayes.fit(latin) if len({g for _, g in latin}) == 2 else None,
    )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class LanguageIdentifier(GraphComponent):
    """Adds the ``language`` output property (code, confidence, candidates) to each message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
        return {}

    @staticmethod
    def supported_languages() -> list[str] | None:
        """All languages."""
        return None

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, models: LanguageModels
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.models = models

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageIdentifier:
        """Creates an untrained identifier (rules only)."""
        return cls(model_storage, resource, LanguageModels())

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageIdentifier:
        """Loads the learned tie-breakers from the model."""
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / _MODELS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            return cls(model_storage, resource, LanguageModels())
        models = LanguageModels(
            chinese=NaiveBayes.from_json(data["chinese"]) if data.get("chinese") else None,
            latin=NaiveBayes.from_json(data["latin"]) if data.get("latin") else None,
        )
        return cls(model_storage, resource, models)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns from the training examples that carry a language label."""
        labelled = [
            (m.get(TEXT), language)
            for m in training_data.training_examples
            if m.get(TEXT) and (language := example_language(m))
        ]
        self.models = train_models(labelled)
        with self._model_storage.write_to(self._resource) as directory:
            data = {
                "chinese": self.models.chinese.to_json() if self.models.chinese else None,
                "latin": self.models.latin.to_json() if self.models.latin else None,
            }
            (directory / _MODELS_FILE).write_text(json.dumps(data), encoding="utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Identifies the language of each message's text; adds the ``language`` entity."""
        for message in messages:
            text = message.get(TEXT)
            if text:
                guess = identify(text, self.models)
                message.set(LANGUAGE_PROPERTY, guess.as_dict(), add_to_output=True)
                hint = (message.get("metadata") or {}).get(LANGUAGE_HINT_KEY)
                entity = {"entity": LANGUAGE_ENTITY, "value": preference(guess, hint),
                          "start": 0, "end": len(text), "confidence_entity": guess.confidence,
                          "extractor": type(self).__name__}
                message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training examples need no language property: nothing downstream learns from it."""
        return training_data
