"""Company and sector linking: which U.S.-listed companies and sectors a text touches, and why.

``find_mentions`` finds every mention the knowledge base can explain: company names and their
derived short forms, curated aliases (products, programs, brands, subsidiaries, people, former
names), tickers written as ``$RTX``, ``(NYSE: RTX)``, ``RTX.N`` or ``(RTX)``, theme phrases and
places. Candidates come from the knowledge base's automaton; this module decides which are real:

* case: company names must be capitalised, short and acronym names and aliases match exactly;
* ambiguity: a name that is also an ordinary word ("Apple", "Target") counts when it is
  capitalised mid-sentence in running text, next to a company cue ("Target shares", "retailer
  Target"), or when the company is named unambiguously elsewhere; a name that is also another
  proper name ("Dow", "Sea") needs the cue or the confirmation;
* context: an alias such as "Patriot" counts only near words of its domain ("missile", "air
  defense") or when its company is named;
* overlaps: the longest candidate wins ("Bank of America" over "America").

``link_companies`` turns mentions into ``CompanyLink``s (role, relevance, evidence spans, a why)
and ``SectorLink``s (from the linked companies' GICS classes and from theme phrases). Pure
functions: the knowledge base is an argument.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from marketbrief.enrich.kb import (
    INDIRECT_KINDS,
    Alias,
    AliasKind,
    Ambiguity,
    Company,
    KnowledgeBase,
    Surface,
    SurfaceKind,
    Theme,
    normalize_marks,
    normalize_ticker,
)
from marketbrief.enrich.sentences import find_chrome_start
from marketbrief.model import CompanyLink, CompanyRole, SectorLink, Span


class MentionKind(enum.StrEnum):
    NAME = "name"  # a company name from the company table
    ALIAS = "alias"  # a curated alias
    TICKER = "ticker"  # a ticker in one of the written forms
    THEME = "theme"
    PLACE = "place"


@dataclass(frozen=True, slots=True)
class Mention:
    """One accepted mention: ``text[start:end]`` and what it stands for."""

    start: int
    end: int
    kind: MentionKind
    ticker: str | None = None
    alias: Alias | None = None
    theme: Theme | None = None
    place_kind: str | None = None
    how: str = ""  # for tickers: "cashtag", "exchange", "Reuters code", "parenthesised", "bare"
    # Names something other than the company itself (a product, person, subsidiary …) and does
    # not spell out the company's name: "Whole Foods" is indirect, "Amazon Web Services" is not.
    indirect: bool = False


# ── ticker forms ─────────────────────────────────────────────────────────────────────────────

_SYMBOL = r"[A-Z]{1,5}(?:[.\-/][A-Z])?"
# The lookbehinds sit after the first character they guard (and look one character further
# back) so that the pattern starts with a literal or a character class: the regex engine then
# skips ahead to candidates instead of trying every position. The matches are the same.
_CASHTAG = re.compile(r"\$(?<![\w$]\$)([A-Za-z]{1,5}(?:[.\-][A-Za-z])?)(?![\w$])")
_EXCHANGE = re.compile(
    r"\b(?:NYSE(?:\s+(?:American|Arca|MKT))?|NASDAQ(?:GS|GM|CM)?|Nasdaq(?:GS|GM|CM)?|AMEX|"
    r"Cboe(?:\s+BZX)?|CBOE|BATS|NYSEAMERICAN|NYSEARCA)\s*:\s*(" + _SYMBOL + r")(?![\w-])"
)
_RIC = re.compile(r"([A-Z](?<![\w.$][A-Z])[A-Z0-9]{0,4})\.(?:N|O|OQ|A|K|P)(?![\w.])")
# Cheap tests that tell a text holds no exchange prefix or Reuters code at all.
_RIC_HINT = re.compile(r"\.[NOAKP]")
_EXCHANGE_WORDS = ("NYSE", "NASDAQ", "Nasdaq", "AMEX", "Cboe", "CBOE", "BATS")
_RIC_BRACKETED = re.compile(r"<([A-Z][A-Z0-9]{0,4})\.(?:N|O|OQ|A|K|P)>")
_PARENS = re.compile(r"\((" + _SYMBOL + r"(?:\s*,\s*" + _SYMBOL + r")*)\)")
_BARE = re.compile(
    r"([A-Z](?<![\w$&./(-][A-Z])(?<!\w'[A-Z])[A-Z]{1,4})(?![\w&-]|['’](?!s\b)|\.[A-Za-z])"
)
# What may stand between a company name and its own ticker: "Apple Inc. AAPL", "Apple (AAPL".
_AFTER_NAME = re.compile(
    r"[\s,]*(?:inc\.?|corp\.?|co\.?|ltd\.?|plc)?[\s,]*[(\[]?\s*(" + _SYMBOL + r")\b", re.I
)

# ── cues ─────────────────────────────────────────────────────────────────────────────────────

# Words right after an ambiguous name that only a company takes ("Target shares", "Dow Inc").
_STRONG_AFTER = frozenset(
    [
        "inc",
        "inc.",
        "cos",
        "cos.",
        "corp",
        "corp.",
        "corporation",
        "co",
        "co.",
        "company",
        "ltd",
        "plc",
        "group",
        "holdings",
        "shares",
        "share",
        "stock",
        "stocks",
        "ceo",
        "cfo",
        "chief",
        "spokesperson",
        "spokesman",
        "spokeswoman",
        "shareholders",
        "earnings",
        "revenue",
        "revenues",
        "profit",
        "profits",
        "quarterly",
        "q1",
        "q2",
        "q3",
        "q4",
        "fy",
        "eps",
        "guidance",
        "upgraded",
        "downgraded",
        "valuation",
    ]
)
# Words right after it that a company often takes but a person or a place may too ("said").
_WEAK_AFTER = frozenset(
    [
        "said",
        "says",
        "reported",
        "reports",
        "posted",
        "posts",
        "announced",
        "announces",
        "beat",
        "beats",
        "missed",
        "misses",
        "raised",
        "raises",
        "cut",
        "cuts",
        "lowered",
        "lowers",
        "sees",
        "expects",
        "forecast",
        "forecasts",
        "sales",
        "results",
        "investors",
        "stake",
        "deal",
        "acquisition",
        "agreed",
        "executive",
        "executives",
        "stores",
        "rose",
        "fell",
        "jumped",
        "slipped",
        "dropped",
        "gained",
        "climbed",
        "surged",
        "tumbled",
        "plunged",
        "rallied",
        "slumped",
        "traded",
        "trading",
        "board",
        "to",
    ]
)
# Words right before it that show a company ("retailer Target", "Upgrades Apple").
_STRONG_BEFORE = frozenset(
    [
        "upgrades",
        "downgrades",
        "maintains",
        "reiterates",
        "initiates",
        "rival",
        "rivals",
        "peer",
        "peers",
        "owner",
        "parent",
        "maker",
        "retailer",
        "bank",
        "lender",
        "chipmaker",
        "drugmaker",
        "automaker",
        "carmaker",
        "airline",
        "insurer",
        "conglomerate",
        "operator",
        "giant",
        "firm",
        "company",
    ]
)
_PAIR_BEFORE = frozenset({"shares of", "stake in", "coverage on", "analysts at", "analyst at"})
_LEGAL_AFTER = re.compile(
    r"\s*,?\s*(?:inc|corp|co|ltd|plc|llc|holdings|group|s\.a|n\.v|ag|se)\b\.?", re.I
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.&'-]*")
# Compiled once rather than looked up in re's cache on every call.
_SYMBOL_RE = re.compile(_SYMBOL)
_POSSESSIVE = re.compile(r"^['’]s\b")
_EXCHANGE_AFTER = re.compile(r"\s*\((?:NYSE|NASDAQ|Nasdaq)")
_ACRONYM_WORD = re.compile(r"[A-Za-z][\w'-]*")
# The first letters of the _WORD matches of four characters or more (a shorter word fails at
# each of its letters, so the matches are the same).
_LONG_WORD_HEAD = re.compile(r"([A-Za-z])[A-Za-z0-9.&'-]{3,}")
_CONTEXT_WINDOW = 300
# Rank (SEC list order, ≈ size) under which a bare ticker is taken without other evidence.
_BARE_RANK = 1000
_NEXT_CAPITALISED = re.compile(r" [A-Z][a-z]")
_AMOUNT_BEFORE = re.compile(r"\d[\d,.]*\s*(?:%|[KkMmBb]n?)?\s$")


def find_mentions(text: str, kb: KnowledgeBase, *, title: str | None = None) -> tuple[Mention, ...]:
    """Every mention in ``text`` the knowledge base explains, in text order, none overlapping.

    ``title`` helps decide ambiguous names (a company named in the title is confirmed for the
    text) but its own mentions are not returned: spans point into ``text`` only. Trailing site
    chrome (``sentences.find_chrome_start``) is left out.
    """
    return _find_mentions(text, kb, title)


# The pipeline asks twice for the same text (companies, then entities): the second time is free.
# (The knowledge base hashes by identity and never changes.)
@functools.lru_cache(maxsize=32)
def _find_mentions(text: str, kb: KnowledgeBase, title: str | None) -> tuple[Mention, ...]:
    confirmed = _strong_tickers(title, kb) if title else frozenset()
    # Site chrome below the article ("Latest Articles", a newsletter box) is not the article:
    # no link or entity may point into it.
    cut = find_chrome_start(text)
    return tuple(m for m in _resolve(text[:cut], kb, confirmed))


def _strong_tickers(text: str, kb: KnowledgeBase) -> frozenset[str]:
    """Tickers named in ``text`` without doubt: no ambiguity, no context needed."""
    return _strong_names(text, kb)[1] | frozenset(
        m.ticker for m in _ticker_mentions(text, kb) if m.ticker
    )


@functools.lru_cache(maxsize=8)  # asked twice for the same text, as _candidate_groups
def _strong_names(text: str, kb: KnowledgeBase) -> tuple[frozenset[str], frozenset[str]]:
    """The tickers of the strong candidate names in ``text``: all, and those not blocked."""
    strong = [s for _, _, surfaces in _candidate_groups(text, kb) for s in surfaces if s.ticker]
    strong = [s for s in strong if _is_strong(s)]
    return (
        frozenset(s.ticker for s in strong if s.ticker),
        frozenset(s.ticker for s in strong if s.ticker and s.kind is not SurfaceKind.BLOCK),
    )


def _is_strong(surface: Surface) -> bool:
    # Weak names (derived short forms, small companies' names) do not vouch for others.
    return (
        surface.ambiguity is None
        and not surface.guarded
        and not (surface.alias and surface.alias.context)
    )


def _resolve(text: str, kb: KnowledgeBase, confirmed: frozenset[str]) -> tuple[Mention, ...]:
    groups = _candidate_groups(text, kb)
    tickers = _ticker_mentions(text, kb)
    # Tickers named without doubt anywhere confirm their ambiguous names and aliases elsewhere.
    strong = set(confirmed) | {m.ticker for m in tickers if m.ticker}
    strong.update(_strong_names(text, kb)[0])
    folded = normalize_marks(text).lower()
    mentions: list[Mention] = list(tickers)
    # One byte a character, set where a mention is taken: an overlap test is one find().
    taken = bytearray(len(text))
    for m in tickers:
        taken[m.start : m.end] = b"\x01" * (m.end - m.start)
    strong_now = frozenset(strong)
    for start, end, surfaces in groups:
        if taken.find(1, start, end) >= 0:
            continue
        if (
            text[start - 1 : start] == "("
            and text[end : end + 1] == ")"
            and _defines_acronym(text, start - 1, text[start:end])
        ):
            continue  # "Allied Pilots Association (APA)" is not APA Corp
        chosen = _choose(text, folded, start, end, surfaces, strong_now)
        if not chosen:
            continue
        taken[start:end] = b"\x01" * (end - start)
        mentions.extend(_to_mention(start, end, s, kb) for s in chosen)
    mentions.extend(_tickers_after_names(text, kb, mentions))
    strong.update(m.ticker for m in mentions if m.ticker and not m.indirect)
    mentions.extend(_bare_tickers(text, kb, mentions, frozenset(strong)))
    mentions.extend(_back_references(text, kb, mentions))
    return tuple(sorted(mentions, key=lambda m: (m.start, m.end, m.ticker or "")))


# A text is scanned for the article and again as the title's context (``link_companies``):
# the second time is free. (The knowledge base hashes by identity and never changes.)
@functools.lru_cache(maxsize=8)
def _candidate_groups(
    text: str, kb: KnowledgeBase
) -> tuple[tuple[int, int, tuple[Surface, ...]], ...]:
    """Case-checked candidates grouped by span, longest first, overlaps removed."""
    plain = normalize_marks(text)
    by_span: dict[tuple[int, int], list[Surface]] = {}
    for start, end, found in kb.scan_spans(text):
        for surface in found:
            if _case_ok(plain, start, end, surface):
                by_span.setdefault((start, end), []).append(surface)
    ordered = sorted(by_span.items(), key=lambda item: (item[0][0] - item[0][1], item[0][0]))
    groups: list[tuple[int, int, tuple[Surface, ...]]] = []
    # One byte a character, set where a longer span is taken: an overlap test is one find().
    taken = bytearray(len(text))
    for (start, end), surfaces in ordered:
        if taken.find(1, start, end) >= 0:
            continue
        taken[start:end] = b"\x01" * (end - start)
        groups.append((start, end, tuple(surfaces)))
    groups.sort(key=lambda g: g[0])
    return tuple(groups)


def _case_ok(plain: str, start: int, end: int, surface: Surface) -> bool:
    found = plain[start:end]
    if surface.kind is SurfaceKind.BLOCK:
        return True
    if surface.exact_case:
        if found == normalize_marks(surface.text):
            return True
        # "Nio Inc" for NIO: an acronym name written as a word is fine before a legal form.
        return (
            surface.kind is SurfaceKind.COMPANY
            and len(found) >= 3
            and found == surface.text.capitalize()
            and (
                _LEGAL_AFTER.match(plain, end) is not None
                or _cue(plain, start, end) == "strong"  # "Aaon Q4 EPS"
            )
        )
    if surface.kind is SurfaceKind.THEME:
        return True
    # A company name: a proper noun, so capitalised as written or at least at its start, and
    # no word the name capitalises written in lower case ("Best buy" is a phrase).
    written = normalize_marks(surface.text)
    if found == written:
        return True
    if not (found[0].isupper() or found[0].isdigit()):
        return False
    return " " not in found or not any(
        w[:1].isupper() and f[:1].islower()
        for f, w in zip(found.split(" "), written.split(" "), strict=False)
    )


def _choose(
    text: str,
    folded: str,
    start: int,
    end: int,
    surfaces: Sequence[Surface],
    strong: frozenset[str],
) -> list[Surface]:
    """The surfaces of one span that really apply here (empty: none does)."""
    if len(surfaces) == 1:
        # Most spans have one reading: the rules below, without the lists and the sort.
        only = surfaces[0]
        if (
            only.kind is SurfaceKind.BLOCK
            or not _applies(text, folded, start, end, only, strong)
            or (only.kind is SurfaceKind.COMPANY and only.alias is not None and only.alias.context)
        ):
            return []
        return [only]
    if any(s.kind is SurfaceKind.BLOCK for s in surfaces):
        return []
    accepted = [s for s in surfaces if _applies(text, folded, start, end, s, strong)]
    # An alias whose context matched is the reading the context chose ("Stryker" near "army"
    # is the General Dynamics vehicle, not the medical company).
    contextual = [s for s in accepted if s.alias is not None and s.alias.context]
    if contextual:
        accepted = [s for s in accepted if s.kind is not SurfaceKind.COMPANY]
    seen: set[str] = set()
    result = []
    for s in sorted(accepted, key=lambda s: (s.kind is not SurfaceKind.COMPANY, -s.strength)):
        key = s.ticker or f"{s.kind}:{s.text}"
        if key not in seen:
            seen.add(key)
            result.append(s)
    return result


_TO_AFTER = re.compile(r"(?:['’]s)? to\b", re.IGNORECASE)
_HANDLE_AFTER = re.compile(r"\s?:\s?@\w")


def _applies(
    text: str, folded: str, start: int, end: int, surface: Surface, strong: frozenset[str]
) -> bool:
    if surface.kind in (SurfaceKind.THEME, SurfaceKind.PLACE):
        return True
    if surface.unless and _neighbour_words(folded, start, end) & surface.unless:
        return False
    if _HANDLE_AFTER.match(text, end):
        return False  # "Twitter: @reporter" is an account, not the company
    if surface.ambiguity is not None and _AMOUNT_BEFORE.search(text, max(0, start - 16), start):
        return False  # "$75 Target", "3 Apple": an amount makes the word a noun, not a name
    if surface.guarded and _inside_longer_name(
        text, start, end, surface.ambiguity is not None or surface.strength == 2
    ):
        return False
    confirmed = surface.ticker is not None and surface.ticker in strong
    alias = surface.alias
    if (
        alias is not None
        and alias.context
        and not confirmed
        and not _context_near(folded, start, end, alias.context)
    ):
        return False
    level = surface.ambiguity
    if level is None or confirmed:
        return True
    if level is Ambiguity.NAME and alias is not None and alias.context:
        # The alias's own domain words are the cue that tells this name from the other one
        # ("Acadia" near "FDA" is the drugmaker, not the national park).
        return True
    cue = _cue(text, start, end)
    if cue == "strong":
        return True
    if level is Ambiguity.NAME:
        return False
    # An ordinary word: a weak cue, or capitalised where capitals say "name". ("to" cues only
    # a capitalised noun: "Apple to buy" is the company, "No Rush to Cut Rates" is not.)
    if cue == "weak" and not (level is Ambiguity.COMMON and _TO_AFTER.match(text, end)):
        return True
    if text[start:end] != normalize_marks(surface.text):
        return False
    if level is Ambiguity.CAPITAL:
        return True
    if _title_case_line(text, start, end):
        # In a headline every word is capitalised; its first word is the subject, and in
        # market news a large company is the likely subject ("Apple Reopens China Stores").
        return _line_start(text, start) and surface.strength >= 3
    return not _sentence_initial(text, start)


# Capitalised words that may stand right before a company name without being part of it.
_FREE_BEFORE = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "On",
        "At",
        "For",
        "And",
        "But",
        "Or",
        "Of",
        "By",
        "As",
        "To",
        "From",
        "With",
        "When",
        "While",
        "After",
        "Before",
        "Like",
        "Unlike",
        "Rival",
        "Rivals",
        "Both",
        "Neither",
        "Only",
        "Even",
        "Also",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "U.S.",
        "US",
        "Yesterday",
        "Today",
        "Meanwhile",
        "However",
        "Shares",
        "Analysts",
        "Investors",
        "Now",
        "Then",
        "So",
        "Still",
        "Separately",
        "Earlier",
        "Later",
        "Last",
        "Next",
        "This",
        "That",
        "These",
        "Those",
        "Its",
        "Their",
        "His",
        "Her",
        "Our",
        "Why",
        "How",
        "What",
        "Where",
        "If",
        "Although",
        "Though",
        "Because",
        "Since",
        "Under",
        "Over",
        "Including",
        "Against",
        # Headline verbs of analyst notes: "Downgrades Apple", "Reiterates Buy On Nike".
        "Upgrades",
        "Downgrades",
        "Maintains",
        "Reiterates",
        "Initiates",
        "Resumes",
        "Prefers",
        "Vs",
        "Vs.",
        "Versus",
    ]
)
# Capitalised words that may follow a name in a headline without being part of it.
_FREE_AFTER = frozenset(["And", "Or", "Vs", "Vs.", "Versus", "In", "On", "At", "For", "As"])
_CAPITALISED_BEFORE = re.compile(r"(?:^|[\s(])([A-Z][\w.&'-]*) $")
_CAPITALISED_AFTER = re.compile(r"(?: |-)([A-Z][\w&'-]*)")


def _inside_longer_name(text: str, start: int, end: int, check_after: bool) -> bool:
    """Whether ``text[start:end]`` sits in a run of capitalised words (another name).

    A capitalised word right after counts only when ``check_after``: a plain company name is
    often followed by words of its own longer name ("Estee Lauder Cos").
    """
    before = _CAPITALISED_BEFORE.search(text, max(0, start - 30), start)
    if before and before.group(1) not in _FREE_BEFORE:
        found = True
    else:
        after = _CAPITALISED_AFTER.match(text, end) if check_after else None
        found = after is not None and (
            after.group(1).lower().rstrip(".,") not in _STRONG_AFTER
            and after.group(1).lower().rstrip(".,") not in _WEAK_AFTER
            and after.group(1) not in _FREE_AFTER
        )
    # In a headline every word is capitalised: no evidence either way. (Asked last: it reads
    # the whole line.)
    return found and not _title_case_line(text, start, end)


def _neighbour_words(folded: str, start: int, end: int) -> set[str]:
    before = _WORD.findall(folded[max(0, start - 30) : start])
    after = _WORD.findall(folded[end : end + 30])
    # Two words each side: "price target", "Oracle of Omaha".
    return {w.strip(".,'") for w in (*before[-2:], *after[:2])}


@functools.lru_cache(maxsize=512)
def _context_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


def _context_near(folded: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    lo = max(0, start - _CONTEXT_WINDOW)
    hi = min(len(folded), end + _CONTEXT_WINDOW)
    window = folded[lo:start] + " " + folded[end:hi]
    return _context_pattern(words).search(window) is not None


def _cue(text: str, start: int, end: int) -> str | None:
    """ "strong" or "weak" when the words next to a name show it is a company, else None."""
    after = text[end : end + 40]
    after = _POSSESSIVE.sub("", after)
    if _EXCHANGE_AFTER.match(after):
        return "strong"
    found = None
    word = _WORD.match(after.lstrip(" ,"))
    if word is not None and after[: len(after) - len(after.lstrip(" ,"))].count(",") <= 1:
        next_word = word.group(0).lower().rstrip(".,")
        if next_word in _STRONG_AFTER:
            return "strong"
        if next_word in _WEAK_AFTER:
            found = "weak"
    head = text[max(0, start - 40) : start]
    before = _WORD.findall(head)
    if before and head.rstrip()[-1:].isalnum():  # the word right before, no punctuation between
        last = before[-1].lower()
        pair = " ".join(w.lower() for w in before[-2:])
        if last in _STRONG_BEFORE or pair in _PAIR_BEFORE:
            return "strong"
    return found


def _line_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘([*-–—•":
        i -= 1
    return i < 0 or text[i] == "\n"


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and (text[i].isspace() or text[i] in "\"'“‘([*-–—•"):
        i -= 1
    return i < 0 or text[i] in ".!?:;\n"


def _title_case_line(text: str, start: int, end: int) -> bool:
    """Whether the line around the mention is written in Title Case (a headline)."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    # The words of four characters or more on the line, the mention left out: their first
    # letters (ASCII), counted in C.
    heads = "".join(
        _LONG_WORD_HEAD.findall(text, lo, start)
        + _LONG_WORD_HEAD.findall(text, end, hi if hi >= 0 else len(text))
    ).encode("ascii")
    if len(heads) < 3:
        return True  # too short to tell: treat like a headline, ask for a cue
    capitals = len(heads) - len(heads.translate(None, _ASCII_UPPER))
    return capitals / len(heads) >= 0.7


