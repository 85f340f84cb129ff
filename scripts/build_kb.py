#!/usr/bin/env python3
"""Build the securities knowledge base's company table from public listing files.

    scripts/build_kb.py --kb ../shared/eval/kb/us-company-kb

reads the SEC ticker files, the NASDAQ and NYSE/other listing files and the S&P 500 list (see
``SOURCE.md`` in that folder) and writes ``src/marketbrief/enrich/kb/data/companies.csv``: one
row per U.S.-listed common stock (and per major ETF), with the facts the linker needs. Only facts
go in (tickers, names, exchanges, CIKs, GICS classes); warrants, units, rights, preferreds, notes
and test issues are left out. The hand-curated files beside it (aliases, themes, …) are not
touched. Standard library only, so it runs anywhere.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "marketbrief" / "enrich" / "kb" / "data"

COLUMNS = (
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
    "sector_from",
)

OTHER_EXCHANGES = {"N": "NYSE", "A": "NYSE American", "P": "NYSE Arca", "Z": "Cboe BZX"}

# Security names (or their tails) that are not common equity. A listing is kept when none match.
NOT_COMMON = re.compile(
    r"\bwarrants?\b|"
    r"(?<!common )(?<!partnership )(?<!l\.p\.  )(?<!l\.p\. )\bunits?\b(?!\s+representing)|"
    r"\brights?\b|preferred|preference|\bnotes?\b|debentures?|"
    r"cumulative|perpetual|subordinated|when[- ]issued|\bdue\s+\d{4}|"
    r"depositary shares?,? (?:each )?represent\w* (?:a |one )?\d+/|%|\bETN\b|"
    r"exchange[- ]traded notes?|trust certificates?|capital securities",
    re.IGNORECASE,
)
# What a listing file appends to a company's name to name one of its securities.
SECURITY_TAIL = re.compile(
    r"[\s,-]+(?:\(the\)\s*)?(?:sponsored\s+)?(?:(?:new\s+)?(?:class|series)\s+[a-z0-9]+\s+)?"
    r"(?:(?:non-voting|voting|subordinate voting|restricted voting)\s+)?"
    r"(?:common\s+stock|common\s+shares?|ordinary\s+shares?|capital\s+stock|"
    r"(?:american|global)\s+deposit[ao]ry(?:\s+(?:shares?|receipts?))?|ads|adrs?|gdrs?|"
    r"shares\s+of\s+beneficial\s+interest|common\s+shares\s+of\s+beneficial\s+interest|"
    r"common\s+units?\s+representing.*|limited\s+partnership\s+units?|(?:common\s+)?units?|shares|stock|"
    r"sponsored(?:\s+adrs?)?)\b.*$",
    re.IGNORECASE,
)
# The same glued on or left bare: "Iron Mountain Incorporated (Delaware)Common", "Orion Group
# Holdings, Inc. Common", "NextBoat Inc. Common Stcok"; and a place or form in parentheses at the
# end ("(Holding Company)", "(Canada)").
GLUED_TAIL = re.compile(
    r"(?:(?<=[).])\s*|\s+)common(?:\s+\w+)?(?:\s+\(\w+\))?$|"
    r"\s*\((?:holding company|delaware|nevada|maryland|canada|bermuda|cayman islands)\)$",
    re.IGNORECASE,
)
LEGAL_SUFFIX = re.compile(
    r"(?:[\s,]+(?:(?:and|&)\s+co(?:mpany)?|inc|incorporated|corp|corporation|co|company|ltd|"
    r"public limited company|limited|plc|p\.l\.c|\(d/b/a\)|llc|l\.?p|new|"
    r"s\.?a\.?b\.? de c\.?v|s\.a\.b|de c\.v|\(the\)|\(new\)|"
    r"n\.?v|s\.?a|a\.?g|ag|se|s\.?e|sa|nv|bv|spa|s\.p\.a|asa|ab|oyj|a/s|ltda|lp|l\.l\.c|"
    r"de|/[a-z]{2,3}/|the|holdings? (?:inc|corp|ltd|plc))\.?)+$",
    re.IGNORECASE,
)
SHARE_CLASS = re.compile(r"\s*\((?:class|series|cl)\s+[a-z0-9]+\)|\s+(?:class|cl)\s+[a-z]$", re.I)

# Name words that say which GICS sector a company not in the S&P 500 belongs to. Only words that
# are nearly always right are here; the column ``sector_from`` says the sector came from the name.
NAME_SECTORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b(?:therapeutics|pharmaceuticals?|pharma|biosciences?|biotherapeutics|"
            r"biopharma(?:ceuticals)?|biotech(?:nology)?|oncology|biologics|genomics|"
            r"medical|diagnostics|healthcare|health)\b",
            re.I,
        ),
        "Health Care",
    ),
    (
        re.compile(
            r"\b(?:bancorp(?:oration)?|bancshares|bankshares|banc|bank|financial|insurance|"
            r"acquisition corp(?:oration)?|acquisition co|capital corp|bdc)\b",
            re.I,
        ),
        "Financials",
    ),
    (re.compile(r"\b(?:realty|reit|real estate|properties)\b", re.I), "Real Estate"),
    (re.compile(r"\b(?:semiconductors?|software)\b", re.I), "Information Technology"),
    (re.compile(r"\b(?:mining|minerals|gold|silver|lithium|copper)\b", re.I), "Materials"),
    (re.compile(r"\b(?:petroleum|oil|natural gas|midstream|drilling)\b", re.I), "Energy"),
)

# Well-known, heavily traded ETFs kept in the table (the listing files have ~5,600 ETFs; the
# rest would make the table large and are rarely named in news by anything but their ticker).
MAJOR_ETFS = frozenset(
    [
        "SPY",
        "IVV",
        "VOO",
        "VTI",
        "QQQ",
        "QQQM",
        "DIA",
        "IWM",
        "IWF",
        "IWD",
        "IWB",
        "IJH",
        "IJR",
        "MDY",
        "RSP",
        "VUG",
        "VTV",
        "VB",
        "VO",
        "VXUS",
        "VEA",
        "VWO",
        "EFA",
        "EEM",
        "IEFA",
        "IEMG",
        "ACWI",
        "VT",
        "SCHD",
        "VIG",
        "VYM",
        "DGRO",
        "SCHX",
        "SCHB",
        "SPLG",
        "XLK",
        "XLF",
        "XLE",
        "XLV",
        "XLI",
        "XLY",
        "XLP",
        "XLU",
        "XLB",
        "XLRE",
        "XLC",
        "SMH",
        "SOXX",
        "XBI",
        "IBB",
        "KRE",
        "KBE",
        "XOP",
        "XRT",
        "XHB",
        "ITB",
        "ITA",
        "XAR",
        "PPA",
        "JETS",
        "VNQ",
        "IYR",
        "GDX",
        "GDXJ",
        "GLD",
        "IAU",
        "SLV",
        "USO",
        "UNG",
        "DBC",
        "PDBC",
        "AGG",
        "BND",
        "BNDX",
        "TLT",
        "IEF",
        "SHY",
        "IEI",
        "GOVT",
        "BIL",
        "SGOV",
        "LQD",
        "HYG",
        "JNK",
        "EMB",
        "TIP",
        "MUB",
        "VCIT",
        "VCSH",
        "ARKK",
        "ARKG",
        "TQQQ",
        "SQQQ",
        "SPXL",
        "SPXS",
        "UPRO",
        "SH",
        "PSQ",
        "SDS",
        "SSO",
        "QLD",
        "UVXY",
        "VXX",
        "SVXY",
        "EWJ",
        "EWZ",
        "EWG",
        "EWU",
        "EWY",
        "EWT",
        "EWC",
        "EWA",
        "EWW",
        "FXI",
        "MCHI",
        "KWEB",
        "INDA",
        "ASHR",
        "IBIT",
        "FBTC",
        "GBTC",
        "ETHA",
        "BITO",
        "MTUM",
        "QUAL",
        "USMV",
        "VGT",
        "VHT",
        "VDE",
        "VFH",
        "VOX",
        "VPU",
        "VAW",
        "VIS",
        "VCR",
        "VDC",
        "IGV",
        "CIBR",
        "HACK",
        "SKYY",
        "BOTZ",
        "ICLN",
        "TAN",
        "LIT",
        "URA",
        "COPX",
        "SIL",
        "REMX",
    ]
)


@dataclass(slots=True)
class Row:
    ticker: str
    name: str = ""
    legal_name: str = ""
    exchange: str = ""
    cik: str = ""
    sector: str = ""
    industry: str = ""
    is_etf: str = ""
    sp500: str = ""
    rank: str = ""
    sector_from: str = ""


def norm_ticker(symbol: str) -> str:
    """One spelling of a symbol: upper case, share classes with a dot (BRK.B)."""
    return symbol.strip().upper().replace("-", ".").replace("/", ".")


def clean_legal_name(company: str, etf: bool = False) -> str:
    """A listing's company name without the security it describes ("… Common Stock")."""
    name = re.sub(r"\s+", " ", company).strip()
    if etf:
        return name
    name = re.sub(r"^d/b/a\s+|\s*\(d/b/a\)", "", name, flags=re.IGNORECASE)
    previous = None
    while previous != name:
        previous = name
        name = SECURITY_TAIL.sub("", name).strip(" ,-")
        name = GLUED_TAIL.sub("", name).strip(" ,-")
    return name or re.sub(r"\s+", " ", company).strip()


