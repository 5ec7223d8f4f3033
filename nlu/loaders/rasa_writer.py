"""Writing training data back to Rasa 3 NLU YAML (loading the output gives the same data)."""

from __future__ import annotations

import json
import re

import yaml

from nlu.loaders.rasa_yaml import resolve_synonym
from nlu.types import EntitySpan, Example, TrainingData

_PLAIN_NAME = re.compile(r"^[A-Za-z_][\w./-]*$")
_SHORT_ENTITY = re.compile(r"^[^\s:()\[\]{}]+$")


def write_rasa_yaml(data: TrainingData) -> str:
    """Write ``data`` as Rasa 3 NLU YAML that loads back to equal data.

    Raises ValueError for what the format cannot hold: examples without an
    intent, overlapping entities, and texts with brackets or line breaks.
    ``tokens`` and ``source`` are not written.
    """
    out = ['version: "3.1"', "nlu:"]
    # a new item at every change of intent keeps the example order exact
    run_intent: str | None = None
    for ex in data.examples:
        if ex.intent is None:
            raise ValueError(f"example {ex.text!r} has no intent; Rasa YAML needs one per example")
        if ex.intent != run_intent:
            out += [f"- intent: {_yaml_name(ex.intent)}", "  examples: |"]
            run_intent = ex.intent
        out.append("    - " + _markup(ex, data.synonyms))
    # synonyms that an explicit annotation value recreates on load are left out
    derived = {
        ex.text[s.start : s.end].lower()
        for ex in data.examples
        for s in ex.entities
        if s.value != ex.text[s.start : s.end]
    }
    groups: dict[str, list[str]] = {}
    for surface, canonical in data.synonyms.items():
        if surface not in derived:
            groups.setdefault(canonical, []).append(surface)
    for canonical, surfaces in groups.items():
        lines = [s for s in surfaces if s != canonical.lower()] or [canonical]
        out += _section("synonym", canonical, lines)
    for name, elements in data.lookups.items():
        if elements:
            out += _section("lookup", name, elements)
    for name, patterns in data.regexes.items():
        if patterns:
            out += _section("regex", name, patterns)
    return "\n".join(out) + "\n"


def _section(kind: str, name: str, lines: list[str]) -> list[str]:
    for text in lines:
        _check_line(text, f"{kind} '{name}'")
    return [f"- {kind}: {_yaml_name(name)}", "  examples: |"] + [f"    - {t}" for t in lines]


def _check_line(text: str, owner: str) -> None:
    if not text.strip() or text != text.strip() or "\n" in text or "\r" in text:
        raise ValueError(f"{owner}: {text!r} cannot be written as one '- ' line")


def _yaml_name(name: str) -> str:
    # quote anything YAML would read as another type or as syntax
    if _PLAIN_NAME.match(name) and yaml.safe_load(name) == name:
        return name
    return json.dumps(name, ensure_ascii=False)


def _markup(ex: Example, synonyms: dict[str, str]) -> str:
    _check_line(ex.text, f"intent '{ex.intent}'")
    if "[" in ex.text or "]" in ex.text:
        raise ValueError(f"example {ex.text!r}: square brackets in text cannot be written in Rasa YAML")
    # entities on the same span share one `[text][{...}, {...}]` annotation
    groups: dict[tuple[int, int], list[EntitySpan]] = {}
    for span in sorted(ex.entities, key=lambda s: (s.start, s.end)):
        groups.setdefault((span.start, span.end), []).append(span)
    parts: list[str] = []
    pos = 0
    for (start, end), spans in groups.items():
        if start < pos:
            raise ValueError(f"example {ex.text!r}: overlapping entities cannot be written inline")
        surface = ex.text[start:end]
        if not surface.strip() or surface != surface.strip():
            raise ValueError(f"example {ex.text!r}: entity text {surface!r} is empty or has outer spaces")
        parts.append(ex.text[pos:start])
        parts.append(f"[{surface}]{_annotation(spans, surface, synonyms)}")
        pos = end
    parts.append(ex.text[pos:])
    return "".join(parts)


def _annotation(spans: list[EntitySpan], surface: str, synonyms: dict[str, str]) -> str:
    span = spans[0]
    if (
        len(spans) == 1
        and span.value == surface
        and resolve_synonym(surface, synonyms) == surface  # else loading would map it to a synonym
        and span.role is None
        and span.group is None
        and _SHORT_ENTITY.match(span.entity)
    ):
        return f"({span.entity})"
    objs: list[dict[str, str]] = []
    for s in spans:
        # an explicit value always loads back as itself, whatever the synonyms say
        obj = {"entity": s.entity, "value": s.value}
        if s.role is not None:
            obj["role"] = s.role
        if s.group is not None:
            obj["group"] = s.group
        objs.append(obj)
    return json.dumps(objs[0] if len(objs) == 1 else objs, ensure_ascii=False)
