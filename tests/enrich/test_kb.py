"""The securities knowledge base: the packaged tables, loading (cached, fast, an operator's own
aliases), lookup and search, the automaton's word boundaries, and the build script on real files."""

from __future__ import annotations

import csv
import importlib.util
import io
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketbrief.enrich.kb import (
    AliasKind,
    KnowledgeBase,
    SurfaceKind,
    fold,
    load_kb,
    normalize_ticker,
)
from marketbrief.enrich.kb import _build as build_kb_uncached
from marketbrief.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"
KB_SOURCE = SHARED / "eval" / "kb" / "us-company-kb"
DATA = resources.files("marketbrief.enrich.kb") / "data"

GICS_SECTORS = {
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def data_rows(name: str) -> list[dict[str, str]]:
    lines = [ln for ln in DATA.joinpath(name).read_text("utf-8").splitlines() if ln[:1] != "#"]
    return list(csv.DictReader(lines))


# ── the packaged tables ──────────────────────────────────────────────────────────────────────


def test_company_table_has_every_sp500_member_and_the_facts(kb: KnowledgeBase) -> None:
    members = [c for c in kb.companies.values() if c.sp500]
    assert len(members) >= 500
    assert all(c.sector in GICS_SECTORS and c.industry for c in members)
    apple = kb.company("AAPL")
    assert apple is not None
    assert (apple.name, apple.legal_name, apple.exchange, apple.cik) == (
        "Apple",
        "Apple Inc.",
        "NASDAQ",
        320193,
    )
    rtx = kb.company("RTX")
    assert rtx is not None
    assert rtx.exchange == "NYSE"
    assert rtx.industry == "Aerospace & Defense"
    assert rtx.sector == "Industrials"
    spy = kb.company("SPY")
    assert spy is not None
    assert spy.is_etf
    assert not spy.sp500


def test_company_table_is_compact_and_common_equity_only(kb: KnowledgeBase) -> None:
    size = len(DATA.joinpath("companies.csv").read_bytes())
    assert size < 600_000, f"companies.csv grew to {size:,} bytes"
    assert 4_000 < len(kb.companies) < 9_000
    exchanges = {c.exchange for c in kb.companies.values()}
    assert exchanges <= {"NYSE", "NASDAQ", "NYSE American", "NYSE Arca", "Cboe BZX", None}
    names = " ".join(c.legal_name.lower() for c in kb.companies.values())
    for word in ("warrant", "preferred", "depositary", "common stock", "notes due"):
        assert word not in names
    assert sum(c.is_etf for c in kb.companies.values()) < 300


def test_curated_tables_are_well_formed(kb: KnowledgeBase) -> None:
    rows = data_rows("aliases.csv")
    assert len(rows) >= 150
    assert {r["kind"] for r in rows} <= {k.value for k in AliasKind}
    assert all(r["why"].strip() for r in rows)
    themes = data_rows("themes.csv")
    assert all(r["sector"] in GICS_SECTORS for r in themes)
    assert all(t.sector in GICS_SECTORS for t in kb.themes)
    assert {r["level"] for r in data_rows("ambiguous.csv")} <= {
        "capital",
        "common",
        "name",
        "never",
    }
    assert {r["kind"] for r in data_rows("places.csv")} == {"country", "us_state", "city", "region"}


@pytest.mark.parametrize(
    ("alias", "tickers"),
    [
        ("Patriot", {"RTX", "LMT"}),
        ("F-35", {"LMT"}),
        ("iPhone", {"AAPL"}),
        ("Azure", {"MSFT"}),
        ("AWS", {"AMZN"}),
        ("YouTube", {"GOOGL"}),
        ("Instagram", {"META"}),
        ("FB", {"META"}),
        ("Ozempic", {"NVO"}),
        ("Zepbound", {"LLY"}),
        ("Cybertruck", {"TSLA"}),
        ("Blackwell", {"NVDA"}),
        ("ChatGPT", {"MSFT"}),
        ("Jensen Huang", {"NVDA"}),
        ("Pratt & Whitney", {"RTX"}),
        ("Sikorsky", {"LMT"}),
    ],
)
def test_required_aliases_are_there(kb: KnowledgeBase, alias: str, tickers: set[str]) -> None:
    assert {a.ticker for a in kb.aliases if a.alias == alias} == tickers


def test_the_patriot_alias_says_why_and_needs_its_domain(kb: KnowledgeBase) -> None:
    rtx = next(a for a in kb.aliases if a.alias == "Patriot" and a.ticker == "RTX")
    assert rtx.kind is AliasKind.PROGRAM
    assert "prime contractor" in rtx.why
    assert "missile" in rtx.context


# ── loading ──────────────────────────────────────────────────────────────────────────────────


def test_load_is_cached(kb: KnowledgeBase) -> None:
    started = time.perf_counter()
    again = load_kb()
    assert again is kb
    assert time.perf_counter() - started < 0.05


def test_a_fresh_build_stays_fast() -> None:
    # The target is < 0.5 s on an idle machine; the bound leaves room for a busy CI runner.
    started = time.process_time()
    build_kb_uncached(extra_aliases=())
    assert time.process_time() - started < 1.5


def test_extra_aliases_add_replace_and_block(tmp_path: Path, kb: KnowledgeBase) -> None:
    extra = tmp_path / "mine.csv"
    extra.write_text(
        "alias,ticker,kind,why,context\n"
        "Widgetron,AAPL,product,Widgetron is a made-up Apple product for this test,\n"
        "Patriot,RTX,program,only RTX here,missile\n"
        "Netflix,,name,never link this name,\n",
        encoding="utf-8",
    )
    mine = load_kb(extra)
    assert mine is not kb
    assert load_kb(extra) is mine  # cached per file version
    assert {a.ticker for a in mine.aliases if a.alias == "Patriot"} == {"RTX"}
    assert any(a.alias == "Widgetron" for a in mine.aliases)
    kinds = {h.surface.kind for h in mine.scan("Netflix said")}
    assert kinds == {SurfaceKind.BLOCK}
    assert {a.ticker for a in kb.aliases if a.alias == "Patriot"} == {"RTX", "LMT"}


def test_extra_aliases_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_kb(tmp_path / "absent.csv")
    assert missing.value.key == str(tmp_path / "absent.csv")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("alias,ticker,kind,why\nFoo,ZZZZZZ,brand,no such ticker\n", "utf-8")
    with pytest.raises(ConfigError, match="ZZZZZZ") as unknown_error:
        load_kb(unknown)
    assert unknown_error.value.key == str(unknown.resolve())
    bad_kind = tmp_path / "kind.csv"
    bad_kind.write_text("alias,ticker,kind,why\nFoo,AAPL,cousin,no such kind\n", "utf-8")
    with pytest.raises(ConfigError, match="cousin"):
        load_kb(bad_kind)
    no_columns = tmp_path / "columns.csv"
    no_columns.write_text("name,symbol\nFoo,AAPL\n", "utf-8")
    with pytest.raises(ConfigError, match="missing columns"):
        load_kb(no_columns)


# ── lookup, search, scan ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("spelling", ["BRK.B", "brk-b", "$BRK/B", " brk.b "])
def test_company_accepts_ticker_spellings(kb: KnowledgeBase, spelling: str) -> None:
    company = kb.company(spelling)
    assert company is not None
    assert company.ticker == "BRK.B"
    assert normalize_ticker(spelling) == "BRK.B"


def test_company_unknown_is_none(kb: KnowledgeBase) -> None:
    assert kb.company("NOSUCHTICKER") is None
    assert kb.company("") is None


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("AAPL", "AAPL"),
        ("apple", "AAPL"),
        ("Tim Cook", "AAPL"),
        ("facebook", "META"),
        ("lockheed", "LMT"),
        ("Raytheon", "RTX"),
        ("nvidia", "NVDA"),
    ],
)
def test_search_puts_the_obvious_company_first(kb: KnowledgeBase, query: str, first: str) -> None:
    found = kb.search(query)
    assert found
    assert found[0].ticker == first
    assert len(kb.search(query, limit=3)) <= 3


