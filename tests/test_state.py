"""Events and the dialogue state: the agenda rebuilt from scripted event lists, and the tracker for rasa-sdk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import events as ev
from assistant.domain import load_domain
from assistant.state import DialogueState, Task
from nlu.types import IntentPrediction, Parse, ParsedEntity

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "domain.yml"


@pytest.fixture(scope="module")
def domain():
    return load_domain(DOMAIN_FILE)


def said(text: str, intent: str = "inform", **entities) -> dict:
    """A user event with a parse, as the NLU would give it."""
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }
    return ev.user(text, parse, input_channel="rest")


def fold(*events: dict) -> DialogueState:
    return DialogueState.from_events("alice", list(events))


# ----------------------------------------------------------------- events


def every_event() -> list[dict]:
    parse = Parse(
        "a table for 4",
        IntentPrediction("book_restaurant", 0.97),
        [IntentPrediction("book_restaurant", 0.97)],
        [ParsedEntity("restaurant-bookpeople", 4, 12, 13, 0.99, "joint", "4")],
    )
    return [
        ev.session_started(),
        ev.user("a table for 4", parse, input_channel="rest", metadata={"x": 1}),
        ev.action("action_listen", policy="task", confidence=1.0),
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 4}),
        ev.slot_set("restaurant-bookday", "friday", task_id="restaurant-1"),
        ev.slot_set("diet", "vegetarian"),
        ev.bot("Which time?", {"buttons": []}, metadata={"utter_action": "utter_ask_restaurant-booktime"}),
        ev.followup("action_book_restaurant"),
        ev.task_updated("restaurant-1", priority=30, goal="book"),
        ev.task_started("taxi-1", "taxi", 50, {}),
        ev.task_suspended("taxi-1", reason="user asked"),
        ev.task_resumed("taxi-1"),
        ev.task_confirmation_requested("taxi-1"),
        ev.task_completed("taxi-1", {"reference": "TX1"}),
        ev.task_cancelled("restaurant-1", reason="user"),
        ev.task_failed("restaurant-1", error="timeout"),
        ev.conflict_detected("time", ["restaurant-1", "taxi-1"], {"minutes": 15}),
        ev.conflict_resolved("time", "moved the taxi"),
        ev.reset_slots(),
        ev.active_loop(None),
        ev.pause(),
        ev.resume(),
        ev.restart(),
    ]


def test_every_event_is_a_plain_json_dict_with_event_and_timestamp():
    for event in every_event():
        assert isinstance(event["event"], str)
        assert isinstance(event["timestamp"], float)
        assert json.loads(json.dumps(event)) == event


def test_rasa_events_keep_rasa_sdk_shapes():
    from rasa_sdk import events as rasa

    assert set(ev.slot_set("a", 1, timestamp=1.0)) == set(rasa.SlotSet("a", 1, timestamp=1.0))
    assert ev.slot_set("a", 1, timestamp=1.0) == rasa.SlotSet("a", 1, timestamp=1.0)
    assert ev.followup("x", timestamp=1.0) == rasa.FollowupAction("x", timestamp=1.0)
    assert ev.restart(timestamp=1.0) == rasa.Restarted(timestamp=1.0)
    assert ev.session_started(timestamp=1.0) == rasa.SessionStarted(timestamp=1.0)
    assert ev.action("a", timestamp=1.0) == rasa.ActionExecuted("a", timestamp=1.0)
    assert set(rasa.UserUttered("hi", {}, timestamp=1.0)) <= set(ev.user("hi", {}, timestamp=1.0))
    assert set(rasa.BotUttered("hi", {}, timestamp=1.0)) <= set(ev.bot("hi", {}, timestamp=1.0))
    assert "task_id" in ev.slot_set("a", 1, task_id="t") and ev.slot_set("a", 1, task_id="t")["task_id"] == "t"


def test_user_event_takes_a_parse_object():
    parse = Parse("hi", IntentPrediction("greet", 0.9), [IntentPrediction("greet", 0.9)], [])
    event = ev.user("hi", parse)
    assert event["parse_data"]["intent"] == {"name": "greet", "confidence": 0.9}
    assert fold(event).latest_message["text"] == "hi"


def test_json_round_trip_rebuilds_the_same_state():
    events = every_event()[:-1]  # all but the restart
    direct = fold(*events)
    again = fold(*json.loads(json.dumps(events)))
    assert again == direct
    assert [t.to_dict() for t in again.tasks] == [t.to_dict() for t in direct.tasks]


# ----------------------------------------------------------------- the agenda


def test_interruption_suspends_then_resumes_with_slots_intact():
    s = fold(
        said("a table for 4 on friday", "book_restaurant"),
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 4, "restaurant-bookday": "friday"}),
        ev.slot_set("requested_slot", "restaurant-booktime", task_id="restaurant-1"),
        said("actually I need a taxi first", "book_taxi"),
        ev.task_suspended("restaurant-1", reason="interrupted"),
        ev.task_started("taxi-1", "taxi", 50, {}),
    )
    restaurant, taxi = s.task("restaurant-1"), s.task("taxi-1")
    assert s.focus == "taxi-1" and s.focused_task is taxi and taxi.status == "active"
    assert restaurant.status == "suspended" and restaurant.slots == {"restaurant-bookpeople": 4, "restaurant-bookday": "friday"}
    assert restaurant.requested_slot == "restaurant-booktime"
    assert (restaurant.created_turn, taxi.created_turn, s.turn) == (1, 2, 2)
    s.apply(ev.task_completed("taxi-1"))
    assert s.focus is None and taxi.status == "completed"
    assert [t.id for t in s.suspended_tasks()] == ["restaurant-1"]
    s.apply(ev.task_resumed("restaurant-1"))
    assert s.focused_task is restaurant and restaurant.status == "active"
    assert restaurant.slots["restaurant-bookpeople"] == 4 and restaurant.requested_slot == "restaurant-booktime"
    assert [t.id for t in s.open_tasks()] == ["restaurant-1"]


def test_starting_a_task_in_focus_suspends_the_focused_one():
    s = fold(ev.task_started("hotel-1", "hotel", 30), ev.task_started("taxi-1", "taxi", 50))
    assert s.task("hotel-1").status == "suspended" and s.focus == "taxi-1"
    # exactly one task is worked on at a time
    assert [t.status for t in s.tasks].count("active") == 1


def test_lower_priority_request_is_queued_without_taking_focus():
    s = fold(
        ev.task_started("taxi-1", "taxi", 50),
        said("and show me a museum", "find_attraction"),
        ev.task_started("attraction-1", "attraction", 10, {"attraction-type": "museum"}, goal="find", focus=False),
    )
    assert s.focus == "taxi-1" and s.task("taxi-1").status == "active"
    queued = s.task("attraction-1")
    assert queued.status == "suspended" and queued.goal == "find" and queued.slots == {"attraction-type": "museum"}


def test_suspended_tasks_are_ordered_by_priority_then_recency():
    s = fold(
        ev.task_started("restaurant-1", "restaurant", 20),
        said("x"),
        ev.task_started("attraction-1", "attraction", 10),
        said("x"),
        ev.task_started("restaurant-2", "restaurant", 20),
        said("x"),
        ev.task_started("hotel-1", "hotel", 30),
        said("x"),
        ev.task_started("taxi-1", "taxi", 50),
    )
    assert [t.id for t in s.suspended_tasks()] == ["hotel-1", "restaurant-2", "restaurant-1", "attraction-1"]
    # touching a task makes it the more recent of equal priorities
    s.apply(said("y"))
    s.apply(ev.slot_set("restaurant-bookpeople", 2, task_id="restaurant-1"))
    assert [t.id for t in s.suspended_tasks()][:3] == ["hotel-1", "restaurant-1", "restaurant-2"]
    # an urgency cue raises the priority
    s.apply(ev.task_updated("attraction-1", priority=99))
    assert s.suspended_tasks()[0].id == "attraction-1" and s.task("attraction-1").priority == 99


def test_cancelling_one_task_keeps_the_others():
    s = fold(
        ev.task_started("hotel-1", "hotel", 30, {"hotel-bookstay": 2}),
        ev.task_started("taxi-1", "taxi", 50, {"taxi-destination": "station"}),
        ev.task_cancelled("taxi-1", reason="user"),
    )
    assert s.task("taxi-1").status == "cancelled" and s.focus is None
    assert [t.id for t in s.open_tasks()] == ["hotel-1"] and s.task("hotel-1").slots == {"hotel-bookstay": 2}
    assert s.task_of_type("taxi") is None and s.task_of_type("taxi", open_only=False).id == "taxi-1"
    assert s.task_of_type("hotel").id == "hotel-1"


def test_confirmation_failure_and_recovery():
    s = fold(ev.task_started("taxi-1", "taxi", 50), ev.task_confirmation_requested("taxi-1"))
    assert s.task("taxi-1").status == "awaiting_confirmation" and s.focus == "taxi-1"
    s.apply(ev.task_failed("taxi-1", error="action server timed out"))
    assert s.task("taxi-1").status == "failed" and s.focus is None and not s.task("taxi-1").is_open
    s.apply(ev.task_resumed("taxi-1"))  # a failed task stays recoverable
    assert s.task("taxi-1").status == "active" and s.focus == "taxi-1"


def test_a_correction_overwrites_the_slot():
    s = fold(
        said("table for 2", "book_restaurant"),
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 2}),
        said("a"),
        said("b"),
        said("actually 4 people"),
        ev.slot_set("restaurant-bookpeople", 4, task_id="restaurant-1"),
    )
    task = s.task("restaurant-1")
    assert task.slots["restaurant-bookpeople"] == 4 and task.updated_turn == 4 and s.turns_idle(task) == 0
    s.apply(ev.slot_set("restaurant-bookpeople", None, task_id="restaurant-1"))
    assert "restaurant-bookpeople" not in task.slots


def test_slots_without_a_task_are_global_and_requested_slot_follows_the_focus():
    s = fold(ev.task_started("hotel-1", "hotel", 30), ev.slot_set("diet", "vegan"), ev.slot_set("requested_slot", "hotel-bookday"))
    assert s.slots == {"diet": "vegan"} and s.task("hotel-1").slots == {}
    assert s.task("hotel-1").requested_slot == "hotel-bookday"
    s.apply(ev.reset_slots())
    assert s.slots == {} and s.task("hotel-1").requested_slot is None


def test_restart_clears_everything():
    s = fold(
        said("hi", "greet"),
        ev.task_started("hotel-1", "hotel", 30, {"hotel-bookstay": 2}),
        ev.slot_set("diet", "vegan"),
        ev.followup("action_x"),
        ev.conflict_detected("duplicate", ["hotel-1"]),
        ev.restart(timestamp=123.0),
    )
    assert s.tasks == [] and s.focus is None and s.slots == {} and s.turn == 0
    assert s.latest_message is None and s.followup_action is None and s.conflicts == []
    assert [e["event"] for e in s.events] == ["restart"] and s.latest_event_time == 123.0
    assert s.next_task_id("hotel") == "hotel-1"
    s.apply(said("hello again", "greet"))
    assert fold(*s.events) == s  # the events since the restart rebuild the state


def test_unknown_and_malformed_events_change_nothing():
    s = fold(ev.task_started("taxi-1", "taxi", 50))
    before = [t.to_dict() for t in s.tasks], s.focus, dict(s.slots)
    for event in (
        {"event": "something_new", "timestamp": 1.0, "x": 1},
        {"event": "agent", "timestamp": 1.0},
        ev.task_completed("no-such-task"),
        ev.task_started("taxi-1", "taxi", 1),  # ids are unique
        {"event": "task_updated", "timestamp": 1.0, "task_id": "taxi-1", "priority": "high"},
        {"event": "task_started", "timestamp": 1.0},
    ):
        s.apply(event)
    assert ([t.to_dict() for t in s.tasks], s.focus, dict(s.slots)) == before
    assert len(s.events) == 7


def test_followups_pauses_and_latest_action():
    s = fold(ev.followup("action_book_taxi"), ev.pause())
    assert s.followup_action == "action_book_taxi" and s.paused
    s.apply(ev.action("action_book_taxi"))
    s.apply(ev.resume())
    assert s.followup_action is None and s.latest_action_name == "action_book_taxi" and not s.paused


def test_conflicts_open_and_resolved():
    s = fold(
        ev.task_started("restaurant-1", "restaurant", 20),
        ev.task_started("train-1", "train", 40),
        ev.conflict_detected("time", ["restaurant-1", "train-1"], {"restaurant": "19:00", "train": "18:45"}),
        ev.conflict_detected("stale", ["restaurant-1"]),
    )
    assert [c.kind for c in s.open_conflicts()] == ["time", "stale"]
    s.apply(ev.conflict_resolved("time", "moved the table to 20:30"))
    assert [c.kind for c in s.open_conflicts()] == ["stale"]
    assert s.conflicts[0].resolution == "moved the table to 20:30" and s.conflicts[0].detail["train"] == "18:45"
    s.apply(ev.conflict_resolved("stale", "kept", task_ids=["other"]))  # not that one
    assert len(s.open_conflicts()) == 1


def test_next_task_id_is_deterministic_and_unique():
    s = fold(ev.task_started("restaurant-1", "restaurant", 20), ev.task_started("restaurant-3", "restaurant", 20))
    assert s.next_task_id("restaurant") == "restaurant-4" and s.next_task_id("taxi") == "taxi-1"


def test_task_record_matches_the_design():
    task = Task("hotel-1", "hotel")
    assert set(task.to_dict()) >= {
        "id", "type", "slots", "status", "priority", "requested_slot", "created_turn", "updated_turn",
    }  # fmt: skip


# ----------------------------------------------------------------- tracker for rasa-sdk


def test_to_tracker_json_shape(domain):
    s = fold(
        said("table for 4 on friday", "book_restaurant", **{"restaurant-bookpeople": 4}),
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 4, "restaurant-bookday": "friday"}),
        ev.slot_set("requested_slot", "restaurant-booktime", task_id="restaurant-1"),
        ev.task_started("taxi-1", "taxi", 50, {"taxi-destination": "station"}),
        ev.slot_set("diet", "vegetarian"),
        ev.action("action_listen"),
    )
    tracker = json.loads(json.dumps(s.to_tracker_json(domain)))
    assert set(tracker) >= {
        "sender_id", "slots", "latest_message", "latest_event_time", "followup_action", "paused", "events",
        "latest_input_channel", "active_loop", "latest_action_name",
    }  # fmt: skip
    assert tracker["sender_id"] == "alice" and len(tracker["events"]) == 6
    assert set(tracker["slots"]) == set(domain.slots) | {"requested_slot"}
    # the view of the task in focus (the taxi), with the global slots
    assert tracker["slots"]["taxi-destination"] == "station" and tracker["slots"]["diet"] == "vegetarian"
    assert tracker["slots"]["restaurant-bookpeople"] is None
    assert tracker["active_loop"] == {"name": "taxi_form"} and tracker["latest_action_name"] == "action_listen"
    assert tracker["latest_message"]["intent"]["name"] == "book_restaurant" and tracker["latest_input_channel"] == "rest"
    # the view of another task, as the action booking it would see
    other = s.to_tracker_json(domain, task_id="restaurant-1")
    assert other["slots"]["restaurant-bookpeople"] == 4 and other["slots"]["requested_slot"] == "restaurant-booktime"
    assert other["slots"]["taxi-destination"] is None and other["active_loop"] == {"name": "restaurant_form"}


def test_rasa_sdk_reads_our_tracker(domain):
    from rasa_sdk.interfaces import Tracker

    s = fold(
        said("table for 4", "book_restaurant", **{"restaurant-bookpeople": 4}),
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 4}),
    )
    tracker = Tracker.from_dict(s.to_tracker_json(domain))
    assert tracker.get_slot("restaurant-bookpeople") == 4
    assert list(tracker.get_latest_entity_values("restaurant-bookpeople")) == [4]
    assert tracker.active_loop_name == "restaurant_form"
    empty = Tracker.from_dict(fold().to_tracker_json(domain))
    assert empty.latest_message["entities"] == [] and empty.active_loop_name is None
