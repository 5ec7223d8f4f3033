"""Per-conversation locks: the messages of one conversation are handled one at a time, in order of
arrival, while different conversations run in parallel.

Three implementations with one shape (``with locks.lock(sender_id): ...``, or ``async with``):

* :class:`ConversationLocks` for threads and :class:`AsyncConversationLocks` for one asyncio loop,
  inside one process;
* :class:`RedisConversationLocks` / :class:`AsyncRedisConversationLocks` across processes and
  machines (``pip install "city-concierge-assistant[redis]"``), built on :class:`RedisLock`.

All of them are fair: a conversation's lock goes to its waiters first come, first served. The
moment of arrival is when the queue place is taken, so a front end that must keep the order in
which messages came in takes its place *before* doing anything slow (parsing a request body, say)
with ``ticket = locks.reserve(sender_id)`` and later ``with ticket: ...`` (``async with`` for the
asyncio and Redis-async variants). Locks are not re-entrant: taking a conversation's lock again
while holding it waits for itself until the timeout.

Redis scheme (a fair queue, not a plain ``SET NX``): per conversation a sorted set of waiter tokens
scored by a ticket number from ``INCR``, and a hash of each token's deadline. The head of the queue
holds the lock. Lua scripts make every step atomic: *acquire* enqueues the token (once), drops
heads whose deadline has passed (a crashed holder or waiter), and reports the token's place;
*release* removes the token, only while it is the token's own, and wakes the next waiter through a
per-token list it can ``BLPOP`` on; *extend* pushes the holder's deadline. A holder's deadline is
``ttl`` (its lock timeout) after it got or last extended the lock; a waiter's is ``waiter_ttl``
after its last poll, so a waiter that died is skipped quickly. Deadlines use the Redis server's
clock, so clients' clocks do not matter. Keys expire by themselves once nobody uses them.
Needs Redis 6 or later (fractional ``BLPOP`` timeouts, effect replication of scripts).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import deque
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Iterator

__all__ = [
    "LockTimeout",
    "ConversationLocks",
    "AsyncConversationLocks",
    "Ticket",
    "AsyncTicket",
    "RedisLock",
    "AsyncRedisLock",
    "RedisConversationLocks",
    "AsyncRedisConversationLocks",
    "create_locks",
]

log = logging.getLogger(__name__)

_UNSET: Any = object()


class LockTimeout(TimeoutError):
    """The lock of a conversation could not be had in time."""


# ---------------------------------------------------------------------------------------------
# In-process, threads
# ---------------------------------------------------------------------------------------------
class Ticket:
    """A place in one conversation's queue (from :meth:`ConversationLocks.reserve`).

    ``wait()`` blocks until it is this ticket's turn; ``release()`` passes the lock on (or gives up
    the place if it never got the lock). As a context manager it does both.
    """

    __slots__ = ("_owner", "sender_id", "_event", "_state")

    def __init__(self, owner: "ConversationLocks", sender_id: str) -> None:
        self._owner = owner
        self.sender_id = sender_id
        self._event = threading.Event()
        self._state = "queued"  # queued -> granted -> released | abandoned

    @property
    def granted(self) -> bool:
        return self._state == "granted"

    def wait(self, timeout: float | None = _UNSET) -> "Ticket":
        if timeout is _UNSET:
            timeout = self._owner.timeout
        if self._state in ("released", "abandoned"):
            raise RuntimeError(f"this ticket for {self.sender_id!r} was already used")
        if not self._event.wait(timeout):
            with self._owner._mutex:
                if self._state != "granted":  # not granted in the meantime: leave the queue
                    self._owner._remove(self)
                    raise LockTimeout(f"conversation {self.sender_id!r} stayed locked for {timeout} s")
        return self

    def release(self) -> None:
        with self._owner._mutex:
            if self._state in ("granted", "queued"):
                self._owner._remove(self)

    def __enter__(self) -> "Ticket":
        try:
            return self.wait()
        except BaseException:
            self.release()
            raise

    def __exit__(self, *exc) -> None:
        self.release()


class ConversationLocks:
    """Fair (FIFO) per-conversation locks for threads; ``timeout`` is the default wait (None: forever)."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._mutex = threading.Lock()
        self._queues: dict[str, deque[Ticket]] = {}

    def reserve(self, sender_id: str) -> Ticket:
        """Take a place in the conversation's queue now; wait for it later (``with ticket:``)."""
        ticket = Ticket(self, sender_id)
        with self._mutex:
            queue = self._queues.setdefault(sender_id, deque())
            queue.append(ticket)
            if len(queue) == 1:
                ticket._state = "granted"
                ticket._event.set()
        return ticket

    def acquire(self, sender_id: str, timeout: float | None = _UNSET) -> Ticket:
        """Wait for the conversation's lock; ``release()`` the returned ticket when done."""
        ticket = self.reserve(sender_id)
        try:
            return ticket.wait(timeout)
        except BaseException:
            ticket.release()
            raise

    @contextmanager
    def lock(self, sender_id: str, timeout: float | None = _UNSET) -> Iterator[Ticket]:
        ticket = self.acquire(sender_id, timeout)
        try:
            yield ticket
        finally:
            ticket.release()

    def _remove(self, ticket: Ticket) -> None:
        """Take a ticket out of its queue and hand the lock on; the caller holds the mutex."""
        queue = self._queues.get(ticket.sender_id)
        ticket._state = "released" if ticket._state == "granted" else "abandoned"
        if queue is None:
            return
        was_head = bool(queue) and queue[0] is ticket
        try:
            queue.remove(ticket)
        except ValueError:
            return
        if not queue:
            del self._queues[ticket.sender_id]
        elif was_head:
            nxt = queue[0]
            nxt._state = "granted"
            nxt._event.set()

    def waiting(self, sender_id: str) -> int:
        """How many tickets the conversation's queue holds, the holder included."""
        with self._mutex:
            return len(self._queues.get(sender_id, ()))

    def locked(self, sender_id: str) -> bool:
        return self.waiting(sender_id) > 0

    def __len__(self) -> int:
        """Conversations with a holder or waiters (idle ones take no memory)."""
        with self._mutex:
            return len(self._queues)


