"""rasa-sdk actions run in this process and on a real `python -m rasa_sdk` server, with the same results."""

from __future__ import annotations

import asyncio
import copy
import http.server
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from action_server import TESTS, action_servers, free_port  # noqa: E402

from assistant.actions import (
    ActionError,
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    InProcessActionRunner,
    RemoteActionRunner,
    make_action_runner,
)
from assistant.nlg import BotMessage
from data.actions.concierge import TAXI_COLOURS, TAXI_MAKES

TIMEOUT_S = 0.5

SLOTS = [
    "restaurant-name", "restaurant-bookpeople", "restaurant-bookday", "restaurant-booktime",
    "hotel-name", "hotel-bookday", "hotel-bookstay", "hotel-bookpeople",
    "taxi-departure", "taxi-destination", "taxi-leaveat", "taxi-arriveby",
    "train-departure", "train-destination", "train-day", "train-leaveat", "train-arriveby", "train-bookpeople",
    "attraction-type", "attraction-area", "attraction-name",
    "restaurant-ref", "hotel-ref", "taxi-ref", "taxi-type", "taxi-phone", "train-ref", "attraction-ref",
    "requested_slot", "delay",
]
RESTAURANT_FORM = ["restaurant-name", "restaurant-bookpeople", "restaurant-bookday", "restaurant-booktime"]

DOMAIN = {
    "version": "3.1",
    "intents": ["book_restaurant", "book_hotel", "book_taxi", "book_train", "find_attraction", "inform"],
    "entities": [slot for slot in SLOTS if not slot.endswith("-ref")],
    "slots": {slot: {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
              for slot in SLOTS},
    "responses": {"utter_greet": [{"text": "Hello!"}]},
    "actions": ["action_book_restaurant", "action_book_hotel", "action_book_taxi", "action_book_train",
                "action_find_attraction", "validate_restaurant_form"],
    "forms": {"restaurant_form": {"required_slots": RESTAURANT_FORM}},
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    "config": {"store_entities_as_slots": True},
}


def make_tracker(sender_id: str = "alice", slots: dict | None = None, text: str = "book it",
                 intent: str = "inform", events: list | None = None, active_loop: str | None = None) -> dict:
    """A tracker in the shape of protocols.md: every domain slot, the latest message, the events."""
    t0 = 1_700_000_000.0
    slot_values = {slot: None for slot in SLOTS} | (slots or {})
    history = [
        {"event": "action", "timestamp": t0, "name": "action_session_start"},
        {"event": "session_started", "timestamp": t0},
        {"event": "action", "timestamp": t0, "name": "action_listen"},
        {"event": "user", "timestamp": t0 + 1, "text": text,
         "parse_data": {"intent": {"name": intent, "confidence": 0.93}, "entities": []}},
        *[{"event": "slot", "timestamp": t0 + 1, "name": k, "value": v} for k, v in (slots or {}).items()],
    ]
    return {
        "sender_id": sender_id,
        "slots": slot_values,
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.93},
            "intent_ranking": [{"name": intent, "confidence": 0.93}, {"name": "greet", "confidence": 0.04}],
            "entities": [],
        },
        "latest_event_time": t0 + 1,
        "followup_action": None,
        "paused": False,
        "events": history if events is None else events,
        "latest_input_channel": "rest",
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }


BOOKINGS = {
    "action_book_restaurant": {"restaurant-name": "Curry Garden", "restaurant-bookpeople": "4",
                               "restaurant-bookday": "friday", "restaurant-booktime": "19:30"},
    "action_book_hotel": {"hotel-name": "Acorn Guest House", "hotel-bookday": "saturday", "hotel-bookstay": "2",
                          "hotel-bookpeople": 1.0},
    "action_book_taxi": {"taxi-departure": "Curry Garden", "taxi-destination": "Acorn Guest House",
                         "taxi-leaveat": "9pm"},
    "action_book_train": {"train-departure": "cambridge", "train-destination": "ely", "train-day": "2025-05-04",
                          "train-arriveby": "10:15", "train-bookpeople": "3"},
    "action_find_attraction": {"attraction-type": "museum", "attraction-area": "centre"},
}


# --- the servers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Both servers of this module, started together: the default actions and the misbehaving ones."""
    with action_servers(tmp_path_factory.mktemp("action_servers"), pythonpath=[TESTS],
                        default="data.actions", test="actions_for_tests") as started:
        yield started


