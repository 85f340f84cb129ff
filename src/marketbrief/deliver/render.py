"""Render a briefing, and an alert, as HTML and as plain text (Jinja2 templates beside this
module; both emails share ``_layout.html`` and ``_footer.txt``).

The HTML is an email first: one fluid column at most 600px wide, laid out with tables, every
style inline (many mail clients drop ``<style>``), and a ``<style>`` block that only adds — a
dark palette under ``prefers-color-scheme: dark`` and narrower padding on phones. The inline
styles come from :data:`STYLES`, so a colour is changed in one place.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from marketbrief.deliver.outbox import one_line
from marketbrief.model import (
    Briefing,
    BriefingItem,
    CalendarEntry,
    CompanyLink,
    CompanyRole,
    Reader,
    StoryChange,
    WatchlistStory,
    event_label,
)

_PLAIN_VALUE = re.compile(r"^\d{4}(-\d{2}){0,2}$")

LIGHT = {
    "page": "#f2f3f5",
    "card": "#ffffff",
    "text": "#1b1c1e",
    "muted": "#5f6368",
    "link": "#0b57d0",
    "rule": "#e3e5e8",
    "tag": "#eef1f5",
    "tag_border": "#d3dae3",
    "hit": "#fff3c4",
    "hit_border": "#e0b400",
    "pos": "#17703a",
    "neg": "#b3261e",
}
DARK = {
    "page": "#101113",
    "card": "#1d1f22",
    "text": "#e8eaed",
    "muted": "#a9aeb5",
    "link": "#8ab4f8",
    "rule": "#3a3d42",
    "tag": "#2a2d31",
    "tag_border": "#464a50",
    "hit": "#4a3c00",
    "hit_border": "#a68500",
    "pos": "#7fcf98",
    "neg": "#f2978f",
}

_FONT = '-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif'
_C = LIGHT
# Inline styles, the safe defaults every client gets. Classes of the same names (``mb-…``) let
# the <style> block repaint them in dark mode.
STYLES = {
    "body": f"margin:0;padding:0;width:100%;background-color:{_C['page']};",
    "page": f"background-color:{_C['page']};",
    "outer": "padding:16px 8px;",
    "card": f"width:100%;max-width:600px;background-color:{_C['card']};border-radius:8px;"
    f"border:1px solid {_C['rule']};color:{_C['text']};font-family:{_FONT};font-size:16px;"
    "line-height:1.5;",
    "head": "padding:24px 24px 12px;",
    "h1": f"margin:0 0 4px;font-size:22px;line-height:1.3;font-weight:700;color:{_C['text']};",
    "h2": f"margin:0 0 6px;font-size:18px;line-height:1.35;font-weight:600;color:{_C['text']};",
    "section": f"margin:0;font-size:13px;font-weight:700;letter-spacing:0.06em;"
    f"text-transform:uppercase;color:{_C['muted']};",
    "section_cell": f"padding:20px 24px 4px;border-top:1px solid {_C['rule']};",
    "item": f"padding:16px 24px;border-top:1px solid {_C['rule']};",
    "item_first": "padding:8px 24px 16px;",
    "a": f"color:{_C['link']};text-decoration:none;",
    "a_under": f"color:{_C['link']};text-decoration:underline;",
    "meta": f"margin:0 0 8px;font-size:13px;line-height:1.45;color:{_C['muted']};",
    "p": f"margin:0 0 8px;font-size:15px;line-height:1.5;color:{_C['text']};",
    "why": f"margin:0;font-size:13px;line-height:1.45;color:{_C['muted']};",
    "tags": "margin:0 0 6px;line-height:1.9;",
    "tag": f"display:inline-block;font-size:12px;line-height:1.5;padding:0 6px;margin:0 4px 0 0;"
    f"border:1px solid {_C['tag_border']};border-radius:4px;background-color:{_C['tag']};"
    f"color:{_C['text']};white-space:nowrap;",
    "hit": f"display:inline-block;font-size:12px;line-height:1.5;padding:0 6px;margin:0 4px 0 0;"
    f"border:1px solid {_C['hit_border']};border-radius:4px;background-color:{_C['hit']};"
    f"color:{_C['text']};font-weight:600;white-space:nowrap;",
    "pos": f"color:{_C['pos']};",
    "neg": f"color:{_C['neg']};",
    "neu": f"color:{_C['muted']};",
    "date_cell": f"padding:10px 24px;border-top:1px solid {_C['rule']};",
    "date": f"margin:0;font-size:13px;font-weight:600;line-height:1.4;color:{_C['muted']};",
    "date_title": f"margin:2px 0 0;font-size:15px;line-height:1.4;color:{_C['text']};",
    "insight": f"margin:0 0 8px;padding:2px 0 2px 10px;border-left:3px solid {_C['hit_border']};"
    f"font-size:14px;line-height:1.45;font-weight:600;color:{_C['text']};",
    "links": f"margin:4px 0 0;font-size:13px;line-height:1.45;color:{_C['muted']};",
    "h3": f"margin:0 0 4px;font-size:16px;line-height:1.35;font-weight:700;color:{_C['text']};",
    "row_title": f"margin:6px 0 0;font-size:15px;line-height:1.4;color:{_C['text']};",
    "row_note": f"margin:0;font-size:13px;line-height:1.45;color:{_C['muted']};",
    "watch_cell": f"padding:12px 24px;border-top:1px solid {_C['rule']};",
    "date_detail": f"margin:2px 0 0;font-size:13px;line-height:1.4;color:{_C['muted']};",
    "foot": f"padding:16px 24px 24px;border-top:1px solid {_C['rule']};font-size:12px;"
    f"line-height:1.5;color:{_C['muted']};",
    "foot_p": f"margin:0 0 6px;font-size:12px;line-height:1.5;color:{_C['muted']};",
    "preheader": "display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;"
    "mso-hide:all;font-size:1px;line-height:1px;",
}


def _dark_css() -> str:
    d = DARK
    rules = {
        ".mb-page": f"background-color:{d['page']} !important;",
        ".mb-card": f"background-color:{d['card']} !important;color:{d['text']} !important;"
        f"border-color:{d['rule']} !important;",
        ".mb-text": f"color:{d['text']} !important;",
        ".mb-muted": f"color:{d['muted']} !important;",
        ".mb-link": f"color:{d['link']} !important;",
        ".mb-rule": f"border-color:{d['rule']} !important;",
        ".mb-tag": f"background-color:{d['tag']} !important;border-color:{d['tag_border']} "
        f"!important;color:{d['text']} !important;",
        ".mb-hit": f"background-color:{d['hit']} !important;border-color:{d['hit_border']} "
        f"!important;color:{d['text']} !important;",
        ".mb-insight": f"color:{d['text']} !important;border-color:{d['hit_border']} !important;",
        ".mb-pos": f"color:{d['pos']} !important;",
        ".mb-neg": f"color:{d['neg']} !important;",
        ".mb-neu": f"color:{d['muted']} !important;",
    }
    body = "\n".join(f"  {selector} {{ {css} }}" for selector, css in rules.items())
    # Outlook.com marks the elements it darkens with data-ogsc / data-ogsb; the same palette.
    outlook = "\n".join(
        f"[data-ogsc] {selector} {{ {css} }}"
        for selector, css in rules.items()
        if selector not in (".mb-page", ".mb-card")
    )
    return f"@media (prefers-color-scheme: dark) {{\n{body}\n}}\n{outlook}"


DARK_CSS = _dark_css()


def date_label(entry: CalendarEntry) -> str:
    """A day ("Wed Jul 30, 2025"), a month ("August 2025"), a year ("2026"), or a span of days:
    "Jun 21 – Sep 22, 2025 (2025-SU)"."""
    first, last = entry.day, entry.last_day
    if first == last:
        return first.strftime("%a %b %-d, %Y")
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        if first.month == 1 and last.month == 12 and first.year == last.year:
            return str(first.year)
        if (first.year, first.month) == (last.year, last.month):
            return first.strftime("%B %Y")
    label = f"{first.strftime('%b %-d')} – {last.strftime('%b %-d, %Y')}"
    # A month or year reads plainly; a season, quarter or week also gets its TIMEX3 value.
    return label if _PLAIN_VALUE.match(entry.value) else f"{label} ({entry.value})"


def web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link, else None: a feed's ``javascript:`` or ``data:``
    link never becomes an ``href``."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def watch_reason(hit: str) -> str:
    """A watchlist hit as a reader reads it: "event: policy_trade" is "event: trade policy"."""
    kind, sep, name = hit.partition(": ")
    return f"event: {event_label(name)}" if sep and kind == "event" else hit


def sentiment_class(label: str) -> str:
    return {"positive": "pos", "negative": "neg"}.get(label, "neu")


LEANING = 0.25  # a company's sentiment at least this far from 0 reads as positive / negative


def company_sentiment(story: WatchlistStory) -> str:
    """The sentiment toward the watched company in the story's article (the article's own when
    the analysis has none for the company)."""
    value = story.sentiment
    if value is None:
        return story.item.sentiment.label
    if value >= LEANING:
        return "positive"
    if value <= -LEANING:
        return "negative"
    return "neutral"


_ROLES = {
    CompanyRole.PRIMARY: "Subject of the story",
    CompanyRole.MENTIONED: "Mentioned",
    CompanyRole.INDIRECT: "Linked indirectly",
}


def role_label(role: CompanyRole) -> str:
    return _ROLES.get(role, str(role))


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def change_summary(change: StoryChange) -> str:
    """What the new articles of a story brought: "2 new articles · 1 new source: Meridian Wire
    · new figures: $9.2 billion, 36% · new names: Norway"; "repeating what was known" when
    they stated nothing new."""
    parts = [_count(change.new_articles, "new article")]
    if change.new_sources:
        parts.append(
            f"{_count(len(change.new_sources), 'new source')}: {', '.join(change.new_sources)}"
        )
    if change.figures:
        parts.append("new figures: " + ", ".join(change.figures))
    if change.names:
        parts.append("new names: " + ", ".join(change.names))
    if not change.figures and not change.names and change.novelty < NEW_ENOUGH:
        parts.append("repeating what was known")
    return " · ".join(parts)


NEW_ENOUGH = 0.1  # below this novelty the new articles repeat the story


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("marketbrief.deliver", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["oneline"] = one_line  # names and titles: one line, no control characters
    env.filters["watch_reason"] = watch_reason
    env.globals.update(
        date_label=date_label,
        sentiment_class=sentiment_class,
        company_sentiment=company_sentiment,
        role_label=role_label,
        change_summary=change_summary,
        web_url=web_url,
        event_label=event_label,
        css=STYLES,
        dark_css=DARK_CSS,
    )
    return env


def briefing_title(briefing: Briefing) -> str:
    return f"Your market briefing — {briefing.generated_at.strftime('%B %-d, %Y')}"


def _render(name: str, reader: Reader, links: tuple[str | None, str | None], **values: Any) -> str:
    """Template ``name`` for ``reader``; ``links``: the unsubscribe and preferences links of
    the footer every email shares (``_layout.html``, ``_footer.txt``)."""
    unsubscribe_url, manage_url = links
    return (
        _environment()
        .get_template(name)
        .render(reader=reader, unsubscribe_url=unsubscribe_url, manage_url=manage_url, **values)
    )


def render_briefing_html(
    briefing: Briefing, *, unsubscribe_url: str | None = None, manage_url: str | None = None
) -> str:
    """The briefing as an HTML email; the footer links to ``unsubscribe_url`` and
    ``manage_url`` (the reader's preferences page) when given."""
    links = (unsubscribe_url, manage_url)
    title = briefing_title(briefing)
    return _render("briefing.html", briefing.reader, links, briefing=briefing, title=title)


def render_briefing_text(
    briefing: Briefing, *, unsubscribe_url: str | None = None, manage_url: str | None = None
) -> str:
    """The briefing as plain text (lines of at most 78 characters, but for long links)."""
    links = (unsubscribe_url, manage_url)
    title = briefing_title(briefing)
    return _render("briefing.txt", briefing.reader, links, briefing=briefing, title=title)


# ── alerts ──────────────────────────────────────────────────────────────────────────────────


def alert_headline(item: BriefingItem, company: CompanyLink | None) -> str:
    """Who and what happened: "RTX Corporation (RTX): contract award"; the watched sector
    ("Energy: M&A") when no company is named, the event alone when neither is; "" for none."""
    if company is not None:
        who = (
            company.ticker
            if company.name == company.ticker
            else f"{company.name} ({company.ticker})"
        )
    else:
        sectors = [h.removeprefix("sector: ") for h in item.matched if h.startswith("sector: ")]
        who = sectors[0] if sectors else ""
    what = event_label(item.events[0]) if item.events else ""
    return one_line(": ".join(part for part in (who, what) if part))


def alert_title(item: BriefingItem, company: CompanyLink | None) -> str:
    """An alert's subject: its headline, then the story's: "RTX Corporation (RTX): contract
    award — Raytheon wins $1.2bn Patriot order"."""
    headline = alert_headline(item, company)
    title = one_line(item.title)
    return f"{headline} — {title}" if headline else title


def render_alert_parts(
    reader: Reader,
    item: BriefingItem,
    *,
    company: CompanyLink | None = None,
    sent_at: datetime,
    unsubscribe_url: str | None = None,
    manage_url: str | None = None,
) -> tuple[str, str]:
    """An alert as an HTML email and as plain text: the story ``item`` (told as the briefing
    tells a top story) under its headline; ``company``: the watched company it is about. The
    footer is the briefing's."""
    watch = reader.watchlist
    values = {
        "item": item,
        "company": company,
        "headline": alert_headline(item, company) or "News alert",
        "title": alert_title(item, company),
        "sent_at": sent_at,
        "following": [*watch.tickers, *watch.sectors, *(event_label(e) for e in watch.event_types)],
    }
    links = (unsubscribe_url, manage_url)
    return (
        _render("alert.html", reader, links, **values),
        _render("alert.txt", reader, links, **values),
    )
