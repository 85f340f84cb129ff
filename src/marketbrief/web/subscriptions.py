"""Subscriptions on the web: subscribe, confirm, unsubscribe, sign in by a link, manage.

- **Double opt-in**: ``POST /subscribe`` adds a *pending* reader and mails a confirmation link
  (a "confirm" token, 3 days); ``GET /confirm`` only shows a button (mail scanners fetch
  links), ``POST /confirm`` confirms and signs the reader in. An address already known gets
  the same answer on the page; its mail says what fits (confirm, or "already subscribed" with
  a sign-in link). Mails are rate-limited per address (``settings.confirm_rate`` an hour,
  counted in the store) and per client address (in memory); a honeypot field turns bots away.
- **Unsubscribe**: ``GET /unsubscribe?token=…`` shows a button; ``POST /unsubscribe`` from that
  page (CSRF) or as RFC 8058 one-click (body ``List-Unsubscribe=One-Click``, token in the URL,
  no cookie, no CSRF: the token is the authority) stops the briefings.
- **Sign-in by a link** (no passwords): ``POST /signin`` mails a "signin" token (30 minutes)
  to a reader who once confirmed; the page says the same whether or not there is one.
- **Manage** (signed in): watchlist, schedule, export (JSON: everything kept about the reader
  and their address, comments included), stop/resume, delete (the erasure of
  ``MarketBrief.erase_reader``: comments lose author and text, see docs/privacy.md), sign out
  (this session) and sign out everywhere (every session of the reader).

No GET here changes anything. A reader is only ever the one named by a signed token or the
session cookie: no route takes a reader id from the request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from marketbrief.core import MarketBrief
from marketbrief.deliver import make_mailer
from marketbrief.deliver.links import (
    CONFIRM_MAX_AGE,
    SIGNIN_MAX_AGE,
    UNSUBSCRIBE_MAX_AGE,
    site_url,
)
from marketbrief.errors import DeliveryError, InvalidInputError, NotFoundError, SpentLinkError
from marketbrief.model import CADENCES, EVENT_TYPES, Reader, ReaderStatus, Watchlist, event_label
from marketbrief.settings import Settings
from marketbrief.web.app import (
    brief_of,
    forget_session,
    now_of,
    render,
    require_csrf,
    settings_of,
    sign_in,
    sign_out,
    signed_in_reader,
    tokens_of,
)
from marketbrief.web.clients import request_address
from marketbrief.web.feeds import feed_token
from marketbrief.web.forms import (
    WEEKDAYS,
    Errors,
    FormValues,
    Preferences,
    Subscription,
    read_email,
    read_preferences,
    read_subscription,
    sector_choices,
    time_zones,
)
from marketbrief.web.limits import WindowLimiter
from marketbrief.web.mails import notice_mail
from marketbrief.web.security import CSRF_COOKIE, CSRF_FIELD, InvalidToken, Tokens

log = logging.getLogger("marketbrief.web")

HONEYPOT = "website"  # a field people never see; bots fill it in
IP_MAIL_LIMIT = 20  # subscribe and sign-in requests that may send mail, per client per hour
HOUR = timedelta(hours=1)
CADENCE_LABELS = {
    "daily": "Daily",
    "weekly": "Weekly",
    "alerts": "Alerts, as news breaks",
}

router = APIRouter(include_in_schema=False)  # pages, not the JSON API
CSRF = [Depends(require_csrf)]


def install_subscriptions(app: FastAPI) -> None:
    """Add the subscription pages to ``app`` (called by ``create_app``)."""
    app.state.mail_limiter = WindowLimiter(IP_MAIL_LIMIT, HOUR, clock=app.state.clock)
    app.include_router(router)


def unsubscribe_url(settings: Settings, tokens: Tokens, reader_id: int) -> str:
    """The one-click unsubscribe link of a reader (what ``deliver.links.unsubscribe_url`` makes
    from the settings alone, for the sender)."""
    token = tokens.make("unsubscribe", reader_id)
    return site_url(settings, f"/unsubscribe?token={quote(token, safe='')}")


# ── what the routes share ────────────────────────────────────────────────────────────────────


def _log(level: int, event: str, **fields: object) -> None:
    log.log(level, "%s %s", event, " ".join(f"{k}={v!r}" for k, v in fields.items()))


async def read_form(request: Request) -> FormValues:
    return FormValues((await request.form()).multi_items())


Posted = Annotated[FormValues, Depends(read_form)]


def _client(request: Request) -> str:
    return request_address(request)


def _link(request: Request, path: str, purpose: str, reader_id: int) -> str:
    token = tokens_of(request).make(purpose, reader_id)
    return site_url(settings_of(request), f"{path}{quote(token, safe='')}")


SPENT = "This link has been used: each one signs in once."


def _reader_of_token(request: Request, purpose: str, token: str, max_age: int) -> Reader:
    """The reader a link's token names; a 400 page when the token is forged, expired, of
    another purpose, or its reader is gone."""
    return _reader_of_link(request, purpose, token, max_age)[0]


def _reader_of_one_time_link(
    request: Request, purpose: str, token: str, max_age: int
) -> tuple[Reader, datetime]:
    """``_reader_of_token`` for a link that signs in (confirm, sign-in), with when it was made;
    a 400 page when the reader has signed in since: the link is spent."""
    reader, made = _reader_of_link(request, purpose, token, max_age)
    if brief_of(request).store.has_sessions(reader.id, since=made):
        raise HTTPException(status_code=400, detail=_next_step(purpose, SPENT))
    return reader, made


def _reader_of_link(
    request: Request, purpose: str, token: str, max_age: int
) -> tuple[Reader, datetime]:
    try:
        value, made = tokens_of(request).read_stamped(purpose, token, max_age=max_age)
    except InvalidToken as error:
        reason = (
            "This link has expired."
            if error.reason == "expired"
            else "This link is not valid: it may have been cut short; copy the whole link."
        )
        raise HTTPException(status_code=400, detail=_next_step(purpose, reason)) from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise HTTPException(status_code=400, detail=_next_step(purpose, "This link is not valid."))
    try:
        return brief_of(request).store.get_reader(value), made
    except NotFoundError:
        raise HTTPException(status_code=400, detail="This subscription no longer exists.") from None


def _next_step(purpose: str, reason: str) -> str:
    return reason + {
        "confirm": " Subscribe again to get a new one." if reason != SPENT else " Sign in instead.",
        "signin": " Ask for a new sign-in link.",
        "unsubscribe": " Use the link in a newer briefing, or sign in to stop them.",
    }.get(purpose, "")


def _send_notice(request: Request, reader: Reader, kind: str, link: str) -> bool:
    """Mail ``reader`` the ``kind`` notice (``web.mails``) unless the address is suppressed
    or has had ``confirm_rate`` of them in the last hour; True when it went out."""
    store = brief_of(request).store
    settings = settings_of(request)
    now = now_of(request)
    if store.is_suppressed(reader.email):
        _log(logging.INFO, "notice.suppressed", kind=kind, reader=reader.id)
        return False
    if store.count_notices(reader.email, since=now - HOUR) >= settings.confirm_rate:
        _log(logging.INFO, "notice.rate_limited", kind=kind, reader=reader.id)
        return False
    try:
        with make_mailer(settings) as mailer:
            mailer.send(notice_mail(settings, kind, reader.email, link, now=now))
    except DeliveryError as error:
        _log(logging.WARNING, "notice.failed", kind=kind, reader=reader.id, error=str(error))
        raise HTTPException(
            status_code=503,
            detail="We could not send the mail just now; try again in a few minutes.",
        ) from None
    # the store knows two kinds: "subscribed" carries a sign-in link
    store.note_notice(reader.email, "confirm" if kind == "confirm" else "signin", now=now)
    _log(logging.INFO, "notice.sent", kind=kind, reader=reader.id)
    return True


def _count_client(request: Request) -> None:
    """Count a request that may send mail against its client's limit (429 past it)."""
    limiter: WindowLimiter = request.app.state.mail_limiter
    client = _client(request)
    if not limiter.allow(client):
        wait = limiter.retry_after(client)
        raise HTTPException(
            status_code=429,
            detail="Too many requests from your network; try again in "
            f"{max(1, round(wait / 60))} minutes.",
            headers={"Retry-After": str(wait)},
        )


