"""The learned half of sentiment: the numpy classifier (equal to sklearn's, packaged, offline),
the sentiment model in articles, and per-company sentiment that tells rivals apart."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from marketbrief.enrich import classifier as classifier_module
from marketbrief.enrich.classifier import (
    LinearClassifier,
    fold_of,
    load_classifier,
    text_features,
)
from marketbrief.enrich.events import rule_features
from marketbrief.enrich.sentiment import model_features, score_company_sentiment, score_sentiment
from marketbrief.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "src" / "marketbrief" / "enrich" / "models"


def train_script() -> ModuleType:
    pytest.importorskip("sklearn", reason="scikit-learn (a dev dependency) trains the models")
    path = ROOT / "scripts" / "train_models.py"
    spec = importlib.util.spec_from_file_location("train_models", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_models"] = module
    spec.loader.exec_module(module)
    return module


# Headlines written for this test (made-up companies), three moods.
CORPUS = [
    ("Northwind Robotics beats estimates and raises its outlook", "positive"),
    ("Quarry Tech shares soar after record quarterly sales", "positive"),
    ("Lumen Labs upgraded to buy on strong demand", "positive"),
    ("Harbor Foods wins a large supply contract", "positive"),
    ("Vantage Chips stock jumps on upbeat forecast", "positive"),
    ("Orchard Retail profit surges past expectations", "positive"),
    ("Coastal Airlines misses estimates and cuts its outlook", "negative"),
    ("Falcon Payments shares plunge after weak results", "negative"),
    ("Cobalt Logistics downgraded to sell on falling demand", "negative"),
    ("Maple Utilities slashes its dividend amid losses", "negative"),
    ("Pinecrest Bank sued by regulators over hidden fees", "negative"),
    ("Regulators fine Cedar Motors as recall widens", "negative"),
    ("Northwind Robotics to report results on July 20", "neutral"),
    ("Quarry Tech names a new chief financial officer", "neutral"),
    ("Harbor Foods schedules its annual shareholder meeting", "neutral"),
    ("Lumen Labs to present at an industry conference", "neutral"),
    ("Vantage Chips files its quarterly report", "neutral"),
    ("Orchard Retail opens a store in Denver", "neutral"),
] * 2


def test_numpy_inference_equals_sklearn() -> None:
    train = train_script()
    texts = [t for t, _ in CORPUS]
    labels = [label for _, label in CORPUS]
    dense = np.array([model_features(t) for t in texts])
    fitted = train.fit(texts, labels, dense, c=4.0, min_df=2, block_scale=(1.5, 1.0))
    names = tuple(f"d{i}" for i in range(dense.shape[1]))
    ours = train.to_classifier(fitted, "sentiment", names, {"data": "test"})
    unseen = [
        "Northwind Robotics shares soar after it beats estimates",
        "Coastal Airlines cuts its outlook as demand weakens",
        "Orchard Retail names a new chief executive",
        "A sentence with no known words at all: zyxxy qwvv",
        "",
    ]
    unseen_dense = np.array([model_features(t) for t in unseen])
    for sample, sample_dense in ((texts, dense), (unseen, unseen_dense)):
        theirs = fitted.predict_proba(sample, sample_dense)
        mine = ours.probabilities(sample, sample_dense.tolist())
        assert np.allclose(mine, theirs, atol=1e-9)
        assert list(fitted.model.predict(fitted.matrix(sample, sample_dense))) == [
            ours.classes[i] for i in np.argmax(mine, axis=1)
        ]
    # The stored file has 8-bit term weights: close, same predictions.
    stored = LinearClassifier.from_bytes(ours.to_bytes(), key="test")
    both = unseen + texts
    both_dense = np.vstack([unseen_dense, dense])
    a = stored.probabilities(both, both_dense.tolist())
    b = ours.probabilities(both, both_dense.tolist())
    assert np.abs(a - b).max() < 0.03
    assert (np.argmax(a, axis=1) == np.argmax(b, axis=1)).all()
    assert stored.meta == {"data": "test"}


def test_features_are_words_pairs_and_character_grams() -> None:
    features = text_features("$ACME beats by $0.05, shares +4%: https://t.co/x")
    assert "w:beats" in features
    assert "w:<$tic>" in features  # cashtags fold into one token, amounts and moves too
    assert "w:<$n>" in features
    assert "w:+%" in features
    assert "b:beats by" in features
    assert "c:<be" in features
    assert "c:ts>" in features
    assert not any("t.co" in f for f in features)


def test_reposts_of_a_headline_share_a_fold() -> None:
    a = "Quarry Tech beats estimates https://t.co/abc"
    b = "QUARRY TECH beats estimates!! https://t.co/xyz"
    assert fold_of(a, 5) == fold_of(b, 5)
    assert {fold_of(f"headline number {i}", 5) for i in range(50)} == set(range(5))


def test_packaged_models_load_offline_and_fit_their_features() -> None:
    sentiment = load_classifier("sentiment")
    events = load_classifier("events")
    assert set(sentiment.classes) == {"negative", "neutral", "positive"}
    assert len(sentiment.dense) == len(model_features("Shares rose"))
    assert len(events.dense) == len(rule_features("Shares rose"))
    for name in ("sentiment", "events"):
        path = MODELS / f"{name}.npz"
        assert path.stat().st_size < 3_000_000, "models stay small"
        meta = load_classifier(name).meta
        assert "twitter-financial-news" in meta["data"]
        assert float(meta["oof_accuracy"]) > 0.8
    card = (MODELS / "MODEL.md").read_text(encoding="utf-8")
    for needed in ("sentiment.npz", "events.npz", "MIT", "scripts/train_models.py", "out-of-fold"):
        assert needed in card


def test_a_broken_model_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as error:
        LinearClassifier.from_bytes(b"not a model", key="models/x.npz")
    assert error.value.key == "models/x.npz"
    with pytest.raises(ConfigError):
        classifier_module.load_classifier("no-such-model")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Northwind Robotics beats profit estimates and raises full-year guidance", "positive"),
        ("Harbor Foods shares plunge after it misses sales forecasts", "negative"),
        ("Analyst downgrades Quarry Tech to sell, citing weak demand", "negative"),
        ("Pinecrest Bank to report second-quarter results on July 20", "neutral"),
    ],
)
def test_the_model_reads_headlines(text: str, expected: str) -> None:
    assert score_sentiment(text).label == expected


def test_the_model_reads_the_title_and_the_lead_of_an_article() -> None:
    lead = (
        "Coastal Airlines said on Tuesday that it would cut 3,000 jobs after a second "
        "quarter in which its losses widened and bookings fell sharply."
    )
    filler = " The company is based in Ohio and flies to 40 cities." * 12
    result = score_sentiment(lead + filler, title="Coastal Airlines cuts jobs as losses widen")
    assert result.label == "negative"
    assert result.score < 0
    lexicon_only = score_sentiment(lead + filler, use_model=False)
    assert lexicon_only.score < 0


def rival_scores(text: str) -> tuple[float, float]:
    """Harbor Foods' and Orchard Grocers' sentiment in ``text`` (both must have one)."""
    harbor = text.index("Harbor Foods")
    orchard = text.index("Orchard Grocers")
    harbor_score = score_company_sentiment(text, [(harbor, harbor + 12)])
    orchard_score = score_company_sentiment(text, [(orchard, orchard + 15)])
    assert harbor_score is not None
    assert orchard_score is not None
    return harbor_score, orchard_score


def test_a_downgrade_amid_praise_for_a_rival_is_bad_for_one_and_good_for_the_other() -> None:
    text = (
        "Analysts at a large bank downgraded Harbor Foods to sell on Monday, citing shrinking "
        "margins and weak demand for its frozen meals. "
        "They praised rival Orchard Grocers, whose sales jumped 12% and whose new stores are "
        "beating expectations. "
        "Both companies report results next month."
    )
    harbor_score, orchard_score = rival_scores(text)
    assert harbor_score < -0.2
    assert orchard_score > 0.2


def test_in_one_sentence_each_company_gets_its_own_clause() -> None:
    text = (
        "Harbor Foods was downgraded to sell as its margins shrank, while rival Orchard "
        "Grocers was upgraded to buy after its sales jumped."
    )
    harbor_score, orchard_score = rival_scores(text)
    assert harbor_score < 0 < orchard_score


def test_a_company_in_neutral_sentences_has_no_sentiment() -> None:
    text = "Northwind Robotics is based in Ohio. The company makes warehouse robots."
    start = text.index("Northwind")
    assert score_company_sentiment(text, [(start, start + 9)]) is None
    assert score_company_sentiment(text, []) is None
