"""A real socket.io test client speaking Rasa's dialect: session_request -> session_confirm, then
user_uttered in, bot_uttered and assistant_error out (each kept in its own queue)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import socketio


@dataclass
class SocketSession:
    client: socketio.AsyncClient
    session: str
    answers: asyncio.Queue
    errors: asyncio.Queue

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session})

    async def close(self) -> None:
        await self.client.disconnect()


async def open_session(url: str, session_id: str | None = None, timeout: float = 10) -> SocketSession:
    """Connect over websocket and ask for ``session_id`` (None: a new one); returns once confirmed."""
    client = socketio.AsyncClient()
    answers, errors = asyncio.Queue(), asyncio.Queue()
    client.on("bot_uttered", lambda data: answers.put_nowait(data))
    client.on("assistant_error", lambda data: errors.put_nowait(data))
    confirmed = asyncio.get_running_loop().create_future()
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    await client.connect(url, transports=["websocket"])
    await client.emit("session_request", {"session_id": session_id})
    return SocketSession(client, await asyncio.wait_for(confirmed, timeout), answers, errors)
