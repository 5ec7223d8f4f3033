"""A place named instead of an area ("a hotel near the station") is the area that place is in."""

from pathlib import Path

import pytest

from assistant.domain import load_domain
from nlu.types import ParsedEntity
from policies.context import Request
from assistant.state import DialogueState, Task
from policies.landmarks import Landmarks, Place, areas_from_places, phrase_key, places_from_conversation

DATA = Path(__file__).resolve().parent.parent / "data"

PLACES = Landmarks([
    Place("Saint Aldric's Church", "centre", "Market Place"),
    Place("Nata and Co", "centre", "7 Market Place", near="Saint Aldric's Church"),
    Place("Croque Corner", "south", "3 Station Approach", near="Neon Arcade Club"),
    Place("Railway Arms Guesthouse", "south", "14 Station Approach"),
    Place("Whitcombe Abbey", "north", "Abbey Fields Road"),
    Place("Lemon Grove Kitchen", "centre", "26 Abbey Street"),
    Place("The Old Bridge", "centre", "Bridge Street"),
    Place("No Area", "", "1 Nowhere Road"),
    Place("Westbury Sports Centre", "west", "Westbury Road"),
])
AREAS = ("centre", "north", "south", "east", "west")


def test_phrases_are_keyed_without_prepositions_articles_or_possessives():
    assert phrase_key("near the Old Bridge") == "old bridge"
    assert phrase_key("  Saint Aldric's Church ") == "saint aldric church"
    assert phrase_key("close to the station") == "station"
    assert phrase_key("") == ""


@pytest.mark.parametrize("phrase,area", [
    ("Saint Aldric's Church", "centre"),        # a place's own name
    ("near the church", "centre"),              # a word of one place's name
    ("Neon Arcade Club", "south"),              # a landmark a place is near
    ("the station", "south"),                   # a street: Station Approach
    ("the train station", "south"),             # the head of a compound when all words do not match
    ("the old bridge", "centre"),
    ("the abbey", None),                        # Whitcombe Abbey (north) and Abbey Street (centre): ambiguous
    ("the old street", None),                   # only vague words
    ("the moon", None),                         # unknown
    ("", None),
])
def test_a_place_gives_its_area_only_when_it_is_in_one(phrase, area):
    assert PLACES.area_of(phrase, AREAS) == area


def test_every_area_a_kind_of_place_is_in():
    assert PLACES.areas_of("the abbey", AREAS) == ("centre", "north")
    assert PLACES.areas_of("Saint Aldric's Church", AREAS) == ("centre",)
    assert PLACES.areas_of("the moon", AREAS) == ()


def test_a_phrase_with_an_area_in_it_is_that_area_said_otherwise_unless_it_is_a_places_name():
    assert PLACES.area_of("city centre", AREAS) is None  # not the Sports Centre in the west
    assert PLACES.area_of("the sports centre", AREAS) is None
    assert PLACES.area_of("near Westbury Sports Centre", AREAS) == "west"
    assert PLACES.area_of("city centre") == "west"  # without the area words, a word of a name


@pytest.fixture(scope="module")
def domain():
    return load_domain(DATA / "domain.yml")


def _request(*entities):
    return Request("a hotel near the station", "find_hotel", 0.9,
                   tuple(ParsedEntity(e, v, 0, len(v), 0.9, "test", v) for e, v in entities))


def test_an_area_given_as_a_place_becomes_the_places_area(domain):
    request = _request(("hotel-area", "the station"), ("hotel-pricerange", "cheap"))
    out = areas_from_places(request, domain, PLACES.area_of)
    assert areas_from_places(_request(("hotel-area", "the city centre")), domain, PLACES.area_of).entities[0].value \
        == "the city centre"  # the NLU's synonyms say which area; no sports centre
    assert [(e.entity, e.value) for e in out.entities] == [("hotel-area", "south"), ("hotel-pricerange", "cheap")]
    assert out.entities[0].text == "the station"  # what the user said is kept


def test_areas_other_tasks_and_unknown_places_are_left_as_they_are(domain):
    for value in ("north", "the hotel", "the moon"):
        request = _request(("restaurant-area", value))
        assert areas_from_places(request, domain, PLACES.area_of) is request
    request = _request(("hotel-name", "the station"))  # not an area slot
    assert areas_from_places(request, domain, PLACES.area_of) is request
    assert areas_from_places(_request(("hotel-area", "the station")), domain, None).entities[0].value == "the station"


def test_a_place_the_conversation_chose_is_the_one_meant():
    # "a restaurant near the museum" once Whitcombe Abbey (an abbey: attraction-type) and a museum were taken
    state = DialogueState("u", tasks=[
        Task("attraction-1", "attraction", {"attraction-type": "museum", "attraction-name": "Ashcombe Museum"}),
        Task("attraction-2", "attraction", {"attraction-type": "church", "attraction-name": "Whitcombe Abbey"}),
        Task("hotel-1", "hotel", {"hotel-area": "west"}),  # nothing chosen: no place to be near
    ])
    domain = load_domain(DATA / "domain.yml")

    def near(value):
        return places_from_conversation(_request(("restaurant-area", value)), state, domain).entities[0].value

    assert near("the museum") == "Ashcombe Museum"          # a word of its name
    assert near("near the church") == "Whitcombe Abbey"      # its kind, from the task's slots
    assert near("the abbey") == "Whitcombe Abbey"
    for value in ("north", "the city centre", "the hotel", "the zoo", "the big one"):
        assert near(value) == value  # an area, another task, a place not chosen, no place at all
    out = areas_from_places(places_from_conversation(_request(("restaurant-area", "the abbey")), state, domain),
                            domain, PLACES.area_of)
    assert out.entities[0].value == "north" and out.entities[0].text == "the abbey"
    assert places_from_conversation(_request(("restaurant-area", "the museum")), DialogueState("u"), domain) \
        .entities[0].value == "the museum"
