"""The securities knowledge base: U.S.-listed companies, their aliases, themes and places.

Everything here is reference data read once from the package's ``data/`` folder (see
``data/SOURCES.md``) and held in one frozen ``KnowledgeBase``: the company table built by
``scripts/build_kb.py`` from public listing files, and the hand-curated tables (aliases of
products, programs, brands, subsidiaries and people; theme phrases that point at a sector; words
that are company names but also ordinary words; a gazetteer of places; acronyms that are not
tickers). ``load_kb`` builds it, including one Aho-Corasick automaton over every surface form, and
caches the result so that a process pays for that once.

``KnowledgeBase.scan`` finds candidate surface forms in a text (word-boundary checked, case
folded); deciding which candidates are real mentions is the linker's job
(``marketbrief.enrich.companies``).
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import ahocorasick

from marketbrief.errors import ConfigError, InvalidInputError

# ── records ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class Company:
    """One listed security: a common stock (or ADS) or a major ETF."""

    ticker: str  # share classes with a dot: BRK.B
    name: str  # short display name: "Apple"
    legal_name: str  # "Apple Inc."
    exchange: str | None  # NYSE, NASDAQ, NYSE American, NYSE Arca, Cboe BZX
    cik: int | None  # SEC Central Index Key
    sector: str | None  # GICS sector (S&P 500 members; others when the name says it)
    industry: str | None  # GICS sub-industry (S&P 500 members)
    is_etf: bool = False
    sp500: bool = False
    rank: int | None = None  # position in the SEC ticker list, roughly by market value
    listed_until: date | None = None  # last trading day of a company no longer listed
    successor: str | None = None  # the listed company that bought it, if one did


class AliasKind(enum.StrEnum):
    """How an alias points at its company; decides whether the link is direct or indirect."""

    BRAND = "brand"
    PRODUCT = "product"
    PROGRAM = "program"  # a government or defense program the company builds for
    SUBSIDIARY = "subsidiary"
    PERSON = "person"  # a chief executive or founder
    PARTNER = "partner"  # a private company whose news moves this listed one
    FORMER_NAME = "former_name"  # the company itself, as it used to be called
    FORMER_TICKER = "former_ticker"
    NAME = "name"  # another name of the company itself (abbreviation, common spelling)


# Aliases of these kinds name something other than the company: links through them are indirect.
INDIRECT_KINDS = frozenset(
    {
        AliasKind.BRAND,
        AliasKind.PRODUCT,
        AliasKind.PROGRAM,
        AliasKind.SUBSIDIARY,
        AliasKind.PERSON,
        AliasKind.PARTNER,
    }
)


@dataclass(frozen=True, slots=True)
class Alias:
    """A hand-curated name that points at a company, and why."""

    alias: str  # as written; matched with this exact case
    ticker: str  # "" for an operator's "never link this" row
    kind: AliasKind
    why: str
    # Words of which one must occur near the alias (or the company be named) for it to count:
    # "Patriot" needs "missile", "air defense", … so that the football team is not RTX.
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Theme:
    """A phrase that points at a GICS sector (and optionally a GICS industry), and why."""

    phrase: str  # matched case-insensitively unless it has capitals ("Fed", "OPEC")
    sector: str
    industry: str | None
    why: str


class Ambiguity(enum.StrEnum):
    """How much a company name that is also something else needs before it counts."""

    CAPITAL = "capital"  # an ordinary word that, capitalised, is the company ("Apple", "Target")
    COMMON = "common"  # an ordinary word often capitalised anyway ("Strategy", "Block")
    NAME = "name"  # another proper name ("Dow" the index): needs a cue or the company confirmed
    NEVER = "never"  # alone it almost never means the company ("American", "S&P"): not a name


class SurfaceKind(enum.StrEnum):
    COMPANY = "company"  # a name derived from the company table
    ALIAS = "alias"  # a curated alias
    THEME = "theme"
    PLACE = "place"
    BLOCK = "block"  # an operator's "never link this" alias


@dataclass(frozen=True, slots=True)
class Surface:
    """One string the automaton can find, and what it stands for."""

    text: str  # as written in the knowledge base
    kind: SurfaceKind
    ticker: str | None = None
    alias: Alias | None = None
    theme: Theme | None = None
    place_kind: str | None = None  # country | us_state | city | region
    strength: int = 0  # 3 legal or display name, 2 derived short form, 4 curated alias
    ambiguity: Ambiguity | None = None
    exact_case: bool = False  # the text must match ``text`` character for character
    unless: frozenset[str] = frozenset()  # neighbouring words that rule this reading out
    # A weak name (derived, ambiguous or a small company's) inside a longer run of capitalised
    # words is part of another name ("Pacific First Financial", "Southern Poverty Law Center").
    guarded: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate surface form found in a text: ``text[start:end]`` folds to ``surface.text``."""

    start: int
    end: int
    surface: Surface


