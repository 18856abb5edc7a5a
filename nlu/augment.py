"""Teaches the model undiacritised Vietnamese from the diacritised training examples.

About a third of Vietnamese cardholders type without diacritics.  The model keeps features
of the words as written (diacritics carry meaning: "thẻ" card, "thế" so), so at training time
this component adds, for each Vietnamese example written with diacritics, a copy without
them.  At inference it does nothing.
"""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.language import example_language
from nlu.normalize import fold_diacritics


def fold_keeping_offsets(text: str) -> str | None:
    """The text without diacritics, character for character; None if lengths would differ."""
    folded = "".join(
        plain if len(plain := fold_diacritics(ch)) == 1 else ch for ch in text
    )
    return folded if len(folded) == len(text) else None


def folded_copy(message: Message) -> Message | None:
    """An undiacritised copy of a training example, or None if it has no diacritics."""
    text = unicodedata.normalize("NFC", message.get(TEXT) or "")
    if text != message.get(TEXT):
        return None  # decomposed input: entity offsets would not survive folding
    folded = fold_keeping_offsets(text)
    if folded is None or folded == text:
        return None
    data = copy.deepcopy(message.data)
    data[TEXT] = folded
    for entity in data.get(ENTITIES) or []:
        entity["value"] = folded[entity["start"]:entity["end"]]
    return Message(data=data)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class VietnameseFoldingAugmenter(GraphComponent):
    """Adds undiacritised copies of diacritised Vietnamese training examples."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No options."""
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
    ) -> VietnameseFoldingAugmenter:
        """Creates the component."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data with the folded copies added."""
        copies = [
            folded
            for message in training_data.training_examples
            if example_language(message) == "vi" and (folded := folded_copy(message))
        ]
        return training_data.merge(TrainingData(training_examples=copies))

    def process(self, messages: list[Message]) -> list[Message]:
        """Nothing at inference: messages are what the user wrote."""
        return messages