# ---------------------------------------------------------------------------------------------
# In-process, asyncio
# ---------------------------------------------------------------------------------------------
class AsyncTicket:
    """A place in one conversation's queue of an :class:`AsyncConversationLocks`."""

    __slots__ = ("_owner", "sender_id", "_future", "_state")

    def __init__(self, owner: "AsyncConversationLocks", sender_id: str, future: asyncio.Future) -> None:
        self._owner = owner
        self.sender_id = sender_id
        self._future = future
        self._state = "queued"

    @property
    def granted(self) -> bool:
        return self._state == "granted"

    async def wait(self, timeout: float | None = _UNSET) -> "AsyncTicket":
        if timeout is _UNSET:
            timeout = self._owner.timeout
        if self._state in ("released", "abandoned"):
            raise RuntimeError(f"this ticket for {self.sender_id!r} was already used")
        try:
            if timeout is None:
                await asyncio.shield(self._future)
            else:
                await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except asyncio.TimeoutError:
            if self._state == "granted":  # granted just as the time ran out: keep it
                return self
            self.release()
            raise LockTimeout(f"conversation {self.sender_id!r} stayed locked for {timeout} s") from None
        except BaseException:  # cancelled: give the place (or the lock) up
            self.release()
            raise
        return self

    def release(self) -> None:
        if self._state in ("granted", "queued"):
            self._owner._remove(self)

    async def __aenter__(self) -> "AsyncTicket":
        try:
            return await self.wait()
        except BaseException:
            self.release()
            raise

    async def __aexit__(self, *exc) -> None:
        self.release()


