"""Dialogue-manager fixes found by the scripted dialogues, each through the real dialogue manager and
actions with hand-made parses (tests/parses.py): a bare answer goes to the waiting task that asked
for it, and "back to the X" is understood through its words even when the intent is unsure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import Chat, dm_for, said  # noqa: E402

from assistant.actions.executor import InProcessActionRunner  # noqa: E402
from assistant.domain import load_domain  # noqa: E402
from assistant.state import ACTIVE, CANCELLED, SUSPENDED  # noqa: E402

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "domain.yml"
HOTEL = "Acorn Guest House"


@pytest.fixture(scope="module")
def domain():
    return load_domain(DOMAIN_FILE)


@pytest.fixture(scope="module")
def runner():
    with InProcessActionRunner("data.actions", timeout=10.0) as actions:
        yield actions


@pytest.fixture
def chat(domain, runner):
    return Chat(dm_for(domain, runner))


def hotel_then_taxi(chat: Chat):
    """A hotel asking for its guests, interrupted by a taxi asking where from."""
    chat(said(f"book the {HOTEL} for 2 nights from friday", "book_hotel", hotel_name=HOTEL, hotel_bookstay=2,
              hotel_bookday="friday"))
    assert chat.responses() == ["utter_ask_hotel-bookpeople"]
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    assert chat.responses()[-1] == "utter_ask_taxi-departure"
    return chat.task("hotel"), chat.task("taxi")


# ===================================================================== a bare answer


def test_a_bare_count_fills_the_waiting_task_that_asked_for_it(chat):
    hotel, taxi = hotel_then_taxi(chat)
    # the NLU tags a bare party size with the restaurant's slot; no restaurant is under way
    chat(said("3 of us", "inform", restaurant_bookpeople=(3, "3")))
    assert chat.task("restaurant") is None, "a bare count is no request for a table"
    assert hotel.slots["hotel-bookpeople"] == 3 and hotel.status == SUSPENDED
    assert chat.focus == taxi.id and taxi.status == ACTIVE
    assert "utter_task_merged" in chat.responses() and chat.responses()[-1] == "utter_ask_taxi-departure"


def test_a_bare_count_with_two_waiting_tasks_goes_to_the_one_that_asked(chat):
    chat(said(f"book the {HOTEL} for 2 nights from friday", "book_hotel", hotel_name=HOTEL, hotel_bookstay=2,
              hotel_bookday="friday"))
    chat(said("I also need a train to London on friday", "find_train", train_destination="London",
              train_day="friday"))
    assert chat.responses()[-1] == "utter_ask_train-departure"
    chat(said("and a taxi to the station", "book_taxi", taxi_destination="station"))
    hotel, train, taxi = chat.task("hotel"), chat.task("train"), chat.task("taxi")
    assert hotel.status == SUSPENDED and train.status == SUSPENDED and chat.focus == taxi.id
    # both waiting tasks lack a party size; the hotel is the one that asked for it
    chat(said("4 people", "inform", restaurant_bookpeople=(4, "4")))
    assert hotel.slots.get("hotel-bookpeople") == 4 and "train-bookpeople" not in train.slots
    assert chat.task("restaurant") is None and chat.focus == taxi.id


def test_a_bare_count_still_starts_a_task_when_nothing_waits_for_it(chat):
    chat(said("6 people", "inform", restaurant_bookpeople=(6, "6")))
    table = chat.task("restaurant")
    assert table is not None and table.slots["restaurant-bookpeople"] == 6 and chat.focus == table.id


def test_a_filled_slot_of_a_waiting_task_is_not_overwritten_by_a_bare_value(chat):
    chat(said(f"book the {HOTEL} for 2 people", "book_hotel", hotel_name=HOTEL, hotel_bookpeople=2))
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    hotel = chat.task("hotel")
    chat(said("5 people", "inform", restaurant_bookpeople=(5, "5")))
    assert hotel.slots["hotel-bookpeople"] == 2  # nothing waits for a count: a table for 5, as before
    assert chat.task("restaurant") is not None


# ===================================================================== "back to the X"


def test_back_to_a_cancelled_task_with_an_unsure_intent_brings_it_back(chat):
    chat(said("I need a train to London on friday", "find_train", train_destination="London", train_day="friday"))
    train = chat.task("train")
    chat(said("never mind, cancel that", "cancel_task"))
    assert train.status == CANCELLED
    # the NLU is unsure (bye 0.47, cancel 0.30): the words say which task comes back
    chat(said("let's go back to the train", "bye", 0.47, ranking=[("cancel_task", 0.30), ("find_train", 0.09)]))
    assert "utter_clarify" not in chat.responses() and "utter_goodbye" not in chat.responses()
    assert train.status == ACTIVE and chat.focus == train.id
    assert train.slots == {"train-destination": "London", "train-day": "friday"}


def test_back_to_a_suspended_task_with_an_unsure_intent_resumes_it(chat):
    hotel, taxi = hotel_then_taxi(chat)
    chat(said("can we return to the hotel", "bye", 0.4, ranking=[("find_hotel", 0.35)]))
    assert "utter_clarify" not in chat.responses()
    assert chat.focus == hotel.id and taxi.status == SUSPENDED


def test_an_unsure_message_naming_no_task_to_go_back_to_is_still_clarified(chat):
    chat(said("let's go back to the hotel", "bye", 0.45, ranking=[("find_hotel", 0.40)]))
    assert chat.responses() == ["utter_clarify"]  # nothing to go back to: ask, as before


# ===================================================================== find or book


def test_unsure_between_finding_and_booking_one_service_asks_nothing(chat):
    chat(said("I need a hotel in the north for 2 nights", "book_hotel", 0.51, ranking=[("find_hotel", 0.48)],
              hotel_area="north", hotel_bookstay=2))
    assert "utter_clarify" not in chat.responses()
    hotel = chat.task("hotel")
    assert hotel is not None and hotel.status == ACTIVE and hotel.slots["hotel-area"] == "north"


def test_unsure_between_two_services_still_asks(chat):
    chat(said("somewhere in the north", "find_hotel", 0.5, ranking=[("find_restaurant", 0.45)]))
    assert chat.responses() == ["utter_clarify"]


# ===================================================================== an area named after another task


def test_near_the_hotel_is_the_hotels_area(chat):
    chat(said("I need a hotel in the north", "find_hotel", hotel_area="north"))
    chat(said("and somewhere cheap to eat near the hotel", "find_restaurant",
              restaurant_area=("hotel", "the hotel"), restaurant_pricerange="cheap"))
    assert "utter_invalid_value" not in chat.responses()
    assert chat.task("restaurant").slots["restaurant-area"] == "north"


def test_an_area_naming_no_task_is_still_refused():
    from policies import slot_policy
    from assistant.state import DialogueState

    domain = load_domain(DOMAIN_FILE)
    checked = slot_policy.check({}, {"restaurant-area": "the hotel"}, domain, DialogueState("someone"))
    assert checked.invalid and not checked.values
