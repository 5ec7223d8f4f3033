"""The ``assistant`` command line: train, evaluate, parse, chat. ``--help`` on every command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import __version__


def _add_train(sub) -> None:
    train = sub.add_parser("train", help="train a model").add_subparsers(dest="what", required=True, metavar="WHAT")
    p = train.add_parser(
        "nlu",
        help="train the joint intent + entity model",
        description="Train the joint BERT intent/entity model on Rasa YAML or benchmark JSONL data.",
    )
    p.add_argument("--data", nargs="+", required=True, help="training files or folders (Rasa YAML .yml, JSONL)")
    p.add_argument("--dev", nargs="+", help="dev files for early stopping and the best epoch (optional)")
    p.add_argument("--out", required=True, help="directory to write the model to")
    p.add_argument("--config", help="YAML/JSON file of NLU settings (see nlu/config.py)")
    p.add_argument("--epochs", type=int, help="override the number of epochs")
    p.add_argument("--seed", type=int, help="override the random seed")
    p.add_argument("--no-progress", action="store_true", help="no progress bars (for logs)")
    p.set_defaults(func=cmd_train_nlu)


def _add_evaluate(sub) -> None:
    ev = sub.add_parser("evaluate", help="evaluate a model").add_subparsers(dest="what", required=True, metavar="WHAT")
    p = ev.add_parser(
        "nlu",
        help="intent accuracy, entity F1, sentence accuracy, reports and a confusion matrix",
        description="Evaluate a trained NLU model on labelled data and write a report directory.",
    )
    p.add_argument("--model", required=True, help="trained model directory")
    p.add_argument("--data", nargs="+", required=True, help="labelled files or folders (Rasa YAML, JSONL)")
    p.add_argument("--out", required=True, help="report directory to write")
    p.add_argument("--precision", choices=["int8", "fp32"], default="int8",
                   help="int8 (default): 8-bit encoder products, about 3x faster on CPU; fp32: exactly as trained")
    p.set_defaults(func=cmd_evaluate_nlu)


def _add_parse(sub) -> None:
    p = sub.add_parser(
        "parse",
        help="parse utterances from stdin into JSON lines",
        description="Read one utterance per line on stdin; write one parse JSON per line on stdout, in order.",
    )
    p.add_argument("--model", help="trained model directory (default: the default assistant's model)")
    p.add_argument("--batch-size", type=int, default=32, help="utterances per model batch (default 32)")
    p.add_argument("--no-spacy", action="store_true", help="model entities only, no spaCy rule/NER entities")
    p.add_argument("--precision", choices=["int8", "fp32"], default="int8",
                   help="int8 (default): 8-bit encoder products, about 3x faster on CPU; fp32: exactly as trained")
    p.set_defaults(func=cmd_parse)


def _add_chat(sub) -> None:
    p = sub.add_parser(
        "chat",
        help="talk to the assistant in the terminal",
        description="Chat in the terminal. Trains the default model on first run; conversations are kept in the store.",
    )
    p.add_argument("--data", help="assistant data directory (default: ./data or the bundled one)")
    p.add_argument("--model", help="trained model directory (default: the data's cached model, trained if missing)")
    p.add_argument("--store", help="tracker store URL: sqlite:///assistant.db (default), memory://, postgresql://...")
    p.add_argument("--actions", help="URL of a rasa-sdk action server (default: run the data's actions in-process)")
    p.add_argument("--sender", default="local-user", help="conversation id (default: local-user)")
    p.add_argument("--user", help="whose profile this is (default: the conversation id); several conversations "
                                   "of one user share what the assistant learnt about them")
    p.add_argument("--debug", action="store_true", help="show intents, entities, tasks and slots each turn")
    p.set_defaults(func=cmd_chat)


def _add_test(sub) -> None:
    p = sub.add_parser(
        "test",
        help="replay scripted dialogues against the assistant",
        description="Replay scripted dialogues (YAML) through the real assistant, actions run for real; "
        "print each failure with file:line, expected vs actual, and 'N passed, N failed'; write the failed "
        "dialogues and JUnit XML to --out. Exit code 1 when a dialogue fails, 2 when a file is malformed.",
    )
    p.add_argument("paths", nargs="*", metavar="PATHS",
                   help="dialogue files or folders (default: the data directory's dialogues/)")
    p.add_argument("--data", help="assistant data directory (default: ./data or the bundled one)")
    p.add_argument("--model", help="trained model directory (default: the data's cached model, trained if missing)")
    p.add_argument("--out", default="results", help="directory for failed_dialogues.yml and junit.xml (default: results)")
    p.add_argument("--seed", type=int, default=42, help="seed of the assistant's random choices (default 42)")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first dialogue that fails")
    p.set_defaults(func=cmd_test)


def _add_serve(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the assistant over HTTP: REST, socket.io, a chat widget",
        description="Serve the assistant over HTTP: Rasa's REST channel (POST /webhooks/rest/webhook), "
        "socket.io for the rasa-webchat widget (/socket.io), our own widget (GET /widget.js) and a demo page "
        "(GET /), NLU parse (POST /model/parse), conversation trackers (GET /conversations/ID/tracker), "
        "GET /health and GET /version. It listens on 127.0.0.1 (this machine) unless --host says otherwise, "
        "and warns at start-up when neither --auth-token nor --jwt-secret is given.",
    )
    p.add_argument("--data", help="assistant data directory (default: ./data or the bundled one)")
    p.add_argument("--model", help="trained model directory (default: the data's cached model, trained if missing)")
    p.add_argument("--store", help="tracker store URL: sqlite:///assistant.db (default), memory://, postgresql://...")
    p.add_argument("--actions", help="URL of a rasa-sdk action server (default: run the data's actions in-process)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=5005, help="port to listen on (default 5005)")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--auth-token", metavar="TOKEN", help="require ?token=TOKEN on every request but /health")
    auth.add_argument("--jwt-secret", metavar="SECRET",
                      help="require an HS256 JWT (Authorization: Bearer ...) with user.username and user.role")
    p.add_argument("--cors", metavar="ORIGINS", help="browser origins allowed to call the server, comma-separated, or *")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1; more need --redis)")
    p.add_argument("--redis", metavar="URL", help="Redis for conversation locks and socket.io across workers/servers")
    p.add_argument("--max-message-bytes", type=int, default=8192, metavar="N",
                   help="largest user message in UTF-8 bytes (default 8192); bigger ones get 413")
    p.add_argument("--rate-limit", default="60/60s", metavar="N/WINDOW",
                   help="messages per sender and time window, e.g. 60/60s, 10/s, 100/5m, or off (default 60/60s); "
                        "with --redis it is counted for all workers and servers on that Redis together")
    p.set_defaults(func=cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="A conversational multi-task assistant that recommends in dialogue.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_chat(sub)
    _add_serve(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_parse(sub)
    _add_test(sub)
    from assistant import data_cli

    data_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from nlu.errors import NluError

    try:
        return int(args.func(args) or 0)
    except NluError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _resolve_model(model: str | None, data: str | None = None) -> Path:
    if model:
        return Path(model)
    from assistant.default_model import ensure_default_model

    return ensure_default_model(Path(data) if data else None)


def cmd_train_nlu(args) -> int:
    from nlu.config import NluConfig
    from nlu.loaders import load_data
    from nlu.train import train

    config = NluConfig.from_file(args.config) if args.config else NluConfig()
    if args.epochs is not None:
        config.epochs = args.epochs
    if args.seed is not None:
        config.seed = args.seed
    data = load_data(args.data)
    dev = load_data(args.dev) if args.dev else None
    print(
        f"training on {len(data.examples)} examples, {len(data.intents)} intents, "
        f"{len(data.entity_types)} entity types" + (f"; dev {len(dev.examples)} examples" if dev else ""),
        file=sys.stderr,
    )
    result = train(data, dev, config, args.out, progress=not args.no_progress, log=lambda m: print(m, file=sys.stderr))
    summary = {
        "model": str(result.out_dir),
        "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 1),
        "dev": result.dev,
    }
    print(json.dumps(summary, indent=2))
    return 0


def cmd_evaluate_nlu(args) -> int:
    from nlu.artifacts import load_model
    from nlu.loaders import load_data
    from nlu.report import format_summary, write_report
    from nlu.train import evaluate_examples

    bundle = load_model(args.model, args.precision)
    data = load_data(args.data)
    if not data.examples:
        print("error: the evaluation data holds no examples", file=sys.stderr)
        return 2
    result = evaluate_examples(bundle.predictor, data.examples)
    files = write_report(result, Path(args.out), title=f"{args.model} on {' '.join(args.data)}")
    print(format_summary(result))
    print(f"report written to {args.out}: " + ", ".join(sorted(p.name for p in files.values())))
    return 0


def cmd_parse(args) -> int:
    from nlu.parser import Parser

    parser = Parser.load(_resolve_model(args.model), use_spacy=not args.no_spacy, precision=args.precision,
                         batch_size=args.batch_size)
    out = sys.stdout
    batch: list[str] = []

    def flush() -> None:
        for parse in parser.parse_batch(batch):
            out.write(json.dumps(parse.to_dict(), ensure_ascii=False) + "\n")
        out.flush()
        batch.clear()

    # a person typing wants each answer at once; a pipe is read in batches
    size = 1 if sys.stdin.isatty() else args.batch_size
    for raw in sys.stdin.buffer:
        batch.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        if len(batch) >= size:
            flush()
    if batch:
        flush()
    return 0


def cmd_chat(args) -> int:
    from assistant.agent import Assistant
    from assistant.repl import run_repl

    assistant = Assistant.from_config(args.data, args.model, args.store, args.actions)
    with assistant:
        return run_repl(assistant, sender_id=args.sender, debug=args.debug, user_id=args.user)


def cmd_test(args) -> int:
    from assistant.paths import default_data_dir
    from assistant.replay import ReplayRunner, load_dialogues
    from assistant.replay.report import format_result, summary, write_reports

    data = Path(args.data) if args.data else default_data_dir()
    dialogues = load_dialogues(args.paths or [data / "dialogues"])  # a malformed file: error, exit 2
    if not dialogues:
        print("error: no dialogues found in " + " ".join(args.paths or [str(data / "dialogues")]), file=sys.stderr)
        return 2
    with ReplayRunner.from_config(data, _resolve_model(args.model, str(data)), seed=args.seed) as runner:
        runner.check(dialogues)

        def show(result) -> None:
            if not result.passed:
                print(format_result(result) + "\n", flush=True)

        results = runner.run(dialogues, fail_fast=args.fail_fast, on_result=show)
    not_run = dialogues[len(results):]
    files = write_reports(results, args.out, not_run)
    print(summary(results, len(not_run)))
    print(f"reports: {files['failed']}, {files['junit']}", file=sys.stderr)
    return 0 if all(r.passed for r in results) and not not_run else 1


def cmd_serve(args) -> int:
    from assistant.server.serve import run_from_args

    return run_from_args(args)
