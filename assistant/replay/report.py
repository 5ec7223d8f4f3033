"""What a replay tells people: failures on the console, the failed dialogues as YAML (the failing step
marked, so the file can be read, fixed and replayed), and JUnit XML for CI (one testcase per dialogue).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from .matcher import Turn, intent_of, recommendation_of, response_of, show
from .model import Dialogue, UserStep
from .runner import DialogueResult

FAILED_FILE = "failed_dialogues.yml"
JUNIT_FILE = "junit.xml"


# ===================================================================== the console


def summary(results: Sequence[DialogueResult], not_run: int = 0) -> str:
    passed = sum(1 for r in results if r.passed)
    line = f"{passed} passed, {len(results) - passed} failed"
    return line + (f", {not_run} not run (--fail-fast)" if not_run else "")


def describe_turn(turn: Turn) -> list[str]:
    """What the assistant understood and did in a turn: intent, entities, tasks, bot messages."""
    parse = turn.parse
    name, confidence = intent_of(parse)
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != name][:2]
    others = ", ".join(f"{r.get('name')} {float(r.get('confidence') or 0):.2f}" for r in ranking)
    lines = [f"intent: {name} ({confidence:.2f})" + (f"; next: {others}" if others else "")]
    entities = ", ".join(f"{e.get('entity')}={show(e.get('value'))}" for e in parse.get("entities") or [])
    lines.append(f"entities: {entities or '(none)'}")
    segments = parse.get("segments") or []
    if len(segments) > 1:
        for segment in segments:
            seg_name, seg_conf = intent_of(segment)
            lines.append(f"request: {segment.get('text')!r} -> {seg_name} ({seg_conf:.2f})")
    state = turn.state
    if state.tasks:
        for task in state.tasks:
            focus = "*" if task.id == state.focus else " "
            slots = ", ".join(f"{k}={show(v)}" for k, v in task.slots.items())
            lines.append(f"task {focus}{task.id} [{task.status}] {slots}".rstrip())
    else:
        lines.append("tasks: (none)")
    known = {k: v for k, v in state.slots.items() if v is not None}
    if known:
        lines.append("slots: " + ", ".join(f"{k}={show(v)}" for k, v in known.items()))
    if not turn.bots:
        lines.append("bot: (said nothing)")
    for i, event in enumerate(turn.bots, start=1):
        lines.append(f"bot {i}: " + describe_bot(event))
    return lines


def describe_bot(event: dict[str, Any]) -> str:
    response = response_of(event) or "(no response name)"
    text = f"{response}: {event.get('text')!r}"
    found = recommendation_of(event)
    if found is not None:
        text += " recommends " + ", ".join(f"{k}={found[k]}" for k in ("kind", "id", "name") if k in found)
    return text


def step_line(step: Any) -> str:
    if isinstance(step, UserStep):
        return f"- user: {step.text!r}"
    raw = getattr(step, "raw", None)
    if isinstance(raw, dict):
        return "- " + yaml.safe_dump(raw, default_flow_style=True, sort_keys=False, width=10_000).strip()[1:-1]
    return "- " + type(step).__name__


def format_result(result: DialogueResult) -> str:
    """A failed (or broken) dialogue, as printed: where, what was expected, what happened."""
    dialogue = result.dialogue
    lines = [f"FAILED {dialogue.name} ({dialogue.where})"]
    if result.error:
        lines.append("  the runner broke:")
        lines += ["    " + line for line in result.error.rstrip().splitlines()]
        return "\n".join(lines)
    failure = result.failure
    if failure is None:
        return f"passed {dialogue.name} ({dialogue.where})"
    by_step: dict[int, list[str]] = {}
    for index, problem in failure.problems:
        by_step.setdefault(index, []).append(problem)
    for index in sorted(by_step):
        step = dialogue.steps[index - 1]
        lines.append(f"  step {index} ({step.where}): {step_line(step)}")
        lines += [f"    {problem}" for problem in by_step[index]]
    if failure.turn is not None:
        lines.append(f"  what happened in that turn (conversation {failure.turn.sender_id}):")
        lines += ["    " + line for line in describe_turn(failure.turn)]
    return "\n".join(lines)


# ===================================================================== the failed dialogues


def _flow(value: Any) -> str:
    """A value on one line, quoted as YAML needs (``{hotel-area: north}``, ``'yes'``, ``/where/i``)."""
    return yaml.safe_dump([value], default_flow_style=True, sort_keys=False, allow_unicode=True,
                          width=1_000_000).strip()[1:-1]


def _item(mapping: dict[str, Any], indent: str) -> list[str]:
    """A mapping as a block list item: its first key after '- ', each value on its key's line."""
    lines = [f"{indent}  {key}: {_flow(value)}" for key, value in mapping.items()]
    if lines:
        lines[0] = f"{indent}- " + lines[0][len(indent) + 2:]
    return lines


