"""Run actions on a rasa-sdk action server (``python -m rasa_sdk --actions ...``) over HTTP.

Every way the call can go wrong becomes an ActionError with a user-safe message; the
server's own error text is kept in ``detail`` for the logs.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from assistant import __version__
from assistant.actions.bridge import (
    BAD_RESPONSE,
    CRASHED,
    TIMEOUT,
    UNREACHABLE,
    ActionError,
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    ActionRunner,
    decode_action_result,
    encode_action_call,
)

logger = logging.getLogger(__name__)

WEBHOOK = "/webhook"


class RemoteActionRunner(ActionRunner):
    """POSTs the protocol's request to ``<url>/webhook``.

    ``url`` is the server's base (``http://localhost:5055``); a URL already ending in
    ``/webhook``, as Rasa's ``endpoints.yml`` writes it, is taken as is. ``timeout`` (seconds)
    bounds connecting and each read.
    """

    def __init__(self, url: str, timeout: float = 10.0, version: str = __version__,
                 headers: dict[str, str] | None = None):
        base = url.rstrip("/")
        if httpx.URL(base).scheme not in ("http", "https"):
            raise ValueError(f"the action server URL must start with http:// or https://, not {url!r}")
        self.webhook_url = base if base.endswith(WEBHOOK) else base + WEBHOOK
        self.timeout = timeout
        self.version = version
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._client = httpx.Client(timeout=timeout, headers=self._headers)

    def run(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        body = encode_action_call(action_name, tracker, domain, self.version)
        try:
            response = self._client.post(self.webhook_url, content=body)
        except httpx.HTTPError as exc:
            raise self._transport_error(action_name, exc) from None
        return self._result(action_name, response)

    async def arun(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        body = encode_action_call(action_name, tracker, domain, self.version)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self._headers) as client:
                response = await client.post(self.webhook_url, content=body)
        except httpx.HTTPError as exc:
            raise self._transport_error(action_name, exc) from None
        return self._result(action_name, response)

    def close(self) -> None:
        self._client.close()

    def _transport_error(self, action_name: str, exc: httpx.HTTPError) -> ActionError:
        if isinstance(exc, httpx.ConnectTimeout):
            error = ActionFailed(action_name, UNREACHABLE,
                                 f"could not connect to {self.webhook_url} within {self.timeout:g} s")
        elif isinstance(exc, httpx.TimeoutException):
            error = ActionFailed(action_name, TIMEOUT, f"{self.webhook_url} gave no answer within {self.timeout:g} s")
        elif isinstance(exc, httpx.TransportError):
            error = ActionFailed(action_name, UNREACHABLE,
                                 f"cannot reach {self.webhook_url} ({type(exc).__name__}: {exc}); "
                                 "is the action server running?")
        else:
            error = ActionFailed(action_name, BAD_RESPONSE, f"{type(exc).__name__}: {exc}")
        logger.warning("%s", error)
        return error

    def _result(self, action_name: str, response: httpx.Response) -> ActionResult:
        body = _json_or_none(response)
        status = response.status_code
        if status == 200 and body is not None:
            return decode_action_result(action_name, body)
        error_text = body.get("error") if isinstance(body, dict) else None
        from_sdk = isinstance(body, dict) and "action_name" in body  # rasa-sdk names the action in 400/404/449
        if status == 400 and from_sdk:
            error: ActionError = ActionRejected(action_name, error_text or "")
        elif status == 404 and from_sdk:
            error = ActionNotFound(action_name, error_text or "")
        elif status == 500:
            error = ActionFailed(action_name, CRASHED, error_text or f"HTTP 500 from {self.webhook_url}")
        elif status == 200:
            error = ActionFailed(action_name, BAD_RESPONSE, f"{self.webhook_url} answered 200 without JSON")
        else:
            hint = "; is this a rasa-sdk action server?" if status == 404 else ""
            error = ActionFailed(action_name, BAD_RESPONSE,
                                 f"HTTP {status} from {self.webhook_url}: {error_text or response.text[:200]}{hint}")
        logger.warning("%s", error)
        raise error


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
