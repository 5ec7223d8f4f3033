"""HTTP plumbing shared by the routes: JSON errors, bounded body reading, the auth gate."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.server.auth import ANONYMOUS_ADMIN, AuthError, Authenticator, Principal
from assistant.server.inbound import ClientError
from assistant.server.outbound import error_body

__all__ = ["json_error", "SafeJSONResponse", "read_body", "AuthGate", "principal_of", "exception_handlers", "OPEN_PATHS"]


# reachable without credentials even when auth is on
OPEN_PATHS = frozenset({"/health"})
_PRINCIPAL = "assistant.principal"


def json_error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return SafeJSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) anything over ``limit`` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ClientError(400, "the Content-Length header is not a number") from None
        if size > limit:
            raise ClientError(413, f"the request body is {size} bytes; the limit is {limit} (--max-message-bytes)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ClientError(413, f"the request body is over the limit of {limit} bytes (--max-message-bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def principal_of(request: Request) -> Principal:
    return request.scope.get(_PRINCIPAL, ANONYMOUS_ADMIN)


class AuthGate:
    """ASGI middleware: every HTTP request but ``OPEN_PATHS`` (and CORS preflights) must carry
    valid credentials; the caller is left in the scope for the routes' per-conversation checks."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.authenticator.required:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if scope["path"] in OPEN_PATHS or request.method == "OPTIONS":
            await self.app(scope, receive, send)
            return
        try:
            scope[_PRINCIPAL] = self.authenticator.authenticate(
                authorization=request.headers.get("authorization"),
                query_token=request.query_params.get("token"),
            )
        except AuthError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if self.authenticator.scheme == "jwt" else None
            await json_error(exc.status, exc.message, headers=headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no route {request.url.path!r}; see GET / for the demo, POST /webhooks/rest/webhook to chat"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return json_error(exc.status_code, message, headers=dict(exc.headers or {}))


async def _client_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClientError)
    headers = None
    retry = getattr(exc, "retry_after", None)
    if retry is not None:
        headers = {"Retry-After": str(max(1, int(retry + 0.999)))}
    return json_error(exc.status, exc.message, headers=headers)


async def _auth_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    return json_error(exc.status, exc.message)


async def _disconnect(request: Request, exc: Exception) -> JSONResponse:
    return json_error(400, "the client went away before sending the whole request")


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    # Starlette re-raises it afterwards, so the server log gets the traceback
    return json_error(500, "internal server error; the server log has the details")


exception_handlers = {
    HTTPException: _http_exception,
    ClientError: _client_error,
    AuthError: _auth_error,
    ClientDisconnect: _disconnect,
    Exception: _server_error,
}


class SafeJSONResponse(JSONResponse):
    """JSON that never fails to render: non-finite numbers become null, unknown objects strings."""

    def render(self, content: Any) -> bytes:
        import json

        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))
        except ValueError:
            text = json.dumps(_finite(content), ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))
        return text.encode("utf-8", "replace")


def _finite(value: Any) -> Any:
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
