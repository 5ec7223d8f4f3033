"""Per-conversation locks: in-process (threads, asyncio) and across processes on a real Redis server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.stores.locks import (
    AsyncConversationLocks,
    AsyncRedisConversationLocks,
    AsyncRedisLock,
    ConversationLocks,
    LockTimeout,
    RedisConversationLocks,
    RedisLock,
    create_locks,
)

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.002)


# --------------------------------------------------------------------------------------------
# threads
# --------------------------------------------------------------------------------------------
def test_threads_get_one_conversation_in_arrival_order():
    locks = ConversationLocks(timeout=5)
    order: list[int] = []
    holder = locks.acquire("c")
    # start the waiters one at a time, each queued before the next arrives
    pool = []
    for i in range(10):
        th = threading.Thread(target=_run, args=(locks, order, i))
        th.start()
        pool.append(th)
        wait_for(lambda: locks.waiting("c") == i + 2)
    holder.release()
    for th in pool:
        th.join()
    assert order == list(range(10))
    assert len(locks) == 0 and not locks.locked("c")


def _run(locks: ConversationLocks, order: list[int], i: int) -> None:
    with locks.lock("c"):
        order.append(i)
        time.sleep(0.001)


def test_reserved_tickets_keep_arrival_order_whoever_waits_first():
    locks = ConversationLocks()
    tickets = [locks.reserve("c") for _ in range(8)]
    order: list[int] = []

    def work(i: int) -> None:
        with tickets[i]:
            order.append(i)

    pool = [threading.Thread(target=work, args=(i,)) for i in reversed(range(8))]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert order == list(range(8))


def test_only_one_thread_inside_and_other_conversations_run_in_parallel():
    locks = ConversationLocks(timeout=5)
    inside = {"c": 0, "max": 0}
    guard = threading.Lock()

    def work() -> None:
        for _ in range(20):
            with locks.lock("c"):
                with guard:
                    inside["c"] += 1
                    inside["max"] = max(inside["max"], inside["c"])
                time.sleep(0.0002)
                with guard:
                    inside["c"] -= 1

    pool = [threading.Thread(target=work) for _ in range(4)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert inside["max"] == 1

    with locks.lock("busy"):
        got = []
        th = threading.Thread(target=lambda: got.append(locks.acquire("other", timeout=1)))
        th.start()
        th.join()
        assert got and got[0].granted  # not held up by "busy"
        got[0].release()


def test_a_timed_out_waiter_leaves_the_queue_and_blocks_nobody():
    locks = ConversationLocks()
    holder = locks.acquire("c")
    patient_got = []
    patient = threading.Thread(target=lambda: patient_got.append(locks.acquire("c", timeout=5)))
    started = time.monotonic()
    with pytest.raises(LockTimeout):
        locks.acquire("c", timeout=0.05)
    assert time.monotonic() - started < 1
    assert locks.waiting("c") == 1
    impatient = locks.reserve("c")  # queued ahead of the patient one, then gives up
    patient.start()
    wait_for(lambda: locks.waiting("c") == 3)
    impatient.release()
    holder.release()
    patient.join()
    assert patient_got and patient_got[0].granted
    patient_got[0].release()
    assert len(locks) == 0
    with pytest.raises(RuntimeError):
        impatient.wait()


# --------------------------------------------------------------------------------------------
# asyncio
# --------------------------------------------------------------------------------------------
def test_asyncio_locks_are_fair_exclusive_and_per_conversation():
    async def main() -> None:
        locks = AsyncConversationLocks(timeout=5)
        order: list[int] = []
        inside = 0

        async def handle(i: int, ticket) -> None:
            nonlocal inside
            async with ticket:
                inside += 1
                assert inside == 1
                await asyncio.sleep(0)
                order.append(i)
                inside -= 1

        tickets = [locks.reserve("c") for _ in range(10)]
        await asyncio.gather(*(handle(i, tickets[i]) for i in reversed(range(10))))
        assert order == list(range(10))

        async with locks.lock("a"):
            async with locks.lock("b", timeout=0.5):  # another conversation: no wait
                pass
            with pytest.raises(LockTimeout):
                await locks.acquire("a", timeout=0.02)
            assert locks.waiting("a") == 1
        assert len(locks) == 0

    asyncio.run(main())


def test_asyncio_a_cancelled_waiter_passes_the_lock_on():
    async def main() -> None:
        locks = AsyncConversationLocks()
        holder = await locks.acquire("c")
        cancelled = asyncio.create_task(locks.acquire("c"))
        later = asyncio.create_task(locks.acquire("c"))
        await asyncio.sleep(0.01)
        assert locks.waiting("c") == 3
        cancelled.cancel()
        await asyncio.sleep(0)
        holder.release()
        ticket = await asyncio.wait_for(later, 1)
        assert ticket.granted
        assert cancelled.cancelled()
        ticket.release()
        assert len(locks) == 0

        # cancelled after being granted but before running: the lock still moves on
        holder = await locks.acquire("d")
        granted_then_cancelled = asyncio.create_task(locks.acquire("d"))
        await asyncio.sleep(0.01)
        holder.release()
        granted_then_cancelled.cancel()
        async with locks.lock("d", timeout=1):
            pass
        assert len(locks) == 0

    asyncio.run(main())


def test_create_locks_urls():
    assert isinstance(create_locks(None), ConversationLocks)
    assert isinstance(create_locks("memory://", asynchronous=True), AsyncConversationLocks)
    assert isinstance(create_locks("redis://127.0.0.1:1/0"), RedisConversationLocks)  # no connection yet
    with pytest.raises(ValueError, match="redis://"):
        create_locks("zookeeper://x")


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------
@pytest.fixture
def redis_client(redis_server):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    yield client
    client.close()


def test_redis_lock_basics_and_no_keys_left_behind(redis_client):
    lock = RedisLock(redis_client, "alice", ttl=5)
    with lock:
        assert lock.owned()
        other = RedisLock(redis_client, "alice")
        with pytest.raises(LockTimeout):
            other.acquire(timeout=0.05)
        with RedisLock(redis_client, "bob", wait_timeout=0.5):  # another conversation: no wait
            pass
        assert lock.extend(10)
    assert not lock.owned()
    assert redis_client.dbsize() == 0  # queue, deadlines, counter, wake lists: all gone
    assert lock.release() is False  # releasing twice is harmless


def test_redis_lock_is_fair_across_clients(redis_server, redis_client):
    import redis

    locks = RedisConversationLocks(redis_server.url, timeout=10)
    order: list[int] = []
    holder = locks.acquire("c")
    pool = []
    for i in range(8):
        def work(i=i) -> None:
            client = redis.Redis.from_url(redis_server.url)  # its own connection, like another worker
            with RedisLock(client, "c", wait_timeout=10, poll=0.5):
                order.append(i)
            client.close()

        th = threading.Thread(target=work)
        th.start()
        pool.append(th)
        wait_for(lambda: redis_client.zcard("assistant:lock:{c}:q") == i + 2)
    started = time.monotonic()
    holder.release()
    for th in pool:
        th.join()
    assert order == list(range(8))
    assert time.monotonic() - started < 2  # waiters are woken on release, not by their 0.5 s poll
    assert redis_client.dbsize() == 0
    locks.close()


def test_redis_lock_keeps_one_holder_under_contention(redis_server):
    locks = RedisConversationLocks(redis_server.url, timeout=10)
    inside = {"now": 0, "max": 0, "total": 0}
    guard = threading.Lock()

    def work() -> None:
        for _ in range(10):
            with locks.lock("c"):
                with guard:
                    inside["now"] += 1
                    inside["max"] = max(inside["max"], inside["now"])
                    inside["total"] += 1
                with guard:
                    inside["now"] -= 1

    pool = [threading.Thread(target=work) for _ in range(4)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert inside == {"now": 0, "max": 1, "total": 40}
    locks.close()


def test_redis_lock_of_a_vanished_holder_expires(redis_client):
    crashed = RedisLock(redis_client, "c", ttl=0.3)
    crashed.acquire()  # and never released, as by a killed worker
    started = time.monotonic()
    with RedisLock(redis_client, "c", wait_timeout=5, poll=0.05):
        waited = time.monotonic() - started
    assert 0.2 < waited < 2
    assert crashed.release() is False  # it had lost the lock; releasing does no harm


def test_redis_a_dead_waiter_loses_its_place(redis_client):
    holder = RedisLock(redis_client, "c", ttl=5).acquire()
    dead = RedisLock(redis_client, "c", waiter_ttl=0.3, poll=0.1).reserve()  # queued, then never polls again
    got: list[float] = []

    def live() -> None:
        with RedisLock(redis_client, "c", wait_timeout=5, poll=0.05):
            got.append(time.monotonic())

    th = threading.Thread(target=live)
    th.start()
    holder.release()
    released = time.monotonic()
    th.join()
    assert got and 0.0 <= got[0] - released < 2
    assert dead.token is not None and not dead.owned()


def test_redis_timed_out_waiter_leaves_the_queue(redis_client):
    holder = RedisLock(redis_client, "c").acquire()
    with pytest.raises(LockTimeout):
        RedisLock(redis_client, "c").acquire(timeout=0.05)
    assert redis_client.zcard("assistant:lock:{c}:q") == 1
    holder.release()
    assert redis_client.dbsize() == 0


_HOLDER = r"""
import sys, time
from assistant.stores.locks import RedisLock
lock = RedisLock(sys.argv[1], "shared", ttl=float(sys.argv[2])).acquire()
print("held", flush=True)
time.sleep(float(sys.argv[3]))
lock.release()
print("released", flush=True)
time.sleep(30)
"""


@pytest.mark.parametrize("how", ["releases", "is killed"])
def test_redis_lock_across_processes(redis_server, how):
    """Another process holds the conversation: we wait for its release, or for its lock to expire
    when it is SIGKILLed while holding it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    hold = "0.3" if how == "releases" else "30"
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, redis_server.url, "0.5", hold],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout.readline().strip() == "held"
        if how == "is killed":
            child.send_signal(signal.SIGKILL)
        started = time.monotonic()
        lock = RedisLock(redis_server.url, "shared", wait_timeout=10, poll=0.05)
        with lock:
            waited = time.monotonic() - started
        if how == "releases":
            assert child.stdout.readline().strip() == "released"
        assert 0.1 < waited < 3
        lock.client.close()
    finally:
        child.kill()
        child.wait()


def test_async_redis_locks(redis_server, redis_client):
    async def main() -> None:
        locks = AsyncRedisConversationLocks(redis_server.url, timeout=5, poll=0.5)
        order: list[int] = []
        holder = await locks.acquire("c")
        reserved = [await locks.reserve("c") for _ in range(6)]  # arrival order

        async def work(i: int) -> None:
            async with reserved[i]:
                order.append(i)
                await asyncio.sleep(0.001)

        tasks = [asyncio.create_task(work(i)) for i in reversed(range(6))]
        await asyncio.sleep(0.02)
        await holder.release()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert order == list(range(6))

        async with locks.lock("a") as held:
            assert await held.owned()
            assert await held.extend(5)
            with pytest.raises(LockTimeout):
                await AsyncRedisLock(locks.client, "a").acquire(timeout=0.05)
        await locks.close()

    asyncio.run(main())
    assert redis_client.dbsize() == 0
