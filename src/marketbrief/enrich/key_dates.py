"""Find the time expressions of an English news text and normalise them to TimeML TIMEX3 values.

``tag_key_dates(text, published_at)`` returns one ``KeyDate`` per time expression, in text order:
explicit dates ("Feb. 3", "June 24, 2025", "2025-06-24", "3/14/2025"), years, months, quarters,
halves, seasons, decades, weekdays, relative days and periods ("yesterday", "last week",
"earlier this month", "this summer", "fiscal 2026"), clock times ("3 p.m.", "Tuesday morning"),
durations ("three years", "the past six months") and sets ("every week", "annually"). Values
follow TimeML/TempEval-3 (TIMEX3) conventions and are resolved against the publication date (the
document creation time, DCT): an underspecified month or weekday is placed by the tense of its
clause ("said on Tuesday" → the past Tuesday, "will meet on Tuesday" → the next one), "a year
earlier" and "the quarter" by the last date the text mentioned. Without a publication date,
values that need one stay underspecified ("Tuesday" → ``XXXX-WXX-2``). Given the fiscal year of
the company a text is about (``fiscal_year_for(ticker)``, from ``data/fiscal_years.toml``),
fiscal years, quarters and halves cover that company's months.

The grammar is an ordered list of precompiled rules (most specific first), each with a
normaliser. The text is not scanned rule by rule: one pass finds the words an expression can hinge
on (month, unit, weekday, number, …), and the rules are tried only from the start of the phrase
in front of each such word. The words it uses are data, in
``data/timex_words.toml``. Pure: no I/O after import, no clock.
"""

from __future__ import annotations

import bisect
import importlib
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any, Final

import ahocorasick

from marketbrief.model import KeyDate, Span

__all__ = ["FiscalYear", "fiscal_year_for", "tag_key_dates"]

# ── vocabulary ────────────────────────────────────────────────────────────────────────────────


def _load_words() -> dict[str, Any]:
    raw = resources.files("marketbrief.enrich").joinpath("data/timex_words.toml").read_text("utf-8")
    return tomllib.loads(raw)


_WORDS: Final = _load_words()
_MONTHS: Final[dict[str, int]] = dict(_WORDS["months"])
_WEEKDAYS: Final[dict[str, int]] = dict(_WORDS["weekdays"])
_NUMBERS: Final[dict[str, int]] = dict(_WORDS["numbers"])
_VAGUE: Final[dict[str, int]] = dict(_WORDS["vague_counts"])
_ORDINALS: Final[dict[str, int]] = dict(_WORDS["ordinals"])
_UNITS: Final[dict[str, str]] = dict(_WORDS["units"])
_SEASONS: Final[dict[str, str]] = dict(_WORDS["seasons"])
_DAY_PARTS: Final[dict[str, str]] = dict(_WORDS["day_parts"])
_ZONES: Final[list[str]] = [z.lower() for z in _WORDS["time_zones"]["names"]]
_REFS: Final[dict[str, list[str]]] = dict(_WORDS["references"])
_COUNT_NOUNS: Final[list[str]] = list(_WORDS["count_nouns"]["words"])
_HOLIDAYS: Final[list[dict[str, Any]]] = list(_WORDS["holidays"])

_HOLIDAY_BY_NAME: Final[dict[str, dict[str, Any]]] = {
    name: rule for rule in _HOLIDAYS for name in rule["names"]
}
_REF_VALUE: Final[dict[str, str]] = {
    phrase: value
    for kind, value in (("present", "PRESENT_REF"), ("past", "PAST_REF"), ("future", "FUTURE_REF"))
    for phrase in _REFS[kind]
}


def _alt(words: Iterable[str]) -> str:
    """A regex for a set of lower-case words, as a trie so a miss costs one character test.

    At a node that ends a word and also continues, the continuation is tried first (greedy),
    so the longest word wins. A space inside a phrase matches any run of white space.
    """
    trie: dict[str, Any] = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        kids = [
            (r"\s+" if ch == " " else re.escape(ch)) + emit(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not kids:
            return ""
        body = kids[0] if len(kids) == 1 else "(?:" + "|".join(kids) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return f"(?:{emit(trie)})"


_MONTH_FULL = [w for w in _MONTHS if len(w) > 4 or w in ("may", "june", "july")]
_MONTH_ABBR = [w for w in _MONTHS if w not in _MONTH_FULL]
# Before a day or a year any spelling will do; alone, an abbreviation needs its period. The
# normalisers check that month and weekday names are capitalised in the original text.
_MONTH_D = _alt([*_MONTH_FULL, *_MONTH_ABBR, *(w + "." for w in _MONTH_ABBR)])
_MONTH_B = _alt([*_MONTH_FULL, *(w + "." for w in _MONTH_ABBR)])
_WD_FULL = [w for w in _WEEKDAYS if w.endswith("day")]
_WD_ABBR = [w for w in _WEEKDAYS if not w.endswith("day") and w not in ("mon", "sat", "sun")]
_WEEKDAY = _alt([*_WD_FULL, *(w + "." for w in _WD_ABBR)])
_WEEKDAY_D = _alt([*_WD_FULL, *(w + "." for w in _WEEKDAYS if not w.endswith("day"))])

_DIGIT_WORDS = [w for w, n in _NUMBERS.items() if 1 <= n <= 9]
_TEEN_WORDS = [w for w, n in _NUMBERS.items() if 10 <= n <= 19]
_TENS_WORDS = [w for w, n in _NUMBERS.items() if n >= 20 and n % 10 == 0 and n < 100]
_NUM_WORD = (
    f"(?:{_alt(_TENS_WORDS)}(?:[\\s-]{_alt(_DIGIT_WORDS)})?|(?:a\\s+|one\\s+)?hundred"
    f"|a\\s+dozen|{_alt(w for w, n in _NUMBERS.items() if n < 20 or w == 'dozen')})"
)
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s+1/2|\s*½|-and-a-half)?"
_COUNT = (
    f"(?:{_NUMBER}|{_NUM_WORD}(?:\\s+and\\s+a\\s+half)?|half\\s+an?|{_alt([*_VAGUE, 'a', 'an'])})"
)


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "o", "u"):
        return word[:-1] + "ies"  # century → centuries (but day → days)
    if word.endswith("um"):
        return word[:-2] + "a"  # millennium → millennia
    return word + "s"


_UNIT_FORMS: Final[dict[str, str]] = {
    **{w: w for w in _UNITS},
    **{_plural(w): w for w in _UNITS},
}
_UNIT = _alt(_UNIT_FORMS)
_ORDINAL = f"(?:{_alt(_ORDINALS)}|(?:[1-9]|[12]\\d|3[01])(?:st|nd|rd|th))"
_ZONE = _alt(_ZONES)

