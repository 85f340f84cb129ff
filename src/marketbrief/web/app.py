"""The web app (FastAPI, server-rendered with Jinja2): ``create_app`` and what pages share.

Pages render through ``render`` (which gives every form its CSRF token and keeps the CSRF
cookie), state-changing routes depend on ``require_csrf``, and ``signed_in_reader`` /
``sign_in`` / ``sign_out`` handle sessions (kept in the store, revocable; the cookie carries a
signed secret). Errors are pages (HTML) or, under
``/api/``, one JSON shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketbrief.core import MarketBrief, make_marketbrief, utc_now
from marketbrief.deliver.links import site_url
from marketbrief.errors import InvalidInputError, NotFoundError
from marketbrief.settings import Settings
from marketbrief.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    InvalidToken,
    SecurityHeaders,
    Tokens,
    load_secret_key,
)

HERE = Path(__file__).parent


def create_app(
    settings: Settings,
    *,
    brief: MarketBrief | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The app for ``settings``; ``brief`` (else one made here) is closed on shutdown."""
    owned = brief is None
    facade = brief if brief is not None else make_marketbrief(settings, clock=clock)
    https = urlsplit(settings.public_url).scheme == "https"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                facade.close()

    app = FastAPI(title="marketbrief", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.brief = facade
    app.state.settings = settings
    app.state.tokens = Tokens(load_secret_key(settings), clock=clock)
    app.state.https = https
    app.state.clock = clock
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.add_middleware(SecurityHeaders, https=https)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _install_error_pages(app)
    _install_pages(app)
    # Imported here: route modules import this one for what pages share.
    from marketbrief.web.api import install_api
    from marketbrief.web.calendar_page import install_calendar_page
    from marketbrief.web.comments import install_comments
    from marketbrief.web.feeds import install_feeds
    from marketbrief.web.reader import install_reader
    from marketbrief.web.subscriptions import install_subscriptions

    install_subscriptions(app)
    install_comments(app)
    install_reader(app)
    install_api(app)
    install_feeds(app)
    install_calendar_page(app)
    return app


# ── what every page uses ──────────────────────────────────────────────────────────────────────


def brief_of(request: Request) -> MarketBrief:
    brief: MarketBrief = request.app.state.brief
    return brief


def tokens_of(request: Request) -> Tokens:
    tokens: Tokens = request.app.state.tokens
    return tokens


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def now_of(request: Request) -> datetime:
    """The app's clock (a test moves it; ``create_app(clock=…)``)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def site_of(request: Request) -> str:
    """The web app's address as readers reach it, without a trailing slash."""
    return site_url(settings_of(request), "")


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page from ``templates/name`` with the CSRF token its forms need."""
    tokens = tokens_of(request)
    seed = request.cookies.get(CSRF_COOKIE)
    fresh = not seed
    if not seed:
        seed = tokens.new_csrf_seed()
    values = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": tokens.csrf_token(seed),
        "reader_id": signed_in_reader(request),
        "public_url": settings_of(request).public_url,
    }
    values.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    if fresh:
        set_cookie(request, response, CSRF_COOKIE, seed, max_age=None)
    response.headers["cache-control"] = "no-store" if fresh or values["reader_id"] else "no-cache"
    return response


async def require_csrf(request: Request) -> None:
    """Dependency of every state-changing form route: the form's token matches its cookie."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not tokens_of(request).csrf_ok(
        request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None
    ):
        raise HTTPException(
            status_code=403,
            detail="The form has expired or was not sent from this site; reload the page and "
            "try again.",
        )


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        secure=bool(request.app.state.https),
        samesite="lax",
        path="/",
    )


# Sessions are kept in the store (``SqlStore.start_session``): the cookie carries a signed random
# secret, and a session ends when its row is revoked (sign-out, "sign out everywhere"), is older
# than SESSION_MAX_AGE, or goes with its reader. A signed value that is not a session secret
# signs no one in. docs/privacy.md.
SESSION_LIFETIME = timedelta(seconds=SESSION_MAX_AGE)
_UNREAD = object()  # request.state.session_reader before the store was asked


