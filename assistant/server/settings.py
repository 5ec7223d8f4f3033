"""What ``assistant serve`` is configured with: one frozen value, parsed and checked up front.

Pure logic, no I/O: the CLI builds a :class:`ServerSettings` from its flags, ``create_app`` reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

__all__ = ["ServerSettings", "RateLimit", "parse_rate_limit", "parse_origins", "SettingsError"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5005
DEFAULT_MAX_MESSAGE_BYTES = 8192
DEFAULT_RATE_LIMIT = "60/60s"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class SettingsError(ValueError):
    """A setting that cannot work; the message says which flag and what to write instead."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` messages per sender in any ``seconds`` window; ``count == 0`` turns it off."""

    count: int
    seconds: float

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def __str__(self) -> str:
        return "off" if not self.enabled else f"{self.count}/{self.seconds:g}s"


_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)?\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours)?)?\s*$",
                   re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600}


def parse_rate_limit(text: str | None) -> RateLimit:
    """``"60/60s"``, ``"10/s"``, ``"100/5m"``, ``"30/1h"``; ``"0"``, ``"off"`` or ``None`` turn it off."""
    if text is None or str(text).strip().lower() in ("", "0", "off", "none", "no"):
        return RateLimit(0, 60.0)
    match = _RATE.match(str(text))
    if match is None or match[2] is None and match[3] is None:
        raise SettingsError(f"--rate-limit {text!r}: write COUNT/WINDOW, e.g. 60/60s, 10/s, 100/5m (or off)")
    count = int(match[1])
    amount = float(match[2]) if match[2] is not None else 1.0
    seconds = amount * _UNIT[(match[3] or "s")[0].lower()]
    if seconds <= 0:
        raise SettingsError(f"--rate-limit {text!r}: the window must be longer than 0 seconds")
    return RateLimit(count, seconds)


def parse_origins(text: str | None) -> tuple[str, ...]:
    """``--cors``: comma- or space-separated origins (``https://example.com``) or ``*`` for any."""
    if text is None:
        return ()
    origins = []
    for item in re.split(r"[,\s]+", str(text).strip()):
        if not item:
            continue
        if item != "*":
            item = item.rstrip("/")
            if not re.match(r"^https?://[^/\s]+$", item):
                raise SettingsError(
                    f"--cors: {item!r} is not an origin; write scheme://host[:port] (e.g. https://example.com) or *")
        origins.append(item)
    return tuple(dict.fromkeys(origins))


@dataclass(frozen=True)
class ServerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    auth_token: str | None = None
    jwt_secret: str | None = None
    cors_origins: tuple[str, ...] = ()
    workers: int = 1
    redis_url: str | None = None
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    rate_limit: RateLimit = field(default_factory=lambda: parse_rate_limit(DEFAULT_RATE_LIMIT))
    socketio_path: str = "socket.io"
    # messages of one conversation waiting in this process beyond which new ones get 429
    max_queued_per_conversation: int = 32
    # turns handled at once on worker threads (each may hold a store connection)
    threads: int = 16
    # send the messages waiting at the same moment through the NLU model as one batch
    batch_nlu: bool = True
    # what the turns' events record as the channel
    rest_channel: str = "rest"
    socketio_channel: str = "socketio"

    def __post_init__(self) -> None:
        if self.auth_token is not None and self.jwt_secret is not None:
            raise SettingsError("give either --auth-token or --jwt-secret, not both")
        for name in ("auth_token", "jwt_secret"):
            value = getattr(self, name)
            if value is not None and not value.strip():
                raise SettingsError(f"--{name.replace('_', '-')} must not be empty")
        if not (0 <= self.port <= 65535):
            raise SettingsError(f"--port {self.port}: pick a port between 1 and 65535 (0: any free one)")
        if self.workers < 1:
            raise SettingsError(f"--workers {self.workers}: needs at least 1")
        if self.threads < 1:
            raise SettingsError(f"threads {self.threads}: needs at least 1")
        if self.max_message_bytes < 1:
            raise SettingsError(f"--max-message-bytes {self.max_message_bytes}: must be at least 1")
        if self.redis_url is not None and not re.match(r"^(redis|rediss|unix)://", self.redis_url):
            raise SettingsError(f"--redis {self.redis_url!r}: write redis://host:port/db (or rediss://, unix://)")

    @property
    def auth_required(self) -> bool:
        return self.auth_token is not None or self.jwt_secret is not None

    @property
    def max_body_bytes(self) -> int:
        """A request body may hold the message JSON-escaped (up to 6 bytes a byte) plus metadata."""
        return self.max_message_bytes * 6 + 64 * 1024

    @property
    def is_local_only(self) -> bool:
        return self.host in LOCAL_HOSTS

    def with_(self, **changes: Any) -> "ServerSettings":
        return replace(self, **changes)

    # settings travel to uvicorn's worker processes as JSON (an environment variable)
    def to_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["cors_origins"] = list(self.cors_origins)
        out["rate_limit"] = [self.rate_limit.count, self.rate_limit.seconds]
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ServerSettings":
        data = dict(data)
        data["cors_origins"] = tuple(data.get("cors_origins") or ())
        count, seconds = data.get("rate_limit") or (0, 60.0)
        data["rate_limit"] = RateLimit(int(count), float(seconds))
        return cls(**data)
