"""Rasa 3 NLU training data in YAML: a strict loader (the writer is in rasa_writer.py).

The loader walks yaml's node graph (``yaml.compose``) rather than plain
Python values because nodes carry line marks, which every example and every
error needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nlu.errors import DataError
from nlu.types import EntitySpan, Example, TrainingData

# libyaml is about 5x faster on big files and keeps the same node marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KINDS = ("intent", "synonym", "lookup", "regex")
_NULL_TAG = "tag:yaml.org,2002:null"
_JSON_KEYS = {"entity", "value", "role", "group"}
_SHAPE_HINT = (
    "NLU data looks like:\n"
    "nlu:\n"
    "- intent: greet\n"
    "  examples: |\n"
    "    - hello\n"
    "    - hi [there](name)"
)
_ANNOTATION_HINT = (
    'annotate entities as [text](entity), [text](entity:value) or [text]{"entity": "name"}'
)


def read_text_file(path: str | Path) -> str:
    """Read a UTF-8 text file, turning binary or mis-encoded content into DataError."""
    raw = Path(path).read_bytes()
    # a NUL byte never occurs in text files, so it is the cheapest binary test
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DataError(str(path), line, "this looks like a binary file, not a UTF-8 text data file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            str(path), line, f"the file is not valid UTF-8 (byte {err.start}); re-save it as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")  # editors on Windows may add a BOM


def load_rasa_yaml(path: str | Path, *, allow_no_nlu: bool = False) -> TrainingData:
    """Load a Rasa 3 NLU YAML file.

    With ``allow_no_nlu`` a file that holds no ``nlu`` key (a domain or stories
    file met while loading a directory) gives empty data instead of an error.
    """
    return parse_rasa_yaml(read_text_file(path), str(path), allow_no_nlu=allow_no_nlu)


def parse_rasa_yaml(text: str, path: str = "<string>", *, allow_no_nlu: bool = False) -> TrainingData:
    """Parse Rasa 3 NLU YAML held in a string; ``path`` is used for sources and errors."""
    if not text.strip():
        if allow_no_nlu:
            return TrainingData()
        raise DataError(path, None, "the file is empty; " + _SHAPE_HINT)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or "syntax error"
        if err.context:
            problem += f" ({err.context})"
        raise DataError(path, line, f"invalid YAML: {problem}; check indentation and quoting") from None
    except yaml.YAMLError as err:
        raise DataError(path, None, f"invalid YAML: {err}") from None
    nlu = _nlu_node(root, path, allow_no_nlu)
    if nlu is None:
        return TrainingData()
    return _Parser(path).parse(nlu)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _mapping(node: MappingNode, path: str) -> dict[str, tuple[ScalarNode, Node]]:
    """Key -> (key node, value node); duplicate keys are an error (yaml would keep the last)."""
    out: dict[str, tuple[ScalarNode, Node]] = {}
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise DataError(path, _line(key), "a mapping key must be a plain word")
        if key.value in out:
            raise DataError(
                path, _line(key), f"duplicate key '{key.value}' (first at line {_line(out[key.value][0])})"
            )
        out[key.value] = (key, value)
    return out


def _nlu_node(root: Node | None, path: str, allow_no_nlu: bool) -> SequenceNode | None:
    if root is None:  # only comments or `---`
        if allow_no_nlu:
            return None
        raise DataError(path, None, "the file is empty (it holds only comments); " + _SHAPE_HINT)
    if not isinstance(root, MappingNode):
        if allow_no_nlu:
            return None
        raise DataError(path, _line(root), "the top level must be a mapping with an `nlu:` key; " + _SHAPE_HINT)
    entries = _mapping(root, path)
    if "nlu" not in entries:
        if allow_no_nlu:
            return None
        raise DataError(path, None, "no top-level `nlu:` key; " + _SHAPE_HINT)
    _, nlu = entries["nlu"]
    if not isinstance(nlu, SequenceNode):
        raise DataError(
            path, _line(nlu), "`nlu:` must hold a list of items, each starting with '- intent:', "
            "'- synonym:', '- lookup:' or '- regex:'"
        )
    return nlu


@dataclass
class _RawSpan:
    start: int
    end: int
    entity: str
    value: str | None  # None: resolve through synonyms once the whole file is read
    role: str | None
    group: str | None


@dataclass
class _RawExample:
    text: str
    intent: str
    spans: list[_RawSpan]
    line: int


class _Parser:
    """One pass over the `nlu` items; span values are resolved at the end
    because a synonym may be declared after the example that uses it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.examples: list[_RawExample] = []
        self.synonyms: dict[str, tuple[str, int]] = {}  # surface -> (canonical, line declared)
        self.lookups: dict[str, list[str]] = {}
        self.regexes: dict[str, list[str]] = {}

    def parse(self, nlu: SequenceNode) -> TrainingData:
        for item in nlu.value:
            self._item(item)
        synonyms = {surface: canonical for surface, (canonical, _) in self.synonyms.items()}
        examples = [
            Example(
                text=raw.text,
                intent=raw.intent,
                entities=[
                    EntitySpan(
                        s.start,
                        s.end,
                        s.entity,
                        s.value if s.value is not None else resolve_synonym(raw.text[s.start : s.end], synonyms),
                        s.role,
                        s.group,
                    )
                    for s in raw.spans
                ],
                source=f"{self.path}:{raw.line}",
            )
            for raw in self.examples
        ]
        return TrainingData(examples, synonyms, self.lookups, self.regexes)

    def _error(self, line: int | None, problem: str) -> DataError:
        return DataError(self.path, line, problem)

    def _item(self, item: Node) -> None:
        if not isinstance(item, MappingNode):
            raise self._error(
                _line(item), "each `nlu` item must be a mapping such as '- intent: greet' with 'examples: |'"
            )
        entries = _mapping(item, self.path)
        kinds = [k for k in _KINDS if k in entries]
        if len(kinds) != 1:
            found = "none" if not kinds else " and ".join(kinds)
            raise self._error(
                _line(item), f"an `nlu` item needs exactly one of intent, synonym, lookup or regex (found {found})"
            )
        kind = kinds[0]
        for key, (key_node, _) in entries.items():
            if key not in (kind, "examples", "metadata"):
                raise self._error(
                    _line(key_node), f"unknown key '{key}' in a {kind} item; allowed: {kind}, examples, metadata"
                )
        name_node = entries[kind][1]
        if not isinstance(name_node, ScalarNode):
            raise self._error(_line(name_node), f"the {kind} name must be a single word, not a list or mapping")
        name = "" if name_node.tag == _NULL_TAG else name_node.value.strip()
        if not name:
            raise self._error(_line(name_node), f"empty {kind} name; write e.g. '- {kind}: my_name'")
        if "examples" not in entries:
            raise self._error(_line(item), f"{kind} '{name}' has no `examples:`; add 'examples: |' and lines '- ...'")
        lines = self._example_lines(entries["examples"][1], f"{kind} '{name}'")
        if kind == "intent":
            for text, line in lines:
                clean, spans = _parse_annotated(text, self.path, line)
                for span in spans:
                    surface = clean[span.start : span.end]
                    if span.value is not None and span.value != surface:
                        self._add_synonym(surface, span.value, line)
                self.examples.append(_RawExample(clean, name, spans, line))
        elif kind == "synonym":
            self._add_synonym(name, name, _line(name_node))
            for text, line in lines:
                self._add_synonym(text, name, line)
        elif kind == "lookup":
            elements = self.lookups.setdefault(name, [])
            elements.extend(t for t, _ in lines if t not in elements)
        else:
            patterns = self.regexes.setdefault(name, [])
            for pattern, line in lines:
                try:
                    re.compile(pattern)
                except re.error as err:
                    raise self._error(
                        line, f"regex '{name}': pattern {pattern!r} does not compile ({err}); fix or escape it"
                    ) from None
                if pattern not in patterns:
                    patterns.append(pattern)

    def _add_synonym(self, surface: str, canonical: str, line: int) -> None:
        key = surface.lower()
        known = self.synonyms.get(key)
        if known is not None and known[0] != canonical:
            raise self._error(
                line,
                f"'{surface}' is declared a synonym of both '{known[0]}' (line {known[1]}) and "
                f"'{canonical}'; a surface form can map to one value only",
            )
        if known is None:
            self.synonyms[key] = (canonical, line)

    def _example_lines(self, node: Node, owner: str) -> list[tuple[str, int]]:
        """The examples of an item as (text, line) pairs."""
        if isinstance(node, ScalarNode):
            if node.tag == _NULL_TAG:
                raise self._error(_line(node), f"{owner} has empty `examples:`; add lines such as '    - hello'")
            return self._block_lines(node, owner)
        if isinstance(node, SequenceNode):
            out: list[tuple[str, int]] = []
            for entry in node.value:
                scalar = self._list_entry(entry, owner)
                text = scalar.value.strip()
                if not text or "\n" in text:
                    raise self._error(
                        _line(scalar), f"{owner}: each listed example must be one non-empty line of text"
                    )
                out.append((text, _text_line(scalar)))
            if not out:
                raise self._error(_line(node), f"{owner} has no examples")
            return out
        raise self._error(_line(node), f"{owner}: `examples:` must be a block ('examples: |') of '- ' lines")

    def _list_entry(self, entry: Node, owner: str) -> ScalarNode:
        # Rasa 3 allows `- text: ...` with `metadata:` per example; metadata is ignored
        if isinstance(entry, MappingNode):
            fields = _mapping(entry, self.path)
            extra = set(fields) - {"text", "metadata"}
            if "text" not in fields or extra:
                raise self._error(_line(entry), f"{owner}: an example mapping takes only `text:` and `metadata:`")
            entry = fields["text"][1]
        if not isinstance(entry, ScalarNode) or entry.tag == _NULL_TAG:
            raise self._error(_line(entry), f"{owner}: each example must be a line of text")
        return entry

    def _block_lines(self, node: ScalarNode, owner: str) -> list[tuple[str, int]]:
        if node.style == ">":
            raise self._error(
                _line(node), f"{owner}: use 'examples: |' not '>': a folded block joins the lines into one"
            )
        # in a literal block each value line is one file line after the `|`
        # header; other scalar styles fold lines, so use the scalar's own line
        first = _line(node) + 1 if node.style == "|" else _line(node)
        out: list[tuple[str, int]] = []
        for offset, raw in enumerate(node.value.split("\n")):
            line = first + offset if node.style == "|" else first
            stripped = raw.strip()
            if not stripped:
                continue
            if not (stripped == "-" or stripped.startswith(("- ", "-\t"))):
                hint = " (comments are not allowed inside a '|' block)" if stripped.startswith("#") else ""
                raise self._error(
                    line, f"{owner}: example line {stripped!r} must start with '- '{hint}; "
                    "write each example as '    - text'"
                )
            text = stripped[1:].strip()
            if not text:
                raise self._error(line, f"{owner}: empty example after '- '; remove the line or add text")
            out.append((text, line))
        if not out:
            raise self._error(_line(node), f"{owner} has no examples; add lines such as '    - hello'")
        return out


