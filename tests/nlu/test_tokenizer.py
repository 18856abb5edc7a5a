import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.tokenizer import DEFAULT_DICTIONARY, MultilingualTokenizer


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> MultilingualTokenizer:
    config = MultilingualTokenizer.get_default_config()
    storage = LocalModelStorage(tmp_path_factory.mktemp("tokenizer"))
    return MultilingualTokenizer(config, storage, Resource("tokenizer"), DEFAULT_DICTIONARY)


def tokens(tokenizer: MultilingualTokenizer, text: str) -> list[tuple[str, str, str]]:
    found = tokenizer.tokenize(Message({"text": text}), "text")
    return [(t.text, t.lemma, text[t.start:t.end]) for t in found]


def test_vietnamese_is_split_on_words_not_letters(tokenizer):
    words = [t for t, _, _ in tokens(tokenizer, "Tôi muốn khóa thẻ")]
    assert words == ["tôi", "muốn", "khóa", "thẻ"]


def test_vietnamese_lemma_is_folded(tokenizer):
    assert [lem for _, lem, _ in tokens(tokenizer, "thẻ bị khóa")] == ["the", "bi", "khoa"]


def test_mixed_chinese_and_english(tokenizer):
    words = [t for t, _, _ in tokens(tokenizer, "我想 check balance")]
    assert words == ["我", "想", "check", "balance"]


def test_traditional_is_segmented_as_simplified_with_original_offsets(tokenizer):
    result = tokens(tokenizer, "我張卡俾人盜刷咗")
    assert ("盗刷", "盗刷", "盜刷") in result
    assert ("咗", "咗", "咗") in result


def test_banking_dictionary_keeps_terms_whole(tokenizer):
    texts = [t for t, _, _ in tokens(tokenizer, "帮我办理账单分期和挂失")]
    assert "账单分期" in texts and "挂失" in texts


def test_numbers_and_currency_symbols(tokenizer):
    texts = [t for t, _, _ in tokens(tokenizer, "tra gop 3.500.000đ HK$500")]
    assert "3.500.000" in texts and "$" in texts and "500" in texts


def test_a_trailing_plus_stays_with_its_word(tokenizer):
    texts = [t for t, _, _ in tokens(tokenizer, "Disney+ took 13.99, Apple TV+ too")]
    assert texts[:2] == ["disney+", "took"] and "tv+" in texts


def trained_on(tmp_path, text: str, start: int, end: int) -> MultilingualTokenizer:
    """Trains a tokenizer on one example annotating text[start:end] as a merchant."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tokenizer")
    config = MultilingualTokenizer.get_default_config()
    trainer = MultilingualTokenizer(config, storage, resource, DEFAULT_DICTIONARY)
    entity = {"entity": "merchant", "start": start, "end": end, "value": text[start:end]}
    example = Message({"text": text, "intent": "rewards_points", "entities": [entity]})
    trainer.train(TrainingData([example]))
    return MultilingualTokenizer.load(config, storage, resource, ExecutionContext(GraphSchema({})))


def test_annotated_chinese_entities_become_words(tmp_path):
    loaded = trained_on(tmp_path, "在盒马用积分", 1, 3)
    assert "盒马" in [t.text for t in loaded.tokenize(Message({"text": "盒馬買嘢"}), "text")]


def test_the_han_part_of_a_mixed_entity_becomes_a_word(tmp_path):
    loaded = trained_on(tmp_path, "759阿信屋收多咗我錢", 0, 6)
    texts = [t.text for t in loaded.tokenize(Message({"text": "759阿信屋收多咗我錢"}), "text")]
    assert texts[:2] == ["759", "阿信屋"]