def _to_mention(start: int, end: int, surface: Surface, kb: KnowledgeBase) -> Mention:
    if surface.kind is SurfaceKind.THEME:
        return Mention(start, end, MentionKind.THEME, theme=surface.theme)
    if surface.kind is SurfaceKind.PLACE:
        return Mention(start, end, MentionKind.PLACE, place_kind=surface.place_kind)
    alias = surface.alias
    if surface.kind is SurfaceKind.ALIAS and alias is not None:
        indirect = alias.kind in INDIRECT_KINDS and not kb.names_its_company(alias)
        return Mention(
            start, end, MentionKind.ALIAS, ticker=surface.ticker, alias=alias, indirect=indirect
        )
    return Mention(start, end, MentionKind.NAME, ticker=surface.ticker)


def _lookup_ticker(symbol: str, kb: KnowledgeBase) -> tuple[str, Alias | None] | None:
    ticker = normalize_ticker(symbol)
    if ticker in kb.companies:
        return ticker, None
    former = kb.former_tickers.get(ticker)
    if former is not None:
        return former.ticker, former
    return None


@functools.lru_cache(maxsize=8)  # asked twice for the same text, as _candidate_groups
def _ticker_mentions(text: str, kb: KnowledgeBase) -> tuple[Mention, ...]:
    """Tickers written as tickers: cashtags, exchange prefixes, Reuters codes, parentheses."""
    found: dict[tuple[int, int], Mention] = {}

    def add(start: int, end: int, symbol: str, how: str, check_acronym: bool = False) -> None:
        if check_acronym and normalize_ticker(symbol) in kb.acronyms:
            return
        known = _lookup_ticker(symbol, kb)
        if known is not None and (start, end) not in found:
            ticker, former = known
            found[(start, end)] = Mention(
                start, end, MentionKind.TICKER, ticker=ticker, alias=former, how=how
            )

    if "$" in text:
        for m in _CASHTAG.finditer(text):
            add(m.start(), m.end(), m.group(1), "cashtag")
    if ":" in text and any(word in text for word in _EXCHANGE_WORDS):
        for m in _EXCHANGE.finditer(text):
            add(m.start(1), m.end(1), m.group(1), "exchange")
    if _RIC_HINT.search(text) is not None:
        for m in _RIC_BRACKETED.finditer(text):
            add(m.start(1), m.end(0) - 1, m.group(1), "Reuters code")
        for m in _RIC.finditer(text):
            if len(m.group(1)) >= 2:
                add(m.start(), m.end(), m.group(1), "Reuters code")
    for m in _PARENS.finditer(text):
        if _defines_acronym(text, m.start(), m.group(1)):
            continue  # "Allied Pilots Association (APA)" spells out an abbreviation
        for sym in _SYMBOL_RE.finditer(m.group(1)):
            start = m.start(1) + sym.start()
            if len(sym.group(0)) >= 3 and not any(a <= start < b for a, b in found):
                # One or two letters in parentheses are mostly abbreviations ("(AP)"); a
                # company's own short ticker after its name is found by _tickers_after_names.
                add(start, start + len(sym.group(0)), sym.group(0), "parenthesised", True)
    return tuple(sorted(found.values(), key=lambda m: m.start))


