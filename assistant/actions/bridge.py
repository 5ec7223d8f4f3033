"""What every action runner shares: the request on the wire, the result, the errors users may see.

The JSON of rasa-sdk's action-server protocol is the data model (../shared/protocols.md):
the assistant sends ``{"next_action", "sender_id", "tracker", "domain", "version"}`` and gets
``{"events": [...], "responses": [...]}`` back. Both runners encode the request with
:func:`encode_action_call` and decode the reply with :func:`decode_action_result`, so an
in-process run sees exactly the JSON a remote server would.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from assistant import __version__

# Why an action failed, as ActionError.reason.
REJECTED = "rejected"  # the action raised ActionExecutionRejection (HTTP 400)
NOT_FOUND = "not_found"  # no action of that name is registered (HTTP 404)
CRASHED = "crashed"  # the action raised (HTTP 500), or its result is not JSON
TIMEOUT = "timeout"  # no answer within the runner's timeout
UNREACHABLE = "unreachable"  # connection refused, DNS failure, ...
BAD_RESPONSE = "bad_response"  # the server answered something that is not the protocol

_USER_MESSAGES = {
    REJECTED: "Sorry, I couldn't do that with the details I have. Could you check them?",
    NOT_FOUND: "Sorry, I can't do that yet: that service isn't available.",
    CRASHED: "Sorry, something went wrong on my side and I couldn't finish that. "
    "I've kept your details, so we can try again.",
    TIMEOUT: "Sorry, the service took too long to answer, so I couldn't finish that. "
    "I've kept your details, so we can try again.",
    UNREACHABLE: "Sorry, I can't reach the booking service right now. "
    "I've kept your details, so we can try again in a moment.",
    BAD_RESPONSE: "Sorry, something went wrong on my side and I couldn't finish that. "
    "I've kept your details, so we can try again.",
}


class ActionError(Exception):
    """An action that did not run to completion.

    ``user_message`` is safe to show (an apology, no internals); ``detail`` is for logs.
    """

    def __init__(self, action_name: str, reason: str, detail: str = ""):
        self.action_name = action_name
        self.reason = reason
        self.detail = detail
        self.user_message = _USER_MESSAGES[reason]
        summary = f"action '{action_name}' {reason.replace('_', ' ')}"
        super().__init__(f"{summary}: {detail}" if detail else summary)


class ActionRejected(ActionError):
    """The action refused to run (rasa-sdk's ActionExecutionRejection); the dialogue may go on."""

    def __init__(self, action_name: str, detail: str = ""):
        super().__init__(action_name, REJECTED, detail)


class ActionNotFound(ActionError):
    """No action of that name is registered with the runner."""

    def __init__(self, action_name: str, detail: str = ""):
        super().__init__(action_name, NOT_FOUND, detail)


class ActionFailed(ActionError):
    """The action crashed, timed out, or its server could not be reached or understood."""


@dataclass(frozen=True)
class ActionResult:
    """Events to apply in order, and bot messages to send (rasa-sdk's response shape)."""

    events: list[dict] = field(default_factory=list)
    responses: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"events": self.events, "responses": self.responses}


class ActionRunner(ABC):
    """Runs one action on a tracker; every implementation gives the same result for the same input."""

    @abstractmethod
    def run(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        """Run ``action_name``; raise ActionRejected, ActionNotFound or ActionFailed if it does not complete."""

    @abstractmethod
    async def arun(self, action_name: str, tracker: dict, domain: dict) -> ActionResult:
        """``run`` for callers inside an event loop."""

    def close(self) -> None:
        """Release connections or loops; the runner is not used afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def encode_action_call(action_name: str, tracker: dict, domain: dict, version: str = __version__) -> bytes:
    """The request body of protocols.md, as UTF-8 JSON bytes."""
    if not action_name or not isinstance(action_name, str):
        raise ValueError(f"an action name must be a non-empty string, not {action_name!r}")
    sender_id = tracker.get("sender_id") if isinstance(tracker, dict) else None
    if not sender_id:
        raise ValueError(f"cannot run '{action_name}': the tracker has no 'sender_id' (it must be a tracker dict)")
    if not isinstance(domain, dict):
        raise ValueError(f"cannot run '{action_name}': the domain must be a dict, not {type(domain).__name__}")
    call = {"next_action": action_name, "sender_id": sender_id, "tracker": tracker, "domain": domain,
            "version": version}
    try:
        return json.dumps(call, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot run '{action_name}': the tracker or domain is not plain JSON ({exc})") from None


def decode_action_result(action_name: str, payload: Any) -> ActionResult:
    """Check a reply's shape: ``{"events": [dict, ...], "responses": [dict, ...]}``."""
    if not isinstance(payload, dict):
        raise ActionFailed(action_name, BAD_RESPONSE, f"expected a JSON object, got {type(payload).__name__}")
    events, responses = payload.get("events", []), payload.get("responses", [])
    for key, value in (("events", events), ("responses", responses)):
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ActionFailed(action_name, BAD_RESPONSE, f"'{key}' must be a list of objects")
    return ActionResult(events=events, responses=responses)
