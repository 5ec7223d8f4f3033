"""Throwaway real servers for tests: a PostgreSQL cluster and a Redis server on free local ports.

Both run as child processes of the test session, on 127.0.0.1 only, in temporary directories that
are removed afterwards. A test is skipped only when the server's binaries are not installed
(``.ci/run`` installs them); any other failure to start is an error with the server's log.

PostgreSQL: ``initdb`` (trust auth, no fsync) then the ``postgres`` binary itself in the
foreground, so the fixture owns its process. PostgreSQL refuses to run as root, so when the tests
run as root the cluster belongs to the ``postgres`` system user (created by the Debian package;
``nobody`` otherwise), its directory is chowned to that user, and both programs are started with
``subprocess``'s ``user=``. Binaries come from PATH or the newest ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["find_postgres_bin", "PostgresServer", "RedisServer", "free_port"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _version_key(path: str) -> tuple:
    version = Path(path).parent.name  # /usr/lib/postgresql/<version>/bin
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def find_postgres_bin() -> Path | None:
    """The directory holding ``initdb`` and ``postgres``, or None when PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        folder = Path(os.path.realpath(initdb)).parent
        if (folder / "postgres").exists():
            return folder
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for folder in candidates + sorted(glob.glob("/usr/pgsql-*/bin"), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK) and os.access(os.path.join(folder, "postgres"), os.X_OK):
            return Path(folder)
    return None


def _wait_until(check, process: subprocess.Popen, timeout: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} while starting:\n{_tail(log)}")
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up in {timeout} s ({last}):\n{_tail(log)}")


def _tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class _Server:
    """A throwaway server as a context manager: started on enter, always stopped (also when start fails)."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class PostgresServer(_Server):
    """``with PostgresServer() as pg: pg.new_database()`` gives a DSN to an empty database."""

    bin_dir: Path
    port: int = 0
    user: str = "test"
    root: Path | None = None
    process: subprocess.Popen | None = None
    _run_as: str | None = field(default=None, repr=False)

    @classmethod
    def available(cls) -> str | None:
        """None when a cluster can be started here, else why not (for pytest.skip)."""
        if find_postgres_bin() is None:
            return "PostgreSQL is not installed (no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin)"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return 'psycopg is not installed (pip install "psycopg[binary]")'
        return None

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def _owner(self) -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise RuntimeError("running as root and there is neither a 'postgres' nor a 'nobody' user to own the cluster")

    def start(self) -> None:
        # mkdtemp under /tmp (not pytest's tmp_path, whose parents are root-only): the owner must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        data = self.root / "data"
        log = self.root / "server.log"
        self._run_as = self._owner()
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        kwargs = {"user": self._run_as} if self._run_as else {}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        init = subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(data), "-U", self.user, "-A", "trust", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            capture_output=True, text=True, cwd=self.root, env=env, **kwargs,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        for attempt in range(3):
            self.port = free_port()
            with open(log, "ab") as out:
                self.process = subprocess.Popen(
                    [str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
                     "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
                     "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                     "-c", "max_connections=50", "-c", "shared_buffers=16MB"],
                    stdout=out, stderr=subprocess.STDOUT, cwd=self.root, env=env, start_new_session=True, **kwargs,
                )
            try:
                _wait_until(self._ready, self.process, 30, "postgres", log)
                return
            except RuntimeError:
                if self.process.poll() is not None and "could not bind" in _tail(log) and attempt < 2:
                    continue  # someone took the port between free_port() and the bind
                raise

    def _ready(self) -> bool:
        import psycopg

        with psycopg.connect(self.dsn(), connect_timeout=2):
            return True

    def new_database(self) -> str:
        """Create an empty database and return its DSN."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        _stop(self.process, signal.SIGINT)  # SIGINT: PostgreSQL's "fast" shutdown
        self.process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


@dataclass
class RedisServer(_Server):
    """``with RedisServer() as r: r.url`` — a redis-server with no persistence on a free port."""

    port: int = 0
    root: Path | None = None
    process: subprocess.Popen | None = None

    @staticmethod
    def available() -> str | None:
        if shutil.which("redis-server") is None:
            return "redis-server is not installed (apt-get install redis-server)"
        try:
            import redis  # noqa: F401
        except ImportError:
            return "redis-py is not installed (pip install redis)"
        return None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="redistest-"))
        log = self.root / "server.log"
        for attempt in range(3):
            self.port = free_port()
            with open(log, "ab") as out:
                self.process = subprocess.Popen(
                    ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--daemonize", "no", "--dir", str(self.root)],
                    stdout=out, stderr=subprocess.STDOUT, cwd=self.root, start_new_session=True,
                )
            try:
                _wait_until(self._ready, self.process, 20, "redis-server", log)
                return
            except RuntimeError:
                if self.process.poll() is not None and "Address already in use" in _tail(log) and attempt < 2:
                    continue
                raise

    def _ready(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def stop(self) -> None:
        _stop(self.process, signal.SIGTERM)
        self.process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