@pytest.fixture(scope="module")
def remote(servers):
    with RemoteActionRunner(servers["default"].url, timeout=10.0) as runner:
        yield runner


@pytest.fixture(scope="module")
def remote_test_actions(servers):
    with RemoteActionRunner(servers["test"].url, timeout=TIMEOUT_S) as runner:
        yield runner


@pytest.fixture(scope="module")
def local():
    with InProcessActionRunner("data.actions", timeout=10.0) as runner:
        yield runner


@pytest.fixture(scope="module")
def local_test_actions():
    with InProcessActionRunner("actions_for_tests", timeout=TIMEOUT_S) as runner:
        yield runner


def same_error(run_local, run_remote) -> tuple[ActionError, ActionError]:
    """Both calls fail with the same error type, reason and detail; returns both errors."""
    with pytest.raises(ActionError) as local_error:
        run_local()
    with pytest.raises(ActionError) as remote_error:
        run_remote()
    a, b = local_error.value, remote_error.value
    assert (type(a), a.action_name, a.reason, a.detail, a.user_message) == \
           (type(b), b.action_name, b.reason, b.detail, b.user_message)
    return a, b


def assert_user_safe(error: ActionError) -> None:
    assert error.user_message.startswith("Sorry")
    for internal in ("Traceback", "action_", "Error", "http", "webhook", error.detail):
        assert internal not in error.user_message


# --- the server itself ------------------------------------------------------------------------


def test_the_server_lists_the_default_actions(servers, local):
    listed = httpx.get(f"{servers['default'].url}/actions").json()
    assert sorted(item["name"] for item in listed) == local.action_names() == [
        "action_book_hotel", "action_book_restaurant", "action_book_taxi", "action_book_train",
        "action_cancel_booking", "action_find_attraction", "validate_restaurant_form",
    ]


def test_in_process_runner_keeps_only_its_modules_actions(local, local_test_actions):
    # rasa-sdk would register every Action subclass imported in the process.
    assert "action_always_fails" not in local.action_names()
    assert local_test_actions.action_names() == ["action_always_fails", "action_async_echo", "action_slow"]


# --- identical results --------------------------------------------------------------------------


@pytest.mark.parametrize("action_name", sorted(BOOKINGS))
def test_each_default_action_gives_identical_results_in_process_and_remote(action_name, local, remote):
    tracker = make_tracker(slots=BOOKINGS[action_name])
    in_process = local.run(action_name, tracker, DOMAIN)
    on_server = remote.run(action_name, tracker, DOMAIN)
    assert in_process == on_server
    assert isinstance(in_process, ActionResult)

    task = action_name.rsplit("_", 1)[-1]
    event, *details = in_process.events
    assert event == {"event": "slot", "timestamp": None, "name": f"{task}-ref", "value": event["value"]}
    # a train booking also sets what the user may ask about it afterwards
    expected = {"train": ["train-trainid", "train-price", "train-duration", "train-leaves", "train-arrives"],
                "taxi": ["taxi-type", "taxi-phone"]}.get(task, [])  # a taxi: the car that comes and its number
    assert [d["name"] for d in details] == expected and all(d["value"] for d in details)
    assert len(event["value"]) == 8 and event["value"].isalnum()
    [message] = in_process.responses
    assert message["text"].endswith(f"Reference: {event['value']}.")


