"""Evaluation metrics of the NLU: intent accuracy and F1, entity-level P/R/F1, errors.

Pure functions, no I/O (see :mod:`nlu.report` for files and plots).

Conventions, chosen to match Rasa / scikit-learn / seqeval so numbers are comparable:

* Entities are compared exactly: ``(entity_type, start_char, end_char)`` must all
  match. A predicted span that only overlaps a gold one is one false positive
  *and* one false negative (seqeval and conlleval count it the same way).
* Precision, recall and F1 are 0 when their denominator is 0 (scikit-learn's
  ``zero_division=0``), so an empty prediction set has precision 0, not 1.
* A gold intent of ``None`` means "not labelled" (entity-only examples): such an
  example is left out of every intent metric, like Rasa does, but still counts
  for entities and for sentence accuracy. A *predicted* intent of ``None`` means
  "no answer": it is wrong, is a false negative for the gold intent and a false
  positive for no intent, and shows in the confusion matrix as :data:`NO_INTENT`.
* All rates are floats in ``[0, 1]``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from nlu.types import Example, Parse

# Confusion-matrix label of a missing predicted intent; sorts after real names.
NO_INTENT = "<none>"

from nlu.bio import EntityTuple, spans_from_bio, word_spans_to_char_spans  # noqa: F401  (re-exported)


# --------------------------------------------------------------------------- BIO


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Prediction:
    """What one utterance means, gold or predicted: an intent and a set of entities."""

    intent: str | None
    entities: frozenset[EntityTuple] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # accept any iterable (list, set) of triples; a set makes comparison order-free
        object.__setattr__(
            self, "entities", frozenset((str(t), int(s), int(e)) for t, s, e in self.entities)
        )


def example_to_gold(example: Example) -> Prediction:
    """The gold answer of an annotated example (roles and groups are not scored)."""
    return Prediction(example.intent, frozenset((s.entity, s.start, s.end) for s in example.entities))


def parse_to_prediction(parse: Parse) -> Prediction:
    """What a parser answered, in the shape :func:`evaluate` compares."""
    intent = parse.intent.name or None  # "" is how "no intent" is sometimes spelled
    return Prediction(intent, frozenset((e.entity, e.start, e.end) for e in parse.entities))


@dataclass
class ClassMetrics:
    """Scores of one intent or entity type. ``support`` is the number of gold items."""

    precision: float
    recall: float
    f1: float
    support: int
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class ErrorRecord:
    """One utterance that was not understood perfectly.

    ``kind`` is ``"intent"``, ``"entities"`` or ``"intent+entities"``; ``missing``
    are gold entities not found (FN) and ``spurious`` predicted ones not in gold (FP).
    """

    index: int
    text: str | None
    kind: str
    gold_intent: str | None
    pred_intent: str | None
    gold_entities: list[EntityTuple]
    pred_entities: list[EntityTuple]
    missing: list[EntityTuple]
    spurious: list[EntityTuple]

    def to_dict(self) -> dict[str, Any]:
        def ents(items: list[EntityTuple]) -> list[dict[str, Any]]:
            out = []
            for typ, s, e in items:
                d: dict[str, Any] = {"entity": typ, "start": s, "end": e}
                if self.text is not None:
                    d["text"] = self.text[s:e]  # the surface form makes errors readable
                out.append(d)
            return out

        return {
            "index": self.index,
            "text": self.text,
            "kind": self.kind,
            "gold_intent": self.gold_intent,
            "pred_intent": self.pred_intent,
            "gold_entities": ents(self.gold_entities),
            "pred_entities": ents(self.pred_entities),
            "missing": ents(self.missing),
            "spurious": ents(self.spurious),
        }


@dataclass
class EvaluationResult:
    """Every number of one evaluation run; ``to_dict()`` is JSON-ready."""

    n_examples: int
    n_intent_examples: int  # examples with a gold intent: the intent metrics' denominator
    intent_accuracy: float
    intent_macro_f1: float
    intent_weighted_f1: float
    entity_precision: float
    entity_recall: float
    entity_f1: float
    entity_macro_f1: float
    entity_support: int  # gold entities
    entity_predicted: int  # predicted entities
    sentence_accuracy: float
    per_intent: dict[str, ClassMetrics]
    per_entity: dict[str, ClassMetrics]
    confusion_labels: list[str]
    confusion_matrix: list[list[int]]  # [gold_row][predicted_col], labels as above
    errors: list[ErrorRecord]

    def headline(self) -> dict[str, Any]:
        """The few numbers worth a glance (what ``metrics.json`` holds)."""
        return {
            "n_examples": self.n_examples,
            "n_intent_examples": self.n_intent_examples,
            "intent_accuracy": self.intent_accuracy,
            "intent_macro_f1": self.intent_macro_f1,
            "intent_weighted_f1": self.intent_weighted_f1,
            "entity_precision": self.entity_precision,
            "entity_recall": self.entity_recall,
            "entity_f1": self.entity_f1,
            "entity_macro_f1": self.entity_macro_f1,
            "entity_support": self.entity_support,
            "entity_predicted": self.entity_predicted,
            "sentence_accuracy": self.sentence_accuracy,
            "n_errors": len(self.errors),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.headline(),
            "per_intent": {k: v.to_dict() for k, v in self.per_intent.items()},
            "per_entity": {k: v.to_dict() for k, v in self.per_entity.items()},
            "confusion_labels": list(self.confusion_labels),
            "confusion_matrix": [list(row) for row in self.confusion_matrix],
            "errors": [e.to_dict() for e in self.errors],
        }


# --------------------------------------------------------------------------- scoring


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; each 0 where its denominator is 0."""
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def _class_metrics(tp: Counter[str], fp: Counter[str], fn: Counter[str]) -> dict[str, ClassMetrics]:
    labels = sorted(set(tp) | set(fp) | set(fn))
    out = {}
    for label in labels:
        p, r, f1 = prf(tp[label], fp[label], fn[label])
        out[label] = ClassMetrics(p, r, f1, tp[label] + fn[label], tp[label], fp[label], fn[label])
    return out


