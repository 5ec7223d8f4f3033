"""The NLU front door: text -> Parse (intent ranking, entities, segments).

Model entities come first; rule and pretrained-NER entities from spaCy fill
the gaps, and lend their canonical values (19:00, 4, friday) to model entities
over the same words. Any string gives a valid parse, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

from nlu.artifacts import ModelBundle, load_model
from nlu.fuzzy import allowed_typos, typo_distance
from nlu.normalize import normalize, readable, table_time, value_kind
from nlu.segment import Clause, continues_list, group_clauses, split_clauses
from nlu.tokenizer import tokenize
from nlu.types import IntentPrediction, Parse, ParsedEntity, Segment

MODEL_EXTRACTOR = "joint_model"
# the model and spaCy read only this much of a message; longer text is cut for them
MAX_CHARS = 5_000
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_ARTICLE = re.compile(r"^(?:the|a|an|some)\s+")


def _clean(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = str(text)
    # lone surrogates cannot cross into the Rust tokenizer; same length keeps offsets valid
    return _SURROGATES.sub("\ufffd", text)


def _misread_part(model: ParsedEntity, rule: ParsedEntity) -> bool:
    """A model entity that is only part of a longer known name (from the lookup tables) and whose
    words do not read as its kind of value: "Rosso" of "Forno Rosso" tagged as a day."""
    return (model.extractor == MODEL_EXTRACTOR and rule.start <= model.start and model.end <= rule.end
            and rule.end - rule.start > model.end - model.start and value_kind(model.entity) is not None
            and value_kind(rule.entity) is None and not readable(model.entity, model.text))


# slots whose value is a place a known name may fill ("from [the museum] of the [river wend]")
_PLACE_PARTS = frozenset({"name", "departure", "destination"})


def _pieces_of_name(models: list[ParsedEntity], rule: ParsedEntity) -> bool:
    """Model entities of one place slot that are only pieces of a longer name the lookup tables
    know ("[museum] of the [river wend]" as two departures): the name is the one value meant."""
    if not models or _slot_part(rule.entity) != "name" or value_kind(rule.entity) is not None:
        return False
    first = models[0]
    return (all(m.extractor == MODEL_EXTRACTOR and m.entity == first.entity and rule.start <= m.start
                and m.end <= rule.end for m in models)
            and _slot_part(first.entity) in _PLACE_PARTS and value_kind(first.entity) is None
            and sum(m.end - m.start for m in models) < rule.end - rule.start)


def _lends_value(rule: ParsedEntity, owner: ParsedEntity) -> bool:
    """Whether a rule entity inside a model entity gives the model entity its value: only a value of
    the same kind (a CARDINAL 18 in "18:45" is no departure time), and for text slots only one for
    the same part of the schema ("area" for an area) or for all of the words ("the [town centre]" is
    "centre", but the "gallery" of "Aldous Gallery" does not make the name a museum)."""
    kind = value_kind(owner.entity)
    if kind is not None or value_kind(rule.entity) is not None:
        return kind == value_kind(rule.entity)
    if _slot_part(rule.entity) == _slot_part(owner.entity):
        return True
    words = _ARTICLE.sub("", owner.text.lower())
    return rule.end == owner.end and rule.end - rule.start >= len(words)


def _slot_part(entity: str) -> str:
    return entity.lower().rsplit("-", 1)[-1]


class Parser:
    def __init__(
        self,
        bundle: ModelBundle,
        entity_extractor: Any | None = None,
        segment_min_confidence: float = 0.6,
        batch_size: int = 32,
    ) -> None:
        self.bundle = bundle
        self.synonyms = {k.lower(): v for k, v in bundle.synonyms.items()}
        self._misspelt_cache: dict[str, str | None] = {}  # about a millisecond a word: worth keeping
        self.entity_extractor = entity_extractor
        self.segment_min_confidence = segment_min_confidence
        self.batch_size = batch_size

    @classmethod
    def load(cls, model_dir: str | Path, use_spacy: bool = True, precision: str = "int8", **kwargs: Any) -> "Parser":
        """The parser of a trained model (``precision``: see :func:`nlu.artifacts.load_model`)."""
        bundle = load_model(model_dir, precision)
        extractor = None
        if use_spacy:
            from nlu.spacy_pipeline import SpacyEntityExtractor

            extractor = SpacyEntityExtractor(
                lookups=bundle.lookups, regexes=bundle.regexes, synonyms=bundle.synonyms
            )
        return cls(bundle, extractor, **kwargs)

    @property
    def intents(self) -> list[str]:
        return list(self.bundle.labels.intents)

    def parse(self, text: Any) -> Parse:
        return self.parse_batch([text])[0]

    def parse_batch(self, texts: Iterable[Any]) -> list[Parse]:
        originals = [_clean(t) for t in texts]
        clipped = [t[:MAX_CHARS] for t in originals]
        words = [tokenize(t) for t in clipped]
        # candidate clauses of every message go through the model in the same batches
        clause_lists = [split_clauses(t) if len(w) > 1 else [] for t, w in zip(clipped, words)]
        flat = [(i, c) for i, cl in enumerate(clause_lists) if len(cl) > 1 for c in cl]
        # model batches of at most 16, sorted by length: less padding, measurably faster on CPU
        everything = self.bundle.predictor.predict(
            words + [tokenize(c.text) for _, c in flat], batch_size=min(16, self.batch_size)
        )
        preds, clause_preds = everything[: len(words)], everything[len(words) :]
        rule_entities = self._rule_entities(clipped)
        by_message: dict[int, list[tuple[Clause, Any]]] = {}
        for (i, clause), p in zip(flat, clause_preds):
            by_message.setdefault(i, []).append((clause, p))

        parses = []
        for i, (text, pred) in enumerate(zip(originals, preds)):
            if not words[i]:
                parses.append(Parse(text, IntentPrediction(None, 0.0), [], []))  # type: ignore[arg-type]
                continue
            ranking = [IntentPrediction(name, conf) for name, conf in pred.intent_ranking]
            segments = self._segments(clipped[i], by_message.get(i, []), rule_entities[i])
            if segments:
                # each request read on its own tags like the training data does
                entities = [e for s in segments for e in s.entities]
            else:
                entities = self._merge(clipped[i], pred.entities, rule_entities[i])
            parses.append(Parse(text, ranking[0], ranking, entities, segments))
        return parses

    def _rule_entities(self, texts: list[str]) -> list[list[ParsedEntity]]:
        if self.entity_extractor is None:
            return [[] for _ in texts]
        try:
            return [list(x) for x in self.entity_extractor.pipe(texts, batch_size=self.batch_size)]
        except Exception:  # spaCy must never cost the user a parse
            return [[] for _ in texts]

    def _canonical(self, surface: str, typos: bool = False) -> str:
        """The synonyms' value for the words; ``typos``: also for a plain misspelling of one ("free
        parkng", "expnsive"), when all the nearest synonyms agree on the value."""
        key = surface.lower()
        if key in self.synonyms:
            return self.synonyms[key]
        # people say "the town centre" where the synonym is "town centre"
        bare = _ARTICLE.sub("", key)
        if bare in self.synonyms or not typos:
            return self.synonyms.get(bare, surface)
        return self._misspelt(bare) or surface

    def _misspelt(self, key: str) -> str | None:
        cache = self._misspelt_cache
        if key in cache:
            return cache.get(key)  # (another thread may have just cleared it: then None, as for no match)
        value = self._nearest_synonym(key)
        if len(cache) >= 4096:
            cache.clear()
        cache[key] = value
        return value

    def _nearest_synonym(self, key: str) -> str | None:
        limit = allowed_typos(key)
        if limit == 0:
            return None
        nearest: dict[int, set[str]] = {}
        for known, value in self.synonyms.items():
            distance = typo_distance(key, known, limit)
            if distance <= limit:
                nearest.setdefault(distance, set()).add(value)
        values = nearest[min(nearest)] if nearest else set()
        return next(iter(values)) if len(values) == 1 else None

    def _merge(self, text: str, model_entities, rule_entities: list[ParsedEntity]) -> list[ParsedEntity]:
        merged: list[ParsedEntity] = []
        for m in model_entities:
            surface = text[m.start : m.end]
            merged.append(
                ParsedEntity(m.entity, self._value(m.entity, surface), m.start, m.end, m.confidence, MODEL_EXTRACTOR,
                             surface)
            )
        for r in sorted(rule_entities, key=lambda e: (e.start, -(e.end - e.start))):
            overlapping = [m for m in merged if m.start < r.end and r.start < m.end]
            if _pieces_of_name(overlapping, r):
                piece = overlapping[0]
                merged = [m for m in merged if m not in overlapping]
                confidence = min(m.confidence for m in overlapping)
                merged.append(ParsedEntity(piece.entity, r.value, r.start, r.end, confidence, MODEL_EXTRACTOR,
                                           text[r.start:r.end]))
                continue
            if overlapping and all(_misread_part(m, r) for m in overlapping):
                # "Forno [Rosso](bookday)": the model's words are part of a known name and are no day
                merged = [m for m in merged if m not in overlapping]
                overlapping = []
            owner = overlapping[0] if overlapping else None
            if owner is None:
                merged.append(r)
            elif owner.extractor == MODEL_EXTRACTOR and owner.start <= r.start and r.end <= owner.end:
                # model found the slot, spaCy knows the canonical value of its words
                if owner.value == owner.text and r.value != r.text and _lends_value(r, owner):
                    owner.value = r.value
                if (owner.start, owner.end) == (r.start, r.end) and owner.entity != r.entity \
                        and _slot_part(owner.entity) == _slot_part(r.entity) == "name":
                    # "Jollof House" tagged a hotel's name: the lookup tables know it as a restaurant
                    owner.entity = r.entity
        return sorted(merged, key=lambda e: (e.start, e.end))

    def _value(self, entity: str, surface: str) -> Any:
        """Canonical value of a model entity's words: times, days and counts through the normaliser
        ("18:45" -> "18:45", "7pm" -> "19:00", "four" -> 4), anything else through the synonyms."""
        kind = value_kind(entity)
        if kind is not None:
            value = normalize(kind, surface)
            if kind == "time" and str(entity).lower().endswith("booktime"):
                value = table_time(value, surface)
            if value != surface:
                return value
        # names are the lookup tables' to read; other words may be a typo of a synonym ("free parkng")
        return self._canonical(surface, typos=kind is None and _slot_part(entity) != "name")

    def _segments(self, text: str, clauses, rule_entities: list[ParsedEntity]) -> list[Segment]:
        if len(clauses) < 2:
            return []
        continuing = [False] + [
            continues_list(c, [(e.start, e.entity) for e in p.entities], {e.entity for e in clauses[k - 1][1].entities})
            for k, (c, p) in enumerate(clauses[1:], start=1)
        ]
        groups = group_clauses(
            [c for c, _ in clauses], [p.intent_ranking[0] for _, p in clauses], self.segment_min_confidence, continuing,
            [not p.entities for _, p in clauses],
        )
        if len(groups) < 2:
            return []
        segments = []
        for n, (span, intent, conf, members) in enumerate(groups):
            # a segment runs up to the next one, so connectives' neighbours keep their entities
            end = groups[n + 1][0].start if n + 1 < len(groups) else len(text)
            model_entities = [
                replace(e, start=e.start + clauses[k][0].start, end=e.end + clauses[k][0].start)
                for k in members
                for e in clauses[k][1].entities
            ]
            rules = [e for e in rule_entities if e.start >= span.start and e.end <= end]
            segments.append(
                Segment(
                    text[span.start : span.end],
                    span.start,
                    span.end,
                    IntentPrediction(intent, conf),
                    self._merge(text, model_entities, rules),
                )
            )
        return segments
