"""Readers' comments on articles: posting, the author's edits, and the operators' moderation.

- **Who**: a signed-in reader (the session names them; no route takes a reader id from the
  request), or, when ``Settings.comments_anonymous`` allows it, a visitor who gives a name.
- **Markdown, sanitised**: rendered by markdown-it (CommonMark, raw HTML off, no images), then
  cleaned by nh3 to an allowlist (p, em, strong, code, pre, blockquote, ul, ol, li, br, and ``a``
  with an absolute ``href`` of http, https or mailto only, given ``rel="nofollow ugc noopener"``).
  What a comment says can only ever be text, emphasis, lists, quotes, code and links.
- **Held for moderation**: the comments of an author with no visible comment yet (their first),
  and those with more than ``MAX_LINKS`` links. A honeypot field turns bots away (answered as if
  posted). Banned readers and addresses cannot post.
- **Rate limits** per client address and per reader, counted in the store (they hold across
  processes and restarts), answered with 429 and ``Retry-After``. The client address is the
  peer's, or, only when the peer is one of ``Settings.trusted_proxies``, the rightmost address of
  ``X-Forwarded-For`` that is not a trusted proxy: a client cannot choose its address by sending
  the header. Addresses are kept as a keyed hash (IPv6 by its /64), never in clear.
- **Edit and delete** by the author only, within ``Settings.comments_edit_window`` of posting,
  enforced by the store in the same statement that changes the comment.
- **Operators** (readers signed in with an address of ``Settings.operator_emails``): the
  ``/moderation`` queue, approve, hide, restore, ban a comment's author or address, lift a ban.

Every state-changing route is a POST with the CSRF token. The article page shows the comments
through ``comments_context`` and the ``comments.html`` include.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import nh3
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.model import Comment, CommentStatus, Reader
from marketbrief.settings import Settings
from marketbrief.web.app import (
    brief_of,
    now_of,
    render,
    require_csrf,
    settings_of,
    signed_in_reader,
)
from marketbrief.web.clients import request_address_hash
from marketbrief.web.security import load_secret_key

MAX_LINKS = 2  # a comment with more links waits for an operator
MAX_BODY = 5000  # characters of Markdown
MAX_NAME = 60
MAX_DEPTH = 6  # deeper answers are shown at this depth
HONEYPOT = "website"
# Comments per client address and per reader: (how many, within how long).
ADDRESS_LIMITS = ((5, timedelta(minutes=10)), (30, timedelta(days=1)))
READER_LIMITS = ((5, timedelta(minutes=10)), (30, timedelta(days=1)))
BAN_DAYS = (1, 7, 30, 0)  # 0: for good

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
_BARE_LINK = re.compile(r"(?i)\b(?:https?://|www\.|mailto:)")
_LINK_TAG = re.compile(r"<a\s")
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["image"])
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_SCHEMES,
    url_relative="deny",  # a comment links out, never to this site's own pages
    link_rel=LINK_REL,
    strip_comments=True,
)

router = APIRouter(include_in_schema=False)  # pages, not the JSON API
CSRF = [Depends(require_csrf)]


def install_comments(app: FastAPI) -> None:
    """Add the comment and moderation routes to ``app`` (called by ``create_app``)."""
    settings: Settings = app.state.settings
    app.state.address_key = hashlib.sha256(b"comments-ip:" + load_secret_key(settings)).digest()
    app.state.trusted_proxies = [ipaddress.ip_network(net) for net in settings.trusted_proxies]
    app.include_router(router)


# ── Markdown, sanitised ──────────────────────────────────────────────────────────────────────


def clean_html(html: str) -> str:
    """``html`` cut down to the allowlist (the module docstring)."""
    return _CLEANER.clean(html)


def render_markdown(text: str) -> tuple[str, int]:
    """The safe HTML of a comment's Markdown, and how many links it has (links made by the
    Markdown, or bare addresses in the text, whichever is more)."""
    # A lone surrogate is no character (the HTML sanitiser cannot even encode it): U+FFFD.
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    html = clean_html(_MARKDOWN.render(text)).strip()
    links = max(len(_LINK_TAG.findall(html)), len(_BARE_LINK.findall(text)))
    return html, links


# ── what the routes share ────────────────────────────────────────────────────────────────────


async def read_form(request: Request) -> dict[str, str]:
    """The first text value of each field (not ``forms.FormValues``: it cuts values at 2,000
    characters, and a comment may be longer; ``_body`` refuses one past ``MAX_BODY``)."""
    values: dict[str, str] = {}
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            values.setdefault(name, value[: MAX_BODY + 1])
    return values


Posted = Annotated[dict[str, str], Depends(read_form)]


def _edit_window(request: Request) -> timedelta:
    return timedelta(seconds=settings_of(request).comments_edit_window)


def _reader(request: Request) -> Reader | None:
    reader_id = signed_in_reader(request)
    if reader_id is None:
        return None
    try:
        return brief_of(request).store.get_reader(reader_id)
    except NotFoundError:
        return None


def is_operator(request: Request, reader: Reader | None = None) -> bool:
    """Whether the signed-in reader is an operator (``Settings.operator_emails``)."""
    reader = reader if reader is not None else _reader(request)
    return reader is not None and reader.email.lower() in settings_of(request).operator_emails


def require_operator(request: Request) -> Reader:
    reader = _reader(request)
    if reader is None or not is_operator(request, reader):
        # the same answer as for a page that is not there: nothing to learn by probing
        raise HTTPException(status_code=404, detail="There is no such page.")
    return reader


def _field(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def _too_many(request: Request, times: list[datetime], limit: int, window: timedelta) -> None:
    if len(times) < limit:
        return
    wait = times[-limit] + window - now_of(request)
    seconds = max(1, int(wait.total_seconds() + 0.999))
    raise HTTPException(
        status_code=429,
        detail="You have posted many comments in a short time; try again in "
        f"{max(1, round(seconds / 60))} minutes.",
        headers={"Retry-After": str(seconds)},
    )


def _check_rate(request: Request, reader_id: int | None, ip_hash: str) -> None:
    store = brief_of(request).store
    now = now_of(request)
    for limit, window in ADDRESS_LIMITS:
        _too_many(
            request, store.recent_comment_times(ip_hash=ip_hash, since=now - window), limit, window
        )
    if reader_id is not None:
        for limit, window in READER_LIMITS:
            times = store.recent_comment_times(reader_id=reader_id, since=now - window)
            _too_many(request, times, limit, window)


def _body(form: dict[str, str]) -> tuple[str, str, int]:
    text = form.get("body", "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInputError("write something to post", key="body")
    if len(text) > MAX_BODY:
        raise InvalidInputError(f"a comment has {MAX_BODY} characters at most", key="body")
    html, links = render_markdown(text)
    if not html:
        raise InvalidInputError("write something to post", key="body")
    return text, html, links


def _article_url(comment: Comment) -> str:
    return f"/articles/{comment.article_id}#comment-{comment.id}"


def _own_comment(request: Request, comment_id: int) -> tuple[Comment, int]:
    """A comment of the signed-in reader that is still theirs to change; 404 otherwise (as for
    no comment at all)."""
    reader_id = signed_in_reader(request)
    try:
        comment = brief_of(request).store.get_comment(comment_id)
    except NotFoundError:
        comment = None
    if comment is None or reader_id is None or comment.reader_id != reader_id:
        raise HTTPException(status_code=404, detail="There is no such comment of yours.")
    return comment, reader_id


def can_change(comment: Comment, reader_id: int | None, now: datetime, window: timedelta) -> bool:
    """Whether ``reader_id`` may still edit or delete ``comment`` (shown in the page; the store
    enforces it)."""
    return (
        reader_id is not None
        and comment.reader_id == reader_id
        and comment.status in (CommentStatus.VISIBLE, CommentStatus.HELD)
        and now - comment.created_at < window
    )


@dataclass(frozen=True, slots=True)
class CommentRow:
    """One comment as the page lists it: threads flattened in reading order, ``depth`` capped
    at ``MAX_DEPTH`` (deeper answers line up under it), ``html`` sanitised again as it is shown
    (so a comment stored under an older allowlist is held to the current one)."""

    comment: Comment
    depth: int
    html: Markup
    changeable: bool


def _flatten(
    threads: list[Comment], reader_id: int | None, now: datetime, window: timedelta
) -> list[CommentRow]:
    rows: list[CommentRow] = []
    stack: list[tuple[Comment, int]] = [(c, 0) for c in reversed(threads)]
    while stack:  # no recursion: a thread may be deeper than Python's stack
        comment, depth = stack.pop()
        if comment.status is CommentStatus.HELD and (
            reader_id is None or comment.reader_id != reader_id
        ):
            continue  # and its answers: no one else may see the comment they answer
        html = Markup(clean_html(comment.body_html))
        rows.append(CommentRow(comment, depth, html, can_change(comment, reader_id, now, window)))
        stack.extend((reply, min(depth + 1, MAX_DEPTH)) for reply in reversed(comment.replies))
    return rows


def comments_context(request: Request, article_id: str) -> dict[str, Any]:
    """What ``comments.html`` needs to show an article's comments and forms: merge it into the
    article page's context and ``{% include "comments.html" %}``."""
    store = brief_of(request).store
    reader_id = signed_in_reader(request)
    now = now_of(request)
    window = _edit_window(request)
    # a reader sees their own held comments (marked as waiting), no one else's
    threads = store.list_comments(article_id, include_held=reader_id is not None)
    return {
        "comment_article_id": article_id,
        "comment_rows": _flatten(threads, reader_id, now, window),
        "comment_count": store.count_comments(article_id),
        "comment_can_post": reader_id is not None or settings_of(request).comments_anonymous,
        "comment_anonymous": reader_id is None and settings_of(request).comments_anonymous,
        "comment_max_body": MAX_BODY,
        "comment_max_name": MAX_NAME,
        "comment_honeypot": HONEYPOT,
    }


