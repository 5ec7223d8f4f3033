"""The server's pure logic, without a server: settings, auth, rate limit, payload checks, formats."""

import jwt
import pytest

from assistant.server.auth import ANONYMOUS_ADMIN, AuthError, Authenticator, Principal
from assistant.server.cors import own_origins, socketio_origin_check
from assistant.server.inbound import (ClientError, check_sender, parse_json_body, parse_request_text,
                                      requested_session, socket_message, webhook_message)
from assistant.server.outbound import ndjson_lines, socketio_payloads
from assistant.server.ratelimit import RateLimiter
from assistant.server.settings import RateLimit, ServerSettings, SettingsError, parse_origins, parse_rate_limit

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.mark.parametrize("text, expected", [
    ("60/60s", RateLimit(60, 60.0)), ("10/s", RateLimit(10, 1.0)), ("100/5m", RateLimit(100, 300.0)),
    ("30/1h", RateLimit(30, 3600.0)), ("5/2", RateLimit(5, 2.0)), ("off", RateLimit(0, 60.0)), (None, RateLimit(0, 60.0)),
])
def test_rate_limit_flag(text, expected):
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["60", "abc", "10/0s", "-1/5s", "10/5 parsecs"])
def test_bad_rate_limit_flags_say_how_to_write_one(text):
    with pytest.raises(SettingsError, match="rate-limit"):
        parse_rate_limit(text)


def test_cors_flag():
    assert parse_origins("https://a.example, http://localhost:8080/") == ("https://a.example", "http://localhost:8080")
    assert parse_origins("*") == ("*",)
    with pytest.raises(SettingsError, match="scheme://host"):
        parse_origins("example.com")


def test_settings_refuse_what_cannot_work():
    with pytest.raises(SettingsError, match="not both"):
        ServerSettings(auth_token="a", jwt_secret="b")
    with pytest.raises(SettingsError, match="workers"):
        ServerSettings(workers=0)
    with pytest.raises(SettingsError, match="redis://"):
        ServerSettings(redis_url="localhost:6379")
    settings = ServerSettings(auth_token="t", cors_origins=("https://x.example",), rate_limit=RateLimit(5, 10))
    assert ServerSettings.from_json(settings.to_json()) == settings


def test_token_auth():
    auth = Authenticator(auth_token="s3cret")
    assert auth.authenticate(query_token="s3cret") == ANONYMOUS_ADMIN
    assert auth.authenticate(presented="s3cret") == ANONYMOUS_ADMIN
    with pytest.raises(AuthError, match=r"\?token="):
        auth.authenticate()
    with pytest.raises(AuthError, match="wrong"):
        auth.authenticate(query_token="nope")
    assert Authenticator().authenticate() == ANONYMOUS_ADMIN  # no auth configured: everyone is admin


def test_jwt_auth_and_roles():
    auth = Authenticator(jwt_secret=SECRET)
    user = jwt.encode({"user": {"username": "alice", "role": "user"}}, SECRET, algorithm="HS256")
    admin = jwt.encode({"user": {"username": "root", "role": "admin"}}, SECRET, algorithm="HS256")
    alice = auth.authenticate(authorization=f"Bearer {user}")
    assert alice == Principal("alice", "user")
    assert alice.may_access("alice") and not alice.may_access("bob")
    assert auth.authenticate(query_token=admin).is_admin
    with pytest.raises(AuthError) as refused:
        Authenticator.check_sender(alice, "bob")
    assert refused.value.status == 403
    forged = jwt.encode({"user": {"username": "alice", "role": "admin"}}, "another-secret-of-sufficient-length!", algorithm="HS256")
    for bad in (forged, "not.a.jwt", jwt.encode({"sub": "x"}, SECRET, algorithm="HS256"),
                jwt.encode({"user": {"username": "a", "role": "user"}, "exp": 1}, SECRET, algorithm="HS256")):
        with pytest.raises(AuthError) as exc:
            auth.authenticate(authorization=f"Bearer {bad}")
        assert exc.value.status == 401
    with pytest.raises(AuthError, match="Bearer"):
        auth.authenticate()


