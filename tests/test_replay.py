"""`assistant test`: the scripted-dialogue format and its file:line errors, the matcher, the runner,
the reports, the CLI's exit codes, and every scripted dialogue of the default assistant replayed
through the real model, dialogue manager and actions."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import said, several  # noqa: E402

from assistant import events as ev  # noqa: E402
from assistant.replay import (  # noqa: E402
    BotStep,
    DialogueFileError,
    ReplayClock,
    ReplayRunner,
    UserStep,
    check_against_domain,
    load_dialogues,
    parse_dialogues,
)
from assistant.replay.matcher import (  # noqa: E402
    Turn,
    bot_matches,
    check_user,
    find_bot,
    recommendation_of,
    slot_value,
    values_match,
)
from assistant.replay.report import (  # noqa: E402
    failed_dialogues_yaml,
    format_result,
    junit_xml,
    summary,
    write_reports,
)
from assistant.state import DialogueState  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
DIALOGUES = DATA / "dialogues"
RECOMMENDATIONS = "recommendations.yml"
PIZZA = "Osteria Verde"


def dialogues_from(text: str, path: str = "d.yml"):
    return parse_dialogues(textwrap.dedent(text), path)


def problems_of(text: str, path: str = "d.yml") -> list[str]:
    with pytest.raises(DialogueFileError) as caught:
        dialogues_from(text, path)
    return caught.value.problems


# ===================================================================== the format


GOOD = """\
    dialogues:
      - name: taxi interrupts a hotel booking
        user: alice
        session: 1
        steps:
          - user: I need a hotel in the north for 2 nights
            intent: find_hotel
            entities: {hotel-area: north, hotel-bookstay: 2}
          - bot: utter_ask_hotel-name
          - user: actually first get me a taxi to the station
            tasks: {taxi: active, hotel: suspended}
            slots: {taxi-destination: station}
            focus: taxi
          - bot: {text: "/where.*from/i"}
          - bot: "/pick you up/"
          - bot: {recommends: restaurant}
          - new_session: true
          - user: /affirm
            tasks: none
          - bot: {response: utter_greet, matches: "^Hi", recommends: {kind: hotel, name: Lockside}}
      - name: second
        steps:
          - user: 4
            intent: [book_restaurant, book_taxi]
            tasks: {restaurant: [completed, active], train: none}
    """


def test_a_dialogue_file_reads_into_steps_that_know_their_line():
    first, second = dialogues_from(GOOD)
    assert (first.name, first.user, first.session) == ("taxi interrupts a hotel booking", "alice", 1)
    assert first.where.line == 2
    kinds = [type(s).__name__ for s in first.steps]
    assert kinds == ["UserStep", "BotStep", "UserStep", "BotStep", "BotStep", "BotStep", "NewSession", "UserStep",
                     "BotStep"]
    hotel = first.steps[0]
    assert hotel.where.line == 6 and str(hotel.where) == "d.yml:6"
    assert hotel.intent == "find_hotel" and hotel.entities == {"hotel-area": "north", "hotel-bookstay": 2}
    assert first.steps[1].response == "utter_ask_hotel-name"
    assert first.steps[2].tasks == {"taxi": "active", "hotel": "suspended"} and first.steps[2].focus == "taxi"
    regex = first.steps[3].pattern
    assert regex.search("Where from?") and regex.flags & 2  # re.IGNORECASE
    assert first.steps[4].pattern.pattern == "pick you up"
    assert first.steps[5].recommends == {"kind": "restaurant"}
    assert first.steps[7].text == "/affirm" and first.steps[7].tasks == {"*": "none"}
    last = first.steps[8]
    assert last.response == "utter_greet" and last.pattern.pattern == "^Hi"
    assert last.recommends == {"kind": "hotel", "name": "Lockside"}
    only = second.steps[0]
    assert only.text == "4"  # a number typed by the user stays the text typed
    assert only.intent == ("book_restaurant", "book_taxi")
    assert only.tasks == {"restaurant": ("completed", "active"), "train": "none"}
    assert second.user is None and second.session is None


def test_a_dialogue_may_set_the_clock():
    from datetime import datetime

    [dialogue] = dialogues_from("dialogues: [{name: n, now: '2025-06-06 18:30', steps: [{user: hi}]}]")
    assert dialogue.now == datetime(2025, 6, 6, 18, 30).timestamp()
    assert "now must be a date and time" in problems_of("dialogues: [{name: n, now: soon, steps: [{user: hi}]}]")[0]


def test_invalid_yaml_is_reported_with_file_and_line():
    problems = problems_of("""\
        dialogues:
          - name: broken
            steps:
              - user: "unclosed
              - bot: utter_greet
        """, "broken.yml")
    assert len(problems) == 1 and problems[0].startswith("broken.yml:") and "invalid YAML" in problems[0]
    line = int(problems[0].split(":")[1])
    assert line in (4, 5, 6)


def test_every_structural_problem_is_reported_with_its_line():
    problems = problems_of("""\
        dialogues:
          - name: one
            colour: blue
            steps:
              - bot: utter_greet
              - user: hello
                intnet: greet
              - user: hi
                tasks: {hotel: sleeping}
              - bot: {text: "/unclosed(/"}
              - bot: {smell: roses}
              - user: hi
                bot: utter_greet
          - steps: [{user: hi}]
          - name: one
            steps: [{user: hi}]
          - name: no steps
          - name: empty
            steps: []
          - name: lonely session
            session: 2
            steps: [{user: hi}]
          - name: bad session
            user: bob
            session: zero
            steps: [{user: hi}]
          - name: not true
            steps: [{user: hi}, {new_session: false}]
        """)
    text = "\n".join(problems)
    expected = [
        ("d.yml:3:", "unknown key 'colour'"),
        ("d.yml:5:", "a bot step must come after a user step"),
        ("d.yml:7:", "unknown key 'intnet'"),
        ("d.yml:9:", "'sleeping' (hotel) is not a task status"),
        ("d.yml:10:", "bad regular expression"),
        ("d.yml:11:", "unknown key 'smell'"),
        ("d.yml:12:", "more than one of 'user:', 'bot:' or 'new_session:'"),
        ("d.yml:14:", "a dialogue needs a 'name:'"),
        ("d.yml:15:", "another dialogue is already named 'one' (line 2)"),
        ("d.yml:17:", "needs 'steps:'"),
        ("d.yml:19:", "steps must be a non-empty list"),
        ("d.yml:21:", "a session needs a 'user:'"),
        ("d.yml:25:", "session must be a whole number"),
        ("d.yml:28:", "write 'new_session: true'"),
    ]
    for where, what in expected:
        assert any(p.startswith(where) and what in p for p in problems), f"{where} {what}\n{text}"
    assert len(problems) == len(expected), text


def test_the_top_level_must_be_a_dialogues_list():
    assert problems_of("") == ["d.yml: the file is empty; it needs a 'dialogues:' list"]
    assert problems_of("- user: hi\n")[0].startswith("d.yml:1: the top level must be a mapping")
    assert problems_of("stories: []\n") == [
        "d.yml:1: the top level: unknown key 'stories'; allowed: dialogues, version",
        "d.yml:1: the top level needs a 'dialogues:' list",
    ]
    assert problems_of("dialogues: {a: 1}\n") == ["d.yml:1: 'dialogues' must be a list ('- name: ...' items)"]


def test_names_the_domain_does_not_know_are_problems_with_lines():
    from assistant.domain import load_domain

    dialogues = dialogues_from("""\
        dialogues:
          - name: typos
            steps:
              - user: hi
                intent: gret
                entities: {taxi-destnation: station}
                slots: {diet: vegan, colour: red}
                tasks: {hotel: active, spaceship: active}
              - bot: utter_greeet
        """)
    with pytest.raises(DialogueFileError) as caught:
        check_against_domain(dialogues, load_domain(DATA / "domain.yml"))
    problems = caught.value.problems
    assert "d.yml:4: unknown intent 'gret' (did you mean 'greet'?)" in problems
    assert "d.yml:4: unknown entity 'taxi-destnation' (did you mean 'taxi-destination'?)" in problems
    assert any(p.startswith("d.yml:4: unknown slot 'colour'") for p in problems)
    assert any(p.startswith("d.yml:4: unknown task type 'spaceship'") for p in problems)
    assert "d.yml:9: unknown response 'utter_greeet' (did you mean 'utter_greet'?)" in problems
    assert len(problems) == 5


def test_files_and_folders_are_loaded_in_order_and_all_problems_reported(tmp_path):
    (tmp_path / "b.yml").write_text("dialogues:\n  - name: b\n    steps: [{user: hi}]\n")
    (tmp_path / "a.yaml").write_text("dialogues:\n  - name: a\n    steps: [{user: hi}]\n")
    (tmp_path / "notes.txt").write_text("not a dialogue")
    assert [d.name for d in load_dialogues([tmp_path])] == ["a", "b"]
    (tmp_path / "c.yml").write_text("dialogues:\n  - name: c\n")
    (tmp_path / "d.yml").write_text("dialogues: [\n")
    with pytest.raises(DialogueFileError) as caught:
        load_dialogues([tmp_path])
    paths = [p.split(":")[0] for p in caught.value.problems]
    assert paths == [str(tmp_path / "c.yml"), str(tmp_path / "d.yml")]
    with pytest.raises(FileNotFoundError):
        load_dialogues([tmp_path / "missing.yml"])


# ===================================================================== the matcher (real events, a real state)


def test_values_match_canonical_values_loosely():
    assert values_match(2, "2") and values_match("2", 2.0) and values_match(4, 4)
    assert values_match("North", "north ") and not values_match("north", "south")
    assert values_match("/^[A-Z0-9]{8}$/", "EE7OKCE4") and not values_match("/^[A-Z]{8}$/", "EE7OKCE4")
    assert values_match(None, None) and not values_match(None, "x") and not values_match("x", None)
    assert values_match(True, True) and values_match("yes", True) and not values_match(False, True)
    assert values_match([1, "a"], [1.0, "A"]) and not values_match([1], [1, 2])
    assert values_match("18:45", "18:45") and not values_match("18:45", 18)


def a_state() -> DialogueState:
    """A conversation with a completed and an open restaurant booking, a suspended hotel, a diet."""
    state = DialogueState("u")
    for event in [
        ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-name": PIZZA}, timestamp=1),
        ev.task_completed("restaurant-1", timestamp=2),
        ev.task_started("hotel-1", "hotel", 30, {"hotel-area": "north", "hotel-bookstay": 2}, timestamp=3),
        ev.task_started("restaurant-2", "restaurant", 20, {"restaurant-bookpeople": 4}, timestamp=4),
        ev.slot_set("diet", "vegetarian", timestamp=5),
    ]:
        state.apply(event)
    return state


def a_turn(parse=None, bots=(), state=None) -> Turn:
    parse = parse or said("a table for 4", "book_restaurant", 0.91, restaurant_bookpeople=4)
    return Turn("u", parse.text, ev.user(parse.text, parse)["parse_data"], list(bots), state or a_state())


def test_user_step_assertions_pass_and_fail_with_expected_versus_actual():
    turn = a_turn()
    step = UserStep("x", None, intent="book_restaurant", entities={"restaurant-bookpeople": "4"},
                    tasks={"restaurant": "active", "hotel": "suspended"},
                    slots={"restaurant-bookpeople": 4, "hotel-area": "north", "diet": "vegetarian",
                           "restaurant-name": None},
                    focus="restaurant")
    assert check_user(step, turn) == []
    wrong = UserStep("x", None, intent="book_hotel", entities={"restaurant-bookpeople": 2, "taxi-destination": "x"},
                     tasks={"restaurant": "completed", "hotel": "active", "taxi": "active", "train": "none"},
                     slots={"restaurant-bookpeople": 5, "diet": None}, focus="hotel")
    assert check_user(wrong, turn) == [
        "intent: expected book_hotel, got book_restaurant (0.91)",
        "entity restaurant-bookpeople: expected 2, got 4",
        "entity taxi-destination: expected x, got none",
        "task restaurant: expected completed, got [completed, active]",
        "task hotel: expected active, got suspended",
        "task taxi: expected active, got none",
        "slot restaurant-bookpeople: expected 5, got 4",
        "slot diet: expected (not set), got vegetarian",
        "focus: expected hotel, got restaurant",
    ]


def test_task_lists_none_and_no_task_at_all():
    turn = a_turn()
    assert check_user(UserStep("x", None, tasks={"restaurant": ("completed", "active"), "taxi": "none"}), turn) == []
    assert check_user(UserStep("x", None, tasks={"restaurant": ("active",)}), turn) == [
        "task restaurant: expected [active], got [completed, active]"]
    assert check_user(UserStep("x", None, tasks={"*": "none"}), a_turn(state=DialogueState("u"))) == []
    assert check_user(UserStep("x", None, tasks={"*": "none"}), turn)[0].startswith("tasks: expected none, got ")
    assert check_user(UserStep("x", None, focus="none"), a_turn(state=DialogueState("u"))) == []


def test_slots_are_read_from_the_latest_task_of_their_type():
    state = a_state()
    assert slot_value(state, "restaurant-name") is None  # the open table has none yet; the booked one had one
    assert slot_value(state, "restaurant-bookpeople") == 4
    assert slot_value(state, "diet") == "vegetarian" and slot_value(state, "taxi-destination") is None


def test_the_intents_of_a_message_with_several_requests():
    table = said("a table for 2", "book_restaurant", restaurant_bookpeople=2)
    ride = said("a taxi to the station", "book_taxi", taxi_destination="station")
    turn = a_turn(several("a table for 2 and a taxi to the station", table, ride))
    assert check_user(UserStep("x", None, intent=("book_restaurant", "book_taxi")), turn) == []
    assert check_user(UserStep("x", None, intent=("book_taxi", "book_restaurant")), turn) == [
        "intents of the requests: expected [book_taxi, book_restaurant], got [book_restaurant, book_taxi]"]
    single = a_turn()
    assert check_user(UserStep("x", None, intent=("book_restaurant",)), single) == []


RECOMMENDATION = {"kind": "restaurant", "id": "restaurant-0038", "name": PIZZA}


def bots():
    return [
        ev.bot("Let's pause the hotel for now.", metadata={"utter_action": "utter_suspend_task"}),
        ev.bot(f"How about {PIZZA}? You like Italian food.", data={"buttons": [{"title": "Yes", "payload": "yes"}]},
               metadata={"utter_action": "utter_recommend", "recommendation": dict(RECOMMENDATION)}),
        ev.bot("A taxi is booked. Reference: ABCD1234."),  # an action's own message: no response name
        ev.bot("Or the Jade Terrace?", data={"recommendation": {"kind": "restaurant", "id": "r-5", "name": "Jade"}}),
    ]


def test_bot_steps_match_a_response_a_text_a_regex_or_a_recommendation():
    events = bots()
    assert bot_matches(BotStep(None, response="utter_suspend_task"), events[0])
    assert not bot_matches(BotStep(None, response="utter_suspend_task"), events[1])
    assert bot_matches(BotStep(None, text="A taxi is booked. Reference: ABCD1234."), events[2])
    assert not bot_matches(BotStep(None, text="A taxi is booked."), events[2])
    regex = dialogues_from('dialogues: [{name: n, steps: [{user: x}, {bot: "/reference: [A-Z0-9]{8}/i"}]}]')[0]
    assert bot_matches(regex.steps[1], events[2]) and not bot_matches(regex.steps[1], events[0])
    assert recommendation_of(events[1]) == RECOMMENDATION and recommendation_of(events[3])["id"] == "r-5"
    assert recommendation_of(events[0]) is None
    assert bot_matches(BotStep(None, recommends={"kind": "restaurant"}), events[1])
    assert bot_matches(BotStep(None, recommends={"kind": "restaurant", "id": "restaurant-0038", "name": PIZZA}),
                       events[1])
    assert bot_matches(BotStep(None, recommends={"kind": "restaurant", "name": "/^Osteria/"}), events[1])
    assert not bot_matches(BotStep(None, recommends={"kind": "hotel"}), events[1])
    assert not bot_matches(BotStep(None, recommends={"kind": "restaurant", "name": "Jade"}), events[1])
    assert bot_matches(BotStep(None, recommends={"kind": "restaurant", "name": "Jade"}), events[3])
    both = BotStep(None, response="utter_recommend", recommends={"kind": "restaurant"})
    assert bot_matches(both, events[1]) and not bot_matches(both, events[3])


def test_a_new_recommendation_is_one_not_made_before_in_the_conversation():
    events = bots()
    fresh = BotStep(None, recommends={"kind": "restaurant", "new": True})
    assert bot_matches(fresh, events[1]) and not bot_matches(fresh, events[1], {("restaurant", "restaurant-0038")})
    again = BotStep(None, recommends={"kind": "restaurant", "new": False})
    assert bot_matches(again, events[1], {("restaurant", "restaurant-0038")})
    # earlier messages of the same turn count too: the second suggestion is new, a repeat would not be
    repeat = [events[1], events[1]]
    assert find_bot(fresh, repeat, start=1) is None and find_bot(again, repeat, start=1) == 1
    assert find_bot(fresh, events, start=2) == 3
    step = dialogues_from("dialogues: [{name: n, steps: [{user: x}, {bot: {recommends: {kind: hotel, new: true}}}]}]")
    assert step[0].steps[1].recommends == {"kind": "hotel", "new": True}
    assert "new must be true or false" in problems_of(
        "dialogues: [{name: n, steps: [{user: x}, {bot: {recommends: {kind: hotel, new: maybe}}}]}]")[0]


def test_bot_steps_are_found_in_order_skipping_messages_nobody_asserted():
    events = bots()
    suspend = BotStep(None, response="utter_suspend_task")
    booked = BotStep(None, text="A taxi is booked. Reference: ABCD1234.")
    assert find_bot(booked, events) == 2  # the two before it are skipped
    assert find_bot(suspend, events, start=1) is None  # already passed: order matters
    assert find_bot(BotStep(None, recommends={"kind": "restaurant"}), events, start=2) == 3


# ===================================================================== the runner (real dialogue manager and actions)


class ScriptedParser:
    """Hand-made parses for the runner's own tests (the real model runs in the last tests)."""

    def __init__(self, *parses):
        self.table = {p.text: p for p in parses}

    def parse(self, text):
        return self.table.get(text) or said(text, None, 0.0)


