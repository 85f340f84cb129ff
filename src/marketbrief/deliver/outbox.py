"""The briefing email (multipart text + HTML, ICS attached) and the outbox of ``.eml`` files."""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from marketbrief.errors import DeliveryError
from marketbrief.model import Briefing


def build_briefing_email(
    briefing: Briefing, *, sender: str, subject: str, html: str, text: str, ics: bytes | None
) -> EmailMessage:
    """A MIME message: text/plain and text/html alternatives, and the key dates as text/calendar."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{briefing.reader.name} <{briefing.reader.email}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(briefing.generated_at)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
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


def write_outbox(message: EmailMessage, outbox: Path, *, stem: str) -> Path:
    """Store ``message`` as ``<outbox>/<stem>.eml``; returns the path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-") or "message"
    return write_file_atomically(outbox / f"{safe}.eml", bytes(message))
