"""Known entity values as features of the tagger (what Rasa's DIET does with lookup tables).

The gazetteer holds every entity value of the training data (and of its lookup tables named after
an entity), as lower-case word sequences with their entity types. A message's words get, for each
known value they are part of, the BIO tag that value would give them: a multi-hot vector over the
model's tag set that the entity head reads next to the encoder's view of the word.

In training, each example's features come from the values of the *other* half of the training data
(cross-fitting): the model then sees, as at parse time, names it knows and names it does not, and
learns how far to trust a match instead of copying it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from nlu.bio import bio_tags, example_words, spans_from_bio
from nlu.tokenizer import tokenize
from nlu.types import Example

MAX_WORDS = 6  # longer values are kept out: rare, and costly to look for at every position


@dataclass
class Gazetteer:
    """Entity values (lower-case words joined by one space) and the types each was seen as."""

    entries: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, examples: Iterable[Example], lookups: Mapping[str, Sequence[str]] | None = None,
              types: Iterable[str] = ()) -> "Gazetteer":
        found: dict[str, set[str]] = {}
        for example in examples:
            words = example_words(example)
            tags = bio_tags(words, example.entities)
            for kind, first, last in spans_from_bio(tags):
                if last - first <= MAX_WORDS:
                    found.setdefault(_key(w.text for w in words[first:last]), set()).add(kind)
        known = set(types)
        for name, values in (lookups or {}).items():
            if name not in known:
                continue  # a lookup table named after no entity type says nothing about tags
            for value in values:
                words = [t.text for t in tokenize(str(value))]
                if 0 < len(words) <= MAX_WORDS:
                    found.setdefault(_key(words), set()).add(name)
        return cls({k: sorted(v) for k, v in sorted(found.items())})

    def __len__(self) -> int:
        return len(self.entries)

    def matches(self, words: Sequence[str]) -> list[tuple[int, int, str]]:
        """(first word, end word, type) of every known value among ``words``, overlaps included."""
        lowered = [w.lower() for w in words]
        out = []
        for first in range(len(lowered)):
            for last in range(first + 1, min(len(lowered), first + MAX_WORDS) + 1):
                for kind in self.entries.get(" ".join(lowered[first:last]), ()):
                    out.append((first, last, kind))
        return out

    def features(self, words: Sequence[str], tag_index: Mapping[str, int]) -> list[list[int]]:
        """For each word, the indices of the tags known values would give it (types the model does
        not know are skipped)."""
        active: list[set[int]] = [set() for _ in words]
        for first, last, kind in self.matches(words):
            begin, inside = tag_index.get(f"B-{kind}"), tag_index.get(f"I-{kind}")
            if begin is None or inside is None:
                continue
            active[first].add(begin)
            for position in range(first + 1, last):
                active[position].add(inside)
        return [sorted(a) for a in active]

    def to_dict(self) -> dict:
        return {"max_words": MAX_WORDS, "entries": self.entries}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Gazetteer":
        return cls({str(k): [str(t) for t in v] for k, v in dict(data.get("entries") or {}).items()})


def cross_fitted(examples: Sequence[Example], lookups: Mapping[str, Sequence[str]] | None, types: Iterable[str],
                 seed: int) -> list[Gazetteer]:
    """For each example, the gazetteer of the other half of the data (plus the lookup tables)."""
    types = list(types)
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    fold = [0] * len(examples)
    for rank, i in enumerate(order):
        fold[i] = rank % 2
    halves = [Gazetteer.build([e for e, f in zip(examples, fold) if f != side], lookups, types) for side in (0, 1)]
    return [halves[f] for f in fold]


def _key(words: Iterable[str]) -> str:
    return " ".join(w.lower() for w in words)