SCRIPT = [
    said(f"book a table at {PIZZA} for 2 on friday at 7pm", "book_restaurant", restaurant_name=PIZZA,
         restaurant_bookpeople=2, restaurant_bookday="friday", restaurant_booktime=("19:00", "7pm")),
    said("yes", "affirm"),
    said("I'm vegan", "inform_preference", diet="vegan"),
    said("what do you know about me?", "ask_profile"),
]

SCRIPTED = f"""\
dialogues:
  - name: a table
    steps:
      - user: book a table at {PIZZA} for 2 on friday at 7pm
        intent: book_restaurant
        tasks: {{restaurant: awaiting_confirmation}}
      - bot: utter_confirm_restaurant
      - user: "yes"
        tasks: {{restaurant: completed}}
        slots: {{restaurant-ref: "/^[A-Z0-9]{{8}}$/"}}
      - bot: {{text: "/is booked/"}}
      - bot: utter_anything_else
  - name: a wrong expectation
    steps:
      - user: book a table at {PIZZA} for 2 on friday at 7pm
        tasks: {{restaurant: completed}}
      - bot: utter_greet
      - bot: utter_confirm_restaurant
      - user: "yes"
        tasks: {{restaurant: completed}}
  - name: vegan
    user: vera
    steps:
      - user: I'm vegan
      - new_session: true
      - user: what do you know about me?
        tasks: none
      - bot: {{response: utter_profile, text: "/vegan/"}}
"""