def macro_f1(per_class: dict[str, ClassMetrics]) -> float:
    """Unweighted mean F1 over classes (every label seen in gold or prediction)."""
    return _ratio(sum(m.f1 for m in per_class.values()), len(per_class))


def weighted_f1(per_class: dict[str, ClassMetrics]) -> float:
    """Mean F1 weighted by gold support (scikit-learn's ``average='weighted'``)."""
    total = sum(m.support for m in per_class.values())
    return _ratio(sum(m.f1 * m.support for m in per_class.values()), total)


def evaluate(
    gold: Sequence[Prediction],
    pred: Sequence[Prediction],
    texts: Sequence[str] | None = None,
) -> EvaluationResult:
    """Score predictions against gold answers, utterance by utterance (same order)."""
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold answers but {len(pred)} predictions")
    if texts is not None and len(texts) != len(gold):
        raise ValueError(f"{len(gold)} gold answers but {len(texts)} texts")

    i_tp: Counter[str] = Counter()
    i_fp: Counter[str] = Counter()
    i_fn: Counter[str] = Counter()
    e_tp: Counter[str] = Counter()
    e_fp: Counter[str] = Counter()
    e_fn: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    n_intent = intent_correct = sentence_correct = 0
    errors: list[ErrorRecord] = []

    for i, (g, p) in enumerate(zip(gold, pred)):
        intent_ok = True
        if g.intent is not None:
            n_intent += 1
            intent_ok = p.intent == g.intent
            pairs[(g.intent, p.intent if p.intent is not None else NO_INTENT)] += 1
            if intent_ok:
                intent_correct += 1
                i_tp[g.intent] += 1
            else:
                i_fn[g.intent] += 1
                if p.intent is not None:
                    i_fp[p.intent] += 1

        missing = g.entities - p.entities
        spurious = p.entities - g.entities
        for typ, _, _ in g.entities & p.entities:
            e_tp[typ] += 1
        for typ, _, _ in missing:
            e_fn[typ] += 1
        for typ, _, _ in spurious:
            e_fp[typ] += 1
        entities_ok = not missing and not spurious

        if intent_ok and entities_ok:
            sentence_correct += 1
        else:
            kind = "+".join(k for k, ok in (("intent", intent_ok), ("entities", entities_ok)) if not ok)
            errors.append(
                ErrorRecord(
                    index=i,
                    text=texts[i] if texts is not None else None,
                    kind=kind,
                    gold_intent=g.intent,
                    pred_intent=p.intent,
                    gold_entities=_sorted(g.entities),
                    pred_entities=_sorted(p.entities),
                    missing=_sorted(missing),
                    spurious=_sorted(spurious),
                )
            )

    per_intent = _class_metrics(i_tp, i_fp, i_fn)
    per_entity = _class_metrics(e_tp, e_fp, e_fn)
    tp, fp, fn = sum(e_tp.values()), sum(e_fp.values()), sum(e_fn.values())
    ent_p, ent_r, ent_f1 = prf(tp, fp, fn)

    # real intents sorted, the "no answer" column last so it does not hide among names
    labels = sorted({x for pair in pairs for x in pair} - {NO_INTENT})
    if any(pl == NO_INTENT for _, pl in pairs):
        labels.append(NO_INTENT)
    index = {label: k for k, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for (gl, pl), count in pairs.items():
        matrix[index[gl]][index[pl]] += count

    return EvaluationResult(
        n_examples=len(gold),
        n_intent_examples=n_intent,
        intent_accuracy=_ratio(intent_correct, n_intent),
        intent_macro_f1=macro_f1(per_intent),
        intent_weighted_f1=weighted_f1(per_intent),
        entity_precision=ent_p,
        entity_recall=ent_r,
        entity_f1=ent_f1,
        entity_macro_f1=macro_f1(per_entity),
        entity_support=tp + fn,
        entity_predicted=tp + fp,
        sentence_accuracy=_ratio(sentence_correct, len(gold)),
        per_intent=per_intent,
        per_entity=per_entity,
        confusion_labels=labels,
        confusion_matrix=matrix,
        errors=errors,
    )


def _sorted(entities: Iterable[EntityTuple]) -> list[EntityTuple]:
    return sorted(entities, key=lambda t: (t[1], t[2], t[0]))
