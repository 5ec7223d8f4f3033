"""Scripted multi-task conversations through the real dialogue manager, the real rasa-sdk actions
(in-process) and real tracker stores. Parses are built by hand (tests/parses.py): the NLU model is
tested elsewhere."""

from __future__ import annotations

import random
import re
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import Chat, Clock, ScriptedParser, dm_for, said, several  # noqa: E402

from assistant.actions.bridge import CRASHED, ActionFailed  # noqa: E402
from assistant.actions.executor import InProcessActionRunner  # noqa: E402
from assistant.agent import SORRY, Assistant, parse_payload  # noqa: E402
from assistant.domain import load_domain, parse_domain  # noqa: E402
from assistant.state import ACTIVE, AWAITING_CONFIRMATION, CANCELLED, COMPLETED, SUSPENDED  # noqa: E402
from assistant.stores import InMemoryTrackerStore, SQLiteTrackerStore  # noqa: E402
from policies.context import PolicyConfig  # noqa: E402

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "domain.yml"
PIZZA = "Pizza Hut Fen Ditton"
ACORN = "Acorn Guest House"


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


def kinds(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["event"] == kind]


def book_table(chat: Chat, time: str = "19:00", people: int = 2) -> None:
    """A restaurant booking, confirmed and completed, for Friday."""
    chat(said(f"book a table at {PIZZA} for {people} on friday at {time}", "book_restaurant",
              restaurant_name=PIZZA, restaurant_bookpeople=people, restaurant_bookday="friday",
              restaurant_booktime=time))
    chat(said("yes", "affirm"))
    assert chat.task("restaurant").status == COMPLETED


# ===================================================================== agenda


def test_interrupting_task_takes_focus_and_the_suspended_one_comes_back(chat):
    chat(said(f"I'd like to book the {ACORN}", "book_hotel", hotel_name=ACORN))
    chat(said("arriving friday", "inform", hotel_bookday="friday"))
    hotel = chat.task("hotel")
    assert chat.responses() == ["utter_ask_hotel-bookstay"]

    texts = chat(said(f"I need a taxi from the {ACORN} to the station", "book_taxi",
                      taxi_departure=ACORN, taxi_destination="station"))
    taxi = chat.task("taxi")
    assert chat.focus == taxi.id and hotel.status == SUSPENDED
    assert hotel.slots == {"hotel-name": ACORN, "hotel-bookday": "friday"}  # the interrupted task keeps its slots
    assert "hotel" in texts[0] and chat.responses()[-1] == "utter_ask_taxi-leaveat"

    texts = chat(said("at 18:00", "inform", taxi_leaveat="18:00"))
    assert taxi.status == AWAITING_CONFIRMATION and chat.responses() == ["utter_confirm_taxi"]
    assert f"from {ACORN} to the station," in texts[-1]  # a place said by what it is reads with "the"
    assert taxi.slots["taxi-destination"] == "station"  # only the wording: the slot keeps the value

    texts = chat(said("yes", "affirm"))
    assert taxi.status == COMPLETED and taxi.slots["taxi-ref"]
    assert "is booked" in texts[0]  # the action's own confirmation
    assert re.match(r"(Back to|Now, about) your hotel: (how many|for how many) nights", texts[-1], re.I), texts
    assert chat.focus == hotel.id and hotel.status == ACTIVE
    assert [e["task_id"] for e in chat.last("task_resumed")] == [hotel.id]


@pytest.mark.parametrize("text", ["yes book the taxi", "please book the taxi", "go ahead and book my taxi"])
def test_the_booking_intent_of_the_task_asking_to_be_confirmed_says_yes(chat, text):
    chat(said("I need a taxi from the museum to the station at 18:00", "book_taxi", taxi_departure="museum",
              taxi_destination="station", taxi_leaveat="18:00"))
    taxi = chat.task("taxi")
    assert taxi.status == AWAITING_CONFIRMATION
    texts = chat(said(text, "book_taxi", 0.84))
    assert taxi.status == COMPLETED and "is booked" in texts[0]
    assert chat.task("taxi") is taxi and len([t for t in chat.state.tasks if t.type == "taxi"]) == 1


def test_book_it_with_the_details_it_already_has_says_yes(chat):
    chat(said("a train from cambridge to london on saturday after 14:00 for 6 people", "book_train",
              train_departure="cambridge", train_destination="london", train_day="saturday", train_leaveat="14:00",
              train_bookpeople=6))
    train = chat.task("train")
    assert train.status == AWAITING_CONFIRMATION
    # read as a table for 6 (was "I'm not sure I understood"): "it" is the train, and 6 is what it has
    texts = chat(said("book it for 6 people", "book_restaurant", 0.84, restaurant_bookpeople=6))
    assert train.status == COMPLETED and "booked" in texts[0] and chat.task("restaurant") is None
    chat(said("a taxi from the museum to the station at 18:00 for 4", "book_taxi", taxi_departure="museum",
              taxi_destination="station", taxi_leaveat="18:00"))
    taxi = chat.task("taxi")
    chat(said("book it for 19:00", "book_restaurant", 0.8, restaurant_booktime="19:00"))  # a new time: no yes
    assert taxi.status == AWAITING_CONFIRMATION


def test_the_value_asked_for_in_another_tasks_words_answers_the_question(chat):
    chat(said("a train from london to cambridge on tuesday arriving by 10:15", "find_train",
              train_departure="london", train_destination="cambridge", train_day="tuesday", train_arriveby="10:15"))
    train = chat.task("train")
    assert train.requested_slot == "train-bookpeople"
    # read as a table for 3 (was a restaurant booking queued, and the question asked again)
    chat(said("yes, please make a booking for 3 people", "book_restaurant", restaurant_bookpeople=3))
    assert train.slots["train-bookpeople"] == 3 and chat.task("restaurant") is None
    assert chat.responses() == ["utter_confirm_train"]


def test_a_task_named_with_the_value_asked_for_is_a_task_of_its_own(chat):
    chat(said("a train from london to cambridge on tuesday arriving by 10:15", "find_train",
              train_departure="london", train_destination="cambridge", train_day="tuesday", train_arriveby="10:15"))
    chat(said("and a table for 3 people", "book_restaurant", restaurant_bookpeople=3))
    assert chat.task("restaurant") is not None and "train-bookpeople" not in chat.task("train").slots


def test_a_booking_intent_with_a_no_or_new_details_is_no_yes(chat):
    chat(said("I need a taxi from the museum to the station at 18:00", "book_taxi", taxi_departure="museum",
              taxi_destination="station", taxi_leaveat="18:00"))
    taxi = chat.task("taxi")
    chat(said("no, book the taxi for 19:00", "book_taxi", taxi_leaveat="19:00"))
    assert taxi.status == AWAITING_CONFIRMATION and taxi.slots["taxi-leaveat"] == "19:00"
    chat(said("don't book the taxi yet", "book_taxi"))
    assert taxi.status != COMPLETED


def test_not_now_and_back_to_another_task_leaves_the_confirmation_for_later(chat):
    chat(said(f"book me a room at the {ACORN}", "book_hotel", hotel_name=ACORN))
    chat(said("I need a taxi from the museum to the station at 18:00", "book_taxi", taxi_departure="museum",
              taxi_destination="station", taxi_leaveat="18:00"))
    taxi, hotel = chat.task("taxi"), chat.task("hotel")
    assert taxi.status == AWAITING_CONFIRMATION
    text = "not now, let's go back to the hotel"
    texts = chat(several(text, said("not now", "deny"), said("let's go back to the hotel", "find_hotel")))
    assert chat.focus == hotel.id and taxi.status == SUSPENDED
    assert "utter_ask_change" not in chat.responses()
    assert re.match(r"(Back to|Now, about) your hotel: ", texts[-1]), texts


def test_a_cancelled_task_taken_back_after_all_comes_back_as_it_was(chat):
    chat(said(f"book the {ACORN} for 2 nights from friday", "book_hotel", hotel_name=ACORN, hotel_bookstay=2,
              hotel_bookday="friday"))
    chat(said("cancel that", "cancel_task"))
    first = chat.task("hotel")
    assert first.status == CANCELLED
    # "actually I do want the hotel": read as a goodbye to "anything else?" by the intent alone, it is not one
    texts = chat(said("actually I do want the hotel", "reject_suggestion", 0.9))
    assert "utter_goodbye" not in chat.responses() and chat.task("hotel") is first

    texts = chat(said("I do want the hotel after all", "book_hotel"))
    again = chat.task("hotel")
    assert again is not first and again.is_open
    assert again.slots == {"hotel-name": ACORN, "hotel-bookstay": 2, "hotel-bookday": "friday"}
    assert chat.responses() == ["utter_task_restored", "utter_ask_hotel-bookpeople"], texts
    assert "back" in texts[0] and "hotel" in texts[0]
    chat(said("cancel it", "cancel_task"))
    chat(said("book a hotel", "book_hotel"))  # no change of mind: a new hotel, from nothing
    assert chat.task("hotel").slots == {}


