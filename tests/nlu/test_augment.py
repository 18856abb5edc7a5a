from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.augment import VietnameseFoldingAugmenter, folded_copy


def vi(text: str, **data) -> Message:
    return Message({"text": text, "intent": "lost_card", "metadata": {"intent": {"language": "vi"}}, **data})


def test_folded_copy_keeps_entity_offsets():
    message = vi("mất thẻ ở Điện Máy Xanh", entities=[{"entity": "merchant", "start": 10, "end": 23, "value": "Điện Máy Xanh"}])
    copy = folded_copy(message)
    assert copy.get("text") == "mat the o Dien May Xanh"
    assert copy.get("entities")[0]["value"] == "Dien May Xanh"
    assert message.get("entities")[0]["value"] == "Điện Máy Xanh"  # the original is untouched


def test_only_diacritised_vietnamese_is_copied():
    data = TrainingData([vi("mất thẻ rồi"), vi("mat the roi"),
                         Message({"text": "café", "intent": "greet", "metadata": {"intent": {"language": "en"}}})])
    texts = sorted(m.get("text") for m in VietnameseFoldingAugmenter().process_training_data(data).training_examples)
    assert texts == ["café", "mat the roi", "mất thẻ rồi"]  # the copy equals an existing example


def test_inference_is_untouched():
    message = Message({"text": "mất thẻ"})
    assert VietnameseFoldingAugmenter().process([message])[0].get("text") == "mất thẻ"
