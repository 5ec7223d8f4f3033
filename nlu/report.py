"""Evaluation report files: JSON (Rasa-style), errors, a confusion-matrix plot, Markdown.

Plots use matplotlib's object API (``Figure`` renders with Agg by itself), so
nothing here touches pyplot's global state or the process-wide backend.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nlu.metrics import ClassMetrics, EvaluationResult

# headline keys plotted on the "dev metrics" panel of the training curve
_CURVE_METRICS = ("intent_accuracy", "entity_f1", "sentence_accuracy")


# --------------------------------------------------------------------------- JSON


def _class_entry(m: ClassMetrics) -> dict[str, Any]:
    # Rasa's (and scikit-learn's classification_report) key names
    return {"precision": m.precision, "recall": m.recall, "f1-score": m.f1, "support": m.support}


def _averages(per_class: dict[str, ClassMetrics]) -> dict[str, dict[str, Any]]:
    n = len(per_class)
    total = sum(m.support for m in per_class.values())

    def avg(key: str, weighted: bool) -> float:
        if weighted:
            return sum(getattr(m, key) * m.support for m in per_class.values()) / total if total else 0.0
        return sum(getattr(m, key) for m in per_class.values()) / n if n else 0.0

    return {
        name: {
            "precision": avg("precision", weighted),
            "recall": avg("recall", weighted),
            "f1-score": avg("f1", weighted),
            "support": total,
        }
        for name, weighted in (("macro avg", False), ("weighted avg", True))
    }


def intent_report(result: EvaluationResult) -> dict[str, Any]:
    """Per-intent scores plus ``confused_with`` (top wrong predictions), averages, accuracy."""
    labels = result.confusion_labels
    report: dict[str, Any] = {}
    for name, m in result.per_intent.items():
        entry = _class_entry(m)
        if name in labels:
            row = result.confusion_matrix[labels.index(name)]
            wrong = sorted(
                ((labels[j], c) for j, c in enumerate(row) if c and labels[j] != name),
                key=lambda x: (-x[1], x[0]),
            )
            entry["confused_with"] = dict(wrong[:3])  # Rasa keeps the top few only
        report[name] = entry
    report["accuracy"] = result.intent_accuracy
    report.update(_averages(result.per_intent))
    return report


def entity_report(result: EvaluationResult) -> dict[str, Any]:
    """Per-entity-type scores plus micro (the headline), macro and weighted averages."""
    report: dict[str, Any] = {name: _class_entry(m) for name, m in result.per_entity.items()}
    report["micro avg"] = {
        "precision": result.entity_precision,
        "recall": result.entity_recall,
        "f1-score": result.entity_f1,
        "support": result.entity_support,
    }
    report.update(_averages(result.per_entity))
    return report


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- plots


def plot_confusion_matrix(labels: list[str], matrix: list[list[int]], path: Path, title: str = "") -> None:
    """Heat map with raw counts written in, coloured by row-normalised share (recall).

    Colour is normalised per gold row so that rare intents' mistakes stand out as
    much as frequent ones'; the figure and fonts scale with the number of labels.
    """
    from matplotlib.figure import Figure

    n = len(labels)
    side = min(4.0 + 0.45 * n, 24.0)
    fig = Figure(figsize=(side + 1.5, side), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    if n == 0:
        ax.text(0.5, 0.5, "no labelled intents", ha="center", va="center")
        ax.set_axis_off()
    else:
        shares = [[c / (sum(row) or 1) for c in row] for row in matrix]
        image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of gold row")
        # cells are ~0.45 inch (32 pt) wide at most sizes, so 8 pt text fits two-digit counts
        font = max(7.0, min(10.0, 250.0 / n))
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels(labels, rotation=45 if n <= 12 else 90, ha="right", fontsize=font,
                           rotation_mode="anchor")
        ax.set_yticklabels(labels, fontsize=font)
        ax.set_xlabel("predicted intent")
        ax.set_ylabel("gold intent")
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                if count:  # zeros only add clutter
                    dark = shares[i][j] > 0.5
                    ax.text(j, i, str(count), ha="center", va="center", fontsize=font,
                            color="white" if dark else "black")
    ax.set_title(title or "Intent confusion matrix")
    fig.tight_layout()
    fig.savefig(path, format="png")


def plot_training_curve(history: list[dict[str, Any]], path: Path) -> None:
    """Per-epoch training loss (left) and dev metrics in [0, 1] (right) to a PNG.

    Each dict may hold ``epoch``, ``train_loss`` and any of ``intent_accuracy``,
    ``entity_f1``, ``sentence_accuracy``; absent or non-finite values are skipped
    (e.g. epochs without a dev evaluation). A missing ``epoch`` is its 1-based position.
    """
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(10, 4), dpi=100)
    loss_ax, dev_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)

    def series(key: str) -> tuple[list[float], list[float]]:
        xs, ys = [], []
        for k, row in enumerate(history):
            value = row.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                xs.append(float(row.get("epoch", k + 1)))
                ys.append(float(value))
        return xs, ys

    xs, ys = series("train_loss")
    if xs:
        loss_ax.plot(xs, ys, marker="o", markersize=3, label="train loss")
    loss_ax.set_title("Training loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.grid(alpha=0.3)

    plotted = False
    for key in _CURVE_METRICS:
        xs, ys = series(key)
        if xs:
            dev_ax.plot(xs, ys, marker="o", markersize=3, label=key.replace("_", " "))
            plotted = True
    if plotted:
        dev_ax.legend(loc="lower right")
    dev_ax.set_ylim(0.0, 1.02)
    dev_ax.set_title("Dev metrics")
    dev_ax.set_xlabel("epoch")
    dev_ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png")


# --------------------------------------------------------------------------- text


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _headline_lines(result: EvaluationResult) -> list[str]:
    return [
        f"examples:          {result.n_examples} ({result.n_intent_examples} with an intent label)",
        f"intent accuracy:   {_pct(result.intent_accuracy)}  (macro F1 {_pct(result.intent_macro_f1)})",
        f"entity P/R/F1:     {_pct(result.entity_precision)} / {_pct(result.entity_recall)} / "
        f"{_pct(result.entity_f1)}  ({result.entity_support} gold, {result.entity_predicted} predicted)",
        f"sentence accuracy: {_pct(result.sentence_accuracy)}  ({len(result.errors)} errors)",
    ]


def _worst(per_class: dict[str, ClassMetrics], k: int) -> list[tuple[str, ClassMetrics]]:
    # lowest F1 first; among equals the more frequent class matters more
    return sorted(per_class.items(), key=lambda kv: (kv[1].f1, -kv[1].support, kv[0]))[:k]


def format_summary(result: EvaluationResult, worst: int = 5) -> str:
    """A few terminal lines: headline figures and the ``worst`` weakest intents and entities."""
    lines = _headline_lines(result)
    for heading, per_class in (("intents", result.per_intent), ("entities", result.per_entity)):
        if not per_class:
            continue
        lines.append(f"worst {heading}:")
        for name, m in _worst(per_class, worst):
            lines.append(
                f"  {name:<28} F1 {_pct(m.f1):>6}  P {_pct(m.precision):>6}  "
                f"R {_pct(m.recall):>6}  support {m.support}"
            )
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(per_class: dict[str, ClassMetrics], first: str) -> list[str]:
    lines = [f"| {first} | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, m in sorted(per_class.items(), key=lambda kv: (kv[1].f1, kv[0])):
        lines.append(
            f"| {_md_cell(name)} | {m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | {m.support} |"
        )
    return lines


def _markdown(result: EvaluationResult, title: str) -> str:
    lines = [f"# {title or 'NLU evaluation'}", "", "| metric | value |", "|---|---:|"]
    h = result.headline()
    for key in ("n_examples", "intent_accuracy", "intent_macro_f1", "entity_precision",
                "entity_recall", "entity_f1", "sentence_accuracy", "n_errors"):
        value = h[key]
        lines.append(f"| {key.replace('_', ' ')} | {value if isinstance(value, int) else f'{value:.4f}'} |")
    lines += ["", "## Intents (worst first)", ""]
    lines += _md_table(result.per_intent, "intent") if result.per_intent else ["_no labelled intents_"]
    lines += ["", "## Entities (worst first)", ""]
    lines += _md_table(result.per_entity, "entity") if result.per_entity else ["_no entities_"]
    lines += ["", "Files: `metrics.json`, `intent_report.json`, `entity_report.json`, "
              "`confusion_matrix.png`, `errors.jsonl`.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- entry point


def write_report(result: EvaluationResult, out_dir: Path, title: str = "") -> dict[str, Path]:
    """Write every report file into ``out_dir`` (created if missing); returns name -> path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out_dir / "metrics.json",
        "intent_report": out_dir / "intent_report.json",
        "entity_report": out_dir / "entity_report.json",
        "confusion_matrix": out_dir / "confusion_matrix.png",
        "errors": out_dir / "errors.jsonl",
        "report": out_dir / "report.md",
    }
    metrics = result.headline()
    if title:
        metrics = {"title": title, **metrics}
    _write_json(paths["metrics"], metrics)
    _write_json(paths["intent_report"], intent_report(result))
    _write_json(paths["entity_report"], entity_report(result))
    plot_confusion_matrix(result.confusion_labels, result.confusion_matrix, paths["confusion_matrix"],
                          title=f"{title}: intent confusion" if title else "")
    with paths["errors"].open("w", encoding="utf-8") as f:
        for error in result.errors:
            f.write(json.dumps(error.to_dict(), ensure_ascii=False) + "\n")
    paths["report"].write_text(_markdown(result, title), encoding="utf-8")
    return paths