def test_search_of_nothing_is_empty(kb: KnowledgeBase) -> None:
    assert kb.search("   ") == []
    assert kb.search("qqqxqqqxzz") == []


def test_scan_respects_word_boundaries(kb: KnowledgeBase) -> None:
    assert not [h for h in kb.scan("Pineapple growers") if h.surface.ticker == "AAPL"]
    assert not [h for h in kb.scan("Appleton, Wisconsin") if h.surface.ticker == "AAPL"]
    hits = [h for h in kb.scan("Apple's results") if h.surface.ticker == "AAPL"]
    assert [(h.start, h.end) for h in hits] == [(0, 5)]


def test_scan_spans_are_the_same_for_ascii_and_other_text(kb: KnowledgeBase) -> None:
    # ASCII text takes a faster boundary test; one non-ASCII letter at the end must not
    # change a hit before it.
    text = "AT&T's deal: Apple and O'Reilly rose; Macy's fell; pineapple_growers & Apple's"
    ascii_spans = kb.scan_spans(text)
    assert ascii_spans
    assert kb.scan_spans(text + " é") == ascii_spans
    assert not [s for s in ascii_spans if text[s[0] - 1 : s[0]].isalnum()]


@given(st.text(max_size=200))
def test_fold_keeps_every_offset(text: str) -> None:
    assert len(fold(text)) == len(text)