def test_a_task_just_cancelled_is_taken_back_by_it_without_naming_it(chat):
    chat(said("a taxi from the station to the museum at 17:00", "book_taxi", taxi_departure="station",
              taxi_destination="museum", taxi_leaveat="17:00"))
    chat(said("can you cancel that", "cancel_task"))
    first = chat.task("taxi")
    assert first.status == CANCELLED
    # was "did you mean take the suggestion or something else?": the model reads it weakly as anything
    texts = chat(said("actually I still need it", "accept_suggestion", 0.4, ranking=[("affirm", 0.3)]))
    again = chat.task("taxi")
    assert again is not first and again.is_open and again.slots["taxi-leaveat"] == "17:00"
    assert chat.responses() == ["utter_task_restored", "utter_confirm_taxi"], texts
    # only the last thing that happened is "it": once something else came after, it is no longer meant
    chat(said("cancel it", "cancel_task"))
    chat(said(f"book the {ACORN} for 2 nights from friday", "book_hotel", hotel_name=ACORN, hotel_bookstay=2,
              hotel_bookday="friday"))
    chat(said("actually I still need it", "accept_suggestion", 0.4, ranking=[("affirm", 0.3)]))
    assert chat.task("taxi").status == CANCELLED


@pytest.mark.parametrize("text, count", [("just me", 1), ("only me", 1), ("myself", 1), ("on my own", 1),
                                         ("the two of us", 2), ("me and my wife", 2), ("just the two of us!", 2)])
def test_a_party_size_in_words_answers_how_many_people(chat, text, count):
    chat(said(f"book the {ACORN} for 2 nights from friday", "book_hotel", hotel_name=ACORN, hotel_bookstay=2,
              hotel_bookday="friday"))
    assert chat.task("hotel").requested_slot == "hotel-bookpeople"
    chat(said(text, "inform", 0.99))
    assert chat.task("hotel").slots["hotel-bookpeople"] == count
    assert chat.responses() == ["utter_confirm_hotel"]


def test_a_party_size_in_words_is_only_read_as_an_answer_to_how_many(chat):
    chat(said(f"book the {ACORN}", "book_hotel", hotel_name=ACORN))
    assert chat.task("hotel").requested_slot != "hotel-bookpeople"
    chat(said("just me", "inform", 0.99))
    assert "hotel-bookpeople" not in chat.task("hotel").slots


def test_user_goes_back_to_a_task_explicitly(chat):
    chat(said(f"book me a room at the {ACORN}", "book_hotel", hotel_name=ACORN))
    chat(said("I also need a train to London on friday", "book_train", train_destination="London",
              train_day="friday"))
    train, hotel = chat.task("train"), chat.task("hotel")
    assert chat.focus == train.id  # priority 40 beats the hotel's 30
    chat(said("from Cambridge", "inform", train_departure="Cambridge"))

    texts = chat(said("actually, let's go back to the hotel", "inform"))
    assert chat.focus == hotel.id and train.status == SUSPENDED
    assert train.slots == {"train-destination": "London", "train-day": "friday", "train-departure": "Cambridge"}
    assert re.match(r"(Back to|Now, about) your hotel: ", texts[-1]) and "day" in texts[-1]

    chat(said("friday", "inform", hotel_bookday="friday"))
    chat(said("2 nights", "inform", hotel_bookstay=2))
    chat(said("2 people", "inform", hotel_bookpeople=2))
    texts = chat(said("yes", "affirm"))
    assert hotel.status == COMPLETED
    assert re.match(r"(Back to|Now, about) your train journey: ", texts[-1]), texts
    assert chat.focus == train.id


def test_a_taxi_back_to_the_hotel_is_a_new_taxi_not_a_resume(chat):
    chat(said(f"book me a room at the {ACORN}", "book_hotel", hotel_name=ACORN))
    chat(said("I need a taxi back to the hotel", "book_taxi", taxi_destination=("hotel", "the hotel")))
    assert chat.focus == chat.task("taxi").id


def test_two_requests_in_one_message_are_served_by_priority_and_both_completed(chat):
    table = said(f"Book a table for 2 at {PIZZA} on friday at 19:00", "book_restaurant",
                 restaurant_bookpeople=2, restaurant_name=PIZZA, restaurant_bookday="friday",
                 restaurant_booktime="19:00")
    ride = said(f"get me a taxi from the station to {PIZZA} arriving by 18:30", "book_taxi",
                taxi_departure="station", taxi_destination=PIZZA, taxi_arriveby="18:30")
    texts = chat(several(f"{table.text} and {ride.text}", table, ride))
    restaurant, taxi = chat.task("restaurant"), chat.task("taxi")
    assert chat.focus == taxi.id and restaurant.status == SUSPENDED  # the taxi (50) before the table (20)
    assert texts[0] == "I'll take these one at a time: first the taxi, then the restaurant booking."
    assert chat.responses()[-1] == "utter_confirm_taxi" and "arriving by 18:30" in texts[-1]

    texts = chat(said("yes", "affirm"))
    assert taxi.status == COMPLETED
    assert re.match(r"(Back to|Now, about) your restaurant booking: (shall I book|just to confirm)", texts[-1], re.I)
    texts = chat(said("yes", "affirm"))
    assert restaurant.status == COMPLETED and restaurant.slots["restaurant-ref"]
    completed = [e["task_id"] for e in kinds(chat.events, "task_completed")]
    assert completed == [taxi.id, restaurant.id]


