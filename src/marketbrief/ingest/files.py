"""Read local inputs — pages, texts, JSONL records, folders and stdin — into ``FetchedDocument``s.

What the analysis contract (DESIGN.md §5) accepts as INPUT: a ``.html``/``.htm`` page, a
``.txt``/``.md`` text, a ``.jsonl`` file of records ``{"id", "text" | "html", "title"?,
"published_at"?, "url"?, "source"?}``, a folder of those, or a stream. A feed file is not an
article: ``looks_like_feed`` tells the caller to send it to ``feeds.parse_feed`` instead.

A bad record or an unreadable file is a ``ParseError`` yielded in its place, and reading goes
on; only a path that is not there at all raises. HTML bytes are passed on undecoded (the
extractor decodes them, helped by ``charset`` when a BOM or ``<meta>`` names one); text bytes
are passed on exactly as read; JSONL is UTF-8.

Local documents have no web address: their ``url`` is a key — the file's ``file:`` URI, with
``#<id>`` for a record, or the stream's name — and ``entry.url`` carries a record's own ``url``.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO
from urllib.parse import quote

from marketbrief.contract import parse_instant
from marketbrief.errors import InvalidInputError, ParseError
from marketbrief.ingest.feeds import sniff_feed
from marketbrief.model import FeedEntry, FetchedDocument

HTML = "text/html"
TEXT = "text/plain"
JSONL = "application/jsonl"

# Article files by suffix; everything else in a folder is skipped.
FILE_KINDS: dict[str, str] = {
    ".html": HTML,
    ".htm": HTML,
    ".txt": TEXT,
    ".md": TEXT,
    ".jsonl": JSONL,
}
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom", ".rdf", ".json"})

# One page or text is read whole; past this it is not an article but a mistake.
MAX_FILE_BYTES = 100 * 1024 * 1024
# JSONL is streamed a line at a time; one record larger than this is refused, not buffered.
MAX_LINE_BYTES = 64 * 1024 * 1024

_SNIFF_BYTES = 64 * 1024
_SPOOL_BYTES = 8 * 1024 * 1024
_META_CHARSET_RE = re.compile(rb"""<meta[^<>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_MARKUP_RE = re.compile(rb"\s*<(?:!doctype|!--|\?xml|[A-Za-z][\w:-]*[\s/>])", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_path(path: Path, *, now: datetime) -> Iterator[FetchedDocument | ParseError]:
    """The documents of a file or folder, in order, each stamped ``fetched_at=now``.

    A folder gives every page, text and JSONL file inside it (recursively, sorted by path;
    hidden names and other files skipped). A page or text is one document with ``id`` = the path;
    a JSONL file is one document per record, in line order. Raises ``InvalidInputError`` at once
    when the path is not there, is a feed, or is a file of a kind not listed above.
    """
    key = str(path)
    try:
        is_dir = path.is_dir()
        if not is_dir:
            path.stat()
    except FileNotFoundError:
        raise InvalidInputError("no such file or folder", key=key) from None
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror or error}", key=key) from None
    if is_dir:
        return _read_folder(path, now=now)
    kind = _kind_of(path)
    if kind is None:
        if looks_like_feed(path):
            raise InvalidInputError("a feed, not an article: read it as a feed source", key=key)
        kinds = ", ".join(FILE_KINDS)
        raise InvalidInputError(f"unsupported file type: expected one of {kinds}", key=key)
    return _read_file(path, kind, now=now)


def read_stream(
    stream: BinaryIO, *, name: str, now: datetime
) -> Iterator[FetchedDocument | ParseError]:
    """The documents of a byte stream such as stdin; ``name`` is its key in urls, ids and errors.

    JSONL when every non-blank line starts with ``{``, an HTML page when it begins with markup,
    else one text (byte-exact). The stream is spooled (to disk past 8 MB), never held whole in
    memory unless it is one page or text.
    """
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        while chunk := stream.read(1024 * 1024):
            spool.write(chunk)
        size = spool.tell()
        spool.seek(0)
        if size == 0:
            yield ParseError("empty input", key=name)
            return
        if _is_jsonl(spool):
            spool.seek(0)
            yield from _read_jsonl(spool, base_url=name, now=now)
            return
        if size > MAX_FILE_BYTES:
            yield ParseError(f"input larger than {MAX_FILE_BYTES} bytes", key=name)
            return
        spool.seek(0)
        data = spool.read()
    kind = HTML if _MARKUP_RE.match(_strip_bom(data[:_SNIFF_BYTES])) else TEXT
    yield _document(data, kind, url=name, key=name, now=now)


def looks_like_feed(path: Path) -> bool:
    """Whether a local file is a feed or sitemap (``.xml``, ``.rss``, ``.atom``, ``.rdf``, a
    ``.json`` JSON Feed, any of them ``.gz``) by its name and first bytes; never raises."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes.pop()
    if not suffixes or suffixes[-1] not in FEED_SUFFIXES:
        return False
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return False
    return sniff_feed(head)


# ── files and folders ─────────────────────────────────────────────────────────────────────────


def _kind_of(path: Path) -> str | None:
    return FILE_KINDS.get(path.suffix.lower())


def _read_folder(folder: Path, *, now: datetime) -> Iterator[FetchedDocument | ParseError]:
    found: list[tuple[tuple[str, ...], Path | OSError]] = []

    def note_error(error: OSError) -> None:
        where = Path(error.filename or folder)
        found.append((_parts_under(where, folder), error))

    # os.walk without following links: a symlink loop cannot trap us.
    for top, dirs, files in os.walk(folder, onerror=note_error, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(top) / name
            if not name.startswith(".") and _kind_of(path) is not None:
                found.append((_parts_under(path, folder), path))
    for _, item in sorted(found, key=lambda pair: pair[0]):
        if isinstance(item, OSError):
            yield ParseError(f"cannot read: {item.strerror or item}", key=str(item.filename))
            continue
        kind = _kind_of(item)
        if kind is not None:
            yield from _read_file(item, kind, now=now)


def _parts_under(path: Path, folder: Path) -> tuple[str, ...]:
    try:
        return path.relative_to(folder).parts
    except ValueError:
        return path.parts


def _read_file(path: Path, kind: str, *, now: datetime) -> Iterator[FetchedDocument | ParseError]:
    key = str(path)
    # abspath, not resolve(): it follows no symlink, so a link loop cannot raise here.
    url = Path(os.path.abspath(path)).as_uri()  # noqa: PTH100
    try:
        with path.open("rb") as file:
            if kind == JSONL:
                yield from _read_jsonl(file, base_url=url, now=now)
                return
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        yield ParseError(f"cannot read: {error.strerror or error}", key=key)
        return
    if len(data) > MAX_FILE_BYTES:
        yield ParseError(f"file larger than {MAX_FILE_BYTES} bytes", key=key)
        return
    yield _document(data, kind, url=url, key=key, now=now)


def _document(
    data: bytes, kind: str, *, url: str, key: str, now: datetime
) -> FetchedDocument | ParseError:
    if not data.strip():
        return ParseError("empty: nothing to read", key=key)
    charset = _html_charset(data) if kind == HTML else _text_charset(data)
    return FetchedDocument(
        url=url,
        final_url=url,
        content=data,
        content_type=kind,
        fetched_at=now,
        charset=charset,
        id=key,
    )


def _html_charset(data: bytes) -> str | None:
    """The charset a BOM or a ``<meta>`` in the first 4 kB names, when Python knows it."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    match = _META_CHARSET_RE.search(data[:4096])
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    try:
        codecs.lookup(label)
    except LookupError:
        return None
    # A <meta> readable as ASCII cannot be in UTF-16; browsers read such pages as UTF-8.
    return "utf-8" if label.startswith(("utf-16", "utf16")) else label


def _text_charset(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _strip_bom(data: bytes) -> bytes:
    return data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data


# ── JSONL ─────────────────────────────────────────────────────────────────────────────────────


def _is_jsonl(stream: IO[bytes]) -> bool:
    seen = False
    for number, line in enumerate(_iter_lines(stream), start=1):
        if line is None:
            return False
        text = (_strip_bom(line) if number == 1 else line).lstrip()
        if not text:
            continue
        if not text.startswith(b"{"):
            return False
        seen = True
    return seen


def _read_jsonl(
    stream: IO[bytes], *, base_url: str, now: datetime
) -> Iterator[FetchedDocument | ParseError]:
    for number, line in enumerate(_iter_lines(stream), start=1):
        where = f"line {number}"
        if line is None:
            yield ParseError(f"record longer than {MAX_LINE_BYTES} bytes", key=where)
            continue
        if number == 1:
            line = _strip_bom(line)
        if line.strip():
            yield _read_record(line, where=where, base_url=base_url, now=now)


def _iter_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The stream's lines (split on ``\\n`` only, as JSONL says); None for a line past
    ``MAX_LINE_BYTES``, whose rest is skipped without being held."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := stream.readline(1024 * 1024)) and not rest.endswith(b"\n"):
            pass
        yield None


def _read_record(
    line: bytes, *, where: str, base_url: str, now: datetime
) -> FetchedDocument | ParseError:
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as error:
        return ParseError(f"not UTF-8 (bad byte at offset {error.start})", key=where)
    except json.JSONDecodeError as error:
        return ParseError(f"bad JSON: {error.msg} at column {error.colno}", key=where)
    except (ValueError, RecursionError) as error:
        return ParseError(f"bad JSON: {error}", key=where)
    if not isinstance(obj, dict):
        return ParseError("not a JSON object", key=where)

    raw_id = obj.get("id")
    record_id: str | None
    if raw_id is None:
        record_id = None
    elif isinstance(raw_id, str) and raw_id.strip():
        record_id = raw_id
    elif isinstance(raw_id, int) and not isinstance(raw_id, bool):
        record_id = str(raw_id)
    else:
        return ParseError('"id" must be a non-empty string', key=where)
    key = record_id or where

    fields: dict[str, str | None] = {}
    for name in ("text", "html", "title", "url", "source", "published_at"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            return ParseError(f'"{name}" must be a string', key=key)
        fields[name] = value

    # "text" wins over "html" when both are there: the caller's clean text is the text.
    body, kind = (fields["text"], TEXT) if fields["text"] is not None else (fields["html"], HTML)
    if body is None:
        return ParseError('needs a "text" or "html" string', key=key)
    if not body.strip():
        return ParseError(f'"{"text" if kind == TEXT else "html"}" is empty', key=key)
    try:
        published_at = parse_instant(fields["published_at"])
    except (ValueError, OverflowError):
        return ParseError(
            f'bad "published_at" {fields["published_at"]!r}: expected ISO 8601', key=key
        )
    try:
        content = body.encode("utf-8")
    except UnicodeEncodeError:
        return ParseError("the text holds a lone surrogate escape (\\ud800-\\udfff)", key=key)

    record_url = fields["url"]
    url = record_url or f"{base_url}#{quote(key, safe='')}"
    title = fields["title"]
    hinted = title is not None or published_at is not None or record_url is not None
    return FetchedDocument(
        url=url,
        final_url=url,
        content=content,
        content_type=kind,
        fetched_at=now,
        entry=FeedEntry(url=url, title=title, published_at=published_at, guid=record_id)
        if hinted
        else None,
        charset="utf-8",
        id=record_id,
        source_name=fields["source"],
    )
