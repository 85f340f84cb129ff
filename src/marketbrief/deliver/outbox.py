"""The briefing email (multipart text + HTML, ICS attached) and the outbox of ``.eml`` files.

Every header value that comes from data (a reader's name, an article's title in a subject) goes
through :func:`header_text`, which turns control characters — CR and LF above all — into
spaces and breaks up anything that would open an RFC 2047 encoded word (Python's email package
decodes those on the way in and writes a decoded CR LF out as it is): a hostile title can
change what a header says, never which headers there are.
Addresses are built as :class:`email.headerregistry.Address` objects, never pasted into a
string, and the message is serialised with :data:`MAIL_POLICY` (``policy.SMTP``: CRLF, RFC 2047
encoded words for non-ASCII text).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import (
    Address,
    BaseHeader,
    HeaderRegistry,
    UniqueAddressHeader,
    UnstructuredHeader,
)
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, cast

from marketbrief.errors import DeliveryError, InvalidInputError
from marketbrief.model import Briefing, Reader

# C0 controls (CR, LF, TAB, NUL, …), DEL, C1 controls (NEL among them) and the Unicode line and
# paragraph separators: none of them belongs in a one-line header value.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_URI_UNSAFE = re.compile(r"[^\x21-\x7e]|[<>,\"\\]")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[A-Za-z0-9.-]+>")  # no '<', '>', space
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*$")


class _UriListHeader(UnstructuredHeader, BaseHeader):
    """``List-Unsubscribe``: a list of ``<URI>``s folded only between URIs.

    The stock unstructured header would turn a long URI (a signed token is long) into RFC 2047
    encoded words, which no mail client follows.
    """

    def fold(self, *, policy: Any) -> str:
        uris = [part.strip() for part in str(self).split(",") if part.strip()]
        linesep: str = policy.linesep
        return f"{self.name}: {(',' + linesep + ' ').join(uris)}{linesep}"


class _MailboxListHeader(UniqueAddressHeader):
    """``From``, ``To``, ``Cc``: each display name quoted or RFC 2047 encoded here.

    Python 3.11's folder drops the quotes of a long quoted display name when it folds it, so
    that ``"a: b@evil.example, c" <reader@example.com>`` comes out as a list of other
    addresses; this one never folds inside a name (names are cut at ``MAX_NAME`` characters).
    """

    def fold(self, *, policy: Any) -> str:
        linesep: str = policy.linesep
        mailboxes = [
            _mailbox(address, utf8=bool(policy.utf8), linesep=linesep)
            for group in self.groups
            for address in group.addresses
        ]
        name = cast(BaseHeader, self).name  # the registry makes it a BaseHeader subclass
        return f"{name}: {(',' + linesep + ' ').join(mailboxes)}{linesep}"


_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/^_`{|}~ -]+")  # atext and spaces, no '=' or '?'
MAX_NAME = 200


def _mailbox(address: Address, *, utf8: bool, linesep: str) -> str:
    addr_spec = address.addr_spec
    if not utf8 and not addr_spec.isascii():
        local, _, domain = addr_spec.rpartition("@")
        addr_spec = f"{local}@{domain.encode('idna').decode('ascii')}"
    name = address.display_name
    if not name:
        return addr_spec
    if name.isascii() or utf8:
        if _ATOMS.fullmatch(name) and name.strip() == name:
            phrase = name
        else:
            phrase = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        phrase = Header(name, "utf-8", header_name="To").encode(linesep=linesep)
    return f"{phrase} <{addr_spec}>"


def _mail_policy() -> policy.EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", _UriListHeader)
    for name in ("from", "to", "cc", "reply-to"):
        registry.map_to_type(name, cast("type[BaseHeader]", _MailboxListHeader))
    return policy.SMTP.clone(header_factory=registry)


MAIL_POLICY = _mail_policy()
"""How briefing emails are built, serialised and parsed back: ``policy.SMTP`` (CRLF line ends)
with ``List-Unsubscribe`` folded between its URIs only and address headers written whole."""


def one_line(value: str) -> str:
    """``value`` on one line: every control character (CR, LF, TAB, NUL, NEL, the Unicode line
    separators) becomes a space and runs of white space one space."""
    return " ".join(_CONTROLS.sub(" ", value).split())


def header_text(value: str) -> str:
    """``value`` fit for a header: :func:`one_line`, and no ``=?`` left to open an RFC 2047
    encoded word. Python's email package (3.11) decodes encoded words in any string set as a
    header, and writes what they decode to — CR LF included — as it is: the title
    ``=?utf-8?q?=0D=0ABcc:_x@evil.example?=`` would add a ``Bcc`` line. ``=?`` becomes
    ``= ?``."""
    return one_line(value).replace("=?", "= ?")


def parse_address(text: str, *, key: str | None = None) -> Address:
    """One mailbox (``Name <user@example.com>`` or ``user@example.com``) as an ``Address``.

    Raises ``InvalidInputError`` (keyed by ``key``, else the text) for anything else: no
    domain, two addresses, a non-ASCII local part.
    """
    try:
        header = MAIL_POLICY.header_factory("to", header_text(text))
        addresses = header.addresses
        if len(addresses) == 1 and addresses[0].domain and not header.defects:
            address: Address = addresses[0]
            return address
    except (HeaderParseError, ValueError, IndexError):
        pass
    raise InvalidInputError("not one email address (name <user@example.com>)", key=key or text)


def reader_address(reader: Reader) -> Address:
    """The reader as a recipient: their name as the display name, cleaned of controls."""
    try:
        name = header_text(reader.name)[:MAX_NAME]
        return Address(display_name=name, addr_spec=reader.email.strip())
    except (HeaderParseError, ValueError, IndexError) as error:
        raise InvalidInputError(
            f"not a deliverable email address: {error}", key=header_text(reader.email)
        ) from None


def mail_domain(sender: str) -> str:
    """The domain of the sender's address, for Message-IDs; ``localhost`` when it has none
    that can stand in one (IDNA-encoded when not ASCII)."""
    try:
        domain = parse_address(sender).domain
        domain = domain.encode("idna").decode("ascii")
    except (InvalidInputError, UnicodeError):
        return "localhost"
    return domain.lower() if _DOMAIN.match(domain) else "localhost"


def briefing_message_id(reader: Reader, period: str, *, domain: str) -> str:
    """The Message-ID of ``reader``'s briefing for ``period`` (``2025-06-27``, ``2025-W26``),
    or alert (``alert/s-…``): the same reader and period always give the same id, so a resent
    briefing is recognisably the one sent before (and a mail client shows it once). The hash
    covers the reader's address too: a reused reader id never collides with a former reader's
    mail."""
    if not _DOMAIN.match(domain):
        raise InvalidInputError("not a domain name", key=domain)
    digest = hashlib.sha256(f"{reader.id}\n{reader.email.strip().lower()}\n{period}".encode())
    # An alert's period names its kind: <alert.7.s-….…@…>, short enough for one header line.
    kind, name = ("alert", period[6:]) if period.startswith("alert/") else ("briefing", period)
    label = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-") or "period"
    return f"<{kind}.{reader.id}.{label}.{digest.hexdigest()[:16]}@{domain}>"


def _checked_uri(uri: str, *, schemes: tuple[str, ...]) -> str:
    if _URI_UNSAFE.search(uri) or not uri.lower().startswith(schemes):
        raise InvalidInputError(
            f"not a usable link for List-Unsubscribe (want {' or '.join(schemes)}, no spaces)",
            key=header_text(uri),
        )
    return uri


def list_unsubscribe(url: str | None, mailto: str | None = None) -> str | None:
    """The ``List-Unsubscribe`` value (RFC 2369): ``<url>`` and/or ``<mailto:…?subject=…>``."""
    uris = []
    if url:
        uris.append(f"<{_checked_uri(url, schemes=('https://', 'http://'))}>")
    if mailto:
        address = parse_address(mailto, key="unsubscribe_mailto").addr_spec
        uris.append(
            f"<{_checked_uri(f'mailto:{address}?subject=unsubscribe', schemes=('mailto:',))}>"
        )
    return ", ".join(uris) or None


def build_reader_email(
    reader: Reader,
    *,
    sender: str,
    subject: str,
    html: str,
    text: str,
    sent_at: datetime,
    message_id: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    list_id: str = "briefings",
) -> EmailMessage:
    """A MIME message to ``reader``: text/plain and text/html alternatives (briefings and
    alerts alike; see :func:`build_briefing_email` for the arguments). ``list_id`` names the
    mailing list in ``List-Id`` (``marketbrief <list_id> <<list_id>.<domain>>``)."""
    from_address = parse_address(sender, key="mail_from")
    domain = mail_domain(sender)
    if message_id is None:
        message_id = make_msgid(idstring=list_id, domain=domain)
    elif not _MESSAGE_ID.fullmatch(message_id):
        raise InvalidInputError("a Message-ID is <left@domain>", key=header_text(message_id))
    unsubscribe = list_unsubscribe(unsubscribe_url, unsubscribe_mailto)

    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = from_address
    message["To"] = reader_address(reader)
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message["List-Id"] = f"marketbrief {list_id} <{list_id}.{domain}>"
    if unsubscribe is not None:
        message["List-Unsubscribe"] = unsubscribe
        if unsubscribe_url:
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps both parts 7-bit: any relay takes them, long HTML lines included.
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def build_briefing_email(
    briefing: Briefing,
    *,
    sender: str,
    subject: str,
    html: str,
    text: str,
    ics: bytes | None,
    message_id: str | None = None,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
) -> EmailMessage:
    """A MIME message: text/plain and text/html alternatives, and the key dates as text/calendar.

    ``message_id`` (``<…@…>``, see :func:`briefing_message_id`) makes a resent briefing the same
    message; without it the id is random. ``unsubscribe_url`` — the one-click link of RFC 8058,
    which must answer a POST without a cookie — adds ``List-Unsubscribe`` and
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (mail providers act on it only for an
    https link); ``unsubscribe_mailto`` adds a ``mailto:`` alternative. ``sender`` and the
    reader's address must be valid (``InvalidInputError``); the subject and the reader's name
    are cleaned of control characters.
    """
    message = build_reader_email(
        briefing.reader,
        sender=sender,
        subject=subject,
        html=html,
        text=text,
        sent_at=briefing.generated_at,
        message_id=message_id,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=unsubscribe_mailto,
    )
    if ics is not None and briefing.key_dates:
        message.add_attachment(ics, maintype="text", subtype="calendar", filename="key-dates.ics")
    return message


def write_file_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: never half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except OSError as error:
        raise DeliveryError(f"cannot write: {error.strerror}", key=str(path)) from error
    return path


def outbox_stem(text: str) -> str:
    """``text`` (a Message-ID, a time stamp) as a safe file name stem."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "message"


def write_outbox(message: EmailMessage, outbox: Path, *, stem: str) -> Path:
    """Store ``message`` as ``<outbox>/<stem>.eml``; returns the path."""
    data = message.as_bytes(policy=MAIL_POLICY)
    return write_file_atomically(outbox / f"{outbox_stem(stem)}.eml", data)
