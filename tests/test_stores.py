"""Tracker and key/value stores against the real thing: SQLite files, a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from servers import PostgresServer, find_postgres_bin  # noqa: E402

from assistant.stores import (  # noqa: E402
    InMemoryTrackerStore,
    SchemaVersionError,
    SQLiteTrackerStore,
    StoreError,
    TrackerStore,
    create_store,
)
from assistant.stores.locks import ConversationLocks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def ev(kind: str = "user", i: int = 0, **extra) -> dict:
    return {"event": kind, "timestamp": 1700000000.0 + i, "text": f"m{i}", **extra}


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres():
    reason = PostgresServer.available()
    if reason:
        pytest.skip(reason)
    with PostgresServer(find_postgres_bin()) as server:
        yield server


@pytest.fixture
def pg_dsn(postgres) -> str:
    return postgres.new_database()


def _open(kind: str, request, tmp_path) -> TrackerStore:
    if kind == "memory":
        return InMemoryTrackerStore()
    if kind == "sqlite":
        return SQLiteTrackerStore(tmp_path / "trackers.db")
    return create_store(request.getfixturevalue("pg_dsn"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request, tmp_path):
    store = _open(request.param, request, tmp_path)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def reopenable(request, tmp_path):
    """``(store, reopen)``: reopen() opens a second store object on the same database."""
    if request.param == "sqlite":
        path = tmp_path / "trackers.db"
        reopen = lambda: SQLiteTrackerStore(path)  # noqa: E731
    else:
        dsn = request.getfixturevalue("pg_dsn")
        reopen = lambda: create_store(dsn)  # noqa: E731
    opened = []

    def make():
        opened.append(reopen())
        return opened[-1]

    yield make
    for s in opened:
        s.close()


# --------------------------------------------------------------------------------------------
# the contract, on every backend
# --------------------------------------------------------------------------------------------
def test_append_and_load_keep_order_and_values(store):
    assert store.load("alice") == []
    assert not store.exists("alice")
    first = [ev("user", 0), ev("bot", 1, data={"buttons": [{"title": "Yes", "payload": "/affirm"}]})]
    store.append("alice", first)
    second = [ev("slot", 2, name="people", value=4), ev("user", 3, text="Grüße, 東京 🚕 \u0000 \"q\"")]
    store.append("alice", second)
    assert store.load("alice") == first + second
    assert store.count("alice") == 4
    assert store.exists("alice")
    assert store.load("bob") == []


def test_values_come_back_as_json_gives_them(store):
    store.append("a", [{"event": "x", "timestamp": 1e20, "tuple": (1, 2), "big": 2**62, "f": 0.1, "none": None}])
    (back,) = store.load("a")
    assert back == {"event": "x", "timestamp": 1e20, "tuple": [1, 2], "big": 2**62, "f": 0.1, "none": None}
    assert isinstance(back["timestamp"], float) and isinstance(back["big"], int)
    back["tuple"].append(3)  # a copy: changing it changes nothing stored
    assert store.load("a")[0]["tuple"] == [1, 2]


def test_append_is_all_or_nothing(store):
    store.append("a", [ev("user", 0)])
    with pytest.raises(TypeError):
        store.append("a", [ev("user", 1), {"event": "bad", "value": object()}])
    with pytest.raises(TypeError):
        store.append("a", [ev("user", 1), {"event": "nan", "value": float("nan")}])
    with pytest.raises(TypeError):
        store.append("a", [ev("user", 1), "not a dict"])
    with pytest.raises(TypeError):
        store.append("new", [{"event": "bad", "value": {1, 2}}])
    assert store.load("a") == [ev("user", 0)]
    assert not store.exists("new")


def test_replace_delete_and_senders(store):
    store.append("b", [ev("user", 0)])
    store.append("a", [ev("user", 1), ev("bot", 2)])
    store.append("c", [ev("user", 3)])
    store.replace("a", [ev("restart", 9)])
    assert store.load("a") == [ev("restart", 9)]
    store.append("a", [ev("user", 10)])
    assert store.load("a") == [ev("restart", 9), ev("user", 10)]
    store.replace("d", [])
    assert store.exists("d") and store.load("d") == []
    assert store.senders() == ["a", "b", "c", "d"]
    store.delete("b")
    store.delete("never-there")
    assert store.senders() == ["a", "c", "d"]
    assert store.load("b") == []
    store.append("b", [ev("user", 11)])  # a deleted conversation starts afresh
    assert store.load("b") == [ev("user", 11)]


def test_bad_sender_ids_are_refused(store):
    for bad in ("", None, 3):
        with pytest.raises(ValueError):
            store.append(bad, [ev()])
        with pytest.raises(ValueError):
            store.load(bad)


def test_key_value_table(store):
    kv = store.kv
    assert kv.get("profile", "alice") is None
    assert kv.get("profile", "alice", {}) == {}
    kv.put("profile", "alice", {"diet": "vegetarian", "likes": {"cuisine=indian": 0.8}})
    kv.put("profile", "bob", {"diet": None})
    kv.put("other", "alice", [1, 2, 3])
    kv.put("profile", "alice", {"diet": "vegan"})  # overwrite
    assert kv.get("profile", "alice") == {"diet": "vegan"}
    assert kv.get("other", "alice") == [1, 2, 3]
    assert kv.keys("profile") == ["alice", "bob"]
    assert kv.delete("profile", "bob") is True
    assert kv.delete("profile", "bob") is False
    assert kv.keys("profile") == ["alice"]
    with pytest.raises(TypeError):
        kv.put("profile", "carol", {"bad": object()})
    assert kv.get("profile", "carol") is None
    kv.clear("profile")
    assert kv.keys("profile") == [] and kv.get("other", "alice") == [1, 2, 3]
    store.delete("alice")  # forgetting a conversation is not forgetting the profile
    assert kv.get("other", "alice") == [1, 2, 3]


def test_concurrent_appends_keep_each_turn_whole(store):
    """Threads appending turns to one conversation: every turn contiguous, each thread's turns in order."""
    threads, turns, per_turn = 4, 15, 3

    def worker(t: int) -> None:
        for n in range(turns):
            store.append("shared", [{"event": "user", "thread": t, "turn": n, "part": p} for p in range(per_turn)])

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    events = store.load("shared")
    assert len(events) == threads * turns * per_turn
    chunks = [events[i : i + per_turn] for i in range(0, len(events), per_turn)]
    for chunk in chunks:
        assert {(e["thread"], e["turn"]) for e in chunk} == {(chunk[0]["thread"], chunk[0]["turn"])}
        assert [e["part"] for e in chunk] == list(range(per_turn))
    for t in range(threads):
        assert [c[0]["turn"] for c in chunks if c[0]["thread"] == t] == list(range(turns))


