"""The default assistant's train timetable look-ups (data/actions/timetable.py) on the real timetable."""

from __future__ import annotations

import pytest

from data.actions.timetable import Timetable, Train, default_timetable, weekday_of


def train(train_id, leaveat, arriveby, day="friday", departure="cambridge", destination="london kings cross"):
    return Train(train_id, day, departure, destination, leaveat, arriveby, 50, 20.0)


@pytest.fixture(scope="module")
def tiny():
    return Timetable([train("A", "07:00", "07:51"), train("B", "08:00", "08:51"), train("C", "09:00", "09:51"),
                      train("L", "08:30", "09:52", destination="london liverpool street"),
                      train("S", "10:00", "10:51", day="saturday")])


def test_a_time_to_leave_gets_the_first_train_at_or_after_it(tiny):
    assert tiny.choose("cambridge", "london kings cross", "friday", leave_at="08:00").train.train_id == "B"
    assert tiny.choose("cambridge", "london kings cross", "friday", leave_at="08:01").train.train_id == "C"


def test_a_time_to_arrive_gets_the_last_train_arriving_by_it(tiny):
    assert tiny.choose("cambridge", "london kings cross", "friday", arrive_by="09:00").train.train_id == "B"
    both = tiny.choose("cambridge", "london kings cross", "friday", leave_at="07:30", arrive_by="10:00")
    assert both.train.train_id == "B"  # the first that leaves after 07:30 and is there in time


def test_a_town_with_several_stations_means_any_of_them(tiny):
    assert tiny.matching("London") == ["london kings cross", "london liverpool street"]
    assert tiny.matching("the cambridge station") == ["cambridge"]
    assert tiny.choose("cambridge", "london", "friday", leave_at="08:10").train.train_id == "L"


def test_each_reason_for_no_train_names_the_slot_to_ask_again(tiny):
    late = tiny.choose("cambridge", "london kings cross", "friday", leave_at="22:00")
    assert (late.train, late.problem) == (None, "train-leaveat") and "leaves at 09:00" in late.message
    early = tiny.choose("cambridge", "london kings cross", "friday", arrive_by="07:00")
    assert early.problem == "train-arriveby" and "the first arrives at 07:51" in early.message
    squeezed = tiny.choose("cambridge", "london kings cross", "friday", leave_at="08:30", arrive_by="09:00")
    assert squeezed.problem == "train-arriveby"
    assert tiny.choose("cambridge", "london kings cross", "sunday", leave_at="08:00").problem == "train-day"
    assert tiny.choose("oxford", "cambridge", "friday", leave_at="08:00").problem == "train-departure"
    assert tiny.choose("cambridge", "oxford", "friday", leave_at="08:00").problem == "train-destination"
    reverse = tiny.choose("london kings cross", "cambridge", "friday", leave_at="08:00")
    assert reverse.problem == "train-destination" and "no direct train" in reverse.message


def test_the_default_timetable_serves_dates_and_every_line():
    table = default_timetable()
    assert weekday_of("2025-05-04") == "sunday" and weekday_of("friday") == "friday"
    sunday = table.choose("cambridge", "ely", "2025-05-04", arrive_by="10:15").train
    assert sunday.day == "sunday" and sunday.arriveby <= "10:15"
    for station in table.stations:
        if station != "cambridge":
            assert table.choose("cambridge", station, "monday", leave_at="06:00").train is not None
            assert table.choose(station, "cambridge", "monday", leave_at="06:00").train is not None
