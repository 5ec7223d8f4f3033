"""One user message through the assistant, for every channel of the server.

Keeps each conversation's messages in order of arrival inside this process (a fair per-conversation
queue whose place is taken before anything is awaited), enforces the per-sender rate limit and the
cap on queued messages, and calls ``Assistant.ahandle``, which takes the conversation's lock
(in-process, or Redis across workers) around the turn itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from assistant.server.inbound import ClientError
from assistant.server.ratelimit import RateLimiter, SharedRateLimiter
from assistant.stores.locks import AsyncConversationLocks

if TYPE_CHECKING:
    from assistant.agent import Assistant
    from assistant.server.settings import ServerSettings

__all__ = ["TurnRunner", "TooManyRequests"]


class TooManyRequests(ClientError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


class TurnRunner:
    def __init__(self, assistant: "Assistant", settings: "ServerSettings") -> None:
        self.assistant = assistant
        count, seconds = settings.rate_limit.count, settings.rate_limit.seconds
        # with several workers (Redis) the limit is counted in Redis, across all of them
        self.shared = (SharedRateLimiter(settings.redis_url, count, seconds)
                       if settings.redis_url and count > 0 else None)
        self.limiter = RateLimiter(0 if self.shared else count, seconds)
        self.max_queued = settings.max_queued_per_conversation
        # in-process order only: the assistant's own locks (maybe Redis) guard the turn itself;
        # a second Redis lock on the same name here would wait for itself
        self.order = AsyncConversationLocks()

    def admit(self, sender: str) -> None:
        """Raises :class:`TooManyRequests` when this message must not be handled now (the limit
        shared between workers is checked in :meth:`run`)."""
        retry = self.limiter.hit(sender)
        if retry is not None:
            raise self._too_many(sender, retry)
        if self.order.waiting(sender) >= self.max_queued:
            raise TooManyRequests(f"{self.max_queued} messages of {sender!r} are already waiting; "
                                  "wait for their answers", 1.0)

    def _too_many(self, sender: str, retry: float) -> TooManyRequests:
        limit = self.shared or self.limiter
        return TooManyRequests(f"too many messages from {sender!r}: at most {limit.count} per "
                               f"{limit.seconds:g} s; try again in {retry:.1f} s", retry)

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()

    async def run(self, sender: str, text: str, metadata: Mapping[str, Any] | None,
                  channel: str) -> list[dict[str, Any]]:
        """The bot messages for one message (call :meth:`admit` first). Must be called with no
        ``await`` between the message's arrival and this call, so its place in line is kept.
        Raises :class:`TooManyRequests` when the limit shared between workers is reached."""
        ticket = self.order.reserve(sender)
        if self.shared is not None:
            try:
                retry = await self.shared.hit(sender)
            except BaseException:
                ticket.release()
                raise
            if retry is not None:
                ticket.release()
                raise self._too_many(sender, retry)
        async with ticket:
            return await self.assistant.ahandle(sender, text, metadata, input_channel=channel)
