"""The fallback threshold follows the message's language."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from nlu.fallback import LanguageFallbackClassifier


def classifier(tmp_path, **config):
    return LanguageFallbackClassifier.create(
        {**LanguageFallbackClassifier.get_default_config(), **config},
        LocalModelStorage(tmp_path), Resource("fallback"), ExecutionContext(GraphSchema({})))


def message(language: str | None, confidence: float) -> Message:
    ranking = [{"name": "check_balance", "confidence": confidence},
               {"name": "payment_info", "confidence": 0.01}]
    data = {"text": "x", "intent": ranking[0], "intent_ranking": list(ranking)}
    if language:
        data["language"] = {"code": language, "confidence": 0.99}
    return Message(data=data)


@pytest.mark.parametrize(("language", "fell_back"), [
    ("en", False),  # 0.45 passes English's 0.4
    ("vi", True),  # but not Vietnamese's 0.5
    ("zh-Hant", True),  # a language without its own threshold gets the default 0.6
    (None, True),
])
def test_each_language_has_its_threshold(tmp_path, language, fell_back):
    fallback = classifier(tmp_path, threshold=0.6, thresholds={"en": 0.4, "vi": 0.5})
    [result] = fallback.process([message(language, 0.45)])
    assert (result.get("intent")["name"] == "nlu_fallback") is fell_back
    if fell_back:  # as Rasa's: the fallback is ranked first, at the threshold applied
        assert result.get("intent_ranking")[0] == result.get("intent")
        assert result.get("intent")["confidence"] == fallback.threshold(result)


def test_a_threshold_outside_0_to_1_is_refused(tmp_path):
    with pytest.raises(ValueError):
        classifier(tmp_path, thresholds={"en": 7})
