"""Start-up time of the terminal chat: from launching ``assistant chat`` to its first prompt, and to
the first answer, with the default model already trained (as on every start after the first).

Runs the real command in a pseudo-terminal, as a person would, several times, and prints each run
and the median. Goal (issue 5): the first prompt within 5 s on this 2-core machine.

    python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent


def one_run(store: Path) -> tuple[float, float]:
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "assistant", "chat", "--store", f"sqlite:///{store}"],
                          cwd=str(ROOT), encoding="utf-8", timeout=120)
    try:
        child.expect("you> ")
        prompt = time.perf_counter() - started
        child.sendline("hello")
        child.expect("bot> ")
        answer = time.perf_counter() - started
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return prompt, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many starts to time (default 5)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from assistant.default_model import ensure_default_model

    ensure_default_model()  # trained once here, so the runs time a start with a model
    prompts, answers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            prompt, answer = one_run(Path(tmp) / f"chat-{i}.db")
            prompts.append(prompt)
            answers.append(answer)
            print(f"run {i + 1}: first prompt {prompt:.2f} s, first answer {answer:.2f} s", flush=True)
    print(f"median: first prompt {statistics.median(prompts):.2f} s (goal <= 5 s), "
          f"first answer {statistics.median(answers):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
