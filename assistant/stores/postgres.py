"""PostgreSQL tracker store for several workers (``pip install "city-concierge-assistant[postgres]"``).

Same tables as the SQLite store. Events are kept as JSON *text* (not ``jsonb``), so every event
comes back exactly as written (``jsonb`` would turn ``1e20`` into an integer and reorder keys);
cast with ``data::jsonb`` to query them.

Several processes may append to one conversation at once: each ``append`` is one transaction that
first bumps the conversation's ``last_seq`` with an upsert, which row-locks the conversation until
commit, so the sequence numbers of concurrent turns never collide and a turn's events stay
contiguous. Schema creation and migration hold a transaction-level advisory lock, so workers that
start together do not race on ``CREATE TABLE``. Each thread uses its own connection (autocommit,
explicit transactions for writes); a connection found broken is replaced on the next call.
"""

from __future__ import annotations

import json
from typing import Any

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

__all__ = ["PostgresTrackerStore", "PostgresKeyValueStore"]

# An arbitrary constant: the advisory lock that serialises schema migrations of these tables.
_MIGRATION_LOCK = 0x61737374  # "asst"

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE tracker_conversations (
               sender_id  TEXT PRIMARY KEY,
               last_seq   BIGINT NOT NULL DEFAULT 0,
               created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
               updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
           )""",
        """CREATE TABLE tracker_events (
               sender_id  TEXT NOT NULL,
               seq        BIGINT NOT NULL,
               event_type TEXT,
               event_time DOUBLE PRECISION,
               data       TEXT NOT NULL,
               PRIMARY KEY (sender_id, seq)
           )""",
        """CREATE TABLE kv_store (
               namespace  TEXT NOT NULL,
               key        TEXT NOT NULL,
               value      TEXT NOT NULL,
               updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
               PRIMARY KEY (namespace, key)
           )""",
    ],
}
assert max(MIGRATIONS) == SCHEMA_VERSION


class _Attempt:
    """Whether a write got as far as its commit (after which a retry could write it twice)."""

    __slots__ = ("committing",)

    def __init__(self) -> None:
        self.committing = False


def _psycopg():
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise StoreError(
            'the PostgreSQL tracker store needs psycopg 3: pip install "psycopg[binary]" '
            '(or the project\'s "postgres" extra)'
        ) from exc
    return psycopg


class PostgresKeyValueStore(KeyValueStore):
    """The ``kv_store`` table of a :class:`PostgresTrackerStore`'s database (each call one statement)."""

    def __init__(self, store: "PostgresTrackerStore") -> None:
        self._store = store

    def _one(self, sql: str, params: tuple):
        # Every statement here is idempotent, so the store may retry it on a fresh connection.
        return self._store._run(lambda conn, _: conn.execute(sql, params))

    def get(self, namespace: str, key: str, default: Any = None) -> Any:
        rows = self._store._read("SELECT value FROM kv_store WHERE namespace = %s AND key = %s", check_key(namespace, key))
        return default if not rows else json.loads(rows[0][0])

    def put(self, namespace: str, key: str, value: Any) -> None:
        namespace, key = check_key(namespace, key)
        self._one(
            "INSERT INTO kv_store (namespace, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
            (namespace, key, encode_value(value)),
        )

    def delete(self, namespace: str, key: str) -> bool:
        cursor = self._one("DELETE FROM kv_store WHERE namespace = %s AND key = %s", check_key(namespace, key))
        return cursor.rowcount > 0

    def keys(self, namespace: str) -> list[str]:
        check_key(namespace, "")
        rows = self._store._read("SELECT key FROM kv_store WHERE namespace = %s ORDER BY key COLLATE \"C\"", (namespace,))
        return [row[0] for row in rows]

    def clear(self, namespace: str) -> None:
        check_key(namespace, "")
        self._one("DELETE FROM kv_store WHERE namespace = %s", (namespace,))


