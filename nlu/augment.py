"""Training-data augmentation that keeps entity annotations exact.

Three generators, all returning NEW examples only (the caller adds them to the
originals):

* lookup fill: put an element of the lookup table named after an entity type
  into a span of that type;
* value swap: put a surface text annotated for the same type elsewhere;
* recombine: join two examples of different intents into one multi-request
  example with intent ``"a+b"`` (Rasa's multi-intent naming).

Examples are cut into alternating filler and entity parts before editing, so
new offsets fall out of concatenation instead of error-prone shifting.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from nlu.tokenizer import tokenize, tokens_from_words
from nlu.types import EntitySpan, Example, TrainingData

CONNECTORS: tuple[str, ...] = (" and ", ", then ", ". Also, ", " and also ", ", and ")
# Tries per wanted copy before giving up: small tables or pools often yield
# texts that already exist, and we would rather make fewer copies than loop.
_ATTEMPTS = 5
_SUFFIX = " (augmented)"


@dataclass
class AugmentConfig:
    """How many copies each generator makes; rates are expected copies per eligible example."""

    lookup_fill: float = 1.0
    value_swap: float = 1.0
    # swap in only values annotated in examples of the same intent, so a
    # playlist name never lands where a book title was
    swap_within_intent: bool = False
    recombine: float = 0.0
    max_examples: int | None = None
    seed: int = 42


# (text, span): span is None for filler. For pre-tokenised examples the text is
# the part's words joined by single spaces, which is how they are rebuilt.
_Part = tuple[str, EntitySpan | None]


@dataclass
class _Doc:
    example: Example
    parts: list[_Part]
    tokenised: bool


def augment(data: TrainingData, config: AugmentConfig) -> list[Example]:
    """Return new, deduplicated examples made from ``data``; deterministic for ``config.seed``."""
    for name in ("lookup_fill", "value_swap", "recombine"):
        if getattr(config, name) < 0:
            raise ValueError(f"AugmentConfig.{name} must be >= 0")
    if config.max_examples is not None and config.max_examples < 0:
        raise ValueError("AugmentConfig.max_examples must be >= 0 or None")

    rng = random.Random(config.seed)
    seen = {ex.text for ex in data.examples}
    # examples whose annotations cannot be edited safely are skipped, not repaired
    docs = [d for d in map(_to_doc, data.examples) if d is not None]
    out: list[Example] = []

    def from_lookup(doc: _Doc, entity: str) -> Sequence[tuple[str, str | None]]:
        return [(x, None) for x in data.lookups.get(entity, ())]

    pool = _surface_pool(docs, config.swap_within_intent)

    def from_pool(doc: _Doc, entity: str) -> Sequence[tuple[str, str | None]]:
        return pool.get((doc.example.intent if config.swap_within_intent else None, entity), ())

    if config.lookup_fill > 0:
        out += _fill(docs, config.lookup_fill, from_lookup, data.synonyms, rng, seen)
    if config.value_swap > 0:
        out += _fill(docs, config.value_swap, from_pool, data.synonyms, rng, seen)
    if config.recombine > 0:
        out += _recombine(docs, config.recombine, rng, seen)

    if config.max_examples is not None and len(out) > config.max_examples:
        # a random subset (kept in order) rather than a prefix, so one
        # generator or the first examples do not take the whole budget
        keep = sorted(rng.sample(range(len(out)), config.max_examples))
        out = [out[i] for i in keep]
    return out


def _to_doc(ex: Example) -> _Doc | None:
    """Cut ``ex`` into parts, or None if its spans are invalid, overlap or split a token."""
    spans = sorted(ex.entities, key=lambda s: (s.start, s.end))
    prev = 0
    for s in spans:
        if s.start < prev or s.end <= s.start or s.end > len(ex.text):
            return None
        prev = s.end
    parts: list[_Part] = []
    if ex.tokens is None:
        pos = 0
        for s in spans:
            parts += [(ex.text[pos : s.start], None), (ex.text[s.start : s.end], s)]
            pos = s.end
        parts.append((ex.text[pos:], None))
        return _Doc(ex, parts, False)

    words = [t.text for t in ex.tokens]
    # words must survive a round trip through " ".join / str.split
    if any(not w or w != "".join(w.split()) for w in words):
        return None
    if any(a.end > b.start for a, b in zip(ex.tokens, ex.tokens[1:])):
        return None
    first = {t.start: i for i, t in enumerate(ex.tokens)}
    after = {t.end: i + 1 for i, t in enumerate(ex.tokens)}
    pos = 0
    for s in spans:
        i, j = first.get(s.start), after.get(s.end)
        if i is None or j is None or i < pos or j <= i:
            return None
        parts += [(" ".join(words[pos:i]), None), (" ".join(words[i:j]), s)]
        pos = j
    parts.append((" ".join(words[pos:]), None))
    return _Doc(ex, parts, True)


def _build(parts: list[_Part], tokenised: bool, intent: str | None, source: str) -> Example:
    """Turn parts back into an example with exact entity offsets (and tokens if tokenised)."""
    entities: list[EntitySpan] = []
    if not tokenised:
        pos = 0
        for text, span in parts:
            if span is not None:
                entities.append(replace(span, start=pos, end=pos + len(text)))
            pos += len(text)
        return Example("".join(t for t, _ in parts), intent, entities, None, source)
    words: list[str] = []
    ranges: list[tuple[int, int, EntitySpan]] = []
    for text, span in parts:
        w = text.split()
        if span is not None:
            ranges.append((len(words), len(words) + len(w), span))
        words += w
    text, tokens = tokens_from_words(words)
    entities = [replace(s, start=tokens[i].start, end=tokens[j - 1].end) for i, j, s in ranges]
    return Example(text, intent, entities, tokens, source)


def _source(*sources: str | None) -> str:
    # strip an earlier suffix so augmenting augmented data does not stack it
    names = [(s or "?").removesuffix(_SUFFIX) for s in sources]
    return "+".join(names) + _SUFFIX


def _count(rate: float, rng: random.Random) -> int:
    """Whole part of ``rate`` always, the fraction with that probability: expectation == rate."""
    whole = int(rate)
    return whole + (rng.random() < rate - whole)


def _surface_pool(docs: list[_Doc], by_intent: bool) -> dict[tuple[str | None, str], list[tuple[str, str | None]]]:
    """(intent or None, entity type) -> distinct (surface, canonical value or None) in data order."""
    pool: dict[tuple[str | None, str], list[tuple[str, str | None]]] = {}
    seen: set[tuple[str | None, str, str]] = set()
    for doc in docs:
        intent = doc.example.intent if by_intent else None
        for text, span in doc.parts:
            if span is None or (intent, span.entity, text.lower()) in seen:
                continue
            seen.add((intent, span.entity, text.lower()))
            # a value differing from the surface is a deliberate annotation: keep it
            value = span.value if span.value != text else None
            pool.setdefault((intent, span.entity), []).append((text, value))
    return pool


def _fill(
    docs: list[_Doc],
    rate: float,
    choices: Callable[[_Doc, str], Sequence[tuple[str, str | None]]],
    synonyms: dict[str, str],
    rng: random.Random,
    seen: set[str],
) -> list[Example]:
    """Copies of each doc with one entity span's text replaced by one of ``choices(type)``."""
    out: list[Example] = []
    for doc in docs:
        slots = [k for k, (_, s) in enumerate(doc.parts) if s is not None and choices(doc, s.entity)]
        if not slots:
            continue
        # re-using a surface already in the example ("from berlin to berlin") teaches nothing
        present = {t.lower() for t, s in doc.parts if s is not None}
        for _ in range(_count(rate, rng)):
            for _ in range(_ATTEMPTS):
                k = rng.choice(slots)
                span = doc.parts[k][1]
                assert span is not None
                new, value = rng.choice(choices(doc, span.entity))
                # tokenised text is rebuilt from words, so normalise spacing now
                new = " ".join(new.split()) if doc.tokenised else new.strip()
                if not new or new.lower() in present or _doubles_a_word(doc.parts, k, new):
                    continue
                parts = list(doc.parts)
                if value is None:
                    value = synonyms.get(new.lower(), new)
                parts[k] = (new, replace(span, value=value))
                ex = _build(parts, doc.tokenised, doc.example.intent, _source(doc.example.source))
                if ex.text not in seen:
                    seen.add(ex.text)
                    out.append(ex)
                    break
    return out


