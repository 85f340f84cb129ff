"""Train the sentiment and events models that ship in ``src/marketbrief/enrich/models/``.

    .venv/bin/python scripts/train_models.py [sentiment|events|all] [--folds 5] [--oof-dir DIR]

Data: only the MIT-licensed twitter-financial-news sets in ../shared/eval (sentiment
``sent_train.csv``, topics ``topic_train.csv``); their validation splits are held out by whoever
runs the held-out evaluation, and every other set in ../shared/eval is for evaluation only.

What it does, per model:

1. features: ``classifier.text_features`` (word 1-2-grams, character 3-5-grams of words; the
   function inference uses), terms seen in at least ``MIN_DF`` texts, TF-IDF with ``1 + log``
   counts, plus the dense rule features inference computes (``sentiment.lexicon_features``,
   ``events.rule_features``);
2. k-fold cross-validation (``classifier.fold_of``: reposts of one headline share a fold) with
   multinomial logistic regression; prints the out-of-fold accuracy and macro-F1;
3. fits on all rows, exports ``<name>.npz``, and checks that the numpy inference of the exported
   model gives sklearn's probabilities on a sample.

``--oof-dir DIR`` also writes the fold models (``<name>-fold<k>.npz``): ``evals/classify.py
--oof DIR`` scores each text with the model that did not see it, through the scorer.
scikit-learn (a dev dependency) is needed here only, never at run time.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, diags, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from marketbrief.enrich.classifier import LinearClassifier, fold_of, text_features
from marketbrief.enrich.events import rule_features
from marketbrief.enrich.sentiment import model_features
from marketbrief.model import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"
MODELS = ROOT / "src" / "marketbrief" / "enrich" / "models"
MIN_DF = 2
SEED_SAMPLE = 200  # texts on which numpy inference is checked against sklearn

SENTIMENT_LABELS = {"0": "negative", "1": "positive", "2": "neutral"}  # Bearish, Bullish, Neutral
TOPIC_LABELS = [
    "Analyst Update",
    "Fed | Central Banks",
    "Company | Product News",
    "Treasuries | Corporate Debt",
    "Dividend",
    "Earnings",
    "Energy | Oil",
    "Financials",
    "Currencies",
    "General News | Opinion",
    "Gold | Metals | Materials",
    "IPO",
    "Legal | Regulation",
    "M&A | Investments",
    "Macro",
    "Markets",
    "Politics",
    "Personnel Change",
    "Stock Commentary",
    "Stock Movement",
]
# Topic classes no event type covers (see [model.classes] in event_rules.toml): market
# commentary. The twitter topic score leaves their rows out, so the macro-F1 here does too.
NO_EVENT = {
    "Energy | Oil",
    "Financials",
    "Currencies",
    "General News | Opinion",
    "Gold | Metals | Materials",
    "Markets",
    "Stock Commentary",
}


@dataclass(frozen=True)
class Task:
    name: str
    path: Path
    labels: Callable[[str], str]
    dense_names: tuple[str, ...]
    dense: Callable[[str], Sequence[float]]
    c: float  # inverse regularisation strength of the logistic regression
    block_scale: tuple[float, float]  # weight of word terms, of character terms
    min_df: int = MIN_DF  # texts a term must occur in to be kept


TASKS = {
    "sentiment": Task(
        "sentiment",
        SHARED / "sentiment" / "twitter-financial-news" / "sent_train.csv",
        SENTIMENT_LABELS.__getitem__,
        (
            "lexicon",
            "lexicon_positive_part",
            "lexicon_negative_part",
            "lexicon_good",
            "lexicon_bad",
            "lexicon_cue",
            "question",
            *(f"rule:{t}" for t in EVENT_TYPES),
        ),
        model_features,
        4.0,
        (1.5, 1.0),
    ),
    "events": Task(
        "events",
        SHARED / "events" / "twitter-financial-news" / "topic_train.csv",
        lambda label: TOPIC_LABELS[int(label)],
        tuple(f"rule:{t}" for t in EVENT_TYPES),
        rule_features,
        8.0,
        (1.5, 1.0),
        3,
    ),
}


def read_rows(task: Task) -> tuple[list[str], list[str]]:
    if not task.path.exists():
        sys.exit(f"{task.path} not found: the training data lives in ../shared/eval")
    with task.path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [task.labels(r["label"].strip()) for r in rows]


@dataclass
class Fitted:
    vectorizer: CountVectorizer
    tfidf: TfidfTransformer  # idf and 1 + log(count), not normalised
    block_scale: tuple[float, float]
    model: LogisticRegression

    def terms(self, texts: Sequence[str]) -> Any:
        """TF-IDF rows with word and character terms L2-normalised apart, then scaled (as
        ``LinearClassifier.probabilities`` does)."""
        matrix = self.tfidf.transform(self.vectorizer.transform(texts)).tocsr()
        is_char = np.array(
            [t.startswith("c:") for t in self.vectorizer.get_feature_names_out()], dtype=bool
        )
        parts = []
        for block, scale in ((~is_char, self.block_scale[0]), (is_char, self.block_scale[1])):
            part = matrix.multiply(block.astype(np.float64)[None, :]).tocsr()
            norms = np.sqrt(np.asarray(part.multiply(part).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            parts.append(diags(scale / norms) @ part)
        return (parts[0] + parts[1]).tocsr()

    def matrix(self, texts: Sequence[str], dense: np.ndarray) -> Any:
        return hstack([self.terms(texts), csr_matrix(dense)]).tocsr()

    def predict_proba(self, texts: Sequence[str], dense: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self.matrix(texts, dense)))


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    dense: np.ndarray,
    *,
    c: float,
    min_df: int,
    block_scale: tuple[float, float],
) -> Fitted:
    """TF-IDF of ``text_features`` plus ``dense``, then multinomial logistic regression."""
    vectorizer = CountVectorizer(analyzer=text_features, min_df=min_df, dtype=np.float64)
    tfidf = TfidfTransformer(sublinear_tf=True, norm=None)
    tfidf.fit(vectorizer.fit_transform(texts))
    fitted = Fitted(vectorizer, tfidf, block_scale, LogisticRegression(C=c, max_iter=5000))
    fitted.model.fit(fitted.matrix(texts, dense), list(labels))
    return fitted


def to_classifier(
    fitted: Fitted, name: str, dense_names: Sequence[str], meta: dict[str, str]
) -> LinearClassifier:
    """The fitted model as the numpy classifier inference uses (full precision)."""
    vocabulary = {str(t): int(i) for t, i in fitted.vectorizer.vocabulary_.items()}
    coef = fitted.model.coef_.T.astype(np.float64)
    return LinearClassifier(
        name=name,
        classes=tuple(str(c) for c in fitted.model.classes_),
        dense=tuple(dense_names),
        vocabulary=vocabulary,
        idf=fitted.tfidf.idf_.astype(np.float64),
        term_weights=coef[: len(vocabulary)],
        term_scale=np.ones(coef.shape[1]),
        dense_weights=coef[len(vocabulary) :],
        bias=fitted.model.intercept_.astype(np.float64),
        block_scale=fitted.block_scale,
        meta=meta,
    )


def compare(
    classifier: LinearClassifier, fitted: Fitted, texts: Sequence[str], dense: np.ndarray
) -> tuple[float, float]:
    """Largest probability difference and share of equal predictions, numpy vs sklearn."""
    ours = classifier.probabilities(texts, dense.tolist())
    theirs = fitted.predict_proba(texts, dense)
    agree = float(np.mean(np.argmax(ours, axis=1) == np.argmax(theirs, axis=1)))
    return float(np.abs(ours - theirs).max()), agree


def scores(task: Task, gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    if task.name == "events":  # as the twitter topic score: rows of event classes only
        pairs = [
            (g, p if p not in NO_EVENT else "none")
            for g, p in zip(gold, predicted, strict=True)
            if g not in NO_EVENT
        ]
        gold = [g for g, _ in pairs]
        predicted = [p for _, p in pairs]
        classes = [c for c in TOPIC_LABELS if c not in NO_EVENT]
    else:
        classes = sorted(set(gold))
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=classes, average="macro")),
        "n": float(len(gold)),
    }


def train(task: Task, folds: int, oof_dir: Path | None, out: Path) -> dict[str, float]:
    texts, labels = read_rows(task)
    dense = np.array([task.dense(t) for t in texts], dtype=np.float64)
    fold = np.array([fold_of(t, folds) for t in texts])
    y = np.array(labels)
    predicted = np.empty(len(texts), dtype=object)
    for k in range(folds):
        train_rows, test_rows = np.where(fold != k)[0], np.where(fold == k)[0]
        fitted = fit(
            [texts[i] for i in train_rows],
            y[train_rows],
            dense[train_rows],
            c=task.c,
            min_df=task.min_df,
            block_scale=task.block_scale,
        )
        proba = fitted.predict_proba([texts[i] for i in test_rows], dense[test_rows])
        predicted[test_rows] = fitted.model.classes_[np.argmax(proba, axis=1)]
        if oof_dir is not None:
            oof_dir.mkdir(parents=True, exist_ok=True)
            meta = {"fold": str(k), "folds": str(folds)}
            data = to_classifier(fitted, task.name, task.dense_names, meta).to_bytes()
            (oof_dir / f"{task.name}-fold{k}.npz").write_bytes(data)
        print(f"{task.name}: fold {k + 1}/{folds} done", file=sys.stderr)
    oof = scores(task, labels, list(predicted))
    fitted = fit(texts, y, dense, c=task.c, min_df=task.min_df, block_scale=task.block_scale)
    meta = {
        "data": str(task.path.relative_to(SHARED)),
        "rows": str(len(texts)),
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "oof_accuracy": f"{oof['accuracy']:.4f}",
        "oof_macro_f1": f"{oof['macro_f1']:.4f}",
        "folds": str(folds),
        "c": str(task.c),
        "min_df": str(task.min_df),
        "block_scale": ",".join(map(str, task.block_scale)),
    }
    classifier = to_classifier(fitted, task.name, task.dense_names, meta)
    data = classifier.to_bytes()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{task.name}.npz").write_bytes(data)
    sample = list(range(0, len(texts), max(1, len(texts) // SEED_SAMPLE)))
    sample_texts = [texts[i] for i in sample]
    exact = compare(classifier, fitted, sample_texts, dense[sample])
    stored = compare(
        LinearClassifier.from_bytes(data, key="export"), fitted, sample_texts, dense[sample]
    )
    print(
        f"{task.name}: out-of-fold ({folds} folds) accuracy {oof['accuracy']:.4f} "
        f"macro-F1 {oof['macro_f1']:.4f} on {int(oof['n'])} rows; "
        f"{len(fitted.vectorizer.vocabulary_)} terms; {len(data) / 1e6:.2f} MB; "
        f"numpy vs sklearn on {len(sample)} texts: max |dp| {exact[0]:.2e} "
        f"(8-bit file {stored[0]:.4f}), same class {exact[1]:.3f} ({stored[1]:.3f})"
    )
    return oof


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=[*TASKS, "all"], nargs="?", default="all")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--oof-dir", type=Path, help="also write each fold's model here")
    parser.add_argument("--out", type=Path, default=MODELS, help=f"default {MODELS}")
    args = parser.parse_args()
    names = list(TASKS) if args.task == "all" else [args.task]
    for name in names:
        train(TASKS[name], args.folds, args.oof_dir, args.out)


if __name__ == "__main__":
    main()
