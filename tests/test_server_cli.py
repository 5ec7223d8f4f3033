"""``assistant serve`` as a user runs it: real processes, real ports, a real PostgreSQL and Redis.

Two separate ``assistant serve`` processes (one of them with ``--workers 2``) share one PostgreSQL
store and one Redis (locks, socket.io message queue) and serve the same conversations in turn,
one after another and at the same time, without losing or reordering a turn.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import socketio

from servers import PostgresServer, RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent


def _serve_command(*args):
    return [sys.executable, "-m", "assistant", "serve", *args]


def _run(*args, timeout=60):
    return subprocess.run(_serve_command(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_help_lists_every_option():
    result = _run("--help")
    assert result.returncode == 0
    for flag in ("--data", "--model", "--store", "--actions", "--host", "--port", "--auth-token", "--jwt-secret",
                 "--cors", "--workers", "--redis", "--max-message-bytes", "--rate-limit"):
        assert flag in result.stdout


def test_a_port_in_use_says_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _run("--port", str(port), "--store", "memory://")
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "--port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, says", [
    (["--workers", "2"], "--workers 2 needs --redis"),
    (["--workers", "2", "--redis", "redis://127.0.0.1:1/0", "--store", "memory://"], "with several workers use"),
    (["--rate-limit", "lots"], "--rate-limit 'lots'"),
    (["--cors", "example.com"], "scheme://host"),
    (["--auth-token", "a", "--jwt-secret", "b"], "not allowed with argument"),
])
def test_bad_flags_say_what_to_write(args, says):
    result = _run("--port", str(free_port()), *args)
    assert result.returncode == 2 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


class ServeProcess:
    def __init__(self, name, args, log_dir):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(_serve_command("--port", str(self.port), *args), cwd=ROOT,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"assistant serve exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            try:
                if httpx.get(self.url + "/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"assistant serve did not answer in {timeout} s:\n{self.output()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def wait_stopped(self):
        if self.process.returncode is None:
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


@pytest.fixture(scope="module")
def shared_backends():
    for server in (PostgresServer, RedisServer):
        why = server.available()
        if why:
            pytest.skip(why)
    from servers import find_postgres_bin

    with PostgresServer(find_postgres_bin()) as pg, RedisServer() as redis:
        yield pg.new_database(), redis.url


@pytest.fixture(scope="module")
def servers(shared_backends, tiny_model_dir, tmp_path_factory):
    """Two servers, one with a single worker and one with two, on one store and one Redis."""
    dsn, redis_url = shared_backends
    logs = tmp_path_factory.mktemp("serve-logs")
    common = ["--model", str(tiny_model_dir), "--store", dsn, "--redis", redis_url, "--rate-limit", "off"]
    procs = [ServeProcess("one", common, logs), ServeProcess("two-workers", [*common, "--workers", "2"], logs)]
    try:
        for proc in procs:
            proc.wait_ready()
        yield procs
    finally:
        for proc in procs:  # all at once: each takes a second or two to wind down
            proc.stop()
        for proc in procs:
            proc.wait_stopped()


def _say(url, sender, text):
    reply = httpx.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.json() and all(m["recipient_id"] == sender for m in reply.json())
    return reply.json()


def _events(dsn, sender):
    from assistant.stores import create_store

    with create_store(dsn) as store:
        return store.load(sender)


def _turns(events):
    """The stored events as turns: each a user text and the events after it up to the next user event."""
    turns = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], []))
        else:
            assert turns, f"an event before any user message: {event}"
            turns[-1][1].append(event)
    for text, rest in turns:  # each turn answered, inside its own block
        assert any(e["event"] == "bot" for e in rest), f"the turn {text!r} has no answer in its block: {rest}"
    return [text for text, _ in turns]


LINES = ["hello", "get me a taxi to the airport", "at 6pm", "thanks", "book a table for 2 at 7pm", "cheers"]


def test_start_up_warns_when_there_is_no_auth(servers):
    out = servers[0].output()
    assert "warning: no --auth-token or --jwt-secret" in out and "127.0.0.1 only" in out
    assert "sticky sessions" in servers[1].output()  # what several workers mean for socket.io


def test_two_servers_serve_one_conversation_in_turn(servers, shared_backends):
    dsn, _ = shared_backends
    a, b = servers
    me = "alt-" + uuid.uuid4().hex[:8]
    sent = []
    for i in range(12):
        text = f"{LINES[i % len(LINES)]} #{i}"
        _say((a, b)[i % 2].url, me, text)
        sent.append(text)
    assert _turns(_events(dsn, me)) == sent
    tracker_a = httpx.get(f"{a.url}/conversations/{me}/tracker").json()
    tracker_b = httpx.get(f"{b.url}/conversations/{me}/tracker").json()
    assert tracker_a == tracker_b and len(tracker_a["events"]) == len(_events(dsn, me))


def test_conversations_served_alternately_at_the_same_time(servers, shared_backends):
    """Eight conversations at once, each sending its turns to the servers in turn; plus one
    conversation whose messages arrive at both servers at the very same time."""
    dsn, _ = shared_backends
    urls = [p.url for p in servers]
    senders = [f"conc-{i}-" + uuid.uuid4().hex[:6] for i in range(8)]

    def converse(k, sender):
        sent = []
        for i in range(6):
            text = f"{LINES[(i + k) % len(LINES)]} #{i}"
            _say(urls[(i + k) % len(urls)], sender, text)
            sent.append(text)
        return sent

    both = "pair-" + uuid.uuid4().hex[:6]

    def pairs():
        order = []
        with ThreadPoolExecutor(2) as pool:
            for k in range(8):
                texts = [f"hello from {n} #{k}" for n in ("a", "b")]
                list(pool.map(lambda j: _say(urls[j], both, texts[j]), range(2)))
                order.append(set(texts))
        return order

    with ThreadPoolExecutor(len(senders) + 1) as pool:
        pair_job = pool.submit(pairs)
        jobs = {sender: pool.submit(converse, k, sender) for k, sender in enumerate(senders)}
        expected = {sender: job.result(timeout=300) for sender, job in jobs.items()}
        pair_order = pair_job.result(timeout=300)

    for sender, sent in expected.items():
        assert _turns(_events(dsn, sender)) == sent, sender
    stored = _turns(_events(dsn, both))
    assert len(stored) == 16 and [set(stored[i:i + 2]) for i in range(0, 16, 2)] == pair_order


def test_socketio_across_servers_shares_rooms_through_redis(servers):
    """A conversation open on two servers at once (two tabs): each tab gets the bot's answers,
    whichever server handled the message (the Redis message queue carries them)."""
    a, b = servers
    session = "tabs-" + uuid.uuid4().hex[:8]

    async def run():
        tabs, inboxes = [], []
        for server in (a, b):
            client, inbox = socketio.AsyncClient(), asyncio.Queue()
            confirmed = asyncio.get_running_loop().create_future()
            client.on("session_confirm", lambda sid, f=confirmed: f.done() or f.set_result(sid))
            client.on("bot_uttered", lambda data, q=inbox: q.put_nowait(data))
            await client.connect(server.url, transports=["websocket"])
            await client.emit("session_request", {"session_id": session})
            assert await asyncio.wait_for(confirmed, 20) == session
            tabs.append(client)
            inboxes.append(inbox)
        await tabs[0].emit("user_uttered", {"message": "hello", "session_id": session})
        first = [await asyncio.wait_for(q.get(), 30) for q in inboxes]
        await tabs[1].emit("user_uttered", {"message": "thanks", "session_id": session})
        second = [await asyncio.wait_for(q.get(), 30) for q in inboxes]
        for client in tabs:
            await client.disconnect()
        return first, second

    first, second = asyncio.run(run())
    assert first[0] == first[1] and second[0] == second[1]
    assert all("recipient_id" not in m for m in first + second)