def _defines_acronym(text: str, paren: int, inside: str) -> bool:
    """Whether the words before ``(inside)`` have ``inside`` as their initials."""
    if not inside.isalpha():
        return False
    words = _ACRONYM_WORD.findall(text[max(0, paren - 120) : paren])
    initials = "".join(w[0].upper() for w in words if w[0].isupper())
    significant = "".join(
        w[0].upper() for w in words if w.lower() not in ("of", "and", "the", "for", "&")
    )
    return any(s.endswith(inside) for s in (initials, significant) if s)


def _tickers_after_names(
    text: str, kb: KnowledgeBase, mentions: Iterable[Mention]
) -> list[Mention]:
    """A company's own ticker written bare right after its name ("American Airlines AAL")."""
    mentions = list(mentions)
    taken = [(m.start, m.end) for m in mentions]
    extra: list[Mention] = []
    for m in mentions:
        if m.kind is not MentionKind.NAME or m.ticker is None:
            continue
        after = _AFTER_NAME.match(text, m.end)
        if after is None or after.start(1) - m.end > 12:
            continue
        symbol = after.group(1)
        if symbol != symbol.upper() or normalize_ticker(symbol) != m.ticker:
            continue
        span = (after.start(1), after.end(1))
        if any(span[0] < b and a < span[1] for a, b in taken):
            continue
        taken.append(span)
        extra.append(Mention(span[0], span[1], MentionKind.TICKER, ticker=m.ticker, how="bare"))
    return extra