@pytest.fixture
def scripted_runner():
    from assistant.actions.executor import InProcessActionRunner
    from assistant.agent import Assistant
    from assistant.domain import load_domain
    from assistant.stores import InMemoryTrackerStore

    rng, clock = random.Random(0), ReplayClock()
    with InProcessActionRunner("data.actions", timeout=10.0) as actions:
        assistant = Assistant(ScriptedParser(*SCRIPT), load_domain(DATA / "domain.yml"), InMemoryTrackerStore(),
                              actions, rng=rng, clock=clock)
        yield ReplayRunner(assistant, rng, clock, seed=7)


def test_the_runner_replays_turns_and_stops_a_dialogue_at_its_first_failing_turn(scripted_runner):
    dialogues = dialogues_from(SCRIPTED, "s.yml")
    scripted_runner.check(dialogues)
    table, wrong, vegan = scripted_runner.run(dialogues)
    assert table.passed and table.turns == 2 and table.senders == ["replay-a-table:1"]
    assert not wrong.passed and wrong.turns == 1  # the second turn was never played
    failure = wrong.failure
    assert failure.index == 1 and str(failure.step.where) == "s.yml:15"
    assert failure.problems == [(1, "task restaurant: expected completed, got awaiting_confirmation"),
                                (2, "bot: expected utter_greet")]  # the confirmation after it still matched
    assert vegan.passed and vegan.senders == ["vera:1", "vera:2"]  # a new conversation, the same profile


