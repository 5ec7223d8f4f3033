"""Who is calling, and may they touch this conversation? (protocols.md, "HTTP API authentication")

* ``--auth-token SECRET``: the request carries ``?token=SECRET``; whoever has it is an admin.
* ``--jwt-secret SECRET``: ``Authorization: Bearer <jwt>`` (or ``?token=<jwt>`` where a browser cannot
  set headers: a page load, a socket.io connection), HS256, payload ``{"user": {"username", "role"}}``.
  Role ``admin`` may do everything; any other role (``user``) only reach the conversation whose sender
  id is its username.
* Neither: everyone is an admin (the server then binds to localhost by default).

Pure logic: the channels pass in the header and query values and turn :class:`AuthError` into a 401/403.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["Principal", "AuthError", "Authenticator", "ANONYMOUS_ADMIN"]

ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    username: str | None
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def may_access(self, sender_id: str) -> bool:
        return self.is_admin or (self.username is not None and sender_id == self.username)


ANONYMOUS_ADMIN = Principal(None, ADMIN)


class AuthError(Exception):
    """``status`` 401 (no or bad credentials) or 403 (valid, but not for this)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Authenticator:
    def __init__(self, auth_token: str | None = None, jwt_secret: str | None = None) -> None:
        if auth_token is not None and jwt_secret is not None:
            raise ValueError("either an auth token or a JWT secret, not both")
        self.auth_token = auth_token
        self.jwt_secret = jwt_secret

    @property
    def required(self) -> bool:
        return self.auth_token is not None or self.jwt_secret is not None

    @property
    def scheme(self) -> str:
        return "token" if self.auth_token is not None else "jwt" if self.jwt_secret is not None else "none"

    def authenticate(self, *, authorization: str | None = None, query_token: str | None = None,
                     presented: str | None = None) -> Principal:
        """The caller behind an ``Authorization`` header, a ``?token=`` value or a token presented
        some other way (socket.io's connect ``auth``); raises :class:`AuthError` (401)."""
        if not self.required:
            return ANONYMOUS_ADMIN
        bearer = _bearer(authorization)
        if self.auth_token is not None:
            for candidate in (query_token, presented, bearer):
                if isinstance(candidate, str) and hmac.compare_digest(candidate.encode(), self.auth_token.encode()):
                    return ANONYMOUS_ADMIN
            if query_token is None and presented is None and bearer is None:
                raise AuthError("this server needs its auth token: add ?token=<token> to the URL")
            raise AuthError("the auth token is wrong")
        token = next((t for t in (bearer, presented, query_token) if isinstance(t, str) and t), None)
        if token is None:
            raise AuthError("this server needs a JWT: send the header 'Authorization: Bearer <jwt>'")
        return self._decode_jwt(token)

    def _decode_jwt(self, token: str) -> Principal:
        import jwt

        try:
            payload = jwt.decode(token, self.jwt_secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            raise AuthError("the JWT has expired") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the JWT is not valid ({exc})") from None
        user = payload.get("user") if isinstance(payload, Mapping) else None
        if not isinstance(user, Mapping):
            raise AuthError('the JWT payload needs {"user": {"username": ..., "role": ...}}')
        username, role = user.get("username"), user.get("role")
        if not isinstance(role, str) or not role:
            raise AuthError("the JWT's user.role must be a non-empty string (admin or user)")
        if role != ADMIN and (not isinstance(username, str) or not username):
            raise AuthError("the JWT's user.username must be a non-empty string")
        return Principal(username if isinstance(username, str) else None, role)

    @staticmethod
    def check_sender(principal: Principal, sender_id: str) -> None:
        """Raises a 403 :class:`AuthError` unless the principal may use this conversation."""
        if not principal.may_access(sender_id):
            raise AuthError(f"a {principal.role!r} may only use its own conversation (sender {principal.username!r})", 403)

    @staticmethod
    def check_admin(principal: Principal, what: str) -> None:
        if not principal.is_admin:
            raise AuthError(f"only an admin may {what}", 403)


def _bearer(header: Any) -> str | None:
    if not isinstance(header, str):
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
