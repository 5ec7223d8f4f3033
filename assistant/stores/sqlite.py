"""SQLite tracker store: the default, one file in the working directory (``assistant.db``).

Durability. The database runs in WAL mode with ``synchronous=NORMAL`` by default. In WAL mode a
commit has been written into the ``-wal`` file (the operating system's page cache) before
``append`` returns, so killing the process at any moment, SIGKILL included, loses no committed
turn and can never leave half a turn: the next open replays the WAL. What NORMAL gives up, compared
with FULL, is the last few commits on an operating-system crash or power cut (the database stays
consistent); FULL buys that with one fsync per turn, milliseconds on many disks, which would swamp
the dialogue manager's per-turn budget. Pass ``synchronous="FULL"`` (or ``?synchronous=full`` in
the URL) where a power cut must lose nothing either.

Concurrency. Each thread gets its own connection (WAL lets readers run beside the one writer);
writes take the write lock up front (``BEGIN IMMEDIATE``) and wait up to ``timeout`` seconds for
it, so several threads, and several processes on the same file, can append safely. Ordering
within a conversation comes from a per-conversation counter bumped in the same transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .base import (
    SCHEMA_COMPONENT,
    SCHEMA_VERSION,
    KeyValueStore,
    SchemaVersionError,
    StoreError,
    ThreadConnections,
    TrackerStore,
    check_key,
    check_sender,
    encode_events,
    encode_value,
)

__all__ = ["SQLiteTrackerStore", "SQLiteKeyValueStore", "DEFAULT_SQLITE_PATH"]

DEFAULT_SQLITE_PATH = "assistant.db"
SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")

# MIGRATIONS[v] takes a database from version v-1 to v; version 0 is an empty file.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE tracker_conversations (
               sender_id  TEXT PRIMARY KEY,
               last_seq   INTEGER NOT NULL DEFAULT 0,
               created_at REAL NOT NULL,
               updated_at REAL NOT NULL
           )""",
        """CREATE TABLE tracker_events (
               sender_id  TEXT NOT NULL,
               seq        INTEGER NOT NULL,
               event_type TEXT,
               event_time REAL,
               data       TEXT NOT NULL,
               PRIMARY KEY (sender_id, seq)
           ) WITHOUT ROWID""",
        """CREATE TABLE kv_store (
               namespace  TEXT NOT NULL,
               key        TEXT NOT NULL,
               value      TEXT NOT NULL,
               updated_at REAL NOT NULL,
               PRIMARY KEY (namespace, key)
           ) WITHOUT ROWID""",
    ],
}
assert max(MIGRATIONS) == SCHEMA_VERSION


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction that holds the write lock from its start (no upgrade deadlocks)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteKeyValueStore(KeyValueStore):
    """The ``kv_store`` table of a :class:`SQLiteTrackerStore`'s database."""

    def __init__(self, connections: ThreadConnections[sqlite3.Connection]) -> None:
        self._connections = connections

    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        row = self._connections.get().execute(
            "SELECT value FROM kv_store WHERE namespace = ? AND key = ?", check_key(namespace, key)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, namespace: str, key: str, value: Any) -> None:
        namespace, key = check_key(namespace, key)
        text = encode_value(value)
        with _write(self._connections.get()) as conn:
            conn.execute(
                "INSERT INTO kv_store (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (namespace, key, text, time.time()),
            )

    def delete(self, namespace: str, key: str) -> bool:
        with _write(self._connections.get()) as conn:
            cursor = conn.execute("DELETE FROM kv_store WHERE namespace = ? AND key = ?", check_key(namespace, key))
            return cursor.rowcount > 0

    def keys(self, namespace: str) -> list[str]:
        check_key(namespace, "")
        rows = self._connections.get().execute(
            "SELECT key FROM kv_store WHERE namespace = ? ORDER BY key", (namespace,)
        ).fetchall()
        return [row[0] for row in rows]

    def clear(self, namespace: str) -> None:
        check_key(namespace, "")
        with _write(self._connections.get()) as conn:
            conn.execute("DELETE FROM kv_store WHERE namespace = ?", (namespace,))


