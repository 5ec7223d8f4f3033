"""The report writer produces every file, in the promised formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.metrics import EvaluationResult, Prediction, evaluate
from nlu.report import format_summary, plot_training_curve, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def result() -> EvaluationResult:
    texts = ["book a table in paris", "hi there", "bye", "weather in rome", "hello"]
    gold = [
        Prediction("book", {("city", 16, 21)}),
        Prediction("greet"),
        Prediction("bye"),
        Prediction("weather", {("city", 11, 15)}),
        Prediction("greet"),
    ]
    pred = [
        Prediction("book", {("city", 16, 21)}),
        Prediction("bye"),
        Prediction("bye"),
        Prediction("weather", {("city", 11, 14)}),
        Prediction(None),
    ]
    return evaluate(gold, pred, texts)


def test_write_report_writes_every_file(result: EvaluationResult, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "report"  # missing parents are created
    paths = write_report(result, out, title="dev set")
    assert set(paths) == {"metrics", "intent_report", "entity_report", "confusion_matrix", "errors", "report"}
    for path in paths.values():
        assert path.parent == out and path.is_file() and path.stat().st_size > 0

    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["title"] == "dev set"
    assert metrics["intent_accuracy"] == pytest.approx(3 / 5)
    assert metrics["entity_f1"] == pytest.approx(0.5)  # tp1 fp1 fn1

    intents = json.loads(paths["intent_report"].read_text())
    assert intents["accuracy"] == pytest.approx(3 / 5)
    assert set(intents["greet"]) >= {"precision", "recall", "f1-score", "support"}
    assert intents["greet"]["support"] == 2
    assert intents["greet"]["confused_with"] == {"<none>": 1, "bye": 1}
    # bye: tp1 fp1 -> P=1/2 R=1 F1=2/3; book, weather: 1; greet: 0 -> macro = (2/3+1+0+1)/4
    assert intents["macro avg"]["f1-score"] == pytest.approx((2 / 3 + 2) / 4)
    assert intents["weighted avg"]["support"] == 5

    entities = json.loads(paths["entity_report"].read_text())
    assert entities["city"]["support"] == 2
    assert entities["micro avg"]["f1-score"] == pytest.approx(0.5)

    assert paths["confusion_matrix"].read_bytes()[:8] == PNG_MAGIC

    lines = paths["errors"].read_text().splitlines()
    errors = [json.loads(line) for line in lines]
    assert [e["index"] for e in errors] == [1, 3, 4]
    assert errors[1]["kind"] == "entities" and errors[1]["missing"][0]["text"] == "rome"

    md = paths["report"].read_text()
    assert md.startswith("# dev set")
    assert "| intent | precision | recall | F1 | support |" in md
    assert "| entity | precision | recall | F1 | support |" in md


def test_write_report_handles_empty_result(tmp_path: Path) -> None:
    paths = write_report(evaluate([], []), tmp_path)
    assert paths["confusion_matrix"].read_bytes()[:8] == PNG_MAGIC
    assert paths["errors"].read_text() == ""
    assert json.loads(paths["intent_report"].read_text())["accuracy"] == 0.0


def test_confusion_matrix_many_labels(tmp_path: Path) -> None:
    names = [f"intent_number_{i:02d}" for i in range(30)]
    gold = [Prediction(n) for n in names]
    pred = [Prediction(names[(i + i % 2) % 30]) for i in range(30)]
    paths = write_report(evaluate(gold, pred), tmp_path)
    assert paths["confusion_matrix"].read_bytes()[:8] == PNG_MAGIC


def test_format_summary(result: EvaluationResult) -> None:
    text = format_summary(result)
    assert "intent accuracy:   60.0%" in text
    assert "worst intents:" in text and "worst entities:" in text
    # greet (F1 0) is the worst intent and listed first
    assert text.index("greet") < text.index("bye  ")


def test_plot_training_curve(tmp_path: Path) -> None:
    history = [
        {"epoch": 1, "train_loss": 2.0},
        {"epoch": 2, "train_loss": 1.2, "intent_accuracy": 0.7, "entity_f1": 0.5},
        {"epoch": 3, "train_loss": 0.8, "intent_accuracy": 0.8, "entity_f1": 0.6, "sentence_accuracy": 0.55},
    ]
    path = tmp_path / "plots" / "curve.png"
    plot_training_curve(history, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    empty = tmp_path / "empty.png"
    plot_training_curve([], empty)
    assert empty.read_bytes()[:8] == PNG_MAGIC