# ── posting ──────────────────────────────────────────────────────────────────────────────────


@router.post("/articles/{article_id}/comments", dependencies=CSRF)
def post_comment(request: Request, article_id: str, form: Posted) -> Response:
    if form.get(HONEYPOT):
        # answered as if posted: a bot learns nothing
        return RedirectResponse(f"/articles/{article_id}#comments", status_code=303)
    store = brief_of(request).store
    settings = settings_of(request)
    now = now_of(request)
    reader = _reader(request)
    if reader is None and not settings.comments_anonymous:
        raise HTTPException(status_code=403, detail="Sign in to comment.")
    if reader is not None:
        name = reader.name.strip() or reader.email.split("@", 1)[0]
    else:
        name = _field(form, "name")
        if not name or len(name) > MAX_NAME:
            raise InvalidInputError(f"give a name of 1 to {MAX_NAME} characters", key="name")
    ip_hash = request_address_hash(request)
    reader_id = None if reader is None else reader.id
    if store.is_banned(reader_id=reader_id, ip_hash=ip_hash, now=now):
        raise HTTPException(status_code=403, detail="You may not comment here.")
    text, html, links = _body(form)
    _check_rate(request, reader_id, ip_hash)
    parent = _field(form, "parent")
    if parent and not parent.isdigit():
        raise InvalidInputError("not a comment to answer", key="parent")
    known = store.has_shown_comment(reader_id=reader_id, ip_hash=ip_hash)
    held = not known or links > MAX_LINKS
    comment = store.add_comment(
        article_id,
        author_name=name,
        body_markdown=text,
        body_html=html,
        status=CommentStatus.HELD if held else CommentStatus.VISIBLE,
        now=now,
        reader_id=reader_id,
        parent_id=int(parent) if parent else None,
        ip_hash=ip_hash,
    )
    if held:
        return RedirectResponse(f"/comments/{comment.id}/held", status_code=303)
    return RedirectResponse(_article_url(comment), status_code=303)