def _bare_tickers(
    text: str, kb: KnowledgeBase, mentions: Sequence[Mention], strong: frozenset[str]
) -> list[Mention]:
    """Tickers written bare in running text ("AMD", "AAL rose 0.5%").

    Taken for larger companies, for any company the text names elsewhere, and for others when
    the words around say "company" (``_ticker_cued``); never for common abbreviations
    (``acronyms.txt``) or in a text written in capitals.
    """
    taken = [(m.start, m.end) for m in mentions]
    found: list[Mention] = []
    for m in _BARE.finditer(text):
        symbol = m.group(1)
        if symbol in kb.acronyms:
            continue
        company = kb.companies.get(symbol)
        former = kb.former_tickers.get(symbol) if company is None else None
        if former is not None:
            # A former ticker ("ABC" for Cencora) is a word or another name as often as not:
            # only with a cue.
            if not _ticker_cued(text, m.start(), m.end(), len(symbol) >= 3):
                continue
        elif company is None or company.is_etf:
            continue
        else:
            large = company.sp500 or (company.rank or 10**6) <= _BARE_RANK
            if (len(symbol) < 3 or not (large or symbol in strong)) and not _ticker_cued(
                text, m.start(), m.end(), len(symbol) >= 3
            ):
                continue
        if any(m.start() < b and a < m.end() for a, b in taken):
            continue
        if _NEXT_CAPITALISED.match(text, m.end()) and not _title_case_line(text, *m.span()):
            continue  # "RBC Capital Markets": the letters start another name
        if not found and _is_shouted(text):
            # A shouted text: every word looks like a ticker. (Asked only once a ticker would
            # be taken: it reads the whole text.)
            return []
        found.append(
            Mention(
                m.start(),
                m.end(),
                MentionKind.TICKER,
                ticker=former.ticker if former is not None else symbol,
                alias=former,
                how="bare",
            )
        )
    return found


