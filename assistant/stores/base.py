"""The store interfaces: conversation trackers as ordered event lists, and a small JSON key/value table.

A tracker is the list of event dicts of one conversation (``sender_id``), oldest first. Events are
plain JSON-serialisable dicts (``{"event": "user", "timestamp": 1.0, "text": "hi", ...}``); the
stores do not interpret them beyond reading ``event`` and ``timestamp`` into their own columns.

Every backend gives the same guarantees:

* ``append`` is one transaction: the events of one call (one turn) are stored together or not at
  all, after the events of every earlier call for that sender, each with a per-conversation
  sequence number ``1, 2, 3, ...`` that fixes the order;
* what a store returns is a fresh copy that went through JSON (a tuple comes back as a list), so
  the in-memory store behaves exactly like the persistent ones;
* a value that JSON cannot encode is refused with ``TypeError`` before anything is written.

``KeyValueStore`` is a generic ``(namespace, key) -> JSON value`` table for user profiles and other
per-user state; every tracker store carries one on the same database as ``store.kv``.
"""

from __future__ import annotations

import json
import math
import os
import threading
from abc import ABC, abstractmethod
from typing import Any, Callable, Generic, Iterable, TypeVar

__all__ = ["TrackerStore", "KeyValueStore", "StoreError", "SchemaVersionError"]

#: The version of the tables written by this code; see ``schema_version``.
SCHEMA_VERSION = 1
#: The component name under which the tracker tables record their version.
SCHEMA_COMPONENT = "tracker_store"


class StoreError(RuntimeError):
    """A store could not be opened or used."""


class SchemaVersionError(StoreError):
    """The database was written by a newer version of this code than the one running."""


def encode_value(value: Any) -> str:
    """Compact JSON text; ``TypeError`` for anything JSON cannot hold (NaN included, as in strict JSON)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # NaN / inf
        raise TypeError(f"value is not JSON-serialisable: {exc}") from None
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: keep it as a \u escape, which every database takes
            text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


def encode_event(event: Any) -> tuple[str | None, float | None, str]:
    """``(type, timestamp, json_text)`` of one event dict; ``TypeError`` if it is not a JSON-able dict."""
    if not isinstance(event, dict):
        raise TypeError(f"an event must be a dict, not {type(event).__name__}: {event!r}")
    text = encode_value(event)
    kind = event.get("event")
    stamp = event.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or not math.isfinite(stamp):
        stamp = None
    return (kind if isinstance(kind, str) else None), (float(stamp) if stamp is not None else None), text


def encode_events(events: Iterable[Any]) -> list[tuple[str | None, float | None, str]]:
    if isinstance(events, (dict, str, bytes)):
        raise TypeError("events must be a list of event dicts, not a single " + type(events).__name__)
    return [encode_event(event) for event in events]


def check_sender(sender_id: Any) -> str:
    if not isinstance(sender_id, str) or not sender_id:
        raise ValueError(f"sender_id must be a non-empty string, not {sender_id!r}")
    return sender_id


class TrackerStore(ABC):
    """Conversation trackers: one ordered list of event dicts per ``sender_id``."""

    @abstractmethod
    def load(self, sender_id: str) -> list[dict]:
        """All events of the conversation, oldest first; ``[]`` for an unknown sender."""

    @abstractmethod
    def append(self, sender_id: str, events: list[dict]) -> None:
        """Add events after the existing ones, in one transaction (all or nothing)."""

    @abstractmethod
    def replace(self, sender_id: str, events: list[dict]) -> None:
        """Make ``events`` the whole tracker (one transaction); the sender exists afterwards."""

    @abstractmethod
    def delete(self, sender_id: str) -> None:
        """Forget the conversation; no error if there is none."""

    @abstractmethod
    def senders(self) -> list[str]:
        """Every sender with a tracker, sorted."""

    def count(self, sender_id: str) -> int:
        """The number of events of the conversation."""
        return len(self.load(sender_id))

    def exists(self, sender_id: str) -> bool:
        return sender_id in self.senders()

    @property
    @abstractmethod
    def kv(self) -> "KeyValueStore":
        """The key/value table on the same database (profiles and other per-user state)."""

    def close(self) -> None:
        """Release connections; the object must not be used afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class KeyValueStore(ABC):
    """JSON values by ``(namespace, key)``, e.g. ``("profile", user_id) -> {...}``.

    Every tracker store carries one on the same database as ``store.kv``.
    """

    @abstractmethod
    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        """The stored value, or ``default`` when there is none."""

    @abstractmethod
    def put(self, namespace: str, key: str, value: Any) -> None:
        """Store (insert or overwrite) a JSON-serialisable value, in one transaction."""

    @abstractmethod
    def delete(self, namespace: str, key: str) -> bool:
        """Delete one value; ``True`` when there was one."""

    @abstractmethod
    def keys(self, namespace: str) -> list[str]:
        """The keys of a namespace, sorted."""

    def clear(self, namespace: str) -> None:
        """Delete every value of a namespace."""
        for key in self.keys(namespace):
            self.delete(namespace, key)


def check_key(namespace: Any, key: Any) -> tuple[str, str]:
    if not isinstance(namespace, str) or not namespace:
        raise ValueError(f"namespace must be a non-empty string, not {namespace!r}")
    if not isinstance(key, str):
        raise ValueError(f"key must be a string, not {key!r}")
    return namespace, key


C = TypeVar("C")


class ThreadConnections(Generic[C]):
    """One database connection per thread (per process, after a fork), all closed by ``close()``.

    Connections of threads that have ended are closed when the next new thread asks for one, so a
    server that runs handlers on short-lived threads does not pile up open connections.
    """

    def __init__(self, connect: Callable[[], C], close: Callable[[C], None], usable: Callable[[C], bool] | None = None):
        self._connect = connect
        self._close = close
        self._usable = usable or (lambda conn: True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: dict[int, tuple[threading.Thread, C]] = {}
        self._pid = os.getpid()
        self._closed = False

    def get(self) -> C:
        if self._closed:
            raise StoreError("the store is closed")
        if self._pid != os.getpid():  # forked: the parent's connections are not ours to use or close
            with self._lock:
                self._open.clear()
                self._pid = os.getpid()
                self._local = threading.local()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._usable(conn):
                return conn
            self._discard(threading.get_ident())
        conn = self._connect()
        thread = threading.current_thread()
        with self._lock:
            if self._closed:
                self._close(conn)
                raise StoreError("the store is closed")
            for ident, (owner, old) in list(self._open.items()):
                if not owner.is_alive():
                    del self._open[ident]
                    self._safe_close(old)
            self._open[threading.get_ident()] = (thread, conn)
        self._local.conn = conn
        return conn

    def _discard(self, ident: int) -> None:
        with self._lock:
            entry = self._open.pop(ident, None)
        self._local.conn = None
        if entry is not None:
            self._safe_close(entry[1])

    def _safe_close(self, conn: C) -> None:
        try:
            self._close(conn)
        except Exception:  # closing a broken connection must not hide the real error
            pass

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            entries = list(self._open.values()) if self._pid == os.getpid() else []
            self._open.clear()
        for _, conn in entries:
            self._safe_close(conn)