def test_the_users_own_order_beats_priority(chat):
    table = said(f"first a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA)
    ride = said("a taxi to the station", "book_taxi", taxi_destination="station")
    texts = chat(several(f"{table.text}, then {ride.text}", table, ride))
    assert chat.focus == chat.task("restaurant").id and chat.task("taxi").status == SUSPENDED
    assert texts[0] == "I'll take these one at a time: first the restaurant booking, then the taxi."


def test_a_search_queued_behind_a_taxi_is_named_a_search_not_a_booking(chat):
    chat(said("a taxi from the station to the museum at 17:00", "book_taxi", taxi_departure="station",
              taxi_destination="museum", taxi_leaveat="17:00"))
    assert chat.responses() == ["utter_confirm_taxi"]
    texts = chat(said("what can I eat nearby?", "find_restaurant"))
    assert chat.task("restaurant").goal == "find" and chat.responses()[0] == "utter_queue_task"
    assert "restaurant search" in texts[0] and "booking" not in texts[0]
    texts = chat(said("yes", "affirm"))
    assert chat.task("taxi").status == COMPLETED and chat.focus == chat.task("restaurant").id
    assert "particular restaurant" in texts[-1]  # then the search it waited for


def test_a_taxi_between_the_hotel_and_the_restaurant_goes_from_one_booked_place_to_the_other(chat):
    chat(said("book the Bramble Court for 2 people for 2 nights from friday", "book_hotel",
              hotel_name="Bramble Court", hotel_bookpeople=2, hotel_bookstay=2, hotel_bookday="friday"))
    chat(said("yes", "affirm"))
    chat(said(f"a table for 2 at {PIZZA} on friday at 19:00", "book_restaurant", restaurant_name=PIZZA,
              restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime="19:00"))
    chat(said("yes", "affirm"))
    assert chat.task("hotel").status == chat.task("restaurant").status == COMPLETED
    # the NLU reads "the hotel" as where the ride starts and nothing in "the restaurant"
    texts = chat(said("I need a taxi between the restaurant and the hotel", "book_taxi",
                      taxi_departure=("restaurant", "the restaurant")))
    taxi = chat.task("taxi")
    assert (taxi.slots["taxi-departure"], taxi.slots["taxi-destination"]) == (PIZZA, "Bramble Court")
    assert chat.responses() == ["utter_ask_taxi-leaveat"] and taxi.slots.get("taxi-arriveby") is None, texts


def test_a_taxi_in_time_for_the_reservation_arrives_before_the_table(chat):
    chat(said(f"a table for 2 at {PIZZA} on friday at 19:00", "book_restaurant", restaurant_name=PIZZA,
              restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime="19:00"))
    chat(said("yes", "affirm"))
    chat(said("I need a taxi from the station in time for my reservation", "book_taxi", taxi_departure="station"))
    taxi = chat.task("taxi")
    assert (taxi.slots["taxi-destination"], taxi.slots["taxi-arriveby"]) == (PIZZA, "18:45")  # to the table
    assert chat.responses() == ["utter_confirm_taxi"]
    # a ride that names its time keeps it; one to somewhere else is not tied to the table
    chat(said("and another taxi to the museum at 17:00, in time to look around", "book_taxi",
              taxi_destination="museum", taxi_leaveat="17:00"))
    second = [t for t in chat.state.tasks if t.type == "taxi"][-1]
    assert second.slots.get("taxi-arriveby") is None


def test_lower_priority_request_is_queued_announced_and_handled_after(chat):
    chat(said(f"I want to book a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    texts = chat(said("is there a museum I could visit too?", "find_attraction", attraction_type="museum"))
    restaurant, attraction = chat.task("restaurant"), chat.task("attraction")
    assert chat.focus == restaurant.id and attraction.status == SUSPENDED
    assert "sightseeing plan" in texts[0] and "restaurant booking" in texts[0]  # queued, and the user is told
    assert chat.responses() == ["utter_queue_task", "utter_ask_restaurant-bookpeople"]

    chat(said("2 people", "inform", restaurant_bookpeople=2))
    chat(said("friday", "inform", restaurant_bookday="friday"))
    chat(said("19:00", "inform", restaurant_booktime="19:00"))
    assert attraction.status == SUSPENDED
    texts = chat(said("yes", "affirm"))
    assert restaurant.status == COMPLETED and attraction.status == COMPLETED
    assert any("museum" in t for t in texts)  # the attraction's action ran right after
    completed = [e["task_id"] for e in kinds(chat.events, "task_completed")]
    assert completed == [restaurant.id, attraction.id]


def test_urgent_request_jumps_the_queue(chat):
    chat(said("I need a train to London", "book_train", train_destination="London"))
    chat(said("and find me a museum right now", "find_attraction", attraction_type="museum"))
    assert chat.task("attraction").status == COMPLETED  # 10 + urgency beats the train's 40: done at once
    assert chat.focus == chat.task("train").id


# ===================================================================== conflicts


def test_same_task_requested_twice_is_merged(chat):
    chat(said("find me an italian restaurant", "find_restaurant", restaurant_food="italian"))
    chat(said("I need a taxi from the station to the Gonville Hotel", "book_taxi", taxi_departure="station",
              taxi_destination="Gonville Hotel"))
    texts = chat(said("and book a table for 4 on saturday", "book_restaurant", restaurant_bookpeople=4,
                      restaurant_bookday="saturday"))
    restaurants = [t for t in chat.state.tasks if t.type == "restaurant"]
    assert len(restaurants) == 1
    restaurant = restaurants[0]
    assert restaurant.slots == {"restaurant-food": "italian", "restaurant-bookpeople": 4,
                                "restaurant-bookday": "saturday"}
    assert restaurant.goal == "book"
    assert any("restaurant booking" in t and ("added" in t or "updated" in t) for t in texts)
    assert [e["kind"] for e in chat.last("conflict_detected")] == ["duplicate"]
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["merged"]
    assert chat.focus == chat.task("taxi").id  # the taxi keeps the focus: the table waits

    # asking again with other details may mean a second booking: ask, and do what the user says
    texts = chat(said("a table for 2 on sunday as well", "book_restaurant", restaurant_bookpeople=2,
                      restaurant_bookday="sunday"))
    assert chat.responses() == ["utter_conflict_duplicate"] and restaurant.slots["restaurant-bookday"] == "saturday"
    chat(said("I want a second one", "inform"))
    restaurants = [t for t in chat.state.tasks if t.type == "restaurant"]
    assert len(restaurants) == 2
    assert restaurants[1].slots == {"restaurant-bookpeople": 2, "restaurant-bookday": "sunday"}
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["second"]


def test_a_correction_of_a_waiting_task_in_its_own_words_is_no_second_booking(chat):
    chat(said("a train from cambridge to london on saturday leaving at 10am for 2 people", "book_train",
              train_departure="cambridge", train_destination="london", train_day="saturday",
              train_leaveat=("10:00", "10am"), train_bookpeople=2))
    chat(said("also I need a taxi to the station", "book_taxi", taxi_destination="station"))
    texts = chat(said("actually make it 3 tickets", "book_train", train_bookpeople=3))
    assert [t.type for t in chat.state.tasks] == ["train", "taxi"]  # "actually": that one, corrected
    assert chat.task("train").slots["train-bookpeople"] == 3
    assert "utter_conflict_duplicate" not in chat.responses()
    assert sum(t.startswith("Got it") for t in texts) <= 1, texts


def ask_to_confirm_a_table(chat: Chat) -> None:
    chat(said(f"book a table at {PIZZA} for 2 on friday at 19:00", "book_restaurant", restaurant_name=PIZZA,
              restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime="19:00"))
    assert chat.task("restaurant").status == AWAITING_CONFIRMATION


def test_bye_with_a_booking_one_yes_away_asks_before_going_and_yes_books_it(chat):
    ask_to_confirm_a_table(chat)
    texts = chat(said("thanks, that's all", "bye"))
    assert chat.responses() == ["utter_before_you_go"] and "restaurant booking isn't made yet" in texts[0]
    assert chat.task("restaurant").status == AWAITING_CONFIRMATION
    chat(said("yes please", "affirm"))
    assert chat.task("restaurant").status == COMPLETED and kinds(chat.last_events, "action")


@pytest.mark.parametrize("reply", [said("no thanks", "deny"), said("bye", "bye"), said("No, goodbye", "deny")])
def test_bye_with_a_booking_one_yes_away_then_no_or_bye_again_says_goodbye(chat, reply):
    ask_to_confirm_a_table(chat)
    chat(said("bye", "bye"))
    chat(reply)
    assert chat.responses() == ["utter_goodbye"] and chat.task("restaurant").status == AWAITING_CONFIRMATION


def test_a_correction_after_before_you_go_corrects_the_booking(chat):
    ask_to_confirm_a_table(chat)
    chat(said("bye", "bye"))
    chat(said("actually make it 8pm", "inform", restaurant_booktime=("20:00", "8pm")))
    assert chat.responses() == ["utter_slot_corrected", "utter_confirm_restaurant"]
    assert chat.task("restaurant").slots["restaurant-booktime"] == "20:00"


def test_bye_with_nothing_waiting_for_a_yes_is_goodbye(chat):
    chat(said(f"book a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    chat(said("bye", "bye"))
    assert chat.responses() == ["utter_goodbye"]


def book_todays_train(chat: Chat, after: str, words: str) -> str:
    """A train from Cambridge today (the clock's today is Friday), booked; the time a taxi to the
    station should arrive by: 15 minutes before it leaves."""
    chat(said(f"a train from cambridge to london today leaving after {words} for 1", "book_train",
              train_departure="cambridge", train_destination="london", train_day=("friday", "today"),
              train_leaveat=(after, words), train_bookpeople=1))
    chat(said("yes", "affirm"))
    hours, minutes = map(int, chat.task("train").slots["train-leaves"].split(":"))
    due = hours * 60 + minutes - 15
    return f"{due // 60:02d}:{due % 60:02d}"


def test_a_taxi_to_the_station_arrives_before_todays_train_leaves(chat):
    due = book_todays_train(chat, "18:00", "6pm")
    chat(said("and a taxi to the station", "book_taxi", taxi_destination="station"))
    texts = chat(said(f"from {ACORN.lower()}", "inform", taxi_departure=ACORN.lower()))
    assert chat.task("taxi").slots["taxi-arriveby"] == due
    assert chat.responses() == ["utter_confirm_taxi"] and f"from {ACORN} to the station, arriving by {due}" in texts[0]


def test_a_taxi_to_the_station_finds_todays_train_behind_a_table_booked_since(chat):
    due = book_todays_train(chat, "21:00", "9pm")
    book_table(chat)  # a table on Friday at 19:00, booked after the train
    chat(said("and a taxi to the station", "book_taxi", taxi_destination="station"))
    assert chat.task("taxi").slots["taxi-arriveby"] == due


def test_a_taxi_to_the_station_says_nothing_of_another_days_train(chat):
    chat(said("a train from cambridge to london on sunday leaving after 6pm for 1", "book_train",
              train_departure="cambridge", train_destination="london", train_day="sunday",
              train_leaveat=("18:00", "6pm"), train_bookpeople=1))
    chat(said("yes", "affirm"))
    chat(said("and a taxi to the station", "book_taxi", taxi_destination="station"))
    assert chat.task("taxi").slots.get("taxi-arriveby") is None


def test_a_corrected_day_reads_as_the_confirmation_writes_it(chat):
    chat(said(f"book a table at {PIZZA} for 2 on friday", "book_restaurant", restaurant_name=PIZZA,
              restaurant_bookpeople=2, restaurant_bookday="friday"))
    texts = chat(said("make it saturday", "inform", restaurant_bookday="saturday"))
    assert chat.responses()[0] == "utter_slot_corrected" and texts[0].endswith(" to Saturday.")


def test_correction_overwrites_revalidates_and_reconfirms(chat):
    chat(said(f"book a table at {PIZZA} for 2 people", "book_restaurant", restaurant_name=PIZZA,
              restaurant_bookpeople=2))
    restaurant = chat.task("restaurant")
    texts = chat(said("make it 4 people", "inform", restaurant_bookpeople=4))
    assert restaurant.slots["restaurant-bookpeople"] == 4
    assert "number of people" in texts[0] and "4" in texts[0]
    assert chat.responses() == ["utter_slot_corrected", "utter_ask_restaurant-bookday"]

    chat(said("friday at 19:00", "inform", restaurant_bookday="friday", restaurant_booktime="19:00"))
    assert restaurant.status == AWAITING_CONFIRMATION
    texts = chat(said("actually 8pm", "inform", restaurant_booktime=("20:00", "8pm")))
    assert restaurant.slots["restaurant-booktime"] == "20:00"
    assert chat.responses() == ["utter_slot_corrected", "utter_confirm_restaurant"] and "20:00" in texts[-1]

    texts = chat(said("no, 25 people", "inform", restaurant_bookpeople=25))
    assert restaurant.slots["restaurant-bookpeople"] == 4  # rejected: out of range
    assert chat.responses() == ["utter_invalid_value"] and "between 1 and 20" in texts[0]

    chat(said("4 then", "inform", restaurant_bookpeople=4))
    texts = chat(said("yes", "affirm"))
    assert restaurant.status == COMPLETED
    assert "for 4 people on Friday at 20:00" in texts[0]


def test_cancelling_one_task_keeps_the_others(chat):
    chat(said(f"book me a room at the {ACORN}", "book_hotel", hotel_name=ACORN))
    chat(said(f"I need a taxi from the {ACORN} to the station", "book_taxi", taxi_departure=ACORN,
              taxi_destination="station"))
    chat(said(f"and a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    hotel, taxi, restaurant = chat.task("hotel"), chat.task("taxi"), chat.task("restaurant")
    assert chat.focus == taxi.id

    texts = chat(said("cancel the taxi", "cancel_task"))
    assert taxi.status == CANCELLED
    assert hotel.is_open and restaurant.is_open and hotel.slots == {"hotel-name": ACORN}
    assert "taxi" in texts[0] and "cancel" in texts[0].lower()
    assert re.match(r"(Back to|Now, about) your hotel: ", texts[-1])  # the most important waiting task

    texts = chat(said("cancel it", "cancel_task"))  # "it" = the task in focus
    assert hotel.status == CANCELLED and restaurant.is_open and chat.focus == restaurant.id
    assert re.match(r"(Back to|Now, about) your restaurant booking: ", texts[-1])

    chat(said("cancel everything", "cancel_task"))
    assert not chat.state.open_tasks()
    assert chat(said("cancel it", "cancel_task")) == ["There's nothing in progress to cancel."]


def test_a_booking_already_made_is_cancelled_only_when_the_user_says_yes(chat):
    chat(said(f"a taxi from {ACORN} to the station at 18:00", "book_taxi", taxi_departure=ACORN,
              taxi_destination="station", taxi_leaveat="18:00"))
    chat(said("yes", "affirm"))
    taxi = chat.task("taxi")
    reference = taxi.slots["taxi-ref"]
    assert taxi.status == COMPLETED and not chat.state.open_tasks()

    [question] = chat(said("cancel the taxi", "cancel_task"))
    assert question == f"Your taxi is already booked (reference {reference}). Shall I cancel the booking?"
    assert chat(said("no", "deny")) == ["OK, your taxi stays booked."]
    assert taxi.status == COMPLETED and taxi.slots["taxi-ref"] == reference

    chat(said("cancel my taxi booking", "cancel_task"))
    texts = chat(said("yes", "affirm"))
    assert texts[0] == f"Your taxi booking {reference} is cancelled."
    assert taxi.status == CANCELLED and taxi.slots.get("taxi-ref") is None
    assert chat(said("cancel it", "cancel_task")) == ["There's nothing in progress to cancel."]


def test_tickets_asked_for_after_the_train_is_booked_are_the_booking_made(chat):
    chat(said("a train from cambridge to london on friday leaving at 9am for 2", "book_train",
              train_departure="cambridge", train_destination="london", train_day="friday",
              train_leaveat=("09:00", "9am"), train_bookpeople=2))
    chat(said("yes", "affirm"))
    train = chat.task("train")
    reference = train.slots["train-ref"]
    assert train.status == COMPLETED
    # MultiWOZ users ask for the tickets once the train is found; ours is booked by then
    assert chat(said("I need tickets for 2", "book_train", train_bookpeople=2)) == [
        f"Your train journey is already booked for 2 (reference {reference})."]
    assert len(chat.state.tasks) == 1
    # another number is a change; "book it for 3" read as a table, with no restaurant anywhere, too
    [question] = chat(said("book it for 3 people please", "book_restaurant", restaurant_bookpeople=3))
    assert question.startswith(f"Your train journey is already booked (reference {reference}). "
                               "Shall I change the number of tickets to 3?")
    assert chat(said("no", "deny")) == ["OK, your train journey stays booked."]
    assert len(chat.state.tasks) == 1
    # a table for 3 named as one is a table
    chat(said("I need a table for 3", "book_restaurant", restaurant_bookpeople=3))
    assert chat.task("restaurant") is not None and chat.responses() != ["utter_already_booked"]
    # a second journey is a second train
    chat(said("cancel the table", "cancel_task"))
    chat(said("and a train back on sunday for 2", "book_train", train_day="sunday", train_bookpeople=2))
    assert len([t for t in chat.state.tasks if t.type == "train"]) == 2


def test_a_change_to_a_booking_made_cancels_it_and_books_again_when_the_user_says_yes(chat):
    book_table(chat, "13:00", people=3)
    table = chat.task("restaurant")
    first = table.slots["restaurant-ref"]
    [question] = chat(said("actually make it 2pm", "inform", restaurant_booktime=("14:00", "2pm")))
    assert question == (f"Your restaurant booking is already booked (reference {first}). Shall I change the time "
                        "to 14:00? I'll cancel it and book it again.")
    assert table.status == COMPLETED and len(chat.state.tasks) == 1  # no second table started
    assert chat(said("no", "deny")) == ["OK, your restaurant booking stays booked."]
    assert table.slots["restaurant-booktime"] == "13:00" and table.slots["restaurant-ref"] == first

    chat(said("actually make it 2pm", "inform", restaurant_booktime=("14:00", "2pm")))
    texts = chat(said("yes", "affirm"))  # the yes to the change was the confirmation: booked again at once
    assert texts[0] == f"Your restaurant booking {first} is cancelled."
    assert "14:00 is booked" in texts[1] and "utter_confirm_restaurant" not in chat.responses()
    assert table.status == COMPLETED and table.slots["restaurant-booktime"] == "14:00"
    assert table.slots["restaurant-ref"] not in (None, first)
    # a booked taxi moved "to 6pm", read as the arrival: the pick-up time it has is what moves
    chat(said(f"a taxi from {ACORN} to the station at 17:00", "book_taxi", taxi_departure=ACORN,
              taxi_destination="station", taxi_leaveat="17:00"))
    chat(said("yes", "affirm"))
    [question] = chat(said("can we move the taxi to 6pm instead?", "book_taxi", taxi_arriveby=("18:00", "6pm")))
    assert "Shall I change the pick-up time to 18:00?" in question and len(chat.state.tasks) == 2
    chat(said("yes", "affirm"))  # to the change, and so to the booking
    assert chat.task("taxi").slots["taxi-leaveat"] == "18:00" and chat.task("taxi").slots.get("taxi-arriveby") is None
    assert chat.task("taxi").status == COMPLETED
    # a new value without a word of change is no change to the booking: a new request, as before
    texts = chat(said("at 9pm", "inform", restaurant_booktime="21:00"))
    assert chat.task("restaurant") is not table, (texts, chat.responses())


def test_a_booking_that_cannot_be_cancelled_stands(domain, runner):
    chat = Chat(dm_for(domain, runner))
    chat(said(f"a taxi from {ACORN} to the station at 18:00", "book_taxi", taxi_departure=ACORN,
              taxi_destination="station", taxi_leaveat="18:00"))
    chat(said("yes", "affirm"))
    text = DOMAIN_FILE.read_text(encoding="utf-8").replace("cancel_action: action_cancel_booking",
                                                           "cancel_action: action_always_fails")
    with InProcessActionRunner("actions_for_tests", timeout=5.0) as failing:
        chat.dm = dm_for(parse_domain(text, "domain.yml"), failing)  # the booking service is down
        chat(said("cancel the taxi", "cancel_task"))
        [reply] = chat(said("yes", "affirm"))
    assert reply.endswith("The booking stands as it was.")
    assert chat.task("taxi").status == COMPLETED and chat.task("taxi").slots["taxi-ref"]


def test_booking_time_colliding_with_another_task_is_flagged_and_fixed(chat):
    book_table(chat, "19:00")
    texts = chat(said("I also need a train from Cambridge to London on friday leaving at 18:45 for 2 people",
                      "book_train", train_departure="Cambridge", train_destination="London", train_day="friday",
                      train_leaveat="18:45", train_bookpeople=2))
    restaurant, train = chat.task("restaurant"), chat.task("train")
    assert chat.responses() == ["utter_conflict_time"]
    # the train takes the user away: it moves after dinner, not to 18:00 (that misses the table too)
    assert "19:00" in texts[0] and "18:45" in texts[0]
    assert "Shall I change the departure time of your train journey to 20:00?" in texts[0]
    [detected] = chat.last("conflict_detected")
    assert detected["kind"] == "time" and sorted(detected["task_ids"]) == sorted([restaurant.id, train.id])
    assert train.status == ACTIVE  # nothing is confirmed before the clash is settled

    texts = chat(said("yes please", "affirm"))
    assert train.slots["train-leaveat"] == "20:00"
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["fixed"]
    assert chat.responses() == ["utter_slot_corrected", "utter_confirm_train"]


def test_a_table_after_the_train_leaves_town_moves_before_the_train(chat):
    chat(said("I need a train from Cambridge to London on friday leaving at 18:30 for 2 people", "book_train",
              train_departure="Cambridge", train_destination="London", train_day="friday", train_leaveat="18:30",
              train_bookpeople=2))
    chat(said("yes", "affirm"))
    assert chat.task("train").status == COMPLETED
    texts = chat(said(f"and a table for 2 at {PIZZA} on friday at 19:00", "book_restaurant", restaurant_name=PIZZA,
                      restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime="19:00"))
    assert chat.responses() == ["utter_conflict_time"]
    # was "Shall I change the time to 19:30?": dinner in town after the train has left it
    assert "Shall I change the time of your restaurant booking to 17:30?" in texts[0]
    chat(said("yes please", "affirm"))
    assert chat.task("restaurant").slots["restaurant-booktime"] == "17:30"
    assert chat.responses() == ["utter_slot_corrected", "utter_confirm_restaurant"]


def test_taxi_arriving_after_the_booking_is_pointed_out(chat):
    book_table(chat, "19:00")
    texts = chat(said(f"get me a taxi from the station to {PIZZA} arriving by 19:30", "book_taxi",
                      taxi_departure="station", taxi_destination=PIZZA, taxi_arriveby="19:30"))
    assert chat.responses() == ["utter_conflict_place"]
    assert "19:30" in texts[0] and "19:00" in texts[0] and "18:45" in texts[0]
    chat(said("no, that's fine", "deny"))
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["kept"]
    assert chat.task("taxi").slots["taxi-arriveby"] == "19:30" and chat.responses() == ["utter_confirm_taxi"]


def test_request_contradicting_the_profile_is_asked_about(chat):
    texts = chat(said("I'm vegetarian", "inform_preference", diet="vegetarian"))
    assert chat.state.slots["diet"] == "vegetarian" and "vegetarian" in texts[0]
    texts = chat(said("find me a steakhouse in the centre", "find_restaurant", restaurant_food="steakhouse",
                      restaurant_area="centre"))
    restaurant = chat.task("restaurant")
    assert chat.responses() == ["utter_conflict_profile"]
    assert "vegetarian" in texts[0] and "steakhouse" in texts[0]
    assert [e["kind"] for e in chat.last("conflict_detected")] == ["profile"]

    texts = chat(said("something else", "ask_alternative"))
    assert "restaurant-food" not in restaurant.slots and restaurant.slots["restaurant-area"] == "centre"
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["changed"]
    assert chat.responses() == ["utter_ask_restaurant-food"]
    chat(said("italian then", "inform", restaurant_food="italian"))
    assert restaurant.slots["restaurant-food"] == "italian" and chat.responses() == ["utter_ask_restaurant-name"]


def test_profile_conflict_kept_when_the_user_insists(chat):
    chat(said("I'm vegetarian", "inform_preference", diet="vegetarian"))
    chat(said("find me a steakhouse", "find_restaurant", restaurant_food="steakhouse"))
    chat(said("yes, keep it", "affirm"))
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["kept"]
    assert chat.task("restaurant").slots["restaurant-food"] == "steakhouse"
    chat(said(f"{PIZZA}", "inform", restaurant_name=PIZZA))
    assert not chat.last("conflict_detected")  # settled once, not asked again


def test_suspended_task_is_brought_back_once_after_n_turns(domain, runner):
    chat = Chat(dm_for(domain, runner, config=PolicyConfig(stale_after_turns=3, expire_after_turns=3)))
    chat(said(f"book a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    chat(said("I need a train to London", "book_train", train_destination="London"))
    restaurant = chat.task("restaurant")
    chat(said("from Cambridge", "inform", train_departure="Cambridge"))
    texts = chat(said("on saturday", "inform", train_day="saturday"))
    assert not chat.last("conflict_detected")
    texts = chat(said("leaving at 10:00", "inform", train_leaveat="10:00"))  # third turn untouched
    assert chat.responses() == ["utter_ask_train-bookpeople", "utter_remind_task"]
    assert "restaurant booking" in texts[-1]
    assert [e["kind"] for e in chat.last("conflict_detected")] == ["stale"]

    texts = chat(said("yes", "affirm"))
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["kept"]
    assert restaurant.status == SUSPENDED and "restaurant booking" in texts[0]  # still waits behind the train
    assert chat.responses()[-1] == "utter_ask_train-bookpeople"
    for _ in range(4):  # asked once only
        chat(said("what?", "inform"))
        assert "utter_remind_task" not in chat.responses()


def test_reminder_beside_a_slot_question_can_be_passed_over(domain, runner):
    chat = Chat(dm_for(domain, runner, config=PolicyConfig(stale_after_turns=2, expire_after_turns=2)))
    chat(said(f"book a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    chat(said("I need a train to London", "book_train", train_destination="London"))
    chat(said("from Cambridge", "inform", train_departure="Cambridge"))
    chat(said("on saturday", "inform", train_day="saturday"))
    assert chat.responses()[-2:] == ["utter_ask_train-leaveat", "utter_remind_task"]  # two turns untouched
    chat(said("leaving at 10:00", "inform", train_leaveat="10:00"))  # answers the train's question
    assert [e["resolution"] for e in chat.last("conflict_resolved")] == ["ignored"]
    chat(said("2 people", "inform", train_bookpeople=2))
    assert chat.task("restaurant").status == SUSPENDED and "utter_task_expired" not in chat.responses()


def test_browsing_then_the_offer_turns_into_a_booking(chat):
    chat(said("any thai places?", "find_restaurant", restaurant_food="thai"))
    assert chat.responses() == ["utter_ask_restaurant-name"]
    chat(said("Bangkok City sounds nice", "inform", restaurant_name="Bangkok City"))
    restaurant = chat.task("restaurant")
    assert chat.responses() == ["utter_offer_book_restaurant"] and restaurant.goal == "find"
    chat(said("yes please", "affirm"))
    assert restaurant.goal == "book" and chat.responses() == ["utter_ask_restaurant-bookpeople"]


def test_declined_offer_ends_the_search(chat):
    chat(said("find me Bangkok City", "find_restaurant", restaurant_name="Bangkok City"))
    chat(said("no thanks", "deny"))
    restaurant = chat.task("restaurant")
    assert restaurant.status == COMPLETED and kinds(chat.events, "task_completed")[0]["result"] == {"booked": False}
    assert chat.responses() == ["utter_anything_else"]


def test_no_thanks_to_a_bookings_detail_declines_the_booking_and_leaves_it_on_offer(chat):
    chat(said("any thai places?", "find_restaurant", restaurant_food="thai"))
    chat(said("Bangkok City sounds nice", "inform", restaurant_name="Bangkok City"))
    chat(said("yes please", "affirm"))
    assert chat.responses() == ["utter_ask_restaurant-bookpeople"]
    texts = chat(said("no thanks", "deny"))  # no answer to "how many people?": the booking is not wanted
    restaurant = chat.task("restaurant")
    assert chat.responses() == ["utter_booking_declined"] and "Bangkok City" in texts[0]
    assert restaurant.status == COMPLETED and restaurant.goal == "find"
    assert restaurant.slots["restaurant-name"] == "Bangkok City"
    chat(said("ok book it then", "accept_suggestion"))  # changed their mind
    assert restaurant.status == ACTIVE and restaurant.goal == "book"
    assert chat.responses()[-1] == "utter_ask_restaurant-bookpeople"



def test_a_declined_booking_asked_for_again_with_its_details_is_taken_up_with_them(chat):
    chat(said("Bangkok City sounds nice, book it", "book_restaurant", restaurant_name="Bangkok City"))
    chat(said("no thanks", "deny"))
    restaurant = chat.task("restaurant")
    assert chat.responses() == ["utter_booking_declined"] and restaurant.status == COMPLETED
    # was the place suggested anew by a second search: the details go to the booking taken up again
    chat(said("actually, can you book it for 2 people on friday at 19:00?", "book_restaurant",
              restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime="19:00"))
    assert chat.task("restaurant") is restaurant and restaurant.goal == "book"
    assert restaurant.slots["restaurant-bookpeople"] == 2 and chat.responses() == ["utter_confirm_restaurant"]


def test_a_number_or_a_no_to_something_else_is_no_declined_booking(chat):
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    chat(said("no thanks, just looking", "deny"))
    assert chat.responses() == ["utter_booking_declined"] and chat.task("taxi").status == COMPLETED
    chat(said(f"book a table at {PIZZA}", "book_restaurant", restaurant_name=PIZZA))
    chat(said("4", "inform", restaurant_bookpeople=4))  # an answer, not a no
    assert chat.task("restaurant").slots["restaurant-bookpeople"] == 4 and chat.task("restaurant").is_open


def test_are_you_a_bot_is_answered_plainly_and_the_open_question_goes_on(chat):
    chat(said(f"book me a room at the {ACORN}", "book_hotel", hotel_name=ACORN))
    asked = chat.responses()[-1]
    texts = chat(said("are you a robot?", "bot_challenge", 0.8))
    assert chat.responses() == ["utter_iamabot", asked]
    assert texts[0].startswith("I'm a virtual assistant, a computer program rather than a person.")
    assert chat.task("hotel").is_open and len(chat.state.tasks) == 1


def test_a_smiley_or_ok_to_start_with_gets_a_greeting_and_what_the_assistant_can_do(chat):
    chat(said("\U0001F642", "thank", 0.32, ranking=[("greet", 0.31)]))  # however unsure the model is
    assert chat.responses() == ["utter_greet"]
    chat(said("ok", "affirm"))
    assert chat.responses() == ["utter_help"]


def test_ok_or_a_thumbs_up_to_anything_else_is_noted_and_a_yes_gets_help(chat):
    chat(said("find me Bangkok City", "find_restaurant", restaurant_name="Bangkok City"))
    chat(said("no thanks", "deny"))
    assert chat.responses() == ["utter_anything_else"]
    chat(said("\U0001F44D", "affirm", 0.4))
    assert chat.responses() == ["utter_glad_to_help"]
    chat(said("\U0001F44D", "thank", 0.7))  # a second thumbs up: a smile back, not "anything else?" again
    assert chat.responses() == ["utter_smile"]
    # the model torn between thanks and a greeting: still no "that's outside what I can do"
    chat(said("\U0001F44D", "thank", 0.32, ranking=[("greet", 0.31)]))
    assert chat.responses() == ["utter_smile"]
    chat(said("find me Bangkok City", "find_restaurant", restaurant_name="Bangkok City"))
    chat(said("no thanks", "deny"))
    chat(said("yes", "affirm"))
    assert chat.responses() == ["utter_help"]
    # a thumbs up read as thanks while a question is open: no "my pleasure", the question again
    chat(said("a table at Bangkok City", "book_restaurant", restaurant_name="Bangkok City"))
    asked = chat.responses()
    chat(said("\U0001F44D", "thank"))
    assert chat.responses() == asked and "utter_youre_welcome" not in chat.responses()
    chat(said("thanks", "thank"))
    assert chat.responses()[0] == "utter_youre_welcome"


def test_profile_read_out_and_forgotten(chat):
    assert chat(said("what do you know about me?", "ask_profile")) == ["I don't know anything about you yet."]
    chat(said("I'm vegan", "inform_preference", diet="vegan"))
    assert "diet: vegan" in chat(said("what do you know about me?", "ask_profile"))[0]
    chat(said("forget me", "forget_me"))  # it erases the conversations too: asked first
    assert chat.responses() == ["utter_confirm_forget"] and chat.state.slots["diet"] == "vegan"
    chat(said("no", "deny"))
    assert chat.responses() == ["utter_forget_declined"] and chat.state.slots["diet"] == "vegan"
    chat(said("forget me", "forget_me"))
    chat(said("yes", "affirm"))
    assert "diet" not in chat.state.slots and chat.responses() == ["utter_profile_forgotten"]


def test_forget_me_asked_then_something_else_erases_nothing(chat):
    chat(said("I'm vegan", "inform_preference", diet="vegan"))
    chat(said("forget everything about me", "forget_me", 0.7))
    assert chat.responses() == ["utter_confirm_forget"]
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    assert chat.state.slots["diet"] == "vegan" and chat.task("taxi") is not None


# ===================================================================== understanding


def test_low_confidence_message_gets_a_clarifying_question(chat):
    texts = chat(said("I need to get to London", "book_taxi", 0.45, ranking=[("book_train", 0.40)]))
    assert texts == ["Just to check: did you mean book a taxi or book a train?"]
    [bot] = chat.last("bot")
    assert bot["data"]["buttons"] == [{"title": "book a taxi", "payload": "/book_taxi"},
                                      {"title": "book a train", "payload": "/book_train"}]
    assert not chat.state.tasks


def test_close_second_with_entities_carries_them_in_the_payloads(chat):
    chat(said("get me to the station", "book_taxi", 0.62, ranking=[("book_train", 0.58)],
              taxi_destination="station"))
    [bot] = chat.last("bot")
    assert bot["data"]["buttons"][0]["payload"] == '/book_taxi{"taxi-destination": "station"}'


def test_out_of_domain_message_is_answered_gracefully(chat):
    texts = chat(said("what's the weather like tomorrow?", "greet", 0.22, ranking=[("thank", 0.2)]))
    assert chat.responses() == ["utter_out_of_scope"] and "restaurants" in texts[0].lower()
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    texts = chat(said("can you sing?", "thank", 0.15, ranking=[("bye", 0.1)]))
    assert chat.responses() == ["utter_out_of_scope", "utter_ask_taxi-departure"]  # then back to the question


def test_answer_with_entities_is_understood_despite_a_weak_intent(chat):
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    chat(said("the Lensfield Hotel", "inform", 0.3, ranking=[("find_hotel", 0.28)],
              hotel_name="Lensfield Hotel"))
    assert chat.task("taxi").slots["taxi-departure"] == "Lensfield Hotel"  # answered the question asked
    assert chat.task("hotel") is None


def test_a_bare_venue_name_answers_the_place_question_though_the_nlu_reads_a_request(chat):
    chat(said("I need a taxi to the station at 18:00", "book_taxi", taxi_destination="station", taxi_leaveat="18:00"))
    assert chat.responses() == ["utter_ask_taxi-departure"]
    chat(said(f"the {ACORN}", "find_hotel", hotel_name=ACORN))
    taxi = chat.task("taxi")
    assert taxi.slots["taxi-departure"] == ACORN and chat.task("hotel") is None
    assert chat.responses() == ["utter_confirm_taxi"]
    # more than the name is a request of its own
    chat2 = Chat(chat.dm)
    chat2(said("I need a taxi to the station at 18:00", "book_taxi", taxi_destination="station", taxi_leaveat="18:00"))
    chat2(said(f"I also want to stay at the {ACORN} for 2 nights", "book_hotel", hotel_name=ACORN, hotel_bookstay=2))
    assert chat2.task("hotel") is not None and chat2.task("taxi").slots.get("taxi-departure") is None


def test_a_ride_to_my_hotel_goes_to_the_hotel_booked(chat):
    chat(said(f"book the {ACORN} for 2 people from friday for 2 nights", "book_hotel", hotel_name=ACORN,
              hotel_bookpeople=2, hotel_bookday="friday", hotel_bookstay=2))
    chat(said("yes", "affirm"))
    chat(said("a taxi to my hotel from the station at 6pm", "book_taxi", taxi_destination=("hotel", "my hotel"),
              taxi_departure="station", taxi_leaveat=("18:00", "6pm")))
    assert chat.task("taxi").slots["taxi-destination"] == ACORN
    # no task of that kind with a place: the words stay as they are
    other = Chat(chat.dm, "bob")
    other(said("a taxi to the restaurant from the station at 8pm", "book_taxi",
               taxi_destination=("restaurant", "the restaurant"), taxi_departure="station", taxi_leaveat="20:00"))
    assert other.task("taxi").slots["taxi-destination"] == "restaurant"


def test_a_taxi_home_afterwards_starts_at_the_table_just_booked(chat):
    book_table(chat, "20:00")
    chat(said("and a taxi home afterwards at 10.30pm", "book_taxi", taxi_leaveat=("22:30", "10.30pm")))
    taxi = chat.task("taxi")
    assert taxi.slots["taxi-departure"] == PIZZA and chat.responses() == ["utter_ask_taxi-destination"]
    # a train "afterwards" leaves from a station, not from the restaurant
    chat(said("and a train to london afterwards", "book_train", train_destination="london"))
    assert chat.task("train").slots.get("train-departure") is None


def test_a_taxi_home_after_dinner_goes_from_the_table_to_the_hotel_booked_since(chat):
    book_table(chat, "20:00")
    chat(said(f"and the {ACORN} for 2 people from friday for 2 nights", "book_hotel", hotel_name=ACORN,
              hotel_bookpeople=2, hotel_bookday="friday", hotel_bookstay=2))
    chat(said("yes", "affirm"))
    # "home" is read as the hotel (a synonym in the NLU data); the hotel is the latest place, but the
    # ride goes there, so it starts at the table
    chat(said("and a taxi home afterwards", "book_taxi", taxi_destination=("hotel", "home")))
    taxi = chat.task("taxi")
    assert taxi.slots["taxi-destination"] == ACORN and taxi.slots["taxi-departure"] == PIZZA


def test_small_talk_then_back_to_the_question(chat):
    assert chat(said("hello", "greet")) and chat.responses() == ["utter_greet"]
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    chat(said("thanks", "thank"))
    assert chat.responses() == ["utter_youre_welcome", "utter_ask_taxi-departure"]


# ===================================================================== actions


def failing_taxi_domain():
    text = DOMAIN_FILE.read_text(encoding="utf-8").replace("action: action_book_taxi", "action: action_always_fails")
    return parse_domain(text, "failing_domain.yml")


def test_action_failure_is_apologised_and_the_task_stays_recoverable(domain, runner):
    with InProcessActionRunner("actions_for_tests", timeout=5.0) as failing:
        chat = Chat(dm_for(failing_taxi_domain(), failing))
        chat(said(f"a taxi from {ACORN} to the station at 18:00", "book_taxi", taxi_departure=ACORN,
                  taxi_destination="station", taxi_leaveat="18:00"))
        texts = chat(said("yes", "affirm"))
    taxi = chat.task("taxi")
    assert texts == [ActionFailed("action_always_fails", CRASHED).user_message]
    assert taxi.status == ACTIVE and chat.focus == taxi.id
    assert taxi.slots == {"taxi-departure": ACORN, "taxi-destination": "station", "taxi-leaveat": "18:00"}
    assert not kinds(chat.events, "task_failed")
    [bot] = chat.last("bot")
    assert bot["metadata"]["expects"] == "retry" and bot["metadata"]["error"] == "crashed"

    # the service is back: the same conversation goes on, and "yes" tries again with nothing lost
    chat.dm = dm_for(domain, runner)
    texts = chat(said("yes, try again", "affirm"))
    assert taxi.status == COMPLETED and "is booked" in texts[0]


def test_one_of_a_counted_thing_is_said_in_the_singular_and_a_day_with_its_capital(chat, domain):
    from assistant.nlg import singular_counts

    assert singular_counts("1 tickets, 1 nights for 1 people, one guests") == \
        "1 ticket, 1 night for 1 person, one guest"
    assert singular_counts("11 people, 21 nights, 2 tickets") == "11 people, 21 nights, 2 tickets"
    chat(said("a train from cambridge to ely on friday leaving at 9am for 1", "book_train",
              train_departure="cambridge", train_destination="ely", train_day="friday",
              train_leaveat=("09:00", "9am"), train_bookpeople=1))
    assert chat.responses() == ["utter_confirm_train"]
    assert "Shall I book 1 ticket from Cambridge to Ely on Friday," in chat.last("bot")[0]["text"]
    from policies.words import day_words

    assert [day_words(d) for d in ("friday", "2025-05-02", "someday", None)] == [
        "Friday", "Friday 2 May", "someday", None]
    from policies.words import place_words

    # a name as written, a place by what it is with its article, where someone is as said
    assert [place_words(p) for p in ("london kings cross", "king's college", "Pizza Hut", "train station",
                                     "the station", "my office", "home")] == [
        "London Kings Cross", "King's College", "Pizza Hut", "the train station", "the station", "my office", "home"]


def test_an_action_that_unsets_a_needed_slot_books_nothing_and_asks_for_it_again(chat):
    chat(said("a train from cambridge to london on friday arriving by 5am for 2", "book_train",
              train_departure="cambridge", train_destination="london", train_day="friday",
              train_arriveby=("05:00", "5am"), train_bookpeople=2))
    assert chat.responses() == ["utter_confirm_train"]
    texts = chat(said("yes", "affirm"))
    train = chat.task("train")
    assert texts[0].startswith("No train from Cambridge to London on Friday arrives by 05:00")
    assert train.status == ACTIVE and chat.focus == train.id and "train-ref" not in train.slots
    assert train.slots.get("train-arriveby") is None and not chat.last("task_completed")
    assert chat.responses()[-1].startswith("utter_ask_train-")  # the time, asked again
    chat(said("leaving at 8am", "inform", train_leaveat=("08:00", "8am")))
    texts = chat(said("yes", "affirm"))
    assert train.status == COMPLETED and texts[0].startswith("2 tickets booked on TR")


# ===================================================================== the Assistant and its stores


HOTEL_SCRIPT = [
    said(f"I'd like to book the {ACORN}", "book_hotel", hotel_name=ACORN),
    said("arriving friday", "inform", hotel_bookday="friday"),
    said(f"I need a taxi from the {ACORN} to the station at 18:00", "book_taxi", taxi_departure=ACORN,
         taxi_destination="station", taxi_leaveat="18:00"),
    said("yes", "affirm"),
    said("3 nights", "inform", hotel_bookstay=3),
    said("2 of us", "inform", hotel_bookpeople=2),
]


def make_assistant(domain, runner, store, **options):
    options.setdefault("rng", random.Random(3))
    options.setdefault("clock", Clock())
    return Assistant(ScriptedParser(*HOTEL_SCRIPT), domain, store, runner, **options)


def test_assistant_replies_in_rasa_rest_shape(domain, runner):
    assistant = make_assistant(domain, runner, InMemoryTrackerStore())
    replies = assistant.handle("bob", HOTEL_SCRIPT[0].text)
    assert replies and all(r["recipient_id"] == "bob" and set(r) <= {"recipient_id", "text", "buttons"}
                           for r in replies)
    replies = assistant.handle("bob", HOTEL_SCRIPT[1].text)
    assert replies[0]["text"] in ("How many nights will you stay?", "For how many nights?")
    events = assistant.store.load("bob")
    assert events[0]["event"] == "user" and events[0]["parse_data"]["intent"]["name"] == "book_hotel"


def test_bot_messages_leave_unset_fields_out():
    from assistant.nlg import BotMessage

    assert BotMessage(text="hi").to_rasa("u") == {"recipient_id": "u", "text": "hi"}
    full = BotMessage(text="t", buttons=[{"title": "Yes", "payload": "/affirm"}], image="http://x/i.png",
                      custom={"kind": "card"})
    assert full.to_rasa("u") == {"recipient_id": "u", "text": "t", "buttons": [{"title": "Yes", "payload": "/affirm"}],
                                 "image": "http://x/i.png", "custom": {"kind": "card"}}


def test_conversation_continues_from_sqlite_after_restart(domain, runner, tmp_path):
    db = tmp_path / "assistant.db"
    first = make_assistant(domain, runner, SQLiteTrackerStore(db))
    for parse in HOTEL_SCRIPT[:5]:
        first.handle("carol", parse.text)
    before = first.state("carol")
    first.store.close()

    second = make_assistant(domain, runner, SQLiteTrackerStore(db))  # a new process, in effect
    after = second.state("carol")
    assert [t.to_dict() for t in after.tasks] == [t.to_dict() for t in before.tasks]
    assert after.focus == before.focus == "hotel-1" and after.turn == 5
    assert after.task("hotel-1").slots == {"hotel-name": ACORN, "hotel-bookday": "friday", "hotel-bookstay": 3}
    assert after.task("taxi-1").status == COMPLETED
    replies = second.handle("carol", HOTEL_SCRIPT[5].text)
    assert "Acorn Guest House" in replies[0]["text"]  # the confirmation, with what was said before the restart
    second.close()


def test_each_turn_is_one_append_of_the_whole_turn(domain, runner):
    class CountingStore(InMemoryTrackerStore):
        appends = 0

        def append(self, sender_id, events):
            CountingStore.appends += 1
            super().append(sender_id, events)

    assistant = make_assistant(domain, runner, CountingStore())
    for parse in HOTEL_SCRIPT:
        assistant.handle("dan", parse.text)
    assert CountingStore.appends == len(HOTEL_SCRIPT)
    # a cached state and a rebuilt one agree
    fresh = assistant.state("dan")
    cached = assistant._cache["dan"][1]
    assert [t.to_dict() for t in fresh.tasks] == [t.to_dict() for t in cached.tasks]


def test_restart_resets_the_conversation(domain, runner):
    assistant = make_assistant(domain, runner, InMemoryTrackerStore())
    assistant.handle("erin", HOTEL_SCRIPT[0].text)
    assert assistant.state("erin").tasks
    assert assistant.handle("erin", "/restart") == []
    state = assistant.state("erin")
    assert not state.tasks and state.turn == 0
    assert assistant.handle("erin", HOTEL_SCRIPT[0].text)[0]["text"]  # starts afresh


def test_button_payloads_skip_the_nlu(domain, runner):
    parse = parse_payload('/book_taxi{"taxi-destination": "station", "bogus": 1}', domain)
    assert parse.intent.name == "book_taxi" and parse.intent.confidence == 1.0
    assert [(e.entity, e.value) for e in parse.entities] == [("taxi-destination", "station")]
    assert parse_payload("/not_an_intent", domain) is None and parse_payload("book a taxi", domain) is None
    assistant = make_assistant(domain, runner, InMemoryTrackerStore())
    assistant.handle("fay", "/book_train")
    assert assistant.state("fay").focused_task.type == "train"


def test_assistant_never_raises_on_user_input(domain, runner):
    class BrokenParser:
        def parse(self, text):
            raise RuntimeError("model exploded")

    assistant = Assistant(BrokenParser(), domain, InMemoryTrackerStore(), runner, clock=Clock())
    for text in (None, "", "hi", "\ud800 lone surrogate", "x" * 20_000, b"bytes", 42, "/book_taxi{not json"):
        replies = assistant.handle("gus", text)
        assert isinstance(replies, list) and all(r["recipient_id"] == "gus" for r in replies)
    assert assistant.state("gus").turn == 8


def test_a_failing_turn_keeps_the_users_message(domain, runner):
    assistant = make_assistant(domain, runner, InMemoryTrackerStore())

    def explode(*args, **kwargs):
        raise RuntimeError("bug in a policy")

    assistant.dm.handle = explode
    assert assistant.handle("hal", "hello") == [{"recipient_id": "hal", "text": SORRY}]
    events = assistant.store.load("hal")
    assert [e["event"] for e in events] == ["user", "bot"] and events[0]["text"] == "hello"


def test_concurrent_messages_of_one_conversation_are_handled_in_order(domain, runner):
    assistant = make_assistant(domain, runner, InMemoryTrackerStore())
    texts = [f"message {i}" for i in range(8)]
    threads = [threading.Thread(target=assistant.handle, args=("ivy", t)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    users = [e["text"] for e in assistant.store.load("ivy") if e["event"] == "user"]
    assert sorted(users) == sorted(texts) and len(users) == 8
    assert assistant.state("ivy").turn == 8


# ===================================================================== fixes found by the scripted dialogues
# a bare answer goes to the waiting task that asked for it; "back to the X" is understood through its
# words even when the intent is unsure; an area named after another task is that task's area


def hotel_then_taxi(chat: Chat):
    """A hotel asking for its guests, interrupted by a taxi asking where from."""
    chat(said(f"book the {ACORN} for 2 nights from friday", "book_hotel", hotel_name=ACORN, hotel_bookstay=2,
              hotel_bookday="friday"))
    assert chat.responses() == ["utter_ask_hotel-bookpeople"]
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    assert chat.responses()[-1] == "utter_ask_taxi-departure"
    return chat.task("hotel"), chat.task("taxi")


def test_a_message_in_another_language_is_answered_in_english_and_the_question_stays(chat):
    hotel, taxi = hotel_then_taxi(chat)
    chat(said("¿dónde está el hotel?", "cancel_task", 0.6))  # the model's guess is not acted on
    assert chat.responses() == ["utter_english_only", "utter_ask_taxi-departure"]
    assert taxi.status == ACTIVE and hotel.status == SUSPENDED
    chat(said("from the Acorn Guest House", "inform", taxi_departure=ACORN))
    assert chat.task("taxi").slots["taxi-departure"] == ACORN


def test_a_correction_tagged_for_a_task_not_under_way_corrects_the_waiting_task_of_its_kind(chat):
    chat(said("a train to london on saturday for 2 people", "book_train", train_destination="london",
              train_day="saturday", train_bookpeople=2))
    train = chat.task("train")
    chat(said("I need a taxi to the station", "book_taxi", taxi_destination="station"))
    assert train.status == SUSPENDED
    # the model tags the number for a table: with no table under way, the train set for 2 is meant
    chat(said("actually make it 3 people", "inform", restaurant_bookpeople=3))
    assert chat.task("train").slots["train-bookpeople"] == 3
    assert chat.task("restaurant") is None and chat.focus == chat.task("taxi").id
    # one "I've changed the number of tickets to 3", not a "Got it, I've updated your train journey" too
    assert chat.responses() == ["utter_slot_corrected", "utter_ask_taxi-departure"]
    chat(said("4 people", "inform", restaurant_bookpeople=4))  # no correction word: not a change of the train
    assert chat.task("train").slots["train-bookpeople"] == 3


def test_a_correction_after_a_booking_of_another_kind_offers_to_change_it(chat):
    chat(said("a train from cambridge to london on saturday leaving after 9am for 2 people", "book_train",
              train_departure="cambridge", train_destination="london", train_day="saturday",
              train_leaveat="09:00", train_bookpeople=2))
    chat(said("yes", "affirm"))
    train = chat.task("train")
    assert train.status == COMPLETED
    chat(said("actually make it 3 people", "inform", restaurant_bookpeople=3))
    assert chat.responses() == ["utter_ask_change_booking"] and chat.task("restaurant") is None


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
    chat(said(f"book the {ACORN} for 2 nights from friday", "book_hotel", hotel_name=ACORN, hotel_bookstay=2,
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
    chat(said(f"book the {ACORN} for 2 people", "book_hotel", hotel_name=ACORN, hotel_bookpeople=2))
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
    from assistant.state import DialogueState
    from policies import slot_policy

    domain = load_domain(DOMAIN_FILE)
    checked = slot_policy.check({}, {"restaurant-area": "the hotel"}, domain, DialogueState("someone"))
    assert checked.invalid and not checked.values
