"""The socket.io channel that ``rasa-webchat`` (and our own widget) talk to (protocols.md).

``connect`` (credentials in the connect ``auth`` ``{"token": ...}``, or ``?token=``) ->
``session_request {"session_id": id | null}`` -> ``session_confirm <id>`` (a new uuid4 hex for
null) -> ``user_uttered {"message", "session_id", "customData"}`` -> one ``bot_uttered`` per bot
message, sent to the session's room (every socket of that session, on any worker when a Redis
message queue links them). A client mistake is answered with an ``assistant_error`` event
``{"error", "status"}`` (rate limit and size also with a ``bot_uttered`` note the widget shows).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import socketio

from assistant.server.auth import AuthError, Authenticator, Principal
from assistant.server.cors import socketio_origin_check
from assistant.server.inbound import ClientError, requested_session, socket_message
from assistant.server.outbound import error_body, socketio_payloads
from assistant.server.settings import ServerSettings
from assistant.server.turns import TooManyRequests, TurnRunner

__all__ = ["SocketIOChannel", "ERROR_EVENT"]

logger = logging.getLogger(__name__)

ERROR_EVENT = "assistant_error"


@dataclass
class _Socket:
    principal: Principal
    session_id: str | None = None


class SocketIOChannel:
    def __init__(self, runner: TurnRunner, settings: ServerSettings, authenticator: Authenticator) -> None:
        self.runner = runner
        self.settings = settings
        self.authenticator = authenticator
        manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=socketio_origin_check(settings.cors_origins),
            max_http_buffer_size=settings.max_body_bytes,
            logger=False,
            engineio_logger=False,
        )
        self._sockets: dict[str, _Socket] = {}
        self.sio.on("connect", self.connect)
        self.sio.on("disconnect", self.disconnect)
        self.sio.on("session_request", self.session_request)
        self.sio.on("user_uttered", self.user_uttered)

    # ------------------------------------------------------------ events
    async def connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        presented = auth.get("token") if isinstance(auth, dict) else None
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            principal = self.authenticator.authenticate(
                authorization=environ.get("HTTP_AUTHORIZATION"),
                query_token=(query.get("token") or [None])[0],
                presented=presented if isinstance(presented, str) else None,
            )
        except AuthError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
        self._sockets[sid] = _Socket(principal)

    async def disconnect(self, sid: str, *args: Any) -> None:
        self._sockets.pop(sid, None)

    async def session_request(self, sid: str, data: Any = None) -> None:
        state = self._sockets.get(sid)
        if state is None:
            return
        try:
            session_id = requested_session(data)
            if session_id is None:
                session_id = state.principal.username if not state.principal.is_admin else uuid.uuid4().hex
            Authenticator.check_sender(state.principal, session_id)
        except (ClientError, AuthError) as exc:
            await self._error(sid, exc)
            return
        await self._join(sid, state, session_id)
        await self.sio.emit("session_confirm", session_id, to=sid)

    async def user_uttered(self, sid: str, data: Any = None) -> None:
        # nothing may be awaited before the turn takes its place in line (runner.run)
        state = self._sockets.get(sid)
        if state is None:
            return
        try:
            text, session_id, metadata = socket_message(data, self.settings.max_message_bytes)
            sender = self._sender(sid, state, session_id)
            Authenticator.check_sender(state.principal, sender)
            self.runner.admit(sender)
        except TooManyRequests as exc:
            await self._error(sid, exc, note=f"You're sending messages faster than I can answer. "
                                             f"Please wait {max(1, round(exc.retry_after))} s.")
            return
        except (ClientError, AuthError) as exc:
            note = "That message is too long for me; please send a shorter one." if getattr(exc, "status", 0) == 413 else None
            await self._error(sid, exc, note=note)
            return
        joined = state.session_id == sender
        try:
            messages = await self.runner.run(sender, text, metadata, self.settings.socketio_channel)
            if not joined and sid in self._sockets:  # a client gone mid-turn has no room to join
                await self._join(sid, state, sender)
            for message in messages:
                for payload in socketio_payloads(message):
                    await self.sio.emit("bot_uttered", payload, room=sender)
        except TooManyRequests as exc:  # the limit shared between workers
            await self._error(sid, exc, note=f"You're sending messages faster than I can answer. "
                                             f"Please wait {max(1, round(exc.retry_after))} s.")
        except Exception:  # never let a turn kill the connection's handler
            if sid not in self._sockets:  # the client left while we answered: nobody to tell, nothing wrong
                logger.debug("socket.io client %s left during its turn", sid, exc_info=True)
            else:
                logger.exception("socket.io turn of %s failed", sender)

    # ------------------------------------------------------------ helpers
    def _sender(self, sid: str, state: _Socket, session_id: str | None) -> str:
        """The conversation of this message: the socket's confirmed session; a client that skipped
        ``session_request`` names it in ``session_id`` (joined then); with neither, the socket id."""
        if state.session_id is not None:
            if session_id is not None and session_id != state.session_id:
                raise ClientError(400, f"session_id {session_id!r} is not this connection's session "
                                       f"{state.session_id!r}; send session_request to switch")
            return state.session_id
        if session_id is not None:
            return session_id
        if not state.principal.is_admin and state.principal.username:
            return state.principal.username
        return sid

    async def _join(self, sid: str, state: _Socket, session_id: str) -> None:
        if state.session_id == session_id:
            return
        if state.session_id is not None:
            await self.sio.leave_room(sid, state.session_id)
        state.session_id = session_id
        await self.sio.enter_room(sid, session_id)

    async def _error(self, sid: str, exc: Exception, note: str | None = None) -> None:
        status = getattr(exc, "status", 400)
        message = getattr(exc, "message", str(exc))
        extra = {"retry_after": round(exc.retry_after, 3)} if isinstance(exc, TooManyRequests) else {}
        try:
            await self.sio.emit(ERROR_EVENT, error_body(status, message, **extra), to=sid)
            if note:
                await self.sio.emit("bot_uttered", {"text": note}, to=sid)
        except Exception:
            logger.debug("could not tell %s about an error", sid, exc_info=True)