def test_replays_are_deterministic(scripted_runner):
    dialogues = dialogues_from(SCRIPTED, "s.yml")[:1]

    def texts(sender):
        return [e["text"] for e in scripted_runner.assistant.store.load(sender) if e["event"] == "bot"]

    first = scripted_runner.run(dialogues)[0]
    second = scripted_runner.run(dialogues)[0]  # same name: a fresh user, the same random choices
    assert second.senders == ["replay-a-table-2:1"]
    strip = [t.split(" Reference")[0] for t in texts(first.senders[0])]
    assert strip == [t.split(" Reference")[0] for t in texts(second.senders[0])]
    events = scripted_runner.assistant.store.load(first.senders[0])
    assert 0 <= events[0]["timestamp"] - ReplayClock().now < 10  # each dialogue starts at the same moment


def test_a_dialogue_starts_at_its_own_time(scripted_runner):
    from datetime import datetime

    [dialogue] = dialogues_from("dialogues: [{name: evening, now: '2025-06-06 18:30', steps: [{user: hello}]}]")
    [result] = scripted_runner.run([dialogue])
    first = scripted_runner.assistant.store.load(result.senders[0])[0]
    assert 0 <= first["timestamp"] - datetime(2025, 6, 6, 18, 30).timestamp() < 10