class SQLiteTrackerStore(TrackerStore):
    """Trackers in one SQLite file; see the module docstring for durability and concurrency."""

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_SQLITE_PATH,
        *,
        synchronous: str = "NORMAL",
        timeout: float = 30.0,
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file::memory:"):
            raise ValueError("SQLiteTrackerStore needs a file; use InMemoryTrackerStore (memory://) for a throwaway store")
        self.path = Path(path).expanduser().resolve()
        self.synchronous = synchronous.upper()
        if self.synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, not {synchronous!r}")
        self.timeout = float(timeout)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections: ThreadConnections[sqlite3.Connection] = ThreadConnections(self._connect, lambda c: c.close())
        self._kv = SQLiteKeyValueStore(self._connections)
        try:
            self._migrate(self._connections.get())
        except BaseException:
            self._connections.close()
            raise

    # -- connections and schema -------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the tracker database {self.path}: {exc}") from exc
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise StoreError(f"{self.path}: SQLite refused WAL mode (journal_mode={mode}); is it on a network file system?")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with _write(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at REAL NOT NULL)"
            )
            row = conn.execute("SELECT version FROM schema_version WHERE component = ?", (SCHEMA_COMPONENT,)).fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self.path} has tracker schema version {version}; this code knows up to {SCHEMA_VERSION}: upgrade it"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(
                    "INSERT INTO schema_version (component, version, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
                    (SCHEMA_COMPONENT, SCHEMA_VERSION, time.time()),
                )

    def schema_version(self) -> int:
        row = self._connections.get().execute(
            "SELECT version FROM schema_version WHERE component = ?", (SCHEMA_COMPONENT,)
        ).fetchone()
        return row[0] if row else 0

    def pragma(self, name: str) -> Any:
        """The value of a PRAGMA on this thread's connection (``journal_mode``, ``synchronous``...)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"not a pragma name: {name!r}")
        return self._connections.get().execute(f"PRAGMA {name}").fetchone()[0]

    @property
    def kv(self) -> SQLiteKeyValueStore:
        return self._kv

    # -- trackers ---------------------------------------------------------------------------
    def load(self, sender_id: str) -> list[dict]:
        rows = self._connections.get().execute(
            "SELECT data FROM tracker_events WHERE sender_id = ? ORDER BY seq", (check_sender(sender_id),)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def append(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        encoded = encode_events(events)
        now = time.time()
        with _write(self._connections.get()) as conn:
            last = conn.execute(
                "INSERT INTO tracker_conversations (sender_id, last_seq, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (sender_id) DO UPDATE SET last_seq = last_seq + excluded.last_seq, updated_at = excluded.updated_at "
                "RETURNING last_seq",
                (sender_id, len(encoded), now, now),
            ).fetchall()[0][0]  # fetch all: the statement must be finished before COMMIT
            self._insert(conn, sender_id, last - len(encoded), encoded)

    def replace(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        encoded = encode_events(events)
        now = time.time()
        with _write(self._connections.get()) as conn:
            conn.execute(
                "INSERT INTO tracker_conversations (sender_id, last_seq, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (sender_id) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at",
                (sender_id, len(encoded), now, now),
            )
            conn.execute("DELETE FROM tracker_events WHERE sender_id = ?", (sender_id,))
            self._insert(conn, sender_id, 0, encoded)

    @staticmethod
    def _insert(conn: sqlite3.Connection, sender_id: str, after: int, encoded: list) -> None:
        conn.executemany(
            "INSERT INTO tracker_events (sender_id, seq, event_type, event_time, data) VALUES (?, ?, ?, ?, ?)",
            [(sender_id, after + i, kind, stamp, text) for i, (kind, stamp, text) in enumerate(encoded, start=1)],
        )

    def delete(self, sender_id: str) -> None:
        check_sender(sender_id)
        with _write(self._connections.get()) as conn:
            conn.execute("DELETE FROM tracker_events WHERE sender_id = ?", (sender_id,))
            conn.execute("DELETE FROM tracker_conversations WHERE sender_id = ?", (sender_id,))

    def senders(self) -> list[str]:
        rows = self._connections.get().execute("SELECT sender_id FROM tracker_conversations ORDER BY sender_id").fetchall()
        return [row[0] for row in rows]

    def count(self, sender_id: str) -> int:
        row = self._connections.get().execute(
            "SELECT count(*) FROM tracker_events WHERE sender_id = ?", (check_sender(sender_id),)
        ).fetchone()
        return row[0]

    def exists(self, sender_id: str) -> bool:
        row = self._connections.get().execute(
            "SELECT 1 FROM tracker_conversations WHERE sender_id = ?", (check_sender(sender_id),)
        ).fetchone()
        return row is not None

    def close(self) -> None:
        self._connections.close()

    def __repr__(self) -> str:
        return f"SQLiteTrackerStore({str(self.path)!r}, synchronous={self.synchronous!r})"
