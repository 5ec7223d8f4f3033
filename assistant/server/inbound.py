"""What clients send, checked: REST webhook bodies, ``/model/parse`` bodies, socket.io payloads.

Pure logic. Anything wrong raises :class:`ClientError` with the HTTP status and a message saying
what is wrong and how it should look; the channels answer it as JSON (REST) or an error event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["ClientError", "UserMessage", "parse_json_body", "webhook_message", "parse_request_text",
           "check_sender", "check_text", "socket_message", "requested_session", "MAX_SENDER_CHARS"]

MAX_SENDER_CHARS = 255
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class UserMessage:
    sender: str
    text: str
    metadata: dict[str, Any] | None


def parse_json_body(body: bytes) -> Any:
    if not body.strip():
        raise ClientError(400, "the request body is empty; send a JSON object")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
    except UnicodeDecodeError:
        raise ClientError(400, "the request body is not UTF-8 text; send a UTF-8 JSON object") from None
    except RecursionError:
        raise ClientError(400, "the JSON body is nested too deeply") from None
    except ValueError as exc:
        raise ClientError(400, f"the request body is not valid JSON ({exc})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def check_sender(sender: Any, field: str = "sender") -> str:
    if not isinstance(sender, str):
        raise ClientError(400, f"{field} must be a string (the conversation id), not {_json_type(sender)}")
    if not sender:
        raise ClientError(400, f"{field} must not be empty")
    if len(sender) > MAX_SENDER_CHARS:
        raise ClientError(400, f"{field} is {len(sender)} characters long; at most {MAX_SENDER_CHARS}")
    if _CONTROL.search(sender):
        raise ClientError(400, f"{field} must not contain control characters")
    if _has_surrogates(sender):
        raise ClientError(400, f"{field} must be valid Unicode text (it holds a lone surrogate)")
    return sender


def check_text(text: Any, max_bytes: int, field: str = "message") -> str:
    if not isinstance(text, str):
        raise ClientError(400, f"{field} must be a string, not {_json_type(text)}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ClientError(413, f"{field} is {size} bytes; the limit is {max_bytes} (--max-message-bytes)")
    # lone surrogates (legal in JSON escapes, not in UTF-8) would break the store: replace them
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text


def _metadata(value: Any, field: str = "metadata") -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ClientError(400, f"{field} must be a JSON object, not {_json_type(value)}")
    return value


def webhook_message(data: Any, max_bytes: int) -> UserMessage:
    """``{"sender": str, "message": str, "metadata": {...}?}`` (Rasa's REST channel)."""
    if not isinstance(data, dict):
        raise ClientError(400, f'the body must be a JSON object {{"sender": ..., "message": ...}}, not {_json_type(data)}')
    if "sender" not in data:
        raise ClientError(400, 'the body needs "sender" (the conversation id)')
    if "message" not in data:
        raise ClientError(400, 'the body needs "message" (the user\'s text)')
    sender = check_sender(data["sender"])
    text = check_text(data["message"], max_bytes)
    return UserMessage(sender, text, _metadata(data.get("metadata")))


def parse_request_text(data: Any, max_bytes: int) -> str:
    """``{"text": str}`` for ``POST /model/parse``."""
    if not isinstance(data, dict):
        raise ClientError(400, f'the body must be a JSON object {{"text": ...}}, not {_json_type(data)}')
    if "text" not in data:
        raise ClientError(400, 'the body needs "text"')
    return check_text(data["text"], max_bytes, "text")


def socket_message(data: Any, max_bytes: int) -> tuple[str, str | None, dict[str, Any] | None]:
    """socket.io ``user_uttered``: ``{"message": str, "session_id": str?, "customData": {...}?}``
    (``metadata`` is taken too) -> (text, session id or None, metadata)."""
    if not isinstance(data, dict):
        raise ClientError(400, f'user_uttered needs an object {{"message": ..., "session_id": ...}}, not {_json_type(data)}')
    if "message" not in data:
        raise ClientError(400, 'user_uttered needs "message"')
    text = check_text(data["message"], max_bytes)
    session = data.get("session_id")
    session = check_sender(session, "session_id") if session is not None else None
    metadata = data.get("customData") if data.get("customData") is not None else data.get("metadata")
    return text, session, _metadata(metadata, "customData")


def requested_session(data: Any) -> str | None:
    """socket.io ``session_request``: the session id asked for, None for a new one."""
    if isinstance(data, Mapping):
        value = data.get("session_id")
    elif isinstance(data, str):
        value = data
    else:
        value = None
    if value is None or value == "":
        return None
    return check_sender(value, "session_id")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
