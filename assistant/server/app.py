"""``create_app(assistant, settings)``: the whole server as one ASGI app around a real ``Assistant``.

socket.io lives at ``/<settings.socketio_path>``; everything else is a Starlette app: the REST channel,
the API, the widget; JSON errors for every status; CORS; the auth gate. The app does not own the
assistant: whoever built it closes it. With ``settings.batch_nlu`` (the default) the assistant's
parser is wrapped in a :class:`~assistant.server.batching.BatchingParser` (the same parses, several
messages per model pass) and turns run on a pool of ``settings.threads`` threads.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import socketio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from assistant.server.api import Api
from assistant.server.auth import Authenticator
from assistant.server.batching import BatchingParser
from assistant.server.httputil import AuthGate, exception_handlers
from assistant.server.rest import RestChannel
from assistant.server.settings import ServerSettings
from assistant.server.socketio_channel import SocketIOChannel
from assistant.server.turns import TurnRunner
from assistant.server.widget import widget_routes

if TYPE_CHECKING:
    from assistant.agent import Assistant

__all__ = ["create_app", "ConciergeApp"]


class ConciergeApp(socketio.ASGIApp):
    """The ASGI app; ``.http`` is the Starlette part, ``.sio`` the socket.io server, ``.runner`` the
    turn runner (rate limiter, in-process order)."""

    http: Starlette
    sio: socketio.AsyncServer
    runner: TurnRunner
    settings: ServerSettings


def _lifespan(settings: ServerSettings, runner: TurnRunner):
    @asynccontextmanager
    async def lifespan(app):
        # turns run on this pool (Assistant.ahandle -> asyncio.to_thread); sized for the load, not the cores
        executor = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="turn")
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            yield
        finally:
            await runner.close()
            executor.shutdown(wait=False, cancel_futures=True)

    return lifespan


def create_app(assistant: "Assistant", settings: ServerSettings | None = None) -> ConciergeApp:
    settings = settings or ServerSettings()
    if settings.batch_nlu and not isinstance(assistant.parser, BatchingParser):
        assistant.parser = BatchingParser(assistant.parser)  # same parses, many per model pass
    authenticator = Authenticator(settings.auth_token, settings.jwt_secret)
    runner = TurnRunner(assistant, settings)
    rest = RestChannel(runner, settings)
    api = Api(assistant, settings)
    sockets = SocketIOChannel(runner, settings, authenticator)

    middleware = []
    if settings.cors_origins:
        middleware.append(Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        ))
    middleware.append(Middleware(AuthGate, authenticator=authenticator))
    http = Starlette(
        routes=[*rest.routes(), *api.routes(), *widget_routes()],
        middleware=middleware,
        exception_handlers=exception_handlers,
        lifespan=_lifespan(settings, runner),
    )
    app = ConciergeApp(sockets.sio, other_asgi_app=http, socketio_path=settings.socketio_path.strip("/"))
    app.http, app.sio, app.runner, app.settings = http, sockets.sio, runner, settings
    return app
