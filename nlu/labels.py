"""Label spaces of the joint model and the word-level BIO view of entity spans."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlu.types import EntitySpan, Example, Token
from nlu.tokenizer import tokenize

OUTSIDE = "O"


def example_words(example: Example) -> list[Token]:
    return example.tokens if example.tokens is not None else tokenize(example.text)


def bio_tags(words: list[Token], spans: list[EntitySpan]) -> list[str]:
    """Tag each word B-/I-<type> when it overlaps an entity span, else O."""
    tags = [OUTSIDE] * len(words)
    for span in sorted(spans, key=lambda s: s.start):
        inside = [i for i, w in enumerate(words) if w.start < span.end and w.end > span.start]
        for n, i in enumerate(inside):
            if tags[i] != OUTSIDE:  # overlapping annotations: the first one keeps the word
                continue
            tags[i] = ("B-" if n == 0 else "I-") + span.entity
    return tags


def chunks(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first word, last word + 1) chunks; an I- without its B- starts a chunk (conlleval)."""
    out: list[tuple[str, int, int]] = []
    current: list | None = None
    for i, tag in enumerate(tags + [OUTSIDE]):
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and current is not None and current[0] == kind
        if current is not None and not continues:
            out.append((current[0], current[1], i))
            current = None
        if prefix in ("B", "I") and not continues:
            current = [kind, i]
    return out


@dataclass
class LabelSpace:
    intents: list[str]
    tags: list[str]
    # intent -> indices of tags seen with it in training (O always allowed)
    intent_tags: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_examples(cls, examples: list[Example]) -> "LabelSpace":
        intents = sorted({e.intent for e in examples if e.intent is not None})
        types = sorted({s.entity for e in examples for s in e.entities})
        tags = [OUTSIDE] + [f"{p}-{t}" for t in types for p in ("B", "I")]
        index = {t: i for i, t in enumerate(tags)}
        seen: dict[str, set[int]] = {i: {0} for i in intents}
        for e in examples:
            if e.intent is None:
                continue
            for s in e.entities:
                seen[e.intent].update((index["B-" + s.entity], index["I-" + s.entity]))
        return cls(intents, tags, {k: sorted(v) for k, v in seen.items()})

    def to_dict(self) -> dict:
        return {"intents": self.intents, "tags": self.tags, "intent_tags": self.intent_tags}

    @classmethod
    def from_dict(cls, d: dict) -> "LabelSpace":
        return cls(list(d["intents"]), list(d["tags"]), {k: list(v) for k, v in d.get("intent_tags", {}).items()})
