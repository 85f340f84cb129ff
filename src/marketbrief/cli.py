"""The ``marketbrief`` command: parse the arguments, call the facade, print the result.

Results go to stdout (``--json`` where a program reads them); progress, warnings and errors go
to stderr. Exit status: 0 ok, 1 something failed (reported), 2 a usage error.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as day_time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from marketbrief.contract import analysis_to_json, format_instant, parse_instant
from marketbrief.core import (
    DemoReport,
    MarketBrief,
    RunReport,
    SourceReport,
    make_marketbrief,
    utc_now,
)
from marketbrief.errors import MarketBriefError
from marketbrief.model import CADENCES, DeliveryStatus, Reader, Source, SourceKind
from marketbrief.samples import samples_as_of, samples_dir
from marketbrief.settings import Settings, load_settings

if TYPE_CHECKING:
    from marketbrief.curate import MarketCalendar, MarketDate
    from marketbrief.enrich.kb import Company
    from marketbrief.sender import SendReport

app = typer.Typer(
    help="marketbrief: curated U.S. market news, insights and key dates — ingest, analyse, "
    "group and deliver briefings. Settings: flags > MARKETBRIEF_* env > TOML file > defaults.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
sources_app = typer.Typer(help="Add, list and remove the sources news is read from.")
db_app = typer.Typer(help="The database.")
kb_app = typer.Typer(help="Inspect the securities knowledge base: companies and their aliases.")
readers_app = typer.Typer(
    help="Add, list, export and remove readers: who gets briefings, on which schedule."
)
app.add_typer(sources_app, name="sources")
app.add_typer(readers_app, name="readers")
app.add_typer(db_app, name="db")
app.add_typer(kb_app, name="kb")

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    json = "json"
    jsonl = "jsonl"


class State:
    """Global options, turned into Settings when a command needs them."""

    flags: dict[str, Any] = {}  # noqa: RUF012  (one CLI invocation per process)
    config: Path | None = None


@app.callback()
def main_options(
    home: Annotated[
        Path | None, typer.Option(help="Workspace folder (MARKETBRIEF_HOME).", show_default=False)
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="TOML settings file (MARKETBRIEF_CONFIG).", show_default=False),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Database URL (MARKETBRIEF_DATABASE_URL).", show_default=False),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(help="Log to stderr from this level: debug, info, warning, error."),
    ] = "warning",
) -> None:
    State.flags = {"home": home, "database_url": database_url}
    State.config = config
    level = logging.getLevelName(log_level.upper())
    if not isinstance(level, int):
        fail(f"--log-level: not a level: {log_level!r}", 2)
    # Our events at the level asked for; libraries (alembic, httpx…) only when they warn.
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("marketbrief").setLevel(level)


def settings(**overrides: Any) -> Settings:
    if State.config is not None and not State.config.is_file():
        fail(f"settings file not found: {State.config}")
    try:
        return load_settings(State.config, **{**State.flags, **overrides})
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        fail(f"invalid settings: {error}")


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


@contextmanager
def facade(clock: Callable[[], datetime] = utc_now) -> Iterator[MarketBrief]:
    """The facade for this invocation; a MarketBriefError becomes a clear message, exit 1."""
    try:
        with make_marketbrief(settings(), clock=clock) as brief:
            yield brief
    except MarketBriefError as error:
        fail(str(error))


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Any]:
    """A Rich progress bar on stderr; the callback matches ``core.Progress``."""
    if not enabled or not err.is_terminal:
        yield lambda what, done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total or None)
            bar.update(tasks[what], completed=done, total=total or None)

        yield update


def dump(obj: Any) -> None:
    out.out(json.dumps(obj, ensure_ascii=False, indent=2), highlight=False)


# ── sources ──────────────────────────────────────────────────────────────────────────────────


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "url": source.url,
        "kind": source.kind.value,
        "title": source.title,
        "status": source.status.value,
        "error_count": source.error_count,
        "last_error": source.last_error,
        "last_polled_at": format_instant(source.last_polled_at),
        "last_ok_at": format_instant(source.last_ok_at),
        "next_poll_at": format_instant(source.next_poll_at),
        "etag": source.etag,
        "last_modified": source.last_modified,
    }


@sources_app.command("add")
def sources_add(
    location: Annotated[str, typer.Argument(help="Feed/sitemap/page URL, or a file or folder.")],
    kind: Annotated[
        SourceKind | None,
        typer.Option(help="What it is; default: feed for URLs, file/folder for paths."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="A name to show for it.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the source as JSON.")] = False,
) -> None:
    """Add a source. It is polled on the next `marketbrief run`."""
    with facade() as brief:
        source = brief.add_source(location, kind=kind, title=title)
    if as_json:
        dump(source_json(source))
    else:
        out.print(f"added source {source.id}: {source.url} ({source.kind.value})")


@sources_app.command("list")
def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every source with its health: status, consecutive errors, last error, next poll."""
    with facade() as brief:
        sources = brief.list_sources()
    if as_json:
        dump([source_json(s) for s in sources])
        return
    if not sources:
        out.print("no sources yet: add one with `marketbrief sources add URL-or-PATH`")
        return
    from rich.table import Table

    table = Table("id", "kind", "status", "errors", "next poll (UTC)", "url / last error")
    for s in sources:
        when = s.next_poll_at.strftime("%Y-%m-%d %H:%M") if s.next_poll_at else "—"
        where = s.url + (f"\n[red]{s.last_error}[/]" if s.last_error else "")
        table.add_row(str(s.id), s.kind.value, s.status.value, str(s.error_count), when, where)
    out.print(table)


