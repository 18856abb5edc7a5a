"""Chat commands ("/start", "/language") as intents.

Telegram and WeChat menus send commands that are not Rasa intent names; Rasa's
RegexMessageHandler only understands ``/<intent>``.  Mapping them here keeps one place where
commands mean something, and `rasa shell` behaves like the channels.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

DEFAULT_COMMANDS = {
    "start": "greet",
    "help": "greet",
    "language": "change_language",
    "lang": "change_language",
    "agent": "human_agent",
    "human": "human_agent",
}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class SlashCommandClassifier(GraphComponent, IntentClassifier):
    """Sets the intent of a message that is a known command, with confidence 1."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``commands`` maps a command (without "/") to an intent name."""
        return {"commands": DEFAULT_COMMANDS}

    @staticmethod
    def supported_languages() -> list[str] | None:
        """All languages."""
        return None

    def __init__(self, commands: dict[str, str]) -> None:
        self._commands = commands

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SlashCommandClassifier:
        """Creates the classifier from its config."""
        return cls(dict(config["commands"]))

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of command messages such as "/language" or "/start@MyBot"."""
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if not text.startswith("/"):
                continue
            command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text[1:] else ""
            intent = self._commands.get(command)
            if intent:
                message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
                message.set(
                    INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data