_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))
_ASCII_UPPER = bytes(range(65, 91))


def _is_shouted(text: str) -> bool:
    """Whether more than half of the letters in ``text`` are capitals."""
    if text.isascii():
        # Counted in C: what deleting the letters (or the capitals) takes off the length.
        raw = text.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
    else:
        chars = list(filter(str.isalpha, text))
        letters = len(chars)
        upper = sum(map(str.isupper, chars))
    return letters > 0 and upper > 0.5 * letters


# An option contract written after a ticker ("AAP Dec16 140 Calls", "ABC July $77.5 Put") or an
# options or trading-halt notice before it ("Option Alert: AAP", "Circuit Breaker AAP").
_OPTION_AFTER = re.compile(
    r"(?:'s)? (?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]* ?'?\d{0,4},? )?"
    r"\$?\d+(?:\.\d+)? (?:Calls?|Puts?|Strike)\b|"
    r" (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\d{2} \$?\d"
)
_OPTION_BEFORE = re.compile(
    r"(?:Option Alert|Options Alert|SWEEP \((?:BUY|SELL)\)|Circuit Breaker)[:\s-]*$", re.IGNORECASE
)
# A company's verb after a two-letter ticker opening a headline ("AB Announces …").
_COMPANY_VERB_AFTER = re.compile(
    r" (?:Announces|Reports|Sees|Declares|Prices|Files|Completes|Posts|Raises|Lowers|Cuts|"
    r"Reaffirms|Names|Appoints)\b"
)
# Words right before a bare ticker that make it one: an analyst note's verb ("Upgrades AAP").
_TICKER_BEFORE = frozenset(["upgrades", "downgrades", "maintains", "reiterates", "initiates"])


