"""The command line, run as a user runs it: real subprocesses, real models, real files."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TINY_DATA

ROOT = Path(__file__).resolve().parent.parent


def run(*args, stdin: bytes | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "args",
    [[], ["chat"], ["train", "nlu"], ["evaluate", "nlu"], ["parse"], ["data", "validate"]],
)
def test_every_command_has_help(args):
    result = run(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert b"usage: assistant" in result.stdout


def test_train_nlu_writes_a_model(tmp_path):
    out = tmp_path / "model"
    result = run(
        "train", "nlu", "--data", str(TINY_DATA), "--dev", str(TINY_DATA), "--out", str(out),
        "--epochs", "1", "--no-progress",
    )
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["best_epoch"] == 1 and "intent_accuracy" in summary["dev"]
    assert (out / "model.safetensors").exists()


def test_train_nlu_reports_bad_data_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu:\n- intent: greet\n  examples: |\n    - [hello(greeting)\n")
    result = run("train", "nlu", "--data", str(bad), "--out", str(tmp_path / "m"))
    assert result.returncode == 2
    assert f"{bad}:4".encode() in result.stderr
    missing = run("train", "nlu", "--data", str(tmp_path / "nope.yml"), "--out", str(tmp_path / "m"))
    assert missing.returncode == 2 and b"does not exist" in missing.stderr


def test_evaluate_nlu_writes_the_report(tiny_model_dir, tmp_path):
    out = tmp_path / "report"
    result = run("evaluate", "nlu", "--model", str(tiny_model_dir), "--data", str(TINY_DATA), "--out", str(out))
    assert result.returncode == 0, result.stderr.decode()
    assert b"intent accuracy" in result.stdout
    for name in ("metrics.json", "intent_report.json", "entity_report.json", "confusion_matrix.png", "errors.jsonl", "report.md"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["intent_accuracy"] == 1.0
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_on_a_missing_model_says_how_to_train(tmp_path):
    result = run("evaluate", "nlu", "--model", str(tmp_path), "--data", str(TINY_DATA), "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and b"assistant train nlu" in result.stderr


def test_parse_reads_lines_and_writes_json_lines_in_order(tiny_model_dir):
    lines = ["hello", "", "get me a taxi to the airport", "\xff\xfe binary", "thanks a lot"] * 15
    stdin = b"\n".join(l.encode("utf-8", "surrogateescape") if l != "\xff\xfe binary" else b"\xff\xfe binary" for l in lines) + b"\n"
    result = run("parse", "--model", str(tiny_model_dir), "--batch-size", "8", stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    parses = [json.loads(l) for l in result.stdout.decode().splitlines()]
    assert len(parses) == len(lines)
    assert [p["intent"]["name"] for p in parses[:5]] == ["greet", None, "book_taxi", parses[3]["intent"]["name"], "thank"]
    assert parses[2]["text"] == "get me a taxi to the airport"


def test_data_validate_finds_problems_and_passes_clean_data(tmp_path):
    good = tmp_path / "good" / "nlu"
    good.mkdir(parents=True)
    (good / "nlu.yml").write_text(TINY_DATA.read_text())
    ok = run("data", "validate", "--data", str(good.parent))
    assert ok.returncode == 0, ok.stderr.decode()
    bad = tmp_path / "bad" / "nlu"
    bad.mkdir(parents=True)
    (bad / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n- intent: bye\n  examples: |\n    - hi\n    - bye\n")
    (bad / "broken.yml").write_text("nlu:\n- intent: [unclosed\n")
    result = run("data", "validate", "--data", str(bad.parent))
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "broken.yml:3" in err  # where YAML notices the unclosed bracket
    assert "'hi' is an example of both 'greet' and 'bye'" in err
    assert "2 problem(s)" in err
