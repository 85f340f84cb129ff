"""A short extractive summary of an article: its lead sentences, as written.

News is written lead-first, so the first sentences of the body are the best short summary; the
work is in not taking what is not the lead: a headline repeated as the first line, a dateline
("NEW YORK (Reuters) -"), a byline, site chrome. Nothing is paraphrased: the summary is whole
sentences of the text joined by single spaces, and only when even the first sentence does not fit
is it cut, at a word boundary, with "…".
"""

from __future__ import annotations

import re

from marketbrief.enrich.sentences import find_chrome_start, is_boilerplate, split_sentences

__all__ = ["summarize"]

ELLIPSIS = "…"

# "NEW YORK (Reuters) - ", "WASHINGTON — ", "LONDON, June 3 (Reuters) -", "SAN FRANCISCO, Calif. –"
_DATELINE = re.compile(
    r"""^(?:
        [A-Z][A-Z.'’ -]{1,40}?(?:,\s*[A-Z][A-Za-z.]+(?:\s+\d{1,2})?)?\s*(?:\([^)]{1,40}\))?
      | [A-Z][\w.'’ -]{1,40}?(?:,\s*[A-Z][A-Za-z.]+\s+\d{1,2})?\s*\([^)]{1,40}\)
    )\s*[-–—]+\s+(?=\S)""",
    re.VERBOSE,
)
_END_PUNCT = (".", "!", "?", '"', "”", "’", "'", ")", "…", "。", "！", "？", "」", "』")
_SPACES = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _is_heading(sentence: str) -> bool:
    """A line with no final punctuation and few words: a headline, section title or label."""
    return not sentence.rstrip().endswith(_END_PUNCT) and len(sentence.split()) <= 20


def _lead_sentences(text: str, title: str | None) -> list[str]:
    """The body's sentences in order, without chrome, boilerplate, a repeated title or a
    leading heading, and with a dateline cut from the first one."""
    cut = find_chrome_start(text)
    sentences = [
        text[start:end]
        for start, end in split_sentences(text)
        if end <= cut and not is_boilerplate(text[start:end])
    ]
    wanted_title = _normal(title) if title else None
    body: list[str] = []
    for sentence in sentences:
        if not body and (
            (wanted_title is not None and _normal(sentence) == wanted_title)
            or _is_heading(sentence)
        ):
            continue  # a title or heading before the first sentence of prose
        if not body:
            dateline = _DATELINE.match(sentence)
            if dateline is not None and len(sentence) - dateline.end() > 20:
                sentence = sentence[dateline.end() :]
        body.append(sentence)
    if not body:
        # A headline-only or list-like text: its lines are all there is.
        body = [s for s in sentences if wanted_title is None or _normal(s) != wanted_title]
        body = body or sentences
    return body


def _cut_at_word(sentence: str, max_chars: int) -> str:
    """``sentence`` cut to at most ``max_chars`` characters at a word boundary, with "…"."""
    room = max_chars - len(ELLIPSIS)
    if room <= 0:
        return ""
    head = sentence[: room + 1]
    space = head.rfind(" ")
    if len(head) > room:
        # One word longer than the room is cut inside the word; the "…" says so.
        head = head[:space] if space > 0 else head[:room]
    head = head.rstrip(" ,;:-–—(")
    return head + ELLIPSIS if head else ""


def summarize(text: str, *, title: str | None = None, max_chars: int = 300) -> str:
    """The lead sentence(s) of ``text`` that fit in ``max_chars`` characters.

    Whole sentences of the article joined by single spaces; when the first sentence alone is too
    long it is cut at a word boundary and ends with "…". Empty when the text has no sentence.
    """
    if max_chars <= 0:
        return ""
    parts: list[str] = []
    used = 0
    for sentence in _lead_sentences(text, title):
        sentence = _SPACES.sub(" ", sentence)
        extra = len(sentence) + (1 if parts else 0)
        if used + extra <= max_chars:
            parts.append(sentence)
            used += extra
            continue
        if not parts:
            return _cut_at_word(sentence, max_chars)
        break
    return " ".join(parts)