def test_fail_fast_stops_after_the_first_failing_dialogue(scripted_runner):
    dialogues = dialogues_from(SCRIPTED, "s.yml")
    results = scripted_runner.run(dialogues[1:], fail_fast=True)
    assert len(results) == 1 and not results[0].passed


# ===================================================================== reports


@pytest.fixture
def results(scripted_runner):
    return scripted_runner.run(dialogues_from(SCRIPTED, "s.yml"))


def test_a_failure_is_printed_with_where_expected_and_actual(results):
    text = format_result(results[1])
    assert text.startswith("FAILED a wrong expectation (s.yml:13)")
    assert "step 1 (s.yml:15): - user: 'book a table at Osteria Verde for 2 on friday at 7pm'" in text
    assert "task restaurant: expected completed, got awaiting_confirmation" in text
    assert "step 2 (s.yml:17): - bot: utter_greet" in text
    assert "intent: book_restaurant (0.95)" in text  # what the assistant understood ...
    assert "entities: restaurant-name=Osteria Verde, restaurant-bookpeople=2" in text
    assert "task *restaurant-1 [awaiting_confirmation]" in text  # ... the tasks after the turn ...
    assert "bot 1: utter_confirm_restaurant: " in text  # ... and what it said
    assert summary(results) == "2 passed, 1 failed"
    assert summary(results[:1], not_run=2) == "1 passed, 0 failed, 2 not run (--fail-fast)"


