"""The parser: Rasa-style output, merged and canonicalised entities, segments, hostile input."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.segment import continues_list, group_clauses, split_clauses


def _check_valid(parse, text):
    d = parse.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert set(d) >= {"text", "intent", "intent_ranking", "entities"}
    assert set(d["intent"]) == {"name", "confidence"}
    for e in d["entities"]:
        assert 0 <= e["start"] <= e["end"] <= len(text)
        assert {"entity", "value", "start", "end", "confidence", "extractor"} <= set(e)
    return d


def test_parse_has_rasa_shape_and_ranking(tiny_parser):
    d = _check_valid(tiny_parser.parse("book a table for 4 at 7pm"), "book a table for 4 at 7pm")
    assert d["intent"]["name"] == "book_restaurant"
    ranking = d["intent_ranking"]
    assert ranking[0]["name"] == "book_restaurant"
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-3


def test_entities_are_merged_without_duplicates_and_canonicalised(tiny_parser):
    text = "book a table for 4 at 7pm"
    parse = tiny_parser.parse(text)
    by_type = {e.entity: e for e in parse.entities}
    assert by_type["people"].text == "4" and by_type["people"].extractor == "joint_model"
    # spaCy's TIME entity over the same words lends its canonical value
    assert by_type["time"].value == "19:00"
    spans = [(e.start, e.end) for e in parse.entities]
    for i, a in enumerate(spans):
        for b in spans[i + 1 :]:
            assert a[1] <= b[0] or b[1] <= a[0], "overlapping entities"


def test_synonyms_and_lookup_entities(tiny_parser):
    parse = tiny_parser.parse("taxi to the town centre please")
    dest = [e for e in parse.entities if e.entity == "destination"]
    assert dest and dest[0].value == "centre"


def test_several_requests_in_one_message_give_segments(tiny_parser):
    text = "book a table for 4 at 7pm and then get me a taxi to the station"
    parse = tiny_parser.parse(text)
    assert [s.intent.name for s in parse.segments] == ["book_restaurant", "book_taxi"]
    first, second = parse.segments
    assert {e.entity for e in first.entities} >= {"people", "time"}
    assert [e.entity for e in second.entities] == ["destination"]
    assert text[second.start : second.end] == second.text
    assert "segments" in parse.to_dict()
    # a parse read back from its JSON (a stored event) is the same parse
    from nlu.types import Parse

    assert Parse.from_dict(json.loads(json.dumps(parse.to_dict()))).to_dict() == parse.to_dict()
    assert Parse.from_dict({}).intent.name is None and Parse.from_dict({"entities": "junk"}).entities == []


def test_one_request_has_no_segments(tiny_parser):
    assert tiny_parser.parse("book a table for 4, at 7pm").segments == []


def test_batch_keeps_order(tiny_parser):
    texts = ["hello", "thanks a lot", "get me a taxi to the airport", "hi there"]
    names = [p.intent.name for p in tiny_parser.parse_batch(texts)]
    assert names == ["greet", "thank", "book_taxi", "greet"]
    assert [p.text for p in tiny_parser.parse_batch(texts)] == texts


def test_hostile_inputs_give_valid_parses(tiny_parser):
    hostile = [
        "",
        "   \n\t ",
        "a" * 100_000,
        "book " * 20_000,
        "\x00\x01\x02 binary \xff\ufffd",
        "\ud800 lone surrogate",
        "🙂🙃 emoji 👩‍👩‍👧",
        "مرحبا بالعالم",
        "[](){}<>\\\"'",
        "\u200b\u200b",
    ]
    parses = tiny_parser.parse_batch(hostile)
    assert len(parses) == len(hostile)
    for text, parse in zip(hostile, parses):
        _check_valid(parse, text)
    assert parses[0].intent.name is None and parses[1].entities == []
    assert tiny_parser.parse(None).intent.name is None
    assert tiny_parser.parse(b"hello").intent.name == "greet"


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_parses(tiny_parser, text):
    _check_valid(tiny_parser.parse(text), text)


def test_clause_splitting():
    assert [c.text for c in split_clauses("book a hotel and then a taxi to the station")] == [
        "book a hotel",
        "a taxi to the station",
    ]
    assert [c.text for c in split_clauses("hello")] == ["hello"]
    # "and" between two things said to be the same as something joins them inside one request
    assert [c.text for c in split_clauses("a restaurant in the same area and price range as the hotel")] == [
        "a restaurant in the same area and price range as the hotel"]
    assert [c.text for c in split_clauses("the same day and a taxi as soon as possible")] == [
        "the same day", "a taxi as soon as possible"]
    text = "first the taxi, then find me a restaurant"
    for c in split_clauses(text):
        assert text[c.start : c.end] == c.text


def test_a_clause_that_only_adds_a_value_to_a_list_joins_the_one_before():
    text = "I love indian and thai food"
    first, second = split_clauses(text)
    assert second.text == "thai food"
    assert continues_list(second, [(0, "restaurant-food")], {"restaurant-food"})
    assert continues_list(split_clauses("in the north or the centre")[0].__class__(0, 10, "the centre"),
                          [(4, "restaurant-area")], {"restaurant-area"})
    # another kind of value, a longer clause, or no value at all start a request of their own
    assert not continues_list(second, [(0, "hotel-type")], {"restaurant-food"})
    assert not continues_list(second, [], {"restaurant-food"})
    # one modifier before the value is still the list ("museums and old churches"); a request word is not
    museums, churches = split_clauses("I love museums and old churches")
    assert churches.text == "old churches"
    assert continues_list(churches, [(4, "attraction-type")], {"attraction-type"})
    booking = split_clauses("a table at Pho Lucky and book Curry Garden")[1]
    assert booking.text == "book Curry Garden"
    assert not continues_list(booking, [(5, "restaurant-name")], {"restaurant-name"})
    longer = split_clauses("book a hotel and a restaurant in the centre please")[1]
    assert not continues_list(longer, [(25, "restaurant-area")], {"restaurant-area"})
    groups = group_clauses([first, second], [("inform_preference", 0.95), ("find_restaurant", 0.97)], 0.5,
                           [False, True])
    assert len(groups) == 1 and groups[0][1] == "inform_preference"
    assert len(group_clauses([first, second], [("inform_preference", 0.95), ("find_restaurant", 0.97)], 0.5)) == 2


def test_an_unconfident_opening_clause_leads_into_the_request_after_it():
    clauses = split_clauses("never mind, cancel that")
    assert [c.text for c in clauses] == ["never mind", "cancel that"]
    [(span, intent, confidence, members)] = group_clauses(clauses, [("bye", 0.34), ("cancel_task", 0.95)], 0.6,
                                                          valueless=[True, True])
    assert (span.start, span.end, intent, confidence, members) == (0, 23, "cancel_task", 0.95, [0, 1])
    # an opening that names values is a request, however unsure ("a hotel in the north ..., and a train ...")
    two = split_clauses("I need a hotel in the north for 3 nights and a train to london on friday")
    groups = group_clauses(two, [("book_hotel", 0.5), ("book_train", 0.97)], 0.6, valueless=[False, False])
    assert [g[1] for g in groups] == ["book_hotel", "book_train"]
    # a confident opening is a request of its own; an unconfident one alone stays as it is
    assert len(group_clauses(clauses, [("bye", 0.9), ("cancel_task", 0.95)], 0.6)) == 2
    assert [g[1] for g in group_clauses(clauses[:1], [("bye", 0.34)], 0.6)] == ["bye"]
    # only the opening: later unconfident clauses still join the request before them
    three = [*split_clauses("book a taxi, then a hotel"), *split_clauses("um, then a hotel")]
    groups = group_clauses(three, [("book_taxi", 0.9), ("inform", 0.2), ("find_hotel", 0.9)], 0.6,
                           valueless=[True, True, True])
    assert [g[1] for g in groups] == ["book_taxi", "find_hotel"] and groups[0][3] == [0, 1]


def test_a_known_name_wins_over_part_of_it_misread_as_a_day_or_time(tiny_parser):
    from nlu.types import ParsedEntity

    def merged(text, model_words, model_label, name):
        start = text.index(model_words)
        model = ParsedEntity(model_label, None, start, start + len(model_words), 0.9, "joint_model")
        at = text.index(name)
        rule = ParsedEntity("restaurant-name", name, at, at + len(name), 1.0, "lookup", name)
        return [(e.entity, e.value) for e in tiny_parser._merge(text, [model], [rule])]

    # "Rosso" is no day: the name the lookup tables know is what was meant
    assert merged("book a table at Forno Rosso at 8pm", "Rosso", "restaurant-bookday", "Forno Rosso") == \
        [("restaurant-name", "Forno Rosso")]
    # words that do read as a day stay the model's ("Friday" of "Friday Club" may well be the day)
    assert merged("a table at Friday Club", "Friday", "restaurant-bookday", "Friday Club") == \
        [("restaurant-bookday", "friday")]


def test_a_misspelt_synonym_has_its_value_but_a_name_is_left_as_written(tiny_parser):
    # tiny_nlu.yml: "center" and "town centre" are "centre"
    assert tiny_parser._value("area", "the town centr") == "centre"
    assert tiny_parser._value("area", "cetner") == "centre"  # two letters swapped: one typo
    assert tiny_parser._value("area", "the zoo") == "the zoo"  # nothing near: as written
    assert tiny_parser._value("area", "cen") == "cen"  # too short to tell a typo from another word
    assert tiny_parser._value("restaurant-name", "town centr") == "town centr"


def test_pieces_of_a_known_name_tagged_as_a_place_are_the_whole_name(tiny_parser):
    from nlu.types import ParsedEntity

    text = "a taxi from the museum of the river wend"
    name = "Museum of the River Wend"
    at = text.index("museum")

    def model(words):
        start = text.index(words)
        return ParsedEntity("taxi-departure", None, start, start + len(words), 0.8, "joint_model")

    rule = ParsedEntity("attraction-name", name, at, len(text), 1.0, "lookup", text[at:])
    [entity] = tiny_parser._merge(text, [model("museum"), model("river wend")], [rule])
    assert (entity.entity, entity.value, entity.start, entity.end, entity.extractor) == \
        ("taxi-departure", name, at, len(text), "joint_model")
    # a whole name, or a piece of another kind of slot, stays the model's
    whole = ParsedEntity("taxi-departure", None, at, len(text), 0.8, "joint_model")
    assert [(e.start, e.end) for e in tiny_parser._merge(text, [whole], [rule])] == [(at, len(text))]
    food = ParsedEntity("restaurant-food", None, at, at + 6, 0.8, "joint_model")
    assert [e.entity for e in tiny_parser._merge(text, [food], [rule])] == ["restaurant-food"]


def test_a_name_the_lookup_tables_know_takes_their_service(tiny_parser):
    from nlu.types import ParsedEntity

    text = "book a table at Jollof House on friday"
    at = text.index("Jollof House")
    model = ParsedEntity("hotel-name", None, at, at + 12, 0.9, "joint_model")  # "House": it looks like a hotel
    rule = ParsedEntity("restaurant-name", "Jollof House", at, at + 12, 1.0, "lookup", "Jollof House")
    [entity] = tiny_parser._merge(text, [model], [rule])
    assert (entity.entity, entity.value, entity.extractor) == ("restaurant-name", "Jollof House", "joint_model")
    # a place the lookup tables know under another kind of slot is left to the model
    area = ParsedEntity("restaurant-area", "centre", at, at + 12, 1.0, "lookup", "Jollof House")
    assert [e.entity for e in tiny_parser._merge(text, [model], [area])] == ["hotel-name"]
