"""The terminal chat: a thin client of ``Assistant.handle`` (no dialogue logic lives here)."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

HELP = (
    "Type a message. Buttons appear as numbered choices: type the number to pick one.\n"
    "Commands: /debug (toggle details each turn), /profile (what I know about you), "
    "/restart (start over), /help, /quit (or Ctrl-D)."
)


def format_messages(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Screen lines for the bot's messages, and the buttons offered (numbered in order)."""
    lines: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in messages:
        if message.get("text"):
            lines.append(f"bot> {message['text']}")
        if message.get("image"):
            lines.append(f"bot> [image] {message['image']}")
        if message.get("custom"):
            lines.append("bot> " + json.dumps(message["custom"], ensure_ascii=False))
        for button in message.get("buttons") or []:
            buttons.append(button)
            lines.append(f"     {len(buttons)}) {button.get('title', button.get('payload', ''))}")
    if not messages:
        lines.append("bot> (no answer)")
    return lines, buttons


def describe_turn(assistant, sender_id: str, user_id: str | None = None) -> list[str]:
    """Debug lines: what was understood, the tasks on the agenda, the slots, the user's profile."""
    state = assistant.state(sender_id)
    parse = (state.latest_message or {}).get("parse_data") or state.latest_message or {}
    lines = []
    intent = parse.get("intent") or {}
    if intent:
        lines.append(f"  intent: {intent.get('name')} ({float(intent.get('confidence') or 0):.0%})")
    for entity in parse.get("entities") or []:
        lines.append(f"  entity: {entity.get('entity')}={entity.get('value')!r} [{entity.get('extractor')}]")
    for segment in parse.get("segments") or []:
        lines.append(f"  segment: {segment.get('text')!r} -> {segment.get('intent', {}).get('name')}")
    for task in state.tasks:
        focus = "*" if task.id == state.focus else " "
        filled = ", ".join(f"{k}={v}" for k, v in task.slots.items() if v is not None)
        lines.append(f" {focus}task {task.id} {task.type} [{task.status}] {filled}")
    known = {k: v for k, v in state.slots.items() if v is not None and k != "requested_slot"}
    if known:
        lines.append("  slots: " + ", ".join(f"{k}={v}" for k, v in known.items()))
    if getattr(assistant, "profiles", None) is not None:
        from assistant.profile.describe import describe_profile

        profile = assistant.profile(user_id or sender_id)
        if not profile.is_empty:
            lines.append("  profile: " + " ".join(describe_profile(profile)))
    return lines


def run_repl(assistant, sender_id: str = "local-user", debug: bool = False, stdin: TextIO | None = None,
             stdout: TextIO | None = None, user_id: str | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (input history and line editing)
        except ImportError:
            pass

    def show(lines: list[str]) -> None:
        for line in lines:
            print(line, file=stdout)
        stdout.flush()

    show([f"City concierge ready (conversation '{sender_id}').", HELP])
    buttons: list[dict[str, Any]] = []
    while True:
        try:
            line = input("you> ") if interactive else stdin.readline()
        except EOFError:  # Ctrl-D
            break
        if not interactive and line == "":
            break
        text = line.rstrip("\r\n")
        command = text.strip().lower()
        if command in ("/quit", "/exit"):
            break
        if command == "/help":
            show([HELP])
            continue
        if command == "/debug":
            debug = not debug
            show([f"debug {'on' if debug else 'off'}"])
            continue
        if command == "/profile":
            text = "what do you know about me?"
        if command.isdigit() and 1 <= int(command) <= len(buttons):
            chosen = buttons[int(command) - 1]
            show([f"  (you chose: {chosen.get('title')})"])
            text = chosen.get("payload") or chosen.get("title") or ""
        lines, buttons = format_messages(assistant.handle(sender_id, text, input_channel="cmdline", user_id=user_id))
        if command == "/restart" and lines == ["bot> (no answer)"]:
            lines = ["  (started over: the tasks of this conversation are gone; what I know about you is kept)"]
        show(lines)
        if debug:
            show(describe_turn(assistant, sender_id, user_id))
    show(["bye"])
    return 0