def test_locked_read_modify_write_processes_messages_in_order(store):
    """The pattern of Assistant.handle: lock the conversation, load, decide, append. Messages that
    arrive concurrently are handled one at a time in arrival order, none lost or doubled."""
    locks = ConversationLocks(timeout=10)
    handled: list[int] = []

    def handle(ticket, message: int) -> None:
        with ticket:
            seen = store.load("c1")
            handled.append(message)
            store.append("c1", [{"event": "user", "n": len(seen), "message": message}, {"event": "bot", "n": len(seen)}])

    tickets = [locks.reserve("c1") for _ in range(12)]  # arrival order
    pool = [threading.Thread(target=handle, args=(tickets[i], i)) for i in reversed(range(12))]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert handled == list(range(12))
    events = store.load("c1")
    assert [e["message"] for e in events[::2]] == list(range(12))
    assert [e["n"] for e in events[::2]] == list(range(0, 24, 2))
    assert len(locks) == 0


def test_a_reopened_store_continues_every_conversation(reopenable):
    first = reopenable()
    first.append("a", [ev("user", 0)])
    first.append("b", [ev("user", 1)])
    first.kv.put("profile", "a", {"x": 1})
    second = reopenable()  # as a restarted worker would
    assert second.load("a") == [ev("user", 0)]
    second.append("a", [ev("bot", 2)])
    assert first.load("a") == [ev("user", 0), ev("bot", 2)]
    assert second.senders() == ["a", "b"]
    assert second.kv.get("profile", "a") == {"x": 1}
    assert second.schema_version() == 1


def test_two_store_objects_append_to_one_conversation(reopenable):
    """As two worker processes would: separate connections, one conversation, no lost or mixed turns."""
    stores = [reopenable(), reopenable()]

    def worker(i: int) -> None:
        for n in range(20):
            stores[i].append("shared", [{"event": "user", "w": i, "n": n}, {"event": "bot", "w": i, "n": n}])

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    events = stores[0].load("shared")
    assert len(events) == 80
    for i in range(0, 80, 2):
        assert (events[i]["w"], events[i]["n"]) == (events[i + 1]["w"], events[i + 1]["n"])
    for w in (0, 1):
        assert [e["n"] for e in events[::2] if e["w"] == w] == list(range(20))