# ── the knowledge base ───────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """All reference data the enrichers need; built by ``load_kb``, never changed after."""

    companies: Mapping[str, Company]
    aliases: tuple[Alias, ...]
    themes: tuple[Theme, ...]
    places: Mapping[str, str]  # place name → kind
    ambiguous: Mapping[str, Ambiguity]  # folded word → how ambiguous
    unless: Mapping[str, frozenset[str]]  # folded word → neighbours that rule the company out
    acronyms: frozenset[str]  # upper-case tokens that are not tickers in running text
    former_tickers: Mapping[str, Alias]  # "FB" → the alias row that maps it to META
    research_firms: frozenset[str]  # banks and brokers quoted as sources ("… analyst said")
    _automaton: Any = field(repr=False)
    _surfaces: Mapping[str, tuple[Surface, ...]] = field(repr=False)
    _search_index: tuple[tuple[str, str], ...] = field(repr=False)  # (folded name, ticker)
    _self_naming: frozenset[tuple[str, str]] = field(repr=False, default=frozenset())

    def company(self, ticker: str) -> Company | None:
        """The company listed under ``ticker`` ("brk-b", "$AAPL" work too), else ``None``."""
        return self.companies.get(normalize_ticker(ticker))

    def search(self, text: str, *, limit: int = 10) -> list[Company]:
        """Companies a person typing ``text`` most likely means, best first.

        A ticker match comes first, then exact names and aliases ("Apple", "Tim Cook",
        "Facebook"), then names that begin with the text, then names with a word that does.
        Ties go to S&P 500 members, then to larger companies.
        """
        query = fold(" ".join(text.split()))
        if not query:
            return []
        found: dict[str, int] = {}
        exact = self.company(query)
        if exact is not None:
            found[exact.ticker] = 0
        for surface in self._surfaces.get(query, ()):
            if surface.ticker and surface.kind in (SurfaceKind.COMPANY, SurfaceKind.ALIAS):
                found.setdefault(surface.ticker, 1)
        prefix = re.compile(r"(?:^|\W)" + re.escape(query))
        for name, ticker in self._search_index:
            if ticker in found:
                continue
            if name.startswith(query):
                found[ticker] = 2
            elif prefix.search(name):
                found[ticker] = 3
        ranked = sorted(
            (self.companies[t] for t in found if t in self.companies),
            key=lambda c: (found[c.ticker], not c.sp500, c.rank or 10**6, c.ticker),
        )
        return ranked[:limit]

    def scan(self, text: str) -> tuple[Hit, ...]:
        """Every surface form in ``text`` that starts and ends on a word boundary.

        Matching is case-insensitive here (apostrophes and dashes folded too); hits overlap
        freely. Which hits are real mentions (case, context, overlaps) the caller decides.
        """
        return _scan(self._automaton, self._surfaces, text)

    def scan_spans(self, text: str) -> tuple[tuple[int, int, tuple[Surface, ...]], ...]:
        """What ``scan`` finds, one ``(start, end, surfaces)`` per surface form found.

        The same hits in the same order, without a ``Hit`` built for each: for callers that
        go through every hit of long texts.
        """
        return _scan_spans(self._automaton, self._surfaces, text)

    def names_its_company(self, alias: Alias) -> bool:
        """Whether ``alias`` contains its company's own name ("Amazon Web Services")."""
        return (fold(alias.alias), alias.ticker) in self._self_naming