def failed_dialogues_yaml(results: Iterable[DialogueResult]) -> str:
    """The failed dialogues in the input format; comments mark each failing step and what happened."""
    failed = [r for r in results if not r.passed]
    lines = ["# Scripted dialogues that failed (assistant test). Each failing step is marked with a",
             "# '# FAILED' comment saying what was expected and what the assistant did; the file replays as is."]
    if not failed:
        return "\n".join(lines + ["dialogues: []", ""])
    lines.append("dialogues:")
    for result in failed:
        dialogue = result.dialogue
        lines.append(f"  # from {dialogue.where}")
        head = {k: v for k, v in dict(dialogue.raw).items() if k != "steps"}
        lines += _item(head, "  ")
        lines.append("    steps:")
        marks = _marks(result)
        for index, step in enumerate(dialogue.steps, start=1):
            raw = step.raw if isinstance(step.raw, dict) else {"user": step.raw}
            lines += _item(raw, "      ")
            lines += [f"      # {line}" for line in marks.get(index, [])]
        if result.error:
            lines.append("      # FAILED: the runner broke: " + result.error.strip().splitlines()[-1])
    return "\n".join(lines) + "\n"


def _marks(result: DialogueResult) -> dict[int, list[str]]:
    failure = result.failure
    if failure is None:
        return {}
    marks: dict[int, list[str]] = {}
    for index, problem in failure.problems:
        marks.setdefault(index, []).append(f"FAILED: {problem}")
    if failure.turn is not None:
        marks[failure.index] += ["  " + line for line in describe_turn(failure.turn)]
    return marks


# ===================================================================== JUnit XML


def junit_xml(results: Sequence[DialogueResult], not_run: Sequence[Dialogue] = (), name: str = "assistant test") -> str:
    """One testsuite per file, one testcase per dialogue (failure, error or skipped)."""
    suites: dict[str, list[tuple[Dialogue, DialogueResult | None]]] = {}
    for result in results:
        suites.setdefault(result.dialogue.path, []).append((result.dialogue, result))
    for dialogue in not_run:
        suites.setdefault(dialogue.path, []).append((dialogue, None))
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for path, cases in suites.items():
        counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        suite = ET.SubElement(root, "testsuite", name=path)
        for dialogue, result in cases:
            case = ET.SubElement(suite, "testcase", classname=_classname(path), name=dialogue.name,
                                 file=path, line=str(dialogue.where.line),
                                 time=f"{result.seconds:.3f}" if result else "0")
            if result is None:
                ET.SubElement(case, "skipped", message="not run: an earlier dialogue failed (--fail-fast)")
                counts["skipped"] += 1
                continue
            counts["time"] += result.seconds
            if result.error:
                error = ET.SubElement(case, "error", message="the runner broke", type="ReplayError")
                error.text = result.error
                counts["errors"] += 1
            elif result.failure is not None:
                first = result.failure
                message = f"step {first.index} ({first.step.where}): " + "; ".join(
                    p for i, p in first.problems if i == first.index)
                failure = ET.SubElement(case, "failure", message=message, type="DialogueFailure")
                failure.text = format_result(result)
                counts["failures"] += 1
        for key, value in counts.items():
            suite.set(key, f"{value:.3f}" if key == "time" else str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, f"{value:.3f}" if key == "time" else str(int(value)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _classname(path: str) -> str:
    stem = Path(path).with_suffix("")
    parts = [p for p in stem.parts[-2:] if p not in ("/", "")]
    return ".".join(parts)


def write_reports(results: Sequence[DialogueResult], out_dir: str | Path,
                  not_run: Sequence[Dialogue] = ()) -> dict[str, Path]:
    """``failed_dialogues.yml`` and ``junit.xml`` in ``out_dir`` (created); their paths by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    failed = out / FAILED_FILE
    failed.write_text(failed_dialogues_yaml(results), encoding="utf-8")
    junit = out / JUNIT_FILE
    junit.write_text(junit_xml(results, not_run), encoding="utf-8")
    return {"failed": failed, "junit": junit}