def test_a_closed_store_says_so(tmp_path):
    store = SQLiteTrackerStore(tmp_path / "x.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.load("a")


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------
def test_sqlite_runs_in_wal_mode_with_the_chosen_synchronous_level(tmp_path):
    with SQLiteTrackerStore(tmp_path / "a.db") as store:
        assert store.pragma("journal_mode") == "wal"
        assert store.pragma("synchronous") == 1  # NORMAL
    with SQLiteTrackerStore(tmp_path / "b.db", synchronous="full") as store:
        assert store.pragma("synchronous") == 2  # FULL
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteTrackerStore(tmp_path / "c.db", synchronous="sometimes")
    with pytest.raises(ValueError, match="memory://"):
        SQLiteTrackerStore(":memory:")


def test_sqlite_schema_is_versioned(tmp_path):
    import sqlite3

    path = tmp_path / "v.db"
    SQLiteTrackerStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT component, version FROM schema_version").fetchall() == [("tracker_store", 1)]
    columns = [row[1] for row in conn.execute("PRAGMA table_info(tracker_events)")]
    assert columns == ["sender_id", "seq", "event_type", "event_time", "data"]
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError, match="99"):
        SQLiteTrackerStore(path)


def test_sqlite_rows_carry_a_sequence_number_per_conversation(tmp_path):
    import sqlite3

    path = tmp_path / "seq.db"
    with SQLiteTrackerStore(path) as store:
        store.append("a", [ev("user", 0), ev("bot", 1)])
        store.append("b", [ev("user", 2)])
        store.append("a", [ev("user", 3)])
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT sender_id, seq, event_type, event_time FROM tracker_events ORDER BY sender_id, seq").fetchall()
    conn.close()
    assert rows == [
        ("a", 1, "user", 1700000000.0), ("a", 2, "bot", 1700000001.0), ("a", 3, "user", 1700000003.0),
        ("b", 1, "user", 1700000002.0),
    ]


def test_sqlite_connections_of_finished_threads_are_closed(tmp_path):
    store = SQLiteTrackerStore(tmp_path / "t.db")
    for i in range(5):
        th = threading.Thread(target=store.append, args=(f"s{i}", [ev()]))
        th.start()
        th.join()
    assert len(store._connections) <= 2  # this thread's and the last worker's
    assert store.senders() == [f"s{i}" for i in range(5)]
    store.close()


_CHILD = r"""
import sys
from assistant.stores import SQLiteTrackerStore
store = SQLiteTrackerStore(sys.argv[1])
turn = 0
while True:
    store.append("killed", [{"event": "user", "turn": turn, "part": p, "text": "x" * 200} for p in range(5)])
    print(turn, flush=True)
    turn += 1
    if turn == int(sys.argv[2]):
        sys.stdin.readline()  # a finished turn, then waiting for the next message: killed here
"""


@pytest.mark.parametrize("where", ["between turns", "mid stream"])
def test_sqlite_loses_nothing_when_the_process_is_killed(tmp_path, where):
    """SIGKILL right after a turn was appended (or while turns stream in): every turn that append()
    returned for is there after reopening, and no turn is there by halves."""
    path = tmp_path / "killed.db"
    stop_after = "3" if where == "between turns" else "0"  # "0": never waits, keeps appending
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), stop_after],
        cwd=ROOT, stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        reported = -1
        target = 2 if where == "between turns" else 25
        deadline = time.monotonic() + 30
        while reported < target and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            reported = int(line)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert reported >= target, "the child did not get going"
    with SQLiteTrackerStore(path) as store:
        events = store.load("killed")
    assert len(events) % 5 == 0  # whole turns only
    turns = [e["turn"] for e in events[::5]]
    assert turns == list(range(len(turns)))
    assert all([e["part"] for e in events[i : i + 5]] == list(range(5)) for i in range(0, len(events), 5))
    assert len(turns) >= reported + 1  # every turn the child saw committed
    if where == "between turns":
        assert len(turns) == 3