@router.get("/articles/{article_id}/comments", response_class=HTMLResponse)
def comments_page(request: Request, article_id: str) -> Response:
    """An article's comments on a page of their own (the article page includes the same)."""
    article = brief_of(request).store.get_article(article_id)
    context = comments_context(request, article_id) | {"article": article}
    return render(request, "comments_page.html", context)


@router.get("/comments/{comment_id}/held", response_class=HTMLResponse)
def held_page(request: Request, comment_id: int) -> Response:
    # says the same whatever the id: it shows nothing of the comment
    return render(request, "comments_held.html", {"comment_id": comment_id})


# ── the author's edits ───────────────────────────────────────────────────────────────────────


@router.get("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, comment_id: int) -> Response:
    comment, reader_id = _own_comment(request, comment_id)
    if not can_change(comment, reader_id, now_of(request), _edit_window(request)):
        raise HTTPException(status_code=403, detail="The time to change this comment has passed.")
    return render(request, "comments_edit.html", {"comment": comment})


@router.post("/comments/{comment_id}/edit", dependencies=CSRF)
def edit(request: Request, comment_id: int, form: Posted) -> Response:
    comment, reader_id = _own_comment(request, comment_id)
    text, html, links = _body(form)
    if links > MAX_LINKS and comment.status is CommentStatus.VISIBLE:
        raise InvalidInputError(
            f"an edit may have {MAX_LINKS} links at most; post a new comment instead", key="body"
        )
    try:
        changed = brief_of(request).store.edit_comment(
            comment_id,
            reader_id=reader_id,
            body_markdown=text,
            body_html=html,
            now=now_of(request),
            window=_edit_window(request),
        )
    except NotFoundError:
        raise HTTPException(status_code=404, detail="There is no such comment of yours.") from None
    except InvalidInputError as error:
        raise HTTPException(status_code=403, detail=error.message.capitalize() + ".") from None
    return RedirectResponse(_article_url(changed), status_code=303)


@router.post("/comments/{comment_id}/delete", dependencies=CSRF)
def delete(request: Request, comment_id: int) -> Response:
    comment, reader_id = _own_comment(request, comment_id)
    try:
        brief_of(request).store.delete_comment(
            comment_id, reader_id=reader_id, now=now_of(request), window=_edit_window(request)
        )
    except NotFoundError:
        raise HTTPException(status_code=404, detail="There is no such comment of yours.") from None
    except InvalidInputError as error:
        raise HTTPException(status_code=403, detail=error.message.capitalize() + ".") from None
    return RedirectResponse(f"/articles/{comment.article_id}#comments", status_code=303)


# ── moderation ───────────────────────────────────────────────────────────────────────────────


@router.get("/moderation", response_class=HTMLResponse)
def moderation_page(request: Request) -> Response:
    require_operator(request)
    store = brief_of(request).store
    return render(
        request,
        "moderation.html",
        {
            "held": store.list_comments_by_status(CommentStatus.HELD),
            "hidden": store.list_comments_by_status(CommentStatus.HIDDEN),
            "bans": store.list_bans(now=now_of(request)),
            "ban_days": BAN_DAYS,
        },
    )


@router.post("/moderation/comments/{comment_id}/ban", dependencies=CSRF)
def ban(request: Request, comment_id: int, form: Posted) -> Response:
    """Ban the author of a comment: the reader when signed in, else the address it came from
    (also the address when ``scope`` is "address"); the comment is hidden too."""
    require_operator(request)
    store = brief_of(request).store
    comment = store.get_comment(comment_id)
    days = _field(form, "days")
    if not days.isdigit() or int(days) not in BAN_DAYS:
        raise InvalidInputError("choose how long the ban lasts", key="days")
    now = now_of(request)
    until = None if int(days) == 0 else now + timedelta(days=int(days))
    by_address = _field(form, "scope") == "address" or comment.reader_id is None
    if by_address and comment.ip_hash is None:
        raise InvalidInputError("this comment has no address to ban", key=str(comment_id))
    store.ban(
        reason=_field(form, "reason")[:200] or f"comment {comment_id}",
        now=now,
        reader_id=None if by_address else comment.reader_id,
        ip_hash=comment.ip_hash if by_address else None,
        until=until,
    )
    if comment.status in (CommentStatus.VISIBLE, CommentStatus.HELD):
        store.moderate_comment(comment_id, "hide")
    return RedirectResponse("/moderation", status_code=303)


# after /ban: the path would match it too
@router.post("/moderation/comments/{comment_id}/{action}", dependencies=CSRF)
def moderate(request: Request, comment_id: int, action: str) -> Response:
    require_operator(request)
    if action not in ("approve", "hide", "restore"):
        raise HTTPException(status_code=404, detail="There is no such page.")
    brief_of(request).store.moderate_comment(comment_id, action)
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/bans/{ban_id}/lift", dependencies=CSRF)
def lift_ban(request: Request, ban_id: int) -> Response:
    require_operator(request)
    brief_of(request).store.unban(ban_id)
    return RedirectResponse("/moderation", status_code=303)