def _doubles_a_word(parts: list[_Part], k: int, new: str) -> bool:
    """Whether ``new`` in part ``k`` would repeat the word next to it: a value "the ghost house series"
    after "rate the" makes "rate the the ghost house series", which nobody says."""
    words = new.lower().split()
    before = parts[k - 1][0].lower().split() if k > 0 else []
    after = parts[k + 1][0].lower().split() if k + 1 < len(parts) else []
    return bool(words) and ((bool(before) and before[-1] == words[0]) or (bool(after) and after[0] == words[-1]))


def _recombine(docs: list[_Doc], rate: float, rng: random.Random, seen: set[str]) -> list[Example]:
    """Multi-request examples ``a <connector> b`` with intent ``"a+b"``."""
    # group by (tokenised, intent): mixing kinds would leave one side without exact tokens
    groups: dict[tuple[bool, str], list[_Doc]] = {}
    for doc in docs:
        if doc.example.intent is not None:
            groups.setdefault((doc.tokenised, doc.example.intent), []).append(doc)
    out: list[Example] = []
    for a in docs:
        intent_a = a.example.intent
        if intent_a is None:
            continue
        mine = set(intent_a.split("+"))
        # pick the partner's intent first so frequent intents do not crowd out rare ones
        partners = [i for t, i in groups if t == a.tokenised and mine.isdisjoint(i.split("+"))]
        if not partners:
            continue
        for _ in range(_count(rate, rng)):
            for _ in range(_ATTEMPTS):
                b = rng.choice(groups[(a.tokenised, rng.choice(partners))])
                connector = rng.choice(CONNECTORS)
                if a.tokenised:
                    connector = " ".join(t.text for t in tokenize(connector))
                parts = [*a.parts, (connector, None), *b.parts]
                intent = f"{intent_a}+{b.example.intent}"
                ex = _build(parts, a.tokenised, intent, _source(a.example.source, b.example.source))
                if ex.text not in seen:
                    seen.add(ex.text)
                    out.append(ex)
                    break
    return out
