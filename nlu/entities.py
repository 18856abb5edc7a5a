"""Rule-based entities: amount and currency, months (tenor), card_last4, period, target_language,
lock_way.

These are closed patterns with canonical values the bank API needs ("1.2万" must become
12000), which a statistical extractor would learn slowly and never normalise; the CRF keeps the
open class, ``merchant``.  The component runs after the tokenizer and the language identifier.
"""

from __future__ import annotations

from typing import Any

import regex
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.amounts import find_amounts
from nlu.language import LANGUAGE_PROPERTY, identify
from nlu.normalize import NormalizedText, fold_diacritics, normalize
from nlu.periods import find_periods, find_tenors

_CARD_LAST4 = regex.compile(
    r"(?:ending(?:\s+(?:in|with))?|ends?\s+(?:in|with)|last\s+(?:4|four)(?:\s+digits?)?"
    r"(?:\s+(?:are|is|of))?|card\s*(?:no\.?|number)?\s*x+|x{2,}|\*{2,}|尾号|尾数|末四位|末四码|后四位"
    r"|后4位|尾4位|末4位|末4码|卡尾|尾|duoi(?:\s+so)?|so\s+cuoi|4\s+so\s+cuoi|bon\s+so\s+cuoi)"
    r"\s*(?:是|係|系|为|:|-|#)?\s*(?P<d>\d{4})(?!\d)"
    r"|(?<!\d)(?P<d>\d{4})\s*(?:结尾|尾号|尾数|嗰张|那张|这张)"
)
# Asking for a language by name.  "中文"/"chinese" name no script: the script the user writes
# decides, so a Taiwanese "講中文" gets Traditional and a mainland "说中文" Simplified.
_TARGET_LANGUAGES: list[tuple[str | None, str]] = [
    ("en", r"english|tieng anh|英文|英语|anh ngu"),
    ("zh-Hans", r"simplified|简体|简中|普通话|mandarin"),
    ("zh-Hant", r"traditional|繁体|繁中|广东话|粤语|广州话|cantonese|tieng quang|hong kong|台湾"),
    ("vi", r"vietnamese|tieng viet|越南|viet nam|vietnam"),
    (None, r"chinese|中文|国语|华语|汉语|tieng trung|tieng hoa|trung quoc"),
]
_TARGET = regex.compile(
    "|".join(f"(?P<t{i}>{pattern})" for i, (_, pattern) in enumerate(_TARGET_LANGUAGES))
)


# Asking to undo a lock ("unlock my card", "解鎖", "mở khóa"): one intent, lock_card, covers both
# ways (docs/intents.md), and the way is a closed set of words.  Matched on the folded text.
_UNLOCK = regex.compile(
    r"\b(?:un ?lock|un ?freeze|un ?block|reactivate|turn (?:it |my card )?back on)\b"
    r"|解锁|解冻|解除|解封|恢复|开返|重新启用"
    r"|\b(?:mo|go|bo|huy) ?(?:khoa|phong toa|dong bang)\b|\bmo lai\b|\bkich hoat lai\b")
# An unlock the cardholder will do later ("lock it, I'll unlock it later", "之后再解锁",
# "khoa tam, tim duoc the thi mo lai sau") belongs to a request to lock, not to unlock.
_UNLOCK_LATER_BEFORE = regex.compile(
    r"(?:\b(?:i ?'?ll|i will|until i|till i|before i|khi nao|den khi)\b\W*(?:\w+\W+){0,3}"
    r"|(?:之后|以后|晚点|稍后|回头|到时)(?:再|自己|我)*)$")
_UNLOCK_LATER_AFTER = regex.compile(
    r"^\W*(?:(?:it|them|the card|my card|the)\W+)?(?:later|afterwards|myself|when i|once i|sau)\b")


def _folded(norm: NormalizedText) -> str:
    """Diacritic-folded copy of the normalised text with the same length (so same offsets)."""
    return "".join(
        folded if len(folded := fold_diacritics(ch)) == 1 else ch for ch in norm.text
    )


def extract(text: str, language: str | None = None) -> list[dict[str, Any]]:
    """Finds the rule-based entities in a message.

    Args:
        text: the message as the user wrote it.
        language: the message's language code if already identified.

    Returns:
        Rasa entity dicts with offsets into ``text``; an amount's currency comes as a
        separate ``currency`` entity over the same span.
    """
    norm = normalize(text)
    folded = _folded(norm)
    language = language or identify(text).code
    entities: list[dict[str, Any]] = []

    def add(entity: str, value: str, start: int, end: int) -> None:
        begin, finish = norm.span(start, end)
        entities.append(
            {"entity": entity, "value": value, "start": begin, "end": finish,
             "text": text[begin:finish], "confidence_entity": 1.0}
        )

    taken: list[tuple[int, int]] = []
    for match in _CARD_LAST4.finditer(folded):
        add("card_last4", match.group("d"), *match.span("d"))
        taken.append(match.span())
    periods = find_periods(folded)
    for span in periods:
        add("period", span.value, span.start, span.end)
    tenors = find_tenors(folded, periods)
    for span in tenors:
        add("months", span.value, span.start, span.end)
    taken += [(s.start, s.end) for s in [*periods, *tenors]]
    for amount in find_amounts(norm.text, vietnamese=language == "vi"):
        if any(amount.start < end and start < amount.end for start, end in taken):
            continue
        add("amount", amount.text_value, amount.start, amount.end)
        if amount.currency:
            add("currency", amount.currency, amount.start, amount.end)
    for match in _TARGET.finditer(folded):
        if match.lastgroup is None:  # cannot happen: every alternative is a named group
            continue
        index = int(match.lastgroup[1:])
        target = _TARGET_LANGUAGES[index][0]
        if target is None:
            target = "zh-Hant" if language == "zh-Hant" else "zh-Hans"
        add("target_language", target, *match.span())
    for match in _UNLOCK.finditer(folded):
        before, after = folded[:match.start()], folded[match.end():]
        if not (_UNLOCK_LATER_BEFORE.search(before) or _UNLOCK_LATER_AFTER.search(after)):
            add("lock_way", "unlock", *match.span())
            break
    return sorted(entities, key=lambda e: (e["start"], e["entity"]))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class BankingEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds amount, currency, months, card_last4, period and target_language entities."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options: the patterns are fixed."""
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
    ) -> BankingEntityExtractor:
        """Creates the component."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Appends the rule-based entities to each message's entities."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            language = (message.get(LANGUAGE_PROPERTY) or {}).get("code")
            found = extract(text, language)
            for entity in found:
                entity.pop("text", None)
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data
