import warnings

import pytest
import tensorflow as tf
from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.graph_components.validators.default_recipe_validator import DefaultV1RecipeValidator
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.diet import DIETClassifier, generator_datasets_without_autotune


def numbers() -> tf.data.Dataset:
    return tf.data.Dataset.from_generator(lambda: iter(range(3)),
                                          output_signature=tf.TensorSpec((), tf.int32))


def test_generator_datasets_built_inside_have_autotune_off_and_still_yield_everything():
    with generator_datasets_without_autotune():
        dataset = numbers()
    assert dataset.options().autotune.enabled is False
    assert [int(x) for x in dataset] == [0, 1, 2]


def test_autotune_is_left_as_tensorflow_has_it_outside_training():
    with pytest.raises(RuntimeError), generator_datasets_without_autotune():
        raise RuntimeError("training failed")
    assert numbers().options().autotune.enabled is not False


def test_rasa_counts_it_as_the_extractor_that_learns_annotated_entities():
    schema = GraphSchema({"diet": SchemaNode(needs={}, uses=DIETClassifier,
                                             constructor_name="create", fn="train", config={},
                                             is_target=True)})
    merchant = {"entity": "merchant", "start": 0, "end": 9, "value": "Starbucks"}
    example = Message({"text": "Starbucks charged me twice", "intent": "dispute_charge",
                       "entities": [merchant]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DefaultV1RecipeValidator(schema)._validate_nlu(TrainingData([example]))
    assert not [w for w in caught if "entity extractor" in str(w.message)]