def test_confirmations_say_what_was_booked(local):
    texts = {name: local.run(name, make_tracker(slots=slots), DOMAIN).responses[0]["text"]
             for name, slots in BOOKINGS.items()}
    assert texts["action_book_restaurant"].startswith(
        "Your table at Curry Garden for 4 people on Friday at 19:30 is booked.")
    assert texts["action_book_hotel"].startswith(
        "You're booked at Acorn Guest House: 2 nights from Saturday for 1 guest.")
    assert "leaving at 21:00" in texts["action_book_taxi"]
    # the car and the driver's number, as MultiWOZ's taxi bookings give them (the same for the same booking)
    taxi = local.run("action_book_taxi", make_tracker(slots=BOOKINGS["action_book_taxi"]), DOMAIN)
    car, phone = (e["value"] for e in taxi.events[1:])
    assert car.split()[0] in TAXI_COLOURS and car.split()[1] in TAXI_MAKES
    assert len(phone) == 11 and phone.startswith("07") and phone.isdigit()
    assert f"is booked: a{'n' if car[0] in 'aeiou' else ''} {car}, contact number {phone[:5]} {phone[5:]}." \
        in texts["action_book_taxi"]
    station = BOOKINGS["action_book_taxi"] | {"taxi-departure": "train station"}
    text = local.run("action_book_taxi", make_tracker(slots=station), DOMAIN).responses[0]["text"]
    assert text.startswith("A taxi from the train station to Acorn Guest House")  # a place by what it is
    # the train of the timetable (data/catalogue/trains.jsonl): the last one arriving by 10:15 that Sunday
    assert texts["action_book_train"].startswith(
        "3 tickets booked on TR3009, leaving Cambridge at 07:31 and arriving at Ely at 07:47 on Sunday 4 May: "
        "£12.00 in all.")
    assert texts["action_find_attraction"].startswith("I've noted your search for museum in the centre.")
    # a chosen sight: where it is and what entry costs, from the catalogue (the name as the user says it)
    for name, says in (("Ashcombe Museum", "Ashcombe Museum is at 1 Ashcombe Place, in the centre, and entry is "
                        "free. Enjoy your visit!"),
                       ("the hollowmere clock museum", "Hollowmere Clock Museum is at 22 Abbey Street, in the "
                        "centre, and entry costs £4.00. Enjoy your visit!")):
        chosen = make_tracker(slots={"attraction-name": name})
        assert local.run("action_find_attraction", chosen, DOMAIN).responses[0]["text"] == says


def test_no_train_that_fits_books_nothing_and_unsets_what_cannot_be_met(local, remote):
    too_early = BOOKINGS["action_book_train"] | {"train-destination": "london", "train-day": "friday",
                                                 "train-arriveby": "05:00"}
    nowhere = BOOKINGS["action_book_train"] | {"train-destination": "oxford"}
    for slots, unset, says in ((too_early, "train-arriveby", "the first arrives at"),
                               (nowhere, "train-destination", "I have no trains to Oxford")):
        tracker = make_tracker(slots=slots)
        result = local.run("action_book_train", tracker, DOMAIN)
        assert result == remote.run("action_book_train", tracker, DOMAIN)
        assert [(e["name"], e["value"]) for e in result.events] == [(unset, None)]
        [message] = result.responses
        assert says in message["text"] and "Reference" not in message["text"]


def test_an_action_message_without_custom_json_goes_out_without_it(local, remote):
    tracker = make_tracker(slots=BOOKINGS["action_book_taxi"])
    for runner in (local, remote):
        [raw] = runner.run("action_book_taxi", tracker, DOMAIN).responses
        assert raw["custom"] == {}  # what rasa-sdk sends for "none"
        assert set(BotMessage.from_rasa(raw).to_rasa("u")) == {"recipient_id", "text"}
    assert BotMessage.from_rasa({"text": "x", "custom": {"map": [1]}}).custom == {"map": [1]}
    assert BotMessage.from_rasa({"text": "x", "json_message": {"a": 1}}).custom == {"a": 1}


def test_a_booking_is_cancelled_by_its_reference_on_both_paths(local, remote):
    tracker = make_tracker(slots=BOOKINGS["action_book_taxi"] | {"taxi-ref": "BKIL7S66"})
    in_process = local.run("action_cancel_booking", tracker, DOMAIN)
    assert in_process == remote.run("action_cancel_booking", tracker, DOMAIN)
    assert in_process.events == [{"event": "slot", "timestamp": None, "name": "taxi-ref", "value": None}]
    assert in_process.responses[0]["text"] == "Your taxi booking BKIL7S66 is cancelled."
    # without a reference there is nothing to cancel: rejected, never a guess
    error, _ = same_error(lambda: local.run("action_cancel_booking", make_tracker(slots={}), DOMAIN),
                          lambda: remote.run("action_cancel_booking", make_tracker(slots={}), DOMAIN))
    assert isinstance(error, ActionRejected)


def test_booking_references_are_reproducible_and_per_sender_and_details(local):
    slots = BOOKINGS["action_book_restaurant"]

    def ref(sender_id="alice", **changes):
        tracker = make_tracker(sender_id, slots=slots | changes)
        return local.run("action_book_restaurant", tracker, DOMAIN).events[0]["value"]

    assert ref() == ref()
    same_details = {"restaurant-booktime": "7.30 pm", "restaurant-bookpeople": 4.0, "restaurant-bookday": "Friday"}
    assert ref() == ref(**same_details)  # the reference is made from canonical values
    assert ref() != ref("bob")
    assert ref() != ref(**{"restaurant-bookpeople": "5"})


