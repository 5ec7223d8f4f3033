"""The terminal chat: a thin client that reads lines and prints what the assistant makes of them."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "Commands: /debug toggles details, /help shows this, /quit (or Ctrl-D) leaves."


def describe(parse) -> str:
    """One readable line of what was understood."""
    if parse.intent.name is None:
        return "(nothing to understand)"
    if parse.segments:
        parts = [_one(s.intent, s.entities) for s in parse.segments]
        return f"{len(parts)} requests: " + " | ".join(parts)
    return _one(parse.intent, parse.entities)


def _one(intent, entities) -> str:
    text = f"{intent.name} ({intent.confidence:.0%})"
    if entities:
        text += " with " + ", ".join(f"{e.entity}={e.value}" for e in entities)
    return text


def run_repl(model_dir: Path, debug: bool = False, stdin=None, stdout=None) -> int:
    import json

    from nlu.parser import Parser

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    parser = Parser.load(model_dir)
    interactive = stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (input history and line editing)
        except ImportError:
            pass
    print("City concierge. Understanding layer only so far: I tell you what I understood.", file=stdout)
    print(HELP, file=stdout)
    while True:
        try:
            line = input("you> ") if interactive else stdin.readline()
        except EOFError:  # Ctrl-D
            break
        if not interactive and line == "":
            break
        line = line.rstrip("\n")
        command = line.strip().lower()
        if command in ("/quit", "/exit"):
            break
        if command == "/help":
            print(HELP, file=stdout)
            continue
        if command == "/debug":
            debug = not debug
            print(f"debug {'on' if debug else 'off'}", file=stdout)
            continue
        parse = parser.parse(line)
        print(f"bot> I understood: {describe(parse)}", file=stdout)
        if debug:
            print(json.dumps(parse.to_dict(), indent=2, ensure_ascii=False), file=stdout)
        stdout.flush()
    print("bye", file=stdout)
    return 0