# --------------------------------------------------------------------------------------------
# create_store
# --------------------------------------------------------------------------------------------
def test_create_store_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(create_store("memory://"), InMemoryTrackerStore)

    default = create_store(None)
    assert isinstance(default, SQLiteTrackerStore) and default.path == tmp_path / "assistant.db"
    default.close()
    assert (tmp_path / "assistant.db").exists()

    relative = create_store("sqlite:///sub/rel.db")
    assert relative.path == tmp_path / "sub" / "rel.db"
    relative.close()

    absolute = create_store(f"sqlite:///{tmp_path}/abs.db?synchronous=full&timeout=5")
    assert absolute.path == tmp_path / "abs.db" and absolute.synchronous == "FULL" and absolute.timeout == 5.0
    absolute.close()

    plain = create_store(str(tmp_path / "plain.db"))
    assert isinstance(plain, SQLiteTrackerStore) and plain.path == tmp_path / "plain.db"
    plain.close()
    plain = create_store(Path("rel2.db"))
    assert plain.path == tmp_path / "rel2.db"
    plain.close()

    with pytest.raises(ValueError) as err:
        create_store("mongodb://user:secret@host/db")
    message = str(err.value)
    assert "memory://" in message and "sqlite:///" in message and "postgresql://" in message
    assert "secret" not in message
    with pytest.raises(ValueError, match="unknown SQLite option"):
        create_store("sqlite:///x.db?journal=delete")
    with pytest.raises(ValueError, match="no host"):
        create_store("sqlite://host/x.db")


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------
def test_postgres_url_forms(postgres, pg_dsn):
    from assistant.stores import PostgresTrackerStore

    for url in (pg_dsn, pg_dsn.replace("postgresql://", "postgres://"), pg_dsn.replace("postgresql://", "postgresql+psycopg://")):
        store = create_store(url)
        assert isinstance(store, PostgresTrackerStore)
        store.append("a", [ev()])
        store.close()
    with create_store(pg_dsn) as store:
        assert store.load("a") == [ev()] * 3
    with pytest.raises(StoreError, match="cannot connect"):
        create_store(f"postgresql://test:pw@127.0.0.1:{postgres.port}/no_such_db")


def test_postgres_schema_is_versioned_and_created_once_by_racing_workers(pg_dsn):
    import psycopg

    from assistant.stores import PostgresTrackerStore

    errors: list[BaseException] = []
    stores: list = []

    def start() -> None:
        try:
            stores.append(PostgresTrackerStore(pg_dsn))
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    pool = [threading.Thread(target=start) for _ in range(4)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert errors == [] and len(stores) == 4
    for s in stores:
        s.close()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT component, version FROM schema_version").fetchall() == [("tracker_store", 1)]
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(SchemaVersionError, match="99"):
        PostgresTrackerStore(pg_dsn)


def test_postgres_survives_a_dropped_connection(pg_dsn):
    import psycopg

    with create_store(pg_dsn) as store:
        store.append("a", [ev("user", 0)])
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        assert killed
        store.append("a", [ev("user", 1)])  # a fresh connection; the turn is written once
        assert store.load("a") == [ev("user", 0), ev("user", 1)]


_PG_CHILD = r"""
import sys
from assistant.stores import create_store
store = create_store(sys.argv[1])
for n in range(25):
    store.append("shared", [{"event": "user", "w": sys.argv[2], "n": n}, {"event": "bot", "w": sys.argv[2], "n": n}])
store.close()
"""


def test_postgres_several_processes_append_to_one_conversation(pg_dsn):
    create_store(pg_dsn).close()  # the schema first, so the children only race on appends
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen([sys.executable, "-c", _PG_CHILD, pg_dsn, name], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for name in ("p", "q")
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    with create_store(pg_dsn) as store:
        events = store.load("shared")
    assert len(events) == 100
    for i in range(0, 100, 2):
        assert (events[i]["w"], events[i]["n"]) == (events[i + 1]["w"], events[i + 1]["n"])
    for name in ("p", "q"):
        assert [e["n"] for e in events[::2] if e["w"] == name] == list(range(25))


def test_postgres_stores_events_as_json_text_with_sequence_numbers(pg_dsn):
    import psycopg

    with create_store(pg_dsn) as store:
        store.append("a", [ev("user", 0), ev("bot", 1)])
        store.append("a", [ev("user", 2)])
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute("SELECT seq, event_type, event_time, data FROM tracker_events ORDER BY seq").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "user", 1700000000.0), (2, "bot", 1700000001.0), (3, "user", 1700000002.0)]
    assert json.loads(rows[2][3]) == ev("user", 2)
