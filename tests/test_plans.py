"""'What have I booked?': the agenda in words (policies/plans.py), pure and through the dialogue."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import events as ev
from assistant.domain import load_domain
from assistant.state import DialogueState
from policies import plans
from policies.decisions import Utter

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "domain.yml"


@pytest.fixture(scope="module")
def domain():
    return load_domain(DOMAIN_FILE)


def agenda(*events) -> DialogueState:
    state = DialogueState("u")
    for event in events:
        state.apply(event)
    return state


def test_nothing_planned_says_so(domain):
    assert plans.summary(agenda(), domain) == [Utter("utter_no_plans")]


def test_each_task_says_what_it_holds_and_how_far_it_got(domain):
    state = agenda(
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-name": "Osteria Verde",
                        "restaurant-bookpeople": 2, "restaurant-bookday": "friday", "restaurant-booktime": "19:00",
                        "restaurant-food": "dontcare"}, timestamp=1.0),
        ev.slot_set("restaurant-ref", "QJDU2COY", "restaurant-1", timestamp=2.0),
        ev.task_completed("restaurant-1", timestamp=3.0),
        ev.task_started("hotel-1", "hotel", 30, {"hotel-area": "north", "hotel-bookstay": 3.0,
                        "hotel-parking": "yes"}, timestamp=4.0),
        ev.task_started("taxi-1", "taxi", 50, {"taxi-departure": "Grand Arcade", "taxi-destination": "Osteria Verde",
                        "taxi-arriveby": "18:45"}, timestamp=5.0),
        ev.task_cancelled("taxi-1", "user", timestamp=6.0),
    )
    [utter] = plans.summary(state, domain)
    assert utter.response == "utter_plans"
    assert utter.values["plans"] == (
        "Your restaurant booking is done: Osteria Verde, for 2, on Friday at 19:00 (reference QJDU2COY). "
        "Your hotel is waiting: 3 nights, in the north, with parking; no hotel chosen yet. "
        "Your taxi was cancelled (from Grand Arcade, to Osteria Verde arriving by 18:45).")


def test_places_booked_in_earlier_conversations_come_after_this_ones(domain):
    [utter] = plans.summary(agenda(), domain, ["Lockside Guesthouse", "Osteria Verde"])
    assert utter.values["plans"] == ("Nothing yet in this conversation; before it, you booked Lockside Guesthouse "
                                     "and Osteria Verde.")
    state = agenda(ev.task_started("taxi-1", "taxi", 50, {"taxi-destination": "Osteria Verde"}, timestamp=1.0))
    [utter] = plans.summary(state, domain, ["Osteria Verde"])
    assert utter.values["plans"].endswith(". Before this conversation, you booked Osteria Verde.")


@pytest.mark.parametrize("text, same", [
    ("book the same restaurant again", True), ("the same hotel as last time please", True),
    ("a table like last time", True), ("a restaurant in the same area as the hotel", False),
    ("the same hotel as my friend", False), ("a restaurant", False),
])
def test_the_same_place_again(text, same):
    from policies import cues
    assert cues.same_place(text) is same
