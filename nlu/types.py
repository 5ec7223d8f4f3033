"""Plain data records shared by every NLU module: training examples and parses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Token:
    """A word of a message with its character span (``text == message[start:end]``)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity in a training example, by character offsets into the text."""

    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass
class Example:
    """One training utterance.

    ``tokens`` is set when the data fixes the words itself (the JSONL benchmark
    format); otherwise words come from :func:`nlu.tokenizer.tokenize`.
    ``source`` is ``"file:line"`` for error messages and error reports.
    """

    text: str
    intent: str | None
    entities: list[EntitySpan] = field(default_factory=list)
    tokens: list[Token] | None = None
    source: str | None = None


@dataclass
class TrainingData:
    """Everything an NLU data file can hold, merged across files."""

    examples: list[Example] = field(default_factory=list)
    # lower-cased surface form -> canonical value
    synonyms: dict[str, str] = field(default_factory=dict)
    # lookup table name (usually an entity type) -> elements
    lookups: dict[str, list[str]] = field(default_factory=dict)
    # regex feature name (usually an entity type) -> patterns
    regexes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples if e.intent is not None})

    @property
    def entity_types(self) -> list[str]:
        return sorted({s.entity for e in self.examples for s in e.entities})

    def merge(self, other: "TrainingData") -> "TrainingData":
        lookups = {k: list(v) for k, v in self.lookups.items()}
        for name, elements in other.lookups.items():
            lookups.setdefault(name, [])
            lookups[name].extend(x for x in elements if x not in lookups[name])
        regexes = {k: list(v) for k, v in self.regexes.items()}
        for name, patterns in other.regexes.items():
            regexes.setdefault(name, [])
            regexes[name].extend(p for p in patterns if p not in regexes[name])
        return TrainingData(
            examples=self.examples + other.examples,
            synonyms={**self.synonyms, **other.synonyms},
            lookups=lookups,
            regexes=regexes,
        )


@dataclass
class IntentPrediction:
    name: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "confidence": round(float(self.confidence), 6)}

    @classmethod
    def from_dict(cls, raw: Any) -> IntentPrediction:
        raw = raw if isinstance(raw, dict) else {}
        return cls(raw.get("name"), float(raw.get("confidence") or 0.0))  # type: ignore[arg-type]


@dataclass
class ParsedEntity:
    """An entity found in a message, in Rasa's parse format."""

    entity: str
    value: Any
    start: int
    end: int
    confidence: float
    extractor: str
    text: str = ""
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence": round(float(self.confidence), 6),
            "extractor": self.extractor,
            "text": self.text,
        }
        if self.role is not None:
            out["role"] = self.role
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ParsedEntity:
        return cls(str(raw.get("entity")), raw.get("value"), int(raw.get("start") or 0), int(raw.get("end") or 0),
                   float(raw.get("confidence") or 0.0), str(raw.get("extractor") or ""), str(raw.get("text") or ""),
                   raw.get("role"))


@dataclass
class Segment:
    """One request of a message that asks for several things."""

    text: str
    start: int
    end: int
    intent: IntentPrediction
    entities: list[ParsedEntity]

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "intent": self.intent.to_dict(),
            "entities": [e.to_dict() for e in self.entities],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Segment:
        return cls(str(raw.get("text") or ""), int(raw.get("start") or 0), int(raw.get("end") or 0),
                   IntentPrediction.from_dict(raw.get("intent")), _entities(raw.get("entities")))


@dataclass
class Parse:
    """The result of understanding one message (Rasa's parse JSON plus segments)."""

    text: str
    intent: IntentPrediction
    intent_ranking: list[IntentPrediction]
    entities: list[ParsedEntity]
    segments: list[Segment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent.to_dict(),
            "intent_ranking": [i.to_dict() for i in self.intent_ranking],
            "entities": [e.to_dict() for e in self.entities],
        }
        if self.segments:
            out["segments"] = [s.to_dict() for s in self.segments]
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Parse:
        """A parse read back from its JSON (a stored user event's ``parse_data``); missing parts are empty."""
        segments = raw.get("segments")
        return cls(
            str(raw.get("text") or ""),
            IntentPrediction.from_dict(raw.get("intent")),
            [IntentPrediction.from_dict(i) for i in raw.get("intent_ranking") or [] if isinstance(i, dict)],
            _entities(raw.get("entities")),
            [Segment.from_dict(x) for x in segments if isinstance(x, dict)] if isinstance(segments, list) else [],
        )


def _entities(raw: Any) -> list[ParsedEntity]:
    return [ParsedEntity.from_dict(e) for e in raw or [] if isinstance(e, dict)] if isinstance(raw, list) else []
