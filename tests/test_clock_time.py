"""Bare hours read as people mean them: a table at 7 is 19:00, a taxi at 8 the next 8 o'clock."""

import random
import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import Clock, ScriptedParser, said  # noqa: E402

from assistant.actions.executor import InProcessActionRunner  # noqa: E402
from assistant.agent import Assistant  # noqa: E402
from assistant.domain import load_domain, parse_domain  # noqa: E402
from assistant.stores import InMemoryTrackerStore  # noqa: E402
from policies.clock_time import bare_hour, from_now, is_today, minutes_from_now, read_hour  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("words,hour", [("7", 7), ("at 7", 7), ("seven", 7), ("Seven o'clock", 7), ("at 12", 12),
                                        ("7:30", 7), ("around 8.15", 8), ("half past 7", 7), ("half seven", 7),
                                        ("after quarter past 5", 5), ("a quarter to 8", 7), ("quarter to one", 12)])
def test_a_bare_hour_is_one_that_says_neither_morning_nor_evening(words, hour):
    assert bare_hour(words) == hour


@pytest.mark.parametrize("words", ["7am", "7 pm", "19:00", "7 in the morning", "0", "13", "7 people", "", "tonight",
                                   "half past", "half past 7 in the morning"])
def test_anything_more_is_no_bare_hour(words):
    assert bare_hour(words) is None


@pytest.mark.parametrize("value,words,now,expected", [
    ("07:00", "7", "03:00", "07:00"),    # early: this morning's 7 is still ahead
    ("07:00", "7", "15:00", "19:00"),    # in the afternoon: this evening's
    ("07:00", "7", "21:30", "07:00"),    # both gone by: tomorrow morning's
    ("08:15", "8.15", "09:00", "20:15"),
    ("05:15", "after quarter past 5", "10:00", "17:15"),
    ("12:00", "at 12", "13:00", "12:00"),  # 12 is noon
    ("07:00", "7am", "15:00", "07:00"),  # said outright: as said
    ("19:00", "7", "03:00", "19:00"),    # the NLU already read the evening in it
])
def test_next_is_the_next_such_hour_from_now(value, words, now, expected):
    hours, minutes = map(int, now.split(":"))
    assert read_hour(value, words, "next", hours * 60 + minutes) == expected


@pytest.mark.parametrize("value,words,expected", [("08:00", "8", "08:00"), ("11:30", "11:30", "11:30"), ("12:00", "12", "12:00"),
                                                  ("03:00", "3", "15:00"), ("06:45", "a quarter to 7", "18:45"),
                                                  ("07:00", "7am", "07:00"), ("06:00", "6 in the morning", "06:00")])
def test_next_on_another_day_is_the_hours_people_travel(value, words, expected):
    assert read_hour(value, words, "next", None) == expected


def test_today_is_the_weekday_or_the_date_of_now():
    friday = datetime(2025, 5, 2, 15, 0).timestamp()
    assert is_today("friday", friday) and is_today("Friday", friday) and is_today("2025-05-02", friday)
    assert not is_today("monday", friday) and not is_today("2025-05-09", friday)


@pytest.mark.parametrize("value,words,expected", [("07:00", "7", "19:00"), ("07:30", "7:30", "19:30"),
                                                  ("10:00", "ten", "22:00"), ("11:00", "11", "11:00"),
                                                  ("12:00", "12", "12:00"), ("08:00", "8 in the morning", "08:00"),
                                                  ("07:45", "a quarter to 8", "19:45")])
def test_a_meal_is_in_the_evening(value, words, expected):
    assert read_hour(value, words, "evening", 0) == expected
    assert read_hour(value, words, None, 0) == value  # a slot without a rule keeps what the NLU read


def test_the_domain_checks_the_rule():
    text = (DATA / "domain.yml").read_text().replace("hours: evening", "hours: lunchtime", 1)
    with pytest.raises(Exception, match="hours must be one of evening, next"):
        parse_domain(text, "domain.yml")


def at(hour: int) -> Clock:
    return Clock(datetime(2025, 5, 2, hour, 0).timestamp())


@pytest.fixture(scope="module")
def runner():
    with InProcessActionRunner("data.actions", timeout=10.0) as actions:
        yield actions


@pytest.mark.parametrize("now,expected", [(6, "08:00"), (15, "20:00")])
def test_a_taxi_at_8_is_the_next_8_oclock(runner, now, expected):
    parser = ScriptedParser(said("I need a taxi from the station to the museum at 8", "book_taxi",
                                 taxi_departure="station", taxi_destination="museum", taxi_leaveat=("08:00", "8")))
    assistant = Assistant(parser, load_domain(DATA / "domain.yml"), InMemoryTrackerStore(), runner,
                          rng=random.Random(1), clock=at(now))
    reply = assistant.handle("kim", "I need a taxi from the station to the museum at 8")[0]["text"]
    assert f"leaving at {expected}" in reply
    assert assistant.state("kim").focused_task.slots["taxi-leaveat"] == expected