def _current_reader(request: Request) -> Reader | None:
    reader_id = signed_in_reader(request)
    if reader_id is None:
        return None
    try:
        return brief_of(request).store.get_reader(reader_id)
    except NotFoundError:
        return None


def _to_signin() -> RedirectResponse:
    return RedirectResponse("/signin", status_code=303)


# ── subscribe and confirm ────────────────────────────────────────────────────────────────────


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request) -> Response:
    return render(request, "subscribe.html", {"values": {}, "errors": {}})


@router.post("/subscribe", dependencies=CSRF)
def subscribe(request: Request, form: Posted) -> Response:
    if form.get(HONEYPOT):
        _log(logging.INFO, "subscribe.honeypot", client=_client(request))
        return RedirectResponse("/subscribe/sent", status_code=303)
    brief = brief_of(request)
    wanted = read_subscription(form, brief.kb)
    if not isinstance(wanted, Subscription):
        values = {name: form.get(name) for name in ("email", "name", "tickers")}
        return render(
            request, "subscribe.html", {"values": values, "errors": wanted}, status_code=400
        )
    _count_client(request)
    now = now_of(request)
    try:
        reader = brief.store.get_reader(wanted.email)
    except NotFoundError:
        try:
            reader = brief.store.add_reader(
                wanted.email,
                wanted.name,
                Watchlist(tickers=wanted.tickers),
                now=now,
                status=ReaderStatus.PENDING,
            )
            _log(logging.INFO, "reader.subscribed", reader=reader.id)
        except InvalidInputError:  # added meanwhile by another request
            reader = brief.store.get_reader(wanted.email)
    if reader.status is ReaderStatus.CONFIRMED:
        _send_notice(request, reader, "subscribed", _link(request, "/signin/", "signin", reader.id))
    else:
        link = _link(request, "/confirm?token=", "confirm", reader.id)
        _send_notice(request, reader, "confirm", link)
    return RedirectResponse("/subscribe/sent", status_code=303)