def test_the_failed_dialogues_file_marks_the_failing_step_and_replays(results, tmp_path):
    text = failed_dialogues_yaml(results)
    assert "name: a wrong expectation" in text and "name: a table" not in text
    lines = text.splitlines()
    marked = lines.index("      # FAILED: task restaurant: expected completed, got awaiting_confirmation")
    assert lines[marked - 1] == "        tasks: {restaurant: completed}"
    assert "      # FAILED: bot: expected utter_greet" in lines
    path = tmp_path / "failed.yml"
    path.write_text(text)
    [again] = load_dialogues([path])  # the file is a dialogue file: fix it and replay it
    assert again.name == "a wrong expectation" and len(again.steps) == 4
    assert failed_dialogues_yaml(results[:1]).rstrip().endswith("dialogues: []")


def test_junit_xml_has_one_testcase_per_dialogue(results, tmp_path):
    more = dialogues_from("dialogues: [{name: later, steps: [{user: hi}]}]", "t.yml")
    files = write_reports(results, tmp_path / "out", not_run=more)
    assert files["failed"].exists()
    root = ET.parse(files["junit"]).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "0", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"s.yml", "t.yml"}
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"a table", "a wrong expectation", "vegan", "later"}
    failure = cases["a wrong expectation"].find("failure")
    assert failure.get("message") == "step 1 (s.yml:15): task restaurant: expected completed, got awaiting_confirmation"
    assert "bot 1: utter_confirm_restaurant" in failure.text
    assert cases["a table"].find("failure") is None and cases["a table"].get("line") == "2"
    assert cases["later"].find("skipped") is not None
    assert junit_xml([]).startswith("<?xml")


