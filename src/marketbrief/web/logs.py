"""Access logs without secrets.

Sign-in, confirmation and unsubscribe links, and a reader's private feed and calendar URLs,
carry signed tokens (``links.make_token``: ``payload.timestamp.signature``, URL-safe). A token in
a log file is a key to the reader's account or feed for as long as it is valid, and logs are
kept, copied and shipped far more widely than the database. ``redact`` replaces every token in
a request target — a path segment or a query value — with ``[token]``; ``RedactTokens`` applies
it to uvicorn's access log records, which carry the target as their third argument.
"""

from __future__ import annotations

import logging
import re
from typing import Final

REDACTED: Final = "[token]"

# An itsdangerous timed token: base64url payload (a leading "." when compressed), timestamp,
# and a signature of 27 characters (HMAC-SHA1) or more.
_TOKEN: Final = re.compile(r"\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")


def redact(target: str) -> str:
    """``target`` (a path with its query) with every signed token replaced by ``[token]``."""
    return _TOKEN.sub(REDACTED, target)


class RedactTokens(logging.Filter):
    """Rewrites the request target of an access log record (``uvicorn.access``: client,
    method, target, HTTP version, status) so that no token reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True