# ── the build script ─────────────────────────────────────────────────────────────────────────


def load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_kb", ROOT / "scripts" / "build_kb.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up while the class is made
    sys.modules.setdefault("build_kb", module)
    spec.loader.exec_module(module)
    return module


def write_mini_source(folder: Path) -> None:
    """A few real-looking listing rows in the layout of us-company-kb, written for this test."""
    (folder / "sp500").mkdir(parents=True)
    (folder / "nasdaq-listings").mkdir()
    (folder / "nyse-other-listings").mkdir()
    (folder / "sec-company-tickers").mkdir()
    (folder / "sp500" / "constituents.csv").write_text(
        "Symbol,Security,GICS Sector,GICS Sub-Industry,Headquarters Location,Date added,CIK,"
        "Founded\n"
        "AAPL,Apple Inc.,Information Technology,"
        '"Technology Hardware, Storage & Peripherals","Cupertino, California",1982-11-30,'
        "320193,1977\n"
        "KO,Coca-Cola Company (The),Consumer Staples,Soft Drinks & Non-alcoholic Beverages,"
        '"Atlanta, Georgia",1957-03-04,21344,1886\n',
        "utf-8",
    )
    (folder / "nasdaq-listings" / "nasdaq-listed-symbols.csv").write_text(
        "Symbol,Company Name,Security Name,Market Category,Test Issue,Financial Status,"
        "Round Lot Size,ETF,NextShares\n"
        "AAPL,Apple Inc.,Apple Inc. - Common Stock,Q,N,N,100,N,N\n"
        "ZXZZT,Test Co,Test Co - Common Stock,Q,Y,N,100,N,N\n"
        "ABCDW,Abcd Acquisition Corp,Abcd Acquisition Corp - Warrant,G,N,N,100,N,N\n"
        "ABCDU,Abcd Acquisition Corp,Abcd Acquisition Corp - Units,G,N,N,100,N,N\n"
        "QQQ,Invesco QQQ Trust,Invesco QQQ Trust,G,N,N,100,Y,N\n"
        "ZZET,Obscure Thing ETF,Obscure Thing ETF,G,N,N,100,Y,N\n"
        "File Creation Time: 0731202621:31,,,,,,,,\n",
        "utf-8",
    )
    (folder / "nyse-other-listings" / "other-listed.csv").write_text(
        "ACT Symbol,Company Name,Security Name,Exchange,CQS Symbol,ETF,Round Lot Size,"
        "Test Issue,NASDAQ Symbol\n"
        "KO,Coca,Coca-Cola Company (The) Common Stock,N,KO,N,100.0,N,KO\n"
        "ET,Energy Transfer LP Common Units ,Energy Transfer LP Common Units ,N,ET,N,100.0,N,ET\n"
        "ALL$B,Allstate Corp,Allstate Corp 5.1% Preferred Stock,N,ALLpB,N,100.0,N,ALL-B\n"
        "NVO,Novo Nordisk A/S,Novo Nordisk A/S American Depositary Shares,N,NVO,N,100.0,N,NVO\n",
        "utf-8",
    )
    (folder / "sec-company-tickers" / "company_tickers.json").write_text(
        '{"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."},'
        ' "1": {"cik_str": 21344, "ticker": "KO", "title": "COCA COLA CO"}}',
        "utf-8",
    )
    (folder / "sec-company-tickers" / "company_tickers_exchange.json").write_text(
        '{"fields": ["cik", "name", "ticker", "exchange"], "data": ['
        '[320193, "Apple Inc.", "AAPL", "Nasdaq"], [21344, "COCA COLA CO", "KO", "NYSE"],'
        '[1276187, "Energy Transfer LP", "ET", "NYSE"]]}',
        "utf-8",
    )


