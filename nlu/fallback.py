"""Rasa's FallbackClassifier with a confidence threshold per language.

The classifier is not equally sure in every language: undiacritised Vietnamese shares its
words with more intents than Chinese does, so one threshold declines too much in one language
and lets unrelated questions through in another.  Thresholds are calibrated on the project's
own held-out sets (`make eval` prints the trade-off), never on the blind ones.  Each message is
judged by Rasa's own classifier, configured with its language's threshold.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.fallback_classifier import THRESHOLD_KEY, FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from nlu.language import LANGUAGE_PROPERTY

THRESHOLDS_KEY = "thresholds"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class LanguageFallbackClassifier(FallbackClassifier):
    """Predicts ``nlu_fallback`` below the threshold of the message's language
    (``thresholds``), else below ``threshold``; ambiguity as Rasa's."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._built: dict[float, FallbackClassifier] = {}

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's options, plus ``thresholds``: language code → threshold."""
        return {**FallbackClassifier.get_default_config(), THRESHOLDS_KEY: {}}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LanguageFallbackClassifier:
        """Checks the thresholds once, at load."""
        thresholds = config.get(THRESHOLDS_KEY) or {}
        if not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in thresholds.values()):
            raise ValueError(f"{cls.__name__}: every threshold must be between 0 and 1")
        return cls(config)

    def threshold(self, message: Message) -> float:
        """The threshold for the message's language (nlu/language.py's identification)."""
        language = (message.get(LANGUAGE_PROPERTY) or {}).get("code")
        thresholds = self.component_config.get(THRESHOLDS_KEY) or {}
        return float(thresholds.get(language, self.component_config[THRESHOLD_KEY]))

    def _for(self, threshold: float) -> FallbackClassifier:
        """Rasa's classifier configured with ``threshold``, built once per threshold."""
        if threshold not in self._built:
            self._built[threshold] = FallbackClassifier(
                {**self.component_config, THRESHOLD_KEY: threshold})
        return self._built[threshold]

    def process(self, messages: list[Message]) -> list[Message]:
        """Applies Rasa's fallback to each message with its language's threshold."""
        for message in messages:
            self._for(self.threshold(message)).process([message])
        return messages
