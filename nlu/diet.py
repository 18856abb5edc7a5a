"""Rasa's DIETClassifier, trained without tf.data's autotuning thread.

Keras gives DIET's batch generator a new ``tf.data`` iterator every epoch.  Destroying the old
iterator waits for tf.data's autotuning thread, which sleeps between optimisation rounds for up
to seconds and is not woken for it: on 2 cores a third of the epochs stood still for 2–3 s at
their start (measured with py-spy in ``IteratorResource::~IteratorResource``; 40 epochs lost
about 70 s of 6 minutes).  The generator is a plain ``prefetch(1)`` pipeline with nothing to
tune, so training switches autotuning off for it.  Rasa and Keras offer no option for the
datasets Keras builds inside ``fit``, hence the patch, scoped to one training run.  Model,
results and inference are Rasa's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.graph_components.validators import default_recipe_validator
from rasa.nlu.classifiers.diet_classifier import DIETClassifier as RasaDIETClassifier
from rasa.shared.nlu.training_data.training_data import TrainingData


@contextmanager
def generator_datasets_without_autotune() -> Iterator[None]:
    """Makes ``tf.data.Dataset.from_generator`` return datasets with autotuning off."""
    original: Callable[..., tf.data.Dataset] = tf.data.Dataset.from_generator

    def from_generator(*args: Any, **kwargs: Any) -> tf.data.Dataset:
        options = tf.data.Options()
        options.autotune.enabled = False
        return original(*args, **kwargs).with_options(options)

    tf.data.Dataset.from_generator = staticmethod(from_generator)
    try:
        yield
    finally:
        tf.data.Dataset.from_generator = staticmethod(original)


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class DIETClassifier(RasaDIETClassifier):
    """DIET as Rasa ships it; only its training loop runs without tf.data autotuning."""

    def train(self, training_data: TrainingData) -> Resource:
        """Trains DIET as Rasa does, without the autotuning pauses between epochs."""
        with generator_datasets_without_autotune():
            return super().train(training_data)


# Rasa's recipe validator knows the trainable entity extractors by exact class, as its recipe
# knows components by the `register` decorator above; without this entry every `rasa train`
# would warn that no component learns the annotated merchants.
default_recipe_validator.TRAINABLE_EXTRACTORS.append(DIETClassifier)
