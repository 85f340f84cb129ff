"""Small linear text classifiers, run with numpy: the learned half of sentiment and events.

A model is multinomial logistic regression over TF-IDF features of a short text (a headline, a
sentence) plus a few dense features the caller supplies (what the rules found in that text):

- ``text_features`` turns a text into feature strings: lower-cased word unigrams and bigrams
  (numbers, percentages, amounts and cashtags folded into a few tokens) and the character
  3- to 5-grams of each word; the training script (``scripts/train_models.py``) builds its
  vocabulary with the same function, so training and inference see the same features;
- counts become ``1 + log(count)`` times the term's IDF; word terms and character terms are
  L2-normalised apart and scaled (``block_scale``: so that the many character n-grams do not
  drown the words); the dense features are appended as they are; class probabilities are the
  softmax of ``x @ W + b``.

Models are ``.npz`` files in ``enrich/models/`` (see ``models/MODEL.md``: data, licence, scores,
how to retrain), read once per process on first use. No network, no framework: numpy only.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from io import BytesIO
from typing import Any

import numpy as np
import numpy.typing as npt

from marketbrief.errors import ConfigError

__all__ = [
    "LinearClassifier",
    "fold_of",
    "load_classifier",
    "text_features",
]

FORMAT = "marketbrief.linear/1"
CHAR_SIZES = (3, 4, 5)
_WORD_CACHE = 20_000
_ROW_CACHE = 256

_URL = re.compile(r"https?://\S+|www\.\S+|pic\.twitter\.com/\S+")
_TOKEN = re.compile(
    r"""(?P<cash>\$[a-z]{1,6}(?:\.[a-z])?(?![\w]))
      | (?P<pct>[+\-−]?\d+(?:[.,]\d+)?\s?(?:%|percent\b|pct\b))
      | (?P<money>[$€£¥]\s?\d[\d.,]*)
      | (?P<num>\d[\d.,:/]*)
      | (?P<word>[a-z][a-z'&]*(?:-[a-z]+)*)
      | (?P<mark>[!?:@#])""",
    re.VERBOSE,
)


@lru_cache(maxsize=65536)
def _char_grams(word: str) -> tuple[str, ...]:
    padded = f"<{word}>"
    return tuple("c:" + padded[i : i + n] for n in CHAR_SIZES for i in range(len(padded) - n + 1))


def _tokens(text: str) -> list[str]:
    lowered = _URL.sub(" ", text.lower().replace("’", "'"))
    out: list[str] = []
    for match in _TOKEN.finditer(lowered):
        kind, token = match.lastgroup, match.group(0)
        if kind == "word":
            out.append(token[:-2] if token.endswith("'s") else token)
        elif kind == "pct":
            out.append("-%" if token[0] in "-−" else "+%" if token[0] == "+" else "<n>%")
        elif kind == "money":
            out.append("<$n>")
        elif kind == "num":
            out.append("<n>")
        elif kind == "cash":
            out.append("<$tic>")
        else:
            out.append(token)
    return out


def _has_chars(token: str) -> bool:
    return token[0].isalpha() and len(token) > 1


def _word_features(tokens: Sequence[str]) -> list[str]:
    features = ["w:" + t for t in tokens]
    features += ["b:" + a + " " + b for a, b in itertools.pairwise(tokens)]
    return features


@lru_cache(maxsize=512)
def _cached_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokens(text))


def text_features(text: str) -> tuple[str, ...]:
    """The feature strings of ``text`` (with repeats): ``w:`` words, ``b:`` word pairs, ``c:``
    character n-grams of words."""
    tokens = _cached_tokens(text)
    features = _word_features(tokens)
    for token in tokens:
        if _has_chars(token):
            features.extend(_char_grams(token))
    return tuple(features)


@dataclass(frozen=True, slots=True, eq=False)
class LinearClassifier:
    """A trained model: vocabulary, IDF, weights of terms and of dense features, biases.

    ``term_weights`` may be 8-bit integers, with ``term_scale`` the factor of each class's
    column (what ``from_bytes`` reads: a quarter of the memory); straight from training they
    are floats and ``term_scale`` is ones."""

    name: str
    classes: tuple[str, ...]
    dense: tuple[str, ...]  # names of the dense features, in order
    vocabulary: dict[str, int]
    idf: npt.NDArray[Any]  # (len(vocabulary),)
    term_weights: npt.NDArray[Any]  # (len(vocabulary), len(classes))
    term_scale: npt.NDArray[np.float64]  # (len(classes),)
    dense_weights: npt.NDArray[np.float64]  # (len(dense), len(classes))
    bias: npt.NDArray[np.float64]
    block_scale: tuple[float, float]  # of word terms, of character terms
    meta: dict[str, str]
    blocks: npt.NDArray[np.intp] = field(init=False, repr=False)  # per term: 0 word, 1 char
    scale: npt.NDArray[np.float64] = field(init=False, repr=False)
    # token → the ids of its word term and of its character n-grams: words recur, and their
    # n-grams are most of the terms
    token_ids: dict[str, list[int]] = field(init=False, repr=False)
    rows: dict[tuple[str, tuple[float, ...]], npt.NDArray[np.float64]] = field(
        init=False, repr=False
    )

    def __post_init__(self) -> None:
        blocks = np.zeros(len(self.vocabulary), dtype=np.intp)
        # one numpy assignment, not one per term: start-up reads two vocabularies of ~70,000
        blocks[[index for term, index in self.vocabulary.items() if term.startswith("c:")]] = 1
        object.__setattr__(self, "blocks", blocks)
        object.__setattr__(self, "scale", np.asarray(self.block_scale, dtype=np.float64))
        object.__setattr__(self, "token_ids", {})
        object.__setattr__(self, "rows", {})

    def term_ids(self, text: str) -> list[int]:
        """The vocabulary ids of ``text_features(text)`` that are in the vocabulary."""
        lookup, known = self.vocabulary.get, self.token_ids
        tokens = _cached_tokens(text)
        ids: list[int] = []
        for token in tokens:
            found = known.get(token)
            if found is None:  # the token's word term and the n-grams of its characters
                grams = _char_grams(token) if len(token) > 1 and token[0].isalpha() else ()
                found = [i for i in map(lookup, ("w:" + token, *grams)) if i is not None]
                if len(known) >= _WORD_CACHE:
                    known.clear()
                known[token] = found
            ids.extend(found)
        # word pairs as _word_features spells them (an f-string: the quickest way to build them)
        pairs = itertools.pairwise(tokens)
        ids += [i for a, b in pairs if (i := lookup(f"b:{a} {b}")) is not None]
        return ids

    def index(self, label: str) -> int:
        return self.classes.index(label)

    def probabilities(
        self, texts: Sequence[str], dense: Sequence[Sequence[float]]
    ) -> npt.NDArray[np.float64]:
        """Class probabilities, one row per text; ``dense`` holds each text's dense features.

        Rows are remembered for the last texts asked about (an article's sentiment, then each
        company's, read the same lead sentences)."""
        keys = [(text, tuple(features)) for text, features in zip(texts, dense, strict=True)]
        known = [self.rows.get(key) for key in keys]
        missing = [i for i, row in enumerate(known) if row is None]
        if missing:
            computed = self._compute([texts[i] for i in missing], [dense[i] for i in missing])
            if len(self.rows) + len(missing) > _ROW_CACHE:
                self.rows.clear()
            for i, row in zip(missing, computed, strict=True):
                known[i] = row
                self.rows[keys[i]] = row
        if not keys:
            return np.zeros((0, len(self.classes)))
        return np.vstack([row for row in known if row is not None])

    def _compute(
        self, texts: Sequence[str], dense: Sequence[Sequence[float]]
    ) -> npt.NDArray[np.float64]:
        rows = len(texts)
        scores = np.zeros((rows, len(self.classes)))
        if not rows:
            return scores
        # All rows at once (a few numpy calls per batch, not per row): each (row, term) pair
        # once with its count, then per row and block the norm, then the weighted sum.
        ids: list[int] = []
        lengths: list[int] = []
        for text in texts:
            found = self.term_ids(text)
            ids.extend(found)
            lengths.append(len(found))
        if ids:
            # Array methods and ufuncs rather than the np.* functions that wrap them (np.unique,
            # np.take, np.tile, np.diff): their Python layers cost more than the arithmetic on
            # a call of a few short texts. The arithmetic, and its order, is unchanged.
            size = len(self.vocabulary)
            keys = (np.arange(rows, dtype=np.intp) * size).repeat(lengths)
            keys += np.array(ids, dtype=np.intp)
            keys.sort()
            starts = _run_starts(keys)  # of each distinct (row, term): its count is its run
            counts = np.empty_like(starts)
            counts[:-1] = starts[1:] - starts[:-1]
            counts[-1] = len(keys) - starts[-1]
            owner, columns = np.divmod(keys[starts], size)
            values = (np.log(counts) + 1.0) * self.idf[columns]
            block = self.blocks[columns]
            group = owner * 2 + block
            norms = np.sqrt(np.bincount(group, weights=values * values, minlength=rows * 2))
            norms[norms == 0] = 1.0
            values *= self.scale[block] / norms[group]
            # rows are sorted (keys are): sum each row's run of weighted term rows
            contributions = self.term_weights.take(columns, axis=0) * values[:, None]
            starts = _run_starts(owner)
            scores[owner[starts]] = np.add.reduceat(contributions, starts, axis=0)
        scores *= self.term_scale
        scores += self.bias
        if self.dense:
            extra = np.asarray(dense, dtype=np.float64).reshape(rows, len(self.dense))
            scores += extra @ self.dense_weights
        scores -= np.maximum.reduce(scores, axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= np.add.reduce(scores, axis=1, keepdims=True)
        return scores

    def to_bytes(self) -> bytes:
        """The model as a compressed ``.npz`` (what ``from_bytes`` reads).

        Term weights are stored as 8-bit integers with one scale per class (an eighth of the
        size; probabilities move by a few hundredths at most), the rest as floats."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        term_weights = self.term_weights.astype(np.float64) * self.term_scale
        scale = np.abs(term_weights).max(axis=0) / 127.0 if len(terms) else np.ones(0)
        scale[scale == 0] = 1.0
        buffer = BytesIO()
        np.savez_compressed(
            buffer,
            format=np.array(FORMAT),
            name=np.array(self.name),
            classes=np.array("\n".join(self.classes)),
            dense=np.array("\n".join(self.dense)),
            vocabulary=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
            idf=self.idf.astype(np.float32),
            term_weights=np.rint(term_weights / scale).astype(np.int8),
            term_scale=scale,
            dense_weights=self.dense_weights.astype(np.float64),
            bias=self.bias.astype(np.float64),
            block_scale=np.asarray(self.block_scale, dtype=np.float64),
            meta=np.array("\n".join(f"{k}={v}" for k, v in sorted(self.meta.items()))),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, key: str) -> LinearClassifier:
        """Read a model written by ``to_bytes``; ``ConfigError`` (with ``key``) if it is not one."""
        try:
            with np.load(BytesIO(data), allow_pickle=False) as npz:
                if str(npz["format"]) != FORMAT:
                    raise ConfigError(f"not a {FORMAT} model", key=key)
                vocabulary = npz["vocabulary"].tobytes().decode("utf-8")
                terms = vocabulary.split("\n") if vocabulary else []
                model = cls(
                    name=str(npz["name"]),
                    classes=tuple(_lines(npz["classes"])),
                    dense=tuple(_lines(npz["dense"])),
                    vocabulary=dict(zip(terms, range(len(terms)), strict=True)),
                    idf=npz["idf"],
                    term_weights=npz["term_weights"],
                    term_scale=npz["term_scale"].astype(np.float64),
                    dense_weights=npz["dense_weights"].astype(np.float64),
                    bias=npz["bias"].astype(np.float64),
                    block_scale=(float(npz["block_scale"][0]), float(npz["block_scale"][1])),
                    meta=dict(line.split("=", 1) for line in _lines(npz["meta"])),
                )
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read the model: {exc}", key=key) from exc
        classes = len(model.classes)
        if (
            model.term_weights.shape != (len(terms), classes)
            or model.dense_weights.shape != (len(model.dense), classes)
            or model.idf.shape != (len(terms),)
            or model.term_scale.shape != (classes,)
            or model.bias.shape != (classes,)
        ):
            raise ConfigError("weights do not fit the vocabulary and classes", key=key)
        return model


def _run_starts(ordered: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Where each run of equal values of a sorted, non-empty array begins."""
    first = np.empty(len(ordered), dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts: npt.NDArray[np.intp] = first.nonzero()[0]
    return starts


def _lines(array: Any) -> list[str]:
    text = str(array)
    return text.split("\n") if text else []


@cache
def load_classifier(name: str) -> LinearClassifier:
    """The packaged model ``models/<name>.npz``, read once per process."""
    path = resources.files("marketbrief.enrich").joinpath("models", f"{name}.npz")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"model file missing: {exc}", key=f"models/{name}.npz") from exc
    return LinearClassifier.from_bytes(data, key=f"models/{name}.npz")


_NOT_WORD = re.compile(r"\W+")


def fold_of(text: str, folds: int) -> int:
    """The cross-validation fold of a training text, 0..folds-1: the same for texts that differ
    only in links, case or punctuation (reposts of one headline), so a text is never scored by
    a model that saw its twin."""
    key = _NOT_WORD.sub(" ", _URL.sub(" ", text.lower())).strip()
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()) % folds
