"""``assistant serve`` under load: REST latency and throughput, 1 and 2 workers, and cold start.

Starts real ``assistant serve`` processes with the default assistant (its model trained once and
cached: ``ensure_default_model``) and an SQLite store in a temporary folder, and drives them over
HTTP from this process (asyncio + httpx, keep-alive connections). A conversation sends its turns one
after another (the next after the answer), as a person would; C conversations run at once.

* cold start: from starting the process to the first answer of ``POST /webhooks/rest/webhook``
  (the port is bound before the model loads, so the request waits instead of being refused);
* latency p50/p95 per turn at 1, 10 and 50 concurrent conversations;
* throughput: turns answered per second over each run.

Two workers need Redis (shared conversation locks): a throwaway ``redis-server`` is started when it
is installed, otherwise the 2-worker runs are skipped. The load generator shares the machine's
cores with the server: on a 2-core machine it takes a fair part of them.

    python benchmarks/server.py [--turns 300] [--levels 1 10 50] [--workers 1 2] [--model DIR] [--out benchmarks/out/server.json]

Goals: p50 <= 25 ms at 1 conversation, >= 100 turns/s at 50, cold start <= 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # throwaway Redis (tests/servers.py)

import httpx  # noqa: E402

LINES = [
    "hi", "find me a cheap italian restaurant in the centre", "for 2 people", "at 7pm on friday",
    "I also need a taxi to the station", "at 6pm", "thanks", "what can you do", "a hotel in the north for 2 nights",
    "something else", "cheers", "bye",
]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    def __init__(self, model: Path, store: str, workers: int, redis_url: str | None, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "assistant", "serve", "--model", str(model), "--store", store,
                "--port", str(self.port), "--workers", str(workers), "--rate-limit", "off"]
        if redis_url:
            args += ["--redis", redis_url]
        self.log = log
        self.started = time.perf_counter()
        with open(log, "wb") as out:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def first_answer(self, timeout: float = 300.0) -> float:
        """Seconds from the start of the process to its first chat answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"assistant serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                reply = httpx.post(self.url + "/webhooks/rest/webhook", json={"sender": "cold", "message": "hi"},
                                   timeout=timeout)
                if reply.status_code == 200 and reply.json():
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError(f"no answer in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


async def load(url: str, conversations: int, turns: int) -> dict:
    """``conversations`` at once, ``turns`` turns in all; per-turn latencies and the rate.
    (aiohttp: a lighter client than httpx, so more of the shared cores go to the server.)"""
    import aiohttp

    per = max(1, turns // conversations)
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as client:
        async def converse(k: int, turns: int) -> None:
            nonlocal failures
            sender = f"bench-{uuid.uuid4().hex[:10]}"
            for i in range(turns):
                text = LINES[(i + k) % len(LINES)]
                t0 = time.perf_counter()
                async with client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
                    await reply.read()
                    latencies.append(time.perf_counter() - t0)
                    if reply.status != 200:
                        failures += 1

        # warm-up at the same concurrency: the model meets this level's batch shapes once untimed
        await asyncio.gather(*(converse(k, min(per, 6)) for k in range(conversations)))
        latencies.clear()
        failures = 0
        start = time.perf_counter()
        await asyncio.gather(*(converse(k, per) for k in range(conversations)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "conversations": conversations,
        "turns": len(latencies),
        "failures": failures,
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
        "mean_ms": round(1000 * statistics.fmean(latencies), 1),
        "turns_per_s": round(len(latencies) / elapsed, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=300, help="turns per run (default 300)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50], help="concurrent conversations")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run")
    parser.add_argument("--store", help="tracker store URL (default: SQLite in a temporary folder)")
    parser.add_argument("--model", help="model directory (default: the default assistant's, trained if missing)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "server.json"))
    args = parser.parse_args()

    from assistant.default_model import ensure_default_model

    model = Path(args.model) if args.model else ensure_default_model()
    results: dict = {"model": str(model), "cpus": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        redis = None
        if any(w > 1 for w in args.workers):
            from servers import RedisServer

            why = RedisServer.available()
            if why:
                print(f"skipping the runs with several workers: {why}", file=sys.stderr)
                args.workers = [w for w in args.workers if w == 1]
            else:
                redis = RedisServer()
                redis.__enter__()
        try:
            for workers in args.workers:
                store = args.store or f"sqlite:///{tmp}/bench-{workers}.db"
                server = Serve(model, store, workers, redis.url if redis and workers > 1 else None,
                               Path(tmp) / f"serve-{workers}.log")
                try:
                    cold = server.first_answer()
                    print(f"\n{workers} worker(s): cold start to the first answer {cold:.2f} s", flush=True)
                    if workers > 1:
                        time.sleep(3)  # the other workers finish loading too
                    run = {"workers": workers, "cold_start_s": round(cold, 2), "levels": []}
                    print(f"{'conversations':>13} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'turns/s':>8}")
                    for level in args.levels:
                        figures = asyncio.run(load(server.url, level, args.turns))
                        run["levels"].append(figures)
                        print(f"{level:>13} {figures['turns']:>6} {figures['p50_ms']:>8} {figures['p95_ms']:>8} "
                              f"{figures['mean_ms']:>8} {figures['turns_per_s']:>8}"
                              + (f"  ({figures['failures']} failed)" if figures["failures"] else ""), flush=True)
                    results["runs"].append(run)
                finally:
                    server.stop()
        finally:
            if redis is not None:
                redis.__exit__(None, None, None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