def _scan(
    automaton: Any, surfaces: Mapping[str, tuple[Surface, ...]], text: str
) -> tuple[Hit, ...]:
    return tuple(
        Hit(start, end, surface)
        for start, end, found in _scan_spans(automaton, surfaces, text)
        for surface in found
    )


# What a character is to the word-boundary test of _scan_spans, for ASCII text.
_OTHER, _ALNUM, _JOINS, _APOSTROPHE = 0, 1, 2, 3
_ASCII_CLASSES = bytes(
    _ALNUM
    if chr(i).isalnum()
    else _JOINS
    if chr(i) in "&_"
    else _APOSTROPHE
    if chr(i) == "'"
    else _OTHER
    for i in range(256)
)


def _scan_spans(
    automaton: Any, surfaces: Mapping[str, tuple[Surface, ...]], text: str
) -> tuple[tuple[int, int, tuple[Surface, ...]], ...]:
    folded = fold(text)
    size = len(folded)
    spans: list[tuple[int, int, tuple[Surface, ...]]] = []
    if folded.isascii():
        # The same tests on one byte a character (_ASCII_CLASSES), made in C for the text.
        classes = folded.encode("ascii").translate(_ASCII_CLASSES)
        for last, key in automaton.iter(folded):
            end = last + 1
            start = end - len(key)
            if start > 0:
                before = classes[start - 1]
                if before == _JOINS or (
                    before == _APOSTROPHE and start > 1 and classes[start - 2] == _ALNUM
                ):
                    continue
                if before == _ALNUM:
                    continue
            if end < size and classes[end] in (_ALNUM, _JOINS):
                continue
            spans.append((start, end, surfaces[key]))
        return tuple(spans)
    # A hit starts and ends on a word boundary. "&" and "'" join words inside names ("AT&T",
    # "Macy's"): a hit must not start after one. Written out inline: most keys the automaton
    # reports sit inside a longer word, and this loop runs for every one of them.
    for last, key in automaton.iter(folded):
        end = last + 1
        start = end - len(key)
        if start > 0:
            before = folded[start - 1]
            if (
                before.isalnum()
                or before in "&_"
                or (before == "'" and start > 1 and folded[start - 2].isalnum())
            ):
                continue
        if end < size:
            after = folded[end]
            if after.isalnum() or after in "&_":
                continue
        spans.append((start, end, surfaces[key]))
    return tuple(spans)


def normalize_ticker(ticker: str) -> str:
    """One spelling of a ticker: upper case, no ``$``, share classes with a dot (BRK.B)."""
    return ticker.strip().lstrip("$").upper().replace("-", ".").replace("/", ".")


# Folding keeps every offset: each character maps to exactly one character.
_FOLD_TABLE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "\u00a0": " ",
    }
)


def normalize_marks(text: str) -> str:
    """``text`` with typographic apostrophes, dashes and no-break spaces made plain.

    The result has the same length: offsets into it are offsets into ``text``.
    """
    return text if text.isascii() else text.translate(_FOLD_TABLE)


def fold(text: str) -> str:
    """Lower-case ``text`` with one output character per input character (offsets survive)."""
    if text.isascii():
        return text.lower()
    text = text.translate(_FOLD_TABLE)
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters lower-case to two ("İ"); keep those as they are.
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# ── loading ──────────────────────────────────────────────────────────────────────────────────

_DATA = "data"

