"""Per-sender rate limit: at most N messages in any window of T seconds (a sliding log).

Pure logic with an injectable clock. Each process of a multi-worker server keeps its own counts,
so with W workers a sender can get up to W x N through when its messages are spread over them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable

__all__ = ["RateLimiter"]


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
