"""The JSON Lines benchmark format: one ``{"text", "tokens", "tags", "intent"}`` per line.

Tags are word-level IOB2; they become character spans over ``" ".join(tokens)``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nlu.errors import DataError
from nlu.tokenizer import tokens_from_words
from nlu.bio import spans_from_bio
from nlu.types import EntitySpan, Example, Token, TrainingData

_TAG = re.compile(r"^(?:O|[BI]-\S+)$")
_FIELDS = ("text", "tokens", "tags", "intent")


def load_jsonl(path: str | Path) -> TrainingData:
    """Load a JSONL benchmark file; blank lines are skipped."""
    name = str(path)
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DataError(name, line, "this looks like a binary file, not UTF-8 JSON Lines")
    examples: list[Example] = []
    # decode line by line so an encoding error points at its own line
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(name, number, "the line is not valid UTF-8; re-save the file as UTF-8") from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.strip():
            examples.append(_example(text, name, number))
    if not examples:
        raise DataError(name, None, "the file is empty; expected one JSON object per line")
    return TrainingData(examples=examples)


def _example(line_text: str, path: str, line: int) -> Example:
    def fail(problem: str) -> DataError:
        return DataError(path, line, problem)

    try:
        record: Any = json.loads(line_text)
    except json.JSONDecodeError as err:
        raise fail(f"invalid JSON ({err.msg} at column {err.colno}); each line must be one JSON object") from None
    if not isinstance(record, dict):
        raise fail('each line must be a JSON object {"text", "tokens", "tags", "intent"}')
    missing = [f for f in _FIELDS if f not in record]
    if missing:
        raise fail(f"missing field(s) {', '.join(missing)}; each line needs text, tokens, tags and intent")
    words, tags, intent = record["tokens"], record["tags"], record["intent"]
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w and not w.isspace() for w in words):
        raise fail('"tokens" must be a non-empty list of non-empty strings')
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise fail('"tags" must be a list of strings')
    if len(words) != len(tags):
        raise fail(f"{len(words)} tokens but {len(tags)} tags; there must be one tag per token")
    for index, tag in enumerate(tags):
        if not _TAG.match(tag):
            raise fail(f"tag {tag!r} (token {index + 1}) is not IOB2: use O, B-type or I-type")
    if not isinstance(intent, str) or not intent.strip():
        raise fail('"intent" must be a non-empty string')
    text, tokens = tokens_from_words(words)
    if record["text"] != text:
        raise fail('"text" must equal the tokens joined by single spaces')
    return Example(
        text=text,
        intent=intent,
        entities=iob_to_spans(text, tokens, tags),
        tokens=tokens,
        source=f"{path}:{line}",
    )


def iob_to_spans(text: str, tokens: list[Token], tags: list[str]) -> list[EntitySpan]:
    """IOB2 tags to character spans; an I- tag that cannot continue starts an entity (as conlleval)."""
    spans = []
    for kind, first, last in spans_from_bio(tags):
        start, end = tokens[first].start, tokens[last - 1].end
        spans.append(EntitySpan(start, end, kind, text[start:end]))
    return spans
