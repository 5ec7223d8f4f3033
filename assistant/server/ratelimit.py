"""Per-sender rate limit: at most N messages in any window of T seconds (a sliding log).

:class:`RateLimiter` is pure logic with an injectable clock, for one process. With several workers
(``--redis``) every worker checks :class:`SharedRateLimiter` instead: the same sliding log kept in
Redis and updated by one atomic script on Redis's own clock, so a sender gets N messages per window
in all, however its messages are spread over the workers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from typing import Any, Callable

__all__ = ["RateLimiter", "SharedRateLimiter"]

logger = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, count: int, seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.count = count
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._log: OrderedDict[str, deque[float]] = OrderedDict()
        self._mutex = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.count > 0

    def hit(self, key: str) -> float | None:
        """Count one message of ``key``: ``None`` when it may pass, else seconds until it may."""
        if not self.enabled:
            return None
        now = self.clock()
        with self._mutex:
            log = self._log.pop(key, None)
            if log is None:
                log = deque()
            while log and log[0] <= now - self.seconds:
                log.popleft()
            self._log[key] = log  # most recently used last
            if len(log) >= self.count:
                return max(log[0] + self.seconds - now, 0.001)
            log.append(now)
            self._evict(now)
            return None

    def _evict(self, now: float) -> None:
        # idle senders first (the oldest used are at the front), then the oldest if still too many
        while self._log:
            key, log = next(iter(self._log.items()))
            if len(self._log) > self.max_keys or not log or log[-1] <= now - self.seconds:
                del self._log[key]
            else:
                break

    def __len__(self) -> int:
        return len(self._log)


# KEYS[1]: the sender's log (a sorted set of message ids scored by arrival in ms)
# ARGV: count, window in ms, a unique id for this message. Returns -1 (pass) or ms until one may pass.
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= count then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""


class SharedRateLimiter:
    """The sliding log of :class:`RateLimiter` in Redis, shared by every worker that uses the same
    ``prefix``. When Redis cannot be reached a message passes (and the failure is logged): the
    limit protects the service, it must not be the thing that takes it down."""

    def __init__(self, url: str, count: int, seconds: float, *, prefix: str = "concierge:ratelimit:") -> None:
        self.url = url
        self.count = count
        self.seconds = seconds
        self.prefix = prefix
        # an asyncio client belongs to the event loop it first ran in: one per loop
        self._client: Any = None
        self._script: Any = None
        self._loop: Any = None
        # unique per message across workers: this process's id and a counter
        self._ids = itertools.count()
        self._me = f"{os.getpid()}-{id(self):x}"
        self._warned = False

    def _connected(self):
        from redis.asyncio import Redis  # only servers with --redis need redis-py

        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client = Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
            self._script = self._client.register_script(_HIT)
            self._loop = loop
        return self._script

    @property
    def enabled(self) -> bool:
        return self.count > 0

    async def hit(self, key: str) -> float | None:
        """Count one message of ``key``: ``None`` when it may pass, else seconds until it may."""
        if not self.enabled:
            return None
        try:
            wait_ms = await self._connected()(keys=[self.prefix + key],
                                         args=[self.count, int(self.seconds * 1000), f"{self._me}-{next(self._ids)}"])
        except Exception as exc:  # redis down or unreachable
            if not self._warned:
                logger.warning("rate limit not checked: Redis is unreachable (%s)", exc)
                self._warned = True
            return None
        self._warned = False
        return None if int(wait_ms) < 0 else int(wait_ms) / 1000

    async def close(self) -> None:
        if self._client is not None:
            client, self._client, self._loop = self._client, None, None
            await client.aclose()
