"""Tracker and key/value stores, and the URL that picks one.

>>> store = create_store("memory://")
>>> store.append("alice", [{"event": "user", "timestamp": 1.0, "text": "hi"}])
>>> store.load("alice")
[{'event': 'user', 'timestamp': 1.0, 'text': 'hi'}]
>>> store.kv.put("profile", "alice", {"diet": "vegetarian"})
>>> store.kv.get("profile", "alice")
{'diet': 'vegetarian'}

Supported URLs (see :func:`create_store`): ``memory://``; ``sqlite:///relative.db``,
``sqlite:////absolute/path.db`` or a plain file path (the default is ``assistant.db`` in the
working directory), with optional ``?synchronous=full&timeout=30``; ``postgresql://user:pw@host:5432/db``
(also ``postgres://`` and ``postgresql+psycopg://``).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from .base import KeyValueStore, SchemaVersionError, StoreError, TrackerStore
from .memory import InMemoryKeyValueStore, InMemoryTrackerStore
from .sqlite import DEFAULT_SQLITE_PATH, SQLiteKeyValueStore, SQLiteTrackerStore

__all__ = [
    "TrackerStore",
    "KeyValueStore",
    "StoreError",
    "SchemaVersionError",
    "InMemoryTrackerStore",
    "InMemoryKeyValueStore",
    "SQLiteTrackerStore",
    "SQLiteKeyValueStore",
    "PostgresTrackerStore",
    "DEFAULT_SQLITE_PATH",
    "SUPPORTED_URLS",
    "create_store",
]

SUPPORTED_URLS = (
    "memory://",
    "sqlite:///path/to/file.db (or a plain file path)",
    "postgresql://user:password@host:port/dbname",
)

_SQLITE_OPTIONS = {"synchronous": str, "timeout": float}


def __getattr__(name: str):
    # psycopg is an optional extra: import the PostgreSQL store only when it is asked for.
    if name == "PostgresTrackerStore":
        from .postgres import PostgresTrackerStore

        return PostgresTrackerStore
    raise AttributeError(name)


def create_store(url: str | os.PathLike[str] | None = None) -> TrackerStore:
    """The tracker store a URL names; ``None`` or ``""`` gives SQLite in ``./assistant.db``."""
    if url is None or str(url).strip() == "":
        return SQLiteTrackerStore(DEFAULT_SQLITE_PATH)
    text = os.fspath(url).strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if not scheme or len(scheme) == 1:  # a plain path (a Windows drive letter looks like a scheme)
        return SQLiteTrackerStore(text)
    if scheme == "memory":
        if parts.netloc or parts.path.strip("/"):
            raise ValueError(f"memory:// takes no host or path: {text!r}")
        return InMemoryTrackerStore()
    if scheme == "sqlite":
        if parts.netloc:
            raise ValueError(
                f"{text!r}: a SQLite URL has no host; write sqlite:///relative.db or sqlite:////absolute/path.db"
            )
        path = unquote(parts.path)
        path = path[1:] if path.startswith("/") else path
        options = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key not in _SQLITE_OPTIONS:
                raise ValueError(f"{text!r}: unknown SQLite option {key!r}; known: {', '.join(_SQLITE_OPTIONS)}")
            options[key] = _SQLITE_OPTIONS[key](value)
        return SQLiteTrackerStore(path or DEFAULT_SQLITE_PATH, **options)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg3"):
        from .postgres import PostgresTrackerStore

        return PostgresTrackerStore("postgresql" + text[len(parts.scheme):])
    raise ValueError(
        f"unsupported tracker store URL {_redact(text)!r} (scheme {parts.scheme!r}); supported: " + "; ".join(SUPPORTED_URLS)
    )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url