# Trailing words that describe a company rather than name it: "Agilent Technologies" is also
# called "Agilent". Stripped only when something distinctive is left (see _derived_names).
_DESCRIPTORS = frozenset(
    [
        "group",
        "holdings",
        "holding",
        "technologies",
        "technology",
        "pharmaceuticals",
        "pharmaceutical",
        "pharma",
        "therapeutics",
        "corporation",
        "companies",
        "company",
        "international",
        "industries",
        "systems",
        "enterprises",
        "brands",
        "worldwide",
        "global",
        "incorporated",
        "communications",
        "solutions",
        "resources",
        "motor",
        "platforms",
        "networks",
        "hotels",
        "resorts",
        "entertainment",
        "airways",
        "automotive",
        "foods",
        "stores",
        "restaurants",
        "biosciences",
        "sciences",
        "laboratories",
        "semiconductor",
        "semiconductors",
        "energy",
        "financial",
        "markets",
        "trust",
    ]
)
# Long descriptors that news shortens: "Acadia Pharmaceuticals" is also "Acadia Pharma".
_SHORTENED = (("Pharmaceuticals", "Pharma"), ("Technologies", "Tech"), ("International", "Intl"))
_LEGAL_TAIL = re.compile(
    r"(?:[\s,]+(?:(?:and|&)\s+co(?:mpany)?|inc|incorporated|corp|corporation|co|company|ltd|"
    r"limited|plc|llc|l\.?p|n\.?v|s\.?a|ag|se|the|new))+\.?$",
    re.IGNORECASE,
)
# Rank under which a one-word short name is trusted without a cue (bigger companies are the
# ones news means by the bare word; the long tail is full of ordinary words: "Compass", "Hope").
_TRUSTED_RANK = 2000


@functools.cache
def _load_default() -> KnowledgeBase:
    return _build(extra_aliases=())


@functools.lru_cache(maxsize=8)
def _load_with_extra(path: Path, stamp: tuple[int, int]) -> KnowledgeBase:
    del stamp  # part of the cache key only: a changed file is read again
    try:
        numbered = tuple(_read_alias_rows(path.read_text(encoding="utf-8"), str(path)))
        companies = _load_default().companies
        for line, alias in numbered:
            if alias.ticker and alias.ticker not in companies:
                raise InvalidInputError(
                    f"line {line}: unknown ticker {alias.ticker!r} for {alias.alias!r}",
                    key=str(path),
                )
        return _build(extra_aliases=tuple(alias for _, alias in numbered))
    except (InvalidInputError, UnicodeDecodeError, csv.Error) as exc:
        # The operator's file is configuration: say which file (and line) cannot work, and why.
        reason = exc.message if isinstance(exc, InvalidInputError) else str(exc)
        raise ConfigError(f"aliases file cannot be used: {reason}", key=str(path)) from exc


def load_kb(extra: Path | None = None) -> KnowledgeBase:
    """The knowledge base from the package data, plus an operator's own aliases file.

    ``extra`` is a CSV in the format of ``data/aliases.csv`` (alias, ticker, kind, why,
    context); its rows add aliases or replace every packaged row of the same alias (compared
    case-insensitively); a row with an empty ticker stops that alias, or that company name,
    from linking at all. The result is cached per file version: call it freely. A file that
    cannot be read or names unknown tickers or kinds raises ``ConfigError`` keyed by its path,
    its message naming the line.
    """
    if extra is None:
        return _load_default()
    try:
        info = extra.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read the aliases file: {exc.strerror}", key=str(extra)) from exc
    return _load_with_extra(extra.resolve(), (info.st_mtime_ns, info.st_size))


def _data_text(name: str) -> str:
    return (resources.files(__name__) / _DATA / name).read_text(encoding="utf-8")


def _rows(text: str, source: str, required: Iterable[str]) -> Iterator[dict[str, str]]:
    """The rows of a curated CSV file; lines starting with ``#`` are comments."""
    for _, row in _numbered_rows(text, source, required):
        yield row


