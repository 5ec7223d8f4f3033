"""In-memory stores for tests and throwaway sessions: nothing survives the process."""

from __future__ import annotations

import json
import threading
from typing import Any

from .base import KeyValueStore, TrackerStore, check_key, check_sender, encode_events, encode_value

__all__ = ["InMemoryTrackerStore", "InMemoryKeyValueStore"]


class InMemoryKeyValueStore(KeyValueStore):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], str] = {}

    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        with self._lock:
            text = self._values.get(check_key(namespace, key))
        return default if text is None else json.loads(text)

    def put(self, namespace: str, key: str, value: Any) -> None:
        text = encode_value(value)
        with self._lock:
            self._values[check_key(namespace, key)] = text

    def delete(self, namespace: str, key: str) -> bool:
        with self._lock:
            return self._values.pop(check_key(namespace, key), None) is not None

    def keys(self, namespace: str) -> list[str]:
        check_key(namespace, "")
        with self._lock:
            return sorted(k for ns, k in self._values if ns == namespace)


class InMemoryTrackerStore(TrackerStore):
    """Events kept as JSON text in a dict, so values come back exactly as from SQLite or PostgreSQL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, list[str]] = {}
        self._kv = InMemoryKeyValueStore()

    @property
    def kv(self) -> InMemoryKeyValueStore:
        return self._kv

    def load(self, sender_id: str) -> list[dict]:
        check_sender(sender_id)
        with self._lock:
            texts = list(self._events.get(sender_id, ()))
        return [json.loads(text) for text in texts]

    def append(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        texts = [text for _, _, text in encode_events(events)]
        with self._lock:
            self._events.setdefault(sender_id, []).extend(texts)

    def replace(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        texts = [text for _, _, text in encode_events(events)]
        with self._lock:
            self._events[sender_id] = texts

    def delete(self, sender_id: str) -> None:
        with self._lock:
            self._events.pop(check_sender(sender_id), None)

    def senders(self) -> list[str]:
        with self._lock:
            return sorted(self._events)

    def count(self, sender_id: str) -> int:
        with self._lock:
            return len(self._events.get(check_sender(sender_id), ()))

    def exists(self, sender_id: str) -> bool:
        with self._lock:
            return check_sender(sender_id) in self._events

    def __repr__(self) -> str:
        return "InMemoryTrackerStore()"