class AsyncConversationLocks:
    """Fair (FIFO) per-conversation locks for the coroutines of one event loop."""

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._queues: dict[str, deque[AsyncTicket]] = {}

    def reserve(self, sender_id: str) -> AsyncTicket:
        """Take a place now (call it from the loop's thread); ``async with ticket:`` later."""
        future = asyncio.get_running_loop().create_future()
        ticket = AsyncTicket(self, sender_id, future)
        queue = self._queues.setdefault(sender_id, deque())
        queue.append(ticket)
        if len(queue) == 1:
            ticket._state = "granted"
            future.set_result(None)
        return ticket

    async def acquire(self, sender_id: str, timeout: float | None = _UNSET) -> AsyncTicket:
        ticket = self.reserve(sender_id)
        try:
            return await ticket.wait(timeout)
        except BaseException:
            ticket.release()
            raise

    @asynccontextmanager
    async def lock(self, sender_id: str, timeout: float | None = _UNSET) -> AsyncIterator[AsyncTicket]:
        ticket = await self.acquire(sender_id, timeout)
        try:
            yield ticket
        finally:
            ticket.release()

    def _remove(self, ticket: AsyncTicket) -> None:
        queue = self._queues.get(ticket.sender_id)
        ticket._state = "released" if ticket._state == "granted" else "abandoned"
        if not ticket._future.done():
            ticket._future.cancel()
        if queue is None:
            return
        was_head = bool(queue) and queue[0] is ticket
        try:
            queue.remove(ticket)
        except ValueError:
            return
        if not queue:
            del self._queues[ticket.sender_id]
        elif was_head:
            nxt = queue[0]
            nxt._state = "granted"
            if not nxt._future.done():
                nxt._future.set_result(None)

    def waiting(self, sender_id: str) -> int:
        return len(self._queues.get(sender_id, ()))

    def locked(self, sender_id: str) -> bool:
        return self.waiting(sender_id) > 0

    def __len__(self) -> int:
        return len(self._queues)


# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
# KEYS: 1 queue (zset token -> ticket), 2 deadlines (hash token -> ms), 3 ticket counter.
# ARGV: 1 token, 2 waiter ttl ms, 3 holder ttl ms, 4 key base (for wake lists).
# Returns the token's place: 0 = it holds the lock.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local token = ARGV[1]
local waiter_ttl, holder_ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], token) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), token)
end
local purged = false
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head == nil or head == token then break end
  local deadline = tonumber(redis.call('HGET', KEYS[2], head))
  if deadline and deadline > now then break end
  redis.call('ZREM', KEYS[1], head)
  redis.call('HDEL', KEYS[2], head)
  purged = true
end
local rank = redis.call('ZRANK', KEYS[1], token)
if rank == 0 then
  redis.call('HSET', KEYS[2], token, now + holder_ttl)
  redis.call('DEL', ARGV[4] .. ':w:' .. token)
else
  redis.call('HSET', KEYS[2], token, now + waiter_ttl)
  if purged then
    local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
    local wake = ARGV[4] .. ':w:' .. head
    redis.call('RPUSH', wake, '1')
    redis.call('PEXPIRE', wake, waiter_ttl + holder_ttl)
  end
end
local keep = math.max(waiter_ttl, holder_ttl) + 60000
for i = 1, 3 do
  if redis.call('PTTL', KEYS[i]) < keep then redis.call('PEXPIRE', KEYS[i], keep) end
end
return rank
"""

# KEYS as above; ARGV: 1 token, 2 key base. Returns 1 when the token held the lock, else 0.
_RELEASE = """
local token = ARGV[1]
local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
local removed = redis.call('ZREM', KEYS[1], token)
redis.call('HDEL', KEYS[2], token)
redis.call('DEL', ARGV[2] .. ':w:' .. token)
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
elseif head == token then
  local nxt = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  local wake = ARGV[2] .. ':w:' .. nxt
  redis.call('RPUSH', wake, '1')
  redis.call('PEXPIRE', wake, 60000)
