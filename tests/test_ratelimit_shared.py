"""The per-sender rate limit counted in a real Redis: one limit for all workers of a server."""

import asyncio
import logging
import time
import uuid

import httpx
import pytest

from assistant.agent import Assistant
from assistant.server import BackgroundServer, ServerSettings, create_app
from assistant.server.ratelimit import SharedRateLimiter
from assistant.server.settings import RateLimit
from servers import free_port
from sockets import open_session


@pytest.fixture(scope="module")
def redis_url(redis_server):
    return redis_server.url


def _hits(limiters, keys):
    async def go():
        try:
            return [await limiter.hit(key) for limiter, key in zip(limiters, keys)]
        finally:
            for limiter in set(limiters):
                await limiter.close()

    return asyncio.run(go())


def test_two_workers_share_one_sliding_window(redis_url):
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one, two = (SharedRateLimiter(redis_url, 3, 0.6, prefix=prefix) for _ in range(2))
    answers = _hits([one, two, one, two, two], ["a", "a", "a", "a", "b"])
    assert answers[:3] == [None, None, None]
    assert answers[3] is not None and 0 < answers[3] <= 0.6  # the 4th, whichever worker gets it
    assert answers[4] is None  # another sender has its own window
    time.sleep(0.7)
    one, two = (SharedRateLimiter(redis_url, 3, 0.6, prefix=prefix) for _ in range(2))
    assert _hits([two], ["a"]) == [None]  # the window slid past the first three


def test_an_unreachable_redis_lets_messages_through_and_says_so(caplog):
    limiter = SharedRateLimiter(f"redis://127.0.0.1:{free_port()}/0", 1, 60)
    with caplog.at_level(logging.WARNING, logger="assistant.server.ratelimit"):
        assert _hits([limiter, limiter], ["a", "a"]) == [None, None]
    assert "rate limit not checked: Redis is unreachable" in caplog.text


@pytest.fixture(scope="module")
def assistant(tiny_model_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("shared-limit") / "conversations.db"
    with Assistant.from_config(model_dir=tiny_model_dir, store_url=f"sqlite:///{db}") as a:
        yield a


def test_servers_on_one_redis_count_a_senders_messages_together(assistant, redis_url):
    """Two servers (no shared memory between their limiters) on one Redis: REST and socket.io
    messages of one sender spread over both count against one limit of 3 per minute."""
    settings = ServerSettings(redis_url=redis_url, rate_limit=RateLimit(3, 60))
    with BackgroundServer(create_app(assistant, settings)) as a, \
            BackgroundServer(create_app(assistant, ServerSettings(redis_url=redis_url, rate_limit=RateLimit(3, 60)))) as b:
        me = "limited-" + uuid.uuid4().hex[:8]
        codes = []
        for url in (a.url, b.url, a.url, b.url):
            reply = httpx.post(url + "/webhooks/rest/webhook", json={"sender": me, "message": "hi"}, timeout=30)
            codes.append(reply.status_code)
        assert codes == [200, 200, 200, 429]
        assert "at most 3 per 60 s" in reply.json()["error"] and int(reply.headers["retry-after"]) >= 1
        assert httpx.post(a.url + "/webhooks/rest/webhook", json={"sender": "someone-else", "message": "hi"},
                          timeout=30).status_code == 200

        async def over_socketio(url):
            """A socket.io user who sent 3 messages over REST already is told to wait."""
            talk = await open_session(url, me)
            await talk.say("hello again")
            note = await asyncio.wait_for(talk.answers.get(), 30)
            error = await asyncio.wait_for(talk.errors.get(), 30)
            await talk.close()
            return note, error

        note, error = asyncio.run(over_socketio(b.url))
        assert "faster than I can answer" in note["text"]
        assert error["status"] == 429 and error["retry_after"] > 0
