"""A small multinomial naive Bayes over character n-grams, stored as plain JSON.

Language identification needs a statistical tie-breaker for what rules cannot settle
("你好" in Taiwan or Beijing, "bye" against Vietnamese syllables).  scikit-learn's
MultinomialNB would work, but its estimators persist only as pickles; the model here is a few
dictionaries that load from JSON, which a model archive can carry safely.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict


class NaiveBayesJson(TypedDict):
    """The stored form of a ``NaiveBayes`` (JSON inside the model archive)."""

    classes: list[str]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]


def char_ngrams(text: str, sizes: Iterable[int] = (1, 2, 3)) -> list[str]:
    """Character n-grams of each word, with word boundaries marked by spaces."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in sizes:
            grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1)
                         if padded[i:i + n].strip())
    return grams


@dataclass(frozen=True)
class NaiveBayes:
    """Per-class log probabilities of features, with Laplace smoothing."""

    classes: tuple[str, ...]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]
    log_unseen: dict[str, float]

    def log_probability(self, label: str, feature: str) -> float:
        """log P(feature | label), smoothed for a feature the label never had."""
        return self.log_likelihood[label].get(feature, self.log_unseen[label])

    @classmethod
    def fit(cls, samples: Iterable[tuple[list[str], str]], alpha: float = 0.5) -> NaiveBayes:
        """Trains on (features, label) pairs; classes are balanced (uniform prior)."""
        counts: dict[str, Counter[str]] = {}
        for features, label in samples:
            counts.setdefault(label, Counter()).update(features)
        vocabulary = {f for c in counts.values() for f in c}
        classes = tuple(sorted(counts))
        log_likelihood, log_unseen = {}, {}
        for label in classes:
            total = sum(counts[label].values()) + alpha * (len(vocabulary) + 1)
            log_likelihood[label] = {
                f: math.log((n + alpha) / total) for f, n in counts[label].items()
            }
            log_unseen[label] = math.log(alpha / total)
        prior = -math.log(len(classes)) if classes else 0.0
        return cls(classes, {c: prior for c in classes}, log_likelihood, log_unseen)

    def posterior(self, features: list[str]) -> dict[str, float]:
        """Class probabilities for the features (uniform when no feature was ever seen)."""
        known = [f for f in features if any(f in self.log_likelihood[c] for c in self.classes)]
        scores = {
            c: self.log_prior[c]
            + sum(self.log_likelihood[c].get(f, self.log_unseen[c]) for f in known)
            for c in self.classes
        }
        top = max(scores.values())
        exp = {c: math.exp(s - top) for c, s in scores.items()}
        total = sum(exp.values())
        return {c: v / total for c, v in exp.items()}

    def to_json(self) -> NaiveBayesJson:
        """JSON-ready form."""
        return {"classes": list(self.classes), "log_prior": self.log_prior,
                "log_likelihood": self.log_likelihood, "log_unseen": self.log_unseen}

    @classmethod
    def from_json(cls, data: NaiveBayesJson) -> NaiveBayes:
        """Inverse of `to_json`."""
        return cls(tuple(data["classes"]), dict(data["log_prior"]),
                   dict(data["log_likelihood"]), dict(data["log_unseen"]))
