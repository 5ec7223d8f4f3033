"""Augmentation keeps entity offsets, tokens and values exact, and is deterministic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.augment import AugmentConfig, augment
from nlu.tokenizer import tokenize, tokens_from_words
from nlu.types import EntitySpan, Example, TrainingData


def ex(text: str, intent: str | None, *ents: tuple[str, str], source: str = "f.yml:1") -> Example:
    """Example annotating the first occurrence of each (surface, type)."""
    spans = []
    for surface, etype in ents:
        i = text.index(surface)
        spans.append(EntitySpan(i, i + len(surface), etype, surface))
    return Example(text, intent, spans, None, source)


def tok_ex(words: list[str], intent: str, ents: list[tuple[int, int, str]]) -> Example:
    """Pre-tokenised example; ents are (first word, end word, type)."""
    text, tokens = tokens_from_words(words)
    spans = [
        EntitySpan(tokens[i].start, tokens[j - 1].end, e, " ".join(words[i:j])) for i, j, e in ents
    ]
    return Example(text, intent, spans, tokens, "bench.jsonl:3")


def check(example: Example) -> None:
    """Every invariant an augmented example must satisfy."""
    prev_end = 0
    for s in example.entities:
        assert 0 <= s.start < s.end <= len(example.text)
        assert s.start >= prev_end, "entities overlap or are unsorted"
        prev_end = s.end
    if example.tokens is not None:
        assert example.text == " ".join(t.text for t in example.tokens)
        for t in example.tokens:
            assert example.text[t.start : t.end] == t.text
        starts = {t.start for t in example.tokens}
        ends = {t.end for t in example.tokens}
        for s in example.entities:
            assert s.start in starts and s.end in ends
    assert example.source is not None and example.source.endswith(" (augmented)")


@pytest.fixture
def data() -> TrainingData:
    return TrainingData(
        examples=[
            ex("book a flight to paris tomorrow", "book_flight", ("paris", "city"), ("tomorrow", "date")),
            ex("fly from berlin to rome", "book_flight", ("berlin", "city"), ("rome", "city")),
            ex("what's the weather in NYC", "weather", ("NYC", "city")),
            ex("play some jazz", "play_music", ("jazz", "genre")),
            ex("hello there", "greet"),
        ],
        synonyms={"nyc": "New York", "big apple": "New York", "la": "Los Angeles"},
        lookups={"city": ["london", "Big Apple", "new york", "tokyo", "LA"], "genre": ["rock", "blues"]},
    )


def test_fill_spans_are_exact(data: TrainingData) -> None:
    cfg = AugmentConfig(lookup_fill=3, value_swap=0)
    out = augment(data, cfg)
    assert out
    tables = {k: set(v) for k, v in data.lookups.items()}
    originals = {e.text: e for e in data.examples}
    for new in out:
        check(new)
        assert new.tokens is None
        surfaces = [new.text[s.start : s.end] for s in new.entities]
        # exactly one span came from the table; the rest are unchanged
        assert any(sf in tables.get(s.entity, ()) for sf, s in zip(surfaces, new.entities))
        for sf, s in zip(surfaces, new.entities):
            assert s.value == data.synonyms.get(sf.lower(), sf)
        assert new.text not in originals


def test_synonyms_applied_to_values(data: TrainingData) -> None:
    out = augment(data, AugmentConfig(lookup_fill=10, value_swap=0))
    values = {
        new.text[s.start : s.end]: s.value for new in out for s in new.entities if s.entity == "city"
    }
    assert values.get("Big Apple") == "New York"
    assert values.get("LA") == "Los Angeles"
    assert values.get("tokyo") == "tokyo"


def test_value_swap_uses_other_annotations_and_keeps_canonical_values() -> None:
    data = TrainingData(
        examples=[
            Example("weather in NYC", "weather", [EntitySpan(11, 14, "city", "New York")]),
            ex("fly to rome", "book", ("rome", "city")),
            ex("fly to oslo", "book", ("oslo", "city")),
        ]
    )
    out = augment(data, AugmentConfig(lookup_fill=0, value_swap=5))
    assert out
    for new in out:
        check(new)
        for s in new.entities:
            surface = new.text[s.start : s.end]
            assert surface in {"NYC", "rome", "oslo"}
            assert s.value == ("New York" if surface == "NYC" else surface)
    assert "fly to NYC" in {e.text for e in out}


def test_later_spans_shift(data: TrainingData) -> None:
    out = augment(data, AugmentConfig(lookup_fill=10, value_swap=10))
    flights = [e for e in out if e.text.startswith("fly from ")]
    assert len(flights) >= 2
    for new in flights:
        check(new)
        src, dst = new.entities
        # "fly from SRC to DST": spans must sit exactly where the words are
        assert new.text[: src.start] == "fly from "
        assert new.text[src.end : dst.start] == " to "
        assert dst.end == len(new.text)
        assert new.text[src.start : src.end].lower() != new.text[dst.start : dst.end].lower()


def test_tokens_resplit_and_line_up() -> None:
    data = TrainingData(
        examples=[tok_ex(["fly", "to", "paris", "on", "monday"], "book", [(2, 3, "city"), (4, 5, "date")])],
        lookups={"city": ["new  york", "san francisco bay"]},
    )
    out = augment(data, AugmentConfig(lookup_fill=4, value_swap=0))
    texts = {e.text for e in out}
    assert "fly to new york on monday" in texts
    for new in out:
        check(new)
        assert new.tokens is not None
        city, date = new.entities
        assert new.text[date.start : date.end] == "monday"
        if new.text.startswith("fly to new york"):
            assert [t.text for t in new.tokens] == ["fly", "to", "new", "york", "on", "monday"]
            assert new.text[city.start : city.end] == "new york"


def test_determinism(data: TrainingData) -> None:
    cfg = AugmentConfig(lookup_fill=2, value_swap=2, recombine=1)
    assert augment(data, cfg) == augment(data, cfg)
    other = augment(data, AugmentConfig(lookup_fill=2, value_swap=2, recombine=1, seed=7))
    assert augment(data, cfg) != other


def test_no_duplicates(data: TrainingData) -> None:
    data.examples.append(ex("book a flight to london tomorrow", "book_flight", ("london", "city")))
    out = augment(data, AugmentConfig(lookup_fill=20, value_swap=20, recombine=3))
    texts = [e.text for e in out]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {e.text for e in data.examples}


def test_no_entities_yields_nothing_from_fill_and_swap() -> None:
    data = TrainingData(examples=[ex("hello there", "greet"), ex("bye", "bye")], lookups={"city": ["x"]})
    assert augment(data, AugmentConfig(lookup_fill=5, value_swap=5)) == []


def test_empty_data() -> None:
    assert augment(TrainingData(), AugmentConfig(recombine=2)) == []


def test_recombine_offsets(data: TrainingData) -> None:
    out = augment(data, AugmentConfig(lookup_fill=0, value_swap=0, recombine=3))
    assert out
    by_text = {e.text: e for e in data.examples}
    for new in out:
        check(new)
        a_intent, b_intent = new.intent.split("+")
        assert a_intent != b_intent
        a = next(e for t, e in by_text.items() if new.text.startswith(t) and e.intent == a_intent)
        b = next(e for t, e in by_text.items() if new.text.endswith(t) and e.intent == b_intent)
        shift = len(new.text) - len(b.text)
        expected = [(s.start, s.end, s.entity, s.value) for s in a.entities] + [
            (s.start + shift, s.end + shift, s.entity, s.value) for s in b.entities
        ]
        assert [(s.start, s.end, s.entity, s.value) for s in new.entities] == expected
        for s in new.entities:
            assert new.text[s.start : s.end] == s.value or s.value == "New York"


def test_recombine_tokenised() -> None:
    data = TrainingData(
        examples=[
            tok_ex(["play", "jazz"], "music", [(1, 2, "genre")]),
            tok_ex(["weather", "in", "new", "york"], "weather", [(2, 4, "city")]),
        ]
    )
    out = augment(data, AugmentConfig(lookup_fill=0, value_swap=0, recombine=4))
    assert {e.intent for e in out} == {"music+weather", "weather+music"}
    for new in out:
        check(new)
        surfaces = [new.text[s.start : s.end] for s in new.entities]
        assert sorted(surfaces) == ["jazz", "new york"]
        # connector words are split the way the tokenizer would split them ("Also ,")
        assert new.tokens == tokenize(new.text)
    assert any("." in e.text for e in out)


def test_recombine_off_by_default(data: TrainingData) -> None:
    assert all("+" not in (e.intent or "") for e in augment(data, AugmentConfig()))


def test_max_examples(data: TrainingData) -> None:
    full = augment(data, AugmentConfig(lookup_fill=3, value_swap=3))
    capped = augment(data, AugmentConfig(lookup_fill=3, value_swap=3, max_examples=4))
    assert len(capped) == 4 and all(e in full for e in capped)
    assert augment(data, AugmentConfig(max_examples=0)) == []


def test_bad_examples_skipped() -> None:
    data = TrainingData(
        examples=[
            # overlapping spans and a span past the end cannot be edited safely
            Example("go to new york", "go", [EntitySpan(6, 14, "city", "x"), EntitySpan(10, 14, "city", "y")]),
            Example("go to rome", "go", [EntitySpan(6, 99, "city", "rome")]),
        ],
        lookups={"city": ["oslo"]},
    )
    assert augment(data, AugmentConfig(lookup_fill=3, value_swap=3)) == []


def test_negative_rate_rejected() -> None:
    with pytest.raises(ValueError):
        augment(TrainingData(), AugmentConfig(lookup_fill=-1))


_word = st.text(alphabet="abcdefgh", min_size=1, max_size=5)


@st.composite
def _examples(draw: st.DrawFn) -> Example:
    words = draw(st.lists(_word, min_size=1, max_size=8))
    tokenised = draw(st.booleans())
    # choose non-overlapping word ranges as entities
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=4)))
    ranges = [(i, j) for i, j in zip(cuts[::2], cuts[1::2]) if i < j]
    types = draw(st.lists(st.sampled_from(["city", "date"]), min_size=len(ranges), max_size=len(ranges)))
    text, tokens = tokens_from_words(words)
    spans = [
        EntitySpan(tokens[i].start, tokens[j - 1].end, e, " ".join(words[i:j]))
        for (i, j), e in zip(ranges, types)
    ]
    intent = draw(st.sampled_from(["a", "b", "c"]))
    return Example(text, intent, spans, tokens if tokenised else None, "p:1")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_examples(), max_size=6),
    st.lists(st.text(alphabet="xyz ", min_size=0, max_size=8), max_size=4),
    st.integers(0, 3),
)
def test_property_invariants(examples: list[Example], table: list[str], seed: int) -> None:
    data = TrainingData(examples=examples, synonyms={"xx": "X"}, lookups={"city": table})
    cfg = AugmentConfig(lookup_fill=1.5, value_swap=1.5, recombine=0.5, seed=seed)
    out = augment(data, cfg)
    texts = [e.text for e in out]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {e.text for e in examples}
    for new in out:
        check(new)
        for s in new.entities:
            surface = new.text[s.start : s.end]
            assert surface == surface.strip() and surface
    assert out == augment(data, cfg)


def test_swap_within_intent_only_uses_values_of_the_same_intent():
    from nlu.types import EntitySpan, Example, TrainingData

    def ex(text, intent, value):
        start = text.index(value)
        return Example(text, intent, [EntitySpan(start, start + len(value), "name", value)])

    data = TrainingData([
        ex("play thriller now", "play", "thriller"),
        ex("put on bad please", "play", "bad"),
        ex("rate dune five stars", "rate", "dune"),
        ex("give emma two points", "rate", "emma"),
    ])
    out = augment(data, AugmentConfig(lookup_fill=0, value_swap=3, swap_within_intent=True, seed=1))
    assert out
    for e in out:
        value = e.entities[0].value
        assert value in ({"thriller", "bad"} if e.intent == "play" else {"dune", "emma"})


def test_value_swap_never_doubles_the_word_beside_the_span():
    # "rate the [three junes]" with "the ghost house series" swapped in: "rate the the ghost house series"
    data = TrainingData([
        tok_ex(["rate", "the", "three", "junes", "five", "stars"], "rate", [(2, 4, "object")]),
        tok_ex(["rate", "the", "ghost", "house", "series", "one", "star"], "rate", [(1, 5, "object")]),
        tok_ex(["rate", "dune", "two", "stars"], "rate", [(1, 2, "object")]),
    ])
    out = augment(data, AugmentConfig(lookup_fill=0, value_swap=5, seed=3))
    assert out and all(check(e) is None for e in out)
    assert not [e.text for e in out if "the the" in e.text]
    assert "rate the dune five stars" in {e.text for e in out}  # the other values still go there