def test_form_validation_maps_hyphenated_slots_to_underscore_methods(local, remote):
    # The form just extracted three values: the trailing slot events are what rasa-sdk validates.
    candidates = {"restaurant-bookpeople": "lots", "restaurant-booktime": "7pm", "restaurant-bookday": "Friday"}
    tracker = make_tracker(slots=candidates, active_loop="restaurant_form")
    before = copy.deepcopy(tracker)

    result = local.run("validate_restaurant_form", tracker, DOMAIN)
    assert result == remote.run("validate_restaurant_form", tracker, DOMAIN)
    assert tracker == before  # the action's tracker is a copy: rasa-sdk's add_slots mutates it

    values = {event["name"]: event["value"] for event in result.events}
    assert values == {"restaurant-bookpeople": None, "restaurant-booktime": "19:00", "restaurant-bookday": "friday"}
    assert [message["text"] for message in result.responses] == ["For how many people? I can book tables for 1 to 20."]


def test_async_actions_run_and_see_the_whole_tracker(local_test_actions, remote_test_actions):
    tracker = make_tracker(text="hello there", intent="greet")
    result = local_test_actions.run("action_async_echo", tracker, DOMAIN)
    assert result == remote_test_actions.run("action_async_echo", tracker, DOMAIN)
    assert result.events == [{"event": "slot", "timestamp": None, "name": "event_count", "value": 4},
                             {"event": "followup", "timestamp": None, "name": "action_listen"}]
    assert result.responses[0]["text"] == "you said: hello there"
    assert result.responses[0]["buttons"] == [{"title": "again", "payload": "/greet"}]


def test_arun_and_run_inside_an_event_loop_give_the_same_result(local, remote):
    tracker = make_tracker(slots=BOOKINGS["action_book_taxi"])
    expected = local.run("action_book_taxi", tracker, DOMAIN)

    async def from_async_code():
        return (await local.arun("action_book_taxi", tracker, DOMAIN),
                await remote.arun("action_book_taxi", tracker, DOMAIN),
                local.run("action_book_taxi", tracker, DOMAIN))  # sync call while a loop is running

    assert asyncio.run(from_async_code()) == (expected, expected, expected)


# --- failures ------------------------------------------------------------------------------------


def test_unknown_action_is_not_found_on_both_paths(local, remote):
    tracker = make_tracker()
    error, _ = same_error(lambda: local.run("action_fly_me_to_the_moon", tracker, DOMAIN),
                          lambda: remote.run("action_fly_me_to_the_moon", tracker, DOMAIN))
    assert isinstance(error, ActionNotFound)
    assert error.action_name == "action_fly_me_to_the_moon"
    assert error.detail == "No registered action found for name 'action_fly_me_to_the_moon'."
    assert_user_safe(error)


def test_an_action_rejecting_its_slots_is_rejected_on_both_paths(local, remote):
    tracker = make_tracker(slots={"restaurant-name": "Curry Garden", "restaurant-bookpeople": "lots"})
    error, _ = same_error(lambda: local.run("action_book_restaurant", tracker, DOMAIN),
                          lambda: remote.run("action_book_restaurant", tracker, DOMAIN))
    assert isinstance(error, ActionRejected)
    assert error.detail == ("cannot book_restaurant: missing restaurant-bookday, restaurant-booktime; "
                            "invalid restaurant-bookpeople='lots'")
    assert_user_safe(error)


def test_a_crashing_action_fails_on_both_paths(local_test_actions, remote_test_actions):
    tracker = make_tracker()
    error, _ = same_error(lambda: local_test_actions.run("action_always_fails", tracker, DOMAIN),
                          lambda: remote_test_actions.run("action_always_fails", tracker, DOMAIN))
    assert isinstance(error, ActionFailed) and error.reason == "crashed"
    assert error.detail == "the booking back end is down"
    assert_user_safe(error)


def test_a_slow_action_times_out_on_both_paths(local_test_actions, remote_test_actions):
    tracker = make_tracker(slots={"delay": 3})
    started = time.monotonic()
    with pytest.raises(ActionFailed) as local_error:
        local_test_actions.run("action_slow", tracker, DOMAIN)
    with pytest.raises(ActionFailed) as remote_error:
        remote_test_actions.run("action_slow", tracker, DOMAIN)
    assert time.monotonic() - started < 2.5
    for error in (local_error.value, remote_error.value):
        assert error.reason == "timeout"
        assert "0.5 s" in error.detail
        assert error.user_message == local_error.value.user_message
        assert "took too long" in error.user_message and "kept your details" in error.user_message
        assert_user_safe(error)