@router.get("/subscribe/sent", response_class=HTMLResponse)
def subscribe_sent(request: Request) -> Response:
    return render(request, "subscribe_sent.html")


@router.get("/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, token: str = "") -> Response:
    reader, _ = _reader_of_one_time_link(request, "confirm", token, CONFIRM_MAX_AGE)
    return render(request, "confirm.html", {"token": token, "email": reader.email})


@router.post("/confirm", dependencies=CSRF)
def confirm(request: Request, form: Posted) -> Response:
    reader, made = _reader_of_one_time_link(request, "confirm", form.get("token"), CONFIRM_MAX_AGE)
    if reader.status is not ReaderStatus.CONFIRMED:
        reader = brief_of(request).store.update_reader(
            replace(reader, status=ReaderStatus.CONFIRMED, confirmed_at=now_of(request))
        )
        _log(logging.INFO, "reader.confirmed", reader=reader.id)
    response = RedirectResponse("/manage?welcome=1", status_code=303)
    _sign_in_once(request, response, reader, made, "confirm")
    return response


# ── unsubscribe ──────────────────────────────────────────────────────────────────────────────


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str = "") -> Response:
    reader = _reader_of_token(request, "unsubscribe", token, UNSUBSCRIBE_MAX_AGE)
    return render(
        request,
        "unsubscribe.html",
        {"token": token, "email": reader.email, "done": reader.status is ReaderStatus.UNSUBSCRIBED},
    )


@router.post("/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, form: Posted, token: str = "") -> Response:
    """From the page (CSRF) or RFC 8058 one-click (no cookie: the URL's token is the
    authority, and it can only ever stop the briefings of the reader it names)."""
    one_click = form.get("List-Unsubscribe") == "One-Click"
    if not one_click:
        if not tokens_of(request).csrf_ok(request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)):
            raise HTTPException(
                status_code=403,
                detail="The form has expired or was not sent from this site; reload the page "
                "and try again.",
            )
        token = token or form.get("token")
    reader = _reader_of_token(request, "unsubscribe", token, UNSUBSCRIBE_MAX_AGE)
    if reader.status is not ReaderStatus.UNSUBSCRIBED:
        brief_of(request).store.update_reader(replace(reader, status=ReaderStatus.UNSUBSCRIBED))
        _log(logging.INFO, "reader.unsubscribed", reader=reader.id, one_click=one_click)
    return render(request, "unsubscribed.html", {"email": reader.email})