end
if removed == 1 and head == token then return 1 end
return 0
"""

# KEYS: 1 queue, 2 deadlines; ARGV: 1 token, 2 holder ttl ms. Returns 1 when extended.
_EXTEND = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if head ~= ARGV[1] then return 0 end
local deadline = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if not deadline or deadline <= now then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], now + tonumber(ARGV[2]))
local keep = tonumber(ARGV[2]) + 60000
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < keep then redis.call('PEXPIRE', KEYS[i], keep) end
end
return 1
"""

# KEYS: 1 queue, 2 deadlines; ARGV: 1 token. 1 while the token holds an unexpired lock.
_OWNED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZRANGE', KEYS[1], 0, 0)[1] ~= ARGV[1] then return 0 end
local deadline = tonumber(redis.call('HGET', KEYS[2], ARGV[1]))
if deadline and deadline > now then return 1 end
return 0
"""


def _redis_client(client_or_url: Any, asynchronous: bool):
    if not isinstance(client_or_url, str):
        return client_or_url
    try:
        if asynchronous:
            from redis.asyncio import Redis
        else:
            from redis import Redis
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError('Redis locks need redis-py: pip install redis (or the project\'s "redis" extra)') from exc
    return Redis.from_url(client_or_url)


class _RedisLockBase:
    def __init__(
        self,
        name: str,
        *,
        ttl: float = 30.0,
        wait_timeout: float | None = None,
        waiter_ttl: float = 5.0,
        poll: float = 0.25,
        prefix: str = "assistant:lock",
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a lock name must be a non-empty string, not {name!r}")
        if ttl <= 0 or waiter_ttl <= 0 or poll <= 0:
            raise ValueError("ttl, waiter_ttl and poll must be positive")
        if poll * 2 >= waiter_ttl:
            raise ValueError("poll must be well under waiter_ttl, or waiters drop out of the queue while they wait")
        self.name = name
        self.ttl = ttl
        self.wait_timeout = wait_timeout
        self.waiter_ttl = waiter_ttl
        self.poll = poll
        # One hash tag per conversation: every key of a lock lands on the same Redis Cluster slot.
        self.base = f"{prefix}:{{{name}}}"
        self.keys = [f"{self.base}:q", f"{self.base}:d", f"{self.base}:n"]
        self.token: str | None = None
        self._held = False

    def _acquire_args(self) -> list:
        return [self.token, int(self.waiter_ttl * 1000), int(self.ttl * 1000), self.base]

    def _wake_key(self) -> str:
        return f"{self.base}:w:{self.token}"

    def _timeout(self, timeout: Any) -> float | None:
        return self.wait_timeout if timeout is _UNSET else timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, held={self._held})"


class RedisLock(_RedisLockBase):
    """A fair lock on one name shared through Redis (see the module docstring for the scheme).

    ``ttl``: seconds the holder keeps the lock without :meth:`extend` (its lock timeout);
    ``wait_timeout``: default seconds :meth:`acquire` waits (None: forever);
    ``waiter_ttl``: how long a waiter that stopped polling keeps its place;
    ``poll``: the longest a waiter sleeps between checks (it is woken at once on release).
    """

    def __init__(self, client: Any, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self.client = _redis_client(client, asynchronous=False)
        self._scripts = {n: self.client.register_script(s) for n, s in
                         (("acquire", _ACQUIRE), ("release", _RELEASE), ("extend", _EXTEND), ("owned", _OWNED))}

    def reserve(self) -> "RedisLock":
        """Join the queue now without waiting; :meth:`acquire` (or ``with``) waits for the turn later."""
        if self.token is None:
            self.token = uuid.uuid4().hex
            self._held = self._scripts["acquire"](keys=self.keys, args=self._acquire_args()) == 0
        return self

    def acquire(self, timeout: float | None = _UNSET) -> "RedisLock":
        timeout = self._timeout(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._held:
            return self
        self.token = self.token or uuid.uuid4().hex
        try:
            while True:
                if self._scripts["acquire"](keys=self.keys, args=self._acquire_args()) == 0:
                    self._held = True
                    return self
                wait = self.poll if deadline is None else min(self.poll, deadline - time.monotonic())
                if wait <= 0:
                    raise LockTimeout(f"lock {self.name!r} stayed taken for {timeout} s")
                self.client.blpop([self._wake_key()], timeout=max(wait, 0.01))
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        token, self.token, self._held = self.token, None, False
        if token is not None:
            try:
                self._scripts["release"](keys=self.keys, args=[token, self.base])
            except Exception:  # the place expires by itself
                log.warning("could not leave the queue of lock %r", self.name, exc_info=True)

    def release(self) -> bool:
        """Pass the lock on; ``False`` when it had already expired and been taken by someone else."""
        token, self.token = self.token, None
        held, self._held = self._held, False
        if token is None:
            return False
        still = self._scripts["release"](keys=self.keys, args=[token, self.base]) == 1
        if held and not still:
            log.warning("lock %r had expired (ttl %s s) before it was released", self.name, self.ttl)
        return held and still

    def extend(self, ttl: float | None = None) -> bool:
        """Give the holder ``ttl`` (default: the lock's) more seconds from now; False if it is no longer held."""
        if not self._held or self.token is None:
            return False
        ms = int((ttl or self.ttl) * 1000)
        return self._scripts["extend"](keys=self.keys[:2], args=[self.token, ms]) == 1

    def owned(self) -> bool:
        """Whether this object holds the lock right now (its deadline has not passed)."""
        if self.token is None:
            return False
        return self._scripts["owned"](keys=self.keys[:2], args=[self.token]) == 1

    def __enter__(self) -> "RedisLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class AsyncRedisLock(_RedisLockBase):
    """:class:`RedisLock` for asyncio, on a ``redis.asyncio.Redis`` client (or a URL)."""

    def __init__(self, client: Any, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        self.client = _redis_client(client, asynchronous=True)
        self._scripts = {n: self.client.register_script(s) for n, s in
                         (("acquire", _ACQUIRE), ("release", _RELEASE), ("extend", _EXTEND), ("owned", _OWNED))}

    async def reserve(self) -> "AsyncRedisLock":
        if self.token is None:
            self.token = uuid.uuid4().hex
            self._held = await self._scripts["acquire"](keys=self.keys, args=self._acquire_args()) == 0
        return self

    async def acquire(self, timeout: float | None = _UNSET) -> "AsyncRedisLock":
        timeout = self._timeout(timeout)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        if self._held:
            return self
        self.token = self.token or uuid.uuid4().hex
        try:
            while True:
                if await self._scripts["acquire"](keys=self.keys, args=self._acquire_args()) == 0:
                    self._held = True
                    return self
                wait = self.poll if deadline is None else min(self.poll, deadline - loop.time())
                if wait <= 0:
                    raise LockTimeout(f"lock {self.name!r} stayed taken for {timeout} s")
                await self.client.blpop([self._wake_key()], timeout=max(wait, 0.01))
        except BaseException:
            await asyncio.shield(self._abandon())
            raise

    async def _abandon(self) -> None:
        token, self.token, self._held = self.token, None, False
        if token is not None:
            try:
                await self._scripts["release"](keys=self.keys, args=[token, self.base])
            except Exception:
                log.warning("could not leave the queue of lock %r", self.name, exc_info=True)

    async def release(self) -> bool:
        token, self.token = self.token, None
        held, self._held = self._held, False
        if token is None:
            return False
        still = await self._scripts["release"](keys=self.keys, args=[token, self.base]) == 1
        if held and not still:
            log.warning("lock %r had expired (ttl %s s) before it was released", self.name, self.ttl)
        return held and still

    async def extend(self, ttl: float | None = None) -> bool:
        if not self._held or self.token is None:
            return False
        ms = int((ttl or self.ttl) * 1000)
        return await self._scripts["extend"](keys=self.keys[:2], args=[self.token, ms]) == 1

    async def owned(self) -> bool:
        if self.token is None:
            return False
        return await self._scripts["owned"](keys=self.keys[:2], args=[self.token]) == 1

    async def __aenter__(self) -> "AsyncRedisLock":
        return await self.acquire()

    async def __aexit__(self, *exc) -> None:
        await asyncio.shield(self.release())


class RedisConversationLocks:
    """Per-conversation :class:`RedisLock` s with the shape of :class:`ConversationLocks`.

    ``timeout`` is the default wait; other keyword options go to every :class:`RedisLock`.
    """

    def __init__(self, client_or_url: Any = "redis://localhost:6379/0", *, timeout: float | None = None, **options: Any):
        self.client = _redis_client(client_or_url, asynchronous=False)
        self.timeout = timeout
        self.options = options

    def reserve(self, sender_id: str) -> RedisLock:
        """Join the conversation's queue now; ``with`` the returned lock waits for the turn."""
        return RedisLock(self.client, sender_id, wait_timeout=self.timeout, **self.options).reserve()

    def acquire(self, sender_id: str, timeout: float | None = _UNSET) -> RedisLock:
        lock = RedisLock(self.client, sender_id, wait_timeout=self.timeout, **self.options)
        return lock.acquire(timeout)

    @contextmanager
    def lock(self, sender_id: str, timeout: float | None = _UNSET) -> Iterator[RedisLock]:
        lock = self.acquire(sender_id, timeout)
        try:
            yield lock
        finally:
            lock.release()

    def close(self) -> None:
        self.client.close()


class AsyncRedisConversationLocks:
    """Per-conversation :class:`AsyncRedisLock` s with the shape of :class:`AsyncConversationLocks`."""

    def __init__(self, client_or_url: Any = "redis://localhost:6379/0", *, timeout: float | None = None, **options: Any):
        self.client = _redis_client(client_or_url, asynchronous=True)
        self.timeout = timeout
        self.options = options

    async def reserve(self, sender_id: str) -> AsyncRedisLock:
        return await AsyncRedisLock(self.client, sender_id, wait_timeout=self.timeout, **self.options).reserve()

    async def acquire(self, sender_id: str, timeout: float | None = _UNSET) -> AsyncRedisLock:
        lock = AsyncRedisLock(self.client, sender_id, wait_timeout=self.timeout, **self.options)
        return await lock.acquire(timeout)

    @asynccontextmanager
    async def lock(self, sender_id: str, timeout: float | None = _UNSET) -> AsyncIterator[AsyncRedisLock]:
        lock = await self.acquire(sender_id, timeout)
        try:
            yield lock
        finally:
            await asyncio.shield(lock.release())

    async def close(self) -> None:
        await self.client.aclose()


def create_locks(url: str | None = None, *, asynchronous: bool = False, timeout: float | None = None, **options: Any):
    """Conversation locks for a URL: ``None``/``memory://`` in-process, ``redis://``/``rediss://``/``unix://`` Redis."""
    scheme = (url or "memory://").split(":", 1)[0].lower()
    if scheme == "memory":
        if options:
            raise TypeError(f"in-process locks take no options besides timeout: {sorted(options)}")
        return AsyncConversationLocks(timeout) if asynchronous else ConversationLocks(timeout)
    if scheme in ("redis", "rediss", "unix"):
        cls = AsyncRedisConversationLocks if asynchronous else RedisConversationLocks
        return cls(url, timeout=timeout, **options)
    raise ValueError(f"unsupported lock URL {url!r}; supported: memory://, redis://host:port/db, rediss://..., unix:///path.sock")
