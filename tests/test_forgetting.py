"""Telling "forget that I'm vegetarian" (one thing the profile holds) from "forget the hotel" (a
cancellation), "don't forget ..." (a reminder) and "forget me" (everything)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import said  # noqa: E402

from assistant.domain import load_domain  # noqa: E402
from assistant.state import DialogueState  # noqa: E402
from policies.forgetting import Forgetting, slots_to_clear, what_to_forget  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def domain():
    return load_domain(DATA / "domain.yml")


def forget(parse, domain, before=None):
    return what_to_forget(parse.text, parse.entities, domain, before)


def values(found: Forgetting) -> list:
    return [(e.entity, e.value) for e in found.entities]


def test_a_value_about_the_user_is_forgotten(domain):
    found = forget(said("forget that I'm vegetarian", "cancel_task", diet="vegetarian"), domain)
    assert values(found) == [("diet", "vegetarian")] and found.named == () and found.start == 0
    found = forget(said("please forget that I like cheap hotels", "forget_me", hotel_pricerange="cheap"), domain)
    assert values(found) == [("hotel-pricerange", "cheap")]  # "I like": about the user, though a hotel is named
    found = forget(said("remove vegan from my profile", "cancel_task", diet="vegan"), domain)
    assert values(found) == [("diet", "vegan")]


def test_a_kind_named_without_a_value(domain):
    assert forget(said("forget my diet", "forget_me"), domain).named == ("diet",)
    assert forget(said("can you forget my budget", "cancel_task"), domain).named == ("budget",)


def test_cancellations_reminders_and_forget_me_are_not_forgetting_one_thing(domain):
    assert forget(said("forget the hotel", "cancel_task"), domain) is None
    assert forget(said("forget the cheap hotel", "cancel_task", hotel_pricerange="cheap"), domain) is None
    assert forget(said("don't forget I'm vegetarian", "inform_preference", diet="vegetarian"), domain) is None
    assert forget(said("never forget that I hate loud places", "inform_preference", feature="loud"), domain) is None
    assert forget(said("forget me", "forget_me"), domain) is None
    assert forget(said("forget everything about me", "forget_me"), domain) is None
    assert forget(said("I'm vegetarian", "inform_preference", diet="vegetarian"), domain) is None
    # a taxi's destination says nothing about the user
    assert forget(said("forget the taxi to the station", "cancel_task", taxi_destination="station"), domain) is None


def test_forget_that_takes_the_statement_before_and_only_then(domain):
    before = said("I'm vegetarian and I love Thai food", "inform_preference", diet="vegetarian",
                  restaurant_food=("thai", "Thai"))
    found = forget(said("actually forget that", "cancel_task"), domain, (before.text, before.entities))
    assert values(found) == [("diet", "vegetarian"), ("restaurant-food", "thai")] and found.start == -1
    assert forget(said("forget that", "cancel_task"), domain) is None  # nothing said before: "cancel it"
    assert forget(said("forget it", "cancel_task"), domain, (before.text, before.entities)) is None


def test_only_the_clause_of_the_request_is_forgotten(domain):
    text = "forget that I'm vegan, and find me a restaurant in the north"
    found = forget(said(text, "cancel_task", diet="vegan", restaurant_area="north"), domain)
    assert values(found) == [("diet", "vegan")] and text[found.start:found.end] == "forget that I'm vegan"
    text = "forget that I'm vegan and book a table in the north"
    found = forget(said(text, "cancel_task", diet="vegan", restaurant_area="north"), domain)
    assert values(found) == [("diet", "vegan")]
    text = "forget that I'm vegan and that I hate loud places"
    found = forget(said(text, "cancel_task", diet="vegan", feature="loud"), domain)
    assert values(found) == [("diet", "vegan"), ("feature", "loud")]
    text = "forget I'm vegan the north sounds good"  # no word between: the segments tell
    found = what_to_forget(text, said(text, "cancel_task", diet="vegan", restaurant_area="north").entities, domain,
                           ends=[len("forget I'm vegan"), len(text)])
    assert values(found) == [("diet", "vegan")]


def test_the_conversations_profile_slots_holding_a_forgotten_value(domain):
    state = DialogueState("s")
    state.slots["diet"] = "vegetarian"
    state.slots["feature"] = "loud"
    found = forget(said("forget that I'm vegetarian", "cancel_task", diet="vegetarian"), domain)
    assert slots_to_clear(state, domain, found) == ["diet"]
    assert slots_to_clear(state, domain, forget(said("forget my diet", "forget_me"), domain)) == ["diet"]
    assert slots_to_clear(state, domain, forget(said("forget my budget", "forget_me"), domain)) == []
