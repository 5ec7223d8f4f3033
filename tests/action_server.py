"""A real rasa-sdk action server for tests: ``python -m rasa_sdk --actions <module> -p <port>``.

    with action_servers(tmp_dir, default="data.actions") as servers:
        RemoteActionRunner(servers["default"].url)

Each server is a subprocess in its own process group on a free local port, with its log in
``tmp_dir``; test modules start theirs once, from a module-scoped fixture.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

__all__ = ["ROOT", "TESTS", "ActionServer", "action_servers", "free_port"]

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ActionServer:
    """`python -m rasa_sdk --actions <module> -p <port>` as a subprocess (its own process group)."""

    def __init__(self, module: str, log_path: Path, pythonpath: list[Path] = ()):
        self.module = module
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = dict(os.environ, SANIC_HOST="127.0.0.1", ACTION_SERVER_SANIC_WORKERS="1",
                   PYTHONPATH=os.pathsep.join([str(ROOT), *map(str, pythonpath), os.environ.get("PYTHONPATH", "")]))
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", module, "-p", str(self.port)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_healthy(self, deadline_s: float = 60.0) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).json() == {"status": "ok"}:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"action server did not come up on {self.url}:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # Sanic's manager stops its worker processes on SIGTERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


@contextmanager
def action_servers(log_dir: Path, pythonpath: list[Path] = (), **modules: str) -> Iterator[dict[str, ActionServer]]:
    """Servers for ``name=actions_module`` pairs, started together, healthy on entry, stopped on exit."""
    started = {name: ActionServer(module, Path(log_dir) / f"{name}.log", pythonpath)
               for name, module in modules.items()}
    try:
        for server in started.values():
            server.wait_healthy()
        yield started
    finally:
        for server in started.values():
            server.stop()
