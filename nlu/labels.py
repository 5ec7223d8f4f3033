"""Label spaces of the joint model and the word-level BIO view of entity spans."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlu.bio import OUTSIDE, bio_tags, example_words  # noqa: F401  (re-exported)
from nlu.types import Example


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
