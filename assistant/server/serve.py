"""``assistant serve``: flags -> settings -> an assistant -> the app under uvicorn (1 or N workers).

The port is bound first (so "port in use" is said at once, and a client that connects while the
model loads just waits), then the assistant is loaded, then uvicorn serves. With ``--workers N``
every worker process builds its own assistant from the same options (passed in an environment
variable) and they share the listening socket; conversations stay consistent through the shared
store, Redis locks and the Redis socket.io message queue.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path
from typing import Any

from assistant.server.settings import ServerSettings, SettingsError, parse_origins, parse_rate_limit

__all__ = ["settings_from_args", "run_from_args", "app_from_environment", "build_assistant"]

ENV = "ASSISTANT_SERVE_OPTIONS"
_NEEDS = (("starlette", "starlette"), ("uvicorn", "uvicorn"), ("socketio", "python-socketio"),
          ("engineio", "python-engineio"), ("jwt", "pyjwt"))


def settings_from_args(args: Any) -> ServerSettings:
    return ServerSettings(
        host=args.host,
        port=args.port,
        auth_token=args.auth_token,
        jwt_secret=args.jwt_secret,
        cors_origins=parse_origins(args.cors),
        workers=args.workers,
        redis_url=args.redis,
        max_message_bytes=args.max_message_bytes,
        rate_limit=parse_rate_limit(args.rate_limit),
    )


def assistant_options(args: Any) -> dict[str, Any]:
    return {"data": args.data, "model": args.model, "store": args.store, "actions": args.actions}


def build_assistant(options: dict[str, Any], redis_url: str | None = None):
    """The assistant the options name; its conversation locks in Redis when ``redis_url`` is given."""
    from assistant.agent import Assistant

    extra: dict[str, Any] = {}
    if redis_url:
        from assistant.stores.locks import create_locks

        extra["locks"] = create_locks(redis_url, timeout=60.0)
    return Assistant.from_config(options.get("data"), _model_dir(options), options.get("store"),
                                 options.get("actions"), **extra)


def _model_dir(options: dict[str, Any]) -> str | Path | None:
    """The model to load; for the default one, its cache folder when already trained (which spares
    importing the trainer), else None so that ``from_config`` trains it."""
    if options.get("model"):
        return options["model"]
    from assistant.default_model import model_dir_for
    from assistant.paths import default_data_dir
    from nlu.artifacts import is_model_dir

    data = Path(options["data"]) if options.get("data") else default_data_dir()
    target = model_dir_for(data)
    return target if is_model_dir(target) else None


def app_from_environment():
    """uvicorn's app factory in each worker process (``--workers N``)."""
    from assistant.server.app import create_app

    spec = json.loads(os.environ[ENV])
    settings = ServerSettings.from_json(spec["settings"])
    assistant = build_assistant(spec["assistant"], settings.redis_url)
    atexit.register(assistant.close)
    return create_app(assistant, settings)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _check_multiworker(settings: ServerSettings, store: str | None) -> str | None:
    if settings.workers == 1:
        return None
    if not settings.redis_url:
        return (f"--workers {settings.workers} needs --redis redis://HOST:PORT/0: the workers share each "
                "conversation's lock and the socket.io rooms through Redis (or use --workers 1)")
    if store is not None and store.strip().lower().startswith("memory"):
        return ("--store memory:// keeps conversations inside one process; with several workers use "
                "--store postgresql://... or sqlite:///file.db")
    return None


def _warnings(settings: ServerSettings) -> list[str]:
    out = []
    if not settings.auth_required:
        if settings.is_local_only:
            out.append(f"warning: no --auth-token or --jwt-secret, so the server listens on {settings.host} "
                       "only (this machine): anyone who can reach it may chat as any sender and read every "
                       "conversation. Add auth before opening it up with --host.")
        else:
            out.append(f"warning: no --auth-token or --jwt-secret and listening on {settings.host}: anyone on "
                       "the network may chat as any sender and read every conversation. Add --auth-token "
                       "or --jwt-secret, or use --host 127.0.0.1.")
    if settings.workers > 1:
        out.append(f"note: {settings.workers} workers share the port: socket.io clients that start with "
                   "long-polling (rasa-webchat) need a load balancer with sticky sessions in front; "
                   "websocket-only clients (our widget) and REST work as they are. The rate limit is "
                   "counted in Redis, for all workers together.")
    return out


def run_from_args(args: Any) -> int:
    needs = _NEEDS + ((("redis", "redis"),) if args.redis else ())
    missing = [pip for module, pip in needs if not _importable(module)]
    if missing:
        return _error(f"assistant serve needs {', '.join(missing)}: pip install {' '.join(missing)} "
                      "(or reinstall the project: pip install -e .)")
    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        return _error(str(exc))
    problem = _check_multiworker(settings, args.store)
    if problem:
        return _error(problem)

    import uvicorn

    from assistant.server.background import bind_socket

    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        return _error(exc.strerror or str(exc))
    for line in _warnings(settings):
        print(line, file=sys.stderr)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{sock.getsockname()[1]}"
    options = assistant_options(args)
    print(f"loading the assistant; then serving on {url} (chat: POST {url}/webhooks/rest/webhook, "
          f"socket.io: {url}/{settings.socketio_path}/, widget demo: {url}/)", file=sys.stderr, flush=True)
    log_level = "info"
    try:
        if settings.workers == 1:
            from assistant.server.app import create_app

            assistant = build_assistant(options, settings.redis_url)
            try:
                config = uvicorn.Config(create_app(assistant, settings), host=settings.host,
                                        port=sock.getsockname()[1], log_level=log_level,
                                        lifespan="on", timeout_graceful_shutdown=5)
                uvicorn.Server(config).run(sockets=[sock])
            finally:
                assistant.close()
        else:
            from uvicorn.supervisors import Multiprocess

            if not options.get("model"):  # train the default model once, not in every worker
                from assistant.default_model import ensure_default_model

                options["model"] = str(ensure_default_model(Path(options["data"]) if options.get("data") else None))
            os.environ[ENV] = json.dumps({"settings": settings.to_json(), "assistant": options})
            config = uvicorn.Config("assistant.server.serve:app_from_environment", factory=True,
                                    host=settings.host, port=sock.getsockname()[1],
                                    workers=settings.workers, log_level=log_level, lifespan="on",
                                    timeout_graceful_shutdown=5)
            _multiprocess(Multiprocess, config, sock).run()
    finally:
        sock.close()
    return 0


def _multiprocess(supervisor: Any, config: Any, sock: Any) -> Any:
    """uvicorn's worker supervisor (it took a ``target`` before uvicorn 0.30-something, not since)."""
    import inspect

    import uvicorn

    if "target" in inspect.signature(supervisor.__init__).parameters:
        return supervisor(config, target=uvicorn.Server(config).run, sockets=[sock])
    return supervisor(config, sockets=[sock])


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