class PostgresTrackerStore(TrackerStore):
    """Trackers in PostgreSQL; ``dsn`` is a libpq URL or ``key=value`` string."""

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0) -> None:
        self._psycopg = _psycopg()
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self._connections = ThreadConnections(
            self._connect, lambda c: c.close(), usable=lambda c: not c.closed and not c.broken
        )
        self._kv = PostgresKeyValueStore(self)
        try:
            self._migrate(self._connections.get())
        except BaseException:
            self._connections.close()
            raise

    def _connect(self):
        try:
            return self._psycopg.connect(self.dsn, autocommit=True, connect_timeout=max(1, round(self.connect_timeout)))
        except self._psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {self._safe_dsn()}: {exc}") from exc

    def _safe_dsn(self) -> str:
        """The DSN without its password, for messages."""
        try:
            from psycopg.conninfo import conninfo_to_dict, make_conninfo

            params = conninfo_to_dict(self.dsn)
            if "password" in params:
                params["password"] = "***"
            return make_conninfo(**params)
        except Exception:
            return "<dsn>"

    def _migrate(self, conn) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            row = conn.execute("SELECT version FROM schema_version WHERE component = %s", (SCHEMA_COMPONENT,)).fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"the database has tracker schema version {version}; this code knows up to {SCHEMA_VERSION}: upgrade it"
                )
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
            if version < SCHEMA_VERSION:
                conn.execute(
                    "INSERT INTO schema_version (component, version) VALUES (%s, %s) "
                    "ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version, updated_at = now()",
                    (SCHEMA_COMPONENT, SCHEMA_VERSION),
                )

    def schema_version(self) -> int:
        rows = self._read("SELECT version FROM schema_version WHERE component = %s", (SCHEMA_COMPONENT,))
        return rows[0][0] if rows else 0

    @property
    def kv(self) -> PostgresKeyValueStore:
        return self._kv

    def _run(self, work):
        """``work(conn)`` on this thread's connection, once more on a new one if the old one had died.

        A retry happens only when the connection is broken and ``work`` had not reached the end of
        its transaction body (where it sets ``state.committing``), so a turn is never written twice.
        """
        for attempt in (0, 1):
            conn = self._connections.get()
            state = _Attempt()
            try:
                return work(conn, state)
            except self._psycopg.OperationalError:
                if attempt == 0 and conn.broken and not state.committing:
                    continue
                raise

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._run(lambda conn, _: conn.execute(sql, params).fetchall())

    def load(self, sender_id: str) -> list[dict]:
        rows = self._read("SELECT data FROM tracker_events WHERE sender_id = %s ORDER BY seq", (check_sender(sender_id),))
        return [json.loads(row[0]) for row in rows]

    def append(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        encoded = encode_events(events)

        def work(conn, state: _Attempt) -> None:
            with conn.transaction():
                last = conn.execute(
                    "INSERT INTO tracker_conversations (sender_id, last_seq) VALUES (%s, %s) "
                    "ON CONFLICT (sender_id) DO UPDATE "
                    "SET last_seq = tracker_conversations.last_seq + EXCLUDED.last_seq, updated_at = now() "
                    "RETURNING last_seq",
                    (sender_id, len(encoded)),
                ).fetchone()[0]
                self._insert(conn, sender_id, last - len(encoded), encoded)
                state.committing = True

        self._run(work)

    def replace(self, sender_id: str, events: list[dict]) -> None:
        check_sender(sender_id)
        encoded = encode_events(events)

        def work(conn, state: _Attempt) -> None:
            with conn.transaction():
                # The upsert comes first: it row-locks the conversation, so no append slips in between.
                conn.execute(
                    "INSERT INTO tracker_conversations (sender_id, last_seq) VALUES (%s, %s) "
                    "ON CONFLICT (sender_id) DO UPDATE SET last_seq = EXCLUDED.last_seq, updated_at = now()",
                    (sender_id, len(encoded)),
                )
                conn.execute("DELETE FROM tracker_events WHERE sender_id = %s", (sender_id,))
                self._insert(conn, sender_id, 0, encoded)
                state.committing = True

        self._run(work)

    @staticmethod
    def _insert(conn, sender_id: str, after: int, encoded: list) -> None:
        if not encoded:
            return
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tracker_events (sender_id, seq, event_type, event_time, data) VALUES (%s, %s, %s, %s, %s)",
                [(sender_id, after + i, kind, stamp, text) for i, (kind, stamp, text) in enumerate(encoded, start=1)],
            )

    def delete(self, sender_id: str) -> None:
        check_sender(sender_id)

        def work(conn, state: _Attempt) -> None:  # idempotent: a retry can do no harm
            with conn.transaction():
                conn.execute("DELETE FROM tracker_conversations WHERE sender_id = %s", (sender_id,))
                conn.execute("DELETE FROM tracker_events WHERE sender_id = %s", (sender_id,))

        self._run(work)

    def senders(self) -> list[str]:
        rows = self._read("SELECT sender_id FROM tracker_conversations ORDER BY sender_id COLLATE \"C\"")
        return [row[0] for row in rows]

    def count(self, sender_id: str) -> int:
        return self._read("SELECT count(*) FROM tracker_events WHERE sender_id = %s", (check_sender(sender_id),))[0][0]

    def exists(self, sender_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM tracker_conversations WHERE sender_id = %s", (check_sender(sender_id),)))

    def close(self) -> None:
        self._connections.close()

    def __repr__(self) -> str:
        return f"PostgresTrackerStore({self._safe_dsn()!r})"