@pytest.mark.parametrize("answer,slots", [
    (said("7", "inform", restaurant_bookpeople=7), {"restaurant-bookpeople": 2, "restaurant-booktime": "19:00"}),
    (said("at seven", "inform", restaurant_bookpeople=(7, "seven")),
     {"restaurant-bookpeople": 2, "restaurant-booktime": "19:00"}),
    # more words than a number: a count of people, as the NLU read it
    (said("4 people", "inform", restaurant_bookpeople=(4, "4")), {"restaurant-bookpeople": 4, "restaurant-booktime": None}),
])
def test_a_bare_number_answering_the_time_question_is_the_time(runner, answer, slots):
    book = said("a table at Saffron Lantern for 2 on friday", "book_restaurant", restaurant_name="Saffron Lantern",
                restaurant_bookpeople=2, restaurant_bookday="friday")
    assistant = Assistant(ScriptedParser(book, answer), load_domain(DATA / "domain.yml"), InMemoryTrackerStore(),
                          runner, rng=random.Random(1), clock=at(12))
    assistant.handle("lou", book.text)
    assert assistant.state("lou").focused_task.requested_slot == "restaurant-booktime"
    assistant.handle("lou", answer.text)
    task = assistant.state("lou").focused_task
    assert {slot: task.slots.get(slot) for slot in slots} == slots


@pytest.mark.parametrize("day,expected", [("friday", "20:00"), ("monday", "08:00")])
def test_a_train_at_8_on_another_day_is_the_morning_train(runner, day, expected):
    text = f"a train from cambridge to london on {day} at 8"
    parser = ScriptedParser(said(text, "book_train", train_departure="cambridge", train_destination="london",
                                 train_day=day, train_leaveat=("08:00", "8")))
    assistant = Assistant(parser, load_domain(DATA / "domain.yml"), InMemoryTrackerStore(), runner,
                          rng=random.Random(1), clock=at(15))  # a Friday afternoon
    assistant.handle("max", text)
    assert assistant.state("max").focused_task.slots["train-leaveat"] == expected


@pytest.mark.parametrize("words,answering,minutes", [
    ("asap", False, 10), ("as soon as possible please", False, 10), ("right away", False, 10),
    ("I need a taxi now", False, 10), ("can I get a cab now please", False, 10),
    ("in 20 minutes", False, 20), ("in ten mins", False, 10), ("in half an hour", False, 30),
    ("in an hour", False, 60), ("in 2 hours", False, 120), ("in a few minutes", False, 10),
    ("now", True, 10), ("right now please", True, 10),
    # "now" that is no time: a way of speaking, not the last word of the request
    ("ok now the hotel", False, None), ("now I need a taxi", False, None), ("in the north", False, None),
    ("at 5pm", False, None), ("", False, None)])
def test_a_time_counted_from_now(words, answering, minutes):
    found = minutes_from_now(words, answering)
    assert (found.minutes if found else None) == minutes
    if found:
        assert words[found.start:found.end].strip()  # where it was said, for the entity


def test_a_time_from_now_is_rounded_up_to_five_minutes_and_wraps_past_midnight():
    assert [from_now(21 * 60 + 42, 10), from_now(21 * 60 + 45, 10), from_now(23 * 60 + 58, 10)] == [
        "21:55", "21:55", "00:10"]


@pytest.mark.parametrize("messages,slots", [
    # "asap" answering "what time?"
    ([said("a taxi from the station to the museum", "book_taxi", taxi_departure="station",
           taxi_destination="museum"), said("asap", "inform", 0.4)], {"taxi-leaveat": "15:10"}),
    # in the request itself; the tagger's "20:00" read from "in 20 minutes" is dropped
    ([said("a taxi from the station to the museum in 20 minutes", "book_taxi", taxi_departure="station",
           taxi_destination="museum", taxi_arriveby=("20:00", "20"))], {"taxi-leaveat": "15:20", "taxi-arriveby": None}),
    # a train asked for now travels today (a Friday)
    ([said("a train from cambridge to london as soon as possible", "book_train", train_departure="cambridge",
           train_destination="london")], {"train-leaveat": "15:10", "train-day": "friday"}),
    # a clock time said outright, or a train on another day: no time from now
    ([said("a taxi from the station to the museum at 5pm, asap", "book_taxi", taxi_departure="station",
           taxi_destination="museum", taxi_leaveat=("17:00", "5pm"))], {"taxi-leaveat": "17:00"}),
    ([said("a train from cambridge to london on monday as soon as possible", "book_train",
           train_departure="cambridge", train_destination="london", train_day="monday")],
     {"train-leaveat": None, "train-day": "monday"}),
])
def test_asap_and_in_20_minutes_fill_the_pick_up_time(runner, messages, slots):
    assistant = Assistant(ScriptedParser(*messages), load_domain(DATA / "domain.yml"), InMemoryTrackerStore(),
                          runner, rng=random.Random(1), clock=at(15))  # a Friday at 15:00
    for message in messages:
        assistant.handle("ned", message.text)
    task = assistant.state("ned").tasks[-1]
    assert {slot: task.slots.get(slot) for slot in slots} == slots
