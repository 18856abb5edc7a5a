"""The linear intent classifier: trained through Rasa's featurisers, stored without pickles."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer

from nlu.linear import LinearIntentClassifier, fit_temperature, softmax, tfidf

EXAMPLES = {
    "check_balance": ["how much do i owe", "what is my balance", "balance please",
                      "how much is left on my card", "what do i owe this month",
                      "show my current balance", "my outstanding balance"],
    "lost_card": ["i lost my card", "my card was stolen", "someone stole my wallet",
                  "cannot find my card anywhere", "card lost block it", "stolen card",
                  "i think i lost it on the bus"],
    "greet": ["hello", "hi there", "good morning", "hey", "hi", "hello there", "morning"],
}


@pytest.fixture
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context)
    chars = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb",
         "min_ngram": 1, "max_ngram": 4}, storage, Resource("chars"), context)

    def featurise(messages: list[Message], training: bool = False) -> None:
        data = TrainingData(messages)
        tokenizer.process_training_data(data)
        if training:
            words.train(data)
            chars.train(data)
        words.process_training_data(data)
        chars.process_training_data(data)

    return storage, context, featurise


def train(pipeline, config=None):
    storage, context, featurise = pipeline
    messages = [Message(data={"text": text, "intent": intent})
                for intent, texts in EXAMPLES.items() for text in texts]
    featurise(messages, training=True)
    resource = Resource("linear")
    classifier = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), **(config or {})}, storage, resource,
        context)
    classifier.train(TrainingData(messages))
    return classifier, resource


def parse(pipeline, classifier, text):
    message = Message(data={"text": text})
    pipeline[2]([message])
    classifier.process([message])
    return message


def test_it_learns_intents_from_rasas_sparse_features(pipeline):
    classifier, _ = train(pipeline)
    assert parse(pipeline, classifier, "whats my balance").get("intent")["name"] == "check_balance"
    assert parse(pipeline, classifier, "my card got stolen").get("intent")["name"] == "lost_card"
    assert parse(pipeline, classifier, "helo").get("intent")["name"] == "greet"  # a typo


def test_the_ranking_is_a_distribution_sorted_best_first(pipeline):
    classifier, _ = train(pipeline)
    message = parse(pipeline, classifier, "i lost my card")
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert message.get("intent") == ranking[0]


def test_a_message_about_nothing_it_knows_is_not_confident(pipeline):
    classifier, _ = train(pipeline)
    known = parse(pipeline, classifier, "what is my balance").get("intent")["confidence"]
    unknown = parse(pipeline, classifier, "zzz qqq").get("intent")["confidence"]
    assert unknown < known


def test_the_stored_model_predicts_exactly_as_the_trained_one(pipeline):
    storage, context, _ = pipeline
    classifier, resource = train(pipeline)
    loaded = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage,
                                         resource, context)
    for text in ("what is my balance", "stolen", "hey there", "zzz"):
        assert parse(pipeline, loaded, text).get("intent_ranking") == \
            parse(pipeline, classifier, text).get("intent_ranking")
    stored = next((storage._storage_path / resource.name).glob("*.npz"))
    with np.load(stored, allow_pickle=False) as data:  # plain arrays: no pickle needed
        assert {"intents", "idf", "weights", "bias", "temperature"} <= set(data.files)


def test_an_untrained_classifier_predicts_nothing(pipeline):
    storage, context, _ = pipeline
    empty = LinearIntentClassifier.load(LinearIntentClassifier.get_default_config(), storage,
                                        Resource("never-trained"), context)
    message = parse(pipeline, empty, "hello")
    assert message.get("intent")["name"] is None and message.get("intent_ranking") == []


def test_tfidf_is_scikit_learns_sublinear_tfidf():
    counts = scipy.sparse.csr_matrix(np.array([[3, 0, 1], [0, 2, 0], [1, 1, 5], [0, 0, 0]]))
    reference = TfidfTransformer(sublinear_tf=True).fit(counts)
    ours = tfidf(counts, reference.idf_).toarray()
    assert np.allclose(ours, reference.transform(counts).toarray())


def test_the_temperature_makes_overconfident_scores_humbler():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    # Scores that pick the right class only 60% of the time, yet with large margins.
    scores = rng.normal(0, 1, (600, 3))
    right = rng.random(600) < 0.6
    scores[np.arange(600)[right], labels[right]] += 8
    temperature = fit_temperature(scores, labels)
    assert temperature < 1.0
    top = softmax(scores * temperature).max(axis=1).mean()
    assert 0.5 < top < 0.8  # near the real accuracy, not near 1
