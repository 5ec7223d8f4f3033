"""NLU benchmark: train on SNIPS/ATIS train, evaluate on dev, and measure parsing speed and memory.

    python benchmarks/nlu.py [--datasets snips atis] [--shared ../shared/benchmarks] [--update-readme]

Prints intent accuracy, slot F1, sentence accuracy, training time, parse latency
p50/p95 at batch 1, throughput at batch 32 and peak RSS while parsing, next to
JointBERT's published figures and this project's targets, for the model at both precisions:
int8 (8-bit encoder products, what parsing uses by default) and fp32 (exactly as trained).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

JOINTBERT = {"snips": (98.6, 97.0, 92.8), "atis": (97.5, 96.1, 88.2)}
TARGETS = {"snips": (99.0, 97.0, 93.0), "atis": (98.0, 96.0, 88.5)}
PRECISIONS = ("int8", "fp32")  # int8: what parsing uses by default; fp32: exactly as trained
MARK_BEGIN, MARK_END = "<!-- nlu-benchmark:begin -->", "<!-- nlu-benchmark:end -->"


def measure_parsing(model_dir: str, data_path: str, precision: str = "int8", n_latency: int = 300,
                    n_batch: int = 640) -> dict:
    """Run in a fresh process: parse latency at batch 1, throughput at batch 32, peak RSS."""
    import torch

    from nlu.loaders import load_data
    from nlu.parser import Parser

    torch.set_num_threads(os.cpu_count() or 1)
    texts = [e.text for e in load_data(data_path).examples]
    started = time.perf_counter()
    parser = Parser.load(model_dir, precision=precision)
    parser.parse("warm up the model and spacy")
    load_seconds = time.perf_counter() - started
    latencies = []
    for text in texts[:n_latency]:
        t = time.perf_counter()
        parser.parse(text)
        latencies.append((time.perf_counter() - t) * 1000)
    batch_texts = (texts * (n_batch // max(1, len(texts)) + 1))[:n_batch]
    parser.batch_size = 32
    t = time.perf_counter()
    for lo in range(0, len(batch_texts), 32):
        parser.parse_batch(batch_texts[lo : lo + 32])
    throughput = len(batch_texts) / (time.perf_counter() - t)
    q = statistics.quantiles(latencies, n=20)
    return {
        "load_seconds": load_seconds,
        "latency_p50_ms": statistics.median(latencies),
        "latency_p95_ms": q[18],
        "throughput_per_s": throughput,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image, whereas
    ru_maxrss survives exec: a child started by the training process would report training's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_in_subprocess(model_dir: Path, dev_path: Path, precision: str) -> dict:
    """Parsing speed and memory in a fresh process, so training's memory does not count."""
    proc = subprocess.run(
        [sys.executable, __file__, "--measure-parsing", str(model_dir), str(dev_path), precision],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_dataset(name: str, shared: Path, out_root: Path, config_path: Path | None, epochs: int | None) -> list[dict]:
    from nlu.config import NluConfig
    from nlu.loaders import load_data
    from nlu.train import train

    train_path, dev_path = shared / name / "train.jsonl", shared / name / "dev.jsonl"
    config = NluConfig.from_file(config_path) if config_path else NluConfig()
    if epochs:
        config.epochs = epochs
    train_data, dev_data = load_data(train_path), load_data(dev_path)  # dev: early stopping
    model_dir = out_root / name / "model"
    print(f"== {name}: {len(train_data.examples)} train, {len(dev_data.examples)} dev", flush=True)
    result = train(train_data, dev_data, config, model_dir, progress=sys.stderr.isatty())
    trained = {
        "dataset": name,
        "train_minutes": result.seconds / 60,
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "parameters_m": result.parameters / 1e6,
    }
    return [measure_model(trained, precision, shared, out_root) for precision in PRECISIONS]


def measure_model(trained: dict, precision: str, shared: Path, out_root: Path) -> dict:
    """Accuracy on dev and parsing speed of a trained model at one precision."""
    from nlu.artifacts import load_model
    from nlu.loaders import load_data
    from nlu.report import format_summary, write_report
    from nlu.train import evaluate_examples

    name = trained["dataset"]
    model_dir, dev_path = out_root / name / "model", shared / name / "dev.jsonl"
    dev_data = load_data(dev_path)
    evaluation = evaluate_examples(load_model(model_dir, precision).predictor, dev_data.examples)
    write_report(evaluation, out_root / name / f"report-{precision}", title=f"{name} dev ({precision})")
    print(f"-- {name} ({precision})\n{format_summary(evaluation)}", flush=True)
    return {
        **{k: trained[k] for k in ("dataset", "train_minutes", "best_epoch", "epochs_run", "parameters_m")},
        "precision": precision,
        "intent_accuracy": 100 * evaluation.intent_accuracy,
        "slot_f1": 100 * evaluation.entity_f1,
        "sentence_accuracy": 100 * evaluation.sentence_accuracy,
        **measure_in_subprocess(model_dir, dev_path, precision),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| dataset | intent acc | slot F1 | sentence acc | JointBERT (intent / slot / sentence) | target | train time | parse p50 / p95 (batch 1) | throughput (batch 32) | peak RSS parsing |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        jb, tg = JOINTBERT[r["dataset"]], TARGETS[r["dataset"]]
        lines.append(
            f"| {r['dataset'].upper()} ({r.get('precision', 'fp32')}) | {r['intent_accuracy']:.2f} | {r['slot_f1']:.2f} | {r['sentence_accuracy']:.2f} "
            f"| {jb[0]} / {jb[1]} / {jb[2]} | ≥ {tg[0]} / {tg[1]} / {tg[2]} | {r['train_minutes']:.1f} min "
            f"({r['epochs_run']} epochs) | {r['latency_p50_ms']:.1f} / {r['latency_p95_ms']:.1f} ms "
            f"| {r['throughput_per_s']:.0f} utt/s | {r['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(lines)


def update_readme(text: str) -> None:
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if MARK_BEGIN in content:
        head, rest = content.split(MARK_BEGIN, 1)
        content = head + block + rest.split(MARK_END, 1)[1]
    else:
        content = content.replace("RESULTS_TABLE_PLACEHOLDER", block)
    readme.write_text(content, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["snips", "atis"], choices=["snips", "atis"])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "benchmarks"), help="folder of the benchmark data")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out"), help="where models and reports go")
    parser.add_argument("--config", help="NLU settings file (default: the built-in defaults)")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--update-readme", action="store_true", help="write the results table into README.md")
    parser.add_argument(
        "--remeasure",
        action="store_true",
        help="keep the trained models of the last run; evaluate them and measure parsing speed again (on a quiet machine)",
    )
    parser.add_argument("--measure-parsing", nargs=3, metavar=("MODEL", "DATA", "PRECISION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_parsing:
        print(json.dumps(measure_parsing(*args.measure_parsing)))
        return 0
    shared = Path(args.shared)
    if not shared.exists():
        print(f"error: benchmark data not found at {shared}; pass --shared", file=sys.stderr)
        return 2
    if args.remeasure:
        previous = Path(args.out) / "nlu_results.json"
        if not previous.exists():
            print(f"error: no earlier results in {previous}; run without --remeasure first", file=sys.stderr)
            return 2
        trained = {r["dataset"]: r for r in json.loads(previous.read_text()) if r["dataset"] in args.datasets}
        rows = [measure_model(r, precision, shared, Path(args.out)) for r in trained.values() for precision in PRECISIONS]
    else:
        rows = [
            row
            for name in args.datasets
            for row in run_dataset(name, shared, Path(args.out), Path(args.config) if args.config else None, args.epochs)
        ]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "nlu_results.json").write_text(json.dumps(rows, indent=2))
    print()
    print(table(rows))
    if args.update_readme:
        update_readme(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