def _session_value(request: Request) -> str | None:
    """The session secret the browser's cookie carries when its signature holds, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        value = tokens_of(request).read("session", cookie, max_age=SESSION_MAX_AGE)
    except InvalidToken:
        return None
    return value if isinstance(value, str) else None


def signed_in_reader(request: Request) -> int | None:
    """The reader of the browser's session, or None (no cookie; forged, expired or ended).
    Read from the store once per request."""
    known = getattr(request.state, "session_reader", _UNREAD)
    if known is not _UNREAD:
        return cast(int | None, known)
    value = _session_value(request)
    store = brief_of(request).store
    reader_id: int | None = None
    if value is not None:
        reader_id = store.session_reader(value, now=now_of(request), max_age=SESSION_LIFETIME)
    request.state.session_reader = reader_id
    return reader_id


def sign_in(
    request: Request, response: Response, reader_id: int, *, link_made: datetime | None = None
) -> None:
    """Begin a session of ``reader_id`` in this browser; a session it had ends (a session id
    is never carried across a sign-in). ``link_made``: the session is begun by a one-time link
    made then, spent once any session of the reader has begun since (``SpentLinkError``)."""
    store = brief_of(request).store
    now = now_of(request)
    secret = store.start_session(reader_id, now=now, max_age=SESSION_LIFETIME, once_since=link_made)
    previous = _session_value(request)
    if previous is not None:
        store.end_session(previous, now=now)
    cookie = tokens_of(request).make("session", secret)
    set_cookie(request, response, SESSION_COOKIE, cookie, max_age=SESSION_MAX_AGE)
    request.state.session_reader = reader_id


def sign_out(request: Request, response: Response, *, everywhere: bool = False) -> None:
    """End the browser's session and drop its cookie; ``everywhere``: every session of its
    reader, in every browser."""
    store = brief_of(request).store
    now = now_of(request)
    reader_id = signed_in_reader(request)
    value = _session_value(request)
    if reader_id is not None and everywhere:
        with suppress(NotFoundError):  # the reader is gone, and their sessions with them
            store.end_reader_sessions(reader_id, now=now)
    elif value is not None:
        store.end_session(value, now=now)
    forget_session(request, response)


def forget_session(request: Request, response: Response) -> None:
    """Drop the session cookie (the store has ended the session, or it was never good)."""
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=bool(request.app.state.https),
        httponly=True,
        samesite="lax",
    )
    request.state.session_reader = None


# ── errors ───────────────────────────────────────────────────────────────────────────────────


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_json(status: int, code: str, message: str) -> JSONResponse:
    """The one error shape of the JSON API."""
    return JSONResponse({"error": {"status": status, "code": code, "message": message}}, status)


def _install_error_pages(app: FastAPI) -> None:
    def page(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            code = {
                400: "bad_request",
                403: "forbidden",
                404: "not_found",
                405: "method_not_allowed",
                422: "invalid",
                429: "too_many_requests",
            }.get(status, "error")
            return error_json(status, code, message)
        return render(
            request, "error.html", {"status": status, "message": message}, status_code=status
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = error.detail if isinstance(error.detail, str) else "error"
        response = page(request, error.status_code, message)
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if not _wants_json(request):
            return await request_validation_exception_handler(request, error)
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "query")
            problems.append(f"{where}: {item.get('msg', 'invalid')}" if where else item["msg"])
        return error_json(422, "invalid", "; ".join(problems) or "invalid request")

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> Response:
        return page(request, 404, str(error))

    @app.exception_handler(InvalidInputError)
    async def invalid(request: Request, error: InvalidInputError) -> Response:
        return page(request, 400, str(error))


# ── pages ────────────────────────────────────────────────────────────────────────────────────


def _install_pages(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        articles = brief_of(request).store.list_headlines(limit=30)
        return render(request, "home.html", {"articles": articles})

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