def _numbered_rows(
    text: str, source: str, required: Iterable[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a curated CSV file, each with the line number it ends on."""
    # Comments become blank lines (which the reader skips) so that line numbers stay true;
    # those before the header are counted and dropped (the header must be the first row).
    lines = ["" if line.startswith("#") else line for line in text.splitlines()]
    skipped = 0
    while skipped < len(lines) and not lines[skipped].strip():
        skipped += 1
    reader = csv.DictReader(lines[skipped:])
    missing = set(required) - set(reader.fieldnames or ())
    if missing:
        raise InvalidInputError(
            f"line {skipped + 1}: missing columns: {', '.join(sorted(missing))}", key=source
        )
    for row in reader:
        line = skipped + reader.line_num
        if None in row:
            raise InvalidInputError(
                f"line {line}: more cells than columns (quote a why with commas)", key=source
            )
        yield line, {k: (v or "").strip() for k, v in row.items() if k is not None}


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


_COMPANY_COLUMNS = (
    "ticker",
    "name",
    "legal_name",
    "exchange",
    "cik",
    "sector",
    "industry",
    "is_etf",
    "sp500",
    "rank",
    "listed_until",
    "successor",
)


def _read_companies(text: str) -> dict[str, Company]:
    # Positional reading: this table has thousands of rows and is read on every start.
    reader = csv.reader(line for line in io.StringIO(text) if not line.startswith("#"))
    header = next(reader, [])
    missing = {"ticker", "name", "legal_name"} - set(header)
    if missing:
        raise InvalidInputError(f"missing columns: {', '.join(sorted(missing))}", key="companies")
    width = len(header) + 1
    # Columns the file does not have read as the empty cell at the end of every padded row.
    at = [header.index(c) if c in header else len(header) for c in _COMPANY_COLUMNS]
    companies: dict[str, Company] = {}
    for row in reader:
        if not row or row[0].startswith("#"):
            continue
        row = row + [""] * (width - len(row))
        ticker_, name, legal, exchange, cik, sector, industry, etf, sp500, rank, until, succ = (
            row[i] for i in at
        )
        ticker = normalize_ticker(ticker_)
        companies[ticker] = Company(
            ticker=ticker,
            name=name or legal or ticker,
            legal_name=legal or name or ticker,
            exchange=exchange or None,
            cik=int(cik) if cik else None,
            sector=sector or None,
            industry=industry or None,
            is_etf=etf == "1",
            sp500=sp500 == "1",
            rank=int(rank) if rank else None,
            listed_until=date.fromisoformat(until) if until else None,
            successor=normalize_ticker(succ) if succ else None,
        )
    return companies


def _read_aliases(text: str, source: str) -> Iterator[Alias]:
    for _, alias in _read_alias_rows(text, source):
        yield alias


def _read_alias_rows(text: str, source: str) -> Iterator[tuple[int, Alias]]:
    """Each alias of an aliases file with its line number; a row that cannot be one raises."""
    for line, row in _numbered_rows(text, source, ("alias", "ticker", "kind", "why")):
        if not row["alias"]:
            raise InvalidInputError(f"line {line}: the alias is empty", key=source)
        try:
            kind = AliasKind(row["kind"] or "name")
        except ValueError:
            known = ", ".join(k.value for k in AliasKind)
            raise InvalidInputError(
                f"line {line}: unknown alias kind {row['kind']!r} for {row['alias']!r} "
                f"(one of {known})",
                key=source,
            ) from None
        context = tuple(w.strip().lower() for w in row.get("context", "").split("|") if w.strip())
        ticker = normalize_ticker(row["ticker"]) if row["ticker"] else ""
        yield line, Alias(row["alias"], ticker, kind, row["why"], context)


def _read_themes(text: str) -> Iterator[Theme]:
    for row in _rows(text, "themes.csv", ("phrase", "sector", "why")):
        yield Theme(row["phrase"], row["sector"], row.get("industry") or None, row["why"])


def _merge_aliases(base: Iterable[Alias], extra: Iterable[Alias]) -> tuple[Alias, ...]:
    extra = tuple(extra)
    replaced = {fold(a.alias) for a in extra}
    return tuple(a for a in base if fold(a.alias) not in replaced) + extra


def _build(extra_aliases: tuple[Alias, ...]) -> KnowledgeBase:
    companies = _read_companies(_data_text("companies.csv"))
    delisted = _read_companies(_data_text("delisted.csv"))
    clashes = sorted(delisted.keys() & companies.keys())
    if clashes:
        raise InvalidInputError(f"tickers listed today: {', '.join(clashes)}", key="delisted.csv")
    companies.update(delisted)
    orphans = sorted(
        c.ticker for c in delisted.values() if c.successor and c.successor not in companies
    )
    if orphans:
        raise InvalidInputError(
            f"successors that are not listed companies for: {', '.join(orphans)}",
            key="delisted.csv",
        )
    aliases = _merge_aliases(_read_aliases(_data_text("aliases.csv"), "aliases.csv"), extra_aliases)
    unknown = sorted({a.ticker for a in aliases if a.ticker and a.ticker not in companies})
    if unknown:
        raise InvalidInputError(
            f"aliases name unknown tickers: {', '.join(unknown)}", key="aliases"
        )
    themes = tuple(_read_themes(_data_text("themes.csv")))
    ambiguous: dict[str, Ambiguity] = {}
    unless: dict[str, frozenset[str]] = {}
    for row in _rows(_data_text("ambiguous.csv"), "ambiguous.csv", ("word", "level")):
        try:
            ambiguous[fold(row["word"])] = Ambiguity(row["level"])
        except ValueError:
            raise InvalidInputError(
                f"unknown level {row['level']!r} for {row['word']!r}", key="ambiguous.csv"
            ) from None
        words = frozenset(w.strip().lower() for w in row.get("unless_near", "").split("|"))
        unless[fold(row["word"])] = words - {""}
    places = {
        row["name"]: row["kind"]
        for row in _rows(_data_text("places.csv"), "places.csv", ("name", "kind"))
    }
    acronyms = frozenset(
        w.upper() for line in _lines(_data_text("acronyms.txt")) for w in line.split()
    )
    research_firms = frozenset(
        w for line in _lines(_data_text("research_firms.txt")) for w in line.split()
    )
    if research_firms - companies.keys():
        raise InvalidInputError(
            f"unknown tickers: {', '.join(sorted(research_firms - companies.keys()))}",
            key="research_firms.txt",
        )

    surfaces = _company_surfaces(companies, ambiguous, unless, frozenset(fold(p) for p in places))
    blocked = {fold(a.alias) for a in aliases if not a.ticker}
    for key in blocked:
        surfaces[key] = [Surface(key, SurfaceKind.BLOCK, strength=9)]
    for a in aliases:
        if a.ticker:
            key = fold(a.alias)
            level = _alias_ambiguity(ambiguous.get(key))
            surfaces.setdefault(key, []).append(
                Surface(
                    a.alias,
                    SurfaceKind.ALIAS,
                    ticker=a.ticker,
                    alias=a,
                    strength=4,
                    ambiguity=level,
                    # Short, acronym, ambiguous and context-bound aliases must match as written;
                    # "Microstrategy" for "MicroStrategy" is still the company.
                    exact_case=(
                        len(a.alias) <= 4
                        or a.alias.isupper()
                        or level is not None
                        or bool(a.context)
                        or a.kind is AliasKind.FORMER_TICKER
                    ),
                    unless=unless.get(key, frozenset()),
                )
            )
    for t in themes:
        surfaces.setdefault(fold(t.phrase), []).append(
            Surface(t.phrase, SurfaceKind.THEME, theme=t, exact_case=t.phrase != t.phrase.lower())
        )
    for name, kind in places.items():
        surfaces.setdefault(fold(name), []).append(
            Surface(name, SurfaceKind.PLACE, place_kind=kind, exact_case=True)
        )

    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    frozen: dict[str, tuple[Surface, ...]] = {}
    for key, items in surfaces.items():
        if not key:
            continue
        frozen[key] = tuple(items)
        automaton.add_word(key, key)
    automaton.make_automaton()

    # Names a person may type: the table's names and the aliases that name the company itself.
    index = tuple(
        sorted(
            {(fold(c.name), c.ticker) for c in companies.values()}
            | {(fold(c.legal_name), c.ticker) for c in companies.values()}
            | {
                (fold(a.alias), a.ticker)
                for a in aliases
                if a.ticker and a.kind not in INDIRECT_KINDS
            }
        )
    )
    return KnowledgeBase(
        companies=MappingProxyType(companies),
        aliases=aliases,
        themes=themes,
        places=MappingProxyType(places),
        ambiguous=MappingProxyType(ambiguous),
        unless=MappingProxyType(unless),
        acronyms=acronyms,
        research_firms=research_firms,
        former_tickers=MappingProxyType(
            {a.alias.upper(): a for a in aliases if a.kind is AliasKind.FORMER_TICKER and a.ticker}
        ),
        _automaton=automaton,
        _surfaces=MappingProxyType(frozen),
        _search_index=index,
        _self_naming=_self_naming_aliases(aliases, automaton, frozen),
    )


def _self_naming_aliases(
    aliases: Iterable[Alias], automaton: Any, surfaces: Mapping[str, tuple[Surface, ...]]
) -> frozenset[tuple[str, str]]:
    """Indirect aliases that spell out their company's own name inside them.

    "Amazon Web Services" names Amazon: a text that says it names the company directly.
    """
    found = set()
    for alias in aliases:
        if not alias.ticker or alias.kind not in INDIRECT_KINDS:
            continue
        for hit in _scan(automaton, surfaces, alias.alias):
            surface = hit.surface
            whole = (hit.start, hit.end) == (0, len(alias.alias))
            itself = surface.kind is SurfaceKind.COMPANY or (
                surface.alias is not None and surface.alias.kind not in INDIRECT_KINDS
            )
            if surface.ticker == alias.ticker and itself and not whole:
                found.add((fold(alias.alias), alias.ticker))
    return frozenset(found)


def _company_surfaces(
    companies: Mapping[str, Company],
    ambiguous: Mapping[str, Ambiguity],
    unless: Mapping[str, frozenset[str]],
    places: frozenset[str],
) -> dict[str, list[Surface]]:
    """Surface forms of every company name: one winner per folded string.

    Two companies can yield the same string (share classes, look-alike names): the stronger
    form wins, then the S&P 500 member, then the larger company. A one-word name that two
    unrelated companies share goes to the S&P 500 member when exactly one of them is, else to
    neither ("Prudential": Prudential Financial, not Prudential plc).
    """
    # key → (order, text, ticker, strength, trusted); Surfaces are made for winners only.
    best: dict[str, tuple[tuple[int, int, int], str, str, int, bool]] = {}
    owners: dict[str, set[int | str]] = {}
    members: set[int | str] = set()
    for company in companies.values():
        owner: int | str = company.cik if company.cik is not None else company.ticker
        if company.sp500:
            members.add(owner)
        trusted = _trusted(company)
        rank = company.rank or 10**6
        for text, strength in _derived_names(company):
            key = fold(text)
            single = " " not in key
            if single:
                owners.setdefault(key, set()).add(owner)
            order = (0 if single and company.sp500 else 1, -strength, rank)
            held = best.get(key)
            if held is None or order < held[0]:
                best[key] = (order, text, company.ticker, strength, trusted)
    result: dict[str, list[Surface]] = {}
    for key, (_, text, ticker, strength, trusted) in best.items():
        level = ambiguous.get(key)
        if level is Ambiguity.NEVER:
            continue
        single = " " not in key
        if single:
            shared = owners.get(key, set())
            if len(shared) > 1 and len(shared & members) != 1:
                continue
            if level is None and (len(key) <= 2 or (not trusted and not _looks_coined(text))):
                # A one-word name of a small company is too often an ordinary word or another
                # name ("Compass", "Hope"), and two letters too often an abbreviation ("RH"):
                # they need a cue or the company named in full.
                level = Ambiguity.NAME
        if level is None and key in places:
            level = Ambiguity.NAME  # "Miami" is the city before it is Miami International
        result[key] = [
            Surface(
                text,
                SurfaceKind.COMPANY,
                ticker=ticker,
                strength=strength,
                ambiguity=level,
                # acronym names (AES, CSX) and very short ones must match as written
                exact_case=(len(text) <= 5 and text.isupper()) or len(key) <= 3,
                unless=unless.get(key, frozenset()),
                guarded=level is not None or strength == 2 or not trusted,
            )
        ]
    return result


def _looks_coined(word: str) -> bool:
    """A made-up word no dictionary has: inner capitals or digits ("JinkoSolar", "Life360")."""
    inner = word[1:]
    return (any(c.isupper() for c in inner) and any(c.islower() for c in word)) or any(
        c.isdigit() for c in word
    )


def _alias_ambiguity(level: Ambiguity | None) -> Ambiguity | None:
    # A curated alias is a deliberate choice: "never" does not apply to it, the others do.
    return None if level is Ambiguity.NEVER else level


def _trusted(company: Company) -> bool:
    # A company no longer listed is in delisted.csv because news named it often.
    return (
        company.sp500
        or company.listed_until is not None
        or (company.rank is not None and company.rank <= _TRUSTED_RANK)
    )


def _derived_names(company: Company) -> list[tuple[str, int]]:
    """Names a text may use for ``company``, each with its strength (3 as listed, 2 derived)."""
    if company.is_etf:
        return [(company.legal_name, 3)]
    out: list[tuple[str, int]] = []
    seen: set[str] = set()

    def emit(text: str, strength: int) -> None:
        if "  " in text:
            text = " ".join(text.split())
        text = text.strip(" ,")
        key = text.lower()
        if len(key) < 2 or key in seen:
            return
        seen.add(key)
        out.append((text, strength))
        if " & " in text:
            emit(text.replace(" & ", " and "), strength)
        if ". " in text:  # "Warner Bros. Discovery" is also written "Warner Bros Discovery"
            emit(_ABBREVIATION_DOT.sub(" ", text), strength)
        if not text.isascii():  # "Estée Lauder" is also written "Estee Lauder"
            emit(_strip_accents(text), strength)

    listed_names = (
        (company.legal_name,)
        if company.name == company.legal_name
        else (
            company.legal_name,
            company.name,
        )
    )
    for listed in listed_names:
        emit(listed, 3)
        stripped = _strip_legal(listed)
        emit(stripped, 3)
        words = stripped.split()
        # "Agilent Technologies" → "Agilent"; "American Airlines Group" → "American Airlines";
        # "Melco Resorts & Entertainment" → "Melco Resorts" → "Melco".
        while len(words) > 1 and words[-1].lower().strip(",.") in _DESCRIPTORS:
            last = words[-1].strip(",.")
            for long, short in _SHORTENED:
                if last == long:
                    emit(" ".join([*words[:-1], short]), 2)
            words = words[:-1]
            while len(words) > 1 and words[-1].lower() in ("&", "and"):
                words = words[:-1]
            core = " ".join(words).rstrip(",")
            if len(core) < 3:
                break
            emit(core, 2)
    return [(t, st) for t, st in out if _HAS_LETTER.search(t)]


_ABBREVIATION_DOT = re.compile(r"(?<=[a-z]{2})\. ")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_PAREN_NOTE = re.compile(r"\s*\((?:the|class [a-z0-9]+|new)\)", re.IGNORECASE)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


@functools.cache
def _strip_legal(name: str) -> str:
    previous = None
    name = _PAREN_NOTE.sub("", name).strip()
    while previous != name:
        previous = name
        name = _LEGAL_TAIL.sub("", name).strip(" ,.")
    return _LEADING_THE.sub("", name)
