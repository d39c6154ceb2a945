"""Authentication and request guards: API keys with roles viewer < editor < admin.

Why a guard in front of the routes as well as a dependency: the guard (:class:`Guard`, pure
ASGI) answers 401 for every ``/v1`` path *before* the body is read or validated — so an
unauthenticated caller learns nothing, not even whether its JSON parses — and answers 413
for an oversized body before it is buffered. The route dependency (:func:`authenticate`,
used by ``Viewer``/``Editor``/``Admin`` in :mod:`api.deps`) then checks the role (403). The key
ring is the app's (:class:`api.state.AppState`); this module imports no route or dependency.

Status codes (CONTRACT.md): 401 with ``WWW-Authenticate: Bearer`` when the key is missing,
malformed, unknown or revoked; 403 when the key's role is too low; 429 with ``Retry-After``
when a client has failed too many key checks (:mod:`api.ratelimit`) — a key verified before
(in the key ring's cache) is accepted without consulting the limiter, so an attacker cannot
lock its owner out. Keys are never logged: nothing here logs headers, and only the key's
*name* travels on (audit actor). People signing in to the pages are checked here too
(:func:`check_person`), against the same limiter: one auth path for every door.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resourcemap.keys import KeyInfo, KeyRing, key_id, role_at_least
from resourcemap.people import Person

from . import problems
from .state import AppState, Caller

__all__ = ["authenticate", "check_key", "check_person", "install", "under", "Guard", "AuthFailed"]

_T = TypeVar("_T")

_REALM = 'Bearer realm="resourcemap"'
_ROLE_LABEL = {"viewer": "閲覧 (viewer)", "editor": "編集 (editor)", "admin": "管理 (admin)"}


class AuthFailed(Exception):
    """Raised by :func:`authenticate`; rendered as problem+json by the handler in :func:`install`."""

    def __init__(self, status: int, detail: str, challenge: str) -> None:
        super().__init__(detail)
        self.status, self.detail, self.challenge = status, detail, challenge
        self.retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        out = {"WWW-Authenticate": self.challenge}
        if self.retry_after is not None:
            out["Retry-After"] = str(self.retry_after)
        return out


def _too_many(wait: int) -> AuthFailed:
    exc = AuthFailed(429, f"API キーの確認に続けて失敗したため、しばらく受け付けません。{wait} 秒後に正しい鍵で"
                          "再試行してください（鍵が分からない場合は管理者に再発行を依頼してください）。", _REALM)
    exc.retry_after = wait
    return exc


def _too_many_sign_ins(wait: int) -> AuthFailed:
    exc = AuthFailed(429, f"サインインに続けて失敗したため、この端末からは {wait} 秒後まで受け付けません"
                          "（パスワードが分からない場合は管理者に再設定を依頼してください）。", _REALM)
    exc.retry_after = wait
    return exc


async def _limited(state: AppState, client: str, subject: str, check: Callable[[], _T],
                   too_many: Callable[[int], AuthFailed]) -> _T:
    """Run one costly *check* (off the event loop) unless *client* has failed too often lately, for
    *subject* or in all; a failure (:class:`AuthFailed`) counts against both. The one limiter
    (``state.auth_limiter``) serves keys and sign-ins alike, so no door gives an attacker more tries."""
    gate = state.auth_limiter
    wait = gate.retry_after(client, subject)
    if wait:
        raise too_many(wait)
    try:
        return await run_in_threadpool(check)
    except AuthFailed:
        gate.failed(client, subject)
        raise


async def check_key(state: AppState, client: str, token: str | None) -> KeyInfo:
    """The live key behind *token*, else :class:`AuthFailed` (401, or 429 after too many failures).

    A cached key costs one keyed hash and one indexed read; anything else one scrypt (off the
    event loop), unless *client* (its address) has failed too often lately (``state.auth_limiter``).
    """
    ring = state.keyring
    cached = ring.lookup_cached(token) if token else False
    if cached:
        return cached  # type: ignore[return-value]
    if cached is None:  # revoked since it was cached
        raise _bad_key()
    if token is None:
        raise _no_key()
    return await _limited(state, client, key_id(token), lambda: _resolve(ring, token), _too_many)


async def check_person(state: AppState, client: str, name: str, password: str) -> Person:
    """The active person *name* whose password is *password* (the pages' sign-in), else :class:`AuthFailed`
    (401; 429 after too many failures of *client*, for this name or in all — the same limiter as keys)."""
    def check() -> Person:
        person = state.people.check(name, password)  # one argon2id either way: timing tells nothing
        if person is None:
            raise AuthFailed(401, "名前かパスワードが正しくありません。", _REALM)
        return person
    return await _limited(state, client, f"person:{name}", check, _too_many_sign_ins)


def _bearer(headers: Any) -> str | None:
    raw = headers.get("authorization")
    if not raw:
        return None
    scheme, _, token = raw.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else ""


def _no_key() -> AuthFailed:
    return AuthFailed(401, "API キーが必要です。`Authorization: Bearer <key>` ヘッダーを付けてください"
                           "（鍵は管理者が `resourcemap keys create` で発行します）。", _REALM)


def _bad_key() -> AuthFailed:
    return AuthFailed(401, "API キーが無効です（誤り・失効・形式違い）。正しい鍵を指定するか、管理者に再発行を依頼してください。",
                      f'{_REALM}, error="invalid_token"')


def _resolve(ring: KeyRing, token: str | None) -> KeyInfo:
    if token is None:
        raise _no_key()
    info = ring.verify(token) if token else None
    if info is None:
        raise _bad_key()
    return info


def _check_role(info: KeyInfo, role: str) -> Caller:
    if not role_at_least(info.role, role):
        raise AuthFailed(403, f"この操作には{_ROLE_LABEL[role]}以上の権限が必要です（この鍵は {info.role}）。",
                         f'{_REALM}, error="insufficient_scope"')
    return Caller(name=info.name, role=info.role)


def authenticate(request: Request, state: AppState, role: str) -> Caller:
    """The caller behind the request's key, if it holds *role* or higher (else 401/403)."""
    info = getattr(request.state, "api_key", None)
    if info is None:  # the guard did not run (app built without it): check here
        info = _resolve(state.keyring, _bearer(request.headers))
    return _check_role(info, role)


def under(path: str, prefix: str) -> bool:
    """Whether *path* is *prefix* (``/v1``) or below it (``/v1/…``), but not ``/v1x``."""
    return path == prefix or path.startswith(prefix + "/")


def _needs_key(path: str, state: AppState) -> bool:
    """Every /v1 path; /hsds paths only when the settings make the HSDS directory key-only."""
    return under(path, "/v1") or (under(path, "/hsds") and not state.settings.hsds_public)


class Guard:
    """ASGI middleware: 401 for /v1 (and a key-only /hsds) without a valid key, 413 for a body over the limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.services
        if _needs_key(scope["path"], state):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            client = (scope.get("client") or ("unknown", 0))[0]
            try:
                info = await check_key(state, client, _bearer(headers))
            except AuthFailed as exc:
                await _send_problem(scope, receive, send, exc.status, exc.detail, exc.headers())
                return
            scope.setdefault("state", {})["api_key"] = info
        limit = self.max_body_bytes or state.settings.max_body_bytes
        limited = await self._limited(scope, receive, send, limit)
        if limited is not None:
            await self.app(scope, limited, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> Receive | None:
        """The receive channel to pass on, or None when 413 was already sent."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        too_big = f"リクエスト本文が大きすぎます（上限 {limit:,} バイト）。ファイルを分けて送ってください。"
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = limit + 1
            if declared > limit:
                await _send_problem(scope, receive, send, 413, too_big)
                return None
            return receive
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            return receive
        # chunked body without a length: buffer up to the limit, then replay
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return receive
            size += len(message.get("body", b""))
            if size > limit:
                await _send_problem(scope, receive, send, 413, too_big)
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()
        return replay


async def _send_problem(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                        headers: dict[str, str] | None = None) -> None:
    await problems.problem(status, detail, headers=headers)(scope, receive, send)


_PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"}}},
    "additionalProperties": True,
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _document_errors(schema: dict) -> dict:
    """Every error response is problem+json; every /v1 operation may answer 401/403 and needs a key."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
    schema["components"].setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "description": "API key (`resourcemap keys create`)"}
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    problem_content = {"application/problem+json": {"schema": _PROBLEM_REF}}
    for path, ops in schema.get("paths", {}).items():
        for op in ops.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            for code, resp in list(responses.items()):
                if code[0] in "45":
                    resp["content"] = problem_content
            errors = {"422": "入力が正しくありません"} if op.get("parameters") or "requestBody" in op else {}
            if path.startswith("/v1"):
                op["security"] = [{"bearer": []}]
                errors.update({"401": "API キーがない・無効", "403": "権限が足りない",
                               "429": "鍵の確認に続けて失敗した（Retry-After 秒後に再試行）"})
            if "requestBody" in op:
                errors["413"] = "本文が大きすぎる"
            for code, text in errors.items():
                responses.setdefault(code, {"description": text, "content": problem_content})
            responses.setdefault("4XX", {"description": "その他の入力エラー（problem+json）", "content": problem_content})
    return schema


def install(app: FastAPI) -> None:
    """Add the guard, the handler for auth failures and the OpenAPI error documentation."""
    app.add_middleware(Guard)

    @app.exception_handler(AuthFailed)
    async def _auth_failed(_: Request, exc: AuthFailed):
        return problems.problem(exc.status, exc.detail, headers=exc.headers())

    original = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _document_errors(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
