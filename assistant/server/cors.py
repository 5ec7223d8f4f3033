"""Which browser origins may call the server: the ``--cors`` allow-list, plus the server's own
origin for socket.io (python-socketio replaces its same-origin default by an explicit list)."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

__all__ = ["own_origins", "socketio_origin_check"]


def own_origins(environ: Mapping[str, Any]) -> list[str]:
    """The origins a page served by this server has, from the request's Host (and forwarded headers)."""
    host = environ.get("HTTP_HOST")
    if not host:
        return []
    scheme = environ.get("wsgi.url_scheme", "http")
    if scheme in ("ws", "wss"):
        scheme = "http" if scheme == "ws" else "https"
    origins = [f"{scheme}://{host}"]
    forwarded_host = str(environ.get("HTTP_X_FORWARDED_HOST", host)).split(",")[0].strip()
    forwarded_proto = str(environ.get("HTTP_X_FORWARDED_PROTO", scheme)).split(",")[0].strip()
    if forwarded_host and forwarded_proto:
        origins.append(f"{forwarded_proto}://{forwarded_host}")
    return origins


def socketio_origin_check(allowed: Sequence[str]) -> Callable[[Any, Any], bool] | str:
    """``cors_allowed_origins`` for python-socketio: ``*``, or a check that lets through clients
    without an ``Origin`` (not browsers), the allow-list and the server's own origin."""
    if "*" in allowed:
        return "*"
    allowed_set = set(allowed)

    def check(origin: Any, environ: Any = None) -> bool:
        if origin is None:
            return True
        if origin in allowed_set:
            return True
        return isinstance(environ, Mapping) and origin in own_origins(environ)

    return check