# ── sign in by a link ────────────────────────────────────────────────────────────────────────


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    notice = (
        "You are signed out in every browser." if "everywhere" in request.query_params else None
    )
    return render(request, "signin.html", {"values": {}, "errors": {}, "notice": notice})


@router.post("/signin", dependencies=CSRF)
def signin(request: Request, form: Posted) -> Response:
    if form.get(HONEYPOT):
        return RedirectResponse("/signin/sent", status_code=303)
    try:
        email = read_email(form.get("email"))
    except InvalidInputError as error:
        return render(
            request,
            "signin.html",
            {"values": {"email": form.get("email")}, "errors": {"email": error.message}},
            status_code=400,
        )
    _count_client(request)
    try:
        reader: Reader | None = brief_of(request).store.get_reader(email)
    except NotFoundError:
        reader = None
    # Readers who once confirmed may sign in (an unsubscribed one too: to export, delete or
    # resume); the page says the same either way.
    if reader is not None and reader.confirmed_at is not None:
        _send_notice(request, reader, "signin", _link(request, "/signin/", "signin", reader.id))
    return RedirectResponse("/signin/sent", status_code=303)


@router.get("/signin/sent", response_class=HTMLResponse)
def signin_sent(request: Request) -> Response:
    return render(request, "signin_sent.html")


@router.get("/signin/{token}", response_class=HTMLResponse)
def signin_link_page(request: Request, token: str) -> Response:
    reader, _ = _reader_of_one_time_link(request, "signin", token, SIGNIN_MAX_AGE)
    return render(request, "signin_link.html", {"token": token, "email": reader.email})


@router.post("/signin/{token}", dependencies=CSRF)
def signin_link(request: Request, token: str) -> Response:
    reader, made = _reader_of_one_time_link(request, "signin", token, SIGNIN_MAX_AGE)
    if reader.confirmed_at is None:
        raise HTTPException(status_code=400, detail="Confirm your subscription first.")
    response = RedirectResponse("/manage", status_code=303)
    _sign_in_once(request, response, reader, made, "signin")
    return response


def _sign_in_once(
    request: Request, response: Response, reader: Reader, made: datetime, purpose: str
) -> None:
    """Sign in by a one-time link; a 400 page when it was spent meanwhile (two tabs at once)."""
    try:
        sign_in(request, response, reader.id, link_made=made)
    except SpentLinkError:
        raise HTTPException(status_code=400, detail=_next_step(purpose, SPENT)) from None


@router.post("/signout", dependencies=CSRF)
def signout(request: Request) -> Response:
    """End this browser's session: its cookie, copied anywhere, signs no one in any more."""
    response = RedirectResponse("/", status_code=303)
    sign_out(request, response)
    return response


@router.post("/manage/signout-everywhere", dependencies=CSRF)
def signout_everywhere(request: Request) -> Response:
    """End every session of the signed-in reader, in every browser, this one too."""
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    response = RedirectResponse("/signin?everywhere=1", status_code=303)
    sign_out(request, response, everywhere=True)
    _log(logging.INFO, "reader.signed_out_everywhere", reader=reader.id)
    return response


# ── manage ───────────────────────────────────────────────────────────────────────────────────


def _form_values(reader: Reader) -> dict[str, Any]:
    return {
        "name": reader.name,
        "tickers": ", ".join(reader.watchlist.tickers),
        "sectors": list(reader.watchlist.sectors),
        "event_types": list(reader.watchlist.event_types),
        "cadence": reader.cadence,
        "send_time": reader.send_time.strftime("%H:%M"),
        "timezone": reader.timezone,
        "weekday": WEEKDAYS[reader.weekday],
    }


