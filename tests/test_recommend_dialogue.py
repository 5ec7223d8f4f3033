"""Recommendations in dialogue: the real dialogue manager, the real recommender over the default
catalogue, real rasa-sdk actions in-process, profiles in a real SQLite file. Parses are hand-made
(tests/parses.py); the NLU model is tested elsewhere, and the scripted dialogues (data/dialogues)
run the whole pipeline with it."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from parses import Clock, ScriptedParser, said, several  # noqa: E402

from assistant.actions.executor import InProcessActionRunner  # noqa: E402
from assistant.agent import Assistant, load_recommender  # noqa: E402
from assistant.domain import load_domain  # noqa: E402
from assistant.profile.model import price_rank  # noqa: E402
from assistant.state import COMPLETED  # noqa: E402
from assistant.stores import SQLiteTrackerStore  # noqa: E402
from nlu.types import ParsedEntity  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "data"

def _loves_two():
    parse = said("I love indian and thai food", "inform_preference", restaurant_food="indian")
    parse.entities.append(ParsedEntity("restaurant-food", "thai", 18, 22, 0.99, "test", "thai"))
    return parse


PARSES = ScriptedParser(
    _loves_two(),
    said("a restaurant in the centre please", "find_restaurant", restaurant_area="centre"),
    said("find me a cheap restaurant in the east", "find_restaurant", restaurant_area="east",
         restaurant_pricerange="cheap"),
    said("I'd like a restaurant", "find_restaurant"),
    said("what can I eat nearby?", "find_restaurant"),
    said("get me a taxi there from the station at 5pm", "book_taxi", taxi_departure="station",
         taxi_leaveat=("17:00", "5pm")),
    said("a taxi to Saffron Lantern from the station at 5pm", "book_taxi", taxi_destination="Saffron Lantern",
         taxi_departure="station", taxi_leaveat=("17:00", "5pm")),
    said("book a table there for 2 at 7pm", "book_restaurant", restaurant_bookpeople=2,
         restaurant_booktime=("19:00", "7pm")),
    said("somewhere romantic please", "find_restaurant", feature="romantic"),
    said("I want to eat somewhere romantic tonight", "find_restaurant", feature="romantic",
         date=("friday", "tonight")),
    said("somewhere to eat that is romantic with a river view", "find_restaurant"),
    said("surprise me", "inform", 0.3),
    said("something else", "ask_alternative"),
    said("a cheap guesthouse in the north", "find_hotel", hotel_pricerange="cheap", hotel_type="guesthouse",
         hotel_area="north"),
    said("does it have free wifi?", "find_hotel", hotel_internet=("yes", "free wifi")),
    said("what is the address?", "inform", 0.41),
    said("what is the reference number?", "inform"),
    said("what is the reference number for the hotel?", "find_hotel"),
    said("I need a hotel with free wifi", "find_hotel", hotel_internet=("yes", "free wifi")),
    said("i need a restaurant in the nrth, expnsive", "find_restaurant", restaurant_area="nrth",
         restaurant_pricerange="expnsive"),
    said("show me something random", "out_of_scope", 0.38),
    said("pick one at random", "inform", 0.91, restaurant_bookpeople=(1, "one")),
    said("too expensive", "reject_suggestion"),
    said("no thanks", "deny"),
    said("no, not that one", "reject_suggestion"),
    said("I don't fancy Thai food", "reject_suggestion", restaurant_food=("thai", "Thai")),
    said("not that one, something in the north", "reject_suggestion", restaurant_area="north"),
    said("yes please", "affirm"),
    said("sounds good", "accept_suggestion"),
    said("for 2", "inform", restaurant_bookpeople=2),
    said("friday", "inform", restaurant_bookday="friday"),
    said("at 7pm", "inform", restaurant_booktime=("19:00", "7pm")),
    said("I'm vegetarian", "inform_preference", diet="vegetarian"),
    said("I'm vegetarian and I hate loud places", "inform_preference", diet="vegetarian", feature="loud"),
    said("I love Indian food", "inform_preference", restaurant_food=("indian", "Indian")),
    said("what do you know about me", "ask_profile"),
    said("cancel the hotel", "cancel_task"),
    said("forget me", "forget_me"),
    said("book the Lockside Guesthouse for 3 people from friday for 2 nights", "book_hotel",
         hotel_name="Lockside Guesthouse", hotel_bookpeople=3, hotel_bookday="friday", hotel_bookstay=2),
    said("can you suggest a museum", "find_attraction", attraction_type="museum"),
    said("hang on, get me a taxi to the station", "book_taxi", taxi_destination="station"),
    said("from the hotel", "inform", taxi_departure="hotel"),
    said("at 5pm", "inform", taxi_leaveat=("17:00", "5pm")),
    said("I need a hotel near the station", "find_hotel", hotel_area=("the station", "the station")),
    said("a restaurant near the zoo", "find_restaurant", restaurant_area=("the zoo", "the zoo")),
    said("a hotel near the college", "find_hotel", hotel_area=("the college", "the college")),
    said("how do I get there?", "book_taxi"),
    several("a table for 2 at 8pm tomorrow and a taxi there",
            said("a table for 2 at 8pm tomorrow", "book_restaurant", restaurant_bookpeople=2,
                 restaurant_booktime=("20:00", "8pm"), restaurant_bookday=("monday", "tomorrow")),
            said("a taxi there", "book_taxi")),
    said("from the station", "inform", taxi_departure="station"),
    several("a cheap hotel in the east, a table for 3 on friday at 7pm and a taxi between them",
            said("a cheap hotel in the east", "find_hotel", hotel_pricerange="cheap", hotel_area="east"),
            said("a table for 3 on friday at 7pm", "book_restaurant", restaurant_bookpeople=3,
                 restaurant_bookday="friday", restaurant_booktime=("19:00", "7pm")),
            said("a taxi between them", "book_taxi")),
    said("for 2 nights from friday", "inform", hotel_bookstay=2, hotel_bookday="friday"),
    said("a restaurant in the same area and price range as the hotel", "find_restaurant"),
    said("is there a museum in that area too?", "find_attraction", attraction_type="museum"),
    said("somewhere cheap to stay with parking", "find_hotel", hotel_pricerange="cheap",
         hotel_parking=("yes", "parking")),
    said("no, something in the centre", "reject_suggestion", hotel_area="centre"),
    said("no, I need parking", "reject_suggestion", hotel_parking=("yes", "parking")),
    said("ok, back to the hotel", "affirm"),
    said("a hotel in the north", "find_hotel", hotel_area="north"),
    said("a chinese restaurant in the north", "find_restaurant", restaurant_food="chinese", restaurant_area="north"),
    said("ok now the hotel", "greet", 0.33),
    said("I'm vegan and I use a wheelchair", "inform_preference", diet="vegan",
         feature=("wheelchair access", "wheelchair")),
    said("find me somewhere to eat", "find_restaurant"),
    said("a cheap restaurant in the north for 2", "find_restaurant", restaurant_pricerange="cheap",
         restaurant_area="north", restaurant_bookpeople=2),
    said("for 3 at 1pm on friday", "inform", restaurant_bookpeople=3, restaurant_booktime=("13:00", "1pm"),
         restaurant_bookday="friday"),
    said("somewhere to stay for 2 nights from friday", "find_hotel", hotel_bookstay=2, hotel_bookday="friday"),
    said("ok book it for 2 people", "book_restaurant", 0.6, restaurant_bookpeople=2),
    said("actually book it for 3 people", "book_restaurant", 0.42, restaurant_bookpeople=3),
    said("and book a table for 2 people", "book_restaurant", restaurant_bookpeople=2),
    said("an expensive hotel in the centre", "find_hotel", hotel_pricerange="expensive", hotel_area="centre"),
    said("does it have a pool?", "find_attraction", attraction_type=("swimmingpool", "pool")),
    said("is breakfast included?", "find_restaurant"),
    said("is it wheelchair accessible?", "inform_preference", feature=("wheelchair access", "wheelchair accessible")),
    said("is there a museum nearby?", "find_attraction", attraction_type="museum"),
    said("¿tiene piscina?", "find_restaurant", restaurant_name="¿tiene piscina"),
    said("La Paellera o El Rincon", "find_restaurant", restaurant_name="La Paellera"),
    said("is there anything cheaper?", "inform", 0.46),
    said("anything cheaper?", "inform", 0.65, restaurant_pricerange=("cheap", "cheaper")),
    said("something more upmarket?", "ask_alternative", 0.7),
    said("is there a cheaper restaurant around?", "find_restaurant", restaurant_pricerange=("cheap", "cheaper")),
    said("what time is check in?", "out_of_scope", 0.8),
    said("how far is it from the hotel?", "book_taxi", taxi_departure=("hotel", "the hotel")),
    said("I want to eat somewhere in the centre", "find_restaurant", restaurant_area="centre"),
    said("I'm vegetarian and I love Indian food", "inform_preference", diet="vegetarian",
         restaurant_food=("indian", "Indian")),
    said("forget that I'm vegetarian", "cancel_task", 0.47, diet="vegetarian"),
    said("please forget that I'm vegetarian", "forget_me", 0.4, diet="vegetarian"),
    said("don't forget I'm vegetarian", "inform_preference", diet="vegetarian"),
    said("forget that", "cancel_task", 0.6),
    said("forget my diet", "forget_me", 0.5),
    said("forget that I like cheap places", "cancel_task", 0.52, restaurant_pricerange="cheap"),
    said("and then dinner nearby", "find_restaurant"),
    said("surprise me with somewhere to eat", "find_restaurant"),
    said("what have I booked?", "ask_plans"),
    said("an expensive french restaurant", "find_restaurant", restaurant_pricerange="expensive",
         restaurant_food="french"),
    said("yes book it for 2 tonight at 7pm", "book_restaurant", restaurant_bookpeople=2,
         restaurant_booktime=("19:00", "7pm"), restaurant_bookday=("friday", "tonight")),
    said("book the same hotel again for 3 people from saturday for 1 night", "book_hotel", hotel_bookpeople=3,
         hotel_bookday="saturday", hotel_bookstay=1),
    said("and a taxi from the station to the hotel at 3pm", "book_taxi", taxi_departure="station",
         taxi_destination="hotel", taxi_leaveat=("15:00", "3pm")),
    several("how do I get there from my hotel? I'm staying at the lockside guesthouse",
            said("how do I get there from my hotel?", "book_taxi", taxi_departure=("hotel", "hotel")),
            said("I'm staying at the lockside guesthouse", "find_hotel",
                 hotel_name=("Lockside Guesthouse", "the lockside guesthouse"))),
    said("in an hour", "inform", 0.6),
    said("find me a steakhouse in the centre", "find_restaurant", restaurant_food="steakhouse",
         restaurant_area="centre"),
    said("yes, keep it", "affirm"),
    said("book a table at The Butcher's Block", "book_restaurant", restaurant_name="The Butcher's Block"),
    said("find something else", "ask_alternative"),
    said("hi, we're a family of 4 visiting on saturday", "inform_preference", restaurant_bookpeople=4,
         restaurant_bookday=("saturday", "on saturday")),
    said("what's the address of the first one?", "inform", 0.75, ordinal=(1, "first")),
    several("great, that's all I need. thank you!", said("great, that's all I need", "bye"),
            said("thank you", "thank")),
    said("book the Lockside Guesthouse for 50 people", "book_hotel", hotel_name="Lockside Guesthouse",
         hotel_bookpeople=50),
    several("forget that I'm vegan, and find me a restaurant in the north",
            said("forget that I'm vegan", "cancel_task", 0.5, diet="vegan"),
            said("find me a restaurant in the north", "find_restaurant", restaurant_area="north")),
)


@pytest.fixture(scope="module")
def domain():
    return load_domain(DATA / "domain.yml")


@pytest.fixture(scope="module")
def runner():
    with InProcessActionRunner("data.actions", timeout=10.0) as actions:
        yield actions


@pytest.fixture(scope="module")
def recommender(domain, tmp_path_factory):
    found = load_recommender(DATA, domain)
    found._embeddings_dir = tmp_path_factory.mktemp("embeddings")  # the real MiniLM, cached here
    return found


@pytest.fixture
def db(tmp_path):
    return tmp_path / "assistant.db"


def make(domain, runner, recommender, db, clock=None):
    store = SQLiteTrackerStore(db)
    return Assistant(PARSES, domain, store, runner, rng=random.Random(5), clock=clock or Clock(),
                     recommender=recommender)


class Talk:
    """One conversation with an assistant: says things, keeps what the bot said and stored."""

    def __init__(self, assistant: Assistant, sender: str, user: str | None = None) -> None:
        self.assistant, self.sender, self.user = assistant, sender, user

    def __call__(self, text: str) -> str:
        replies = self.assistant.handle(self.sender, text, user_id=self.user)
        return " | ".join(r.get("text") or "" for r in replies)

    def suggestions(self) -> list[dict]:
        return [e["metadata"]["recommendation"] for e in self.assistant.store.load(self.sender)
                if e["event"] == "bot" and "recommendation" in (e.get("metadata") or {})]

    @property
    def last(self) -> dict:
        return self.suggestions()[-1]

    def task(self, task_type: str):
        return self.assistant.state(self.sender).task_of_type(task_type, open_only=False)


def test_a_request_gets_a_suggestion_with_reasons_and_accepting_it_continues_the_booking(domain, runner,
                                                                                         recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ann")
    reply = talk("find me a cheap restaurant in the east")
    item = talk.last
    assert reply.startswith(f"How about {item['name']}, a cheap ") and "in the east?" in reply
    assert item["kind"] == "restaurant" and item["attributes"]["area"] == "east"
    assert item["attributes"]["pricerange"] == "cheap" and ("Shall I book" in reply or "book it" in reply)
    bot = [e for e in talk.assistant.store.load("ann") if e["event"] == "bot"][-1]
    assert bot["metadata"]["expects"] == "suggestion" and bot["data"]["buttons"]

    talk("yes please")
    assert talk.assistant.state("ann").focused_task.requested_slot == "restaurant-bookpeople"
    restaurant = talk.task("restaurant")
    assert restaurant.slots["restaurant-name"] == item["name"] and restaurant.goal == "book"
    talk("for 2"), talk("friday")
    assert item["name"] in talk("at 7pm")  # the confirmation
    assert "is booked" in talk("yes please")
    assert talk.task("restaurant").status == COMPLETED

    profile = talk.assistant.profile("ann")
    events = [(h.item_id, h.event) for h in profile.history]
    assert events == [(item["id"], "suggested"), (item["id"], "accepted"), (item["id"], "booked")]
    # one place chosen and booked: one piece of evidence, more than the acceptance alone
    assert 0.3 < profile.score("food", item["attributes"]["food"], profile.updated_at) < 0.5
    learnt = talk.assistant.profiles.load_bandit()
    assert learnt is not None and learnt.count == 1  # the ranking model saw one acceptance
    # another day: a place of the same food, and now "before" is true
    later = Talk(talk.assistant, "ann-2", "ann")
    reply = later("I'd like a restaurant")
    assert later.last["attributes"]["food"] == item["attributes"]["food"], reply
    assert f"You liked {item['attributes']['food'].title()} food before" in reply


def test_rejecting_with_a_reason_updates_the_profile_and_the_next_suggestion_respects_it(domain, runner,
                                                                                          recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ben")
    talk("a restaurant in the centre please")
    talk("surprise me")  # the taste question a new user is asked
    first = talk.last
    while price_rank(first["attributes"]["pricerange"]) == 0:  # find a pricey one to turn down
        talk("something else")
        first = talk.last
    reply = talk("too expensive")
    assert reply.split(" | ")[0] in ("Something cheaper, then.", "Understood, let's keep the price down.")
    second = talk.last
    ceiling = talk.assistant.profile("ben").constraints.budget_max
    assert price_rank(ceiling) == price_rank(first["attributes"]["pricerange"]) - 1
    assert price_rank(second["attributes"]["pricerange"]) <= price_rank(ceiling)
    assert second["id"] != first["id"] and second["attributes"]["area"] == "centre"
    rejected = [h for h in talk.assistant.profile("ben").history if h.event == "rejected"]
    assert [(h.item_id, h.reason) for h in rejected] == [(first["id"], "too expensive")]


def test_too_expensive_for_a_cheap_place_says_nothing_is_cheaper_and_keeps_to_cheap_places(domain, runner,
                                                                                          recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "bea")
    talk("a restaurant in the centre please")
    talk("surprise me")
    first = talk.last
    while price_rank(first["attributes"]["pricerange"]) != 0:  # find a cheap one to call too expensive
        talk("something else")
        first = talk.last
    reply = talk("too expensive")  # was "Something cheaper, then." and a moderate place
    assert reply.split(" | ")[0] in ("That one is already in the lowest price range.",
                                     "That's as cheap as they come, I'm afraid."), reply
    second = talk.last
    assert second["id"] != first["id"] and second["attributes"]["pricerange"] == "cheap"
    assert talk.task("restaurant").slots["restaurant-pricerange"] == "cheap"
    rejected = [h for h in talk.assistant.profile("bea").history if h.event == "rejected"]
    assert [(h.item_id, h.reason) for h in rejected] == [(first["id"], "too expensive")]


def test_a_rejection_with_new_details_searches_again_under_them(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "cat")
    talk("a restaurant in the centre please")
    talk("not that one, something in the north")
    assert talk.task("restaurant").slots["restaurant-area"] == "north"
    assert talk.last["attributes"]["area"] == "north"


def test_something_else_is_always_new_and_running_out_says_so(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "dan")
    talk("find me a cheap restaurant in the east")
    for _ in range(20):
        reply = talk("something else")
        if "How about" not in reply:
            break
    shown = [s["id"] for s in talk.suggestions()]
    assert len(shown) == len(set(shown)) > 5  # never the same place twice
    assert all(s["attributes"]["area"] == "east" and s["attributes"]["pricerange"] == "cheap"
               for s in talk.suggestions())
    assert "fits" in reply  # out of places: it says so and asks to change the search
    # "something else" is no dislike: nothing was turned down
    assert not talk.assistant.profile("dan").rejected_ids


def test_surprise_me_to_a_suggestion_picks_another_and_is_no_dislike(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "sam")
    talk("a restaurant in the centre please")
    talk("surprise me")  # the taste question: the choice is left to us
    first = talk.last
    shown = [first["id"]]
    for words in ("surprise me", "show me something random", "pick one at random"):
        reply = talk(words)
        assert "How about" in reply and "rephrase" not in reply and "can't help" not in reply
        assert talk.last["id"] not in shown  # a new place each time
        shown.append(talk.last["id"])
    # the "one" of "pick one at random" is no party size, and nothing was turned down
    assert talk.task("restaurant").slots.get("restaurant-bookpeople") is None
    assert not talk.assistant.profile("sam").rejected_ids


def test_a_misspelt_area_and_price_are_the_values_they_misspell_for_the_task_and_the_profile(
        domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "tia")
    reply = talk("i need a restaurant in the nrth, expnsive")
    task = talk.task("restaurant")
    assert (task.slots["restaurant-area"], task.slots["restaurant-pricerange"]) == ("north", "expensive")
    assert "How about" in reply and talk.last["attributes"]["area"] == "north"
    profile = talk.assistant.profile("tia")
    assert {p.value for p in profile.preferences} >= {"north", "expensive"}
    assert not {"nrth", "expnsive"} & {p.value for p in profile.preferences}


def test_questions_about_a_suggestion_are_answered_and_the_suggestion_stays_open(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "quinn")
    talk("a cheap guesthouse in the north")
    item = talk.last
    place = recommender.find("hotel", item["name"])
    reply = talk("does it have free wifi?")
    wifi = "Yes, " if place.attributes.get("internet") else "No, "
    wifi += f"{item['name']} has free wifi" if place.attributes.get("internet") else f"{item['name']} has no wifi"
    assert reply.lower() == f"{wifi}. Shall I book a room there?".lower()
    assert talk.task("hotel").slots.get("hotel-internet") is None  # a question, not a new filter
    reply = talk("what is the address?")  # the NLU unsure of the intent: the words say what is asked
    assert reply.startswith(f"{item['name']} is at {place.attributes['street']}, in the north.")
    assert talk("what is the reference number?").startswith(f"{item['name']} isn't booked yet")
    assert talk.last["id"] == item["id"]  # no new suggestion came
    talk("yes please")  # the suggestion was still the question: the yes takes it
    assert talk.task("hotel").slots["hotel-name"] == item["name"]


def test_the_reference_of_a_booking_is_given_when_asked_later(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "rory")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    assert "booked" in talk("yes please")
    reference = talk.task("hotel").slots["hotel-ref"]
    assert reference and talk("what is the reference number for the hotel?") == \
        f"Your reference for Lockside Guesthouse is {reference}."
    # asked while a restaurant is suggested: the answer alone (no "shall I book a room there?"), and
    # the suggestion is still the question a yes answers
    talk("a restaurant in the centre please")
    talk("surprise me")
    suggested = talk.last
    assert talk("what is the reference number for the hotel?") == \
        f"Your reference for Lockside Guesthouse is {reference}."
    talk("yes please")
    assert talk.task("restaurant").slots["restaurant-name"] == suggested["name"]
    # a search with the same words is still a search
    assert "How about" in talk("I need a hotel with free wifi")


def test_a_vegetarian_is_never_offered_a_place_without_vegetarian_food(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "eve")
    talk("I'm vegetarian")
    talk("I'd like a restaurant")
    for _ in range(25):
        if "How about" not in talk("something else"):
            break
    offered = talk.suggestions()
    assert len(offered) > 10
    for item in offered:
        assert item["attributes"].get("vegetarian_options") is True, item["name"]


def test_the_profile_survives_a_restart_and_a_rejected_place_never_comes_back(domain, runner, recommender, db):
    first = Talk(make(domain, runner, recommender, db), "fay-session-1", user="fay")
    first("I love Indian food")
    first("a restaurant in the centre please")
    liked = first.last
    first("no thanks")
    turned_down = liked["id"]
    first.assistant.close()

    again = Talk(make(domain, runner, recommender, db), "fay-session-2", user="fay")  # a new process, same file
    reply = again("what do you know about me")
    assert "You like Indian food." in reply and f"You turned down {liked['name']}." in reply
    again("a restaurant in the centre please")
    for _ in range(12):
        assert again.last["id"] != turned_down
        if "How about" not in again("something else"):
            break
    # the profile is the user's, not the conversation's: a third conversation sees it too
    assert turned_down in again.assistant.profile("fay").rejected_ids


def test_forget_me_erases_everything_of_that_user_and_nothing_of_anyone_else(domain, runner, recommender, db):
    assistant = make(domain, runner, recommender, db)
    gil_1, gil_2 = Talk(assistant, "gil-1", user="gil"), Talk(assistant, "gil-2", user="gil")
    hal = Talk(assistant, "hal")
    gil_1("I'm vegetarian")
    gil_2("a restaurant in the centre please")
    hal("I love Indian food")
    hal("a restaurant in the centre please")
    hal_events = assistant.store.load("hal")
    hal_profile = assistant.profile("hal").to_json()

    assert "Shall I go ahead?" in gil_2("forget me")  # asked first
    assert not assistant.profile("gil").is_empty and assistant.store.exists("gil-1")
    reply = gil_2("yes please")
    assert "forgotten everything" in reply and "?" not in reply  # no question in a conversation being erased
    assert assistant.profile("gil").is_empty
    assert assistant.profiles.load_bandit("gil") is None
    assert not assistant.store.exists("gil-1") and not assistant.store.exists("gil-2")
    assert assistant.store.load("hal") == hal_events and assistant.profile("hal").to_json() == hal_profile
    assert Talk(assistant, "gil-3", user="gil")("what do you know about me") == "I don't know anything about you yet."


def test_forget_one_thing_erases_only_that_and_a_reminder_erases_nothing(domain, runner, recommender, db):
    assistant = make(domain, runner, recommender, db)
    talk = Talk(assistant, "uma-1", user="uma")
    talk("I'm vegetarian and I love Indian food")
    assert "vegetarian" in talk("don't forget I'm vegetarian")  # a reminder, not a request to forget
    assert assistant.profile("uma").constraints.diet == ("vegetarian",)

    assert talk("forget that I'm vegetarian") == "Done, I've forgotten that you're vegetarian."
    profile = assistant.profile("uma")
    assert profile.constraints.diet == () and profile.preference("food", "indian").score > 0.5
    assert assistant.state("uma-1").slots.get("diet") is None  # the conversation no longer filters on it
    reply = talk("please forget that I'm vegetarian")  # read as "forget me" by the model: still one thing
    assert reply.startswith("I hadn't kept that about you") and not assistant.profile("uma").is_empty
    assert "Indian" in Talk(assistant, "uma-2", user="uma")("what do you know about me")  # kept across sessions


def test_forget_that_erases_the_statement_just_made_and_forget_my_diet_every_diet(domain, runner, recommender, db):
    assistant = make(domain, runner, recommender, db)
    talk = Talk(assistant, "vic-1", user="vic")
    talk("I'm vegetarian and I love Indian food")
    reply = talk("forget that")
    assert reply == "Done, I've forgotten that you're vegetarian and that you like Indian food."
    assert assistant.profile("vic").preference("food", "indian") is None
    assert talk("what do you know about me") == "I don't know anything about you yet."
    assert talk("forget that").startswith("There's nothing in progress")  # no statement before: a cancellation

    talk("I'm vegan and I use a wheelchair")
    assert talk("forget my diet") == "Done, I've forgotten that you're vegan."
    assert assistant.profile("vic").constraints.accessibility == ("wheelchair access",)


def test_forgetting_a_taste_leaves_the_search_going_and_the_rest_of_the_message_is_served(domain, runner,
                                                                                          recommender, db):
    assistant = make(domain, runner, recommender, db)
    talk = Talk(assistant, "wes-1", user="wes")
    talk("I'm vegan and I use a wheelchair")
    talk("a cheap restaurant in the north for 2")
    offered = talk.last
    reply = talk("forget that I like cheap places")
    assert reply.startswith("Done, I've forgotten that you like cheap places.")
    assert offered["name"] in reply and talk.task("restaurant").is_open  # the suggestion still stands
    assert talk.task("restaurant").slots["restaurant-pricerange"] == "cheap"  # what this search asked for stays

    reply = talk("forget that I'm vegan, and find me a restaurant in the north")
    assert reply.startswith("Done, I've forgotten that you're vegan.") and "How about" in reply
    assert assistant.profile("wes").constraints.diet == ()


def test_surprise_me_with_nothing_open_asks_of_what_kind_and_the_button_suggests_at_once(domain, runner,
                                                                                      recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "zed")
    assert talk("surprise me") == "Happy to! Somewhere to eat, somewhere to stay or something to see?"
    bot = [e for e in talk.assistant.store.load("zed") if e["event"] == "bot"][-1]
    assert [b["payload"] for b in bot["data"]["buttons"]][0] == "surprise me with somewhere to eat"
    reply = talk("surprise me with somewhere to eat")  # a new user, yet no taste question: the choice is ours
    assert reply.startswith("How about") and talk.last["kind"] == "restaurant"
    assert "matches what you asked for" not in reply  # "surprise" describes no place


def test_a_taxi_to_the_hotel_being_chosen_waits_for_it_and_then_goes_there(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "abe")
    talk("a hotel in the north")
    queued, again = talk("and a taxi from the station to the hotel at 3pm").split(" | ")
    assert "taxi" in queued and ("after the hotel" in queued or "finished the hotel" in queued)
    assert again.startswith("How about")  # the hotel's suggestion, offered again
    assert talk.task("taxi").status == "suspended" and talk.task("hotel").is_open
    talk("sounds good")
    hotel = talk.task("hotel").slots["hotel-name"]
    talk("for 2 nights from friday")
    talk("for 2")
    reply = talk("yes please")
    assert talk.task("hotel").status == "completed"
    assert talk.task("taxi").slots["taxi-destination"] == hotel and f"to {hotel}, leaving at 15:00?" in reply
    assert "is booked" in talk("yes please") and talk.task("taxi").status == "completed"


def test_a_later_conversation_knows_what_was_booked_before_and_books_the_same_place_again(domain, runner,
                                                                                          recommender, db):
    assistant = make(domain, runner, recommender, db)
    first = Talk(assistant, "bea-1", user="bea")
    first("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    first("yes please")
    assert first.task("hotel").status == "completed"

    later = Talk(assistant, "bea-2", user="bea")
    assert later("what have I booked?") == ("Here's where we are. Nothing yet in this conversation; before it, "
                                            "you booked Lockside Guesthouse.")
    reply = later("book the same hotel again for 3 people from saturday for 1 night")
    assert later.task("hotel").slots["hotel-name"] == "Lockside Guesthouse" and "Lockside Guesthouse" in reply
    assert "you booked Lockside Guesthouse" not in Talk(assistant, "cid-1", user="cid")("what have I booked?")


def test_after_running_out_something_else_brings_one_back_and_book_it_takes_the_last(domain, runner, recommender,
                                                                                     db):
    talk = Talk(make(domain, runner, recommender, db), "dee")
    talk("an expensive french restaurant")
    for _ in range(12):
        reply = talk("something else")
        if "How about" not in reply:
            break
    assert "run out of ideas" in reply or "can't find another" in reply
    offered = [s["name"] for s in talk.suggestions()]
    reply = talk("something else")
    assert "didn't quite get" not in reply and "not sure I understood" not in reply
    assert len(set(offered)) > 1, offered
    assert "here's one from earlier" in reply and talk.last["name"] in offered[:-1]  # said to be one
    last = talk.suggestions()[-1]["name"]
    reply = talk("yes book it for 2 tonight at 7pm")
    assert talk.task("restaurant").slots["restaurant-name"] == last and talk.task("restaurant").goal == "book"
    assert reply.startswith(f"Shall I book a table at {last} for 2 on Friday at 19:00?")


def test_dinner_nearby_after_a_museum_is_in_the_museums_area(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "xia")
    talk("and then dinner nearby")  # nowhere to be near yet: no area
    assert talk.task("restaurant").slots.get("restaurant-area") is None

    talk = Talk(make(domain, runner, recommender, db), "yan")
    talk("can you suggest a museum")
    museum = talk.last
    talk("sounds good")
    talk("and then dinner nearby")
    area = museum["attributes"]["area"]
    assert talk.task("restaurant").slots["restaurant-area"] == area
    talk("surprise me")  # the taste question a new user gets first
    for _ in range(4):  # a filter, not a steer: every suggestion is there
        assert talk.last["kind"] == "restaurant" and talk.last["attributes"]["area"] == area
        if "How about" not in talk("something else"):
            break


def test_the_hotel_steers_suggestions_and_the_party_size_carries_over(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ivy")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    assert "booked" in talk("yes please")  # Lockside is in the north
    talk("I'd like a restaurant")
    reply = talk("surprise me")
    item = talk.last
    assert item["attributes"]["area"] == "north" and "near your hotel" in reply
    assert talk.task("restaurant").slots["restaurant-bookpeople"] == 3  # carried over from the hotel
    assert "restaurant-area" not in {k for k, v in talk.task("restaurant").slots.items() if v is not None}


def test_a_cancelled_booking_is_no_longer_in_what_the_assistant_knows(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "kit", "kit")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    talk("yes please")
    known = talk("what do you know about me")
    assert "You booked Lockside Guesthouse." in known and "You're staying in the north" in known
    assert "cancel" in talk("cancel the hotel").lower()
    assert "is cancelled" in talk("yes please")
    known = talk("what do you know about me")
    assert "You booked" not in known and "You're looking for a hotel in the north" in known


def test_the_same_area_and_price_range_as_the_hotel_are_those_of_the_place_booked(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ugo")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    assert "booked" in talk("yes please")  # Lockside: a moderate guesthouse in the north; no area slot was said
    talk("a restaurant in the same area and price range as the hotel")
    slots = talk.task("restaurant").slots
    assert (slots["restaurant-area"], slots["restaurant-pricerange"]) == ("north", "moderate")
    talk("surprise me")
    assert (talk.last["attributes"]["area"], talk.last["attributes"]["pricerange"]) == ("north", "moderate")
    talk("is there a museum in that area too?")
    assert talk.task("attraction").slots["attraction-area"] == "north"  # the latest place's: the restaurant's


def test_nearby_means_where_the_user_stays_and_holds_for_every_other_suggestion(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ivo")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    assert "booked" in talk("yes please")  # Lockside is in the north
    talk("what can I eat nearby?")
    assert talk.task("restaurant").slots["restaurant-area"] == "north"
    talk("surprise me")  # the taste question of a new user
    seen = set()
    for _ in range(3):
        assert talk.last["attributes"]["area"] == "north" and talk.last["name"] not in seen
        seen.add(talk.last["name"])
        talk("something else")


def test_there_is_the_place_just_talked_about(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "pip")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    talk("yes please")
    reply = talk("get me a taxi there from the station at 5pm")
    assert talk.task("taxi").slots["taxi-destination"] == "Lockside Guesthouse" and "Lockside" in reply
    talk("yes please")
    # a table "there" after a taxi to a restaurant is a table at that restaurant
    talk("a taxi to Saffron Lantern from the station at 5pm")
    talk("yes please")
    talk("book a table there for 2 at 7pm")
    assert talk.task("restaurant").slots["restaurant-name"] == "Saffron Lantern"


def test_a_suggestion_for_sightseeing_accepted_runs_its_action(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "jo")
    reply = talk("can you suggest a museum")
    item = talk.last
    assert item["kind"] == "attraction" and item["attributes"]["type"] == "museum" and "How about" in reply
    talk("sounds good")
    attraction = talk.task("attraction")
    assert attraction.status == COMPLETED and attraction.slots["attraction-name"] == item["name"]


def test_how_do_i_get_there_is_a_taxi_to_the_place_just_suggested(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "max")
    talk("can you suggest a museum")
    museum = talk.last["name"]
    talk("how do I get there?")
    assert talk.task("taxi").slots["taxi-destination"] == museum
    assert talk.task("attraction").status == "suspended"  # its suggestion still waits for an answer


def test_a_taxi_there_in_the_same_message_waits_for_the_table_and_goes_to_it(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ida")
    talk("a table for 2 at 8pm tomorrow and a taxi there")
    assert talk.task("restaurant").status == "active" and talk.task("taxi").status == "suspended"
    talk("surprise me")  # a new user is asked what food they like first
    restaurant = talk.last["name"]
    talk("yes please")  # the suggestion
    talk("yes please")  # the booking
    assert talk.task("restaurant").status == COMPLETED
    assert talk.task("taxi").slots["taxi-destination"] == restaurant
    # the ride gets there a quarter of an hour before the table (shown in the confirmation, changeable)
    assert talk.task("taxi").slots["taxi-arriveby"] == "19:45"
    talk("from the station")
    assert talk.task("taxi").slots["taxi-departure"] == "station"
    assert talk.task("taxi").status == "awaiting_confirmation"


def test_a_taxi_between_them_goes_from_the_first_place_to_the_second_once_both_are_chosen(domain, runner, recommender,
                                                                                        db):
    talk = Talk(make(domain, runner, recommender, db), "eve")
    talk("a cheap hotel in the east, a table for 3 on friday at 7pm and a taxi between them")
    assert [talk.task(t).status for t in ("hotel", "restaurant", "taxi")] == ["active", "suspended", "suspended"]
    hotel = talk.last["name"]
    talk("yes please")  # the hotel suggested
    talk("for 2 nights from friday")
    talk("yes please")  # booked; on to the table, the ride still waits for it
    assert talk.task("hotel").status == COMPLETED and talk.task("taxi").status == "suspended"
    talk("surprise me")  # a new user is asked what food they like first
    restaurant = talk.last["name"]
    talk("yes please")  # the suggestion
    reply = talk("yes please")  # the booking
    assert talk.task("restaurant").status == COMPLETED
    assert f"a taxi from {hotel} to {restaurant}, arriving by 18:45?" in reply
    taxi = talk.task("taxi")
    assert (taxi.slots["taxi-departure"], taxi.slots["taxi-destination"], taxi.slots["taxi-arriveby"]) == (
        hotel, restaurant, "18:45")
    assert taxi.status == "awaiting_confirmation"


def test_a_hotel_suggested_says_it_has_the_wifi_or_parking_asked_for(domain, runner, recommender, db):
    from assistant.recommender.words import summary

    talk = Talk(make(domain, runner, recommender, db), "kim")
    reply = talk("somewhere cheap to stay with parking")
    assert talk.last["attributes"]["parking"] is True and ", cheap, with parking?" in reply
    hotel = {"area": "north", "pricerange": "moderate", "stars": 3, "internet": True, "parking": False}
    assert summary("hotel", hotel) == "a 3-star hotel in the north, moderate"  # nothing asked: nothing said
    assert summary("hotel", hotel, {"internet": "yes", "parking": "yes"}) == \
        "a 3-star hotel in the north, moderate, with free wifi"


def test_when_nothing_fits_it_all_one_filter_is_set_aside_and_said(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "lou")
    talk("somewhere cheap to stay with parking")
    reply = talk("no, something in the centre")  # no cheap place in the centre has parking
    assert "set the parking aside" in reply or "Leaving the parking aside" in reply
    item = talk.last
    assert item["attributes"]["area"] == "centre" and item["attributes"]["pricerange"] == "cheap"
    hotel = talk.task("hotel")
    assert hotel.slots.get("hotel-parking") is None and hotel.slots["hotel-pricerange"] == "cheap"
    # what the user says now is kept: parking again, so the price range goes instead
    reply = talk("no, I need parking")
    assert "price range aside" in reply
    item = talk.last
    assert item["attributes"]["area"] == "centre" and item["attributes"]["parking"] is True
    assert talk.task("hotel").slots.get("hotel-pricerange") is None


def test_ok_back_to_the_hotel_while_the_hotel_asks_is_no_yes_to_its_suggestion(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ned")
    talk("I need a hotel near the station")
    offered = talk.last["id"]
    reply = talk("ok, back to the hotel")
    assert talk.task("hotel").slots.get("hotel-name") is None  # nothing was accepted
    assert talk.last["id"] == offered and "How about" in reply  # the same place, asked again


def test_ok_now_the_hotel_while_a_restaurant_is_suggested_goes_back_without_taking_it(domain, runner, recommender,
                                                                                      db):
    talk = Talk(make(domain, runner, recommender, db), "noa")
    talk("a hotel in the north")
    hotel_offer = talk.last["id"]
    talk("a chinese restaurant in the north")
    assert talk.task("restaurant").status == "active"
    reply = talk("ok now the hotel")
    assert talk.task("restaurant").slots.get("restaurant-name") is None  # the "ok" took nothing
    assert talk.task("restaurant").status == "suspended" and talk.task("hotel").status == "active"
    assert talk.last["id"] == hotel_offer and "hotel" in reply


def test_a_wheelchair_user_gets_places_that_say_they_have_access_and_hears_so(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "wes")
    talk("I'm vegan and I use a wheelchair")
    reply = talk("find me somewhere to eat")
    item = talk.last
    assert "wheelchair access" in item["attributes"]["features"] and item["attributes"]["vegan_options"]
    assert "It has vegan options and wheelchair access" in reply


def test_booking_details_as_the_reply_to_a_suggestion_take_it(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "dee")
    talk("a cheap restaurant in the north for 2")
    offered = talk.last["name"]
    reply = talk("for 3 at 1pm on friday")
    slots = talk.task("restaurant").slots
    assert slots["restaurant-name"] == offered
    assert (slots["restaurant-bookpeople"], slots["restaurant-booktime"], slots["restaurant-bookday"]) == (
        3, "13:00", "friday")
    assert offered in reply and "How about" not in reply  # the booking is confirmed next, nothing re-offered


def test_book_it_read_as_a_table_while_a_hotel_is_offered_or_confirmed_is_the_hotel(domain, runner, recommender,
                                                                                    db):
    talk = Talk(make(domain, runner, recommender, db), "bea")
    talk("somewhere to stay for 2 nights from friday")
    offered = talk.last["name"]
    reply = talk("ok book it for 2 people")
    hotel = talk.task("hotel")
    assert hotel.slots["hotel-name"] == offered and hotel.slots["hotel-bookpeople"] == 2
    assert talk.task("restaurant") is None and "Shall I book it?" in reply
    reply = talk("actually book it for 3 people")
    assert talk.task("hotel").slots["hotel-bookpeople"] == 3 and talk.task("restaurant") is None
    assert "changed to 3" in reply and ("3 guests" in reply or "for 3" in reply)
    talk("and book a table for 2 people")  # a table named: a restaurant booking after all
    assert talk.task("restaurant") is not None


def test_what_a_suggested_hotel_has_is_answered_and_starts_nothing(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "pia")
    talk("an expensive hotel in the centre")
    item = talk.last
    features = set(item["attributes"].get("features") or [])
    reply = talk("does it have a pool?")
    said = "has a pool" if "pool" in features else "doesn't list a pool"
    assert said in reply and item["name"] in reply
    reply = talk("is breakfast included?")
    assert ("has breakfast" if "breakfast" in features else "doesn't list breakfast") in reply
    reply = talk("is it wheelchair accessible?")
    assert "wheelchair access" in reply
    state = talk.assistant.state("pia")
    assert [t.type for t in state.tasks] == ["hotel"] and talk.last["id"] == item["id"]  # nothing else started
    assert "wheelchair access" not in talk.assistant.profile("pia").constraints.accessibility  # asked, not said
    talk("is there a museum nearby?")  # no feature of a hotel: a search for a museum
    assert talk.task("attraction") is not None


def test_a_foreign_sentence_the_model_tags_as_a_name_is_still_foreign_but_a_known_name_is_not(domain, runner,
                                                                                               recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "ida")
    talk("somewhere to stay for 2 nights from friday")
    offered = talk.last["name"]
    assert talk("¿tiene piscina?") == "Sorry, I can only chat in English for now. Could you say that in English?"
    assert talk.task("restaurant") is None
    talk("ok book it for 2 people")  # the suggestion stayed open: this takes it
    assert talk.task("hotel").slots["hotel-name"] == offered
    # "La Paellera" is a restaurant the catalogue has: only "o El Rincon" is left, one foreign word
    assert "only chat in English" not in talk("La Paellera o El Rincon")
    assert talk.task("restaurant") is not None


def test_the_users_own_words_pick_the_candidates(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "kim")
    talk("somewhere to eat that is romantic with a river view")
    item = talk.last
    assert item["query"] == "romantic river view"
    features = set(item["attributes"].get("features") or [])
    assert features & {"romantic", "river view"}, item
    assert item["features"]["similarity"] > 0.2


def test_a_feature_asked_for_holds_through_the_taste_question_and_every_other_suggestion(domain, runner,
                                                                                          recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "kit")
    reply = talk("I'd like a restaurant")
    assert talk.suggestions() == [] and "?" in reply  # the taste question of a new user
    reply = talk("somewhere romantic please")
    for _ in range(3):
        item = talk.last
        assert "romantic" in item["attributes"]["features"], item
        assert "it's romantic, as you asked" in reply.lower()
        reply = talk("something else")


def test_a_feature_asked_for_is_kept_while_the_request_waits_its_turn(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "kay")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    talk("I want to eat somewhere romantic tonight")  # queued behind the booking under way
    assert talk.suggestions() == []
    assert talk.task("restaurant").slots["restaurant-bookday"] == "friday"  # tonight: the clock's today
    reply = talk("yes please")  # the hotel is booked, then the restaurant's turn, its words described it
    assert "booked" in reply.lower() and "Back to your restaurant" in reply
    assert "romantic" in talk.last["attributes"]["features"] and talk.last["query"] == "romantic"
    assert "it's romantic, as you asked" in reply.lower()


def test_a_rejection_naming_what_the_user_dislikes_is_no_search_for_it(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "lou")
    talk("find me a cheap restaurant in the east")
    while talk.last["attributes"]["food"] != "thai":
        talk("something else")
    talk("I don't fancy Thai food")
    assert talk.task("restaurant").slots.get("restaurant-food") is None  # not a filter for Thai
    assert talk.last["attributes"]["food"] != "thai"
    profile = talk.assistant.profile("lou")
    assert profile.score("food", "thai", profile.updated_at) < 0
    assert profile.constraints.budget_max is None  # "fancy" here is a taste, not a price


def test_each_stated_value_keeps_the_feeling_of_its_own_clause(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "max")
    assert "vegetarian and no loud places" in talk("I'm vegetarian and I hate loud places")
    profile = talk.assistant.profile("max")
    assert tuple(profile.constraints.diet) == ("vegetarian",)
    assert profile.score("feature", "loud", profile.updated_at) < 0


def test_feedback_is_about_the_place_chosen_not_the_area_asked_for(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "eve")
    talk("a restaurant in the centre please")
    talk("surprise me")
    first = talk.last
    assert first["asked"] == {"area": "centre"}
    asked_for = talk.assistant.profile("eve").score("area", "centre", talk.assistant.profile("eve").updated_at)
    assert asked_for > 0  # asking for it says a little
    reply = talk("no thanks")
    assert reply.startswith(("OK, not that one. | ", "No problem. | "))  # nothing to remember but the place
    profile = talk.assistant.profile("eve")
    assert profile.score("area", "centre", profile.updated_at) == pytest.approx(asked_for, abs=1e-6)
    assert profile.score("food", first["attributes"]["food"], profile.updated_at) < 0
    assert [(h.item_id, h.reason) for h in profile.history if h.event == "rejected"] == [(first["id"], None)]
    second = talk.last
    assert second["id"] != first["id"] and second["attributes"]["area"] == "centre"
    talk("no, not that one")  # a no said twice over is still no reason
    rejected = [(h.item_id, h.reason) for h in talk.assistant.profile("eve").history if h.event == "rejected"]
    assert rejected == [(first["id"], None), (second["id"], None)]


def test_a_place_the_user_names_is_found_and_checked_against_their_diet(recommender):
    found = recommender.find("restaurant", "butchers block")
    assert found is not None and found.name == "The Butcher's Block"
    assert recommender.find("restaurant", "the butcher’s block") == found
    assert recommender.find("restaurant", "The Butcher's Block") == found
    assert recommender.find("restaurant", "Butcher") is None and recommender.find("restaurant", "") is None
    assert recommender.diet_clash("restaurant", "Butcher's Block", "vegetarian")
    assert recommender.diet_clash("restaurant", "Butcher's Block", "halal")  # "halal: false" in the catalogue
    veggie_friendly = next(it for it in recommender.catalogue.by_kind("restaurant")
                           if it.attributes.get("vegetarian_options") is True and it.attributes["food"] != "steakhouse")
    assert not recommender.diet_clash("restaurant", veggie_friendly.name, "vegetarian")
    assert not recommender.diet_clash("restaurant", "A Place Nobody Knows", "vegetarian")


def test_back_from_an_interruption_the_unanswered_suggestion_is_offered_again(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "eve")
    talk("find me a cheap restaurant in the east")
    first = talk.last
    talk("hang on, get me a taxi to the station")
    talk("from the hotel")
    talk("at 5pm")
    reply = talk("yes please")  # the taxi is booked; back to the restaurant
    assert "is booked" in reply and first["name"] in reply.split("is booked", 1)[1]
    assert [s["id"] for s in talk.suggestions()] == [first["id"], first["id"]]  # offered again, nothing new
    talk("sounds good")
    assert talk.task("restaurant").slots["restaurant-name"] == first["name"]
    # offered twice, suggested once: the profile's history does not count it double
    assert [h.event for h in talk.assistant.profile("eve").history if h.item_id == first["id"]] == ["suggested", "accepted"]


def test_asking_again_without_answering_gets_the_same_place_and_a_new_search_a_new_one(domain, runner,
                                                                                         recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "fay")
    talk("find me a cheap restaurant in the east")
    first = talk.last
    assert first["name"] in talk("I'd like a restaurant")  # no answer, same search: the same place
    assert [s["id"] for s in talk.suggestions()] == [first["id"], first["id"]]
    talk("not that one, something in the north")
    assert talk.last["id"] != first["id"] and talk.last["attributes"]["area"] == "north"


def test_a_new_user_is_asked_their_taste_once_and_the_answer_steers_every_later_suggestion(domain, runner,
                                                                                            recommender, db):
    assistant = make(domain, runner, recommender, db)
    first = Talk(assistant, "liz-1", "liz")
    first("I'd like a restaurant")
    assert first.suggestions() == [] and first.task("restaurant").requested_slot == "restaurant-food"
    reply = first("I love indian and thai food")
    item = first.last
    food = item["attributes"]["food"]
    # a taste just told is no past: "you like", never "you liked ... before"
    assert food in ("indian", "thai") and f"You like {food.title()} food" in reply and "You liked" not in reply
    assert first.task("restaurant").slots.get("restaurant-food") is None  # a taste, not a search for one of them
    first("something else")
    assert first.last["attributes"]["food"] in ("indian", "thai") and first.last["id"] != item["id"]
    # the next conversation of the same user: no question, and the taste still steers
    later = Talk(assistant, "liz-2", "liz")
    later("I'd like a restaurant")
    assert later.last["attributes"]["food"] in ("indian", "thai")


def test_surprise_me_leaves_the_choice_to_the_ranking_and_is_not_asked_again(domain, runner, recommender, db):
    assistant = make(domain, runner, recommender, db)
    talk = Talk(assistant, "max-1", "max")
    talk("I'd like a restaurant")
    assert talk.suggestions() == [] and talk.task("restaurant").requested_slot == "restaurant-food"
    assert talk("surprise me").startswith("How about")
    assert talk.task("restaurant").slots["restaurant-food"] == "dontcare"
    assert talk.last["asked"] == {}  # "dontcare" is no filter
    later = Talk(assistant, "max-2", "max")
    assert later("I'd like a restaurant").startswith("How about")
    # a request that says what matters ("cheap") is served at once, even to a new user
    assert Talk(assistant, "new-1", "new")("find me a cheap restaurant in the east").startswith("How about")


def test_a_place_named_for_an_area_is_the_area_it_is_in(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "lou")
    reply = talk("I need a hotel near the station")  # Station Approach is in the south
    assert talk.task("hotel").slots["hotel-area"] == "south"
    assert talk.last["attributes"]["area"] == "south" and "in the south" in reply
    reply = talk("a restaurant near the zoo")  # no such place: asked again, as any unknown area
    assert "the zoo" in reply and "I can't tell which part of town that is. Please choose" in reply
    assert talk.task("restaurant").slots.get("restaurant-area") is None
    # a kind of place found in several parts of town: where they are is said
    talk = Talk(talk.assistant, "lou-2")
    reply = talk("a hotel near the college")
    assert "There's more than one college: in the " in reply and "centre, north, south, east or west?" in reply
    assert "Sorry" not in reply and "valid" not in reply
    assert talk.task("hotel").slots.get("hotel-area") is None


def test_anything_cheaper_steps_down_from_the_offered_price_and_more_upmarket_steps_up(domain, runner, recommender,
                                                                                       db):
    talk = Talk(make(domain, runner, recommender, db), "cal")
    talk("a hotel in the north")
    while talk.last["attributes"]["pricerange"] != "moderate":
        talk("something else")
    moderate = talk.last
    # the model is unsure of the intent and tags nothing: the words ask for the next range down
    reply = talk("is there anything cheaper?")
    cheap = talk.last
    assert cheap["attributes"]["pricerange"] == "cheap" and cheap["attributes"]["area"] == "north", reply
    assert talk.task("hotel").slots["hotel-pricerange"] == "cheap"
    profile = talk.assistant.profile("cal")
    assert profile.constraints.budget_max == "cheap"  # as from "too pricey"
    assert [(h.item_id, h.event) for h in profile.history][-2] == (moderate["id"], "rejected")

    reply = talk("anything cheaper?")  # nothing is cheaper than cheap: said, and another cheap one
    assert reply.split(" | ")[0] in ("That one is already in the lowest price range.",
                                     "That's as cheap as they come, I'm afraid.")
    assert talk.last["attributes"]["pricerange"] == "cheap" and talk.last["id"] != cheap["id"]

    talk("something more upmarket?")  # one range up, and the budget learnt above no longer hides it
    assert talk.last["attributes"]["pricerange"] == "moderate" and talk.last["id"] != moderate["id"]
    assert talk.assistant.profile("cal").constraints.budget_max is None
    talk("something more upmarket?")
    assert talk.last["attributes"]["pricerange"] == "expensive"
    reply = talk("something more upmarket?")
    assert reply.startswith("That one is already in the top price range")


def test_more_upmarket_offers_a_place_passed_over_before_when_none_is_new(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "cy")
    talk("a hotel in the north")
    expensive = None
    for _ in range(9):
        if talk.last["attributes"]["pricerange"] == "expensive":
            expensive = talk.last["id"]  # the north's one expensive hotel, passed over with "something else"
        elif expensive and talk.last["attributes"]["pricerange"] == "moderate":
            break
        talk("something else")
    assert expensive and talk.last["attributes"]["pricerange"] == "moderate"
    reply = talk("something more upmarket?")
    assert "There's nothing I haven't mentioned already, so here's one from earlier." in reply.split(" | ")
    assert talk.last["id"] == expensive

    # no place on the table: "anything cheaper?" moves the search one range down from its own
    while "How about" in talk("something else"):
        pass
    assert talk.task("hotel").slots["hotel-pricerange"] == "expensive"
    reply = talk("anything cheaper?")
    assert reply.split(" | ")[0].endswith("price range changed to moderate.") or \
        reply.split(" | ")[0].endswith("changed the price range to moderate."), reply
    assert talk.task("hotel").slots["hotel-pricerange"] == "moderate"
    assert talk.last["attributes"]["pricerange"] == "moderate" and "How about" in reply


def test_a_cheaper_place_of_another_kind_is_a_search_of_its_own(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "dee")
    talk("a hotel in the north")
    talk("surprise me")
    talk("is there a cheaper restaurant around?")
    assert talk.task("restaurant") is not None
    assert "hotel-pricerange" not in talk.task("hotel").slots


def test_out_of_scope_to_a_suggestion_offers_the_same_place_again(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "eve")
    talk("a hotel in the north")
    offered = talk.last
    reply = talk("what time is check in?")
    first, again = reply.split(" | ")
    assert "can't help with that" in first or "outside what I can do" in first
    assert again.startswith(f"How about {offered['name']}") and talk.last["id"] == offered["id"]
    talk("sounds good")  # still the answer to that suggestion
    assert talk.task("hotel").slots["hotel-name"] == offered["name"]


def test_how_far_a_suggestion_is_from_the_hotel_is_answered_by_the_parts_of_town(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "fay")
    talk("book the Lockside Guesthouse for 3 people from friday for 2 nights")
    talk("yes please")
    talk("I want to eat somewhere in the centre")
    talk("surprise me")
    offered = talk.last
    # the NLU reads it as a taxi from the hotel: it is a question about the place offered
    reply = talk("how far is it from the hotel?")
    assert reply.startswith(f"{offered['name']} is in the centre and Lockside Guesthouse in the north"), reply
    assert talk.task("taxi") is None
    talk("sounds good")  # the suggestion stayed open
    assert talk.task("restaurant").slots["restaurant-name"] == offered["name"]


def test_too_expensive_with_nothing_cheaper_in_the_area_asked_looks_beyond_it(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "gus")
    talk("I'm vegan and I use a wheelchair")
    talk("I want to eat somewhere in the centre")
    talk("surprise me")
    reply = ""
    for _ in range(6):  # cheaper each time, until the centre has nothing cheaper with vegan options
        reply = talk("too expensive")
        if "aside" in reply:
            break
    assert "Leaving the area aside:" in reply or "I've set the area aside" in reply, reply
    offered = talk.last
    budget = talk.assistant.profile("gus").constraints.budget_max
    assert offered["attributes"]["area"] != "centre" and offered["attributes"]["vegan_options"]
    assert price_rank(offered["attributes"]["pricerange"]) <= price_rank(budget)
    assert "restaurant-area" not in talk.task("restaurant").slots


def test_a_hotel_the_user_stays_at_is_no_booking_and_taxis_and_nearby_go_by_it(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "sol", "sol")
    talk("can you suggest a museum")
    museum = talk.last["name"]
    reply = talk("how do I get there from my hotel? I'm staying at the lockside guesthouse")
    assert "you're staying at Lockside Guesthouse" in reply and "Which day" not in reply, reply
    hotel = talk.task("hotel")
    assert hotel.status == COMPLETED and hotel.goal == "stay" and "hotel-ref" not in hotel.slots  # nothing booked
    taxi = talk.task("taxi")
    # "there" is the museum on offer, not the hotel just named: no ride from a place to itself
    assert (taxi.slots["taxi-departure"], taxi.slots["taxi-destination"]) == ("Lockside Guesthouse", museum)
    assert "leaving at 13:00" in talk("in an hour")  # the clock reads noon
    assert "booked" in talk("yes please")
    known = talk("what do you know about me")
    assert "You're staying at Lockside Guesthouse, in the north" in known and "You booked" not in known
    assert "You're staying at Lockside Guesthouse." in talk("what have I booked?")
    talk("what can I eat nearby?")
    assert talk.task("restaurant").slots["restaurant-area"] == "north"  # where the user stays
    assert talk.assistant.profile("sol").standing_bookings() == frozenset()  # the stay was never a booking


def test_a_diet_clash_kept_once_is_not_asked_again_for_the_place_taken(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "stu")
    talk("I'm vegetarian")
    assert "vegetarian" in talk("find me a steakhouse in the centre")  # the clash, asked
    reply = talk("yes, keep it")
    assert "steak" in reply.lower(), reply  # a steakhouse suggested, as insisted
    reply = talk("yes please")  # was a second "You told me you're vegetarian, but ... may not suit that"
    assert "vegetarian" not in reply and talk.task("restaurant").slots["restaurant-name"] == talk.last["name"]
    assert talk.assistant.state("stu").focused_task.requested_slot == "restaurant-bookpeople"


def test_something_else_to_a_place_that_clashes_with_the_diet_suggests_one_that_fits(domain, runner, recommender,
                                                                                     db):
    talk = Talk(make(domain, runner, recommender, db), "uma")
    talk("I'm vegetarian")
    assert "vegetarian" in talk("book a table at The Butcher's Block")  # the clash, asked
    reply = talk("find something else")  # was "Which restaurant would you like?"
    assert reply.startswith("How about") and talk.last["name"] != "The Butcher's Block", reply
    assert talk.last["attributes"].get("vegetarian_options") and "vegetarian options" in reply


def test_a_value_the_slot_refuses_is_neither_kept_nor_learnt(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "val", "val")
    assert "between 1 and 20" in talk("book the Lockside Guesthouse for 50 people")
    # was kept all the same: the party size learnt from the message went back into the slot
    assert "hotel-bookpeople" not in talk.task("hotel").slots
    assert talk.assistant.profile("val").fact("party_size") is None


def test_a_yes_with_a_goodbye_takes_the_place_and_brings_nothing_else_back(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "vic")
    talk("a restaurant in the centre please")
    talk("surprise me")
    talk("can you suggest a museum")  # the restaurant search waits; a museum is suggested
    museum = talk.last["name"]
    reply = talk("great, that's all I need. thank you!")
    # was the museum taken and then "Back to your restaurant search: how about ...?"
    assert "Enjoy your visit" in reply and reply.endswith("Goodbye, enjoy your trip!") and "Back to" not in reply
    assert talk.task("attraction").slots["attraction-name"] == museum and talk.task("attraction").status == COMPLETED
    assert talk.task("restaurant").status == "suspended"  # still there for another time


def test_a_party_and_a_day_told_in_passing_carry_over_to_the_bookings(domain, runner, recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "wes")
    # was "Noted: 4 and saturday", and the booking asked again how many and which day
    assert talk("hi, we're a family of 4 visiting on saturday").startswith(
        "Thanks, I'll remember that: a party of 4 and Saturday.")
    talk("a cheap guesthouse in the north")
    talk("yes please")
    slots = talk.task("hotel").slots
    assert (slots["hotel-bookpeople"], slots["hotel-bookday"]) == (4, "saturday")


def test_after_running_out_a_question_about_the_first_one_is_about_the_first_place_offered(domain, runner,
                                                                                          recommender, db):
    talk = Talk(make(domain, runner, recommender, db), "fay")
    talk("an expensive french restaurant")
    for _ in range(12):
        if "How about" not in talk("something else"):
            break
    first = talk.suggestions()[0]
    reply = talk("what's the address of the first one?")  # was the question asked again, unanswered
    assert first["name"] in reply and first["attributes"]["street"] in reply, reply
