"""Thousands of random and hostile messages through REST and socket.io (hypothesis): huge, empty,
binary, wrong JSON types, unknown senders, odd paths. No 5xx, nothing logged as an error, the
connection keeps working, and a conversation held at the same time is not disturbed."""

import asyncio
import json
import logging
import threading
import uuid
from urllib.parse import quote

import httpx
import pytest
import socketio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from assistant.agent import BUSY, SORRY, Assistant
from assistant.server import BackgroundServer, ServerSettings, create_app
from assistant.server.settings import RateLimit

MAX_BYTES = 2000

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(["", " ", "\n", "/restart", "/greet", '/book_taxi{"taxi-destination": "x"}', "/nope{",
                     "hi", "get me a taxi to the airport", "\x00", "\ud800", "'; DROP TABLE events;--", "<script>x</script>"]),
    st.integers(min_value=MAX_BYTES - 2, max_value=MAX_BYTES + 2).map(lambda n: "é" * (n // 2) + "x" * (n % 2)),
    st.just("x" * (MAX_BYTES * 3)),
)
senders = st.one_of(st.text(min_size=1, max_size=20), st.uuids().map(str), st.just("x" * 300), st.just(""),
                    st.sampled_from(["a/b", "../etc", "%00", "\t", " ", "witness-like"]))
webhook_objects = st.fixed_dictionaries(
    {},
    optional={"sender": st.one_of(senders, json_values), "message": st.one_of(texts, json_values),
              "metadata": st.one_of(json_values, st.dictionaries(st.text(max_size=8), json_values, max_size=3))},
)
bodies = st.one_of(
    webhook_objects.map(lambda d: json.dumps(d).encode()),
    webhook_objects.map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.sampled_from([b"", b"{", b"null", b"[" * 5000, b'{"sender": "a", "message": NaN}', b'{"sender": "a", "message": 1e400}',
                     b'{"sender": "a", "message": "x"' + b" " * 70000 + b"}"]),
)


class ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        trace = "\n" + logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.records.append(f"{record.name}: {record.getMessage()}{trace}")  # the traceback says why


@pytest.fixture(scope="module")
def errors():
    handler = ErrorLog()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "socketio", "engineio", "assistant")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture(scope="module")
def hostile_server(tiny_model_dir, tmp_path_factory, errors):
    db = tmp_path_factory.mktemp("hostile") / "conversations.db"
    with Assistant.from_config(model_dir=tiny_model_dir, store_url=f"sqlite:///{db}") as assistant:
        app = create_app(assistant, ServerSettings(max_message_bytes=MAX_BYTES, rate_limit=RateLimit(40, 1)))
        with BackgroundServer(app) as server:
            yield server, assistant


class Witness(threading.Thread):
    """A polite conversation held while the flood goes on."""

    lines = ["hello", "get me a taxi to the airport", "at 6pm", "thanks", "book a table for 2 at 7pm", "cheers"]

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.sender = "witness-" + uuid.uuid4().hex[:8]
        self.sent, self.replies, self.stop = [], [], threading.Event()

    def run(self):
        with httpx.Client(base_url=self.url, timeout=60) as client:
            i = 0
            while not self.stop.is_set() and i < 1000:
                text = f"{self.lines[i % len(self.lines)]}"
                self.sent.append(text)
                self.replies.append(client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text}))
                i += 1
                self.stop.wait(0.05)


@pytest.fixture(scope="module")
def witness(hostile_server):
    server, assistant = hostile_server
    thread = Witness(server.url)
    thread.start()
    yield thread
    thread.stop.set()
    thread.join(60)


@pytest.fixture(scope="module")
def client(hostile_server):
    with httpx.Client(base_url=hostile_server[0].url, timeout=60) as c:
        yield c


def _check(reply):
    assert reply.status_code < 500, (reply.status_code, reply.text[:300])
    if reply.status_code < 400 and not reply.headers["content-type"].startswith("application/json"):
        return None  # the demo page, the widget script
    data = reply.json()  # errors are always JSON
    if reply.status_code >= 400:
        assert isinstance(data, dict) and data["error"] and data["status"] == reply.status_code
    return data


@settings(max_examples=700, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(body=bodies, stream=st.booleans())
def test_rest_survives_anything(client, witness, body, stream):
    reply = client.post("/webhooks/rest/webhook" + ("?stream=true" if stream else ""), content=body,
                        headers={"content-type": "application/json"})
    if stream and reply.status_code == 200:
        assert all(json.loads(line) for line in reply.text.splitlines())
    else:
        data = _check(reply)
        if reply.status_code == 200:
            assert isinstance(data, list)
    assert reply.status_code in (200, 400, 413, 429)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(path=st.text(max_size=30), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       body=st.one_of(st.binary(max_size=50), json_values.map(lambda v: json.dumps(v).encode())))
def test_api_survives_odd_paths_and_bodies(client, witness, path, method, body):
    segment = quote(path, safe="")
    for url in (f"/{segment}", f"/conversations/{segment}/tracker", "/model/parse", f"/webhooks/rest/{segment}"):
        try:
            request = client.build_request(method, url, content=body)
        except (httpx.InvalidURL, ValueError):
            continue
        _check(client.send(request))


# no shrinking: each example is a whole connection, shrinking one takes minutes
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(events=st.lists(st.tuples(st.sampled_from(["user_uttered", "user_uttered", "session_request", "bogus_event"]),
                                 st.one_of(json_values, webhook_objects,
                                           st.fixed_dictionaries({"message": texts}, optional={
                                               "session_id": st.one_of(senders, json_values),
                                               "customData": json_values}))),
                       min_size=30, max_size=60))
def test_socketio_survives_anything(hostile_server, witness, events):
    server, assistant = hostile_server

    async def run():
        client = socketio.AsyncClient()
        confirmed = asyncio.Queue()
        client.on("session_confirm", lambda sid: confirmed.put_nowait(sid))
        await client.connect(server.url, transports=["websocket"])
        for name, payload in events:
            await client.emit(name, payload)
        # afterwards the connection still works: a fresh session gets its answer
        session = "after-" + uuid.uuid4().hex
        await client.emit("session_request", {"session_id": session})
        while await asyncio.wait_for(confirmed.get(), 30) != session:
            pass  # confirmations of the random requests before
        sentinel = "thanks " + uuid.uuid4().hex
        await client.emit("user_uttered", {"message": sentinel, "session_id": session})
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while loop.time() < end:
            tracker = await asyncio.to_thread(assistant.tracker, session)
            kinds = [(e["event"], e.get("text")) for e in tracker["events"] if e["event"] in ("user", "bot")]
            if ("user", sentinel) in kinds and kinds[-1][0] == "bot":
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the connection stopped answering")
        assert client.connected
        await client.disconnect()

    asyncio.run(run())


def test_the_parallel_conversation_was_not_disturbed(hostile_server, witness, errors):
    """Runs last in this module: the witness' conversation, and the error log of the whole flood."""
    server, assistant = hostile_server
    witness.stop.set()
    witness.join(120)
    assert witness.replies, "the witness never got to talk"
    for reply in witness.replies:
        assert reply.status_code == 200, reply.text
        texts = [m.get("text") for m in reply.json()]
        assert texts and SORRY not in texts and BUSY not in texts
    tracker = assistant.tracker(witness.sender)
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == witness.sent
    # every user message is followed by the bot's answer before the next one
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "bot")]
    assert kinds[0] == "user" and all(a != "user" or b == "bot" for a, b in zip(kinds, kinds[1:] + ["bot"]))
    assert errors == [], "\n".join(errors[:20])