def short_name(legal: str) -> str:
    """The display name: the legal name without its legal form ("Apple Inc." → "Apple")."""
    name = SHARE_CLASS.sub("", legal).strip()
    # The S&P list writes some names index-style: "Lilly (Eli)", "Coca-Cola Company (The)".
    inverted = re.fullmatch(r"(.+?)\s+\(([^)]+)\)", name)
    if inverted and inverted.group(2).lower() != "the":
        name = f"{inverted.group(2)} {inverted.group(1)}"
    previous = None
    while previous != name:
        previous = name
        name = LEGAL_SUFFIX.sub("", name).strip(" ,.")
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    return name or legal


def nice_case(name: str) -> str:
    """EDGAR names are upper case ("NVIDIA CORP"); title-case them, keeping short acronyms."""
    if not name.isupper():
        return name
    words = []
    for word in name.split():
        core = re.sub(r"[^A-Za-z]", "", word)
        words.append(word if len(core) <= 3 and "&" not in word else word.capitalize())
    return " ".join(words)


def read_sec(kb: Path) -> tuple[dict[str, tuple[str, str, str]], dict[str, int]]:
    """Ticker → (cik, EDGAR name, exchange) and ticker → order in the SEC list (≈ size)."""
    data = json.loads((kb / "sec-company-tickers" / "company_tickers_exchange.json").read_text())
    by_ticker: dict[str, tuple[str, str, str]] = {}
    for cik, name, ticker, exchange in data["data"]:
        if ticker:
            by_ticker.setdefault(norm_ticker(ticker), (str(cik), str(name), str(exchange or "")))
    order: dict[str, int] = {}
    plain = json.loads((kb / "sec-company-tickers" / "company_tickers.json").read_text())
    for position, item in enumerate(plain.values(), start=1):
        ticker = norm_ticker(str(item["ticker"]))
        order.setdefault(ticker, position)
        by_ticker.setdefault(ticker, (str(item["cik_str"]), str(item["title"]), ""))
    return by_ticker, order


