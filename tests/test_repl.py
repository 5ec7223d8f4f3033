"""The terminal chat, driven in a real pseudo-terminal the way a person uses it.

It runs the real assistant (domain, dialogue manager, in-process actions, SQLite
store) over the tiny test model, so it stays fast.
"""

import io
import subprocess
import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent


def _chat_args(model_dir, tmp_path):
    return ["-m", "assistant", "chat", "--model", str(model_dir), "--store", f"sqlite:///{tmp_path / 'chat.db'}"]


def test_chat_in_a_terminal(tiny_model_dir, tmp_path):
    child = pexpect.spawn(
        sys.executable, _chat_args(tiny_model_dir, tmp_path),
        cwd=str(ROOT), encoding="utf-8", timeout=120, dimensions=(40, 120),
    )
    screen = io.StringIO()
    child.logfile_read = screen  # the whole session, shown if an expectation fails
    try:
        child.expect("you> ")
        child.sendline("/debug")
        child.expect("debug on")
        child.expect("you> ")
        child.sendline("get me a taxi to the airport")
        child.expect(r"bot> [^\r\n]+")  # the taxi task asks what it still needs (pexpect regexes are DOTALL)
        child.expect(r"intent: book_taxi")
        child.expect(r"\*task \S+ taxi \[active\]")
        child.expect("you> ")
        child.sendline("")  # an empty line is a message too, never a crash
        child.expect("bot> ")
        child.expect("you> ")
        child.sendline("/restart")
        child.expect("started over")
        child.expect("you> ")
        child.sendeof()  # Ctrl-D leaves
        child.expect("bye")
        child.expect(pexpect.EOF)
    except pexpect.TIMEOUT as exc:
        raise AssertionError(f"the chat did not show what was expected; screen:\n{screen.getvalue()}") from exc
    finally:
        child.close()
    assert child.exitstatus == 0


def test_chat_keeps_the_conversation_across_sessions(tiny_model_dir, tmp_path):
    def session(lines: str) -> str:
        result = subprocess.run(
            [sys.executable, *_chat_args(tiny_model_dir, tmp_path), "--debug"],
            input=lines, capture_output=True, text=True, cwd=ROOT, timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.rstrip().endswith("bye")
        return result.stdout

    first = session("get me a taxi to the airport\n/quit\n")
    assert "taxi [active]" in first
    second = session("hello\n")  # a new process: the taxi task is still there
    assert "taxi [" in second