def test_a_runner_error_is_a_failed_dialogue_not_a_crash(scripted_runner):
    scripted_runner.assistant.state = None  # a bug anywhere in the loop
    [result] = scripted_runner.run(dialogues_from(SCRIPTED, "s.yml")[:1])
    assert not result.passed and "TypeError" in result.error
    assert "the runner broke" in format_result(result)
    assert 'errors="1"' in junit_xml([result])


# ===================================================================== the CLI (real model, as a user runs it)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "test", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def test_cli_exit_code_2_for_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("dialogues:\n  - name: x\n    steps:\n      - bot: utter_greet\n")
    result = run_cli(str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"{bad}:4: a bot step must come after a user step" in result.stderr


TINY = """\
dialogues:
  - name: greets back
    steps:
      - user: hello
        intent: greet
      - bot: utter_greet
  - name: expects the impossible
    steps:
      - user: hello
        tasks: {hotel: active}
"""


def test_cli_replays_reports_and_exits_non_zero_on_a_failure(tmp_path, default_model_dir):
    path = tmp_path / "tiny.yml"
    path.write_text(TINY)
    out = tmp_path / "out"
    result = run_cli(str(path), "--model", str(default_model_dir), "--out", str(out), "--seed", "3")
    assert result.returncode == 1, result.stderr
    assert result.stdout.rstrip().endswith("1 passed, 1 failed")
    assert f"FAILED expects the impossible ({path}:7)" in result.stdout
    assert f"step 1 ({path}:9)" in result.stdout and "task hotel: expected active, got none" in result.stdout
    root = ET.parse(out / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures")) == ("2", "1")
    assert "# FAILED: task hotel: expected active, got none" in (out / "failed_dialogues.yml").read_text()

    result = run_cli(str(path), "--model", str(default_model_dir), "--out", str(out), "--fail-fast",
                     "--data", str(DATA))
    assert result.returncode == 1
    assert "1 passed, 1 failed" in result.stdout  # the failing one is the last: nothing left unrun


# ===================================================================== the default assistant's dialogues


def _all_dialogues():
    return load_dialogues([DIALOGUES])


ALL = _all_dialogues()


@pytest.fixture(scope="module")
def replayed(default_model_dir):
    """Every scripted dialogue of data/dialogues, replayed once through the real default assistant."""
    with ReplayRunner.from_config(DATA, default_model_dir) as runner:
        runner.check(ALL)
        wired = getattr(runner.assistant, "recommender", None) is not None
        yield {(r.dialogue.path, r.dialogue.name): r for r in runner.run(ALL)}, wired


def test_there_are_enough_scripted_dialogues():
    assert len(ALL) >= 40
    files = {Path(d.path).name for d in ALL}
    assert RECOMMENDATIONS in files


# Dialogues that assert what a correct assistant must do and that the assistant does not do yet: each
# is a known bug (noted on the issues). They run every time; a failure here is expected, not hidden:
# the report still prints expected vs actual. Remove a line when its bug is fixed.
KNOWN_BUGS = {
}


@pytest.mark.parametrize("dialogue", ALL, ids=[f"{Path(d.path).stem}: {d.name}" for d in ALL])
def test_scripted_dialogue_passes(dialogue, replayed):
    results, recommender_wired = replayed
    result = results[(dialogue.path, dialogue.name)]
    assert recommender_wired, "the default assistant must have its recommender"
    if not result.passed and dialogue.name in KNOWN_BUGS:
        pytest.xfail(f"known bug: {KNOWN_BUGS[dialogue.name]}\n{format_result(result)}")
    if not result.passed:
        pytest.fail(format_result(result), pytrace=False)