def read_listings(kb: Path) -> dict[str, Row]:
    """Common stocks and major ETFs of the NASDAQ and NYSE/other listing files."""
    rows: dict[str, Row] = {}
    nasdaq = kb / "nasdaq-listings" / "nasdaq-listed-symbols.csv"
    with nasdaq.open(encoding="utf-8", newline="") as handle:
        for item in csv.DictReader(handle):
            symbol = (item.get("Symbol") or "").strip()
            if not symbol or item.get("Test Issue") != "N" or "File Creation" in symbol:
                continue
            etf = item.get("ETF") == "Y"
            if not keep_security(symbol, item.get("Security Name") or "", etf):
                continue
            legal = clean_legal_name(item.get("Company Name") or item["Security Name"], etf)
            ticker = norm_ticker(symbol)
            rows[ticker] = Row(
                ticker, legal_name=legal, exchange="NASDAQ", is_etf="1" if etf else ""
            )
    other = kb / "nyse-other-listings" / "other-listed.csv"
    with other.open(encoding="utf-8", newline="") as handle:
        for item in csv.DictReader(handle):
            symbol = (item.get("ACT Symbol") or "").strip()
            if not symbol or item.get("Test Issue") != "N":
                continue
            if not re.fullmatch(r"[A-Z]{1,5}(?:\.[A-Z])?", symbol):
                continue  # "ABR$D" and the like are preferreds, "X.W" / "X.U" warrants, units
            etf = item.get("ETF") == "Y"
            security = item.get("Security Name") or ""
            if not keep_security(symbol, security, etf):
                continue
            # The company column is sometimes cut short ("Coca"); the security name is not.
            legal = max(
                clean_legal_name(item.get("Company Name") or security, etf),
                clean_legal_name(security, etf),
                key=len,
            )
            ticker = norm_ticker(symbol)
            exchange = OTHER_EXCHANGES.get(item.get("Exchange") or "", "")
            rows.setdefault(
                ticker, Row(ticker, legal_name=legal, exchange=exchange, is_etf="1" if etf else "")
            )
    return rows