def _text_line(node: ScalarNode) -> int:
    """Line of a scalar's text: the line after the header for block scalars."""
    if node.style in ("|", ">"):
        lines = node.value.split("\n")
        leading = next((i for i, l in enumerate(lines) if l.strip()), 0)
        return _line(node) + 1 + leading
    return _line(node)


def resolve_synonym(surface: str, synonyms: dict[str, str]) -> str:
    return synonyms.get(surface.lower(), surface)


def _parse_annotated(text: str, path: str, line: int) -> tuple[str, list[_RawSpan]]:
    """Strip inline entity markup from one example; spans index the clean text."""
    clean: list[str] = []
    spans: list[_RawSpan] = []
    length = 0
    i = 0

    def fail(col: int, problem: str) -> DataError:
        return DataError(path, line, f"in example {text!r}, column {col + 1}: {problem}")

    while i < len(text):
        ch = text[i]
        if ch == "]":
            raise fail(i, f"']' has no matching '['; {_ANNOTATION_HINT}")
        if ch != "[":
            clean.append(ch)
            length += 1
            i += 1
            continue
        close = text.find("]", i + 1)
        nested = text.find("[", i + 1)
        if close < 0 or (0 <= nested < close):
            raise fail(i, f"'[' is never closed by ']' (brackets cannot nest); {_ANNOTATION_HINT}")
        surface = text[i + 1 : close]
        if not surface.strip():
            raise fail(i, "empty entity value '[]'; put the entity text inside the brackets")
        if surface != surface.strip():
            raise fail(i, f"entity text {surface!r} has spaces inside the brackets; move them outside")
        after = close + 1
        if after < len(text) and text[after] == "(":
            new, i = _paren_annotation(text, after, fail)
        elif after < len(text) and text[after] in "{[":
            new, i = _json_annotation(text, after, fail)
        else:
            raise fail(i, f"'[{surface}]' must be followed directly by (entity) or {{...}}; {_ANNOTATION_HINT}")
        for entity, value, role, group in new:
            spans.append(_RawSpan(length, length + len(surface), entity, value, role, group))
        clean.append(surface)
        length += len(surface)
    return "".join(clean), spans


