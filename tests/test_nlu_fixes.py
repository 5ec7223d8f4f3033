"""NLU fixes found by the scripted dialogues: clock times keep their minutes (a CARDINAL 18 never
becomes a departure time), a value only lends itself to a slot of its own kind, "also" inside a
clause and lead-ins ("hang on") do not cut a request, corrections ("sorry, I meant to X") and
"back to the X" are read as what they are. The real default model through `default_parser`."""

from __future__ import annotations

import pytest

from nlu.normalize import value_kind
from nlu.segment import split_clauses
from nlu.spacy_pipeline import SpacyEntityExtractor
from nlu.types import ParsedEntity

DESTINATIONS = {"train-destination", "taxi-destination"}


def entities_of(parse) -> dict[str, object]:
    return {e.entity: e.value for e in parse.entities}


# ===================================================================== what kind of value a slot holds


@pytest.mark.parametrize("entity, kind", [
    ("train-leaveat", "time"), ("taxi-arriveby", "time"), ("restaurant-booktime", "time"), ("TIME", "time"),
    ("hotel-bookday", "date"), ("train-day", "date"), ("date", "date"),
    ("restaurant-bookpeople", "number"), ("hotel-bookstay", "number"), ("hotel-stars", "number"),
    ("CARDINAL", "number"), ("people", "number"), ("money", "money"),
    ("restaurant-food", None), ("attraction-name", None), ("taxi-destination", None), ("diet", None),
])
def test_value_kind_of_an_entity(entity, kind):
    assert value_kind(entity) == kind


# ===================================================================== spaCy: a clock face is a time


@pytest.fixture(scope="module")
def extractor() -> SpacyEntityExtractor:
    return SpacyEntityExtractor()


@pytest.mark.parametrize("text, surface, value", [
    ("I want to leave at 18:45 on friday", "18:45", "18:45"),
    ("we should arrive by 19:30", "19:30", "19:30"),
])
def test_a_clock_time_read_as_a_cardinal_is_a_time(extractor, text, surface, value):
    found = {e.text: e for e in extractor.extract(text)}
    assert found[surface].entity == "time" and found[surface].value == value


def test_a_decimal_number_stays_a_number(extractor):
    found = [e for e in extractor.extract("the average rating is 4.50 out of five") if e.text == "4.50"]
    assert all(e.entity != "time" for e in found)


# ===================================================================== the parser's merge


@pytest.mark.parametrize("text, entity, surface, number, number_surface", [
    ("leaving at 18:45", "train-leaveat", "18:45", 18, "18:45"),  # a time slot
    ("a table at Pizza 4 All", "restaurant-name", "Pizza 4 All", 4, "4"),  # a name
])
def test_a_number_inside_a_slot_value_does_not_replace_it(default_parser, text, entity, surface, number,
                                                          number_surface):
    start = text.index(surface)
    model = [ParsedEntity(entity, surface, start, start + len(surface), 0.99, "joint_model", surface)]
    at = text.index(number_surface)
    rules = [ParsedEntity("number", number, at, at + len(number_surface), 0.8, "spacy", number_surface)]
    [merged] = default_parser._merge(text, model, rules)
    assert merged.value == surface


def test_a_time_slot_goes_through_the_time_normaliser(default_parser):
    text = "be there by 7pm please"
    model = [ParsedEntity("taxi-arriveby", "7pm", 12, 15, 0.99, "joint_model", "7pm")]
    [merged] = default_parser._merge(text, model, [])
    assert merged.value == "19:00"


def test_a_type_word_inside_a_name_is_not_its_value(default_parser):
    parse = default_parser.parse("I'm looking for an attraction called the Thornfield Gallery")
    assert entities_of(parse).get("attraction-name") == "Thornfield Gallery"


@pytest.mark.parametrize("text, entity, value", [
    ("I need a train to cambridge on sunday departing at 16:35 for 3 people", "train-leaveat", "16:35"),
    ("book me a taxi to the Chancellor Hotel arriving by 20:15", "taxi-arriveby", "20:15"),
    ("table for two at 7pm on friday", "restaurant-booktime", "19:00"),
])
def test_clock_times_keep_their_minutes_in_whole_sentences(default_parser, text, entity, value):
    assert entities_of(default_parser.parse(text)).get(entity) == value


# ===================================================================== clauses


@pytest.mark.parametrize("text", [
    "hang on, I also need a train to london on saturday",
    "hold on, we'll also need a taxi to the station",
    "by the way, I also want a museum in the centre",
    "wait a second, I need a hotel too",
])
def test_a_lead_in_and_an_also_inside_a_clause_do_not_cut_a_request(text):
    assert [c.text for c in split_clauses(text)] == [text]


def test_real_connectives_still_cut():
    assert [c.text for c in split_clauses("a hotel in the north, also a taxi to the station")] == [
        "a hotel in the north", "a taxi to the station"]
    assert [c.text for c in split_clauses("I need a hotel. I also need a taxi")] == [
        "I need a hotel", "I also need a taxi"]


def test_a_lead_in_is_no_goodbye(default_parser):
    parse = default_parser.parse("hold on, we'll also need a taxi to the station")
    assert parse.intent.name == "book_taxi" and len(parse.segments) < 2


# ===================================================================== corrections and going back


@pytest.mark.parametrize("text, place", [
    ("sorry, I meant to the Chancellor Hotel", "Chancellor Hotel"),
    ("oops, I meant from the Willowbrook Lodge", "Willowbrook Lodge"),
])
def test_a_correction_of_a_place_is_an_answer_about_the_journey(default_parser, text, place):
    parse = default_parser.parse(text)
    assert parse.intent.name == "inform"
    [entity] = parse.entities
    assert entity.value == place and entity.entity.split("-")[1] in ("destination", "departure")


@pytest.mark.parametrize("text, service", [
    ("let's go back to the train please", "train"),
    ("could we return to the taxi?", "taxi"),
    ("back to the hotel booking", "hotel"),
])
def test_going_back_to_a_task_names_it_and_tags_no_place(default_parser, text, service):
    parse = default_parser.parse(text)
    assert parse.entities == []
    assert parse.intent.name.endswith("_" + service)


def test_going_back_is_no_place_and_no_goodbye(default_parser):
    parse = default_parser.parse("alright, back to the restaurant")
    assert not [e for e in parse.entities if e.entity in DESTINATIONS]
    assert parse.intent.name != "bye"


@pytest.mark.parametrize("text, value", [
    ("book a table for 2 at 7", "19:00"), ("a table for four at half 8 please", "20:30"),
    ("table for 2 at 7am for breakfast", "07:00"),
])
def test_a_table_at_a_bare_hour_is_in_the_evening(default_parser, text, value):
    assert entities_of(default_parser.parse(text)).get("restaurant-booktime") == value


def test_other_times_keep_a_bare_hour_as_said(default_parser):
    assert entities_of(default_parser.parse("I need a taxi to the station at 7")).get("taxi-leaveat") == "07:00"


@pytest.mark.parametrize("text, entity, values", [
    ("I love indian and thai food", "restaurant-food", {"indian", "thai"}),
    ("I want a restaurant in the north or the centre", "restaurant-area", {"north", "centre"}),
])
def test_a_list_of_values_is_one_request(default_parser, text, entity, values):
    parse = default_parser.parse(text)
    assert len(parse.segments) <= 1
    assert {e.value for e in parse.entities if e.entity == entity} == values


def test_two_requests_joined_by_and_are_still_two(default_parser):
    parse = default_parser.parse("I need a cheap hotel and an expensive restaurant")
    assert [s.intent.name for s in parse.segments] == ["find_hotel", "find_restaurant"]
