"""Metrics against values worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json

import pytest

from nlu.metrics import (
    NO_INTENT,
    Prediction,
    evaluate,
    example_to_gold,
    parse_to_prediction,
    prf,
    spans_from_bio,
    word_spans_to_char_spans,
)
from nlu.tokenizer import tokenize
from nlu.types import EntitySpan, Example, IntentPrediction, ParsedEntity, Parse

# ----------------------------------------------------------------------------- BIO


@pytest.mark.parametrize(
    "tags, spans",
    [
        ([], []),
        (["O", "O"], []),
        (["B-city", "I-city", "O"], [("city", 0, 2)]),
        # conlleval: I- after O opens a chunk rather than being dropped
        (["O", "I-city", "I-city", "O"], [("city", 1, 3)]),
        (["I-city"], [("city", 0, 1)]),
        # I- of another type closes the running chunk and opens a new one
        (["B-a", "I-b", "I-b"], [("a", 0, 1), ("b", 1, 3)]),
        # B- always opens a chunk, even of the same type
        (["B-a", "B-a", "I-a"], [("a", 0, 1), ("a", 1, 3)]),
        (["I-a", "I-a", "B-a", "I-a"], [("a", 0, 2), ("a", 2, 4)]),
        # chunk running to the end of the sentence
        (["O", "B-date", "I-date"], [("date", 1, 3)]),
        # BIOES is read with conlleval's meaning
        (["S-a", "B-b", "I-b", "E-b", "O"], [("a", 0, 1), ("b", 1, 4)]),
        (["E-a", "E-a"], [("a", 0, 1), ("a", 1, 2)]),
        (["B-a", "E-a", "I-a"], [("a", 0, 2), ("a", 2, 3)]),
    ],
)
def test_spans_from_bio(tags: list[str], spans: list[tuple[str, int, int]]) -> None:
    assert spans_from_bio(tags) == spans


@pytest.mark.parametrize("bad", ["X-city", "B-", "city", "b-city", "", "I_city"])
def test_spans_from_bio_rejects_malformed_tags(bad: str) -> None:
    with pytest.raises(ValueError, match="malformed tag"):
        spans_from_bio(["O", bad])


def test_word_spans_to_char_spans() -> None:
    tokens = tokenize("fly to New York today")
    spans = spans_from_bio(["O", "O", "B-city", "I-city", "B-date"])
    assert word_spans_to_char_spans(spans, tokens) == [("city", 7, 15), ("date", 16, 21)]


# ----------------------------------------------------------------------------- records


def test_prediction_accepts_lists_and_compares_as_set() -> None:
    a = Prediction("x", [("city", 0, 5), ("date", 6, 9)])
    b = Prediction("x", {("date", 6, 9), ("city", 0, 5)})
    assert a == b
    assert Prediction(None).entities == frozenset()


def test_example_to_gold_and_parse_to_prediction() -> None:
    ex = Example("to paris", "travel", [EntitySpan(3, 8, "city", "paris", role="to")])
    assert example_to_gold(ex) == Prediction("travel", {("city", 3, 8)})
    parse = Parse(
        text="to paris",
        intent=IntentPrediction("travel", 0.9),
        intent_ranking=[],
        entities=[ParsedEntity("city", "Paris", 3, 8, 0.8, "bert", "paris")],
    )
    assert parse_to_prediction(parse) == Prediction("travel", {("city", 3, 8)})
    empty = Parse("?", IntentPrediction("", 0.0), [], [])
    assert parse_to_prediction(empty).intent is None


def test_prf_zero_division() -> None:
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)
    assert prf(0, 3, 0) == (0.0, 0.0, 0.0)
    # tp=2 fp=2 fn=0: P=2/4, R=2/2, F1=2*.5*1/1.5=2/3
    assert prf(2, 2, 0) == pytest.approx((0.5, 1.0, 2 / 3))


# ----------------------------------------------------------------------------- entities


def test_entity_micro_and_per_type_by_hand() -> None:
    gold = [
        Prediction("i", {("city", 0, 5), ("date", 10, 15)}),
        Prediction("i", {("city", 3, 8)}),
        Prediction("i", set()),
        Prediction("i", set()),
    ]
    pred = [
        # city exact: TP; date 10-14 vs 10-15 overlaps only: 1 FP + 1 FN
        Prediction("i", {("city", 0, 5), ("date", 10, 14)}),
        # missed city: FN
        Prediction("i", set()),
        # spurious name on an empty gold set: FP
        Prediction("i", {("name", 0, 4)}),
        # empty vs empty: nothing counted, sentence correct
        Prediction("i", set()),
    ]
    r = evaluate(gold, pred)
    # TP=1 FP=2 FN=2 -> P=1/3 R=1/3 F1=1/3
    assert r.entity_precision == pytest.approx(1 / 3)
    assert r.entity_recall == pytest.approx(1 / 3)
    assert r.entity_f1 == pytest.approx(1 / 3)
    assert (r.entity_support, r.entity_predicted) == (3, 3)
    # city: tp1 fn1 -> P=1 R=1/2 F1=2/3, support 2
    city = r.per_entity["city"]
    assert (city.precision, city.recall, city.support) == (1.0, 0.5, 2)
    assert city.f1 == pytest.approx(2 / 3)
    # date: tp0 fp1 fn1 -> all 0, support 1; name: fp1 -> all 0, support 0
    assert (r.per_entity["date"].f1, r.per_entity["date"].support) == (0.0, 1)
    assert (r.per_entity["name"].precision, r.per_entity["name"].support) == (0.0, 0)
    assert list(r.per_entity) == ["city", "date", "name"]
    # macro over the 3 types: (2/3 + 0 + 0) / 3
    assert r.entity_macro_f1 == pytest.approx(2 / 9)
    # only the last sentence is fully right; intents are all correct
    assert r.sentence_accuracy == pytest.approx(1 / 4)
    assert r.intent_accuracy == 1.0
    assert [(e.index, e.kind) for e in r.errors] == [(0, "entities"), (1, "entities"), (2, "entities")]
    first = r.errors[0]
    assert first.missing == [("date", 10, 15)] and first.spurious == [("date", 10, 14)]


def test_no_entities_anywhere_scores_zero_not_error() -> None:
    r = evaluate([Prediction("a")], [Prediction("a")])
    assert (r.entity_precision, r.entity_recall, r.entity_f1) == (0.0, 0.0, 0.0)
    assert r.per_entity == {} and r.entity_macro_f1 == 0.0
    assert r.sentence_accuracy == 1.0 and r.errors == []


def test_all_predictions_empty() -> None:
    gold = [Prediction("a", {("x", 0, 1)}), Prediction("a", {("y", 2, 3)})]
    r = evaluate(gold, [Prediction("a"), Prediction("a")])
    # TP=0 FP=0 FN=2: precision 0 (zero division), recall 0
    assert (r.entity_precision, r.entity_recall, r.entity_f1) == (0.0, 0.0, 0.0)
    assert r.entity_support == 2 and r.entity_predicted == 0


# ----------------------------------------------------------------------------- intents


def _intent_case():
    gold = [Prediction(x) for x in ["a", "a", "b", "b", "c", None]]
    pred = [Prediction(x) for x in ["a", "b", "b", None, "c", "a"]]
    return gold, pred


def test_intent_metrics_by_hand() -> None:
    gold, pred = _intent_case()
    r = evaluate(gold, pred, texts=[f"t{i}" for i in range(6)])
    # the unlabelled 6th example is left out: 3 correct of 5
    assert r.n_intent_examples == 5
    assert r.intent_accuracy == pytest.approx(0.6)
    # a: tp1 fn1 -> P=1 R=1/2 F1=2/3
    a = r.per_intent["a"]
    assert (a.precision, a.recall, a.support) == (1.0, 0.5, 2)
    assert a.f1 == pytest.approx(2 / 3)
    # b: tp1, fp1 (the a->b), fn1 (the b->None; None is no one's FP) -> P=R=F1=1/2
    b = r.per_intent["b"]
    assert (b.precision, b.recall, b.f1, b.support) == (0.5, 0.5, 0.5, 2)
    assert (b.tp, b.fp, b.fn) == (1, 1, 1)
    # c: perfect
    assert r.per_intent["c"].f1 == 1.0
    assert NO_INTENT not in r.per_intent
    # macro = (2/3 + 1/2 + 1) / 3 = 13/18; weighted = (2*2/3 + 2*1/2 + 1*1) / 5 = 2/3
    assert r.intent_macro_f1 == pytest.approx(13 / 18)
    assert r.intent_weighted_f1 == pytest.approx(2 / 3)
    # rows gold, columns predicted; the "no answer" column comes last
    assert r.confusion_labels == ["a", "b", "c", NO_INTENT]
    assert r.confusion_matrix == [
        [1, 1, 0, 0],
        [0, 1, 0, 1],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
    ]
    # no entities anywhere, so sentence correct = intent correct or unlabelled: 4 of 6
    assert r.sentence_accuracy == pytest.approx(4 / 6)
    assert [(e.index, e.text, e.kind, e.gold_intent, e.pred_intent) for e in r.errors] == [
        (1, "t1", "intent", "a", "b"),
        (3, "t3", "intent", "b", None),
    ]


def test_predicted_intent_unseen_in_gold_gets_a_row() -> None:
    r = evaluate([Prediction("a"), Prediction("a")], [Prediction("a"), Prediction("z")])
    # z: tp0 fp1 -> F1 0, support 0; a: tp1 fn1 -> F1 2/3; macro = 1/3
    assert r.per_intent["z"].support == 0
    assert r.intent_macro_f1 == pytest.approx(1 / 3)
    assert r.confusion_labels == ["a", "z"]
    assert r.confusion_matrix == [[1, 1], [0, 0]]


def test_error_kinds_and_texts() -> None:
    gold = [Prediction("a", {("x", 0, 3)}), Prediction("a", {("x", 0, 3)})]
    pred = [Prediction("b", {("x", 0, 2)}), Prediction("a", {("x", 0, 3)})]
    r = evaluate(gold, pred, texts=["abc def", "abc"])
    assert r.sentence_accuracy == 0.5
    (err,) = r.errors
    assert err.kind == "intent+entities"
    d = err.to_dict()
    assert d["missing"] == [{"entity": "x", "start": 0, "end": 3, "text": "abc"}]
    assert d["spurious"] == [{"entity": "x", "start": 0, "end": 2, "text": "ab"}]


def test_empty_evaluation_and_to_dict_is_json() -> None:
    r = evaluate([], [])
    assert r.n_examples == 0 and r.intent_accuracy == 0.0 and r.sentence_accuracy == 0.0
    assert r.confusion_labels == [] and r.confusion_matrix == []
    gold, pred = _intent_case()
    d = evaluate(gold, pred).to_dict()
    assert json.loads(json.dumps(d)) == d
    for key in ("intent_accuracy", "entity_f1", "sentence_accuracy", "intent_macro_f1"):
        assert 0.0 <= d[key] <= 1.0


def test_length_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError):
        evaluate([Prediction("a")], [])
    with pytest.raises(ValueError):
        evaluate([Prediction("a")], [Prediction("a")], texts=[])