def _manage_page(
    request: Request,
    reader: Reader,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    brief: MarketBrief = brief_of(request)
    return render(
        request,
        "manage.html",
        {
            "reader": reader,
            "values": values if values is not None else _form_values(reader),
            "errors": errors or {},
            "notice": notice,
            "sectors": [(s, s) for s in sector_choices(brief.kb, reader.watchlist.sectors)],
            "event_types": [(e, event_label(e)) for e in EVENT_TYPES],
            "cadences": [(c, CADENCE_LABELS.get(c, c)) for c in CADENCES],
            "weekdays": WEEKDAYS,
            "time_zones": time_zones(),
            "feed_token": feed_token(request, reader.id),
        },
        status_code=status_code,
    )


_NOTICES = {
    "welcome": "You are subscribed. Choose what your briefings follow.",
    "saved": "Saved.",
    "stopped": "Briefings stopped. You can resume them here at any time.",
    "resumed": "Briefings resumed.",
}


@router.get("/manage", response_class=HTMLResponse)
def manage_page(request: Request) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    notice = next((text for key, text in _NOTICES.items() if key in request.query_params), None)
    return _manage_page(request, reader, notice=notice)


@router.post("/manage", dependencies=CSRF)
def manage(request: Request, form: Posted) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    brief = brief_of(request)
    wanted = read_preferences(
        form, brief.kb, sectors=sector_choices(brief.kb, reader.watchlist.sectors)
    )
    if not isinstance(wanted, Preferences):
        values: dict[str, Any] = {
            name: form.get(name)
            for name in ("name", "tickers", "cadence", "send_time", "timezone", "weekday")
        }
        values |= {"sectors": form.getlist("sectors"), "event_types": form.getlist("event_types")}
        return _manage_page(request, reader, values=values, errors=wanted, status_code=400)
    brief.store.update_reader(
        replace(
            reader,
            name=wanted.name,
            watchlist=wanted.watchlist,
            cadence=wanted.cadence,
            timezone=wanted.timezone,
            send_time=wanted.send_time,
            weekday=wanted.weekday,
        )
    )
    return RedirectResponse("/manage?saved=1", status_code=303)


@router.get("/manage/export")
def export(request: Request) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    data = brief_of(request).export_reader(str(reader.id))
    body = json.dumps(data, indent=2, ensure_ascii=False, default=_json_value)
    return Response(
        body + "\n",
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="marketbrief-reader-{reader.id}.json"',
            "cache-control": "no-store",
        },
    )


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@router.post("/manage/stop", dependencies=CSRF)
def stop(request: Request) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    if reader.status is not ReaderStatus.UNSUBSCRIBED:
        brief_of(request).store.update_reader(replace(reader, status=ReaderStatus.UNSUBSCRIBED))
        _log(logging.INFO, "reader.unsubscribed", reader=reader.id, one_click=False)
    return RedirectResponse("/manage?stopped=1", status_code=303)


@router.post("/manage/resume", dependencies=CSRF)
def resume(request: Request) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    if reader.status is not ReaderStatus.CONFIRMED:
        # Signed in by a link sent to the address: its owner asks again, so this is consent.
        brief_of(request).store.update_reader(
            replace(reader, status=ReaderStatus.CONFIRMED, confirmed_at=now_of(request))
        )
        _log(logging.INFO, "reader.resumed", reader=reader.id)
    return RedirectResponse("/manage?resumed=1", status_code=303)


@router.post("/manage/delete", dependencies=CSRF)
def delete(request: Request, form: Posted) -> Response:
    reader = _current_reader(request)
    if reader is None:
        return _to_signin()
    if form.get("confirm_delete") != "yes":
        errors = {"confirm_delete": "Tick the box to confirm that everything should be erased."}
        return _manage_page(request, reader, errors=errors, status_code=400)
    # the erasure a person may ask for (as `readers delete`): docs/privacy.md
    brief_of(request).erase_reader(str(reader.id))
    _log(logging.INFO, "reader.deleted", reader=reader.id)
    response = render(request, "deleted.html", {"reader_id": None})
    forget_session(request, response)  # the erasure ended every session of the reader
    return response
