"""What the pages for people need around each request: the session, CSRF tokens, security headers.

Why here and not in each route: every page checks the same things in the same order, and a
check written twice is a check forgotten once.

* **Session** (:func:`page_session`): the cookie ``rm_session`` holds only a random session id;
  :class:`resourcemap.people.People` keeps its hash, the person and their role on the server.
  The cookie is HttpOnly, ``SameSite=Strict`` and ``Secure`` when the request came over TLS
  (directly, or through a proxy uvicorn trusts with ``--proxy-headers``).
* **CSRF** (:func:`checked_form`): every form of a signed-in person carries the session's
  synchroniser token; the sign-in form (before any session exists) carries an HMAC of a random
  nonce held in its own cookie (signed double submit, :func:`login_token`), so a cross-site page
  can neither sign a victim in as the attacker nor sign them out. A post whose ``Origin`` or
  ``Sec-Fetch-Site`` says another site is refused before its token is even read. Refusals are 403.
* **Headers** (:class:`SecurityHeaders`, every response): a Content-Security-Policy without any
  inline-script exception (pages load their scripts from ``/static``; data reaches them in
  ``<script type="application/json">``), ``frame-ancestors 'none'``, ``nosniff``, a
  Referrer-Policy, and ``Cache-Control: no-store`` on pages (they show who is signed in).
"""
from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resourcemap.config import Settings
from resourcemap.keys import role_at_least
from resourcemap.people import Session
from resourcemap.render import render

from .deps import StateDep
from .state import AppState

__all__ = ["SESSION_COOKIE", "LOGIN_COOKIE", "page_session", "PageSession", "checked_form", "login_token",
           "check_login_token", "set_cookie", "Refused", "SecurityHeaders", "csp", "page", "client_of", "has_role",
           "install"]

SESSION_COOKIE = "rm_session"
LOGIN_COOKIE = "rm_login"
_FORM_LIMIT = 400  # characters kept of any one form value


class Refused(Exception):
    """A form post refused (403): no or a wrong token, or sent from another site."""


def page(template: str, title: str, status: int = 200, **context) -> HTMLResponse:
    """A page of ``templates/pages/`` (autoescaped), with the person and navigation the layout needs."""
    context.setdefault("person", None)
    context.setdefault("city", None)
    context.setdefault("csrf", "")
    context.setdefault("current", "")
    return HTMLResponse(render(f"pages/{template}", title=title, **context), status_code=status)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=_secure(request), path="/",
                        max_age=max_age)


async def page_session(request: Request, state: StateDep) -> Session | None:
    """The signed-in person's live session, or None."""
    return state.people.session(request.cookies.get(SESSION_COOKIE))


PageSession = Annotated[Session | None, Depends(page_session)]


def _same_site(request: Request) -> bool:
    """False when the browser says the post comes from another site (``Origin``, ``Sec-Fetch-Site``)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v)[:_FORM_LIMIT] for k, v in form.items()}


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    """The posted form of a signed-in person, after its CSRF token and origin are checked (else :class:`Refused`)."""
    if not _same_site(request):
        raise Refused
    form = await _form(request)
    if not hmac.compare_digest(form.get("csrf", ""), session.csrf):
        raise Refused
    return form


def login_token(request: Request, state: AppState, response: Response | None = None) -> tuple[str, str | None]:
    """The sign-in form's token: an HMAC of the nonce in the ``rm_login`` cookie (a new nonce when none).

    Returns ``(token, new nonce or None)``; set the new nonce as the cookie on the page's response.
    """
    nonce = request.cookies.get(LOGIN_COOKIE)
    fresh = None
    if not nonce or len(nonce) > 100:
        nonce = fresh = secrets.token_urlsafe(24)
    return state.people.sign(f"login:{nonce}"), fresh


async def check_login_token(request: Request, state: AppState) -> dict[str, str]:
    """The posted sign-in form, after its signed double-submit token is checked (else :class:`Refused`)."""
    if not _same_site(request):
        raise Refused
    form = await _form(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not hmac.compare_digest(form.get("csrf", ""), state.people.sign(f"login:{nonce}")):
        raise Refused
    return form


def has_role(session: Session | None, role: str) -> bool:
    return session is not None and role_at_least(session.role, role)


def csp(settings: Settings) -> str:
    """The Content-Security-Policy of every response: scripts only from this server, no inline script."""
    img = "'self' data:" + (f" {settings.tiles.origin}" if settings.tiles else "")
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"img-src {img}; connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware: the security headers of the module docstring on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.services
        policy = csp(state.settings).encode("latin-1")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"content-security-policy", policy), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
                         (b"cross-origin-opener-policy", b"same-origin")]
                ctype = {k.lower(): v for k, v in headers}.get(b"content-type", b"")
                if ctype.startswith(b"text/html") and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI) -> None:
    """The security headers on every response, 403 for a refused form, and the pages' static files:
    the pages' own scripts and styles, vendored Swagger UI, Leaflet and vis-network (no CDN)."""
    from importlib import resources

    from fastapi.staticfiles import StaticFiles

    from resourcemap.network.views import vis_dir

    app.add_middleware(SecurityHeaders)

    @app.exception_handler(Refused)
    async def _refused(request: Request, _: Refused):
        return page("message.html", "送信を受け付けませんでした", status=403, error=True,
                    message="フォームの確認用の値がないか古いため、または別のサイトから送られたため受け付けませんでした。"
                            "ページを開き直してから、もう一度送信してください。")

    package = resources.files("resourcemap")
    app.mount("/static/leaflet", StaticFiles(directory=str(package.joinpath("gaps/static"))), name="leaflet")
    app.mount("/static/vis", StaticFiles(directory=str(vis_dir())), name="vis")
    app.mount("/static", StaticFiles(directory=str(package.joinpath("static"))), name="static")
