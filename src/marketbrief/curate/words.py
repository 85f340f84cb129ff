"""How a briefing words the analysis's labels: company links, short dates (event types:
``model.event_label``, shared with ``deliver.render``)."""

from __future__ import annotations

from datetime import date

from marketbrief.model import CompanyLink, CompanyRole


def short_day(day: date) -> str:
    """ "Jul 22"."""
    return f"{day:%b} {day.day}"


def link_reason(link: CompanyLink) -> str:
    """Why the company is linked, without the "Name (TICKER): " the analysis starts a direct
    link's reason with: "named in the title; 6 mentions", "Pratt & Whitney (jet engines) is
    an RTX business"."""
    prefix = f"{link.name} ({link.ticker}): "
    why = link.why.strip()
    return why[len(prefix) :] if why.startswith(prefix) else why


def first_reason(link: CompanyLink, limit: int = 70) -> str | None:
    """The gist of a link's first reason, when short enough for part of a line (else None):
    what the company is reached through ("Patriot air defense system" of "Patriot air defense
    system: RTX (Raytheon) is the prime contractor"), else the whole first reason."""
    reason = link_reason(link).split("; ")[0].strip()
    through, colon, _ = reason.partition(": ")
    if colon and through:
        reason = through.strip()
    return reason if reason and len(reason) <= limit else None


ROLE_WORDS = {
    CompanyRole.PRIMARY: "the subject",
    CompanyRole.MENTIONED: "mentioned",
    CompanyRole.INDIRECT: "indirect",
}