def keep_security(symbol: str, security: str, etf: bool) -> bool:
    if etf:
        return norm_ticker(symbol) in MAJOR_ETFS
    tail = security.rsplit(" - ", 1)[-1]
    return not NOT_COMMON.search(tail) and not NOT_COMMON.search(security)


def derive_sector(name: str) -> str:
    for pattern, sector in NAME_SECTORS:
        if pattern.search(name):
            return sector
    return ""


def build_rows(kb: Path) -> list[Row]:
    sec, order = read_sec(kb)
    rows = read_listings(kb)
    with (kb / "sp500" / "constituents.csv").open(encoding="utf-8", newline="") as handle:
        for item in csv.DictReader(handle):
            ticker = norm_ticker(item["Symbol"])
            row = rows.setdefault(ticker, Row(ticker))
            row.sp500 = "1"
            row.name = short_name(item["Security"].strip())
            row.sector = item["GICS Sector"].strip()
            row.industry = item["GICS Sub-Industry"].strip()
            row.sector_from = "gics"
            if item.get("CIK"):
                row.cik = str(int(item["CIK"]))
    for ticker, row in rows.items():
        cik, edgar, exchange = sec.get(ticker, ("", "", ""))
        row.cik = row.cik or cik
        row.rank = str(order[ticker]) if ticker in order else ""
        if not row.legal_name:
            row.legal_name = nice_case(edgar) or ticker
        if not row.exchange and exchange:
            row.exchange = {"Nasdaq": "NASDAQ", "CBOE": "Cboe BZX"}.get(exchange, exchange)
        if not row.name:
            row.name = short_name(row.legal_name)
        if not row.sector and not row.is_etf:
            row.sector = derive_sector(row.legal_name)
            row.sector_from = "name" if row.sector else ""
    return sorted(rows.values(), key=lambda r: r.ticker)


def write_rows(rows: list[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(getattr(row, f.name) for f in fields(Row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, required=True, help="folder of us-company-kb")
    parser.add_argument("--out", type=Path, default=OUT / "companies.csv")
    args = parser.parse_args(argv)
    if not (args.kb / "sp500" / "constituents.csv").exists():
        print(f"{args.kb}: not a us-company-kb folder (no sp500/constituents.csv)", file=sys.stderr)
        return 2
    rows = build_rows(args.kb)
    write_rows(rows, args.out)
    etfs = sum(1 for r in rows if r.is_etf)
    members = sum(1 for r in rows if r.sp500)
    size = args.out.stat().st_size
    print(f"{args.out}: {len(rows)} rows ({etfs} ETFs, {members} S&P 500), {size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
