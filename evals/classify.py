"""Run marketbrief's event, sentiment and summary enrichers over ``analyze`` JSONL input.

    python3 ../shared/evalkit/score.py sentiment \
        --data ../shared/eval/sentiment/twitter-financial-news \
        --cmd ".venv/bin/python evals/classify.py"

The scorer appends the input file (one ``{"id", "text", "title"?}`` record per line) as the last
argument; this prints one ``marketbrief.analysis/1`` object per record, in input order, with
``events``, ``sentiment`` and ``summary`` filled in (the other fields empty). A record that
cannot be read gives ``{"id", "error"}`` and a non-zero exit at the end. See evals/classify.md.

The packaged models were trained on the twitter-financial-news development files themselves, so
scoring them there measures fit, not quality. ``--oof DIR`` (the fold models written by
``scripts/train_models.py --oof-dir DIR``) scores each text with the model of the fold that did
not see it (``classifier.fold_of``): the honest, out-of-fold number. ``--rules-only`` runs the
rules and the lexicon without the models.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from marketbrief.contract import analysis_to_json, parse_instant
from marketbrief.enrich.classifier import LinearClassifier, fold_of
from marketbrief.enrich.events import detect_events
from marketbrief.enrich.sentiment import score_sentiment
from marketbrief.enrich.summary import summarize
from marketbrief.model import Analysis, Article, ArticleId


class Models:
    """Which models score a text: the packaged ones, none, or the out-of-fold ones."""

    def __init__(self, oof: Path | None = None, *, rules_only: bool = False) -> None:
        self.rules_only = rules_only
        self.folds: dict[str, list[LinearClassifier]] = {}
        if oof is not None:
            for name in ("sentiment", "events"):
                paths = sorted(oof.glob(f"{name}-fold*.npz"))
                if not paths:
                    raise SystemExit(f"no {name}-fold*.npz in {oof}: run scripts/train_models.py")
                models = [LinearClassifier.from_bytes(p.read_bytes(), key=str(p)) for p in paths]
                self.folds[name] = sorted(models, key=lambda m: int(m.meta["fold"]))

    def get(self, name: str, text: str) -> LinearClassifier | None:
        models = self.folds.get(name)
        return models[fold_of(text, len(models))] if models else None


def analyse_record(record: dict[str, Any], models: Models | None = None) -> dict[str, Any]:
    """The contract object for one input record (``text`` input only)."""
    models = models or Models()
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("record has no text (html input is not supported here)")
    title = record.get("title") if isinstance(record.get("title"), str) else None
    article = Article(
        id=ArticleId(str(record["id"])),
        url=record.get("url"),
        title=title,
        text=text,
        language="en",
        published_at=parse_instant(record.get("published_at")),
        source=record.get("source"),
    )
    analysis = Analysis(
        article=article,
        summary=summarize(text, title=title),
        events=detect_events(
            text,
            title=title,
            classifier=models.get("events", text),
            use_model=not models.rules_only,
        ),
        sentiment=score_sentiment(
            text,
            title=title,
            classifier=models.get("sentiment", text),
            use_model=not models.rules_only,
        ),
    )
    return analysis_to_json(analysis)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oof", type=Path, help="folder of out-of-fold models")
    parser.add_argument("--rules-only", action="store_true", help="no learned models")
    parser.add_argument("input", type=Path, help="analysis-input JSONL")
    args = parser.parse_args(argv)
    models = Models(args.oof, rules_only=args.rules_only)
    failed = 0
    with args.input.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record: dict[str, Any] = {}
            try:
                record = json.loads(line)
                out = analyse_record(record, models)
            except (ValueError, KeyError, TypeError) as exc:
                failed += 1
                out = {"id": record.get("id", f"line-{number}"), "error": str(exc)}
                print(f"classify.py: line {number}: {exc}", file=sys.stderr)
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
