"""The terminal chat, driven in a real pseudo-terminal the way a person uses it."""

import sys
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent


def test_chat_in_a_terminal(tiny_model_dir):
    child = pexpect.spawn(
        sys.executable, ["-m", "assistant", "chat", "--model", str(tiny_model_dir)],
        cwd=str(ROOT), encoding="utf-8", timeout=120, dimensions=(40, 120),
    )
    try:
        child.expect("you> ")
        child.sendline("get me a taxi to the airport")
        child.expect(r"book_taxi \(\d+%\) with destination=the airport")
        child.expect("you> ")
        child.sendline("/debug")
        child.expect("debug on")
        child.expect("you> ")
        child.sendline("hello")
        child.expect('"intent_ranking"')
        child.expect("you> ")
        child.sendline("")  # an empty line is a valid message, not a crash
        child.expect(r"nothing to understand")
        child.expect("you> ")
        child.sendeof()  # Ctrl-D leaves
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_chat_reads_piped_input(tiny_model_dir):
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--model", str(tiny_model_dir)],
        input="hello\n/quit\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "greet" in result.stdout and result.stdout.rstrip().endswith("bye")
