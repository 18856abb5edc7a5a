from rasa.shared.nlu.training_data.message import Message

from nlu.commands import DEFAULT_COMMANDS, SlashCommandClassifier


def classify(text: str) -> dict | None:
    message = Message({"text": text, "intent": {"name": "greet", "confidence": 0.4}})
    SlashCommandClassifier(DEFAULT_COMMANDS).process([message])
    return message.get("intent")


def test_known_commands_become_intents():
    assert classify("/language") == {"name": "change_language", "confidence": 1.0}
    assert classify("/start@CardCareBot") == {"name": "greet", "confidence": 1.0}


def test_other_text_is_left_alone():
    assert classify("language please") == {"name": "greet", "confidence": 0.4}
    assert classify("/unknown") == {"name": "greet", "confidence": 0.4}