def _ticker_cued(text: str, start: int, end: int, long: bool) -> bool:
    """Whether the words around a bare ticker of a small company (or of two letters) say so.

    Two letters ("AB") count only after an analyst's verb or "shares of"; three or more also
    before a company word ("AAP shares", "ABX Upgraded") or opening a headline with a company
    verb ("AAOI Cuts Q1 Guidance").
    """
    head = text[max(0, start - 40) : start]
    before = _WORD.findall(head)
    if before and head.rstrip()[-1:].isalnum():
        pair = " ".join(w.lower() for w in before[-2:])
        if before[-1].lower() in _TICKER_BEFORE or pair in _PAIR_BEFORE:
            return True
    if _OPTION_AFTER.match(text, end) or _OPTION_BEFORE.search(head):
        return True
    if not long:
        return _line_start(text, start) and _COMPANY_VERB_AFTER.match(text, end) is not None
    cue = _cue(text, start, end)
    return cue == "strong" or (cue == "weak" and _line_start(text, start))


# First words that do not stand for a company on their own even after it has been named.
_NOT_BACK_REFERENCE = frozenset(
    [
        "The",
        "New",
        "First",
        "General",
        "National",
        "International",
        "Global",
        "North",
        "South",
        "East",
        "West",
        "Royal",
        "Bank",
        "Capital",
        "Digital",
        "American",
        "China",
        "Chinese",
        "United",
        "Federal",
        "Public",
        "Home",
        "Energy",
        "Western",
        "Eastern",
        "Southern",
        "Northern",
        "Central",
        "Great",
        "Universal",
        "Standard",
        "Republic",
        "Old",
        "Life",
    ]
)


