"""Run an ASGI app under uvicorn on a background thread (tests, benchmarks, notebooks).

    with BackgroundServer(create_app(assistant)) as server:
        httpx.post(server.url + "/webhooks/rest/webhook", json={...})
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

__all__ = ["BackgroundServer", "bind_socket"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; ``OSError`` with a message saying what to do when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise OSError(exc.errno, f"port {port} on {host} is already in use: stop the program using it "
                                     f"(e.g. `lsof -i :{port}`) or pick another with --port") from None
        if exc.errno in (13, 10013):
            raise OSError(exc.errno, f"no permission to listen on port {port}: pick one above 1023 with --port") from None
        if exc.errno in (99, -2, -3, 11001):
            raise OSError(exc.errno, f"cannot listen on {host!r}: not an address of this machine; "
                                     "use --host 127.0.0.1 or 0.0.0.0") from None
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class BackgroundServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        config.setdefault("log_level", "warning")
        config.setdefault("lifespan", "on")
        self.sock = bind_socket(host, port)
        self.host, self.port = self.sock.getsockname()[:2]
        self.config = uvicorn.Config(app, **config)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # surfaced by start()
            self.error = exc

    def start(self, timeout: float = 30.0) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"the server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start in {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "BackgroundServer":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()