@sources_app.command("remove")
def sources_remove(
    key: Annotated[str, typer.Argument(help="The source's id or URL.")],
) -> None:
    """Remove a source. Its articles stay."""
    with facade() as brief:
        source = brief.remove_source(key)
    out.print(f"removed source {source.id}: {source.url}")


# ── search ──────────────────────────────────────────────────────────────────────────────────


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words to find; every word must occur.")],
    limit: Annotated[int, typer.Option(help="Most results to show.", min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Full-text search over the stored articles (titles and text)."""
    with facade() as brief:
        hits = brief.search(query, limit=limit)
    if as_json:
        dump(
            [
                {
                    "id": article.id,
                    "title": article.title,
                    "url": article.url,
                    "published_at": format_instant(article.published_at),
                    "snippet": snippet,
                }
                for article, snippet in hits
            ]
        )
        return
    if not hits:
        out.print("no articles match")
    for article, snippet in hits:
        when = article.published_at.strftime("%Y-%m-%d") if article.published_at else "----------"
        out.print(f"{when}  {article.title or article.id}")
        out.print(f"            {snippet}")


# ── kb ──────────────────────────────────────────────────────────────────────────────────────


def company_json(company: Company) -> dict[str, Any]:
    return {
        "ticker": company.ticker,
        "name": company.name,
        "legal_name": company.legal_name,
        "exchange": company.exchange,
        "cik": company.cik,
        "sector": company.sector,
        "industry": company.industry,
        "is_etf": company.is_etf,
        "sp500": company.sp500,
        "listed_until": company.listed_until.isoformat() if company.listed_until else None,
        "successor": company.successor,
    }


@kb_app.command("show")
def kb_show(
    ticker: Annotated[str, typer.Argument(help="A ticker, current or former ($ and - work).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One company: its listing, sector, and every alias that links news to it, with why."""
    with facade() as brief:
        company, aliases = brief.kb_company(ticker)
    if as_json:
        dump(
            company_json(company)
            | {
                "aliases": [
                    {"alias": a.alias, "kind": a.kind.value, "why": a.why, "context": a.context}
                    for a in aliases
                ]
            }
        )
        return
    out.print(f"[bold]{company.ticker}[/]  {company.legal_name}  ({company.exchange or '?'})")
    out.print(f"sector: {company.sector or '—'}   industry: {company.industry or '—'}")
    extras = [x for x, on in (("S&P 500", company.sp500), ("ETF", company.is_etf)) if on]
    out.print(f"CIK: {company.cik or '—'}   {' · '.join(extras)}")
    if company.listed_until is not None:
        buyer = f", then part of {company.successor}" if company.successor else ""
        out.print(f"no longer listed: last traded {company.listed_until}{buyer}")
    for alias in aliases:
        needs = f"  [dim](needs: {', '.join(alias.context)})[/]" if alias.context else ""
        out.print(f"  {alias.kind.value:<13} {alias.alias} — {alias.why}{needs}")


@kb_app.command("search")
def kb_search(
    text: Annotated[str, typer.Argument(help="A ticker, a name, a brand, a product, a person.")],
    limit: Annotated[int, typer.Option(help="Most results.", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Companies a text most likely means, best first."""
    with facade() as brief:
        found = brief.kb_search(text, limit=limit)
    if as_json:
        dump([company_json(c) for c in found])
        return
    if not found:
        out.print("no company matches")
    for company in found:
        out.print(f"{company.ticker:<7} {company.legal_name}  ({company.exchange or '?'})")


# ── calendar ────────────────────────────────────────────────────────────────────────────


def market_date_json(entry: MarketDate) -> dict[str, Any]:
    return {
        "first_day": entry.day.isoformat(),
        "last_day": entry.last_day.isoformat(),
        "kind": entry.kind.value,
        "title": entry.title,
        "detail": entry.detail,
        "tickers": list(entry.tickers),
        "event": entry.event,
        "key": entry.key,
        "article_id": entry.article_id,
        "url": entry.url,
        "stated_at": format_instant(entry.stated_at),
        "revision": entry.revision,
    }


def calendar_json(calendar: MarketCalendar) -> dict[str, Any]:
    return {
        "as_of": calendar.first_day.isoformat(),
        "through": calendar.last_day.isoformat(),
        "watch": list(calendar.watch),
        "dates": [market_date_json(d) for d in calendar.dates],
    }


_KIND_LABELS = {
    "market_holiday": "closed",
    "early_close": "early close",
    "fomc_meeting": "FOMC",
    "company_event": "company",
}


def print_calendar(calendar: MarketCalendar) -> None:
    watching = f", company events of {', '.join(calendar.watch)}" if calendar.watch else ""
    out.print(
        f"market calendar {calendar.first_day} to {calendar.last_day}{watching}",
        markup=False,
    )
    if not calendar.dates:
        out.print("nothing ahead in this window")
    for entry in calendar.dates:
        when = f"{entry.day:%Y-%m-%d %a}"
        if entry.last_day != entry.day:
            when += f" to {entry.last_day:%b %d %a}"
        kind = _KIND_LABELS.get(entry.kind.value, entry.kind.value)
        line = f"{when:<29} {kind:<12} {entry.title}"
        if entry.kind.value == "company_event" and entry.detail:
            line += f" — {entry.detail}"
        out.print(line, markup=False)


@app.command()
def calendar(
    watch: Annotated[
        str | None,
        typer.Option(
            help="Company events of these tickers only (comma-separated, e.g. RTX,LMT); "
            "holidays, early closes and FOMC meetings stay.",
            show_default=False,
        ),
    ] = None,
    days: Annotated[int, typer.Option(help="How many days ahead.", min=0, max=3660)] = 30,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Look ahead from this day (YYYY-MM-DD), reading only articles published by its "
            "end; default: today in New York.",
            show_default=False,
        ),
    ] = None,
    ics: Annotated[
        str | None,
        typer.Option(
            help="Also write it as iCalendar (RFC 5545) to this file, or - for stdout.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What lies ahead: NYSE holidays and early closes, FOMC meetings, and the company events
    stated in stored articles ("will report results on Feb. 3"), by date.

    The iCalendar events keep their UIDs when a date moves, so a calendar app that imports or
    subscribes to the file again moves the event instead of adding a second one.
    """
    if ics == "-" and as_json:
        fail("--ics - and --json both write to stdout: choose one", 2)
    try:
        day = date.fromisoformat(as_of) if as_of is not None else None
    except ValueError:
        fail(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}", 2)
    tickers = [t for t in (watch or "").replace(" ", ",").split(",") if t.strip()]
    with facade() as brief:
        result = brief.calendar(as_of=day, days=days, watch=tickers)
        if ics == "-":
            sys.stdout.buffer.write(brief.calendar_ics(result))
            sys.stdout.flush()
            return
        if ics is not None:
            path = brief.write_calendar_ics(result, Path(ics).expanduser())
            err.print(f"wrote {len(result.dates)} events to {path}", markup=False)
    if as_json:
        dump(calendar_json(result))
    else:
        print_calendar(result)


# ── readers ──────────────────────────────────────────────────────────────────────────────────

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def split_list(values: list[str] | None) -> list[str]:
    """Comma-separated values, the option given once or more: ``--watch RTX,LMT --watch XOM``."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def read_weekday(text: str) -> int:
    word = text.strip().lower()
    if word.isdigit() and 0 <= int(word) <= 6:
        return int(word)
    for number, day in enumerate(WEEKDAYS):
        if len(word) >= 3 and day.startswith(word[:3]) and word.isalpha():
            return number
    fail(f"--weekday: not a day of the week (mon … sun): {text!r}", 2)


def read_clock_time(text: str) -> day_time:
    try:
        hours, _, minutes = text.strip().partition(":")
        return day_time(int(hours), int(minutes or 0))
    except ValueError:
        fail(f"--time: not a time of day (HH:MM, 24-hour): {text!r}", 2)


def schedule_text(reader: Reader) -> str:
    at = f"{reader.send_time:%H:%M} {reader.timezone}"
    if reader.cadence == "daily":
        return f"daily {at}"
    if reader.cadence == "weekly":
        return f"weekly {WEEKDAYS[reader.weekday].title()} {at}"
    return reader.cadence


def reader_json(reader: Reader) -> dict[str, Any]:
    return {
        "id": reader.id,
        "email": reader.email,
        "name": reader.name,
        "status": reader.status.value,
        "watchlist": {
            "tickers": list(reader.watchlist.tickers),
            "sectors": list(reader.watchlist.sectors),
            "event_types": list(reader.watchlist.event_types),
        },
        "cadence": reader.cadence,
        "timezone": reader.timezone,
        "send_time": f"{reader.send_time:%H:%M}",
        "weekday": reader.weekday,
        "added_at": format_instant(reader.added_at),
        "confirmed_at": format_instant(reader.confirmed_at),
        "last_briefed_at": format_instant(reader.last_briefed_at),
    }


@readers_app.command("add")
def readers_add(
    email: Annotated[str, typer.Argument(help="The reader's email address.")],
    watch: Annotated[
        list[str] | None,
        typer.Option(help="Tickers to follow, comma-separated: RTX,LMT.", show_default=False),
    ] = None,
    sectors: Annotated[
        list[str] | None,
        typer.Option(
            help="GICS sectors or sub-industries, separated by ';' or ',' (names holding a comma "
            "are recognised whole): 'Aerospace & Defense;Semiconductors'.",
            show_default=False,
        ),
    ] = None,
    events: Annotated[
        list[str] | None,
        typer.Option(
            help="Event types, comma-separated: earnings_results,contract_award.",
            show_default=False,
        ),
    ] = None,
    cadence: Annotated[
        str,
        typer.Option(
            help=f"How often: {', '.join(CADENCES)} (alerts: an email as a story about the "
            "watchlist breaks, instead of a briefing; --time and --tz do not apply)."
        ),
    ] = "daily",
    at: Annotated[str, typer.Option("--time", help="Local time of the briefing, HH:MM.")] = "07:00",
    tz: Annotated[str, typer.Option("--tz", help="The reader's IANA time zone.")] = (
        "America/New_York"
    ),
    weekday: Annotated[str, typer.Option(help="Weekly cadence: the day (mon … sun).")] = "mon",
    name: Annotated[str, typer.Option(help="How to address the reader.")] = "",
    confirmed: Annotated[
        bool,
        typer.Option(
            "--confirmed",
            help="The reader already agreed (briefings start); without it the reader is "
            "pending until they confirm by the link the web app mails.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reader as JSON.")] = False,
) -> None:
    """Add a reader with a watchlist and a schedule."""
    if cadence not in CADENCES:
        fail(f"--cadence: one of {', '.join(CADENCES)}", 2)
    send_time, day = read_clock_time(at), read_weekday(weekday)
    with facade() as brief:
        watchlist = brief.make_watchlist(
            split_list(watch), sector_names(sectors), split_list(events)
        )
        reader = brief.add_reader(
            email,
            name,
            watchlist,
            cadence=cadence,
            timezone=tz,
            send_time=send_time,
            weekday=day,
            confirmed=confirmed,
        )
        public_url = brief.settings.public_url.rstrip("/")
    if as_json:
        dump(reader_json(reader))
        return
    out.print(f"added reader {reader.id}: {reader.email} ({schedule_text(reader)})", markup=False)
    if not confirmed:
        out.print(
            f"pending: no briefings until {reader.email} confirms. The web app mails the "
            f"confirmation link when they subscribe at {public_url}/subscribe; add them with "
            "--confirmed instead when they already agreed.",
            markup=False,
        )


def sector_names(values: list[str] | None) -> list[str]:
    """``--sectors`` values split on ';' (a comma is split by the facade, which knows the
    names that hold one)."""
    return [part.strip() for value in values or () for part in value.split(";") if part.strip()]


@readers_app.command("list")
def readers_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every reader: status, schedule, watchlist, last briefing."""
    with facade() as brief:
        readers = brief.list_readers()
    if as_json:
        dump([reader_json(r) for r in readers])
        return
    if not readers:
        out.print("no readers yet: add one with `marketbrief readers add EMAIL --watch RTX`")
        return
    from rich.table import Table

    table = Table("id", "email", "status", "schedule", "watchlist", "last briefing (UTC)")
    for r in readers:
        watching = ", ".join([*r.watchlist.tickers, *r.watchlist.sectors, *r.watchlist.event_types])
        last = r.last_briefed_at.strftime("%Y-%m-%d %H:%M") if r.last_briefed_at else "—"
        table.add_row(str(r.id), r.email, r.status.value, schedule_text(r), watching or "—", last)
    out.print(table, markup=False)


@readers_app.command("remove")
def readers_remove(
    email: Annotated[str, typer.Argument(help="The reader's email (or id).")],
) -> None:
    """Remove a reader, their send log and sessions. The address's bounce count and
    suppression stay (a re-added address that bounced stays suppressed), and their comments
    stay as posted; `readers delete` erases those too."""
    with facade() as brief:
        reader = brief.remove_reader(email)
    out.print(f"removed reader {reader.id}: {reader.email}", markup=False)


@readers_app.command("delete")
def readers_delete(
    email: Annotated[str, typer.Argument(help="The reader's email (or id).")],
) -> None:
    """Erase everything kept about a reader (a request to be forgotten): the reader, their
    send log, sessions and comments (one someone answered stays in its place, without author
    or text), their address's bounces and suppression, the confirmation mails sent to it.
    `readers export` first if they asked for a copy. See docs/privacy.md."""
    with facade() as brief:
        reader = brief.erase_reader(email)
    out.print(f"erased reader {reader.id}: {reader.email} and all kept about it", markup=False)


@readers_app.command("export")
def readers_export(
    email: Annotated[str, typer.Argument(help="The reader's email (or id).")],
) -> None:
    """Everything kept about a reader as JSON: the reader, the send log, their comments
    (every status), the bans naming them, their sessions, bounces, suppression and notices."""
    with facade() as brief:
        data = brief.export_reader(email)
    dump(data)


# ── brief, send ──────────────────────────────────────────────────────────────────────────────


@app.command()
def brief(
    reader: Annotated[str, typer.Option(help="The reader's email (or id).")],
    html: Annotated[
        Path | None, typer.Option(help="Write the HTML email to this file.", show_default=False)
    ] = None,
    text: Annotated[
        bool, typer.Option("--text", help="Print the text part (the default without --html).")
    ] = False,
) -> None:
    """Preview a reader's briefing as it would be sent now. Nothing is sent or logged, and
    the reader's next briefing still covers the same news."""
    with facade() as facade_:
        rendered = facade_.preview_briefing(reader)
    if html is not None:
        from marketbrief.deliver import write_file_atomically

        path = write_file_atomically(html.expanduser(), rendered.html.encode("utf-8"))
        err.print(f"wrote {path}", markup=False)
    if text or html is None:
        out.out(rendered.text, highlight=False)


class StopFlag:
    """Set by SIGTERM or SIGINT: the command finishes the item in hand, then stops."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self) -> bool:
        return self.signal is not None


@contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """SIGTERM and Ctrl-C set the flag instead of killing the process (a second Ctrl-C
    interrupts at once)."""
    flag = StopFlag()

    def handler(signum: int, frame: Any) -> None:
        if flag.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        flag.signal = signum
        note = f"{signal.Signals(signum).name}: finishing the item in hand, then stopping\n"
        os.write(2, note.encode())  # not the console: it may be in the middle of a write

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield flag
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def outcome_json(report: SendReport) -> dict[str, Any]:
    return {
        "sent": report.count(DeliveryStatus.SENT),
        "retry": report.count(DeliveryStatus.RETRY),
        "failed": report.count(DeliveryStatus.FAILED),
        "skipped": report.count(DeliveryStatus.SKIPPED),
        "stopped": report.stopped,
        "deliveries": [
            {
                "reader": o.reader.email,
                "period": o.period,
                "status": o.status.value,
                "message_id": o.message_id,
                "error": o.error,
                "next_attempt_at": format_instant(o.next_attempt_at),
            }
            for o in report.outcomes
        ],
    }


def print_send_report(report: SendReport) -> None:
    from marketbrief.curate.schedule import is_alert_period

    for o in report.outcomes:
        line = f"  {o.status.value:<8} {o.period:<10} {o.reader.email}"
        if o.error:
            line += f" — {o.error}"
        if o.next_attempt_at is not None:
            line += f" (again at {o.next_attempt_at:%H:%M} UTC)"
        (out if o.status is DeliveryStatus.SENT else err).print(line, markup=False)
    sent = report.count(DeliveryStatus.SENT)
    alerts = sum(
        1 for o in report.outcomes if o.status is DeliveryStatus.SENT and is_alert_period(o.period)
    )
    briefings = sent - alerts
    out.print(
        f"{briefings} {'briefing' if briefings == 1 else 'briefings'} sent, "
        + (f"{alerts} {'alert' if alerts == 1 else 'alerts'} sent, " if alerts else "")
        + f"{report.count(DeliveryStatus.RETRY)} to retry, "
        f"{report.count(DeliveryStatus.FAILED)} failed, "
        f"{report.count(DeliveryStatus.SKIPPED)} skipped",
        markup=False,
    )
    if report.stopped:
        err.print(f"the run stopped early: {report.stopped}", markup=False)


StaleAfter = Annotated[
    float,
    typer.Option(
        "--stale-after",
        help="Seconds after which a claimed briefing whose sender never finished is taken "
        "to be from a sender that died, and sent by this one.",
        min=0.1,
    ),
]


@app.command()
def send(
    reader: Annotated[
        str | None, typer.Option(help="Only this reader (email or id).", show_default=False)
    ] = None,
    now: Annotated[
        bool,
        typer.Option(
            "--now",
            help="Each confirmed reader's current briefing (today's, this week's) is due now, "
            "even before its time — still at most one per reader and period.",
        ),
    ] = False,
    stale_after: StaleAfter = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Send the briefings that are due (SMTP from smtp_url, else .eml files in the outbox).

    Safe to run again at any time, and beside other senders: each reader gets at most one
    briefing per period. SIGTERM finishes the briefing in hand and stops.
    """
    with facade() as facade_, stop_on_signals() as stop:
        report = facade_.send_due(
            reader=reader,
            force_now=now,
            should_stop=stop,
            stale_after=timedelta(seconds=stale_after),
        )
    if as_json:
        dump(outcome_json(report))
    else:
        print_send_report(report)
    stopped_by_error = report.stopped is not None and not stop()
    if stopped_by_error or report.count(DeliveryStatus.FAILED):
        raise typer.Exit(1)


# ── db ──────────────────────────────────────────────────────────────────────────────────────


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the newest schema."""
    with facade() as brief:
        brief.upgrade_db()
        out.print(f"database at the newest schema: {brief.settings.db_url}")


# ── run, demo ───────────────────────────────────────────────────────────────────────────────


def report_json(report: RunReport) -> dict[str, Any]:
    return {
        "new_articles": report.new_articles,
        "stories": report.stories,
        "sources": [
            {
                "id": r.source.id,
                "url": r.source.url,
                "status": r.source.status.value,
                "new_articles": r.new_articles,
                "not_modified": r.not_modified,
                "error": r.error,
                "item_errors": list(r.item_errors),
                "next_poll_at": format_instant(r.source.next_poll_at),
            }
            for r in report.sources
        ],
        "briefings": [
            {
                "reader": b.reader.email,
                "items": b.items,
                "key_dates": b.key_dates,
                "html": str(b.html),
                "text": str(b.text),
                "eml": str(b.eml),
                "ics": str(b.ics),
            }
            for b in report.briefings
        ],
    } | ({"send": outcome_json(report.sent)} if report.sent is not None else {})


def print_sources(reports: tuple[SourceReport, ...]) -> None:
    for r in reports:
        state = "error" if r.error else ("not modified" if r.not_modified else "ok")
        out.print(f"  source {r.source.id} {state:<12} {r.new_articles:>3} new  {r.source.url}")
        if r.error:
            err.print(f"    [red]{r.error}[/]")
        for item in r.item_errors:
            err.print(f"    [yellow]skipped: {item}[/]")


@app.command()
def run(
    forever: Annotated[
        bool, typer.Option(help="Keep going: a run every --interval seconds until SIGTERM.")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="With --forever: seconds between runs.", min=1)
    ] = 60.0,
    force: Annotated[bool, typer.Option(help="Poll every source now, due or not.")] = False,
    stale_after: StaleAfter = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """The main job: poll due sources, analyse, group stories, send the due briefings.

    One run at a time per installation (a lock beside the SQLite file, an advisory lock on
    PostgreSQL): a second one exits. SIGTERM or Ctrl-C finishes the item in hand (a poll
    round, the grouping, one reader's briefing) and exits cleanly.
    """
    failed = False
    with facade() as brief, stop_on_signals() as stop:
        lock = brief.try_run_lock()
        if lock is None:
            fail("another `marketbrief run` is running on this database; it sends the briefings")
        with lock:
            while not stop():
                with progress_bar(not as_json) as progress:
                    report = brief.run(
                        force=force,
                        progress=progress,
                        should_stop=stop,
                        stale_after=timedelta(seconds=stale_after),
                    )
                sent = report.sent
                failed = any(r.error for r in report.sources) or (
                    sent is not None and sent.count(DeliveryStatus.FAILED) > 0
                )
                if as_json:
                    out.out(json.dumps(report_json(report), ensure_ascii=False))
                else:
                    print_sources(report.sources)
                    out.print(f"{report.new_articles} new articles, {report.stories} stories")
                    if sent is not None:
                        print_send_report(sent)
                if not forever:
                    break
                deadline = time.monotonic() + interval
                while not stop() and (left := deadline - time.monotonic()) > 0:
                    time.sleep(min(left, 0.25))  # a signal ends the wait within a quarter second
    if stop():
        err.print("stopped cleanly", markup=False)
        return
    if failed:
        raise typer.Exit(1)


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run everything on the bundled sample sources (written for the demo, not real news).

    Ingests the sample feeds, analyses the articles, groups duplicates, builds the sample
    reader's briefing and writes it as HTML, text, an .eml in the outbox and a key-dates .ics.
    The clock is set to the samples' date, so "key dates ahead" are ahead of them.
    """
    folder = samples_dir()
    as_of = samples_as_of()
    with facade(clock=lambda: as_of) as brief, progress_bar(not as_json) as progress:
        report = brief.demo(folder, progress=progress)
    if as_json:
        dump(
            {"home": str(report.home), "database": report.database}
            | report_json(report.run)
            | {"calendar": calendar_json(report.calendar)}
        )
        return
    print_demo(report)


def print_demo(report: DemoReport) -> None:
    out.print("[bold]marketbrief demo[/] — sample sources written for the demo, not real news")
    out.print(f"as of {format_instant(report.as_of)} (the samples' date)")
    print_sources(report.run.sources)
    out.print(
        f"{report.articles} articles stored, {report.run.new_articles} new this run, "
        f"{report.run.stories} stories"
    )
    out.print(f"workspace:  {report.home}")
    out.print(f"database:   {report.database}")
    for b in report.run.briefings:
        out.print(f"briefing for {b.reader.email}: {b.items} stories, {b.key_dates} key dates")
        out.print(f"  html:     {b.html}")
        out.print(f"  text:     {b.text}")
        out.print(f"  email:    {b.eml}")
        out.print(f"  calendar: {b.ics}")
    print_calendar(report.calendar)
    days = (report.calendar.last_day - report.calendar.first_day).days
    out.print(f"(again: marketbrief calendar --as-of {report.calendar.first_day} --days {days})")


# ── analyze ─────────────────────────────────────────────────────────────────────────────────


@app.command()
def analyze(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Paths (.html/.htm page, .txt/.md text, .jsonl records, a folder), URLs, or - "
            "for stdin. A JSONL record is {id, text|html, title?, published_at?, url?, source?}."
        ),
    ],
    published_at: Annotated[
        str | None,
        typer.Option(help="Publication date (ISO 8601) for inputs that do not carry one."),
    ] = None,
    url: Annotated[str | None, typer.Option(help="The URL of the input, when it has none.")] = None,
    output_format: Annotated[
        Format, typer.Option("--format", help="json: pretty; jsonl: one object a line.")
    ] = Format.json,
) -> None:
    """Analyse articles without storing them; print the marketbrief.analysis/1 contract.

    Records that cannot be analysed give {"id", "error"} in their place; the others still come
    out, and the exit status is 1 at the end.
    """
    try:
        when = parse_instant(published_at)
    except ValueError:
        fail(f"--published-at: not an ISO 8601 date or date-time: {published_at!r}", 2)
    failed = False
    objects: list[dict[str, Any]] = []
    with facade() as brief, progress_bar(output_format is Format.json) as progress:
        # A stream: with --format jsonl each line is written as it comes, so memory stays flat
        # however many records there are (the pretty JSON form is for people and holds them).
        for result in brief.analyze_stream(
            inputs, published_at=when, url=url, stdin=sys.stdin.buffer, progress=progress
        ):
            if result.analysis is None:
                failed = True
                err.print(f"[red]error:[/] {result.key}: {result.error}")
                obj: dict[str, Any] = {"id": result.key, "error": result.error}
            else:
                obj = analysis_to_json(result.analysis)
            if output_format is Format.jsonl:
                sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
            else:
                objects.append(obj)
    if output_format is Format.json:
        dump(objects[0] if len(objects) == 1 else objects)
    if failed:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the web reader (subscriptions, articles, the JSON API) until interrupted.

    Put it behind a TLS-terminating proxy for the public and set ``public_url`` to the address
    readers use: links in emails start with it, and cookies are marked Secure when it is https.
    """
    import logging

    import uvicorn

    from marketbrief.web import create_app
    from marketbrief.web.logs import RedactTokens

    try:
        web = create_app(settings())
    except MarketBriefError as error:
        fail(str(error))
    config = uvicorn.Config(web, host=host, port=port, log_level="info", proxy_headers=False)
    # After Config (which sets up uvicorn's loggers): sign-in and feed URLs carry tokens.
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    uvicorn.Server(config).run()


def main() -> None:
    app()
