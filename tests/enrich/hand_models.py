"""Hand-built event classifiers for tests: each listed word points hard at one class."""

from __future__ import annotations

import numpy as np

from marketbrief.enrich.classifier import LinearClassifier
from marketbrief.model import EVENT_TYPES


def hand_model(words: dict[str, str], classes: tuple[str, ...]) -> LinearClassifier:
    """A classifier whose every listed word points hard at one class (dense features unused)."""
    vocabulary = {f"w:{w}": i for i, w in enumerate(words)}
    weights = np.zeros((len(vocabulary), len(classes)))
    for word, cls in words.items():
        weights[vocabulary[f"w:{word}"], classes.index(cls)] = 40.0
    return LinearClassifier(
        name="events",
        classes=classes,
        dense=tuple(f"rule:{t}" for t in EVENT_TYPES),
        vocabulary=vocabulary,
        idf=np.ones(len(vocabulary)),
        term_weights=weights,
        term_scale=np.ones(len(classes)),
        dense_weights=np.zeros((len(EVENT_TYPES), len(classes))),
        bias=np.zeros(len(classes)),
        block_scale=(1.0, 1.0),
        meta={},
    )