def _back_references(text: str, kb: KnowledgeBase, mentions: Sequence[Mention]) -> list[Mention]:
    """A company named in full may later go by its first word ("American Airlines … American").

    Only for companies named by a multi-word name in this text, only the exact first word,
    capitalised, and not when another capitalised word follows (then it names something else).
    """
    named: dict[str, str] = {}
    for m in mentions:
        if m.kind is MentionKind.NAME and m.ticker and " " in text[m.start : m.end]:
            first = text[m.start : m.end].split()[0]
            if len(first) >= 4 and first.isalpha() and first not in _NOT_BACK_REFERENCE:
                named.setdefault(first, m.ticker)
    if not named:
        return []
    taken = [(m.start, m.end) for m in mentions]
    first_seen = {t: min(m.start for m in mentions if m.ticker == t) for t in named.values()}
    found = []
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in named) + r")\b(?!['’]?\s*[A-Z&])")
    for word in pattern.finditer(text):
        ticker = named[word.group(1)]
        start, end = word.span()
        if start < first_seen[ticker] or any(start < b and a < end for a, b in taken):
            continue
        found.append(Mention(start, end, MentionKind.NAME, ticker=ticker))
    return found


# ── links ────────────────────────────────────────────────────────────────────────────────────

_INDIRECT_WEIGHT = 0.6
_PARTNER_WEIGHT = 0.4


@dataclass(slots=True)
class _Tally:
    company: Company
    mentions: list[Mention]
    in_title: bool = False
    title_direct: bool = False
    title_order: int = 0  # 0: the first company the title names directly (its subject)

    @property
    def direct(self) -> bool:
        return self.title_direct or any(not m.indirect for m in self.mentions)


def link_companies(
    text: str, kb: KnowledgeBase, *, title: str | None = None, as_of: date | None = None
) -> tuple[tuple[CompanyLink, ...], tuple[SectorLink, ...]]:
    """The companies and sectors ``text`` touches, most relevant first.

    A company named (by name, short name, former name or ticker) is ``primary`` when it is the
    most prominent one (in the title, named first or most) and ``mentioned`` otherwise; one
    reached only through a product, program, brand, subsidiary, person or partner is
    ``indirect``, with the alias's why. Spans point into ``text``; ``title`` counts for
    prominence but its spans are not reported.

    ``as_of`` (the publication date) makes the links point-in-time: a company no longer listed
    links only in news from before its last trading day, and before a deal its name does not
    reach the buyer ("Celgene" in 2018 is CELG, in 2021 part of BMY). Without a date both hold.
    """
    mentions = _in_time(find_mentions(text, kb, title=title), kb, as_of)
    title_mentions = _in_time(find_mentions(title, kb, title=text), kb, as_of) if title else ()
    tallies: dict[str, _Tally] = {}
    for m in mentions:
        company = kb.companies.get(m.ticker) if m.ticker else None
        if company is not None:
            tallies.setdefault(company.ticker, _Tally(company, [])).mentions.append(m)
    title_named = 0
    for m in title_mentions:
        company = kb.companies.get(m.ticker) if m.ticker else None
        if company is not None:
            tally = tallies.setdefault(company.ticker, _Tally(company, []))
            if not m.indirect and not tally.title_direct:
                tally.title_order = title_named
                title_named += 1
            tally.in_title = True
            tally.title_direct = tally.title_direct or not m.indirect
    for ticker in kb.research_firms & tallies.keys():
        if _only_a_source(ticker, mentions, text) and _only_a_source(ticker, title_mentions, title):
            del tallies[ticker]
    if not tallies:
        return (), _link_sectors((), mentions, title_mentions)
    scores = {t: _prominence(tally, len(text), tallies.values()) for t, tally in tallies.items()}
    ranked = sorted(tallies, key=lambda t: (-scores[t], _first(tallies[t]), t))
    primary = next((t for t in ranked if tallies[t].direct), None)
    links = []
    for ticker in ranked:
        tally = tallies[ticker]
        if ticker == primary:
            role = CompanyRole.PRIMARY
        elif tally.direct:
            role = CompanyRole.MENTIONED
        else:
            role = CompanyRole.INDIRECT
        links.append(
            CompanyLink(
                ticker=ticker,
                name=tally.company.name,
                exchange=tally.company.exchange,
                role=role,
                relevance=round(scores[ticker], 4),
                why=_why(tally, text, kb),
                mentions=tuple(Span(m.start, m.end, text[m.start : m.end]) for m in tally.mentions),
            )
        )
    return tuple(links), _link_sectors(links, mentions, title_mentions, kb)


# A bank or broker named as the source of an opinion: "Deutsche Bank analyst Matt O'Connor",
# "analysts at Goldman Sachs", "JPMorgan's chief economist", "Jefferies Upgrades Apple to Buy".
_SOURCE_AFTER = re.compile(
    r"(?:['’]s?)?(?: Securities| Research| Global Research| Investment Research)?"
    r"(?: (?:chief|senior|lead|head|global|equity|market|credit|rates|u\.s\.|us)){0,3}"
    r" (?:analysts?|economists?|strategists?|research|investment strategist|"
    r"head of research|chief investment officer)\b"
    r"|(?: Securities| Capital Markets)? (?:maintains|upgrades|downgrades|reiterates|reaffirms|"
    r"initiates|assumes|resumes|"
    r"(?:raises|lowers|cuts|boosts|trims) (?:its )?(?:price target|pt)\b)",
    re.IGNORECASE,
)
_SOURCE_BEFORE = re.compile(
    r"\b(?:analysts?|economists?|strategists?|researchers?) (?:at|with|from) (?:the )?$",
    re.IGNORECASE,
)


def _only_a_source(ticker: str, mentions: Sequence[Mention], text: str | None) -> bool:
    """Every mention of ``ticker`` names it as the source of an analyst's or economist's view."""
    if text is None:
        return True
    mine = [m for m in mentions if m.ticker == ticker]
    return all(
        _SOURCE_AFTER.match(text, m.end) is not None
        or _SOURCE_BEFORE.search(text, max(0, m.start - 40), m.start) is not None
        for m in mine
    )