def test_build_script_keeps_common_equity_and_major_etfs(tmp_path: Path) -> None:
    source = tmp_path / "kb"
    write_mini_source(source)
    out = tmp_path / "companies.csv"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_kb.py"),
            "--kb",
            str(source),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {r["ticker"]: r for r in csv.DictReader(io.StringIO(out.read_text("utf-8")))}
    assert set(rows) == {"AAPL", "KO", "ET", "NVO", "QQQ"}
    assert rows["AAPL"]["name"] == "Apple"
    assert rows["AAPL"]["sp500"] == "1"
    assert rows["AAPL"]["sector"] == "Information Technology"
    assert rows["KO"]["name"] == "Coca-Cola"
    assert rows["KO"]["legal_name"] == "Coca-Cola Company"  # the cut-short "Coca" is not used
    assert rows["ET"]["legal_name"] == "Energy Transfer LP"
    assert rows["NVO"]["exchange"] == "NYSE"
    assert rows["QQQ"]["is_etf"] == "1"


def test_build_script_refuses_a_wrong_folder(tmp_path: Path) -> None:
    module = load_build_script()
    assert module.main(["--kb", str(tmp_path), "--out", str(tmp_path / "x.csv")]) == 2


@pytest.mark.shared
def test_committed_company_table_is_what_the_script_builds(tmp_path: Path) -> None:
    if not KB_SOURCE.is_dir():
        pytest.skip(f"{KB_SOURCE} not found: ../shared holds the public company lists")
    module = load_build_script()
    out = tmp_path / "companies.csv"
    assert module.main(["--kb", str(KB_SOURCE), "--out", str(out)]) == 0
    assert out.read_text("utf-8") == DATA.joinpath("companies.csv").read_text("utf-8")


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("# mine\nalias,ticker,kind,why\nFoo,AAPL,brand,ok\nBar,ZZZZZZ,brand,none\n", 4, "ZZZZZZ"),
        ("alias,ticker,kind,why\n# a comment\n\nFoo,AAPL,cousin,no such kind\n", 4, "cousin"),
        ("alias,ticker,kind,why\nFoo,AAPL,brand,a why, with a comma\n", 2, "more cells"),
        ("alias,ticker,kind,why\nFoo,AAPL,brand,fine\n,MSFT,brand,no alias\n", 3, "empty"),
        ("# header missing\nname,symbol\nFoo,AAPL\n", 2, "missing columns"),
    ],
)
def test_a_broken_aliases_file_names_its_line(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    broken = tmp_path / "mine.csv"
    broken.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_kb(broken)
    assert error.value.key == str(broken.resolve())
    assert f"line {line}:" in str(error.value)
    assert words in str(error.value)


@pytest.mark.parametrize(
    ("listed", "legal"),
    [
        ("Oshkosh Corporation (Holding Company)Common", "Oshkosh Corporation"),
        ("Iron Mountain Incorporated (Delaware)Common", "Iron Mountain Incorporated"),
        ("Orion Group Holdings, Inc. Common", "Orion Group Holdings, Inc."),
        ("Eastman Kodak Company Common New", "Eastman Kodak Company"),
        ("Vermilion Energy Inc. Common (Canada)", "Vermilion Energy Inc."),
        ("Apple Inc. - Common Stock", "Apple Inc."),
        ("Commonwealth Bank Corp", "Commonwealth Bank Corp"),
    ],
)
def test_the_build_script_takes_the_security_off_a_listing_name(listed: str, legal: str) -> None:
    assert load_build_script().clean_legal_name(listed) == legal