def test_rate_limiter_is_a_sliding_window():
    now = [0.0]
    limiter = RateLimiter(3, 10.0, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(10.0)
    assert limiter.hit("b") is None  # per sender
    now[0] = 10.5
    assert limiter.hit("a") is None
    assert RateLimiter(0, 1.0).hit("a") is None  # off


def test_rate_limiter_forgets_idle_senders():
    now = [0.0]
    limiter = RateLimiter(1, 1.0, clock=lambda: now[0], max_keys=10)
    for i in range(50):
        limiter.hit(f"s{i}")
    assert len(limiter) <= 10
    now[0] = 5.0
    limiter.hit("late")
    assert len(limiter) == 1


def test_webhook_bodies():
    msg = webhook_message(parse_json_body(b'{"sender": "u1", "message": "hi", "metadata": {"a": 1}}'), 100)
    assert (msg.sender, msg.text, msg.metadata) == ("u1", "hi", {"a": 1})
    assert webhook_message({"sender": "u", "message": ""}, 10).text == ""
    cases = {
        b"": "empty", b"{": "not valid JSON", b"\xff": "UTF-8", b"[1]": "JSON object", b'{"message": "x"}': '"sender"',
        b'{"sender": "u"}': '"message"', b'{"sender": 5, "message": "x"}': "sender must be a string",
        b'{"sender": "", "message": "x"}': "empty", b'{"sender": "u", "message": ["x"]}': "message must be a string",
        b'{"sender": "u", "message": "x", "metadata": 3}': "metadata", b'{"sender": "a\\u0000b", "message": "x"}': "control",
        b'{"sender": "u", "message": 1e999}': "too large", b'{"sender": "u", "message": Infinity}': "not JSON",
        b'{"sender": "\\ud800", "message": "x"}': "surrogate",
    }
    for body, message in cases.items():
        with pytest.raises(ClientError, match=message) as exc:
            webhook_message(parse_json_body(body), 100)
        assert exc.value.status == 400, body
    with pytest.raises(ClientError) as big:
        webhook_message({"sender": "u", "message": "é" * 60}, 100)  # 120 bytes
    assert big.value.status == 413
    assert webhook_message({"sender": "u", "message": "\ud800x"}, 100).text == "?x"
    assert parse_request_text({"text": "hello"}, 100) == "hello"
    with pytest.raises(ClientError, match='"text"'):
        parse_request_text({"message": "hello"}, 100)
    with pytest.raises(ClientError, match="255"):
        check_sender("x" * 256)


def test_socket_payloads_in():
    assert socket_message({"message": "hi", "session_id": "s", "customData": {"k": 1}}, 100) == ("hi", "s", {"k": 1})
    assert socket_message({"message": "hi", "metadata": {"k": 2}}, 100) == ("hi", None, {"k": 2})
    for bad in ("text", None, [], {"session_id": "s"}, {"message": 3}, {"message": "x", "customData": "y"}):
        with pytest.raises(ClientError):
            socket_message(bad, 100)
    assert requested_session({"session_id": None}) is None
    assert requested_session(None) is None and requested_session({}) is None
    assert requested_session({"session_id": "abc"}) == "abc" and requested_session("abc") == "abc"
    with pytest.raises(ClientError):
        requested_session({"session_id": 12})


def test_socketio_payloads_out():
    rest = {"recipient_id": "u", "text": "Pick one", "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "b"}]}
    assert socketio_payloads(rest) == [{"text": "Pick one", "quick_replies": [
        {"content_type": "text", "title": "A", "payload": "/a"}, {"content_type": "text", "title": "B", "payload": "b"}]}]
    assert socketio_payloads({"recipient_id": "u", "text": "hi"}) == [{"text": "hi"}]
    assert socketio_payloads({"recipient_id": "u", "text": "look", "image": "http://x/y.png", "custom": {"k": [1]}}) == [
        {"text": "look"}, {"attachment": {"type": "image", "payload": {"src": "http://x/y.png"}}}, {"k": [1]}]
    assert socketio_payloads({"recipient_id": "u"}) == []
    for payloads in (socketio_payloads(rest), socketio_payloads({"recipient_id": "u", "text": "x"})):
        assert all("recipient_id" not in p for p in payloads)
    assert list(ndjson_lines([{"a": "é"}, {"b": 1}])) == ['{"a": "é"}\n'.encode(), b'{"b": 1}\n']


def test_socketio_origins():
    check = socketio_origin_check(("https://site.example",))
    environ = {"HTTP_HOST": "127.0.0.1:5005", "wsgi.url_scheme": "http"}
    assert check("https://site.example", environ)
    assert check("http://127.0.0.1:5005", environ)  # the server's own pages
    assert not check("https://evil.example", environ)
    assert check(None, environ)  # not a browser
    assert socketio_origin_check(("*",)) == "*"
    assert own_origins({"HTTP_HOST": "h:1", "wsgi.url_scheme": "ws"})[0] == "http://h:1"


def test_batching_parser_gives_each_caller_its_own_parse():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from assistant.server.batching import BatchingParser

    class Model:
        def __init__(self):
            self.batches = []

        def parse(self, text):
            if text == "poison":
                raise ValueError("cannot parse that")
            return ("alone", text)

        def parse_batch(self, texts):
            self.batches.append(list(texts))
            time.sleep(0.005)  # a forward pass: others gather meanwhile
            if "poison" in texts:
                raise ValueError("the batch failed")
            return [("batch", t) for t in texts]

    model = Model()
    parser = BatchingParser(model, max_batch=8)
    texts = [f"t{i}" for i in range(64)]
    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(parser.parse, texts)) == [("batch", t) for t in texts]
    assert max(len(b) for b in model.batches) > 1 and max(len(b) for b in model.batches) <= 8
    assert sorted(t for b in model.batches for t in b) == sorted(texts)

    # a batch that fails is parsed one by one: only the bad text's caller gets the error
    results, barrier = {}, threading.Barrier(3)

    def call(text):
        barrier.wait()
        try:
            results[text] = parser.parse(text)
        except ValueError as exc:
            results[text] = str(exc)

    threads = [threading.Thread(target=call, args=(t,)) for t in ("a", "poison", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["poison"] == "cannot parse that"
    assert results["a"] in (("batch", "a"), ("alone", "a")) and results["b"] in (("batch", "b"), ("alone", "b"))


def test_start_up_warnings_and_worker_checks():
    from assistant.server.serve import _check_multiworker, _warnings

    local = _warnings(ServerSettings())
    assert len(local) == 1 and "127.0.0.1 only" in local[0] and "--auth-token" in local[0]
    assert "anyone on the network" in _warnings(ServerSettings(host="0.0.0.0"))[0]
    assert _warnings(ServerSettings(auth_token="t", host="0.0.0.0")) == []
    assert "sticky sessions" in _warnings(ServerSettings(auth_token="t", workers=2, redis_url="redis://r:6379/0"))[0]
    assert "--redis" in _check_multiworker(ServerSettings(workers=3), None)
    assert "memory://" in _check_multiworker(ServerSettings(workers=2, redis_url="redis://r/0"), "memory://")
    assert _check_multiworker(ServerSettings(workers=2, redis_url="redis://r/0"), "postgresql://db") is None
    assert _check_multiworker(ServerSettings(), "memory://") is None