def _in_time(
    mentions: tuple[Mention, ...], kb: KnowledgeBase, as_of: date | None
) -> tuple[Mention, ...]:
    """``mentions`` as of ``as_of``: none of companies gone by then, none of buyers-to-be."""
    if as_of is None:
        return mentions
    gone: set[str] = set()
    buyer_to_be: dict[tuple[int, int], str] = {}
    for m in mentions:
        company = kb.companies.get(m.ticker) if m.ticker else None
        if company is None or company.listed_until is None:
            continue
        if as_of > company.listed_until:
            gone.add(company.ticker)
        elif company.successor:
            buyer_to_be[m.start, m.end] = company.successor
    if not gone and not buyer_to_be:
        return mentions
    return tuple(
        m
        for m in mentions
        if m.ticker not in gone
        and not (m.indirect and buyer_to_be.get((m.start, m.end)) == m.ticker)
    )


def _first(tally: _Tally) -> int:
    return tally.mentions[0].start if tally.mentions else -1


def _prominence(tally: _Tally, length: int, everyone: Iterable[_Tally]) -> float:
    """Relevance in 0..1: in the title, share of all mentions, how early the first one is."""
    most = max((len(t.mentions) for t in everyone), default=0) or 1
    share = len(tally.mentions) / most
    early = 1.0 - tally.mentions[0].start / max(length, 1) if tally.mentions else 0.0
    # The title's subject usually comes first ("AMD slumps after … Intel deal").
    title = (0.5 if tally.title_order == 0 or not tally.title_direct else 0.3) * tally.in_title
    score = title + 0.3 * share + 0.2 * early
    if not tally.direct:
        partner = all(m.alias and m.alias.kind is AliasKind.PARTNER for m in tally.mentions)
        score *= _PARTNER_WEIGHT if partner else _INDIRECT_WEIGHT
    return max(0.01, min(1.0, score))


def _delisting(company: Company, kb: KnowledgeBase) -> str:
    buyer = kb.companies.get(company.successor) if company.successor else None
    then = f", then bought by {buyer.name} ({buyer.ticker})" if buyer is not None else ""
    return f"listed until {company.listed_until}{then}"


def _why(tally: _Tally, text: str, kb: KnowledgeBase) -> str:
    company = tally.company
    direct = [m for m in tally.mentions if not m.indirect]
    if direct or tally.title_direct:
        parts = []
        if tally.title_direct:
            parts.append("named in the title")
        for m in direct[:1]:
            shown = text[m.start : m.end]
            if m.kind is MentionKind.TICKER:
                parts.append(f"ticker {shown} ({m.how})")
            elif m.alias is not None:
                parts.append(f"“{shown}”: {m.alias.why}")
            else:
                parts.append(f"named as “{shown}”")
        if len(tally.mentions) > 1:
            parts.append(f"{len(tally.mentions)} mentions")
        if company.listed_until is not None:
            parts.append(_delisting(company, kb))
        return f"{company.name} ({company.ticker}): " + "; ".join(parts)
    reasons: list[str] = []
    for m in tally.mentions:
        if m.alias is not None and m.alias.why not in reasons:
            reasons.append(m.alias.why)
    if not reasons and tally.in_title:
        reasons.append("reached through the title")
    return "; ".join(reasons)


def _link_sectors(
    links: Sequence[CompanyLink],
    mentions: Sequence[Mention],
    title_mentions: Sequence[Mention],
    kb: KnowledgeBase | None = None,
) -> tuple[SectorLink, ...]:
    """Sectors from the linked companies' GICS classes and from theme phrases."""
    relevance: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}

    def add(name: str, score: float, reason: str) -> None:
        if name in relevance:
            relevance[name] = min(1.0, max(relevance[name], score) + 0.1)
        else:
            relevance[name] = score
        bucket = reasons.setdefault(name, [])
        if reason not in bucket:
            bucket.append(reason)

    by_class: dict[tuple[str, str], list[CompanyLink]] = {}
    for link in links:
        company = kb.companies.get(link.ticker) if kb is not None else None
        if company is None:
            continue
        if company.sector:
            by_class.setdefault(("sector", company.sector), []).append(link)
        if company.industry:
            by_class.setdefault(("sub-industry", company.industry), []).append(link)
    for (level, name), members in by_class.items():
        weight = 1.0 if level == "sector" else 0.9
        score = max(
            m.relevance * (1.0 if m.role is not CompanyRole.INDIRECT else 0.8) for m in members
        )
        tickers = ", ".join(m.ticker for m in members[:5])
        add(name, score * weight, f"GICS {level} of {tickers}")

    themes: dict[str, list[Mention]] = {}
    for m in mentions:
        if m.theme is not None:
            themes.setdefault(m.theme.phrase.lower(), []).append(m)
    titled = {m.theme.phrase.lower() for m in title_mentions if m.theme is not None}
    for phrase in titled:
        themes.setdefault(phrase, [])
    theme_by_phrase = {
        m.theme.phrase.lower(): m.theme for m in (*mentions, *title_mentions) if m.theme
    }
    for phrase, hits in themes.items():
        theme = theme_by_phrase[phrase]
        score = min(0.9, 0.25 + 0.15 * len(hits) + (0.25 if phrase in titled else 0.0))
        count = f" ×{len(hits)}" if len(hits) > 1 else ""
        reason = f"“{theme.phrase}”{count}: {theme.why}"
        if theme.industry:
            add(theme.industry, score, reason)
            add(theme.sector, score * 0.9, reason)
        else:
            add(theme.sector, score, reason)
    ordered = sorted(relevance, key=lambda n: (-relevance[n], n))
    return tuple(
        SectorLink(name, round(relevance[name], 4), "; ".join(reasons[name][:4]))
        for name in ordered
    )
