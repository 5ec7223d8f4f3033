"""The domain: loading data/domain.yml, validating it against the NLU data, rendering responses, rasa-sdk JSON."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assistant.data_cli import validate_data
from assistant.domain import (
    GENERAL_RESPONSES,
    Domain,
    DomainError,
    load_domain,
    parse_domain,
    validate_domain,
)
from nlu.loaders import load_data, parse_rasa_yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_FILE = ROOT / "data" / "domain.yml"

# A small but complete domain: one task, two intents; the general responses are appended below.
BASE = """\
intents:
  - book_taxi
  - greet
entities:
  - taxi-destination
  - taxi-leaveat
  - taxi-type
slots:
  taxi-destination:
    type: text
    entity: taxi-destination
  taxi-leaveat:
    type: text
    entity: taxi-leaveat
    regex: '^\\d\\d:\\d\\d$'
  taxi-type:
    type: categorical
    entity: taxi-type
    values: [black, minicab]
tasks:
  taxi:
    intents: {book_taxi: book}
    priority: 50
    required: [taxi-destination, taxi-leaveat]
    optional: [taxi-type]
    action: action_book_taxi
    confirm: false
    responses: {done: utter_taxi_done}
responses:
  utter_ask_taxi-destination:
    - text: Where to?
  utter_ask_taxi-leaveat:
    - text: When?
  utter_ask_taxi-type:
    - text: Black cab or minicab?
  utter_taxi_done:
    - text: "Booked to {taxi-destination}."
"""
GENERAL = "".join(f"  {name}:\n    - text: ok\n" for name in GENERAL_RESPONSES.values())
NLU = """\
nlu:
- intent: book_taxi
  examples: |
    - taxi to [the station](taxi-destination) at [7pm](taxi-leaveat)
    - a [black](taxi-type) cab to [the airport](taxi-destination)
