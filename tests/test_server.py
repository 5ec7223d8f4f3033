"""The HTTP server in-process around a real assistant (tiny model, real domain and actions, SQLite),
under uvicorn on a free port, talked to with real clients: httpx for REST, python-socketio for socket.io."""

import asyncio
import json
import random
import uuid
from contextlib import contextmanager

import httpx
import jwt
import pytest
import socketio

from assistant.agent import Assistant
from assistant.server import BackgroundServer, ServerSettings, create_app
from assistant.server.settings import RateLimit
from sockets import open_session

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
def assistant(tiny_model_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("server") / "conversations.db"
    with Assistant.from_config(model_dir=tiny_model_dir, store_url=f"sqlite:///{db}") as a:
        yield a


@contextmanager
def serving(assistant, **settings):
    with BackgroundServer(create_app(assistant, ServerSettings(**settings))) as server:
        yield server


@pytest.fixture(scope="module")
def server(assistant):
    with serving(assistant, rate_limit=RateLimit(0, 60)) as s:
        yield s


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def sender() -> str:
    return "t-" + uuid.uuid4().hex[:12]


def token(username, role, secret=SECRET):
    return jwt.encode({"user": {"username": username, "role": role}}, secret, algorithm="HS256")


def user_texts(tracker):
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


# ---------------------------------------------------------------- REST channel
def test_rest_webhook_answers_like_rasa(http):
    me = sender()
    reply = http.post("/webhooks/rest/webhook", json={"sender": me, "message": "get me a taxi to the airport"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    messages = reply.json()
    assert isinstance(messages, list) and messages
    for message in messages:
        assert message["recipient_id"] == me
        assert set(message) <= {"recipient_id", "text", "image", "buttons", "attachment", "custom"}
    assert http.get("/webhooks/rest/").json() == {"status": "ok"}
    tracker = http.get(f"/conversations/{me}/tracker").json()
    assert tracker["sender_id"] == me and user_texts(tracker) == ["get me a taxi to the airport"]
    assert tracker["latest_input_channel"] == "rest"


def test_rest_gives_the_same_messages_as_the_repl_path(tiny_model_dir, tmp_path):
    """The REST channel adds nothing and drops nothing: same assistant, same seed, same messages."""
    lines = ["hello", "get me a taxi to the airport", "at 6pm", "thanks", "book a table for 2 at 7pm"]
    direct = Assistant.from_config(model_dir=tiny_model_dir, store_url="memory://", rng=random.Random(3))
    served = Assistant.from_config(model_dir=tiny_model_dir, store_url="memory://", rng=random.Random(3))
    expected = [direct.handle("same", line) for line in lines]
    with serving(served) as s, httpx.Client(base_url=s.url) as client:
        got = [client.post("/webhooks/rest/webhook", json={"sender": "same", "message": line}).json() for line in lines]
    assert got == expected


def test_rest_stream_gives_ndjson(http):
    me = sender()
    with http.stream("POST", "/webhooks/rest/webhook?stream=true", json={"sender": me, "message": "hello"}) as reply:
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in reply.iter_lines() if line.strip()]
    assert lines and all(m["recipient_id"] == me for m in lines)


def test_metadata_reaches_the_tracker(http):
    me = sender()
    http.post("/webhooks/rest/webhook", json={"sender": me, "message": "hi", "metadata": {"page": "/rooms"}})
    events = http.get(f"/conversations/{me}/tracker").json()["events"]
    assert next(e for e in events if e["event"] == "user")["metadata"] == {"page": "/rooms"}


# ---------------------------------------------------------------- API
def test_api_routes(http):
    assert http.get("/health").json() == {"status": "ok"}
    from assistant import __version__

    assert http.get("/version").json() == {"version": __version__}
    parse = http.post("/model/parse", json={"text": "get me a taxi to the station"}).json()
    assert parse["intent"]["name"] == "book_taxi" and "entities" in parse and "intent_ranking" in parse
    assert http.get(f"/conversations/{sender()}/tracker").json()["events"] == []  # unknown: empty
    widget = http.get("/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert "ConciergeWidget" in widget.text
    page = http.get("/")
    assert page.status_code == 200 and "widget.js" in page.text


def test_parse_does_not_touch_conversations(http, assistant):
    before = assistant.store.count("parse-only")
    http.post("/model/parse", json={"text": "hello"})
    assert assistant.store.count("parse-only") == before


# ---------------------------------------------------------------- client mistakes
@pytest.mark.parametrize("body, status, says", [
    (b"", 400, "empty"),
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    (b'{"sender": ["x"], "message": "hi"}', 400, "sender must be a string"),
    (b'{"sender": "u", "message": {"text": "hi"}}', 400, "message must be a string"),
    (b'{"sender": "u", "message": "hi", "metadata": "x"}', 400, "metadata must be a JSON object"),
    (b'{"message": "hi"}', 400, '"sender"'),
    (b"\xff\xfe\x00", 400, "UTF-8"),
    (b"[" * 50000, 400, "nested"),
])
def test_bad_webhook_bodies_get_400_saying_what_is_wrong(http, body, status, says):
    reply = http.post("/webhooks/rest/webhook", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == status
    assert says in reply.json()["error"]


def test_limits_and_unknown_routes(assistant):
    with serving(assistant, max_message_bytes=100, rate_limit=RateLimit(3, 60)) as s, httpx.Client(base_url=s.url) as c:
        too_big = c.post("/webhooks/rest/webhook", json={"sender": "big", "message": "x" * 101})
        assert too_big.status_code == 413 and "--max-message-bytes" in too_big.json()["error"]
        huge = c.post("/webhooks/rest/webhook", content=b'{"sender": "big", "message": "' + b"x" * 300_000 + b'"}')
        assert huge.status_code == 413
        assert c.post("/model/parse", json={"text": "y" * 101}).status_code == 413
        answers = [c.post("/webhooks/rest/webhook", json={"sender": "fast", "message": "hi"}) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1 and "at most 3" in answers[-1].json()["error"]
        assert c.post("/webhooks/rest/webhook", json={"sender": "other", "message": "hi"}).status_code == 200
        missing = c.get("/no/such/route")
        assert missing.status_code == 404 and missing.json()["status"] == 404
        assert c.get("/webhooks/rest/webhook").status_code == 405
        assert c.delete("/health").json()["status"] == 405


# ---------------------------------------------------------------- order
def test_one_conversations_messages_are_handled_in_order(assistant):
    """Messages sent back to back on one socket.io connection are stored in the order sent."""
    texts = [f"message number {i}" for i in range(15)]

    async def run(url):
        talk = await open_session(url)
        for text in texts:
            await talk.say(text)
        await asyncio.wait_for(talk.answers.get(), 30)
        await talk.close()
        return talk.session

    with serving(assistant, rate_limit=RateLimit(0, 60)) as s:
        session = asyncio.run(run(s.url))
        deadline = asyncio.run(_wait_for_turns(assistant, session, len(texts)))
    assert deadline, "not every message was handled"
    assert user_texts(assistant.tracker(session)) == texts


async def _wait_for_turns(assistant, sender_id, count, timeout=30.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if len(user_texts(assistant.tracker(sender_id))) >= count:
            return True
        await asyncio.sleep(0.05)
    return False


# ---------------------------------------------------------------- auth
def test_auth_token(assistant):
    with serving(assistant, auth_token="s3cret") as s, httpx.Client(base_url=s.url) as c:
        assert c.get("/health").status_code == 200  # the one open route
        for method, path in [("GET", "/version"), ("GET", "/"), ("GET", "/widget.js"), ("POST", "/model/parse"),
                             ("GET", "/conversations/x/tracker"), ("POST", "/webhooks/rest/webhook"), ("GET", "/nope")]:
            refused = c.request(method, path, json={"sender": "x", "message": "hi"})
            assert refused.status_code == 401, path
            assert "token" in refused.json()["error"]
        assert c.get("/version?token=wrong").status_code == 401
        ok = c.post("/webhooks/rest/webhook?token=s3cret", json={"sender": "tok", "message": "hi"})
        assert ok.status_code == 200 and ok.json()
        assert c.get("/conversations/tok/tracker", params={"token": "s3cret"}).status_code == 200


def test_jwt_roles(assistant):
    alice, admin = token("alice", "user"), token("boss", "admin")
    with serving(assistant, jwt_secret=SECRET) as s, httpx.Client(base_url=s.url) as c:
        def as_(tok):
            return {"Authorization": f"Bearer {tok}"}

        assert c.post("/webhooks/rest/webhook", json={"sender": "alice", "message": "hi"}).status_code == 401
        assert c.post("/webhooks/rest/webhook", json={"sender": "alice", "message": "hi"}, headers=as_(alice)).status_code == 200
        other = c.post("/webhooks/rest/webhook", json={"sender": "bob", "message": "hi"}, headers=as_(alice))
        assert other.status_code == 403 and "own conversation" in other.json()["error"]
        assert c.get("/conversations/alice/tracker", headers=as_(alice)).status_code == 200
        assert c.get("/conversations/bob/tracker", headers=as_(alice)).status_code == 403
        assert c.post("/model/parse", json={"text": "hi"}, headers=as_(alice)).status_code == 403
        assert c.post("/model/parse", json={"text": "hi"}, headers=as_(admin)).status_code == 200
        assert c.get("/conversations/alice/tracker", headers=as_(admin)).status_code == 200
        assert c.post("/webhooks/rest/webhook", json={"sender": "bob", "message": "hi"}, headers=as_(admin)).status_code == 200
        forged = token("alice", "admin", secret="another-secret-that-is-long-enough-for-hs256")
        assert c.get("/conversations/bob/tracker", headers=as_(forged)).status_code == 401
        assert c.get("/widget.js", params={"token": alice}).status_code == 200  # a page load cannot set headers


def test_socketio_auth(assistant):
    async def attempt(url, auth):
        client = socketio.AsyncClient()
        reasons = []
        client.on("connect_error", lambda data: reasons.append(data))
        try:
            await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
        except socketio.exceptions.ConnectionError:
            return f"refused: {reasons}"
        got = asyncio.Queue()
        client.on("session_confirm", lambda sid: got.put_nowait(("confirm", sid)))
        client.on("assistant_error", lambda err: got.put_nowait(("error", err)))
        await client.emit("session_request", {"session_id": "bob"})
        first = await asyncio.wait_for(got.get(), 10)
        await client.emit("session_request", {"session_id": None})
        second = await asyncio.wait_for(got.get(), 10)
        await client.disconnect()
        return first, second

    with serving(assistant, jwt_secret=SECRET) as s:
        assert asyncio.run(attempt(s.url, None)).startswith("refused")
        assert "JWT" in asyncio.run(attempt(s.url, {"token": "garbage"}))
        first, second = asyncio.run(attempt(s.url, {"token": token("alice", "user")}))
        assert first[0] == "error" and first[1]["status"] == 403  # not alice's conversation
        assert second == ("confirm", "alice")  # a user's session is its own
        assert asyncio.run(attempt(s.url, {"token": token("boss", "admin")}))[0] == ("confirm", "bob")
    with serving(assistant, auth_token="s3cret") as s:
        assert asyncio.run(attempt(s.url, {"token": "nope"})).startswith("refused")
        assert asyncio.run(attempt(s.url, {"token": "s3cret"}))[0] == ("confirm", "bob")


def test_cors_allow_list(assistant):
    with serving(assistant, cors_origins=("https://shop.example",)) as s, httpx.Client(base_url=s.url) as c:
        pre = c.options("/webhooks/rest/webhook", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://shop.example"
        ok = c.post("/webhooks/rest/webhook", json={"sender": sender(), "message": "hi"}, headers={"Origin": "https://shop.example"})
        assert ok.headers["access-control-allow-origin"] == "https://shop.example"
        other = c.post("/webhooks/rest/webhook", json={"sender": sender(), "message": "hi"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # socket.io: the allow-list and the server's own origin get in, others do not
        handshake = "/socket.io/?EIO=4&transport=polling"
        assert c.get(handshake, headers={"Origin": "https://shop.example"}).status_code == 200
        assert c.get(handshake, headers={"Origin": s.url}).status_code == 200
        assert c.get(handshake, headers={"Origin": "https://evil.example"}).status_code == 400


# ---------------------------------------------------------------- socket.io
def test_socketio_conversation_like_rasa_webchat(server, assistant):
    """session_request -> session_confirm, user_uttered with customData -> bot_uttered; a reconnect
    with the same session id continues the conversation; no recipient_id in bot_uttered."""

    async def run():
        client = socketio.AsyncClient()  # default transports: long-polling, then the websocket upgrade
        events = asyncio.Queue()
        for name in ("session_confirm", "bot_uttered", "assistant_error"):
            client.on(name, lambda data, name=name: events.put_nowait((name, data)))
        await client.connect(server.url, socketio_path="/socket.io/")
        await client.emit("session_request", {"session_id": None})
        name, session = await asyncio.wait_for(events.get(), 10)
        assert name == "session_confirm" and len(session) == 32
        await client.emit("user_uttered", {"message": "get me a taxi to the airport", "session_id": session,
                                           "customData": {"language": "en"}})
        name, message = await asyncio.wait_for(events.get(), 20)
        assert name == "bot_uttered" and message.get("text") and "recipient_id" not in message
        await client.disconnect()

        again = socketio.AsyncClient()
        again.on("session_confirm", lambda data: events.put_nowait(("session_confirm", data)))
        again.on("bot_uttered", lambda data: events.put_nowait(("bot_uttered", data)))
        await again.connect(server.url, transports=["websocket"])
        await again.emit("session_request", {"session_id": session})
        assert await asyncio.wait_for(events.get(), 10) == ("session_confirm", session)
        await again.emit("user_uttered", {"message": "thanks", "session_id": session})
        name, message = await asyncio.wait_for(events.get(), 20)
        assert name == "bot_uttered"
        await again.disconnect()
        return session

    session = asyncio.run(run())
    tracker = assistant.tracker(session)
    assert user_texts(tracker) == ["get me a taxi to the airport", "thanks"]
    first = next(e for e in tracker["events"] if e["event"] == "user")
    assert first["input_channel"] == "socketio" and first["metadata"] == {"language": "en"}


def test_socketio_buttons_become_quick_replies(server):
    async def run():
        client = socketio.AsyncClient()
        events = asyncio.Queue()
        client.on("session_confirm", lambda data: events.put_nowait(data))
        client.on("bot_uttered", lambda data: events.put_nowait(data))
        await client.connect(server.url, transports=["websocket"])
        await client.emit("session_request", {})
        session = await asyncio.wait_for(events.get(), 10)
        seen = []
        # asking for a restaurant is answered with buttons; the help response has them in one variation
        for text in ["/find_restaurant"] + ["/help"] * 10:
            await client.emit("user_uttered", {"message": text, "session_id": session})
            seen.append(await asyncio.wait_for(events.get(), 20))
            await asyncio.sleep(0.2)
            while not events.empty():
                seen.append(events.get_nowait())
            if any("quick_replies" in m for m in seen):
                break
        await client.disconnect()
        return seen

    with_replies = [m for m in asyncio.run(run()) if "quick_replies" in m]
    assert with_replies, "no bot message with buttons came as quick_replies"
    for message in with_replies:
        assert set(message) == {"text", "quick_replies"}
        assert all(set(r) == {"content_type", "title", "payload"} and r["content_type"] == "text"
                   for r in message["quick_replies"])


def test_socketio_client_mistakes_get_an_error_event(assistant):
    async def run(url):
        client = socketio.AsyncClient()
        errors, bots = asyncio.Queue(), asyncio.Queue()
        client.on("assistant_error", lambda data: errors.put_nowait(data))
        client.on("bot_uttered", lambda data: bots.put_nowait(data))
        client.on("session_confirm", lambda data: bots.put_nowait(data))
        await client.connect(url, transports=["websocket"])
        await client.emit("session_request", {"session_id": "mistakes"})
        await asyncio.wait_for(bots.get(), 10)
        statuses = []
        for payload in ["just a string", {"message": 7}, {"session_id": "mistakes"}, {"message": "x" * 200},
                        {"message": "hi", "customData": [1]}, {"message": "hi", "session_id": "someone-else"}]:
            await client.emit("user_uttered", payload)
            statuses.append((await asyncio.wait_for(errors.get(), 10))["status"])
        await client.emit("user_uttered", {"message": "hi"})  # still works afterwards
        while True:
            message = await asyncio.wait_for(bots.get(), 20)
            if "That message is too long" not in message.get("text", ""):
                break
        await client.disconnect()
        return statuses

    with serving(assistant, max_message_bytes=100, rate_limit=RateLimit(0, 60)) as s:
        assert asyncio.run(run(s.url)) == [400, 400, 400, 413, 400, 400]
