"""Many conversations' messages through the NLU model together.

The server handles turns on worker threads; each turn asks the parser for one parse. A
:class:`BatchingParser` sends the texts that are waiting at the same moment through the model as
one batch (``parse_batch``) on one thread: while a batch runs, the next one gathers. No timer, no
added wait: one message alone goes through at once, and under load a forward pass serves many
messages (on CPU a batch of 8 costs about a third per message of 8 single passes).
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from nlu.types import Parse

__all__ = ["BatchingParser"]

logger = logging.getLogger(__name__)


class BatchingParser:
    def __init__(self, parser: Any, max_batch: int = 32) -> None:
        self.inner = parser
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Any, Future]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def parse(self, text: Any) -> Parse:
        if not hasattr(self.inner, "parse_batch"):
            return self.inner.parse(text)
        self._ensure_thread()
        future: Future = Future()
        self._queue.put((text, future))
        return future.result()

    def parse_batch(self, texts: Any) -> list[Parse]:
        return self.inner.parse_batch(texts)

    def __getattr__(self, name: str) -> Any:  # the wrapped parser's other attributes
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="nlu-batches", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run(batch)

    def _run(self, batch: list[tuple[Any, Future]]) -> None:
        try:
            parses = self.inner.parse_batch([text for text, _ in batch])
            if len(parses) != len(batch):
                raise RuntimeError(f"parse_batch gave {len(parses)} parses for {len(batch)} texts")
        except Exception:
            logger.warning("a batch of %d parses failed; parsing them one by one", len(batch), exc_info=True)
            for text, future in batch:
                try:
                    future.set_result(self.inner.parse(text))
                except Exception as exc:  # the assistant treats it as not understood
                    future.set_exception(exc)
            return
        for (_, future), parse in zip(batch, parses):
            future.set_result(parse)