# A year: 1700–2099 with nothing number-like around it; not a count of things ("2000 workers").
_YEAR = (
    r"(?<![\w$£€¥#.,/])(?<!\d-\d{3}-)(?:1[7-9]\d\d|20\d\d)(?![\w%]|[.,]\d|/\d|:\d)"
    f"(?!\\s+{_alt(_COUNT_NOUNS)}\\b)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\w%]|[.,:/]\d|\s*(?:%|percent\b|[ap]\.?m\b))"
_DAY_WORD = _alt(w for w, n in _ORDINALS.items() if n <= 31)
_APPROX = _alt(
    [
        "about", "around", "approximately", "roughly", "nearly", "almost", "some", "more than",
        "less than", "fewer than", "at least", "at most", "up to", "over", "under", "just over",
        "just under", "close to", "upwards of", "as many as", "as much as", "as long as",
        "no more than", "barely", "only", "just",
    ]
)  # fmt: skip
_EDGE = _alt(
    [
        "early", "late", "mid", "middle", "the end of", "the beginning of", "the start of",
        "the middle of", "the first part of", "the latter part of", "the last part of",
        "the rest of", "the remainder of", "the balance of", "the close of", "the turn of",
    ]
)  # fmt: skip
_END = r"(?![\w])"
_YEAR_REL = _alt(
    [
        "this year", "last year", "next year", "the previous year", "the prior year",
        "the following year", "a year ago", "a year earlier",
    ]
)  # fmt: skip

# ── fiscal years ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class FiscalYear:
    """When a company's fiscal year ends and which year names it.

    ``end_month`` is the month the fiscal year ends in (a 52/53-week year that ends on the
    Saturday or Sunday nearest a month's end counts as ending in that month); with
    ``named_for_end`` "fiscal 2025" is the year that ends in 2025 (Apple, Microsoft, Nvidia,
    Walmart), without it the year that begins in 2025 (Home Depot, Target: fiscal 2024 ended
    on Feb. 2, 2025). Ranges are whole months.
    """

    end_month: int = 12
    named_for_end: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.end_month <= 12:
            raise ValueError(f"end_month must be 1-12, not {self.end_month}")

    def label_of(self, day: date) -> int:
        """The fiscal year ``day`` falls in, as the company names it."""
        end_year = day.year if day.month <= self.end_month else day.year + 1
        return end_year if self.named_for_end else end_year - 1

    def part_of(self, day: date, months: int) -> int:
        """Which quarter (``months`` 3) or half (6) of its fiscal year ``day`` falls in."""
        y, m = self._first_month(self.label_of(day))
        return ((day.year * 12 + day.month - 1) - (y * 12 + m - 1)) // months + 1

    def days(self, label: int, first: int = 0, months: int = 12) -> tuple[date, date]:
        """First and last day of ``months`` months from month ``first`` of fiscal ``label``."""
        y, m = _add_months(*self._first_month(label), first)
        last_y, last_m = _add_months(y, m, months - 1)
        return date(y, m, 1), _month_end(last_y, last_m)

    def _first_month(self, label: int) -> tuple[int, int]:
        end_year = label if self.named_for_end else label + 1
        return _add_months(end_year, self.end_month, -11)


def _load_fiscal_years() -> dict[str, FiscalYear]:
    path = resources.files("marketbrief.enrich").joinpath("data/fiscal_years.toml")
    raw = tomllib.loads(path.read_text("utf-8"))
    return {
        ticker.upper(): FiscalYear(int(row["end_month"]), row.get("named_for", "end") == "end")
        for ticker, row in raw["companies"].items()
    }


_FISCAL_YEARS: Final = _load_fiscal_years()
_CALENDAR: Final = FiscalYear()


def fiscal_year_for(ticker: str | None) -> FiscalYear | None:
    """The fiscal year of a listed company whose fiscal year is not the calendar year (from
    ``data/fiscal_years.toml``), or None: unknown, or the calendar year."""
    return _FISCAL_YEARS.get(ticker.upper()) if ticker else None


# ── rules: (name, pattern) over lower-cased text. At one start the first rule that fits wins. ──

_RULES: Final[tuple[tuple[str, str], ...]] = (
    # "5 p.m. EST Nov. 9", "9 a.m. Tuesday", "noon Thursday", "mid-afternoon yesterday"
    (
        "clock_day",
        r"(?:(?P<approx>around|about|at\s+about|shortly\s+(?:after|before)|just\s+(?:after"
        r"|before))\s+)?"
        r"(?P<clock>(?P<h>\d{1,2})(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ap>[ap]\.?\s?m\b\.?)|noon|midnight"
        r"|midday|(?P<part>mid-?afternoon|morning|afternoon|evening))"
        f"(?:\\s+(?P<tz>{_ZONE}))?,?\\s+(?:on\\s+)?"
        f"(?P<day>{_WEEKDAY}|today|yesterday|tomorrow|{_MONTH_D}\\s*{_DAY}(?:,?\\s+{_YEAR})?)"
        f"{_END}",
    ),
    # "Monday, Oct. 26", "June 24, 2025", "Sept. 27, 1989", "this coming Sunday, March eighth"
    (
        "month_day",
        r"(?:(?P<wdet>this\s+coming|this|next|last)\s+)?"
        f"(?:(?P<wd>{_WEEKDAY_D}),?\\s+(?:the\\s+)?)?"
        f"(?P<month>{_MONTH_D})\\s*(?P<day>{_DAY}|{_DAY_WORD}{_END})"
        f"(?:\\s*[-–]\\s*(?P<day2>{_DAY})|\\s+(?:to|through)\\s+(?P<day3>{_DAY}))?"
        f"(?:,?\\s+(?P<year>{_YEAR}))?"
        r"(?!\s*-\s*\d|\s+(?:to|and|or|through)\s+\d)",
    ),
    # "24 June 2025", "the 24th of June", "Friday, 13 June"
    (
        "day_month",
        f"(?:(?P<wd>{_WEEKDAY_D}),?\\s+)?(?:the\\s+)?(?P<day>{_DAY}|{_DAY_WORD})(?:\\s+of)?\\s+"
        f"(?P<month>{_MONTH_D}){_END}(?:,?\\s+(?P<year>{_YEAR}))?",
    ),
    # "2025-06-24", "2025-06-24T15:30"
    (
        "iso",
        r"(?<![\w.-])(?P<y>1[7-9]\d\d|20\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])"
        r"(?:[t ](?P<h>[01]\d|2[0-3]):(?P<mi>[0-5]\d)(?::[0-5]\d)?)?(?![\w-]|:\d)",
    ),
    # "3/14/2025", "11/02/89"
    (
        "slash",
        r"(?<![\w./-])(?P<m>1[0-2]|0?[1-9])/(?P<d>[12]\d|3[01]|0?[1-9])/(?P<y>(?:19|20)\d\d|\d\d)"
        r"(?![\w/]|[.,]\d)",
    ),
    # "Q4 2025", "4Q25", "fiscal Q2", "Q3"
    (
        "q_code",
        r"(?:(?P<fy>fiscal|fy)(?:\s*['’]?(?P<y0>(?:19|20)\d\d|\d\d)(?!\d))?[\s-]*)?"
        r"(?:q(?P<q>[1-4])|(?P<q2>[1-4])q)"
        r"(?:\s+(?:of\s+)?(?P<fy2>fiscal(?:\s+year)?|fy)\s*['’]?(?P<y2>(?:19|20)\d\d|\d\d)(?!\d)"
        r"|[\s'’-]*(?P<y>(?:19|20)\d\d|\d\d)(?!\d))?(?![\w])",
    ),
    # "the third quarter of 1984", "this year's third quarter", "fiscal second-quarter",
    # "the year-ago third quarter", "the 1988 second quarter"; "the second and fourth quarters"
    (
        "quarter",
        r"(?:(?P<edge>early|late|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of"
        r"|the\s+middle\s+of)\s+)?"
        r"(?:(?P<the>the|its|their|a|this|that)\s+)?"
        r"(?:(?P<fiscal0>fiscal)\s+(?=\d))?"
        f"(?:(?P<yq>{_YEAR}|this\\s+year's|last\\s+year's|next\\s+year's|year-ago|year-earlier"
        r"|year-before|comparable|corresponding|same|current)\s+)?"
        r"(?:(?P<fiscal>fiscal|calendar)[\s-]+)?"
        r"(?P<q>first|second|third|fourth|final|1st|2nd|3rd|4th)[\s-]+quarter(?P<pl>s)?"
        r"(?:\s+(?:of|in)\s+(?:(?P<fiscal2>fiscal|calendar)\s+(?:year\s+)?)?"
        f"(?P<year>{_YEAR}|{_YEAR_REL}))?"
        f"(?:\\s+(?P<yafter>{_YEAR}))?{_END}",
    ),
    # "the September quarter", "its December-quarter results": a quarter named by its last month
    (
        "month_quarter",
        r"(?:(?P<the>the|its|their|this|that)\s+)?"
        f"(?P<month>{_MONTH_B})(?:\\s+(?P<year>{_YEAR}))?[\\s-]+quarter{_END}",
    ),
    # "the first half of 2025", "the second half", "first-half", "H1 2025", "1H25"
    (
        "half",
        r"(?:(?P<the>the)\s+)?"
        f"(?:(?P<yq>{_YEAR}|this\\s+year's|last\\s+year's|next\\s+year's|fiscal)\\s+)?"
        r"(?:(?P<h>first|second|1st|2nd|back|latter|front|last)[\s-]+half"
        r"(?:\s+of\s+(?:the\s+)?(?:(?P<fiscal2>fiscal|calendar)\s+)?"
        f"(?P<year>{_YEAR}|{_YEAR_REL}|year|decade|century))?"
        r"|h(?P<hc>[12])|(?P<hc2>[12])h)(?:[\s'’-]*(?P<y>(?:19|20)\d\d|\d\d)(?!\d))?(?![\w])",
    ),
    # "the first nine months", "the six months", "the year-earlier nine months"
    (
        "months_period",
        r"(?:the\s+)?(?:(?P<which>first|latest|last|past|year-earlier|year-ago|same"
        r"|comparable)\s+)?"
        r"(?P<n>three|six|nine|twelve|3|6|9|12)\s+months"
        f"(?:\\s+(?:of|ended|ending|through|to)\\s+(?P<year>{_YEAR}))?{_END}",
    ),
    # "the latest quarter", "the year-ago period", "the 1988 period", "the quarter"
    (
        "period",
        r"(?P<the>the|this|that|its|a)\s+"
        r"(?P<which>(?:(?:latest|current|most\s+recent|recent|previous|prior|same|comparable"
        r"|corresponding"
        r"|year-ago|year-earlier|year\s+ago|year\s+earlier|latest\s+fiscal|fiscal|full|entire|whole"
        r"|just-ended|just\s+ended|just-completed|latest\s+reporting|reporting)\s+)*"
        f"(?:(?P<year>{_YEAR})\\s+)?)"
        r"(?P<what>quarter|period|fiscal\s+year|year|month|week|season)"
        r"(?P<ago>\s+a\s+year\s+(?:ago|earlier)|\s+last\s+year)?"
        f"(?:(?=\\s+(?:(?:that|which)\\s+)?(?:ended|ending)\\s+(?P<ended>{_MONTH_D})))?"
        r"(?![\w-]|\s+(?:of|before|after|to\s+date|high|low|ago|earlier|later)\b)",
    ),
    # "the 1980s", "the early '90s", "the nineties", "mid-1990s"
    (
        "decade",
        r"(?:(?P<the>the)\s+)?(?:(?P<edge>early|late|mid|middle)[\s-]+)?"
        r"(?:(?P<y4>1[5-9]\d0|20\d0)'?s|['’](?P<y2>\d0)'?s|(?P<y2b>[2-9]0)'s"
        r"|(?P<w>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties))(?![\w])",
    ),
    # "the 20th century", "the twenty-first century"
    (
        "century",
        r"(?:(?P<the>the)\s+)?(?:(?P<edge>early|late|mid|middle)[\s-]+)?"
        f"(?P<ord>{_ORDINAL}|this|last|next|the\\s+last|the\\s+next|the\\s+past)\\s+century{_END}",
    ),
    # "the summer of 1994", "this summer", "last fall", "early summer"
    (
        "season",
        f"(?:(?P<edge>{_EDGE})[\\s-]+)?"
        r"(?:(?P<det>the|this|last|next|this\s+past|this\s+coming|the\s+past|the\s+coming"
        r"|the\s+previous"
        r"|the\s+following|the\s+upcoming|the\s+latest|coming|past|previous|upcoming)\s+)?"
        f"(?:(?P<yb>{_YEAR})(?:'s)?\\s+)?"
        f"(?P<season>{_alt(_SEASONS)})"
        f"(?:,?\\s+(?:of\\s+)?(?P<year>{_YEAR}|{_YEAR_REL}))?{_END}",
    ),
    # "last week", "earlier this month", "early next year", "the past year", "this quarter"
    (
        "relative",
        f"(?:(?P<edge>{_EDGE}|earlier|later)\\s+)?"
        r"(?P<det>the\s+past|the\s+last|the\s+previous|the\s+prior|the\s+next|the\s+coming"
        r"|the\s+following"
        r"|the\s+current|the\s+present|the\s+upcoming|this\s+past|this\s+coming|last|this|next|past"
        r"|coming"
        r"|previous|current|upcoming|the(?=\s+weekend))\s+"
        r"(?P<unit>week(?:end)?|month|quarter|year|fiscal\s+year|calendar\s+year|decade"
        r"|(?:few|several)\s+(?:days|weeks|months|years|quarters)|days|weeks|months|years|quarters)"
        r"(?![\w-]|\s+(?:or\s+two|ago|earlier)\b)",
    ),
    # "year-end", "the end of the year", "the end of the month"
    (
        "period_end",
        r"(?:(?P<w1>year|month|quarter)[\s-]?end|(?P<w4>week)[\s-]end|(?P<w2>year|month|quarter|week)'s\s+end"
        r"|the\s+end\s+of\s+the\s+(?P<w3>year|month|quarter|week))(?![\w-])",
    ),
    # "fiscal 1989", "mid-1996", "the end of 1990", "FY2026", "fiscal '26"
    (
        "year",
        f"(?:(?P<edge>{_EDGE}|pre|post)[\\s-]+)?"
        r"(?:(?P<fy>fiscal(?:\s+year)?|fy|calendar(?:\s+year)?|model\s+year|the\s+year"
        r"|the\s+class\s+of"
        r"|the\s+(?:fiscal|calendar)\s+year)[\s-]*)?"
        f"(?:(?P<year>{_YEAR})|(?<=fy)(?P<yy>\\d\\d)(?!\\d)"
        f"|(?<=fiscal\\s)['’](?P<yy2>\\d\\d)(?!\\d))"
        r"(?P<fy2>\s+fiscal\s+year)?",
    ),
    # spoken years: "nineteen ninety-six", "the year two thousand"
    (
        "spoken_year",
        r"(?:(?P<the>the\s+year)\s+)?(?:(?P<cent>nineteen|twenty)[\s-]+"
        f"(?P<rest>{_alt(_TENS_WORDS)}(?:[\\s-]{_alt(_DIGIT_WORDS)})?|{_alt(_TEEN_WORDS)}|hundred)"
        f"|two\\s+thousand(?:\\s+and)?(?:[\\s-](?P<rest2>{_alt([*_DIGIT_WORDS, *_TEEN_WORDS])}))?)"
        f"{_END}",
    ),
    # "April 1949", "June last year", "January this year", "late November", "last April"
    (
        "month",
        f"(?:(?P<edge>{_EDGE})[\\s-]+)?"
        r"(?:(?P<det>last|next|this\s+past|this\s+coming|this|the\s+following|the\s+previous"
        r"|the\s+same)\s+)?"
        f"(?P<month>{_MONTH_B}){_END}"
        f"(?:(?:,?\\s+(?:of\\s+)?(?P<year>{_YEAR}))|\\s+(?P<yrel>{_YEAR_REL}))?",
    ),
    # "21 years ago", "a year earlier", "three days later", "two weeks from now"
    (
        "ago",
        f"(?:(?P<approx>{_APPROX})\\s+)?(?P<num>{_COUNT})[\\s-]+(?P<unit>{_UNIT})"
        r"(?:\s+or\s+so)?\s+(?P<dir>ago|earlier|later|before|after|from\s+now|hence|back|since)"
        r"(?!\w|\s+(?:the|a|an|his|her|its|their|this|that|it|he|she|they|we|i)\b|\s*[,.]?\s*\d)",
    ),
    # "year-earlier", "year-ago" (an adjective that dates a comparison)
    ("year_ago", r"(?P<w>year-(?:earlier|ago|before)|year\s+earlier)(?![\w-])"),
    # "Thanksgiving Day", "last Christmas", "Easter 2025"
    (
        "holiday",
        r"(?:(?P<det>last|next|this|this\s+past|this\s+coming)\s+)?"
        f"(?P<name>{_alt(_HOLIDAY_BY_NAME)})(?:,?\\s+(?P<year>{_YEAR}))?(?![\\w'’-])",
    ),
    # "this morning", "Friday night", "yesterday afternoon", "tonight", "last night"
    (
        "day_part",
        r"(?:(?P<edge>early|late|earlier|later|mid)[\s-]+)?"
        f"(?:(?P<day>{_WEEKDAY}|today|yesterday|tomorrow|this|last|the\\s+next|the\\s+following"
        r"|the\s+previous|that|the\s+same)\s+(?P<part>morning|afternoon|evening|night)(?P<pl>s)?"
        r"|(?P<tonight>tonight|overnight)"
        f"|(?P<part2>mid-?afternoon|morning|afternoon|evening|night)\\s+"
        f"(?P<day2>{_WEEKDAY}|yesterday|today|tomorrow)){_END}",
    ),
    # "3 p.m.", "10:35 a.m. EDT", "noon", "4 in the morning"
    (
        "clock",
        r"(?:(?P<approx>around|about|at\s+about|shortly\s+(?:after|before)|just\s+(?:after"
        r"|before))\s+)?"
        r"(?:(?P<h>\d{1,2})(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ap>[ap]\.?\s?m\b\.?)"
        r"|(?P<h24>[01]?\d|2[0-3]):(?P<mi24>[0-5]\d)(?![\d:])"
        r"|(?P<hw>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
        r"\s+(?:o'clock\s+)?in\s+the\s+(?P<inpart>morning|afternoon|evening)"
        r"|(?P<named>noon|midnight|midday))"
        f"(?:\\s+(?P<tz>{_ZONE}))?(?![\\w])",
    ),
    # "early Tuesday", "last Friday", "Mondays"
    (
        "weekday",
        r"(?:(?P<edge>early|late|earlier|later)\s+)?"
        r"(?:(?P<det>last|next|this\s+past|this\s+coming|this|the\s+previous|the\s+following"
        r"|the\s+next"
        r"|that|the\s+same|every|each)\s+)?"
        f"(?P<wd>{_WEEKDAY})(?P<pl>s(?![\\w']))?(?!\\w)",
    ),
    # "today", "late yesterday", "the day before yesterday"
    (
        "deictic",
        r"(?:(?P<edge>early|late|earlier|later)\s+)?(?:the\s+day\s+(?P<rel>before|after)\s+)?"
        r"(?P<w>today|yesterday|tomorrow)(?![\w-])",
    ),
    # "the same day", "the following year", "that day", "the next day"
    (
        "anaphor",
        r"(?P<det>that\s+same|the\s+same|that|the\s+following|the\s+next|the\s+previous|the\s+prior"
        r"|later\s+that|earlier\s+that)\s+(?P<unit>day|year|month|week)(?![\w-])",
    ),
    # "every week", "each Thursday", "twice a year", "daily", "annually"
    (
        "set",
        r"(?:(?P<every>every|each)\s+(?:(?P<other>other|single)\s+)?"
        f"(?:(?P<unit>{_UNIT})|(?P<wd>{_WEEKDAY})|(?P<month>{_MONTH_B})"
        f"|(?P<season>{_alt(_SEASONS)})"
        r"|(?P<part>morning|afternoon|evening|night|weekend))(?!\w)"
        r"|(?P<times>once|twice|three\s+times|four\s+times|\d+\s+times)\s+(?:a|an|per|each"
        r"|every)\s+"
        f"(?P<unit2>{_UNIT})"
        r"|(?P<adv>daily|weekly|monthly|quarterly|annually|yearly|hourly|nightly|biweekly|bimonthly"
        r"|semiannually|semi-annually|biannually|year-round|around\s+the\s+clock))(?![\w-])",
    ),
    # "recent weeks", "the coming months", "the weeks ahead"
    (
        "vague_period",
        r"(?:(?P<the>the)\s+)?(?P<det>recent|coming|next\s+few|past\s+few|last\s+few|past\s+several"
        r"|last\s+several|next\s+several)\s+(?P<unit>days|weeks|months|years|quarters|decades"
        r"|sessions)"
        r"(?!\w)|(?:the\s+)?(?P<unit2>days|weeks|months|years|quarters)\s+(?P<ahead>ahead"
        r"|to\s+come)(?!\w)",
    ),
    # "three years", "the past six months", "a 90-day", "5 1/2 hours", "two to three weeks"
    (
        "duration",
        r"(?:(?P<the>the|a|an|each\s+of\s+the)\s+)?"
        f"(?:(?P<approx>{_APPROX})\\s+)?"
        r"(?:(?P<dir>past|last|next|first|coming|previous|following|final|initial|latest|additional"
        r"|further|remaining|ensuing|succeeding|preceding|entire|whole|full"
        r"|better\s+part\s+of\s+(?:a|the))"
        r"\s+)?"
        f"(?P<num>{_COUNT})(?:\\s*(?:-|to|or|and)\\s*(?P<num2>{_COUNT}))?"
        r"(?:\s+(?P<extra>more|additional|straight|consecutive|full|trading|business|calendar"
        r"|working"
        r"|extra|further))?"
        f"[\\s-]+(?P<unit>{_UNIT})(?P<half>\\s+and\\s+a\\s+half)?(?P<adj>-long|-old|-plus)?"
        r"(?:\s+(?:or\s+so|or\s+more|or\s+longer|plus)|\s+(?:more|longer))?"
        r"(?P<per>\s+(?:period|span|stretch|term))?(?![\w-])",
    ),
    # "now", "currently", "recently", "the future", "soon"
    (
        "ref",
        f"(?P<ref>{_alt(_REF_VALUE)}|(?P<adj>recent|current|future)(?=\\s+\\w))(?![\\w-])",
    ),
    # a bare unit that is a duration of unknown length: "for years", "in months", "decades"
    ("bare_units", r"(?P<unit>years|months|weeks|days|decades|hours|minutes|centuries)(?![\w-])"),
)


def _compile_rule(pattern: str) -> tuple[re.Pattern[str], frozenset[str] | None]:
    """The rule compiled to match where no word goes on before it, and the characters a match
    can begin with (None when any could).

    Both come from one parse tree of the ``re`` module (a private API, so any surprise falls
    back on ``re.compile`` and None: the rule is then tried everywhere, slower but correct).
    """
    body = f"(?<![\\w'’])(?:{pattern})"
    try:
        tree = importlib.import_module("re._parser").parse(body)
        compiled: re.Pattern[str] = importlib.import_module("re._compiler").compile(tree)
    except Exception:  # a changed private API must not break tagging
        return re.compile(body), None
    try:
        chars, _ = _first_of(list(tree))
    except Exception:
        return compiled, None
    return compiled, None if chars is None else frozenset(chars)


def _first_of(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """(first characters or None for any, whether the sequence can match the empty string)."""
    acc: set[str] = set()
    for op, av in items:
        chars, nullable = _first_of_item(getattr(op, "name", ""), av)
        if chars is None:
            return None, False
        acc |= chars
        if not nullable:
            return acc, False
    return acc, True


def _first_of_item(name: str, av: Any) -> tuple[set[str] | None, bool]:
    if name == "LITERAL":
        return {chr(av)}, False
    if name == "IN":
        chars: set[str] = set()
        for op, arg in av:
            kind = getattr(op, "name", "")
            if kind == "LITERAL":
                chars.add(chr(arg))
            elif kind == "RANGE":
                chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
            elif kind == "CATEGORY" and getattr(arg, "name", "") == "CATEGORY_DIGIT":
                chars.update("0123456789")
            elif kind == "CATEGORY" and getattr(arg, "name", "") == "CATEGORY_SPACE":
                chars.update(" \t\n\r\f\v")
            else:
                return None, False
        return chars, False
    if name == "BRANCH":
        union: set[str] = set()
        empty = False
        for alternative in av[1]:
            chars_b, nullable = _first_of(list(alternative))
            if chars_b is None:
                return None, False
            union |= chars_b
            empty = empty or nullable
        return union, empty
    if name == "SUBPATTERN":
        return _first_of(list(av[3]))
    if name == "ATOMIC_GROUP":
        return _first_of(list(av))
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        chars_r, nullable = _first_of(list(av[2]))
        return chars_r, nullable or av[0] == 0
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return set(), True
    return None, False


_COMPILED_RULES: Final = tuple((name, *_compile_rule(pattern)) for name, pattern in _RULES)
_COMPILED: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (name, compiled) for name, compiled, _ in _COMPILED_RULES
)
_FIRSTS: Final = tuple(first for _, _, first in _COMPILED_RULES)
_START_CHARS: Final = "abcdefghijklmnopqrstuvwxyz0123456789'’"
# For each character a candidate can start with, the rules that can start there, in order. (A
# combined "does any rule match here" alternation per character was tried as a quick reject: it
# saved nothing per candidate and cost a second of compiling, its patterns being huge.)
_RULES_BY_FIRST: Final[dict[str, tuple[tuple[str, re.Pattern[str]], ...]]] = {
    ch: tuple(
        rule for rule, first in zip(_COMPILED, _FIRSTS, strict=True) if first is None or ch in first
    )
    for ch in _START_CHARS
}


# Words an expression can hinge on: the scan stops only at these (and at numbers), then tries the
# rules from the start of the phrase in front ("the past three" + "years").
_MULTIWORD = [*_REF_VALUE, *_HOLIDAY_BY_NAME]
_TRIGGER_WORDS: Final = frozenset(
    {
        *_MONTHS,
        *_WEEKDAYS,
        *_UNIT_FORMS,
        *_SEASONS,
        *(w.split()[-1].split("-")[-1] for w in _DAY_PARTS),
        *(p.split()[-1] for p in _REF_VALUE),
        *(n.split()[-1] for n in _HOLIDAY_BY_NAME),
        "today", "yesterday", "tomorrow", "tonight", "overnight", "noon", "midnight", "midday",
        "weekend", "half", "period", "fy", "q1", "q2", "q3", "q4", "h1", "h2", "nineteen",
        "thousand", "twenties", "thirties", "forties", "fifties", "sixties", "seventies",
        "eighties", "nineties", "daily", "weekly", "monthly", "quarterly", "annually", "yearly",
        "hourly", "nightly", "biweekly", "bimonthly", "semiannually", "biannually", "clock",
        "recent", "current", "future", "past",
    }
)  # fmt: skip


def _build_trigger_automaton() -> Any:
    automaton = ahocorasick.Automaton()
    for word in _TRIGGER_WORDS:
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


_TRIGGER_AUTOMATON: Final = _build_trigger_automaton()
# The start of a number that can begin a time expression: a year, or a number followed by what
# a date, clock time or duration puts after one (most numbers in news are money and counts).
_NUMBER_START: Final = re.compile(
    r"\d(?<![\w.,$£€¥]\d)(?="  # the first digit is taken first: the engine skips to digits fast
    r"(?<=1)[6-9]\d\d(?!\d)|(?<=2)[01]\d\d(?!\d)"
    r"|\d*(?:[:/]\d"
    r"|(?:[.,]\d+)*(?:\s+1/2|\s*½|-and-a-half|\s+and\s+a\s+half)?(?:\s*[-–]\s*|\s+)?"
    r"(?:(?:more|additional|straight|consecutive|full|trading|business|calendar|working|extra"
    r"|further)\s+)?"
    f"(?:{_UNIT}|{_MONTH_D}|[ap]\\.?\\s?m\\b|o'clock|in\\s+the\\s|(?:st|nd|rd|th)\\b|['’]?s\\b"
    r"|[qh](?:\d\d)?\b|(?:to|or|and|through|-|–)\s*\d|times\b)))"
)
_PREFIX_WORDS: Final = frozenset(
    [
        *_WORDS["scan"]["prefix_words"],
        *(w for p in _MULTIWORD for w in re.findall(r"[a-z]+", p)),
        *_NUMBERS,
        *_ORDINALS,
    ]
)
_WORD_BEFORE: Final = re.compile(r"(?<![a-z0-9])([a-z]+|\d+)[\s'’.,-]{0,3}\Z")
_MAX_PREFIX_WORDS: Final = 5
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# ── document context ──────────────────────────────────────────────────────────────────────────

_ABBREVIATIONS: Final = frozenset(_WORDS["sentences"]["abbreviations"])
# One leading character class lets the regex engine skip straight to candidate positions.
_SENTENCE_END: Final = re.compile(
    r"[.!?\n](?:(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|(?<=\n)\s*)"
)
# Where a clause ends: punctuation that sets off a quote, an aside or a list item.
_CLAUSE_BREAK: Final = re.compile(r";|:|\(|\)|\[|\]|\"|“|”|''|``|—|, | – | -- | _ ")
# A preposition right before a date that says on which side of now it lies.
_LEAD_PREPOSITION: Final = re.compile(
    r"\b(since|by|until|till|through|as\s+(?:early|soon)\s+as|no\s+later\s+than|starting|beginning"
    r"|effective)\s+(?:on\s+)?\Z"
)
_PUNCT: Final = ".,;:!?\"'()[]“”‘’—–-"
_TENSE_REACH: Final = 100  # how far (characters) from a date a verb may tell its tense
_WORD: Final = re.compile(r"\S+")

# The verb nearest to a date tells its tense. A past participle governed by a future auxiliary
# ("will be depleted") is future, so auxiliaries are looked for just before it.
_FUTURE_WORDS: Final = frozenset(_WORDS["tense"]["future"])
_TO_AHEAD: Final = frozenset(_WORDS["tense"]["before_to"])
_PAST_WORDS: Final = frozenset(_WORDS["tense"]["past"])
_FUTURE_AUX: Final = frozenset(_WORDS["tense"]["future_auxiliaries"])
_AUX_FILLERS: Final = frozenset(_WORDS["tense"]["auxiliary_fillers"])
_PRESENT_WORDS: Final = frozenset(_WORDS["tense"]["present"])
_PRESENT: Final = 2  # a present-tense verb: the search stops, and the tense is "unknown" (0)
_NEAREST: Final = 3  # the words disagree: take whichever candidate date is nearer
_NOT_PAST_ED: Final = frozenset(_WORDS["tense"]["not_past"])
_DETERMINERS: Final = frozenset(_WORDS["tense"]["determiners"])
_CUE_WORDS: Final = _FUTURE_WORDS | _PAST_WORDS | _PRESENT_WORDS | {"to"}


def _tense_cue(words: list[str], i: int) -> int:
    """The tense a word signals in context: +1 future, -1 past, ``_PRESENT``, or 0 (none)."""
    w = words[i]
    if w in _FUTURE_WORDS or w.endswith("'ll"):
        if w not in _FUTURE_AUX and i > 0 and words[i - 1] in _DETERMINERS:
            return 0  # "the plan", "its forecast": a noun, not a plan ahead
        if w in ("would", "wouldn't"):
            return _NEAREST
        return 1
    if w in _PRESENT_WORDS:
        following = words[i + 1] if i + 1 < len(words) else ""
        if following in _FUTURE_WORDS or following in _TO_AHEAD:
            return 1  # "is expected", "are set", "is due"
        return _PRESENT
    if w == "to" and i > 0 and words[i - 1] in _TO_AHEAD:
        # "was about to open Monday": ahead of a past moment, so the nearer Monday
        return _NEAREST if i > 1 and words[i - 2] in ("was", "were") else 1
    past = w in _PAST_WORDS or (len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST_ED)
    if not past:
        return 0
    following = words[i + 1] if i + 1 < len(words) else ""
    if w in ("was", "were") and (following in _FUTURE_WORDS or following in _TO_AHEAD):
        return _NEAREST  # "were planning", "was due", "was about to": ahead of a past moment
    j = i - 1
    while j >= 0 and words[j] in _AUX_FILLERS:
        j -= 1
    if j >= 0 and words[j] in _DETERMINERS:
        return 0  # "a still unspecified date", "the expected deal": an adjective, not a verb
    # "will be depleted", "is expected to be completed": the auxiliary decides
    for j in range(i - 1, max(-1, i - 4), -1):
        if words[j] in ("could", "couldn't"):
            return _NEAREST  # "could not be located Wednesday", "could be signed Friday"
        if words[j] in _FUTURE_AUX or words[j].endswith("'ll"):
            return 1
        if words[j] not in _AUX_FILLERS:
            break
    return -1


def _sentence_cues(low: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end, cue) of the words of a sentence that tell a tense (see ``_tense_cue``)."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(low, start, end)]
    words = [low[a:b].strip(_PUNCT) for a, b in spans]
    cues = []
    for i, (a, b) in enumerate(spans):
        w = words[i]
        if w in _CUE_WORDS or w.endswith(("ed", "'ll")):
            cue = _tense_cue(words, i)
            if cue:
                cues.append((a, b, cue))
    return cues


def _sentence_starts(text: str, low: str) -> list[int]:
    starts = [0]
    for m in _SENTENCE_END.finditer(text):
        if m.group() == "\n" and m.end() < len(text) and not text[m.end()].isupper():
            continue  # a wrapped line, not a new paragraph or headline
        if text[m.start()] == ".":
            words = low[max(0, m.start() - 12) : m.start()].split()
            word = words[-1].lstrip("(\"'“‘") if words else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue  # "Corp.", "Oct.", "J." do not end a sentence
        starts.append(m.end())
    starts.append(len(text))
    return starts


_EVENT_EDGE_WORDS: Final = frozenset(_WORDS["events"]["edge_words"])
_WS: Final = re.compile(r"\s+")
_MONEYISH_BEFORE: Final = re.compile(
    r"(?:\d|%|million|billion|trillion|thousand|hundred|cents?|dollars?|pence|shares?|points?"
    r"|percent|barrels|tons|units|interviews|,)\s*$"
)
_PREP_BEFORE: Final = re.compile(
    r"\b(?:in|since|until|till|by|through|throughout|during|of|from|before|after|early|late|mid"
    r"|last|next|this|that|each|every|to|between|and|or|for|on|around|about|as\s+of)\W*$"
)
_AGE_AFTER: Final = re.compile(r"\s+old\b")
_NAME_AFTER_MONTH: Final = re.compile(r"\s+(?:of|for|on)\s+(?:the\s+)?[A-Z][a-z]")
_CAPITAL_AFTER: Final = re.compile(r" [A-Z][a-z]")
# Words that make a month name part of a company's name ("March Capital", "May Holdings").
_ORG_AFTER: Final = re.compile(
    r" (?:Capital|Holdings?|Group|Partners|Ventures|Funds?|Advis[eo]rs|Bank|Securities|Management"
    r"|Investments?|Asset|Associates|Inc|Corp|Co|LLC|Ltd|Networks|Media|Labs|Systems"
    r"|Technologies|Therapeutics|Pharmaceuticals|Energy|Resources|Realty|Properties)\b"
)
_OF_AFTER: Final = re.compile(r"\s+of\b")
# Words ending in "s" that are not plural nouns (a plural noun before "a week" makes it a rate).
_NOT_PLURAL: Final = frozenset(_WORDS["scan"]["not_plural"])


def _plural_before(doc: _Doc, start: int) -> bool:
    words = doc.low[max(0, start - 20) : start].split()
    last = words[-1] if words else ""
    return len(last) > 3 and last.endswith("s") and last.isalpha() and last not in _NOT_PLURAL


_MAY_CONTEXT: Final = re.compile(
    r"\b(?:in|since|until|till|by|through|during|of|from|before|after|early|late|mid|last|next"
    r"|this|end|start|beginning|middle|for|to)\W*$"
)
_BARE_UNIT_BEFORE: Final = re.compile(
    r"\b(?:for|in|over|within|took|take|takes|taking|lasted|last|lasting|spent|spend|than)\s+$"
)

_YEAR_VALUE_REST: Final = re.compile(r"(\d{4})(.*)$")
_WORD_SPLIT: Final = re.compile(r"[\s-]+")
_MONTH_DAY_WORDS: Final = re.compile(r"([a-z]+)\.?\s*(\d{1,2})(?:\D+(\d{4}))?")
_NOT_DIGIT: Final = re.compile(r"\D")
_FOUR_DIGITS: Final = re.compile(r"\d{4}")
_QUARTER_VALUE: Final = re.compile(r"\d{4}-Q[1-4X]")
_DAY_VALUE: Final = re.compile(r"\d{4}-\d\d-\d\d")
_MONTH_VALUE: Final = re.compile(r"\d{4}-\d\d")
_AT_BEFORE: Final = re.compile(r"\bat\W*$")
# A word after "a second" that makes it an ordinal ("a second term"), not a unit of time.
_WORD_AFTER: Final = re.compile(
    r"\s+(?!or\b|and\b|to\b|of\b|in\b|for\b|later\b|after\b|before\b|ago\b)[a-z]"
)
# After "today's" or "of tomorrow", nouns that make it the present age rather than a day.
_GENERIC_AFTER_TODAY: Final = re.compile(
    r"(?:['’]s\s+|\s+)(?:world|youth|society|generation|children|kids|teens|teenagers|young|culture"
    r"|standards|personal\s+computers|consumers?)\b"
)
_WEEK_OF: Final = re.compile(r"\bthe\s+week\s+of\s+\Z")
# "the quarter ended Sept. 30": the closing day names the period, which stays the reference
# for a later "a year earlier"
_PERIOD_ENDED: Final = re.compile(
    r"\b(?:quarter|period|year|months|weeks|half)\s+(?:ended|ending|through|to)\s+\Z"
)

# How far back (characters) the date that "a year earlier" or "the quarter" refers to may be.
_REFERENCE_WINDOW: Final = 300
_QUARTER_WINDOW: Final = 1200


@dataclass(frozen=True, slots=True)
class _Found:
    """A normalised expression before it becomes a ``KeyDate``."""

    type: str
    value: str
    lean: int = 0  # -1 looking back, +1 looking ahead, 0 by tense or range
    start: int | None = None  # where the expression starts, when not where the rule's match does
    # a comparison ("a year earlier"): later anaphora still refer to the date it compares with
    refers_back: bool = False
    days: tuple[date, date] | None = None  # the days covered, when more than the value says
    # what a later comparison compares with, when not the value ("the first nine months": the
    # year so far, so "a year earlier" is the year before)
    compare_as: str | None = None
    fiscal: bool = False  # a period of the company's fiscal year: its range follows that calendar


class _Doc:
    """The text being tagged (and its ASCII-lower-cased twin), its anchor date, what was said."""

    __slots__ = (
        "_clause_marks",
        "_cues",
        "_starts",
        "dct",
        "fiscal",
        "fiscal_values",
        "last_at",
        "last_past_at",
        "last_past_value",
        "last_quarter",
        "last_quarter_at",
        "last_value",
        "low",
        "text",
    )

    def __init__(self, text: str, dct: date | None, fiscal: FiscalYear | None = None) -> None:
        self.text = text
        self.low = text.translate(_ASCII_LOWER)  # same length, same offsets
        self.dct = dct
        # the company's fiscal year, when it is not the calendar year
        self.fiscal = fiscal if fiscal is not None and fiscal != _CALENDAR else None
        self.fiscal_values: set[str] = set()  # values said of the fiscal calendar
        self._starts: list[int] | None = None
        self._clause_marks: dict[int, list[tuple[int, int]]] = {}
        self._cues: dict[int, list[tuple[int, int, int]]] = {}
        self.last_value: str | None = None
        self.last_at = -(10**9)
        # what comparisons ("a year earlier", "the year-ago period") compare with: the last
        # value not ahead of the publication date, and the last such quarter
        self.last_past_value: str | None = None
        self.last_past_at = -(10**9)
        self.last_quarter: str | None = None
        self.last_quarter_at = -(10**9)

    def sentence(self, start: int) -> tuple[int, int]:
        """The [start, end) bounds of the sentence holding the offset ``start``."""
        if self._starts is None:
            self._starts = _sentence_starts(self.text, self.low)
        i = bisect.bisect_right(self._starts, start) - 1
        return self._starts[i], self._starts[min(i + 1, len(self._starts) - 1)]

    def clause(self, start: int, end: int) -> tuple[int, int]:
        """The [start, end) bounds of the clause around [start, end), within its sentence."""
        s_start, s_end = self.sentence(start)
        marks = self._clause_marks.get(s_start)
        if marks is None:
            marks = [
                (m.start(), m.end()) for m in _CLAUSE_BREAK.finditer(self.text, s_start, s_end)
            ]
            self._clause_marks[s_start] = marks
        left, right = s_start, s_end
        for mark_start, mark_end in marks:
            if mark_end <= start:
                left = mark_end
            elif mark_start >= end:
                right = mark_start
                break
        return left, right

    def tense(self, start: int, end: int) -> int:
        """-1 past, +1 future, 0 unknown, or ``_NEAREST``: what the words around [start, end)
        say of its time.

        The nearest verb cue in the clause, else in the sentence, decides. A preposition in
        front refines it: "since May" looks back; "by Friday", "until May" look ahead, unless
        the verb is past ("extended the deadline until Tuesday"), when the nearer date wins.
        """
        verb = self._verb_tense(start, end)
        lead = _LEAD_PREPOSITION.search(self.low, max(0, start - 24), start)
        if lead is None:
            return verb
        if lead.group(1) == "since":
            return -1
        return _NEAREST if verb < 0 else 1

    def lean(self, start: int, end: int) -> int:
        """Like ``tense``, but -1, 0 or +1: for values that have no "nearer" candidate."""
        tense = self.tense(start, end)
        return 0 if tense == _NEAREST else tense

    def _verb_tense(self, start: int, end: int) -> int:
        s_start, s_end = self.sentence(start)
        cues = self._cues.get(s_start)
        if cues is None:
            cues = self._cues[s_start] = _sentence_cues(self.low, s_start, s_end)
        c_start, c_end = self.clause(start, end)
        spans = [(c_start, c_end)]
        if (c_start, c_end) != (s_start, s_end):
            spans.append((s_start, s_end))
        for lo, hi in spans:
            # a verb may sit far from a date the sentence opens with ("In January, a week after
            # the anniversary, a bombing killed a guard"): the whole sentence reaches further
            whole = (lo, hi) == (s_start, s_end)
            best, best_distance = 0, 3 * _TENSE_REACH if whole else _TENSE_REACH
            for word_start, word_end, cue in cues:
                if lo <= word_start and word_end <= start:
                    distance = start - word_end
                elif end <= word_start and word_end <= hi:
                    # an adverbial mostly follows its verb: a verb after the date counts double
                    distance = 2 * (word_start - end)
                else:
                    continue
                if distance < best_distance:
                    best, best_distance = cue, distance
            if best:
                return 0 if best == _PRESENT else best
        return 0

    def reference(self, start: int) -> str | None:
        """The last calendar value mentioned within the reference window before ``start``."""
        if self.last_value is not None and start - self.last_at <= _REFERENCE_WINDOW:
            return self.last_value
        return None

    def compared(self, start: int) -> str | None:
        """What a comparison at ``start`` compares with: the last calendar value over by the
        publication date within the reference window, else a quarter named further back (a
        results story compares quarters: "Revenue rose from $93 million a year earlier")."""
        if self.last_past_value is not None and start - self.last_past_at <= _REFERENCE_WINDOW:
            return self.last_past_value
        if self.last_quarter is not None and start - self.last_quarter_at <= _QUARTER_WINDOW:
            return self.last_quarter
        return None

    def reported_quarter(self, start: int) -> str | None:
        """The last quarter named before ``start`` that is over by the publication date."""
        if self.last_quarter is not None and start - self.last_quarter_at <= _QUARTER_WINDOW:
            return self.last_quarter if self.last_quarter[-1].isdigit() else None
        return None

    def before(self, start: int, width: int = 24) -> str:
        """Lower-cased text just before ``start``."""
        return self.low[max(0, start - width) : start]


class _Groups:
    """A rule's named groups, read from the original text (case kept)."""

    __slots__ = ("_m", "_text")

    def __init__(self, m: re.Match[str], text: str) -> None:
        self._m, self._text = m, text

    def __call__(self, name: str) -> str | None:
        """The group's text, or None when it did not take part (or the rule has no such group)."""
        try:
            start, end = self._m.span(name)
        except IndexError:
            return None
        return None if start < 0 else self._text[start:end]

    def start(self, name: str) -> int:
        """Where the group starts (-1 when it did not take part)."""
        try:
            return self._m.start(name)
        except IndexError:
            return -1

    def capital(self, name: str) -> bool:
        """Whether the group starts with a capital letter (month and weekday names must)."""
        start = self.start(name)
        return start < 0 or self._text[start].isupper()


# ── calendar helpers ──────────────────────────────────────────────────────────────────────────

_SEASON_SPAN: Final[dict[str, tuple[tuple[int, int], tuple[int, int]]]] = {
    "SP": ((3, 20), (6, 20)),
    "SU": ((6, 21), (9, 22)),
    "FA": ((9, 23), (12, 20)),
    "WI": ((12, 21), (3, 19)),
}


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _quarter_of(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_end(y: int, m: int) -> date:
    ny, nm = _add_months(y, m, 1)
    return date(ny, nm, 1) - timedelta(days=1)


def _easter(year: int) -> date:
    """Western Easter Sunday (anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _holiday_date(rule: Mapping[str, Any], year: int) -> date:
    if "easter" in rule:
        return _easter(year) + timedelta(days=int(rule["easter"]))
    month = int(rule["month"])
    if "weekday_after" in rule:
        start = date(year, month, int(rule["day"])) + timedelta(days=1)
        return start + timedelta(days=(int(rule["weekday_after"]) - start.isoweekday()) % 7)
    if "weekday" in rule:
        wd, nth = int(rule["weekday"]), int(rule["nth"])
        if nth > 0:
            first = date(year, month, 1)
            day = first + timedelta(days=(wd - first.isoweekday()) % 7 + 7 * (nth - 1))
        else:
            last = _month_end(year, month)
            day = last - timedelta(days=(last.isoweekday() - wd) % 7)
        return day + timedelta(days=int(rule.get("shift", 0)))
    return date(year, month, int(rule["day"]))


def _season_range(year: int, code: str) -> tuple[date, date]:
    (m1, d1), (m2, d2) = _SEASON_SPAN[code]
    return date(year, m1, d1), date(year + (1 if code == "WI" else 0), m2, d2)


def _pick(candidates: list[tuple[date, date, str]], dct: date, tense: int) -> str:
    """Of (first day, last day, value) candidates, the one under way, else the nearest past or
    future one as the tense says; without a tense the past one, unless the future one is much
    nearer (news reports what happened more often than what is planned)."""
    for first, last, value in candidates:
        if first <= dct <= last:
            return value
    past = [c for c in candidates if c[1] < dct]
    ahead = [c for c in candidates if c[0] > dct]
    before = max(past, key=lambda c: c[1]) if past else None
    after = min(ahead, key=lambda c: c[0]) if ahead else None
    if before is None or after is None:
        return (before or after or candidates[0])[2]
    back, forth = (dct - before[1]).days, (after[0] - dct).days
    if tense == _NEAREST:
        return after[2] if forth < back else before[2]
    if tense > 0:
        # a deadline reported just after it passed ("to return the child by Jan. 14", written
        # on Jan. 15) is not the one a year ahead
        if before[0] == before[1] and back <= 7 and forth > 300:
            return before[2]
        return after[2]
    # a past tense that points half a year back when the next one is weeks away is misread
    # more often than not ("was planned for early March", written in February)
    if tense < 0 and not (back > 180 and forth < 45):
        return before[2]
    if tense < 0:
        return after[2]
    return after[2] if 2 * forth < back else before[2]


def _resolve_month(month: int, dct: date | None, tense: int) -> str:
    if dct is None:
        return f"XXXX-{month:02d}"
    cands = [
        (date(y, month, 1), _month_end(y, month), f"{y}-{month:02d}")
        for y in (dct.year - 1, dct.year, dct.year + 1)
    ]
    return _pick(cands, dct, tense)


def _resolve_month_day(month: int, day: int, dct: date | None, tense: int) -> str | None:
    if _safe_date(2000, month, day) is None:  # 2000 is a leap year: Feb. 29 passes
        return None
    if dct is None:
        return f"XXXX-{month:02d}-{day:02d}"
    cands = []
    for y in (dct.year - 1, dct.year, dct.year + 1):
        d = _safe_date(y, month, day)
        if d is not None:
            cands.append((d, d, d.isoformat()))
    return _pick(cands, dct, tense) if cands else None


def _resolve_weekday(wd: int, dct: date | None, tense: int, det: str) -> str:
    if dct is None:
        return f"XXXX-WXX-{wd}"
    diff = wd - dct.isoweekday()
    if det in ("last", "this past", "the previous"):
        back = (-diff) % 7 or 7
        return (dct - timedelta(days=back)).isoformat()
    if det in ("next", "this coming", "the following", "the next"):
        return (dct + timedelta(days=diff % 7 or 7)).isoformat()
    if det == "this":
        return (dct + timedelta(days=diff)).isoformat()
    ahead, back = diff % 7, (-diff) % 7
    if tense == _NEAREST:
        tense = 1 if ahead < back else -1
    if tense > 0:
        return (dct + timedelta(days=ahead)).isoformat()
    return (dct - timedelta(days=back)).isoformat()


def _resolve_quarter(q: int, dct: date | None, tense: int) -> str:
    if dct is None:
        return f"XXXX-Q{q}"
    return f"{dct.year + _part_shift(q, _quarter_of(dct), tense, 4)}-Q{q}"


def _resolve_season(code: str, dct: date | None, tense: int, det: str) -> str:
    if dct is None:
        return f"XXXX-{code}"
    cands = []
    for y in (dct.year - 2, dct.year - 1, dct.year, dct.year + 1):
        first, last = _season_range(y, code)
        cands.append((first, last, f"{y}-{code}"))
    if det in ("last", "this past", "the past", "past", "the previous", "previous"):
        past = [c for c in cands if c[1] < dct]
        return max(past, key=lambda c: c[1])[2]
    if det in ("next", "this coming", "the coming", "coming", "the upcoming", "upcoming"):
        ahead = [c for c in cands if c[0] > dct]
        return min(ahead, key=lambda c: c[0])[2]
    if det == "this" and tense == 0:
        # "this summer" is the one of the current year (winter: the one under way or next)
        for first, last, value in cands:
            if first.year == dct.year and (code != "WI" or last >= dct):
                return value
    return _pick(cands[1:], dct, tense)


def _part_shift(n: int, cur: int, tense: int, parts: int) -> int:
    """Years to add to the current one for quarter (``parts`` 4) or half (2) ``n`` when the
    current one is ``cur``: the past one when the clause looks back, the next one ahead."""
    if parts == 4:
        if n > cur and (tense < 0 or (tense == 0 and n - cur >= 2)):
            return -1
        if n < cur and tense > 0 and cur - n >= 2:
            return 1
        return 0
    if n > cur and tense < 0:
        return -1
    if n < cur and tense > 0:
        return 1
    return 0


def _fiscal_part(
    fiscal: FiscalYear, kind: str, n: int, label: int | None, doc: _Doc, start: int, end: int
) -> _Found:
    """Fiscal quarter (``kind`` "Q") or half ("H") ``n`` of fiscal year ``label`` (None: the
    one the clause means): the value keeps the company's label ("2025-Q3", as TimeML annotates
    fiscal periods), the range holds its calendar days."""
    months = 3 if kind == "Q" else 6
    if label is None:
        if doc.dct is None:
            return _Found("DATE", f"XXXX-{kind}{n}")
        cur = fiscal.part_of(doc.dct, months)
        shift = _part_shift(n, cur, doc.lean(start, end), 12 // months)
        label = fiscal.label_of(doc.dct) + shift
    return _Found("DATE", f"{label}-{kind}{n}", fiscal=True)


def _quarter_at(doc: _Doc, day: date, shift: int) -> _Found:
    """The quarter ``shift`` quarters from the one holding ``day``: the company's fiscal
    quarter when its fiscal year is known ("the current quarter" of a company is the one it
    reports), else the calendar quarter."""
    y, m = _add_months(day.year, day.month, 3 * shift)
    if doc.fiscal is None:
        return _Found("DATE", f"{y}-Q{(m - 1) // 3 + 1}")
    moved = date(y, m, 1)
    return _Found(
        "DATE", f"{doc.fiscal.label_of(moved)}-Q{doc.fiscal.part_of(moved, 3)}", fiscal=True
    )


def _fiscal_year_found(fiscal: FiscalYear, label: int) -> _Found:
    return _Found("DATE", str(label), fiscal=True)


_FISCAL_VALUE: Final = re.compile(r"(\d{4})(?:-([QH])([1-4]))?")


def _fiscal_range(fiscal: FiscalYear, value: str) -> tuple[date, date] | None:
    """The calendar days of a fiscal value ("2025", "2025-Q3", "2025-H1")."""
    m = _FISCAL_VALUE.fullmatch(value)
    if m is None:
        return None
    label, kind, n = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    if kind is None:
        return fiscal.days(label)
    months = 3 if kind == "Q" else 6
    if n > 12 // months:
        return None
    return fiscal.days(label, months * (n - 1), months)


def _shift_value(value: str, years: int) -> str | None:
    """A calendar value moved by whole years ("a year earlier" than the one referred to)."""
    m = _YEAR_VALUE_REST.match(value)
    if m is None:
        return None
    rest = m.group(2)
    if rest.startswith("-02-29"):
        rest = "-02-28" + rest[6:]
    return f"{int(m.group(1)) + years:04d}{rest}"


def _count_value(raw: str) -> float | None:
    """A count as written ("three", "5 1/2", "a couple of", "twenty-four"); None for "several"."""
    s = _WS.sub(" ", raw.strip().lower())
    half = 0.0
    for tail in (" and a half", "-and-a-half", " 1/2", "½"):
        if s.endswith(tail):
            s, half = s[: -len(tail)].strip(), 0.5
    if s in ("a", "an", "one"):
        return 1 + half
    if s.startswith("half a"):
        return 0.5
    if s in _VAGUE:
        return float(_VAGUE[s]) or None
    try:
        return float(s.replace(",", "")) + half
    except ValueError:
        pass
    total = 0.0
    for part in _WORD_SPLIT.split(s):
        if part in ("a", "and"):
            continue
        n = _NUMBERS.get(part)
        if n is None:
            return None
        total = total * n if n == 100 and total else total + n
    return total + half if total else None


_DATE_UNIT: Final = {
    "Y": ("Y", 12, "M"),
    "M": ("M", 30, "D"),
    "W": ("W", 7, "D"),
    "D": ("D", 24, "H"),
}
_TIME_UNIT: Final = {"H": ("H", 60, "M"), "MIN": ("M", 60, "S"), "S": ("S", 1, "S")}
_SUB_CODE: Final = {"Y": "M", "M": "D", "W": "D", "D": "H", "H": "MIN", "MIN": "S"}


def _duration_value(n: float | None, code: str) -> str:
    """ISO 8601 / TIMEX3 duration of ``n`` units (None: unknown count → ``X``)."""
    scale = {"DE": ("Y", 10), "CE": ("Y", 100), "ML": ("Y", 1000), "FN": ("W", 2)}
    if code in scale:
        base, factor = scale[code]
        if n is None:
            return f"PX{code}"
        return _duration_value(n * factor, base)
    if code == "Q":
        if n is None:
            return "PXQ"
        return f"P{int(n)}Q" if n == int(n) else _duration_value(n * 3, "M")
    time = code in _TIME_UNIT
    letter, sub, sub_letter = (_TIME_UNIT if time else _DATE_UNIT)[code]
    prefix = "PT" if time else "P"
    if n is None:
        return f"{prefix}X{letter}"
    whole, frac = int(n), n - int(n)
    if frac == 0:
        return f"{prefix}{whole}{letter}"
    if code == "S":
        return f"PT{max(1, round(n))}S"
    rest = round(frac * sub)
    if rest == sub:  # "1.99 years": two years
        whole, rest = whole + 1, 0
    if rest == 0:
        # a fraction too small for the next unit down ("0.01 years") is said in a smaller one
        return f"{prefix}{whole}{letter}" if whole else _duration_value(frac * sub, _SUB_CODE[code])
    if code == "D":  # days with hours: P2DT12H
        return f"P{whole}DT{rest}H" if whole else f"PT{rest}H"
    if code == "W":
        return f"P{whole * 7 + rest}D"
    body = (f"{whole}{letter}" if whole else "") + f"{rest}{sub_letter}"
    return prefix + body


# ── rule normalisers ──────────────────────────────────────────────────────────────────────────

Groups = _Groups
Rule = Callable[[_Groups, _Doc, int, int], _Found | None]


def _low(s: str | None) -> str:
    return _WS.sub(" ", s.lower()) if s else ""


def _month_number(s: str) -> int:
    return _MONTHS[s.lower().rstrip(".")]


def _weekday_number(s: str) -> int:
    return _WEEKDAYS[s.lower().rstrip(".")]


def _year_number(s: str | None, dct: date | None) -> int | None:
    if not s:
        return None
    s = s.strip()
    if len(s) == 4:
        return int(s)
    yy = int(s[-2:])
    century = (dct.year // 100) * 100 if dct else 2000
    year = century + yy
    if dct is not None and year > dct.year + 20:
        year -= 100
    return year


def _relative_year(s: str, dct: date | None) -> int | None:
    """The year named by "this year", "last year's", "next year" (None without an anchor)."""
    if dct is None:
        return None
    w = _low(s)
    if w.startswith(("last", "the previous", "the prior", "a year")):
        return dct.year - 1
    if w.startswith(("next", "the following")):
        return dct.year + 1
    return dct.year


def _day_of(day_text: str, doc: _Doc, start: int, end: int) -> str | None:
    """The date of a day reference inside a larger expression ("Tuesday", "Nov. 9", "yesterday")."""
    w = _low(day_text)
    dct = doc.dct
    if w in ("today", "tonight"):
        return dct.isoformat() if dct else "XXXX-XX-XX"
    if w in ("yesterday", "tomorrow"):
        if dct is None:
            return "XXXX-XX-XX"
        return (dct + timedelta(days=-1 if w == "yesterday" else 1)).isoformat()
    if w.rstrip(".") in _WEEKDAYS:
        return _resolve_weekday(_weekday_number(w), dct, doc.tense(start, end), "")
    m = _MONTH_DAY_WORDS.match(w)
    if m and m.group(1) in _MONTHS:
        month, day = _MONTHS[m.group(1)], int(m.group(2))
        if m.group(3):
            d = _safe_date(int(m.group(3)), month, day)
            return d.isoformat() if d else None
        return _resolve_month_day(month, day, dct, doc.tense(start, end))
    return None


def _clock(h: str | None, mi: str | None, ap: str | None) -> str | None:
    if h is None:
        return None
    hour, minute = int(h), int(mi or 0)
    if ap:
        if not 1 <= hour <= 12:
            return None
        pm = ap.lower().startswith("p")
        hour = (hour % 12) + (12 if pm else 0)
    if hour > 24 or minute > 59:
        return None
    return f"T{hour:02d}:{minute:02d}"


def _named_clock(w: str) -> str:
    return {"noon": "T12:00", "midday": "T12:00", "midnight": "T24:00"}[w]


def _on_clock_day(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    day_word = _low(g("day"))
    if day_word[:3] not in ("tod", "yes", "tom") and not g.capital("day"):
        return None
    day = _day_of(g("day") or "", doc, start, end)
    if day is None:
        return None
    clock = g("clock") or ""
    if g("part"):
        return _Found("TIME", f"{day}T{_DAY_PARTS[_low(g('part')).replace('mid ', 'mid-')]}")
    t = _named_clock(_low(clock)) if g("h") is None else _clock(g("h"), g("mi"), g("ap"))
    return _Found("TIME", day + t) if t else None


def _date_value(y: int | None, month: int, day: int, doc: _Doc, start: int, end: int) -> str | None:
    if y is not None:
        d = _safe_date(y, month, day)
        return d.isoformat() if d else None
    return _resolve_month_day(month, day, doc.dct, doc.tense(start, end))


def _day_number(s: str) -> int:
    s = s.lower()
    if s in _ORDINALS:
        return _ORDINALS[s]
    return int(_NOT_DIGIT.sub("", s))


def _on_month_day(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if not (g.capital("month") and g.capital("wd")):
        return None
    month, day = _month_number(g("month") or ""), _day_number(g("day") or "")
    year = _year_number(g("year"), doc.dct)
    if year is None and g("wd") and doc.dct is not None:
        # a weekday beside the date picks the year: "Monday, Oct. 26" is the one on a Monday
        wd = _weekday_number(g("wd") or "")
        for y in (doc.dct.year, doc.dct.year + 1, doc.dct.year - 1):
            d = _safe_date(y, month, day)
            if d is not None and d.isoweekday() == wd:
                year = y
                break
    value = _date_value(year, month, day, doc, start, end)
    if not value:
        return None
    week_of = _WEEK_OF.search(doc.low, max(0, start - 16), start)
    if week_of is not None and value[:1].isdigit() and not g("wd"):
        # "the week of March 6": the ISO week holding that day
        return _Found("DATE", _week(date.fromisoformat(value)), start=week_of.start())
    last_day = g("day2") or g("day3")
    if last_day:
        # "July 29-30": the first day is the date, the range runs to the last
        first = date.fromisoformat(value) if value[0].isdigit() else None
        last = _safe_date(first.year, month, _day_number(last_day)) if first else None
        if first is None or last is None or last <= first:
            return _Found("DATE", value)
        return _Found("DATE", value, days=(first, last))
    return _Found("DATE", value)


def _on_iso(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    d = _safe_date(int(g("y") or 0), int(g("m") or 0), int(g("d") or 0))
    if d is None:
        return None
    if g("h"):
        return _Found("TIME", f"{d.isoformat()}T{g('h')}:{g('mi')}")
    return _Found("DATE", d.isoformat())


def _on_slash(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    year = _year_number(g("y"), doc.dct)
    d = _safe_date(year or 0, int(g("m") or 0), int(g("d") or 0))
    return _Found("DATE", d.isoformat()) if d else None


_QUARTER_WORD: Final = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "final": 4,
}


def _fiscal_label(text: str, fiscal: FiscalYear, doc: _Doc) -> int | None:
    """The fiscal year named by "2025", "'25", "this year's", "next year's" (None: another
    phrase, such as "year-ago")."""
    w = _low(text)
    if _FOUR_DIGITS.fullmatch(w) or (len(w) <= 3 and w.lstrip("'’").isdigit()):
        return _year_number(w.lstrip("'’"), doc.dct)
    if doc.dct is None or not w.startswith(("this", "last", "next", "current")):
        return None
    return fiscal.label_of(doc.dct) + (
        -1 if w.startswith("last") else 1 if w.startswith("next") else 0
    )


def _year_of_phrase(yq: str, doc: _Doc, start: int) -> int | None:
    """The year of "this year's", "year-ago", "1988" in front of a quarter or half."""
    w = _low(yq)
    if _FOUR_DIGITS.fullmatch(w):
        return int(w)
    if w in ("year-ago", "year-earlier", "year-before"):
        ref = doc.compared(start)
        if ref and ref[:4].isdigit():
            return int(ref[:4]) - 1
        return doc.dct.year - 1 if doc.dct else None
    if w in ("comparable", "corresponding", "same", "current"):
        return None
    return _relative_year(w, doc.dct)


_COMPARED: Final = frozenset(
    ["year-ago", "year-earlier", "year-before", "comparable", "corresponding", "same"]
)


def _on_quarter(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    found = _quarter_value(g, doc, start, end)
    the = _low(g("the"))
    adjective = doc.low[g.start("q") + len(g("q") or "")] == "-" and _WORD_AFTER.match(doc.low, end)
    if found is not None and the and (adjective or the in ("its", "their")):
        # "a third-quarter loss", "its fourth quarter": the article belongs to the noun
        after = g.start("the") + len(the)
        while doc.text[after].isspace():
            after += 1
        return replace(found, start=after)
    return found


def _quarter_value(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    q = _QUARTER_WORD[_low(g("q"))]
    if g("pl"):
        return _Found("SET", f"XXXX-Q{q}")
    fiscal = (
        doc.fiscal
        if "fiscal" in (_low(g("fiscal")), _low(g("fiscal2")), _low(g("fiscal0")))
        else None
    )
    if fiscal is not None:
        label_text = g("year") or g("yafter") or g("yq")
        label = _fiscal_label(label_text, fiscal, doc) if label_text else None
        if label is not None or not label_text:
            return _fiscal_part(fiscal, "Q", q, label, doc, start, end)
    year: int | None = None
    for key in ("year", "yafter", "yq"):
        text = g(key)
        if text:
            year = _year_of_phrase(text, doc, start)
            if year is not None or _low(text) not in ("comparable", "corresponding", "same"):
                break
    if year is None and _low(g("yq")) in ("comparable", "corresponding", "same"):
        ref = doc.reference(start)
        if ref and ref[:4].isdigit():
            year = int(ref[:4]) - 1
    if year is not None:
        compared = _low(g("yq")) in _COMPARED and not (g("year") or g("yafter"))
        return _Found("DATE", f"{year}-Q{q}", refers_back=compared)
    ref = doc.reference(start)
    if ref and ref == f"{ref[:4]}-Q{q}" and ref[:4].isdigit():
        return _Found("DATE", ref)
    return _Found("DATE", _resolve_quarter(q, doc.dct, doc.lean(start, end)))


def _on_month_quarter(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if not g.capital("month"):
        return None
    q = (_month_number(g("month") or "") - 1) // 3 + 1
    if g("year"):
        return _Found("DATE", f"{g('year')}-Q{q}")
    return _Found("DATE", _resolve_quarter(q, doc.dct, doc.lean(start, end)))


def _on_q_code(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if "Q" not in doc.text[start:end]:
        return None  # "q3" in lower case is rarely a quarter
    q = int(g("q") or g("q2") or 0)
    year = _year_number(g("y0") or g("y2") or g("y"), doc.dct)
    fiscal = doc.fiscal if g("fy") or g("fy2") else None
    if fiscal is not None:
        return _fiscal_part(fiscal, "Q", q, year, doc, start, end)
    if year is not None:
        return _Found("DATE", f"{year}-Q{q}")
    return _Found("DATE", _resolve_quarter(q, doc.dct, doc.lean(start, end)))


def _on_half(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    yq = _low(g("yq"))
    fiscal = doc.fiscal if "fiscal" in (yq, _low(g("fiscal2"))) else None
    if g("hc") or g("hc2"):
        if "H" not in doc.text[start:end]:
            return None
        h = int(g("hc") or g("hc2") or 0)
        year = _year_number(g("y"), doc.dct)
        if year is None and yq[:1].isdigit():
            year = int(yq)
        # "the 1H25 results": like "Q3", a code is tagged without its article
        code_at = g.start("hc2") if g("hc2") else g.start("hc") - 1
        found = _half_found(h, year, fiscal, doc, start, end)
        return replace(found, start=code_at) if g("the") and not yq else found
    word = _low(g("h"))
    h = 1 if word in ("first", "1st", "front") else 2
    of = _low(g("year"))
    if word == "last" and not of[:1].isdigit():
        return None  # "the last half hour"; only "the last half of 1989" is a half year
    if of == "decade":
        return None
    of = "" if of == "year" else of
    phrase = of or yq
    if fiscal is not None:
        label = _fiscal_label(phrase, fiscal, doc) if phrase and phrase != "fiscal" else None
        return _half_found(h, label, fiscal, doc, start, end)
    year = _year_of_phrase(phrase, doc, start) if phrase and phrase != "fiscal" else None
    return _half_found(h, year, None, doc, start, end)


def _half_found(
    h: int, year: int | None, fiscal: FiscalYear | None, doc: _Doc, start: int, end: int
) -> _Found:
    """Half ``h`` of ``year`` (None: the one the clause means), fiscal when ``fiscal`` is set."""
    if fiscal is not None:
        return _fiscal_part(fiscal, "H", h, year, doc, start, end)
    if year is None:
        if doc.dct is None:
            return _Found("DATE", f"XXXX-H{h}")
        cur = 1 if doc.dct.month <= 6 else 2
        year = doc.dct.year + _part_shift(h, cur, doc.lean(start, end), 2)
    return _Found("DATE", f"{year}-H{h}")


def _on_months_period(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    n = {"three": 3, "six": 6, "nine": 9, "twelve": 12}.get(_low(g("n")))
    months = n if n is not None else int(g("n") or 0)
    year = g("year") or (str(doc.dct.year) if doc.dct else None)
    which = _low(g("which"))
    if which in ("year-earlier", "year-ago", "same", "comparable"):
        year = None
    return _Found("DURATION", f"P{months}M", compare_as=year)


def _on_period(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    which, what, the = _low(g("which")), _low(g("what")), _low(g("the"))
    year = g("year")
    ago = bool(g("ago")) or any(
        w in which for w in ("year-ago", "year-earlier", "year ago", "year earlier")
    )
    ago = ago or (
        any(w in which for w in ("comparable", "corresponding", "same")) and bool(g("ago"))
    )
    ref = doc.compared(start) if ago else doc.reference(start)
    if g("ended") and what in ("quarter", "period"):
        if not g.capital("ended"):
            return None
        # "the quarter ended Sept. 30": the quarter that ends in that month, the latest such
        month = _month_number(g("ended") or "")
        if doc.fiscal is not None and doc.dct is not None and what == "quarter" and not year:
            # named as the company names it: Micron's quarter ended May 29 is its fiscal Q3
            y = doc.dct.year if month <= doc.dct.month else doc.dct.year - 1
            last = date(y, month, 1)
            label, q = doc.fiscal.label_of(last), doc.fiscal.part_of(last, 3)
            return _Found("DATE", f"{label}-Q{q}", fiscal=True)
        q = (month - 1) // 3 + 1
        if year:
            return _Found("DATE", f"{year}-Q{q}")
        return _Found("DATE", _resolve_quarter(q, doc.dct, -1) if doc.dct else f"XXXX-Q{q}")
    if what == "quarter":
        if "current" in which or the == "this":
            if doc.dct is None:
                return _Found("DATE", "XXXX-QX")
            return _quarter_at(doc, doc.dct, 0)
        if year:
            which_q = ref[-1] if ref and _QUARTER_VALUE.fullmatch(ref) else "X"
            return _Found("DATE", f"{year}-Q{which_q}")
        latest = any(w in which for w in ("latest", "most recent", "just"))
        reported = doc.reported_quarter(start)
        if reported and any(w in which for w in ("previous", "prior", "preceding")):
            # "sales grew 50% from the previous quarter": the one before the quarter reported
            y, q = divmod(int(reported[:4]) * 4 + int(reported[-1]) - 2, 4)
            found = _Found("DATE", f"{y}-Q{q + 1}", fiscal=reported in doc.fiscal_values)
        elif ref and _QUARTER_VALUE.fullmatch(ref) and not latest:
            found = _Found("DATE", ref, fiscal=ref in doc.fiscal_values)
        elif doc.dct is not None:
            found = _quarter_at(doc, doc.dct, -1)
        else:
            return _Found("DATE", "XXXX-QX")
        if ago:
            return replace(
                found, value=_shift_value(found.value, -1) or found.value, refers_back=True
            )
        return found
    if what == "period":
        if not which.strip() and not year:
            return None
        if year:
            if ref and _QUARTER_VALUE.fullmatch(ref):
                return _Found("DATE", f"{year}-Q{ref[-1]}")
            return _Found("DATE", year)
        if ref and ref[:4].isdigit() and not ref.startswith("P"):
            return _Found("DATE", (_shift_value(ref, -1) or ref) if ago else ref, refers_back=ago)
        if doc.dct is None:
            return None
        y, m = _add_months(doc.dct.year, doc.dct.month, -3)
        base = f"{y}-Q{(m - 1) // 3 + 1}"
        return _Found("DATE", (_shift_value(base, -1) or base) if ago else base, refers_back=ago)
    if what in ("fiscal year", "year"):
        fiscal = doc.fiscal if "fiscal" in what or "fiscal" in which else None
        if year:
            return _fiscal_year_found(fiscal, int(year)) if fiscal else _Found("DATE", year)
        if not which.strip():
            return None
        if doc.dct is None:
            return _Found("DATE", "XXXX")
        label = fiscal.label_of(doc.dct) if fiscal else doc.dct.year
        if ago or any(w in which for w in ("previous", "prior", "latest", "just")):
            label -= 1
        return _fiscal_year_found(fiscal, label) if fiscal else _Found("DATE", str(label))
    return None


def _on_decade(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if g("y4"):
        return _Found("DATE", (g("y4") or "")[:3])
    words = {
        "twenties": 2,
        "thirties": 3,
        "forties": 4,
        "fifties": 5,
        "sixties": 6,
        "seventies": 7,
        "eighties": 8,
        "nineties": 9,
    }
    if g("w"):
        if not g("the"):
            return None
        digit = words[_low(g("w"))]
    else:
        digit = int((g("y2") or g("y2b") or "0")[0])
    now = doc.dct.year if doc.dct else 2000
    century = now // 100
    if century * 100 + digit * 10 > now:
        century -= 1
    return _Found("DATE", f"{century}{digit}")


def _on_century(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    o = _low(g("ord"))
    if o in ("this", "last", "next", "the last", "the next", "the past"):
        if o in ("the last", "the next", "the past"):
            return _Found("DURATION", "P100Y")
        if doc.dct is None:
            return _Found("DATE", "XX")
        c = doc.dct.year // 100 + {"this": 0, "last": -1, "next": 1}[o]
        return _Found("DATE", f"{c:02d}")
    n = _ORDINALS.get(o) or int(_NOT_DIGIT.sub("", o) or 0)
    if not 1 <= n <= 30:
        return None
    return _Found("DATE", f"{n - 1:02d}")


def _on_season(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    code = _SEASONS[_low(g("season"))]
    det, year_text = _low(g("det")), g("year") or g("yb")
    # a bare season name is a date only where a date fits ("in summer", "this summer");
    # "fall" and "spring" are also verbs and nouns
    bare = not det and not year_text and not g("edge")
    if bare and (code in ("FA", "SP") or not _PREP_BEFORE.search(doc.before(start))):
        return None
    if code in ("FA", "SP") and not year_text and _OF_AFTER.match(doc.low, end):
        return None  # "the fall of Saigon", "the Fall of Rome": a collapse, not autumn
    if year_text:
        year = _year_number(year_text, doc.dct) if year_text[:1].isdigit() else None
        if year is None:
            year = _relative_year(year_text, doc.dct)
        if year is not None:
            return _Found("DATE", f"{year}-{code}")
        return _Found("DATE", f"XXXX-{code}")
    return _Found("DATE", _resolve_season(code, doc.dct, doc.lean(start, end), det))


def _on_relative(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    found = _relative_value(g, doc, start, end)
    edge = _low(g("edge"))
    if found is not None and edge in ("earlier", "later"):
        # "earlier this month" lies before the publication date, "later this year" after it
        return replace(found, lean=-1 if edge == "earlier" else 1)
    return found


def _relative_value(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    det, unit = _low(g("det")), _low(g("unit"))
    dct = doc.dct
    back = det in (
        "the past",
        "the last",
        "the previous",
        "the prior",
        "last",
        "past",
        "previous",
        "this past",
    )
    ahead = det in (
        "the next",
        "the coming",
        "the following",
        "next",
        "coming",
        "this coming",
        "the upcoming",
        "upcoming",
    )
    if unit.startswith(("few", "several")) or unit in (
        "days",
        "weeks",
        "months",
        "years",
        "quarters",
    ):
        code = _UNITS[unit.split()[-1].rstrip("s")]
        if det in ("coming", "the coming", "upcoming", "the upcoming"):
            return _Found("DATE", "FUTURE_REF", 1)  # "in the coming weeks"
        if back:
            return _Found("DURATION", _duration_value(None, code), -1)
        if ahead:
            return _Found("DURATION", _duration_value(None, code), 1)
        return None
    shift = -1 if back else 1 if ahead else 0
    ref = doc.reference(start)
    if det in ("the following", "the previous", "the prior") and ref and ref[:4].isdigit():
        # "the following year" continues from the year just named, not from today
        if unit in ("year", "fiscal year", "calendar year"):
            return _Found("DATE", str(int(ref[:4]) + shift))
        if unit == "month" and _MONTH_VALUE.match(ref):
            y, m = _add_months(int(ref[:4]), int(ref[5:7]), shift)
            return _Found("DATE", f"{y}-{m:02d}")
        if unit == "quarter" and _QUARTER_VALUE.fullmatch(ref) and ref[-1].isdigit():
            # "sales grew 50% from the previous quarter": the one before the quarter reported
            y, q = divmod(int(ref[:4]) * 4 + int(ref[-1]) - 1 + shift, 4)
            return _Found("DATE", f"{y}-Q{q + 1}", fiscal=ref in doc.fiscal_values)
    if unit == "weekend":
        if dct is None:
            return _Found("DATE", "XXXX-WXX-WE")
        if det == "the":
            # "over the weekend": the one just past or just ahead, as the tense says; without
            # one, early in the week the last, late in the week the coming one
            tense = doc.lean(start, end)
            shift = (
                -1
                if dct.isoweekday() < 6 and (tense < 0 or (tense == 0 and dct.isoweekday() <= 3))
                else 0
            )
        elif shift == 0:
            tense = doc.lean(start, end)
            shift = -1 if tense < 0 and dct.isoweekday() < 6 else 0
        return _Found("DATE", _week(dct + timedelta(weeks=shift)) + "-WE")
    if unit == "decade":
        if back or ahead:
            return _Found("DURATION", "P10Y", shift)
        if dct is None:
            return _Found("DATE", "XXX")
        return _Found("DATE", str(dct.year // 10))
    if dct is None:
        frame = {"week": "XXXX-WXX", "month": "XXXX-XX", "quarter": "XXXX-QX"}
        return _Found("DATE", frame.get(unit, "XXXX"), shift)
    if unit == "fiscal year" and doc.fiscal is not None:
        return _fiscal_year_found(doc.fiscal, doc.fiscal.label_of(dct) + shift)
    if det in ("the past", "the last", "the next", "the coming") and "year" not in unit:
        # "the past week", "the next month": a stretch of time ending or starting now
        code = _UNITS[unit.split()[-1]]
        return _Found("DURATION", _duration_value(1, code), shift)
    if unit == "week":
        return _Found("DATE", _week(dct + timedelta(weeks=shift)))
    if unit == "month":
        y, m = _add_months(dct.year, dct.month, shift)
        return _Found("DATE", f"{y}-{m:02d}")
    if unit == "quarter":
        return _quarter_at(doc, dct, shift)
    return _Found("DATE", str(dct.year + shift))


def _on_period_end(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    unit = _low(g("w1") or g("w2") or g("w3") or g("w4"))
    dct = doc.dct
    if dct is None:
        return _Found(
            "DATE", {"year": "XXXX", "month": "XXXX-XX", "quarter": "XXXX-QX"}.get(unit, "XXXX-WXX")
        )
    if unit == "year":
        tense = doc.lean(start, end)
        year = dct.year - 1 if tense < 0 and dct.month <= 3 else dct.year
        return _Found("DATE", str(year))
    if unit == "month":
        return _Found("DATE", f"{dct.year}-{dct.month:02d}")
    if unit == "quarter":
        return _Found("DATE", f"{dct.year}-Q{_quarter_of(dct)}")
    return _Found("DATE", _week(dct))


def _on_year(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    fiscal = doc.fiscal if _low(g("fy") or g("fy2"))[:5] in ("fisca", "fy", "the f") else None
    if g("year"):
        year = int(g("year") or 0)
        fy = g("fy") or g("fy2") or g("edge")
        if not fy and not 1800 <= year <= 2099:
            return None
        if not fy and doc.before(start, 3).endswith(("No ", "No. ", "#")):
            return None
        if fiscal is not None:
            return _fiscal_year_found(fiscal, year)
        return _Found("DATE", str(year))
    yy = g("yy") or g("yy2")
    year_n = _year_number(yy, doc.dct)
    if year_n and fiscal is not None:
        return _fiscal_year_found(fiscal, year_n)
    return _Found("DATE", str(year_n)) if year_n else None


def _on_spoken_year(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    cent = _low(g("cent"))
    if not cent:
        rest2 = _count_value(g("rest2") or "") if g("rest2") else 0
        if not g("the") and not rest2:
            return None
        return _Found("DATE", str(2000 + int(rest2 or 0)))
    rest = _low(g("rest"))
    base = 1900 if cent == "nineteen" else 2000
    if rest == "hundred":
        return _Found("DATE", str(base))
    n = _count_value(rest)
    if n is None or n >= 100:
        return None
    if cent == "twenty" and not g("the"):
        return None  # "twenty five" is a count far more often than a year
    return _Found("DATE", str(base + int(n)))


def _on_month(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    word = g("month") or ""
    if not g.capital("month"):
        return None  # "march", "may": verbs
    month = _month_number(word)
    det, edge, year_text, yrel = _low(g("det")), g("edge"), g("year"), g("yrel")
    # "May" is a modal verb before it is a month: alone, take it only after a word that asks
    # for a date
    alone = not (det or edge or year_text or yrel)
    if (
        alone
        and word.lower() == "may"
        and (word == "MAY" or not _MAY_CONTEXT.search(doc.before(start, 16)))
    ):
        return None
    if alone and (_NAME_AFTER_MONTH.match(doc.text, end) or _ORG_AFTER.match(doc.text, end)):
        return None  # "the March of the Combatant Mothers", "March for Life": names
    if (
        alone
        and _CAPITAL_AFTER.match(doc.text, end)
        and not _MAY_CONTEXT.search(doc.before(start, 16))
    ):
        return None  # "April Ryan asked": a first name ("in June Apple said" is a date)
    if year_text:
        return _Found("DATE", f"{int(year_text)}-{month:02d}")
    dct = doc.dct
    if yrel:
        year = _relative_year(yrel, dct)
        return _Found("DATE", f"{year}-{month:02d}" if year else f"XXXX-{month:02d}")
    if dct is None:
        return _Found("DATE", f"XXXX-{month:02d}")
    if det in ("last", "this past", "the previous"):
        y = dct.year if month < dct.month else dct.year - 1
        return _Found("DATE", f"{y}-{month:02d}")
    if det in ("next", "this coming", "the following"):
        y = dct.year if month > dct.month else dct.year + 1
        return _Found("DATE", f"{y}-{month:02d}")
    if det == "this":
        return _Found("DATE", f"{dct.year}-{month:02d}")
    return _Found("DATE", _resolve_month(month, dct, doc.tense(start, end)))


def _on_ago(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    found = _ago_value(g, doc, start, end)
    return None if found is None else replace(found, refers_back=True)


def _ago_value(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    n = _count_value(g("num") or "")
    unit_word = _UNIT_FORMS.get(_low(g("unit")), "")
    code = _UNITS.get(unit_word, "")
    direction = _low(g("dir"))
    if direction in ("before", "after", "since", "back"):
        return _Found("DURATION", _duration_value(n, code), -1 if direction != "after" else 0)
    sign = -1 if direction in ("ago", "earlier") else 1
    if code in ("H", "MIN", "S"):
        # "an hour later": the stretch of time is what the text pins down
        return _Found("DURATION", _duration_value(n, code), sign)
    ref = doc.reference(start)
    # "a year earlier" compares with the period just named ("the third quarter" → a year before
    # it); "three days later" continues a narrative from its last date
    if n is not None and n == int(n) and code == "Y" and (direction != "ago" or n == 1):
        compared = doc.compared(start) if sign < 0 else ref
        if compared and compared[:4].isdigit():
            shifted = _shift_value(compared, sign * int(n))
            if shifted:
                return _Found("DATE", shifted, fiscal=compared in doc.fiscal_values)
    day_shift = n is not None and n == int(n) and code == "D" and direction in ("earlier", "later")
    if day_shift and n is not None and ref and _DAY_VALUE.fullmatch(ref):
        moved = date.fromisoformat(ref) + timedelta(days=sign * int(n))
        return _Found("DATE", moved.isoformat())
    dct = doc.dct
    if dct is None or n is None or code not in ("Y", "M", "W", "D", "DE", "Q"):
        if n is None and sign < 0:
            return _Found("DATE", "PAST_REF")
        return _Found("DURATION", _duration_value(n, code), sign)
    k = int(n)
    if code == "D":
        return _Found("DATE", (dct + timedelta(days=sign * k)).isoformat())
    if code == "W":
        return _Found("DATE", _week(dct + timedelta(weeks=sign * k)))
    if code in ("M", "Q"):
        y, m = _add_months(dct.year, dct.month, sign * k * (3 if code == "Q" else 1))
        return _Found("DATE", f"{y}-{m:02d}")
    years = k * (10 if code == "DE" else 1)
    return _Found("DATE", str(dct.year + sign * years))


def _on_year_ago(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    ref = doc.compared(start)
    if ref and ref[:4].isdigit():
        shifted = _shift_value(ref, -1)
        if shifted:
            return _Found("DATE", shifted, refers_back=True, fiscal=ref in doc.fiscal_values)
    if doc.dct is None:
        return _Found("DATE", "XXXX", refers_back=True)
    return _Found("DATE", str(doc.dct.year - 1), refers_back=True)


def _on_holiday(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    rule = _HOLIDAY_BY_NAME[_low(g("name"))]
    if g("year"):
        return _Found("DATE", _holiday_date(rule, int(g("year") or 0)).isoformat())
    dct = doc.dct
    if dct is None:
        if (
            "month" in rule
            and "day" in rule
            and "weekday" not in rule
            and "weekday_after" not in rule
        ):
            return _Found("DATE", f"XXXX-{int(rule['month']):02d}-{int(rule['day']):02d}")
        return _Found("DATE", "XXXX-XX-XX")
    det = _low(g("det"))
    tense = {"last": -1, "this past": -1, "next": 1, "this coming": 1}.get(det)
    if tense is None:
        tense = doc.tense(start, end)
    cands = []
    for y in (dct.year - 1, dct.year, dct.year + 1):
        d = _holiday_date(rule, y)
        cands.append((d, d, d.isoformat()))
    if det in ("last", "this past"):
        cands = [c for c in cands if c[0] < dct] or cands
    elif det in ("next", "this coming"):
        cands = [c for c in cands if c[0] > dct] or cands
    return _Found("DATE", _pick(cands, dct, tense))


def _on_day_part(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    dct = doc.dct
    if g("tonight"):
        if dct is None:
            return _Found("TIME", "XXXX-XX-XXTNI")
        # "overnight" in a report is the night before it
        night = dct if _low(g("tonight")) == "tonight" else dct - timedelta(days=1)
        return _Found("TIME", f"{night.isoformat()}TNI")
    part = _DAY_PARTS[_low(g("part") or g("part2"))]
    day_word = _low(g("day") or g("day2"))
    if day_word.rstrip(".") in _WEEKDAYS and not (g.capital("day") and g.capital("day2")):
        return None
    if g("pl"):
        if day_word.rstrip(".") in _WEEKDAYS:
            return _Found("SET", f"XXXX-WXX-{_weekday_number(day_word)}T{part}")
        return None
    if day_word in ("this", "that", "the same") or day_word == "today":
        if day_word in ("that", "the same"):
            ref = doc.reference(start)
            if ref and _DAY_VALUE.fullmatch(ref):
                return _Found("TIME", f"{ref}T{part}")
            return None
        return _Found("TIME", f"{dct.isoformat() if dct else 'XXXX-XX-XX'}T{part}")
    if day_word == "last":
        if part != "NI":
            return None  # "last evening" is rare; "last morning" is not a day part
        return _Found(
            "TIME", f"{(dct - timedelta(days=1)).isoformat() if dct else 'XXXX-XX-XX'}TNI"
        )
    if day_word in ("the next", "the following", "the previous"):
        ref = doc.reference(start)
        base = date.fromisoformat(ref[:10]) if ref and _DAY_VALUE.match(ref) else dct
        if base is None:
            return _Found("TIME", f"XXXX-XX-XXT{part}")
        shift = -1 if day_word == "the previous" else 1
        return _Found("TIME", f"{(base + timedelta(days=shift)).isoformat()}T{part}")
    day = _day_of(day_word, doc, start, end)
    if day is None:
        return None
    return _Found("TIME", f"{day}T{part}")


def _on_clock(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if g("named") and doc.before(start, 5).endswith("high "):
        return None  # "high noon"
    if g("named"):
        t = _named_clock(_low(g("named")))
    elif g("hw"):
        n = _count_value(g("hw") or "")
        if n is None:
            return None
        hour = int(n) % 12 + (0 if _low(g("inpart")) == "morning" else 12)
        t = f"T{hour:02d}:00"
    elif g("h24"):
        if not (g("tz") or g("approx")) and not _AT_BEFORE.search(doc.before(start, 6)):
            return None  # "10:35" alone is as often a score, a ratio or a verse
        t = _clock(g("h24"), g("mi24"), None) or ""
    else:
        t = _clock(g("h"), g("mi"), g("ap")) or ""
    if not t:
        return None
    ref = doc.reference(start)
    s_start, _ = doc.sentence(start)
    if ref and _DAY_VALUE.fullmatch(ref) and doc.last_at >= s_start:
        day = ref
    else:
        day = doc.dct.isoformat() if doc.dct else "XXXX-XX-XX"
    return _Found("TIME", day + t)


def _on_weekday(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if not g.capital("wd"):
        return None
    wd = _weekday_number(g("wd") or "")
    det = _low(g("det"))
    if det in ("every", "each") or g("pl"):
        return _Found("SET", f"XXXX-WXX-{wd}")
    if det in ("that", "the same"):
        return None
    if det == "on":
        det = ""
    value = _resolve_weekday(wd, doc.dct, doc.tense(start, end), det)
    return _Found("DATE", value)


def _on_deictic(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    w, rel = _low(g("w")), _low(g("rel"))
    if w != "yesterday" and not rel and _GENERIC_AFTER_TODAY.match(doc.low, end):
        return None  # "today's youth": the present age, not a day
    if w == "tomorrow" and doc.before(start, 3) == "of ":
        return None  # "the people of tomorrow": the future, not a day
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[w] + {"before": -1, "after": 1}.get(rel, 0)
    if doc.dct is None:
        return _Found("DATE", "PRESENT_REF" if shift == 0 else "XXXX-XX-XX", shift)
    return _Found("DATE", (doc.dct + timedelta(days=shift)).isoformat())


def _on_anaphor(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    det, unit = _low(g("det")), _low(g("unit"))
    # a narrative's "that day", "the following year" may reach further back than comparisons
    near = start - doc.last_at <= 3 * _REFERENCE_WINDOW
    ref = doc.last_value if near else None
    if ref is None or not ref[:4].isdigit():
        return None
    shift = (
        1
        if det in ("the following", "the next")
        else -1
        if det in ("the previous", "the prior")
        else 0
    )
    if unit == "year":
        return _Found("DATE", str(int(ref[:4]) + shift))
    if unit == "month" and _MONTH_VALUE.match(ref):
        y, m = _add_months(int(ref[:4]), int(ref[5:7]), shift)
        return _Found("DATE", f"{y}-{m:02d}")
    if unit == "day" and _DAY_VALUE.match(ref):
        return _Found("DATE", (date.fromisoformat(ref[:10]) + timedelta(days=shift)).isoformat())
    if unit == "week" and _DAY_VALUE.match(ref):
        return _Found("DATE", _week(date.fromisoformat(ref[:10]) + timedelta(weeks=shift)))
    return None


_NOUN_AFTER_RATE: Final = re.compile(
    r"\s+(?:dividends?|payments?|reports?|results|earnings|profits?|loss|losses|sales|revenue"
    r"|rates?"
    r"|data|figures|statistics|survey|meeting|magazine|newspaper|publication|payout|distribution"
    r"|interest|installments?|returns?|basis|average|gains?|decline|increase|rise|drop|fee|fees"
    r"|premiums?|rent|budget|volume|output|production|review|update|newsletter|column|index)\b"
)
_ADVERB_SET: Final = {
    "daily": "P1D",
    "nightly": "P1D",
    "weekly": "P1W",
    "biweekly": "P2W",
    "monthly": "P1M",
    "bimonthly": "P2M",
    "quarterly": "P3M",
    "annually": "P1Y",
    "yearly": "P1Y",
    "hourly": "PT1H",
    "semiannually": "P6M",
    "semi-annually": "P6M",
    "biannually": "P6M",
    "year-round": "P1Y",
    "around the clock": "P1D",
}


def _on_set(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if g("adv"):
        adv = _low(g("adv"))
        if adv in ("quarterly", "monthly", "weekly", "annual") and _NOUN_AFTER_RATE.match(
            doc.low, end
        ):
            return None  # "quarterly dividend", "monthly report": a kind of thing, not a rate
        return _Found("SET", _ADVERB_SET[adv])
    if g("times"):
        code = _UNITS.get(_UNIT_FORMS.get(_low(g("unit2")), ""), "")
        return _Found("SET", _duration_value(1, code)) if code else None
    step = 2 if _low(g("other")) == "other" else 1
    if g("unit"):
        code = _UNITS.get(_UNIT_FORMS.get(_low(g("unit")), ""), "")
        return _Found("SET", _duration_value(step, code)) if code else None
    if not (g.capital("wd") and g.capital("month")):
        return None
    if g("wd"):
        return _Found("SET", f"XXXX-WXX-{_weekday_number(g('wd') or '')}")
    if g("month"):
        return _Found("SET", f"XXXX-{_month_number(g('month') or ''):02d}")
    if g("season"):
        return _Found("SET", f"XXXX-{_SEASONS[_low(g('season'))]}")
    part = _low(g("part"))
    if part == "weekend":
        return _Found("SET", "XXXX-WXX-WE")
    return _Found("SET", f"XXXX-XX-XXT{_DAY_PARTS[part]}")


def _on_vague_period(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    det = _low(g("det"))
    if g("unit2"):
        return _Found("DATE", "FUTURE_REF", 1)
    if det == "recent":
        return _Found("DATE", "PAST_REF", -1)
    if det == "coming":
        return _Found("DATE", "FUTURE_REF", 1)
    unit = _low(g("unit"))
    code = {"sessions": "D"}.get(unit) or _UNITS[unit.rstrip("s").replace("centurie", "century")]
    lean = 1 if det.startswith("next") else -1
    return _Found("DURATION", _duration_value(None, code), lean)


def _on_duration(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    num_text = _low(g("num"))
    n = _count_value(num_text)
    if n is not None and g("half"):
        n += 0.5
    unit_word = _UNIT_FORMS.get(_low(g("unit")), "")
    code = _UNITS.get(unit_word, "")
    if not code:
        return None
    plural = _low(g("unit")).endswith("s") or _low(g("unit")) in ("centuries", "millennia")
    the, direction, adj = _low(g("the")), _low(g("dir")), _low(g("adj"))
    # "$10 million a year", "four flights a week": a rate, not a stretch of time
    lone_a = num_text in ("a", "an") and not (the or direction or g("approx"))
    if lone_a and (_MONEYISH_BEFORE.search(doc.before(start, 16)) or _plural_before(doc, start)):
        return None
    following = doc.low[end : end + 8]
    if adj == "-old" or _AGE_AFTER.match(following):
        return None  # "a 6-year-old boy", "37 years old": ages, which TimeML leaves untagged
    if code == "Q" and num_text in ("a", "one", "two", "three") and _OF_AFTER.match(following):
        return None  # "three-quarters of its food": a share, not three quarters of a year
    bare_one_day = num_text == "one" and unit_word == "day" and not (the or direction)
    if bare_one_day and not _PREP_BEFORE.search(doc.before(start, 12)):
        return None  # "he hopes one day to fly": someday, not a day long
    if num_text in ("some", "many") and not plural:
        return None  # "some day", "many a year"
    if num_text in ("a", "an", "one") and plural:
        return None
    if unit_word in ("second", "sec") and n is not None and n < 1:
        return None
    unit_end = g.start("unit") + len(g("unit") or "")
    if unit_word == "second" and num_text in ("a", "one") and _WORD_AFTER.match(doc.low, unit_end):
        return None  # "a second term", "a second group": an ordinal, not a second of time
    if code == "D" and unit_word == "night" and n is None:
        return None
    if g("num2") and n is not None:
        n2 = _count_value(g("num2") or "")
        if n2 is not None and n2 < n:
            return None  # "2 or 1 days" is not a range; leave it
    if unit_word == "night" and num_text in ("a", "an"):
        return None  # "a long night", "a night out"
    value = _duration_value(n, code)
    start_at = None
    if the in ("a", "an", "the") and not (direction or g("per")):
        unit_at, num_end = g.start("unit"), g.start("num") + len(g("num") or "")
        singular = not plural and n is not None and n > 1
        if doc.low[num_end:unit_at] == "-" or singular:
            # "a 10-year bond", "the 30-year yield", "a two day trip": the article belongs to
            # the noun
            start_at = g.start("approx") if g("approx") else g.start("num")
    lean = 0
    if direction in ("past", "last", "previous", "preceding"):
        lean = -1
    elif direction in ("next", "coming", "following", "remaining", "ensuing", "succeeding"):
        lean = 1
    return _Found("DURATION", value, lean, start_at)


_NOT_TIME_AFTER_CURRENT: Final = re.compile(
    r"\s+(?:accounts?|assets?|liabilit|ratios?|yields?|coupons?|prices?|dollars|contracts?|events"
    r"|affairs|issues?|market|shareholders|holders|owners|management|employees|members|levels?"
    r"|rates?|value|valuation|trends?|state|status|crisis|era|form|version|policy|law|rules?"
    r"|system|model|lineup|generation|flow|tax|estimates?|forecasts?|plans?|growth|cash|deals?"
    r"|leaders?|officials?|chairman|president|chief|ceo|head|members?|owner|holder)\b"
)
_COUNTED_AFTER: Final = re.compile(
    f"\\s+(?:\\d|{_alt([*_NUMBERS, *_VAGUE, 'couple', 'decade', 'century'])}\\b)"
)
_TIME_NOUN_AFTER: Final = re.compile(
    r"\s+(?:years?|quarters?|months?|weeks?|days?|periods?|sessions?|decades?|generations?)\b"
)


def _on_ref(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    adj = _low(g("adj"))
    if adj:
        following = doc.low[end : end + 24]
        if adj == "current":
            # "the current account", "current shareholders": present, but not a time expression
            if _NOT_TIME_AFTER_CURRENT.match(following):
                return None
            return _Found("DATE", "PRESENT_REF")
        if not _TIME_NOUN_AFTER.match(following):
            return None  # "recent gains", "future growth"
        return _Found("DATE", "PAST_REF" if adj == "recent" else "FUTURE_REF")
    ref = _low(g("ref"))
    if ref.endswith("past") and _COUNTED_AFTER.match(doc.low, end):
        return None  # "the past three summers", "the past 12": a stretch, not the past
    value = _REF_VALUE.get(ref)
    return None if value is None else _Found("DATE", value)


def _on_bare_units(g: Groups, doc: _Doc, start: int, end: int) -> _Found | None:
    if not _BARE_UNIT_BEFORE.search(doc.before(start, 12)):
        return None
    unit = _low(g("unit"))
    code = _UNITS[_UNIT_FORMS.get(unit, unit.rstrip("s"))]
    return _Found("DURATION", _duration_value(None, code))


_HANDLERS: Final[dict[str, Rule]] = {
    "clock_day": _on_clock_day,
    "month_day": _on_month_day,
    "day_month": _on_month_day,
    "iso": _on_iso,
    "slash": _on_slash,
    "q_code": _on_q_code,
    "month_quarter": _on_month_quarter,
    "quarter": _on_quarter,
    "half": _on_half,
    "months_period": _on_months_period,
    "period": _on_period,
    "decade": _on_decade,
    "century": _on_century,
    "season": _on_season,
    "relative": _on_relative,
    "period_end": _on_period_end,
    "year": _on_year,
    "spoken_year": _on_spoken_year,
    "month": _on_month,
    "ago": _on_ago,
    "year_ago": _on_year_ago,
    "holiday": _on_holiday,
    "day_part": _on_day_part,
    "clock": _on_clock,
    "weekday": _on_weekday,
    "deictic": _on_deictic,
    "anaphor": _on_anaphor,
    "set": _on_set,
    "vague_period": _on_vague_period,
    "duration": _on_duration,
    "ref": _on_ref,
    "bare_units": _on_bare_units,
}
assert set(_HANDLERS) == {name for name, _ in _RULES}, "every rule needs a normaliser"

# ── ranges, relations, events ─────────────────────────────────────────────────────────────────

_VALUE_SHAPES: Final = re.compile(
    r"(?P<y>\d{4})(?:-(?:(?P<m>\d\d)(?:-(?P<d>\d\d))?|W(?P<w>\d\d)(?P<we>-WE)?|Q(?P<q>[1-4])"
    r"|H(?P<h>[12])|(?P<s>SP|SU|FA|WI)))?(?:T.*)?"
    r"|(?P<dec>\d{3})|(?P<cen>\d{2})"
)


def _range_of(value: str, dct: date | None) -> tuple[date, date] | None:
    """First and last day a DATE or TIME value covers; None when it is not a calendar span."""
    if value == "PRESENT_REF":
        return (dct, dct) if dct else None
    m = _VALUE_SHAPES.fullmatch(value)
    if m is None:
        return None
    try:
        if m.group("dec"):
            y = int(m.group("dec")) * 10
            return date(max(y, 1), 1, 1), date(y + 9, 12, 31)
        if m.group("cen"):
            y = int(m.group("cen")) * 100
            return date(max(y, 1), 1, 1), date(y + 99, 12, 31)
        y = int(m.group("y"))
        if m.group("d"):
            d = date(y, int(m.group("m")), int(m.group("d")))
            return d, d
        if m.group("m"):
            mo = int(m.group("m"))
            return date(y, mo, 1), _month_end(y, mo)
        if m.group("w"):
            monday = date.fromisocalendar(y, int(m.group("w")), 1)
            if m.group("we"):
                return monday + timedelta(days=5), monday + timedelta(days=6)
            return monday, monday + timedelta(days=6)
        if m.group("q"):
            q = int(m.group("q"))
            return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)
        if m.group("h"):
            h = int(m.group("h"))
            return date(y, 6 * h - 5, 1), _month_end(y, 6 * h)
        if m.group("s"):
            return _season_range(y, m.group("s"))
        return date(y, 1, 1), date(y, 12, 31)
    except (ValueError, OverflowError):  # the edges of the calendar
        return None


def _relation(found: _Found, span: tuple[date, date] | None, dct: date | None, tense: int) -> str:
    if found.value == "PAST_REF":
        return "past"
    if found.value == "FUTURE_REF":
        return "future"
    if found.value == "PRESENT_REF":
        return "ongoing"
    if span is not None and dct is not None:
        if span[1] < dct:
            return "past"
        if span[0] > dct:
            return "future"
        # a period under way ("this summer") is ongoing, unless the phrase points at a part of
        # it ("earlier this month") or the clause at what is still to come ("will be depleted
        # this summer"); a past verb ("sales rose this year") does not end the period
        lean = found.lean or max(tense, 0)
        if span[0] < span[1] and lean:
            return "past" if lean < 0 else "future"
        return "ongoing"
    lean = found.lean or tense
    return "past" if lean < 0 else "future" if lean > 0 else "ongoing"


def _event_of(doc: _Doc, start: int, end: int) -> str | None:
    """The clause a date belongs to, without the date: a cheap stand-in for its event."""
    left_from, right_to = doc.clause(start, end)
    if doc.text[end : end + 2] in ("'s", "’s"):
        end += 2  # "Tuesday's attack": the event is the attack
    lw = doc.text[left_from:start].split()
    rw = doc.text[end:right_to].split()
    if len(lw) + len(rw) < 3:
        s_start, s_end = doc.sentence(start)
        lw, rw = doc.text[s_start:start].split(), doc.text[end:s_end].split()
    lw, rw = lw[-12:], rw[:10]
    lw = _trim_words(lw)
    rw = _trim_words(rw)
    if len(lw) + len(rw) < 2:
        return None
    if lw and rw:
        return " ".join(lw) + " … " + " ".join(rw)
    return " ".join(lw or rw)


def _trim_words(words: list[str]) -> list[str]:
    """Words without the punctuation and function words at either end."""
    words = [w for w in (w.strip(_PUNCT) for w in words) if w]
    lo, hi = 0, len(words)
    while lo < hi and words[lo].lower() in _EVENT_EDGE_WORDS:
        lo += 1
    while hi > lo and words[hi - 1].lower() in _EVENT_EDGE_WORDS:
        hi -= 1
    return words[lo:hi]


# ── entry point ───────────────────────────────────────────────────────────────────────────────


def _anchor_date(published_at: datetime | None) -> date | None:
    """The publication day, or None: a "publication date" before the year 1000 is a placeholder,
    not a date to resolve against (and TIMEX3 years have four digits)."""
    if published_at is None or published_at.year < 1000:
        return None
    return published_at.date()


def _candidate_starts(doc: _Doc, trigger: int, floor: int) -> list[int]:
    """Where an expression hinging on the word at ``trigger`` may begin, leftmost first."""
    starts = [trigger]
    low, pos = doc.low, trigger
    if pos > floor and low[pos - 1] in "'’" and (pos < 2 or not low[pos - 2].isalnum()):
        starts.append(pos - 1)  # "'80s"
    for _ in range(_MAX_PREFIX_WORDS):
        m = _WORD_BEFORE.search(low, max(floor, pos - 24), pos)
        if m is None or not (m.group(1) in _PREFIX_WORDS or m.group(1).isdigit()):
            break
        pos = m.start(1)
        starts.append(pos)
    starts.reverse()
    return starts


def _matches_at(doc: _Doc, trigger: int, floor: int) -> Iterator[tuple[str, re.Match[str]]]:
    """Rule matches that reach the trigger word: leftmost start first, then in rule order."""
    low = doc.low
    for start in _candidate_starts(doc, trigger, floor):
        for rule, pattern in _RULES_BY_FIRST.get(low[start], _COMPILED):
            m = pattern.match(low, start)
            if m is not None and m.end() > trigger:
                yield rule, m


def _triggers(low: str) -> list[int]:
    """Offsets of the words and numbers a time expression can hinge on, in order."""
    size = len(low)
    found = [m.start() for m in _NUMBER_START.finditer(low)]
    for last, length in _TRIGGER_AUTOMATON.iter_long(low):
        first = last - length + 1
        if first > 0 and low[first - 1].isalnum():
            continue
        if last + 1 < size and low[last + 1].isalpha():
            continue
        found.append(first)
    found.sort()
    return found


_OUT_OF_CALENDAR: Final = re.compile(r"-|\d{5}")  # a year before 1 or after 9999


def _normalise(rule: str, m: re.Match[str], doc: _Doc) -> _Found | None:
    """The rule's normaliser on a match; None when it turns the match down or its value would
    leave the calendar (years 1–9999: "next year" in a text dated 9999, "a million days ago")."""
    try:
        found = _HANDLERS[rule](_Groups(m, doc.text), doc, m.start(), m.end())
    except (ValueError, OverflowError):
        return None
    if found is None or _OUT_OF_CALENDAR.match(found.value):
        return None
    return found


def tag_key_dates(
    text: str, published_at: datetime | None, *, fiscal_year: FiscalYear | None = None
) -> tuple[KeyDate, ...]:
    """Every time expression in ``text``, normalised against ``published_at`` (TIMEX3 values).

    ``fiscal_year`` is the fiscal year of the company the text is about (``fiscal_year_for``
    its ticker): "fiscal 2025", "the fiscal third quarter", "Q3 FY25", "this fiscal year" then
    cover that company's months. The value keeps the company's label (TimeML has no fiscal
    calendar: "fiscal third quarter" is ``2025-Q3`` either way); ``range`` and ``relation``
    follow the fiscal calendar. Without it fiscal periods are taken as calendar periods.

    Spans are [start, end) offsets into ``text`` and ``span.text == text[start:end]``; results are
    in text order and never overlap. ``range`` is the first and last day a DATE or TIME covers
    (None for DURATION and SET, and for values with no calendar span such as ``PAST_REF``);
    ``relation`` says whether it lies before, around or after the publication date (by the tense
    of its clause when there is no date to compare); ``event`` is its clause, or None.
    """
    doc = _Doc(text, _anchor_date(published_at), fiscal_year)
    out: list[KeyDate] = []
    floor = 0  # nothing before this offset can start a new expression
    for trigger in _triggers(doc.low):
        if trigger < floor:
            continue
        found: _Found | None = None
        start = end = trigger
        for rule, m in _matches_at(doc, trigger, floor):
            start, end = m.span()
            # a normaliser may turn a match down ("may" the verb); the next rule gets its turn
            found = _normalise(rule, m, doc)
            if found is not None:
                break
        if found is None:
            continue
        if found.start is not None:
            start = found.start
        while end > start and text[end - 1] in " \t\r\n,":
            end -= 1
        floor = end
        fiscal = found.fiscal and doc.fiscal is not None
        if fiscal and doc.fiscal is not None:
            span = _fiscal_range(doc.fiscal, found.value)
            doc.fiscal_values.add(found.value)
        else:
            span = found.days or (
                _range_of(found.value, doc.dct) if found.type in ("DATE", "TIME") else None
            )
        calendar = found.value[:1].isdigit() and "X" not in found.value
        closing = _PERIOD_ENDED.search(doc.low, max(0, start - 32), start) is not None
        if found.type in ("DATE", "TIME") and calendar and not (found.refers_back or closing):
            # later "a year earlier" / "the quarter" refer back to calendar values like this one
            doc.last_value, doc.last_at = found.value, end
            # a comparison looks back at a period that is over; a quarter under way whose
            # results are told in the past tense is a fiscal quarter that has ended
            quarter = _QUARTER_VALUE.fullmatch(found.value) is not None
            over = span is not None and (doc.dct is None or span[1] <= doc.dct)
            if not over and quarter and span is not None and doc.dct is not None:
                over = span[0] <= doc.dct and doc.lean(start, end) < 0
            if over and not (doc.dct is not None and span == (doc.dct, doc.dct)):
                doc.last_past_value, doc.last_past_at = found.value, end
                if quarter:
                    doc.last_quarter, doc.last_quarter_at = found.value, end
        if found.compare_as is not None:
            doc.last_past_value, doc.last_past_at = found.compare_as, end
            doc.last_quarter = None
        spans_now = span is not None and doc.dct is not None and span[0] <= doc.dct <= span[1]
        needs_tense = (span is None or spans_now) and not found.lean
        # future in the past ("said it would start testing this summer") is ahead of the report
        tense = min(doc.tense(start, end), 1) if needs_tense else 0
        out.append(
            KeyDate(
                span=Span(start, end, text[start:end]),
                type=found.type,
                value=found.value,
                range=span,
                event=_event_of(doc, start, end),
                relation=_relation(found, span, doc.dct, tense),
            )
        )
    return tuple(out)