# (entity, explicit value, role, group)
_Annotation = tuple[str, str | None, str | None, str | None]
_Fail = Callable[[int, str], DataError]


def _paren_annotation(text: str, start: int, fail: _Fail) -> tuple[list[_Annotation], int]:
    end = text.find(")", start + 1)
    if end < 0:
        raise fail(start, "'(' after the entity text is never closed by ')'")
    body = text[start + 1 : end]
    entity, colon, value = body.partition(":")
    entity = entity.strip()
    if not entity:
        raise fail(start, "empty entity name in '(...)'; write [text](entity)")
    if colon and not value.strip():
        raise fail(start, f"empty value after '{entity}:'; write [text]({entity}:value) or drop the ':'")
    return [(entity, value.strip() if colon else None, None, None)], end + 1


def _json_annotation(text: str, start: int, fail: _Fail) -> tuple[list[_Annotation], int]:
    try:
        # raw_decode copes with braces inside JSON strings, which a regex would not
        obj, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as err:
        raise fail(start, f"bad JSON in entity annotation ({err.msg} at column {err.pos + 1}); "
                   'write e.g. {"entity": "city", "value": "Berlin"} with double quotes') from None
    objs = obj if isinstance(obj, list) else [obj]  # `[text][{...}, {...}]`: several entities on one span
    if not objs:
        raise fail(start, "empty entity list '[]' after the entity text")
    out: list[_Annotation] = []
    for o in objs:
        if not isinstance(o, dict):
            raise fail(start, 'an entity annotation must be a JSON object like {"entity": "city"}')
        unknown = set(o) - _JSON_KEYS
        if unknown:
            raise fail(start, f"unknown key(s) {sorted(unknown)} in entity annotation; allowed: {sorted(_JSON_KEYS)}")
        if "entity" not in o:
            raise fail(start, 'the entity annotation has no "entity" key; add {"entity": "name", ...}')
        for key in _JSON_KEYS & set(o):
            if not isinstance(o[key], str) or not o[key].strip():
                raise fail(start, f'"{key}" in the entity annotation must be a non-empty string')
        out.append((o["entity"].strip(), o.get("value"), o.get("role"), o.get("group")))
    return out, end
