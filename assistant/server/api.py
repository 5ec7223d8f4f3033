"""The HTTP API around the channels: NLU-only parse, a conversation's tracker, health, version."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from assistant import __version__
from assistant.server.auth import Authenticator
from assistant.server.httputil import SafeJSONResponse, principal_of, read_body
from assistant.server.inbound import check_sender, parse_json_body, parse_request_text
from assistant.server.settings import ServerSettings

if TYPE_CHECKING:
    from assistant.agent import Assistant

__all__ = ["Api"]


class Api:
    def __init__(self, assistant: "Assistant", settings: ServerSettings) -> None:
        self.assistant = assistant
        self.settings = settings

    def routes(self) -> list[Route]:
        return [
            Route("/model/parse", self.parse, methods=["POST"]),
            Route("/conversations/{sender_id:path}/tracker", self.tracker, methods=["GET"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/version", self.version, methods=["GET"]),
        ]

    async def parse(self, request: Request) -> Response:
        """``{"text": ...}`` -> the NLU's reading (intent, ranking, entities); no conversation changes."""
        Authenticator.check_admin(principal_of(request), "parse text with /model/parse")
        body = await read_body(request, self.settings.max_body_bytes)
        text = parse_request_text(parse_json_body(body), self.settings.max_message_bytes)
        parse = await asyncio.to_thread(self.assistant.parse, text)
        return SafeJSONResponse(parse.to_dict())

    async def tracker(self, request: Request) -> Response:
        sender = check_sender(request.path_params["sender_id"], "the conversation id")
        Authenticator.check_sender(principal_of(request), sender)
        return SafeJSONResponse(await asyncio.to_thread(self.assistant.tracker, sender))

    async def health(self, request: Request) -> Response:
        return SafeJSONResponse({"status": "ok"})

    async def version(self, request: Request) -> Response:
        return SafeJSONResponse({"version": __version__})
