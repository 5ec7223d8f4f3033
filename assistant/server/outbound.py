"""What the server sends: bot messages in the socket.io widget dialect, NDJSON lines, JSON errors.

Pure logic. REST replies are the assistant's messages as they are (Rasa's REST shape).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

__all__ = ["socketio_payloads", "ndjson_lines", "error_body"]


def socketio_payloads(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One REST-shaped bot message as the ``bot_uttered`` payloads ``rasa-webchat`` understands.

    Text (with buttons as ``quick_replies``) first, then an image, an attachment, custom JSON, each
    its own payload, as Rasa's socket.io channel sends them. Never a ``recipient_id``: the widget
    drops payloads with keys it does not know.
    """
    out: list[dict[str, Any]] = []
    text = message.get("text")
    buttons = [b for b in message.get("buttons") or [] if isinstance(b, Mapping)]
    if text is not None or buttons:
        payload: dict[str, Any] = {"text": "" if text is None else str(text)}
        if buttons:
            payload["quick_replies"] = [
                {"content_type": "text", "title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in buttons
            ]
        out.append(payload)
    image = message.get("image")
    if image:
        out.append({"attachment": {"type": "image", "payload": {"src": image}}})
    attachment = message.get("attachment")
    if attachment:
        out.append({"attachment": attachment})
    custom = message.get("custom")
    if custom is not None:
        out.append(dict(custom) if isinstance(custom, Mapping) else {"custom": custom})
    return out


def ndjson_lines(messages: Iterable[Mapping[str, Any]]) -> Iterable[bytes]:
    for message in messages:
        yield (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "status": status, **extra}
