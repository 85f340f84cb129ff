"""Sentence and line boundaries of article text, as ``[start, end)`` offsets, and page chrome.

The enrichers that reason per sentence (events, sentiment, summary) share one splitter so that
"the sentence that mentions X" means the same thing everywhere. The splitter is a rule set, not a
model: it breaks at line ends and at ``.``/``!``/``?`` followed by space and a likely sentence
start, and it does not break after common abbreviations ("U.S.", "Inc.", "Jan.", initials).
``is_boilerplate`` recognises lines of site chrome (newsletter boxes, "Comments", bylines,
share buttons) that a text input may still carry below or above the article.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words after which a period does not end a sentence. Lower-cased, without the period.
_ABBREVIATIONS = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "pres",
        "supt",
        "inc",
        "corp",
        "co",
        "ltd",
        "llc",
        "plc",
        "bros",
        "cos",
        "dept",
        "assn",
        "intl",
        "natl",
        "univ",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "no",
        "nos",
        "vs",
        "v",
        "etc",
        "approx",
        "est",
        "fig",
        "al",
        "cf",
        "ca",
        "op",
        "vol",
        "rev",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "u.s.a",
        "a.m",
        "p.m",
        "i.e",
        "e.g",
        "ph.d",
        "n.y",
        "d.c",
        "l.a",
        "s.a",
        "n.v",
        "a.g",
    )
)

# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) when whitespace
# follows, and at the CJK full stops 。！？ (no space follows those). Whether it really ends
# is decided in ``_ends_sentence`` from the word before.
_BREAK = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[」』”’）)]*")
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")

_BOILERPLATE = re.compile(
    r"""^\W*(?:
        (?:no|\d+)\s+comments?(?:\s+yet)?
      | comments?(?:\s*\(\d+\))?
      | (?:leave|add|post|write)\s+a\s+(?:comment|reply)
      | latest\s+(?:articles|news|stories|posts)
      | (?:related|recommended|popular|trending|more)\s+
        (?:articles|stories|news|posts|reading|from\b.*)
      | read\s+(?:more|next|also|the\s+full\s+(?:story|article))\b.*
      | (?:see|view)\s+(?:more|all|comments)\b.*
      | (?:click|tap)\s+here\b.*
      | (?:sign\s+up|subscribe|register|log\s*in|sign\s+in)\b.*
      | stay\s+(?:ahead|informed|up\s+to\s+date|in\s+the\s+know)\b.*
      | get\s+(?:curated|the\s+latest|our|daily|weekly|free)\b.*
        (?:inbox|newsletter|email|alerts?)\W*
      | .*\b(?:delivered\s+)?(?:to|in)\s+your\s+inbox\b.*
      | (?:share|tweet|email|print|save)(?:\s+(?:this|on|via)\b.*)?
      | share\s+(?:this\s+)?(?:article|story|on\s+\w+)\b.*
      | (?:follow\s+us|like\s+us)\b.*
      | advertisement|sponsored(?:\s+content)?|ad
      | (?:photo|image|video|graphic|file\s+photo)\s*(?:credit)?\s*:.*
      | (?:reporting|writing|editing|additional\s+reporting)\s+by\b.*
      | by\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}(?:\s*[,|–-].*)?
      | ©.*|copyright\b.*|all\s+rights\s+reserved\b.*
      | (?:terms\s+of\s+(?:use|service)|privacy\s+policy|cookie\s+(?:policy|settings))\b.*
      | (?:this\s+)?(?:article|story)\s+(?:was\s+)?(?:originally\s+)?(?:published|appeared)\b.*
      | (?:updated|published|posted)\s*(?:on|at|:)?\s*\d.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)


def _ends_sentence(text: str, start: int, dot_end: int) -> bool:
    """Whether the punctuation ending at ``dot_end`` ends the sentence begun at ``start``."""
    mark = text[dot_end - 1]
    stripped = text[start:dot_end].rstrip("\"'”’)]")
    if not stripped.endswith("."):
        return mark != "."  # ! ? … end; a bare closing quote after "." is handled below
    match = _WORD_BEFORE.search(stripped)
    if match is not None:
        word = match.group(1).lower()
        if word in _ABBREVIATIONS or word.rstrip(".") in _ABBREVIATIONS:
            # "U.S." ends a sentence only when a capitalised word that is not a name follows;
            # we cannot tell, so keep the sentence whole (a longer sentence is the safer error).
            return False
        if len(word) == 1 and word.isalpha():  # an initial: "John F. Kennedy"
            return False
    rest = text[dot_end:].lstrip()
    if not rest:
        return True
    first = rest[0]
    # A sentence starts with a capital, a digit, a quote or a bracket; "3.5 billion" or
    # "e.g. this" do not reach here because no whitespace follows their inner dots.
    return first.isupper() or first.isdigit() or first in "\"'“‘([$#@"


@lru_cache(maxsize=64)
def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """``[start, end)`` spans of the sentences of ``text``, in order, trimmed of whitespace.

    Every line is split on its own (a line break always ends a sentence: headlines, list items
    and chrome lines have no final period). Spans never overlap and always lie within ``text``.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for brk in _BREAK.finditer(text, line.start(), line.end()):
            if _ends_sentence(text, start, brk.end()):
                _add_trimmed(text, start, brk.end(), spans)
                start = brk.end()
        _add_trimmed(text, start, line.end(), spans)
    return tuple(spans)


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


# Events, sentiment and the summary each ask about the same sentences of a text.
@lru_cache(maxsize=4096)
def is_boilerplate(sentence: str) -> bool:
    """Whether a sentence or line is site chrome rather than article prose."""
    stripped = sentence.strip()
    if not stripped:
        return True
    return _BOILERPLATE.match(stripped) is not None


_SENTENCE_END = (".", "!", "?", '"', "”", "…", "。", "！", "？", "」")


@lru_cache(maxsize=64)
def find_chrome_start(text: str) -> int:
    """Offset where trailing site chrome begins (``len(text)`` when there is none).

    Chrome below an article is a run of short lines that includes at least one boilerplate line
    ("Latest Articles", "Comments", a newsletter box) with no article paragraph after it. The
    enrichers ignore everything from here on, so no span or summary points into it.
    """
    lines = list(_LINE.finditer(text))
    cut = len(text)
    seen_chrome = False
    for line in reversed(lines):
        body = line.group(0).strip()
        if not body:
            continue
        if is_boilerplate(body):
            seen_chrome = True
            cut = line.start()
            continue
        # A short line without a final period (a heading, a teaser title) inside the chrome
        # run stays chrome; a real paragraph ends the run.
        if seen_chrome and len(body) < 80 and not body.endswith(_SENTENCE_END):
            cut = line.start()
            continue
        break
    return cut if seen_chrome else len(text)