def test_a_slow_action_within_its_timeout_completes(local_test_actions, remote_test_actions):
    tracker = make_tracker(slots={"delay": 0.05})
    result = local_test_actions.run("action_slow", tracker, DOMAIN)
    assert result == remote_test_actions.run("action_slow", tracker, DOMAIN)
    assert result.responses[0]["text"] == "finally done"


def test_a_dead_server_is_unreachable_not_a_stack_trace():
    with RemoteActionRunner(f"http://127.0.0.1:{free_port()}", timeout=2.0) as runner:
        with pytest.raises(ActionFailed) as caught:
            runner.run("action_book_taxi", make_tracker(), DOMAIN)
    error = caught.value
    assert error.reason == "unreachable"
    assert "is the action server running?" in error.detail
    assert "can't reach" in error.user_message
    assert_user_safe(error)


def test_a_wrong_path_on_an_action_server_fails_with_the_url_in_the_detail(servers):
    # rasa-sdk's catch-all exception handler turns Sanic's own 404 into a 500.
    with RemoteActionRunner(f"{servers['default'].url}/not-here", timeout=2.0) as runner:
        with pytest.raises(ActionFailed) as caught:
            runner.run("action_book_taxi", make_tracker(), DOMAIN)
    assert caught.value.reason == "crashed"
    assert caught.value.detail == "Requested URL /not-here/webhook not found"


def test_a_server_that_is_not_an_action_server_is_a_bad_response():
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)  # answers 501
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with RemoteActionRunner(f"http://127.0.0.1:{server.server_port}", timeout=2.0) as runner:
            with pytest.raises(ActionFailed) as caught:
                runner.run("action_book_taxi", make_tracker(), DOMAIN)
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.reason == "bad_response"
    assert caught.value.detail.startswith(f"HTTP 501 from http://127.0.0.1:{server.server_port}/webhook")
    assert_user_safe(caught.value)


# --- configuration and requests -----------------------------------------------------------------


def test_an_endpoint_url_in_config_selects_the_remote_runner(servers):
    runner = make_action_runner(url=f"{servers['default'].url}/webhook", timeout=3.0)
    assert isinstance(runner, RemoteActionRunner)
    assert runner.webhook_url == f"{servers['default'].url}/webhook"  # Rasa's endpoints.yml style, not doubled
    assert runner.run("action_find_attraction", make_tracker(slots={"attraction-area": "north"}), DOMAIN).events
    runner.close()
    assert isinstance(make_action_runner(), InProcessActionRunner)
    with pytest.raises(ValueError, match="http://"):
        make_action_runner(url="localhost:5055")


def test_a_tracker_without_sender_id_or_plain_json_is_refused_before_running(local, remote):
    for runner in (local, remote):
        with pytest.raises(ValueError, match="sender_id"):
            runner.run("action_book_taxi", {"slots": {}}, DOMAIN)
        with pytest.raises(ValueError, match="not plain JSON"):
            runner.run("action_book_taxi", make_tracker(slots={"taxi-leaveat": object()}), DOMAIN)


def test_a_missing_actions_module_is_an_import_error_not_an_exit():
    with pytest.raises(ImportError):
        InProcessActionRunner("data.no_such_actions")


@pytest.mark.parametrize("raw, expected", [
    ("19:30", "19:30"), ("7.30 pm", "19:30"), ("7pm", "19:00"), ("12 am", "00:00"), ("7", None), ("25:00", None),
    (1930, None),
])
def test_times_are_checked_as_the_nlu_normalises_them(raw, expected):
    from data.actions.concierge import as_time

    assert as_time(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("Friday", "friday"), ("2025-05-02", "2025-05-02"), ("2025-02-30", None), ("someday", None), (None, None),
])
def test_days_are_weekdays_or_iso_dates(raw, expected):
    from data.actions.concierge import as_day

    assert as_day(raw) == expected


@pytest.mark.parametrize("raw, expected", [(4, 4), (4.0, 4), ("4", 4), (4.5, None), (0, None), (21, None), (True, None)])
def test_people_are_whole_numbers_from_1_to_20(raw, expected):
    from data.actions.concierge import as_people

    assert as_people(raw) == expected