- intent: greet
  examples: |
    - hi
    - hello
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``; ``^`` at its start anchors it to the line start."""
    if needle.startswith("^"):
        return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(needle[1:]))
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def check(domain_text: str, nlu_text: str = NLU) -> list[str]:
    domain = parse_domain(domain_text, "domain.yml", strict=False)
    return validate_domain(domain, parse_rasa_yaml(nlu_text, "nlu.yml"))


def only(problems: list[str], phrase: str) -> str:
    hits = [p for p in problems if phrase in p]
    assert len(hits) == 1, problems
    return hits[0]


# ----------------------------------------------------------------- the real domain


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain(DOMAIN_FILE)


def test_real_domain_is_consistent_with_the_nlu_data(domain):
    from assistant.agent import load_recommender

    nlu = load_data(ROOT / "data" / "nlu")
    assert validate_domain(domain, nlu, load_recommender(ROOT / "data", domain).landmark_area) == []
    assert validate_data(ROOT / "data") == []
    # an area given as a place is an area only through the catalogue's places
    unknown = [p for p in validate_domain(domain, nlu) if "train station" in p]
    assert unknown and "restaurant-area" in unknown[0]
    assert set(domain.intents) == set(nlu.intents)
    assert set(domain.entities) == set(nlu.entity_types)


def test_real_domain_declares_the_concierge_tasks(domain):
    tasks = domain.tasks
    assert set(tasks) == {"restaurant", "hotel", "attraction", "taxi", "train"}
    assert tasks["taxi"].priority > tasks["restaurant"].priority
    assert tasks["train"].priority > tasks["restaurant"].priority
    assert min(tasks.values(), key=lambda t: t.priority).name == "attraction"
    assert tasks["restaurant"].intents == {"find_restaurant": "find", "book_restaurant": "book"}
    assert tasks["restaurant"].required_slots == (
        "restaurant-name", "restaurant-bookpeople", "restaurant-bookday", "restaurant-booktime",
    )  # fmt: skip
    assert "restaurant-food" in tasks["restaurant"].optional
    assert tasks["restaurant"].action == "action_book_restaurant" and tasks["restaurant"].confirm
    assert tasks["restaurant"].recommend == "restaurant" and tasks["taxi"].recommend is None
    assert not tasks["attraction"].confirm
    # a taxi needs a time to leave at or to arrive by, either will do
    assert tasks["taxi"].missing({"taxi-departure": "a", "taxi-destination": "b"}) == ["taxi-leaveat"]
    assert tasks["taxi"].missing({"taxi-departure": "a", "taxi-destination": "b", "taxi-arriveby": "19:00"}) == []
    assert tasks["taxi"].schedule_value("time", {"taxi-arriveby": "19:00"}) == "19:00"


def test_real_domain_helpers_for_policies(domain):
    assert domain.task_for_intent("book_hotel").name == "hotel"
    assert domain.task_for_intent("greet") is None
    assert domain.goal_of("find_train") == "find" and domain.goal_of("book_train") == "book"
    assert domain.slots_for_entity("hotel-stars") == ("hotel-stars",)
    # a bare "4 people" is tagged for a restaurant; in a hotel task it is the number of guests
    assert domain.task_slot_for("hotel", "restaurant-bookpeople") == "hotel-bookpeople"
    assert domain.task_slot_for("taxi", "train-leaveat") == "taxi-leaveat"
    assert domain.task_slot_for("taxi", "restaurant-food") is None
    assert domain.tasks["hotel"].ask_response("hotel-bookstay") == "utter_ask_hotel-bookstay"


def test_slot_validation_rules(domain):
    people = domain.slots["restaurant-bookpeople"]
    assert people.validate("four") == (4, None)
    assert people.validate(4.0) == (4, None)
    value, hint = people.validate(25)
    assert value == 25 and "between 1 and 20" in hint
    assert people.validate(2.5)[1] is not None
    assert people.validate("lots")[1] is not None
    assert domain.slots["restaurant-booktime"].validate("19:30") == ("19:30", None)
    assert domain.slots["restaurant-booktime"].validate("7pm")[1] is not None
    assert domain.slots["restaurant-bookday"].validate("friday") == ("friday", None)
    assert domain.slots["restaurant-area"].validate("Centre") == ("centre", None)
    assert "one of" in domain.slots["restaurant-area"].validate("downtown")[1]
    # a plain typo is the value it misspells; a word as near two values ("est": east, west) is neither
    assert domain.slots["restaurant-area"].validate("nrth") == ("north", None)
    assert domain.slots["hotel-pricerange"].validate("expnsive") == ("expensive", None)
    assert domain.slots["attraction-type"].validate("theater") == ("theatre", None)
    assert "one of" in domain.slots["hotel-area"].validate("est")[1]
    assert domain.slots["hotel-parking"].validate("yes") == (True, None)
    assert domain.slots["hotel-parking"].validate(None) == (None, None)


def test_to_rasa_json_has_the_shape_rasa_sdk_expects(domain):
    data = json.loads(json.dumps(domain.to_rasa_json()))
    for key in ("intents", "entities", "slots", "responses", "actions", "forms", "session_config", "config"):
        assert key in data, key
    assert set(data["slots"]) == set(domain.slots) | {"requested_slot"}
    people = data["slots"]["restaurant-bookpeople"]
    assert people["type"] == "float" and people["mappings"] == [{"type": "from_entity", "entity": "restaurant-bookpeople"}]
    assert data["slots"]["restaurant-area"]["values"] == ["centre", "north", "south", "east", "west"]
    assert "action_book_taxi" in data["actions"] and "action_show_profile" in data["actions"]
    assert data["forms"]["restaurant_form"]["required_slots"][0] == "restaurant-name"
    assert data["responses"]["utter_greet"][0]["text"]
    assert data["session_config"]["session_expiration_time"] == 60


# ----------------------------------------------------------------- rendering


def test_render_picks_among_variations(domain):
    texts = {domain.render("utter_ask_restaurant-bookpeople", {}, random.Random(seed))["text"] for seed in range(30)}
    assert len(texts) == 3
    assert domain.render("utter_greet", rng=random.Random(1)) == domain.render("utter_greet", rng=random.Random(1))


def test_render_fills_placeholders_and_buttons(domain):
    slots = {"restaurant-name": "Gilded Spoon", "restaurant-bookpeople": 4.0, "restaurant-bookday": "friday",
             "restaurant-booktime": "19:30"}  # fmt: skip
    message = domain.render("utter_confirm_restaurant", slots, random.Random(0))
    assert "Gilded Spoon" in message["text"] and "4" in message["text"] and "4.0" not in message["text"]
    assert message["buttons"] and {"title", "payload"} <= set(message["buttons"][0])
    clarify = domain.render("utter_clarify", {"option_1": "a hotel", "option_2": "a restaurant",
                                              "payload_1": "/find_hotel", "payload_2": "/find_restaurant"})  # fmt: skip
    assert [b["title"] for b in clarify["buttons"]] == ["a hotel", "a restaurant"]
    assert clarify["buttons"][0]["payload"] == "/find_hotel"


def test_render_prefers_variations_it_can_fill(domain):
    # only the arrival time is known: never "leaving at {taxi-leaveat}"
    slots = {"taxi-departure": "Fennel House", "taxi-destination": "the station", "taxi-arriveby": "09:00"}
    for seed in range(20):
        assert "arriving by 09:00" in domain.render("utter_confirm_taxi", slots, random.Random(seed))["text"]


def test_render_leaves_missing_placeholders_readable(domain):
    message = domain.render("utter_resume_task", {"task": "hotel", "question": None}, random.Random(0))
    assert "hotel" in message["text"] and "{question}" in message["text"]
    text = parse_domain(BASE.replace("Booked to {taxi-destination}.", "{a} {b-c} {{x}} }{") + GENERAL).render(
        "utter_taxi_done", {"a": True}
    )["text"]
    assert text == "yes {b-c} {{x}} }{"


def test_render_unknown_response_names_it(domain):
    with pytest.raises(KeyError, match="utter_nope"):
        domain.render("utter_nope", {})


def test_render_honours_channel_specific_variations():
    text = BASE.replace("    - text: When?\n", "    - text: When?\n    - text: When (slack)?\n      channel: slack\n")
    domain = parse_domain(text + GENERAL)
    assert domain.render("utter_ask_taxi-leaveat", channel="slack")["text"] == "When (slack)?"
    assert domain.render("utter_ask_taxi-leaveat")["text"] == "When?"


# ----------------------------------------------------------------- validation errors with lines


def test_small_domain_is_clean():
    assert check(BASE + GENERAL) == []


def test_intent_in_nlu_data_but_not_declared():
    nlu = NLU + "- intent: bye\n  examples: |\n    - bye\n    - see you\n"
    problem = only(check(BASE + GENERAL, nlu), "'bye'")
    assert problem.startswith(f"nlu.yml:{line_of(nlu, '- bye')}:") and "not declared" in problem


def test_declared_intent_without_examples():
    text = BASE.replace("  - greet\n", "  - greet\n  - thank\n") + GENERAL
    problem = only(check(text), "'thank'")
    assert problem.startswith(f"domain.yml:{line_of(text, '- thank')}:") and "no NLU examples" in problem


def test_entity_in_nlu_data_but_not_declared():
    nlu = NLU.replace("[the airport](taxi-destination)", "[the airport](taxi-dest)")
    problem = only(check(BASE + GENERAL, nlu), "'taxi-dest'")
    assert problem.startswith(f"nlu.yml:{line_of(nlu, 'taxi-dest)')}:")


def test_task_slot_that_no_entity_can_fill():
    text = BASE.replace("    entity: taxi-leaveat\n", "") + GENERAL
    problem = only(check(text), "no entity can fill slot 'taxi-leaveat'")
    assert problem.startswith(f"domain.yml:{line_of(text, 'required:')}:")
    # an entity the NLU data never annotates cannot fill it either
    nlu = NLU.replace("at [7pm](taxi-leaveat)", "at 7pm")
    problem = only(check(BASE + GENERAL, nlu), "never be filled")
    assert "taxi-leaveat" in problem


def test_slot_filled_by_an_undeclared_entity():
    text = BASE.replace("    entity: taxi-leaveat\n", "    entity: taxi-time\n") + GENERAL
    problems = check(text)
    assert only(problems, "'taxi-time', which is not declared").startswith(f"domain.yml:{line_of(text, 'taxi-time')}:")
    assert only(problems, "no entity can fill slot 'taxi-leaveat'")


def test_task_slot_without_its_ask_response():
    text = BASE.replace("  utter_ask_taxi-leaveat:\n    - text: When?\n", "") + GENERAL
    problem = only(check(text), "utter_ask_taxi-leaveat")
    assert problem.startswith(f"domain.yml:{line_of(text, 'required:')}:")


def test_task_without_its_completion_response():
    text = BASE.replace("    responses: {done: utter_taxi_done}\n", "") + GENERAL
    problem = only(check(text), "no completion response")
    assert problem.startswith(f"domain.yml:{line_of(text, '  taxi:')}:")
    text = BASE.replace("done: utter_taxi_done", "done: utter_taxi_finished") + GENERAL
    assert only(check(text), "'utter_taxi_finished'").startswith(f"domain.yml:{line_of(text, 'done:')}:")


def test_confirming_task_needs_a_confirm_response():
    text = BASE.replace("confirm: false", "confirm: true") + GENERAL
    assert only(check(text), "confirms first").startswith(f"domain.yml:{line_of(text, 'confirm: true')}:")


def test_task_without_an_action_name():
    text = BASE.replace("    action: action_book_taxi\n", "") + GENERAL
    problem = only(check(text), "no action name")
    assert problem.startswith(f"domain.yml:{line_of(text, '  taxi:')}:")
    with pytest.raises(DomainError) as err:
        parse_domain(text, "domain.yml")  # strict: the first problem stops the load
    assert err.value.line == line_of(text, "  taxi:") and "action" in err.value.problem


def test_task_named_for_its_goal_in_responses():
    plain = parse_domain(BASE + GENERAL, "domain.yml").tasks["taxi"]
    assert plain.label_for("find") == plain.label_for("book") == "taxi"  # no label: the task's name
    text = BASE.replace("    priority: 50\n", "    priority: 50\n    label: taxi booking\n    find_label: taxi quote\n")
    named = parse_domain(text + GENERAL, "domain.yml").tasks["taxi"]
    assert (named.label_for("find"), named.label_for("book"), named.label_for(None)) == (
        "taxi quote", "taxi booking", "taxi booking")


def test_priority_must_be_an_integer():
    for bad in ("high", "2.5", "true"):
        text = BASE.replace("priority: 50", f"priority: {bad}") + GENERAL
        problem = only(check(text), "priority must be an integer")
        assert problem.startswith(f"domain.yml:{line_of(text, 'priority:')}:"), bad


def test_unknown_placeholder_and_missing_general_response():
    text = BASE.replace("{taxi-destination}", "{taxi-destinaton}") + GENERAL.replace("  utter_clarify:\n    - text: ok\n", "")
    problems = check(text)
    assert only(problems, "{taxi-destinaton}").startswith(f"domain.yml:{line_of(text, 'taxi-destinaton')}:")
    assert only(problems, "'utter_clarify'").startswith(f"domain.yml:{line_of(text, '^responses:')}:")


def test_categorical_value_the_slot_would_reject():
    nlu = NLU.replace("[black](taxi-type)", "[hackney](taxi-type)")
    problem = only(check(BASE + GENERAL, nlu), "'hackney'")
    assert problem.startswith(f"nlu.yml:{line_of(nlu, 'hackney')}:") and "categorical slot 'taxi-type'" in problem


def test_unknown_keys_and_bad_values_are_reported_with_lines():
    text = BASE.replace("    optional: [taxi-type]\n", "    optinal: [taxi-type]\n").replace(
        "type: categorical", "type: enum"
    ) + GENERAL
    problems = check(text)
    assert only(problems, "unknown key 'optinal'").startswith(f"domain.yml:{line_of(text, 'optinal')}:")
    assert only(problems, "unknown type 'enum'").startswith(f"domain.yml:{line_of(text, 'type: enum')}:")


def test_task_intent_must_be_declared_and_owned_once():
    text = BASE.replace("intents: {book_taxi: book}", "intents: {book_taxi: book, order_cab: book}") + GENERAL
    assert only(check(text), "'order_cab'").startswith(f"domain.yml:{line_of(text, 'order_cab')}:")


# ----------------------------------------------------------------- broken files


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        ("intents: [unclosed\n", 2, "invalid YAML"),
        ("intents:\n  - greet\n bad indent: x\n", 3, "invalid YAML"),
        ("", None, "empty"),
        ("# only a comment\n", None, "empty"),
        ("- greet\n", 1, "top level must be a mapping"),
        ("intents: [greet]\nintents: [bye]\n", 2, "duplicate key 'intents' (first at line 1)"),
    ],
)
def test_broken_yaml_is_a_domain_error_with_its_line(tmp_path, text, line, phrase):
    path = tmp_path / "domain.yml"
    path.write_text(text)
    with pytest.raises(DomainError) as err:
        load_domain(path)
    assert err.value.line == line and phrase in err.value.problem
    assert str(err.value).startswith(f"{path}:{line}:" if line else f"{path}:")


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DomainError, match="cannot read"):
        load_domain(tmp_path / "nope.yml")
    (tmp_path / "bin.yml").write_bytes(b"intents:\n  - gr\xffeet\n")
    with pytest.raises(DomainError) as err:
        load_domain(tmp_path / "bin.yml")
    assert err.value.line == 2


# ----------------------------------------------------------------- assistant data validate


def test_data_validate_checks_the_domain_against_the_nlu_data(tmp_path):
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "nlu.yml").write_text(NLU)
    assert validate_data(tmp_path) == []  # no domain.yml: only the NLU files are checked
    (tmp_path / "domain.yml").write_text(BASE + GENERAL)
    assert validate_data(tmp_path) == []
    text = BASE.replace("priority: 50", "priority: urgent").replace("  - greet\n", "  - greet\n  - thank\n") + GENERAL
    (tmp_path / "domain.yml").write_text(text)
    problems = validate_data(tmp_path)
    assert len(problems) == 2
    assert any(p.startswith(f"{tmp_path / 'domain.yml'}:{line_of(text, 'priority:')}:") for p in problems)
    (tmp_path / "domain.yml").write_text("intents: [\n")
    assert "invalid YAML" in validate_data(tmp_path)[0]


def test_the_shipped_data_validates():
    assert validate_data(ROOT / "data") == []


def test_taste_must_be_an_optional_slot_of_a_recommending_task():
    text = BASE.replace("    confirm: false\n", "    confirm: false\n    taste: taxi-type\n") + GENERAL
    problem = only(check(text), "taste 'taxi-type'")
    assert problem.startswith(f"domain.yml:{line_of(text, 'taste:')}:") and "recommends" in problem
    text = BASE.replace("    confirm: false\n", "    confirm: false\n    recommend: taxi\n    taste: taxi-leaveat\n")
    assert "optional slots" in only(check(text + GENERAL), "taste 'taxi-leaveat'")
    text = BASE.replace("    confirm: false\n", "    confirm: false\n    recommend: taxi\n    taste: taxi-type\n")
    assert check(text + GENERAL) == []
