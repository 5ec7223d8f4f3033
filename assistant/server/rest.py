"""Rasa's REST channel: ``POST /webhooks/rest/webhook`` and ``GET /webhooks/rest/`` (protocols.md).

The reply is the assistant's bot messages as a JSON array, exactly what the REPL prints; with
``?stream=true`` the same messages as newline-delimited JSON.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from assistant.server.auth import Authenticator
from assistant.server.httputil import SafeJSONResponse, principal_of, read_body
from assistant.server.inbound import parse_json_body, webhook_message
from assistant.server.outbound import ndjson_lines
from assistant.server.settings import ServerSettings
from assistant.server.turns import TurnRunner

__all__ = ["RestChannel"]

_TRUE = ("true", "1", "yes", "on")


class RestChannel:
    def __init__(self, runner: TurnRunner, settings: ServerSettings) -> None:
        self.runner = runner
        self.settings = settings

    def routes(self) -> list[Route]:
        return [
            Route("/webhooks/rest/webhook", self.webhook, methods=["POST"]),
            Route("/webhooks/rest/", self.health, methods=["GET"]),
            Route("/webhooks/rest", self.health, methods=["GET"]),
        ]

    async def health(self, request: Request) -> Response:
        return SafeJSONResponse({"status": "ok"})

    async def webhook(self, request: Request) -> Response:
        body = await read_body(request, self.settings.max_body_bytes)
        message = webhook_message(parse_json_body(body), self.settings.max_message_bytes)
        Authenticator.check_sender(principal_of(request), message.sender)
        self.runner.admit(message.sender)
        messages = await self.runner.run(message.sender, message.text, message.metadata, self.settings.rest_channel)
        if request.query_params.get("stream", "").lower() in _TRUE:
            return StreamingResponse(ndjson_lines(messages), media_type="application/x-ndjson")
        return SafeJSONResponse(messages)
