"""Read robots.txt: what one site allows marketbrief's user agent to fetch, and how slowly.

Parsing is the standard library's ``urllib.robotparser``, matched on the product token of our
User-Agent (``marketbrief``). What a failed robots.txt fetch means follows Google's robots.txt
specification: a 4xx answer (except 429) means there are no rules, so everything is allowed; a 429,
a 5xx or an unreachable server means the site may be in trouble, so nothing is fetched from it
for the rest of the run.

Known limits of ``urllib.robotparser``, accepted to stay on the standard library: the first
matching rule wins (Google uses the longest), ``*`` and ``$`` inside paths are not wildcards, and
``Crawl-delay`` is honoured in whole seconds only.
"""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

#: How much of a robots.txt is read; Google also stops at 500 KiB and ignores the rest.
ROBOTS_MAX_BYTES = 500 * 1024


def product_token(user_agent: str) -> str:
    """The product token of a User-Agent: ``marketbrief/0.1 (…)`` → ``marketbrief``."""
    head = user_agent.strip().split(None, 1)[0] if user_agent.strip() else ""
    return head.split("/", 1)[0].lower()


class RobotsRules:
    """What one robots.txt allows one user agent; immutable once made."""

    __slots__ = ("_agent", "_parser")

    def __init__(self, parser: RobotFileParser, agent: str) -> None:
        self._parser = parser
        self._agent = agent

    @property
    def agent(self) -> str:
        return self._agent

    def allows(self, url: str) -> bool:
        """True when the rules let our agent fetch ``url``."""
        return bool(self._parser.can_fetch(self._agent, url))

    @property
    def crawl_delay(self) -> float | None:
        """Seconds the site asks between two requests from our agent, or None."""
        delay = self._parser.crawl_delay(self._agent)
        return None if delay is None else float(delay)


def parse_robots(text: str, *, agent: str) -> RobotsRules:
    """Rules from the text of a robots.txt, for the product token ``agent``."""
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return RobotsRules(parser, agent)


def allow_everything(*, agent: str) -> RobotsRules:
    """Rules that allow every URL (no robots.txt)."""
    return parse_robots("", agent=agent)


def disallow_everything(*, agent: str) -> RobotsRules:
    """Rules that allow nothing (robots.txt could not be read)."""
    return parse_robots("User-agent: *\nDisallow: /\n", agent=agent)


def rules_for_failure(status_code: int | None, *, agent: str) -> RobotsRules:
    """Rules when robots.txt was not served: ``status_code`` is the error status, or None when
    the server could not be reached (or refused, timed out, sent garbage)."""
    if status_code is not None and 400 <= status_code < 500 and status_code != 429:
        return allow_everything(agent=agent)
    return disallow_everything(agent=agent)


def decode_robots(content: bytes) -> str:
    """robots.txt is UTF-8 by specification; bad bytes must not make the whole file unreadable."""
    return content.decode("utf-8", errors="replace").lstrip("\ufeff")
