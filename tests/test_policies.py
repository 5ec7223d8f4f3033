"""The policies as pure functions: a state built from events, a hand-made parse, decisions out."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import said, several  # noqa: E402

from assistant import events as ev  # noqa: E402
from assistant.agent import load_policy_config  # noqa: E402
from assistant.domain import load_domain  # noqa: E402
from assistant.state import DialogueState  # noqa: E402
from policies import conflicts, cues, fallback, slot_policy, task_policy  # noqa: E402
from policies.context import Pending, PolicyConfig, Request, TurnContext, pending_question  # noqa: E402
from policies.decisions import (  # noqa: E402
    CONFIRM,
    CancelTask,
    DetectConflict,
    Recommend,
    RequestConfirmation,
    ResumeTask,
    RunAction,
    SetSlot,
    StartTask,
    SuspendTask,
    Utter,
)

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "data" / "domain.yml"
NOON_FRIDAY = datetime(2025, 5, 2, 12, 0)


@pytest.fixture(scope="module")
def domain():
    return load_domain(DOMAIN_FILE)


def ctx(pending: Pending | None = None, **config) -> TurnContext:
    return TurnContext(PolicyConfig(**config), NOON_FRIDAY, pending)


def state_of(*events: dict, turns: int = 0) -> DialogueState:
    users = [ev.user(f"m{i}", None, timestamp=1.0) for i in range(turns)]
    return DialogueState.from_events("alice", [*users, *events])


def task(task_id: str, task_type: str, priority: int, focus: bool = True, **slots) -> dict:
    return ev.task_started(task_id, task_type, priority, {k.replace("_", "-"): v for k, v in slots.items()},
                           focus=focus, timestamp=1.0)


def step_for(parse, state, domain, **config):
    [step] = task_policy.plan(Request.from_parse(parse), state, domain, ctx(**config), parse.text)
    return step


def of(kind, decisions):
    return [d for d in decisions if isinstance(d, kind)]


# ===================================================================== fallback


def test_confident_parse_passes_the_fallback(domain):
    assert fallback.decide(state_of(), said("a taxi please", "book_taxi", 0.9), domain, ctx()) == []


def test_low_confidence_offers_the_top_two_as_buttons(domain):
    [ask] = fallback.decide(state_of(), said("to london", "book_taxi", 0.4, ranking=[("book_train", 0.35)]),
                            domain, ctx())
    assert ask.response == "utter_clarify"
    assert ask.values == {"option_1": "book a taxi", "payload_1": "/book_taxi",
                          "option_2": "book a train", "payload_2": "/book_train"}


def test_a_close_second_is_ambiguous_even_when_confident(domain):
    parse = said("somewhere nice in the centre", "find_hotel", 0.55, ranking=[("find_restaurant", 0.5)])
    [ask] = fallback.decide(state_of(), parse, domain, ctx(fallback_threshold=0.5, ambiguity_margin=0.1))
    assert ask.response == "utter_clarify" and ask.values["payload_2"] == "/find_restaurant"


def test_a_request_for_a_place_that_names_no_task_is_asked_about_however_sure(domain):
    ranking = [("find_attraction", 0.04), ("book_hotel", 0.02), ("find_restaurant", 0.01)]
    parse = said("I am looking for a place", "find_hotel", 0.93, ranking=ranking)
    [ask] = fallback.decide(state_of(), parse, domain, ctx())
    assert ask.response == "utter_clarify"
    # two different tasks are offered (book_hotel would be the hotel again)
    assert (ask.values["payload_1"], ask.values["payload_2"]) == ("/find_hotel", "/find_attraction")
    # naming the task, a value, or continuing the task in focus is understood as it is
    for text in ("I need a place to stay", "somewhere to eat", "a place to see"):
        assert fallback.decide(state_of(), said(text, "find_hotel", 0.93, ranking=ranking), domain, ctx()) == []
    # a value only one task has names it; an area, a price or a day does not
    italian = said("an italian place", "find_restaurant", 0.93, ranking=ranking, restaurant_food="italian")
    assert fallback.decide(state_of(), italian, domain, ctx()) == []
    for value in ({"hotel_pricerange": "cheap"}, {"restaurant_bookday": ("sunday", "tonight")}, {"time": "tonight"}):
        vague = said("somewhere cheap for tonight", "find_hotel", 0.93, ranking=ranking, **value)
        assert fallback.decide(state_of(), vague, domain, ctx())[0].response == "utter_clarify"
    assert fallback.decide(state_of(task("hotel-1", "hotel", 10)), parse, domain, ctx()) == []
    # without "a place" or "somewhere", a confident request is taken at its word
    assert fallback.decide(state_of(), said("I'd like to book", "book_hotel", 0.93), domain, ctx()) == []


def test_one_sensible_option_is_offered_with_something_else(domain):
    [ask] = fallback.decide(state_of(), said("cab", "book_taxi", 0.45, ranking=[("greet", 0.3)]), domain, ctx())
    assert (ask.values["option_2"], ask.values["payload_2"]) == ("something else", "/help")


def test_nothing_to_offer_says_what_the_assistant_can_do(domain):
    for parse in (said("what's the weather?", "greet", 0.25, ranking=[("bye", 0.2)]),
                  said("sing", "out_of_scope", 0.99), said("zzz", "book_taxi", 0.1, ranking=[("book_train", 0.09)])):
        [reply] = fallback.decide(state_of(), parse, domain, ctx())
        assert reply.response == "utter_out_of_scope"
    [reply] = fallback.decide(state_of(), said("", None, 0.0), domain, ctx())
    assert reply.response == "utter_default"


def test_a_message_without_words_is_not_understood_however_sure_the_model_is(domain):
    # the model reads words: "🍕🍕🍕" read as thanks at 0.9 got "My pleasure."
    for text in ("\U0001F355\U0001F355\U0001F355", "?", "...", "\U0001F602"):
        [reply] = fallback.decide(state_of(), said(text, "thank", 0.9), domain, ctx())
        assert reply.response == "utter_default" and reply.expects is None
    # the open yes/no question stays open; a thumbs up, a thumbs down and a smile are still answers
    [reply] = fallback.decide(state_of(), said("\U0001F355", "thank", 0.9), domain, ctx(Pending(CONFIRM, "taxi-1")))
    assert (reply.response, reply.expects, reply.task_id) == ("utter_default", CONFIRM, "taxi-1")
    for text in ("\U0001F44D", "\U0001F44E", "\u274C", "\U0001F642"):
        assert not cues.wordless(text)
        assert fallback.decide(state_of(), said(text, "affirm", 0.9), domain, ctx(Pending(CONFIRM, "taxi-1"))) == []
    assert not cues.wordless("") and not cues.wordless("  ") and not cues.wordless("4")



@pytest.mark.parametrize("text,intent,entities", [
    ("somewhere to stay in the centre, not too expensive", "find_hotel", {"hotel_area": "centre"}),
    ("a restaurant that isn't expensive", "find_restaurant", {"restaurant_pricerange": ("expensive", "expensive")}),
    ("something not too pricey", "find_restaurant", {"restaurant_pricerange": ("expensive", "pricey")}),
])
def test_not_too_expensive_is_the_moderate_range(domain, text, intent, entities):
    [request] = Request.from_parse(said(text, intent, **entities))
    read = slot_policy.negated_price(request, state_of(), domain)
    prices = [e.value for e in read.entities if e.entity.endswith("-pricerange")]
    assert prices == ["moderate"]  # the tagger's "expensive" is gone


def test_not_too_expensive_in_a_clause_of_its_own_is_for_the_task_before_it(domain):
    first, second = Request.from_parse(several(
        "a hotel in the centre, not too expensive", said("a hotel in the centre", "find_hotel", hotel_area="centre"),
        said("not too expensive", "reject_suggestion")))
    read = slot_policy.negated_price(second, state_of(), domain, first)
    assert [(e.entity, e.value) for e in read.entities] == [("hotel-pricerange", "moderate")]
    assert slot_policy.negated_price(second, state_of(), domain) == second  # no task to give it to
    taxi = Request.from_parse(said("a taxi that isn't expensive", "book_taxi"))[0]
    assert slot_policy.negated_price(taxi, state_of(), domain) == taxi  # a taxi has no price range
    cheap = Request.from_parse(said("a cheap hotel", "find_hotel", hotel_pricerange="cheap"))[0]
    assert slot_policy.negated_price(cheap, state_of(), domain) == cheap


def test_emoji_that_say_something_on_their_own():
    assert [cues.emoji_intent(t) for t in ("\U0001F64F", "\U0001F64F\U0001F3FD\U0001F64F\U0001F3FD", "\u2764\ufe0f",
                                           "\U0001F44B")] == ["thank", "thank", "thank", "greet"]
    # mixed, with words, or of no known meaning: the model (or "sorry?") decides
    assert [cues.emoji_intent(t) for t in ("\U0001F44B\U0001F64F", "thanks \U0001F64F", "\U0001F355", "")] == [None] * 4
    assert not cues.wordless("\U0001F64F") and cues.wordless("\U0001F355")


def test_yes_and_no_are_offered_only_when_a_question_is_open(domain):
    parse = said("hmm ok", "affirm", 0.4, ranking=[("deny", 0.35)])
    assert fallback.decide(state_of(), parse, domain, ctx())[0].response == "utter_out_of_scope"
    pending = Pending(CONFIRM, "taxi-1")
    [ask] = fallback.decide(state_of(), parse, domain, ctx(pending))
    assert ask.values["payload_1"] == "/affirm" and ask.expects == CONFIRM and ask.task_id == "taxi-1"


def test_entities_answering_the_focused_task_beat_a_weak_intent(domain):
    state = state_of(task("restaurant-1", "restaurant", 20))
    parse = said("4", "inform", 0.3, ranking=[("book_hotel", 0.25)], hotel_bookpeople=4)
    assert fallback.decide(state, parse, domain, ctx()) == []  # a "people" answer fits the restaurant
    parse = several("a taxi and a train", said("a taxi", "book_taxi", 0.4), said("a train", "book_train", 0.4))
    assert fallback.decide(state_of(), parse, domain, ctx()) == []


# ===================================================================== cues


@pytest.mark.parametrize("text,there", [("book a table there", True), ("get me a taxi there", True),
                                        ("take me to that place", True), ("is there a pool", False),
                                        ("there is a problem", False), ("are there trains", False),
                                        ("there's a museum", False)])
def test_there_means_the_place_just_talked_about_only_where_it_points(text, there):
    assert cues.means_there(text) is there


def test_cues(domain):
    assert cues.is_urgent("I need a taxi right now") and cues.is_urgent("asap please") and not cues.is_urgent("later")
    assert cues.has_order("first the taxi, then the hotel") and not cues.has_order("a taxi and a hotel")
    assert cues.named_tasks("cancel the cab and the room", domain) == ["taxi", "hotel"]
    assert cues.named_tasks("never mind the sightseeing", domain) == ["attraction"]
    assert cues.resume_target("let's go back to the hotel", domain) == (True, "hotel")
    assert cues.resume_target("can we get back to the train?", domain) == (True, "train")
    assert cues.resume_target("a taxi please", domain) == (False, None)
    # "now" or "on to" right before a task, or "the hotel now" on its own: only with a task named
    assert cues.resume_target("ok now the hotel", domain) == (True, "hotel")
    assert cues.resume_target("right, on to the taxi", domain) == (True, "taxi")
    assert cues.resume_target("now for the train", domain) == (True, "train")
    assert cues.resume_target("the hotel now", domain) == (True, "hotel")
    assert cues.resume_target("now the one in the north", domain) == (False, None)
    assert cues.resume_target("a restaurant next to the hotel", domain) == (False, None)
    assert cues.resume_target("I need a hotel now", domain) == (False, None)
    assert cues.yes_or_no("affirm", "") == "yes" and cues.yes_or_no(None, "nope") == "no"
    assert cues.yes_or_no("inform", "4 people") is None
    # the NLU reads an emoji as thanks at best: a thumbs-up or a tick is a yes, a thumbs-down or a cross a no
    assert [cues.yes_or_no("thank", t) for t in ("👍", "👍🏽", "✅", "👎", "❌", "🙂", "👍 but not friday")] == [
        "yes", "yes", "yes", "no", "no", None, None]


def test_a_message_in_another_language_is_told_apart_from_english_with_foreign_names():
    from policies.language import not_english
    foreign = ["¿dónde está el hotel?", "你好", "привет, мне нужна гостиница", "je voudrais réserver une table",
               "ich brauche ein Taxi zum Bahnhof", "مرحبا", "vorrei una camera per due notti"]
    english = ["I need a taxi to the Bahnhof", "book a table for 2", "hola", "merci", "4", "", "👍", "ok",
               "is Le Petit Moulin open late?", "a table at Café de la Paix please", "friday at 7",
               "Straße?", "a hotel near the Musée d'Orsay"]
    assert [t for t in foreign if not not_english(t)] == []
    assert [t for t in english if not_english(t)] == []
    # a name found in the message is no evidence: "La Paellera, El Rincon" alone would read as Spanish
    assert not_english("La Paellera o El Rincon")
    assert not not_english("La Paellera o El Rincon", [(0, 11), (14, 23)])


def test_a_task_word_inside_an_entity_is_a_place(domain):
    parse = said("a taxi back to the hotel", "book_taxi", taxi_destination=("hotel", "the hotel"))
    assert cues.resume_target(parse.text, domain, parse.entities) == (True, None)
    state = state_of(task("hotel-1", "hotel", 30))
    assert step_for(parse, state, domain).kind == task_policy.TASK


# ===================================================================== task policy: planning


def test_several_requests_are_served_by_priority(domain):
    parse = several("a table and a taxi", said("a table", "book_restaurant"), said("a taxi", "book_taxi"))
    steps = task_policy.plan(Request.from_parse(parse), state_of(), domain, ctx(), parse.text)
    assert [(s.task_type, s.priority) for s in steps] == [("taxi", 50), ("restaurant", 20)]


def test_the_users_order_raises_the_earlier_requests(domain):
    parse = several("first a table, then a taxi", said("first a table", "book_restaurant"), said("a taxi", "book_taxi"))
    steps = task_policy.plan(Request.from_parse(parse), state_of(), domain, ctx(), parse.text)
    assert [(s.task_type, s.priority) for s in steps] == [("restaurant", 51), ("taxi", 50)]


def test_a_request_going_there_waits_for_the_place_the_message_asks_for(domain):
    parse = several("a table and a taxi there", said("a table", "book_restaurant"),
                    said("a taxi there", "book_taxi"))
    steps = task_policy.plan(Request.from_parse(parse), state_of(), domain, ctx(), parse.text)
    assert [(s.task_type, s.priority) for s in steps] == [("restaurant", 51), ("taxi", 50)]
    # a taxi that names where it goes, or says "there" of nothing in the message, keeps its priority
    named = several("a table and a taxi there, to the station", said("a table", "book_restaurant"),
                    said("a taxi there, to the station", "book_taxi", taxi_destination="station"))
    steps = task_policy.plan(Request.from_parse(named), state_of(), domain, ctx(), named.text)
    assert [(s.task_type, s.priority) for s in steps] == [("taxi", 50), ("restaurant", 20)]
    between = several("a hotel, a table and a taxi between them", said("a hotel", "find_hotel"),
                      said("a table", "book_restaurant"), said("a taxi between them", "book_taxi"))
    steps = task_policy.plan(Request.from_parse(between), state_of(), domain, ctx(), between.text)
    assert [(s.task_type, s.priority) for s in steps] == [("hotel", 52), ("restaurant", 51), ("taxi", 50)]
    assert cues.means_between("I need a taxi to commute between the two places") and not cues.means_between(
        "a taxi between 5 and 6")
    assert cues.between_tasks("a cab between the museum and the restaurant, please", domain) == (
        "attraction", "restaurant")
    assert cues.between_tasks("a taxi between the hotel and the station", domain) is None
    assert cues.same_as("a table in the same area as my hotel, same price range", domain) == [
        ("area", "hotel"), ("pricerange", None)]
    assert cues.same_as("anything in that part of town?", domain) == [("area", None)]
    assert cues.same_as("the same area and price range as the restaurant", domain) == [
        ("area", "restaurant"), ("pricerange", "restaurant")]
    assert cues.same_as("the same as before", domain) == []
    assert cues.means_in_time("a taxi to the restaurant in time for my reservation")
    assert cues.means_in_time("get me there before my booking") and not cues.means_in_time("a taxi at the time")
    alone = said("a taxi there", "book_taxi")
    assert [(s.task_type, s.priority) for s in task_policy.plan([Request.from_parse(alone)[0]], state_of(), domain,
                                                                  ctx(), alone.text)] == [("taxi", 50)]


def test_a_ride_to_a_booked_place_arrives_a_little_before_it(domain):
    def made(task_id, *args, **slots):
        return state_of(task(task_id, *args, **slots)).task(task_id)

    table = made("restaurant-1", "restaurant", 20, restaurant_name="Osteria Verde", restaurant_booktime="20:00",
                 restaurant_bookday="monday")
    ride = made("taxi-1", "taxi", 50, taxi_destination="Osteria Verde")
    assert task_policy.arrive_before(ride, table, domain, 15) == [SetSlot("taxi-arriveby", "19:45", "taxi-1")]
    # a time the user gave stands; a booking without a time, or one whose time is an arrival, gives none
    timed = made("taxi-1", "taxi", 50, taxi_destination="Osteria Verde", taxi_leaveat="19:00")
    assert task_policy.arrive_before(timed, table, domain, 15) == []
    assert task_policy.arrive_before(ride, made("hotel-1", "hotel", 30, hotel_name="Lockside"), domain, 15) == []
    train = made("train-1", "train", 40, train_departure="cambridge", train_arriveby="10:00", train_day="friday")
    assert task_policy.arrive_before(ride, train, domain, 15) == []
    early = made("restaurant-1", "restaurant", 20, restaurant_name="Osteria Verde", restaurant_booktime="00:10")
    assert task_policy.arrive_before(ride, early, domain, 15) == []


def test_urgency_raises_priority(domain):
    assert step_for(said("a table asap", "book_restaurant"), state_of(), domain).priority == 120
    near = said("a table at 12:30", "book_restaurant", restaurant_booktime="12:30")
    assert step_for(near, state_of(), domain).priority == 120  # within the hour of noon
    later_day = said("a table saturday at 12:30", "book_restaurant", restaurant_booktime="12:30",
                     restaurant_bookday="saturday")
    assert step_for(later_day, state_of(), domain).priority == 20
    assert step_for(said("a table at 19:00", "book_restaurant", restaurant_booktime="19:00"),
                    state_of(), domain).priority == 20


def test_details_after_a_request_join_it(domain):
    parse = several("a table for 4, at 7pm", said("a table for 4", "book_restaurant", restaurant_bookpeople=4),
                    said("at 7pm", "inform", restaurant_booktime=("19:00", "7pm")))
    [step] = task_policy.plan(Request.from_parse(parse), state_of(), domain, ctx(), parse.text)
    assert step.kind == task_policy.TASK and len(step.request.entities) == 2


def test_classification(domain):
    state = state_of(task("hotel-1", "hotel", 30), task("taxi-1", "taxi", 50))
    assert step_for(said("cancel the taxi", "cancel_task"), state, domain).kind == task_policy.CANCEL
    assert step_for(said("back to the hotel", "inform"), state, domain).kind == task_policy.RESUME
    assert step_for(said("I'm vegan", "inform_preference", diet="vegan"), state, domain).kind == task_policy.PREFERENCE
    assert step_for(said("hi", "greet"), state, domain).kind == task_policy.CHITCHAT
    assert step_for(said("3 nights", "inform", hotel_bookstay=3), state, domain).kind == task_policy.INFORM
    assert step_for(said("hmm", "inform"), state, domain).kind == task_policy.OTHER


# ===================================================================== task policy: deciding


@pytest.mark.parametrize("text,intent,entities,kind", [
    ("I'm staying at the Lockside Guesthouse", "book_hotel", {"hotel_name": "Lockside Guesthouse"}, "stay"),
    ("our hotel is the Kingsmere Hotel", "find_hotel", {"hotel_name": "Kingsmere Hotel"}, "stay"),
    ("we already have a room at Bramble Court", "book_hotel", {"hotel_name": "Bramble Court"}, "stay"),
    # a wish, a booking asked for, or no place named: a hotel task as before
    ("I'd like to stay at the Lockside Guesthouse", "book_hotel", {"hotel_name": "Lockside Guesthouse"}, "task"),
    ("we're staying at the Lockside Guesthouse, can you book it for 2 nights", "book_hotel",
     {"hotel_name": "Lockside Guesthouse", "hotel_bookstay": 2}, "task"),
    ("I'm staying in the north", "find_hotel", {"hotel_area": "north"}, "task"),
])
def test_a_place_the_user_already_stays_at_is_no_booking(domain, text, intent, entities, kind):
    step = step_for(said(text, intent, **entities), state_of(), domain)
    assert step.kind == kind and step.task_type == "hotel"
    if kind == "stay":
        start, done = task_policy.stay(step, state_of(), domain)
        assert isinstance(start, StartTask) and start.goal == "stay" and start.focus is False
        assert start.slots == {"hotel-name": entities["hotel_name"]} and done.task_id == start.task_id


def test_higher_priority_request_suspends_the_focused_task(domain):
    state = state_of(task("hotel-1", "hotel", 30, hotel_name="Acorn"))
    decisions = task_policy.start_or_merge(step_for(said("a taxi", "book_taxi"), state, domain), state, domain)
    assert of(SuspendTask, decisions)[0].task_id == "hotel-1"
    [start] = of(StartTask, decisions)
    assert (start.task_id, start.focus) == ("taxi-1", True)


def test_lower_priority_request_is_queued_and_announced(domain):
    state = state_of(task("taxi-1", "taxi", 50))
    decisions = task_policy.start_or_merge(step_for(said("a museum", "find_attraction"), state, domain), state, domain)
    [start] = of(StartTask, decisions)
    assert start.focus is False and start.goal == "find"
    [queued] = of(Utter, decisions)
    assert queued.response == "utter_queue_task" and queued.values == {"task": "sightseeing plan", "current": "taxi"}
    # a more important task waiting too comes back before it: the user is told both ("after the taxi and the hotel")
    state = state_of(task("hotel-1", "hotel", 30), task("taxi-1", "taxi", 50))
    [queued] = of(Utter, task_policy.start_or_merge(step_for(said("a museum", "find_attraction"), state, domain),
                                                    state, domain))
    assert queued.values == {"task": "sightseeing plan", "current": "taxi and the hotel"}
    state = state_of(task("attraction-1", "attraction", 10), task("taxi-1", "taxi", 50))
    [queued] = of(Utter, task_policy.start_or_merge(step_for(said("a hotel", "find_hotel"), state, domain),
                                                    state, domain))
    assert queued.values == {"task": "hotel", "current": "taxi"}  # the museum waits behind the hotel


def test_a_question_asked_while_choosing_is_answered_at_once(domain):
    """ "What can I eat nearby?" while a hotel suggestion waits for an answer: the restaurant question
    takes the focus (nothing is under way); a booking request, or a question during a booking, waits."""
    offered = ev.bot("How about Larkspur Inn?", metadata={"expects": "suggestion", "task_id": "hotel-1"},
                     timestamp=1.0)
    choosing = state_of(task("hotel-1", "hotel", 30), offered, ev.user("what can I eat nearby?", None, timestamp=2.0))
    question = said("what can I eat nearby?", "find_restaurant")
    [start] = of(StartTask, task_policy.start_or_merge(step_for(question, choosing, domain), choosing, domain))
    assert (start.task_type, start.focus, start.goal) == ("restaurant", True, "find")
    booking = said("book a table at Osteria Verde", "book_restaurant", restaurant_name="Osteria Verde")
    [start] = of(StartTask, task_policy.start_or_merge(step_for(booking, choosing, domain), choosing, domain))
    assert start.focus is False
    asking = state_of(task("hotel-1", "hotel", 30), ev.slot_set("requested_slot", "hotel-bookstay", "hotel-1"))
    [start] = of(StartTask, task_policy.start_or_merge(step_for(question, asking, domain), asking, domain))
    assert start.focus is False


def test_equal_priority_takes_the_focus(domain):
    state = state_of(task("restaurant-1", "restaurant", 20))
    decisions = task_policy.start_or_merge(
        step_for(said("another table", "book_restaurant"), state, domain), state, domain)
    assert of(StartTask, decisions)[0].focus is True  # "another": a second restaurant task, not a merge


def test_repeat_request_merges_into_the_open_task(domain):
    state = state_of(task("restaurant-1", "restaurant", 20, restaurant_food="thai"), task("taxi-1", "taxi", 50),
                     ev.user("a table for 3", None))  # asked for again a turn later
    step = step_for(said("a table for 3", "book_restaurant", restaurant_bookpeople=3), state, domain)
    decisions = task_policy.start_or_merge(step, state, domain)
    assert not of(StartTask, decisions)
    assert SetSlot("restaurant-bookpeople", 3, "restaurant-1") in decisions
    assert [d.kind for d in of(DetectConflict, decisions)] == ["duplicate"]


def test_bare_answer_goes_to_the_focused_task_by_kind(domain):
    state = state_of(task("hotel-1", "hotel", 30))
    step = step_for(said("4 people", "inform", restaurant_bookpeople=4), state, domain)
    assert task_policy.inform(step, state, domain) == [SetSlot("hotel-bookpeople", 4, "hotel-1")]


def test_detail_for_another_open_task_goes_there(domain):
    state = state_of(task("hotel-1", "hotel", 30, focus=True), task("taxi-1", "taxi", 50))
    step = step_for(said("3 nights for the hotel", "inform", hotel_bookstay=3), state, domain)
    decisions = task_policy.inform(step, state, domain)
    assert SetSlot("hotel-bookstay", 3, "hotel-1") in decisions
    assert of(Utter, decisions)[0].response == "utter_task_merged"


def test_cancel_names_the_task_or_means_the_focused_one(domain):
    state = state_of(task("hotel-1", "hotel", 30), task("taxi-1", "taxi", 50))
    named = task_policy.cancel(step_for(said("forget the room", "cancel_task"), state, domain), state, domain)
    assert of(CancelTask, named) == [CancelTask("hotel-1", "user")]
    focused = task_policy.cancel(step_for(said("cancel it", "cancel_task"), state, domain), state, domain)
    assert of(CancelTask, focused) == [CancelTask("taxi-1", "user")]
    everything = task_policy.cancel(step_for(said("cancel everything", "cancel_task"), state, domain), state, domain)
    assert {d.task_id for d in of(CancelTask, everything)} == {"hotel-1", "taxi-1"}


def test_cancel_after_the_booking_asks_about_the_booking(domain):
    booked = [task("taxi-1", "taxi", 30, taxi_destination="station", taxi_ref="BKIL7S66"),
              ev.task_completed("taxi-1", {}, timestamp=1.0)]
    noted = [task("attraction-1", "attraction", 5, attraction_ref="NOTE1234"),
             ev.task_completed("attraction-1", {}, timestamp=1.0)]
    [ask] = task_policy.cancel(step_for(said("cancel the taxi", "cancel_task"), state_of(*booked), domain),
                               state_of(*booked), domain)
    assert ask.response == "utter_ask_cancel_booking" and ask.expects == "cancel_booking"
    assert ask.values == {"task": "taxi", "reference": "BKIL7S66"} and ask.task_id == "taxi-1"
    # a noted search has nothing to cancel, nor has a train that was never booked
    for events, text in ((noted, "cancel it"), (booked, "cancel the train")):
        [reply] = task_policy.cancel(step_for(said(text, "cancel_task"), state_of(*events), domain),
                                     state_of(*events), domain)
        assert reply.response == "utter_nothing_to_cancel"


def test_cancel_without_focus_asks_which(domain):
    state = state_of(task("hotel-1", "hotel", 30, focus=False), task("taxi-1", "taxi", 50, focus=False))
    [ask] = task_policy.cancel(step_for(said("cancel it", "cancel_task"), state, domain), state, domain)
    assert ask.response == "utter_ask_which_task" and ask.values["options"] == "the hotel or the taxi"


def test_explicit_resume_ignores_priority(domain):
    state = state_of(task("restaurant-1", "restaurant", 20), task("taxi-1", "taxi", 50))
    step = step_for(said("let's go back to the restaurant", "inform"), state, domain)
    assert task_policy.resume(step, state, domain) == [
        SuspendTask("taxi-1", "user went back to restaurant-1"), ResumeTask("restaurant-1")]


def test_the_most_important_waiting_task_resumes_next(domain):
    state = state_of(task("attraction-1", "attraction", 10), task("hotel-1", "hotel", 30),
                     task("restaurant-1", "restaurant", 20), ev.task_completed("restaurant-1", timestamp=1.0))
    assert task_policy.resume_next(state) == [ResumeTask("hotel-1")]


# ===================================================================== slot policy


def test_values_are_validated_and_corrections_detected(domain):
    checked = slot_policy.check({"restaurant-bookpeople": 2},
                                {"restaurant-bookpeople": "four", "restaurant-booktime": "7pm",
                                 "restaurant-area": "Centre"}, domain)
    assert checked.values == {"restaurant-bookpeople": 4, "restaurant-area": "centre"}
    assert checked.corrected == [("restaurant-bookpeople", 2, 4)]
    assert [slot for slot, _, _ in checked.invalid] == ["restaurant-booktime"]  # not normalised to HH:MM
    asks = slot_policy.fill("restaurant-1", checked, domain)
    assert [d.response for d in of(Utter, asks)] == ["utter_slot_corrected", "utter_invalid_value"]
    assert SetSlot("requested_slot", "restaurant-booktime", "restaurant-1") in asks


def test_next_step_asks_confirms_then_acts(domain):
    state = state_of(task("taxi-1", "taxi", 50, taxi_departure="station"))
    taxi = state.task("taxi-1")
    step = slot_policy.next_step(state, taxi, domain)
    assert step == [SetSlot("requested_slot", "taxi-destination", "taxi-1"),
                    Utter("utter_ask_taxi-destination", task_id="taxi-1", expects="slot")]
    state.apply(ev.slot_set("taxi-destination", "airport", "taxi-1"))
    state.apply(ev.slot_set("taxi-arriveby", "09:00", "taxi-1"))  # either time answers the "any one of" group
    step = slot_policy.next_step(state, taxi, domain)
    assert of(RequestConfirmation, step) and of(Utter, step)[0].response == "utter_confirm_taxi"
    state.apply(ev.task_confirmation_requested("taxi-1"))
    answer = slot_policy.answer(Pending(CONFIRM, "taxi-1"), state, Request("yes", "affirm", 0.9, ()), domain)
    assert answer == [RunAction("taxi-1", "action_book_taxi")]
    no = slot_policy.answer(Pending(CONFIRM, "taxi-1"), state, Request("no", "deny", 0.9, ()), domain)
    assert no[0] == ResumeTask("taxi-1") and no[1].response == "utter_ask_change"
    fix = said("no, at 8am", "deny", taxi_arriveby="08:00")
    assert slot_policy.answer(Pending(CONFIRM, "taxi-1"), state, Request.from_parse(fix)[0], domain) is None


def test_browsing_suggests_a_choice_then_offers_the_booking(domain):
    state = state_of(ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-food": "thai"}, goal="find"))
    restaurant = state.task("restaurant-1")
    [suggest] = slot_policy.next_step(state, restaurant, domain)
    assert isinstance(suggest, Recommend) and suggest.kind == "restaurant" and suggest.task_id == "restaurant-1"
    # without a recommender (or nothing that fits) the choice is asked instead
    assert of(Utter, list(suggest.fallback))[0].response == "utter_ask_restaurant-name"
    assert [d.response for d in slot_policy.reask(state, domain)] == ["utter_ask_restaurant-name"]
    state.apply(ev.slot_set("restaurant-name", "Bangkok City", "restaurant-1"))
    [offer] = slot_policy.next_step(state, restaurant, domain)
    assert offer.response == "utter_offer_book_restaurant" and offer.expects == "offer"
    museum = state_of(ev.task_started("attraction-1", "attraction", 10, {"attraction-type": "museum"}, goal="find"))
    [suggest] = slot_policy.next_step(museum, museum.task("attraction-1"), domain)
    assert suggest.kind == "attraction" and suggest.fallback == (RunAction("attraction-1", "action_find_attraction"),)


def test_a_booking_without_a_place_suggests_one(domain):
    state = state_of(ev.task_started("restaurant-1", "restaurant", 20, {"restaurant-bookpeople": 2}))
    [suggest] = slot_policy.next_step(state, state.task("restaurant-1"), domain)
    assert isinstance(suggest, Recommend) and of(Utter, list(suggest.fallback))[0].response == "utter_ask_restaurant-name"
    taxi = state_of(ev.task_started("taxi-1", "taxi", 50, {}))
    assert not any(isinstance(d, Recommend) for d in slot_policy.next_step(taxi, taxi.task("taxi-1"), domain))


# ===================================================================== conflicts


def test_time_clash_on_the_same_day(domain):
    state = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_name="Nandos", restaurant_bookday="friday",
             restaurant_booktime="19:00"),
        task("train-1", "train", 40, train_day="friday", train_leaveat="18:45"))
    detect, ask = conflicts.detect(state, domain, ctx())
    assert detect.kind == "time" and set(detect.task_ids) == {"restaurant-1", "train-1"}
    # a train leaving town goes after dinner (leaving at 18:00 would miss the table as well)
    assert detect.detail["fix_task"] == "train-1" and detect.detail["fix_slots"] == {"train-leaveat": "20:00"}
    assert ask.response == "utter_conflict_time" and ask.expects == "conflict"
    assert "change the departure time of your train journey to 20:00" in ask.values["fix"]
    state.apply(detect.event(2.0))
    assert conflicts.detect(state, domain, ctx()) == []  # raised once
    # a train arriving just before dinner arrives earlier instead: the user comes to the table from it
    arriving = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_name="Nandos", restaurant_bookday="friday",
             restaurant_booktime="19:00"),
        task("train-1", "train", 40, train_day="friday", train_arriveby="18:30"))
    detect, _ = conflicts.detect(arriving, domain, ctx())
    assert detect.detail["fix_slots"] == {"train-arriveby": "18:00"}


def test_no_clash_on_other_days_or_far_apart(domain):
    other_day = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_bookday="friday", restaurant_booktime="19:00"),
        task("train-1", "train", 40, train_day="saturday", train_leaveat="18:45"))
    far = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_bookday="friday", restaurant_booktime="19:00"),
        task("train-1", "train", 40, train_day="friday", train_leaveat="09:00"))
    unknown_day = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_booktime="19:00"),
        task("train-1", "train", 40, train_day="friday", train_leaveat="18:45"))
    for state in (other_day, far, unknown_day):
        assert conflicts.detect(state, domain, ctx()) == []


def test_taxi_reaching_a_booking_late(domain):
    state = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_name="Nandos", restaurant_bookday="friday",
             restaurant_booktime="19:00"),
        task("taxi-1", "taxi", 50, taxi_destination="the Nandos", taxi_leaveat="19:10"))
    detect, _ = conflicts.detect(state, domain, ctx())
    assert detect.kind == "place" and detect.detail["fix_slots"] == {"taxi-leaveat": None, "taxi-arriveby": "18:45"}
    on_time = state_of(
        task("restaurant-1", "restaurant", 20, restaurant_name="Nandos", restaurant_bookday="friday",
             restaurant_booktime="19:00"),
        task("taxi-1", "taxi", 50, taxi_destination="Nandos", taxi_arriveby="18:40"))
    assert conflicts.detect(on_time, domain, ctx()) == []  # a ride there just before is the plan, not a clash


@pytest.mark.parametrize("words, waits", [
    ("and a taxi from the station to the hotel at 3pm", True),
    ("hold on, I need a taxi from the station to the hotel at 3pm", False),  # broken off on purpose
])
def test_a_ride_to_the_hotel_being_chosen_waits_for_it_unless_the_user_breaks_off(domain, words, waits):
    state = state_of(task("hotel-1", "hotel", 40, hotel_area="north"))
    taxi = domain.tasks["taxi"]
    out = task_policy.start(taxi, 50, "book", {"taxi-departure": "station", "taxi-destination": "hotel"}, state,
                            domain, words=words)
    [started] = [d for d in out if isinstance(d, StartTask)]
    assert started.focus is not waits
    chosen = state_of(task("hotel-1", "hotel", 40, hotel_area="north", hotel_name="Acorn Guest House"))
    out = task_policy.start(taxi, 50, "book", {"taxi-destination": "hotel"}, chosen, domain, words=words)
    assert [d for d in out if isinstance(d, StartTask)][0].focus  # the hotel is known: the ride goes now


def test_a_taxi_to_the_station_is_the_way_to_the_train_not_a_clash_with_it(domain):
    def plans(**taxi_time):
        return state_of(
            task("train-1", "train", 40, train_departure="cambridge", train_destination="london",
                 train_day="friday", train_leaveat="18:00", train_bookpeople=1),
            task("taxi-1", "taxi", 50, taxi_departure="Acorn Guest House", taxi_destination="the station",
                 **taxi_time))
    assert conflicts.detect(plans(taxi_arriveby="17:45"), domain, ctx()) == []  # just before it leaves: the plan
    detect, _ = conflicts.detect(plans(taxi_arriveby="18:20"), domain, ctx())
    assert detect.kind == "place" and detect.detail["fix_slots"] == {"taxi-arriveby": "17:45"}


def test_diet_against_a_steakhouse(domain):
    state = state_of(ev.slot_set("diet", "veggie"), task("restaurant-1", "restaurant", 20,
                                                         restaurant_food="steakhouse"))
    detect, ask = conflicts.detect(state, domain, ctx())
    assert detect.kind == "profile" and detect.detail["constraint"] == "vegetarian"
    assert ask.values == {"constraint": "vegetarian", "value": "steakhouse"}
    fine = state_of(ev.slot_set("diet", "vegetarian"), task("restaurant-1", "restaurant", 20, restaurant_food="thai"))
    assert conflicts.detect(fine, domain, ctx()) == []


def test_diet_against_a_place_booked_by_its_name(domain):
    """The name says nothing ("The Butcher's Block"): the catalogue, looked up through the turn's
    context, says it is a steakhouse."""
    steakhouses = {"butcher's block"}
    lookup = lambda kind, name, diet: kind == "restaurant" and str(name).lower() in steakhouses  # noqa: E731
    state = state_of(ev.slot_set("diet", "vegetarian"), task("restaurant-1", "restaurant", 20,
                                                             restaurant_name="Butcher's Block"))
    assert conflicts.detect(state, domain, ctx()) == []  # no catalogue: nothing to go by
    turn = TurnContext(PolicyConfig(), NOON_FRIDAY, None, diet_clash=lookup)
    detect, ask = conflicts.detect(state, domain, turn)
    assert detect.kind == "profile" and detect.detail["slot"] == "restaurant-name"
    assert ask.values == {"constraint": "vegetarian", "value": "Butcher's Block"}
    fine = state_of(ev.slot_set("diet", "vegetarian"), task("restaurant-1", "restaurant", 20,
                                                            restaurant_name="Curry Garden"))
    assert conflicts.detect(fine, domain, turn) == []


def test_open_conflicts_are_settled_when_they_go_away_or_are_passed_over(domain):
    state = state_of(ev.slot_set("diet", "vegetarian"), task("restaurant-1", "restaurant", 20,
                                                             restaurant_food="steakhouse"))
    for decision in conflicts.detect(state, domain, ctx()):
        if isinstance(decision, DetectConflict):
            state.apply(decision.event(1.0))
    state.apply(ev.user("italian", None))
    state.apply(ev.slot_set("restaurant-food", "italian", "restaurant-1"))
    [resolved] = conflicts.recheck(state, domain, ctx())
    assert (resolved.kind, resolved.resolution) == ("profile", "changed")


def test_stale_task_reminded_once(domain):
    state = state_of(task("hotel-1", "hotel", 30), task("taxi-1", "taxi", 50), turns=0)
    for _ in range(3):
        state.apply(ev.user("...", None))
    assert conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=True) == []
    state.apply(ev.user("...", None))
    detect, remind = conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=True)
    assert detect.kind == "stale" and detect.task_ids == ("hotel-1",) and remind.response == "utter_remind_task"
    assert conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=False) == []
    state.apply(detect.event(1.0))
    assert conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=True) == []



def test_queued_task_that_never_had_the_focus_is_not_reminded(domain):
    # "what can I eat nearby?" while a taxi waits for its yes: the search was put in the queue, not left
    state = state_of(task("taxi-1", "taxi", 50), task("restaurant-1", "restaurant", 30, focus=False), turns=0)
    for _ in range(6):
        state.apply(ev.user("...", None))
    assert conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=True) == []
    state.apply(ev.task_resumed("restaurant-1", timestamp=1.0))  # worked on, then left for the taxi again
    state.apply(ev.task_resumed("taxi-1", timestamp=1.0))
    for _ in range(4):
        state.apply(ev.user("...", None))
    detect, remind = conflicts.stale(state, domain, ctx(stale_after_turns=4), may_ask=True)
    assert detect.task_ids == ("restaurant-1",) and remind.response == "utter_remind_task"


def test_stale_task_dropped_only_after_a_reminder_the_user_could_answer_alone(domain):
    for alongside in (False, True):
        state = state_of(task("hotel-1", "hotel", 30), task("taxi-1", "taxi", 50), turns=0)
        for _ in range(2):
            state.apply(ev.user("...", None))
        detect, _ = conflicts.stale(state, domain, ctx(stale_after_turns=2), may_ask=True, alongside=alongside)
        state.apply(detect.event(1.0))
        state.apply(ev.user("...", None))  # the reminder passed over
        settled = conflicts.recheck(state, domain, ctx())
        assert [(d.kind, d.resolution) for d in settled] == ([("stale", "ignored")] if alongside else [])
        for decision in settled:
            state.apply(decision.event(1.0))
        state.apply(ev.user("...", None))
        dropped = conflicts.stale(state, domain, ctx(stale_after_turns=2, expire_after_turns=2), may_ask=True)
        if alongside:  # it waits its turn; never reminded twice
            assert dropped == []
        else:
            cancel, resolved, told = dropped
            assert (cancel.task_id, resolved.resolution, told.response) == ("hotel-1", "expired", "utter_task_expired")


# ===================================================================== context


def test_pending_question_is_read_from_the_last_bot_turn():
    state = state_of(ev.user("hi", None), ev.bot("Shall I book it?", metadata={"expects": "confirm", "task_id": "t-1"}))
    assert pending_question(state) == Pending("confirm", "t-1", None)
    state.apply(ev.user("yes", None))
    assert pending_question(state) is None


def test_policy_config_reads_its_section(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("nlu:\n  epochs: 3\npolicies:\n  fallback_threshold: 0.6\n  stale_after_turns: 2\n")
    config = load_policy_config(path)
    assert config.fallback_threshold == 0.6 and config.stale_after_turns == 2
    assert load_policy_config(tmp_path / "missing.yml") == PolicyConfig()
    with pytest.raises(ValueError, match="fallback_treshold"):
        PolicyConfig.from_mapping({"fallback_treshold": 0.5})


# ===================================================================== the taste question


def _asked_food(**slots):
    state = state_of(task("restaurant-1", "restaurant", 20, **slots))
    state.apply(ev.slot_set("requested_slot", "restaurant-food", "restaurant-1"))
    return state


def test_surprise_me_settles_an_optional_slot_as_dontcare(domain):
    from policies.context import Request as R

    state, pending = _asked_food(), Pending("slot", "restaurant-1")
    for text in ("surprise me", "I don't mind", "any cuisine is fine", "you choose", "whatever", "no", "not really"):
        assert slot_policy.answer_no_preference(pending, state, R(text, "inform", 0.3, ()), domain) == [
            SetSlot("restaurant-food", "dontcare", "restaurant-1"), SetSlot("requested_slot", None, "restaurant-1")], text
    # the taste question offers to surprise: a bare yes takes the offer
    for text in ("yes", "ok", "sure"):
        assert slot_policy.answer_no_preference(pending, state, R(text, "affirm", 0.9, ()), domain)[0] == \
            SetSlot("restaurant-food", "dontcare", "restaurant-1"), text
    # a cuisine is an answer of its own; a required slot cannot be left to us
    indian = Request.from_parse(said("any indian place", "inform", restaurant_food="indian"))[0]
    assert slot_policy.answer_no_preference(pending, state, indian, domain) is None
    assert slot_policy.answer_no_preference(pending, state, R("italian", "inform", 0.9, ()), domain) is None
    state.apply(ev.slot_set("requested_slot", "restaurant-pricerange", "restaurant-1"))
    # "any price range in mind?" "yes": that is no answer yet (only the taste question offers to surprise)
    assert slot_policy.answer_no_preference(pending, state, R("yes", "affirm", 0.9, ()), domain) is None
    state.apply(ev.slot_set("requested_slot", "restaurant-bookpeople", "restaurant-1"))
    assert slot_policy.answer_no_preference(pending, state, R("I don't mind", "inform", 0.9, ()), domain) is None


def test_a_weak_yes_or_no_that_the_words_confirm_answers_a_yes_no_question(domain):
    keep = said("no, keep it", "deny", 0.49, ranking=[("reject_suggestion", 0.23)])
    for expects in ("cancel_booking", "confirm", "offer"):
        assert fallback.decide(state_of(), keep, domain, ctx(Pending(expects, "taxi-1"))) == []
    # without a question, or when the words and the intent disagree, the user is asked as before
    assert fallback.decide(state_of(), keep, domain, ctx())[0].response == "utter_clarify"
    taxi = said("no, a taxi instead", "book_taxi", 0.45, ranking=[("deny", 0.4)])
    assert fallback.decide(state_of(), taxi, domain, ctx(Pending("confirm", "taxi-1")))[0].response == "utter_clarify"
    vague = said("keep it", "deny", 0.45, ranking=[("affirm", 0.4)])
    assert fallback.decide(state_of(), vague, domain, ctx(Pending("confirm", "taxi-1")))[0].response == "utter_clarify"


def test_surprise_me_passes_the_fallback_at_an_optional_slot_question_or_with_nothing_open(domain):
    weak = said("surprise me", "greet", 0.26)
    assert fallback.decide(_asked_food(), weak, domain, ctx(Pending("slot", "restaurant-1"))) == []
    # with nothing open the dialogue asks "somewhere to eat, to stay or something to see?"
    assert fallback.decide(state_of(), weak, domain, ctx()) == []
    # a task in hand but no question to answer: unsure as ever
    assert fallback.decide(_asked_food(), weak, domain, ctx()) != []


def test_the_taste_question_is_asked_once_to_a_user_whose_taste_is_unknown(domain):
    from assistant.profile.model import UserProfile
    from assistant.profile.updates import apply_statement, record_suggestion
    from policies import recommend_policy

    restaurant = domain.tasks["restaurant"]
    state = state_of(task("restaurant-1", "restaurant", 20, restaurant_area="north"))
    fresh = state.task("restaurant-1")
    new_user = UserProfile.empty("ann", 100.0)
    assert recommend_policy.taste_question(fresh, restaurant, new_user, 100.0, suggested=False) == [
        SetSlot("requested_slot", "restaurant-food", "restaurant-1"),
        Utter("utter_ask_taste_restaurant", task_id="restaurant-1", expects="slot")]
    # not when: something was suggested already, the profile knows a liked cuisine or a restaurant
    # suggested before, the slot is filled (even with "dontcare"), or the question was just asked
    assert recommend_policy.taste_question(fresh, restaurant, new_user, 100.0, suggested=True) is None
    loves = said("I love thai food", "inform_preference", restaurant_food="thai")
    knows = apply_statement(new_user, "inform_preference", loves.entities, loves.text, 100.0).profile
    assert knows.score("food", "thai", 100.0) > 0
    assert recommend_policy.taste_question(fresh, restaurant, knows, 100.0, suggested=False) is None
    seen = record_suggestion(new_user, {"id": "restaurant-0001", "kind": "restaurant", "name": "X"}, 100.0).profile
    assert recommend_policy.taste_question(fresh, restaurant, seen, 100.0, suggested=False) is None
    hotel_only = record_suggestion(new_user, {"id": "hotel-0001", "kind": "hotel", "name": "Y"}, 100.0).profile
    assert recommend_policy.taste_question(fresh, restaurant, hotel_only, 100.0, suggested=False) is not None
    for slots in ({"restaurant_food": "dontcare"}, {"restaurant_food": "thai"}):
        filled = state_of(task("restaurant-1", "restaurant", 20, **slots)).task("restaurant-1")
        assert recommend_policy.taste_question(filled, restaurant, new_user, 100.0, suggested=False) is None
    assert recommend_policy.taste_question(_asked_food().task("restaurant-1"), restaurant, new_user, 100.0,
                                           suggested=False) is None
    # a known diet answers the food question, as "I'm vegetarian" does when it is asked; not the sights one
    veggie = said("I'm vegetarian", "inform_preference", diet="vegetarian")
    vegetarian = apply_statement(new_user, "inform_preference", veggie.entities, veggie.text, 100.0).profile
    assert vegetarian.constraints.diet
    assert recommend_policy.taste_question(fresh, restaurant, vegetarian, 100.0, suggested=False) is None
    sights = state_of(task("attraction-1", "attraction", 10)).task("attraction-1")
    assert recommend_policy.taste_question(sights, domain.tasks["attraction"], vegetarian, 100.0,
                                           suggested=False) is not None
    # a task without a taste slot never asks
    assert recommend_policy.taste_question(state_of(task("hotel-1", "hotel", 30)).task("hotel-1"),
                                           domain.tasks["hotel"], new_user, 100.0, suggested=False) is None


def test_sightseeing_asks_what_kind_of_place_and_a_liked_kind_of_hotel_is_no_answer(domain):
    from assistant.profile.model import UserProfile
    from assistant.profile.updates import apply_statement
    from policies import recommend_policy

    attraction = domain.tasks["attraction"]
    kinds = domain.slots["attraction-type"].values
    fresh = state_of(task("attraction-1", "attraction", 10)).task("attraction-1")
    new_user = UserProfile.empty("bo", 100.0)
    assert recommend_policy.taste_question(fresh, attraction, new_user, 100.0, suggested=False, values=kinds) == [
        SetSlot("requested_slot", "attraction-type", "attraction-1"),
        Utter("utter_ask_taste_attraction", task_id="attraction-1", expects="slot")]
    # hotel-type and attraction-type are both "type": a liked guesthouse says nothing of sights
    guesthouse = said("I prefer guesthouses", "inform_preference", hotel_type="guesthouse")
    hotelier = apply_statement(new_user, "inform_preference", guesthouse.entities, guesthouse.text, 100.0).profile
    assert hotelier.score("type", "guesthouse", 100.0) > 0
    assert recommend_policy.taste_question(fresh, attraction, hotelier, 100.0, suggested=False, values=kinds)
    museums = said("I love museums", "inform_preference", attraction_type="museum")
    curious = apply_statement(new_user, "inform_preference", museums.entities, museums.text, 100.0).profile
    assert recommend_policy.taste_question(fresh, attraction, curious, 100.0, suggested=False, values=kinds) is None


def test_two_cuisines_loved_are_a_taste_not_a_search(domain):
    state = _asked_food()
    from nlu.types import ParsedEntity

    both = said("I love indian and thai food", "inform_preference", restaurant_food="indian")
    both.entities.append(ParsedEntity("restaurant-food", "thai", 18, 22, 0.99, "test", "thai"))
    decisions = task_policy.preference(step_for(both, state, domain), state, domain)
    assert not [d for d in of(SetSlot, decisions) if d.name == "restaurant-food"]
    assert of(Utter, decisions)[-1].values == {"preference": "Indian food and Thai food"}
    one = said("I love indian food", "inform_preference", restaurant_food="indian")
    decisions = task_policy.preference(step_for(one, state, domain), state, domain)
    assert SetSlot("restaurant-food", "indian", "restaurant-1") in decisions
