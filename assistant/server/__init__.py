"""``assistant serve``: the assistant over HTTP.

One ASGI app (:func:`create_app`) around a real :class:`~assistant.agent.Assistant`:

* ``rest``: Rasa's REST channel (``POST /webhooks/rest/webhook``, ``GET /webhooks/rest/``);
* ``socketio_channel``: socket.io at ``/socket.io`` in the dialect of ``rasa-webchat``;
* ``api``: ``POST /model/parse``, ``GET /conversations/{id}/tracker``, ``GET /health``, ``GET /version``;
* ``widget``: our own chat widget (``GET /widget.js``, ``static/widget.js``) and a demo page (``GET /``).

Pure logic lives apart from the I/O: ``settings`` (flags), ``auth`` (token / JWT, who may use which
conversation), ``ratelimit``, ``inbound`` (checking what clients send), ``outbound`` (socket.io
payloads, NDJSON, error bodies), ``cors``; ``turns`` runs one message through the assistant in order;
``batching`` sends the messages waiting at the same moment through the NLU model together;
``httputil`` holds the JSON errors and the auth gate; ``serve`` is the command; ``background`` runs
an app on a thread (tests, benchmarks).
"""

from assistant.server.settings import RateLimit, ServerSettings, SettingsError, parse_origins, parse_rate_limit

__all__ = ["create_app", "ServerSettings", "RateLimit", "SettingsError", "parse_rate_limit", "parse_origins",
           "BackgroundServer"]


def __getattr__(name: str):
    # the web stack is imported only when an app is built
    if name == "create_app":
        from assistant.server.app import create_app

        return create_app
    if name == "BackgroundServer":
        from assistant.server.background import BackgroundServer

        return BackgroundServer
    raise AttributeError(name)
