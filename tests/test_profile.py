"""The user profile: schema and migration, every update rule, fusion across tasks, decay, the
plain-words description, and persistence (memory, a real SQLite file, a real PostgreSQL server)
with forget-me."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from servers import PostgresServer, find_postgres_bin  # noqa: E402

from assistant.profile import (  # noqa: E402
    PROFILE_SCHEMA,
    SCHEMA_VERSION,
    ProfileError,
    ProfileStore,
    ProfileVersionError,
    UserProfile,
    describe_profile,
)
from assistant.profile.model import MAX_HISTORY, HistoryEntry, decay, with_changes  # noqa: E402
from assistant.profile import updates  # noqa: E402
from assistant.profile.updates import (  # noqa: E402
    apply_entities,
    apply_stay,
    apply_feedback,
    apply_cancellation,
    apply_outcome,
    apply_price_wish,
    apply_statement,
    drop_constraint,
    forget_values,
    nudge,
    record_suggestion,
)
from assistant.stores import InMemoryTrackerStore, SQLiteTrackerStore, create_store  # noqa: E402
from policies import bandit, ranking  # noqa: E402

DAY = 86400.0
T0 = 1_700_000_000.0

KETTLE = {"id": "r-kettle", "kind": "restaurant", "name": "The Copper Kettle",
          "attributes": {"food": "british", "area": "centre", "pricerange": "expensive", "features": ["loud"],
                         "type": "restaurant"}}
CURRY = {"id": "r-curry", "kind": "restaurant", "name": "Curry Garden",
         "attributes": {"food": "indian", "area": "north", "pricerange": "moderate", "features": ["spicy"]}}
LODGE = {"id": "h-lodge", "kind": "hotel", "name": "Acorn Lodge",
         "attributes": {"area": "north", "pricerange": "cheap", "type": "guesthouse", "stars": 4, "parking": True}}


@pytest.fixture
def jsonschema():
    # a test dependency (the "test" extra): only the schema checks need it
    return pytest.importorskip("jsonschema")


def empty(user: str = "alice") -> UserProfile:
    return UserProfile.empty(user, T0)


def ents(text: str, **found: str) -> list[dict]:
    """Entity dicts with their spans in ``text`` (value = the words, unless given as ``name=(words, value)``)."""
    out = []
    for name, spec in found.items():
        words, value = spec if isinstance(spec, tuple) else (spec, spec)
        start = text.lower().index(words.lower())
        out.append({"entity": name.replace("_", "-"), "value": value, "start": start, "end": start + len(words),
                    "text": text[start:start + len(words)]})
    return out


def state(text: str, entities=None, profile: UserProfile | None = None, now: float = T0 + 1) -> tuple:
    return apply_statement(profile or empty(), "inform_preference", entities or [], text, now)


def score(profile: UserProfile, attribute: str, value: str, now: float | None = None) -> float:
    return profile.score(attribute, value, profile.updated_at if now is None else now)


# ----------------------------------------------------------------------------- schema & JSON


def full_profile() -> UserProfile:
    p = empty()
    p, _ = state("I'm vegetarian", ents("I'm vegetarian", diet="vegetarian"), p)
    p, _ = state("I use a wheelchair", ents("I use a wheelchair", feature=("wheelchair", "wheelchair access")), p)
    p, _ = state("I love spicy food", ents("I love spicy food", feature="spicy"), p)
    p, _ = state("nothing over moderate", [], p)
    p, _ = apply_entities(p, "hotel", {"hotel-area": "north", "hotel-bookpeople": 3, "hotel-bookday": "friday"}, T0 + 2)
    p, _ = record_suggestion(p, KETTLE, T0 + 3)
    p, _ = apply_feedback(p, KETTLE, False, "too loud", T0 + 4)
    p, _ = apply_feedback(p, CURRY, True, None, T0 + 5)
    p, _ = apply_outcome(p, CURRY, True, T0 + 6)
    return p


def test_an_empty_profile_is_valid_json_of_the_current_schema(jsonschema):
    doc = empty().to_json()
    jsonschema.validate(doc, PROFILE_SCHEMA)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert UserProfile.from_json(doc) == empty()
    assert empty().is_empty


def test_a_full_profile_validates_and_survives_json_exactly(jsonschema):
    profile = full_profile()
    doc = json.loads(json.dumps(profile.to_json()))
    jsonschema.validate(doc, PROFILE_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(PROFILE_SCHEMA)
    assert UserProfile.from_json(doc) == profile
    assert not profile.is_empty


@pytest.mark.parametrize("path, bad, words", [
    (("preferences", "food", "indian", "score"), 3.0, "preferences.food.indian.score"),
    (("constraints", "budget_max"), "a lot", "constraints.budget_max"),
    (("history", 0, "event"), "liked", "history[0].event"),
    (("facts", "party_size", "value"), "four", "facts.party_size.value"),
    (("user_id",), "", "user_id"),
])
def test_a_malformed_profile_is_refused_by_the_schema_and_by_from_json_naming_the_field(path, bad, words, jsonschema):
    doc = full_profile().to_json()
    doc["preferences"]["food"] = {"indian": {"score": 0.5, "updated_at": T0}}
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, PROFILE_SCHEMA)
    with pytest.raises(ProfileError, match=words.replace("[", r"\[").replace("]", r"\]")):
        UserProfile.from_json(doc)


def test_version_1_documents_are_migrated(jsonschema):
    old = {"schema_version": 1, "user_id": "alice", "updated_at": T0,
           "preferences": {"food=indian": 0.8, "feature=loud": -0.9}, "diet": "vegetarian", "budget": "moderate",
           "accepted": ["r1"], "rejected": ["r2"], "area": "north"}
    profile = UserProfile.from_json(old)
    jsonschema.validate(profile.to_json(), PROFILE_SCHEMA)
    assert profile.preference("food", "indian").score == 0.8
    assert profile.preference("feature", "loud").updated_at == T0
    assert profile.constraints.diet == ("vegetarian",)
    assert profile.constraints.budget_max == "moderate"
    assert profile.rejected_ids == {"r2"} and profile.item_ids("accepted") == {"r1"}
    assert profile.defaults_for("restaurant", T0 + 60)["restaurant-area"] == "north"
    # the flat dict of the first draft has no version at all: it is version 1
    assert UserProfile.from_json({"user_id": "bob", "diet": "vegan"}).constraints.diet == ("vegan",)


def test_a_profile_from_a_newer_assistant_is_refused_with_what_to_do():
    doc = {**empty().to_json(), "schema_version": SCHEMA_VERSION + 1}
    with pytest.raises(ProfileVersionError, match="upgrade the assistant"):
        UserProfile.from_json(doc)


def test_profiles_are_immutable_and_updates_return_new_ones():
    before = empty()
    after, changes = apply_entities(before, "restaurant", {"restaurant-food": "indian"}, T0 + 1)
    assert before.is_empty and not after.is_empty and changes
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.user_id = "mallory"  # type: ignore[misc]


# ----------------------------------------------------------------------------- decay


def test_decay_halves_a_score_every_half_life():
    assert decay(0.8, 10 * DAY, 10 * DAY) == pytest.approx(0.4)
    assert decay(0.8, 20 * DAY, 10 * DAY) == pytest.approx(0.2)
    assert decay(-0.6, 0, 10 * DAY) == -0.6
    assert decay(-0.6, -5, 10 * DAY) == -0.6  # a clock that went back
    assert decay(0.5, 1e9, None) == decay(0.5, 1e9, float("inf")) == 0.5
    with pytest.raises(ValueError, match="half_life"):
        decay(0.5, 1, 0)


def test_old_preferences_fade_and_new_evidence_builds_on_the_faded_score():
    p, _ = apply_entities(empty(), "restaurant", {"restaurant-food": "indian"}, T0, half_life=10 * DAY)
    assert p.score("food", "indian", T0) == pytest.approx(0.2)
    assert p.score("food", "indian", T0 + 10 * DAY, 10 * DAY) == pytest.approx(0.1)
    p2, _ = apply_entities(p, "restaurant", {"restaurant-food": "indian"}, T0 + 10 * DAY, half_life=10 * DAY)
    assert p2.preference("food", "indian").score == pytest.approx(nudge(0.1, 0.2))
    # asked for once: a hint, said as one; faded: not said at all
    assert "You seem to like Indian food." in describe_profile(p, T0)
    assert not [s for s in describe_profile(p, T0 + 60 * DAY, half_life=10 * DAY) if "Indian" in s]


def test_nudges_saturate_within_minus_one_and_one():
    s = 0.0
    for _ in range(50):
        s = nudge(s, 0.8)
    assert 0.99 < s <= 1.0
    assert nudge(-1.0, -0.5) == -1.0 and nudge(0.5, -0.5) == pytest.approx(-0.25)


# ----------------------------------------------------------------------------- entities and fusion


def test_chosen_values_nudge_soft_preferences():
    p, changes = apply_entities(empty(), "restaurant",
                                {"restaurant-food": "indian", "restaurant-area": "centre",
                                 "restaurant-pricerange": "moderately priced"}, T0)
    assert score(p, "food", "indian") == pytest.approx(0.2)
    assert score(p, "area", "centre") == pytest.approx(0.2)
    assert score(p, "pricerange", "moderate") == pytest.approx(0.2)
    assert any("Indian food" in c for c in changes)


def test_values_are_read_as_the_catalogue_writes_them():
    text = "I like to stay central"
    p, _ = state(text, ents(text, hotel_area="central"))
    assert score(p, "area", "centre") == pytest.approx(0.6)
    p, _ = apply_entities(empty(), "hotel", {"hotel-area": "city center", "hotel-pricerange": "pricey"}, T0)
    assert p.fact("area").value == "centre" and score(p, "pricerange", "expensive") == pytest.approx(0.2)


def test_entity_lists_from_the_parser_work_like_a_mapping():
    parsed = [{"entity": "restaurant-food", "value": "thai", "start": 0, "end": 4, "confidence": 0.9}]
    p, _ = apply_entities(empty(), "restaurant", parsed, T0)
    assert score(p, "food", "thai") == pytest.approx(0.2)


def test_hotel_area_becomes_the_default_area_for_restaurants_and_attractions():
    p, changes = apply_entities(empty(), "hotel", {"hotel-area": "north"}, T0)
    assert any("looking for a hotel in the north" in c for c in changes)  # searched for, not booked yet
    assert p.preference("area", "north") is None  # where you stay is a fact, not a taste
    assert p.defaults_for("restaurant", T0 + 3600) == {"restaurant-area": "north"}
    assert p.defaults_for("attraction", T0 + 3600) == {"attraction-area": "north"}
    assert "hotel-area" not in p.defaults_for("hotel", T0 + 3600)
    assert p.defaults_for("restaurant", T0 + 30 * DAY) == {}  # last month's stay says nothing today


def test_a_bare_inform_is_read_for_the_task_in_focus():
    # the parser labels a bare "north" restaurant-area; in a hotel task it is the hotel's area
    p, _ = apply_entities(empty(), "hotel", [{"entity": "restaurant-area", "value": "north"}], T0)
    assert p.fact("area").value == "north" and p.fact("area").source == "hotel"


def test_party_size_and_day_carry_over_between_bookings():
    p, _ = apply_entities(empty(), "hotel", {"hotel-bookpeople": "4", "hotel-bookday": "friday"}, T0)
    assert p.defaults_for("restaurant", T0 + 60) == {"restaurant-bookpeople": 4, "restaurant-bookday": "friday"}
    assert p.defaults_for("train", T0 + 60) == {"train-bookpeople": 4, "train-day": "friday"}
    p, changes = apply_entities(p, "restaurant", {"restaurant-bookpeople": 2.0}, T0 + 120)
    assert p.defaults_for("hotel", T0 + 180)["hotel-bookpeople"] == 2 and any("Party of 2" in c for c in changes)
    assert "train-day" not in p.defaults_for("train", T0 + 2 * DAY)  # a day's plans do not outlive the day


def test_a_booked_hotel_sets_the_shared_area_and_ranking_favours_places_near_it():
    p, changes = apply_outcome(empty(), LODGE, True, T0)
    assert p.fact("area").value == "north"
    assert any("You're staying in the north" in c for c in changes)
    assert "You're staying in the north, so I suggest places there." in describe_profile(p)
    assert "Last time you stayed in the north." in describe_profile(p, now=T0 + 30 * DAY)
    searched, _ = apply_entities(empty(), "hotel", {"hotel-area": "north"}, T0)
    assert "Last time you looked for a hotel in the north." in describe_profile(searched, now=T0 + 30 * DAY)
    near = {"id": "a", "kind": "restaurant", "name": "Near", "attributes": {"food": "thai", "area": "north"}}
    far = {"id": "b", "kind": "restaurant", "name": "Far", "attributes": {"food": "thai", "area": "south"}}
    top = ranking.rank([far, near], p, ranking.initial_state(), now=T0 + 60, tried=[LODGE]).top
    assert top.candidate.id == "a"
    assert any(r.words == "it's in the north, near your hotel" for r in top.reasons)
    # only the area asked for, no hotel taken there: no hotel to be near yet
    asked, _ = apply_entities(empty(), "hotel", {"hotel-area": "north"}, T0)
    top = ranking.rank([far, near], asked, ranking.initial_state(), now=T0 + 60).top
    assert any(r.words == "it's in the north, where you want to stay" for r in top.reasons)


def test_taxi_and_train_values_say_nothing_about_taste():
    p, changes = apply_entities(empty(), "taxi", {"taxi-destination": "curry garden", "taxi-leaveat": "18:00"}, T0)
    assert p == empty()
    assert changes == []


# ----------------------------------------------------------------------------- statements


def test_im_vegetarian_is_a_diet_constraint():
    text = "I'm veggie"
    p, changes = state(text, ents(text, diet=("veggie", "veggie")))
    assert p.constraints.diet == ("vegetarian",) and changes
    p, _ = state("I'm not vegetarian any more", ents("I'm not vegetarian any more", diet="vegetarian"), p)
    assert p.constraints.diet == ()


def test_a_diet_is_not_undone_by_a_negation_in_another_clause():
    text = "I don't eat meat, I'm veggie"
    p, _ = state(text, ents(text, diet=("veggie", "vegetarian")))
    assert p.constraints.diet == ("vegetarian",)


def test_dont_forget_is_a_reminder_not_a_negation():
    text = "don't forget I'm vegetarian"
    p, _ = state(text, ents(text, diet="vegetarian"))
    assert p.constraints.diet == ("vegetarian",)


def test_forget_values_erases_what_each_value_names_and_says_so():
    text = "I'm vegetarian, I use a wheelchair, I love Thai food but hate loud places, nothing over moderate"
    p, _ = state(text, ents(text, diet="vegetarian", feature=("wheelchair", "wheelchair access"),
                            restaurant_food=("Thai", "thai"), restaurant_pricerange="moderate"))
    p, _ = state("I hate loud places", ents("I hate loud places", feature="loud"), p)
    assert p.constraints.budget_max == "moderate" and score(p, "feature", "loud") < 0

    q, said = forget_values(p, [{"entity": "diet", "value": "veggie"}, {"entity": "feature", "value": "noisy"}],
                            T0 + 5)
    assert said == ["that you're vegetarian", "that you don't like loud places"]
    assert q.constraints.diet == () and q.preference("feature", "loud") is None
    assert q.constraints.accessibility == ("wheelchair access",) and score(q, "food", "thai") > 0.5
    q, said = forget_values(q, {"restaurant-pricerange": "moderate", "feature": "wheelchair access"}, T0 + 6)
    assert said == ["your budget (moderate at most)", "that you need wheelchair access"]
    assert q.constraints == updates.Constraints((), (), None)
    q, said = forget_values(q, {"hotel-food": "Thai"}, T0 + 7)  # the task named does not matter
    assert said == ["that you like Thai food"] and q.preferences == ()


def test_forget_values_by_kind_and_facts_and_refusals():
    p, _ = state("I'm vegan and gluten free",
                 [{"entity": "diet", "value": "vegan"}, {"entity": "diet", "value": "gluten free"}])
    p, _ = apply_entities(p, "hotel", {"hotel-bookpeople": 3, "hotel-area": "north"}, T0 + 2)
    p, _ = apply_feedback(p, KETTLE, False, None, T0 + 3)
    assert p.fact("party_size").value == 3 and "r-kettle" in p.rejected_ids

    q, said = forget_values(p, [], T0 + 4, named=("diet", "party_size"))
    assert said == ["that you're vegan", "that you need gluten-free food", "your usual party size"]
    assert q.constraints.diet == () and q.fact("party_size") is None and q.fact("area") is not None
    q, said = forget_values(q, {"hotel-area": "north", "restaurant-name": "the copper kettle"}, T0 + 5)
    assert "where you're staying" in said and "that you turned down The Copper Kettle" in said
    assert q.fact("area") is None and "r-kettle" not in q.rejected_ids


def test_forget_values_with_nothing_held_changes_nothing():
    p, _ = state("I'm vegan", ents("I'm vegan", diet="vegan"))
    q, said = forget_values(p, {"diet": "vegetarian", "restaurant-food": "thai", "hotel-bookpeople": 2}, T0 + 9,
                            named=("budget",))
    assert said == [] and q is p


def test_love_and_hate_are_strong_preferences_on_features():
    p, _ = state("I love spicy food", ents("I love spicy food", feature="spicy"))
    assert score(p, "feature", "spicy") == pytest.approx(0.8)
    p, _ = state("I hate loud places", ents("I hate loud places", feature="loud"), p)
    assert score(p, "feature", "loud") == pytest.approx(-0.8)
    p, _ = state("noisy bars are not my thing", ents("noisy bars are not my thing", feature=("noisy", "loud")), p)
    assert score(p, "feature", "loud") < -0.9


def test_each_entity_takes_the_feeling_of_its_own_clause():
    text = "I love spicy food but hate loud places"
    p, _ = state(text, ents(text, feature="spicy") + ents(text, feature="loud"))
    assert score(p, "feature", "spicy") == pytest.approx(0.8)
    assert score(p, "feature", "loud") == pytest.approx(-0.8)


@pytest.mark.parametrize("text, words, expected", [
    ("I really like Italian", "Italian", 0.8),
    ("I prefer quiet places", "quiet", 0.6),
    ("i don't like chinese food", "chinese", -0.6),
    ("i cant handle spicy food", "spicy", -0.6),
    ("I'm not a fan of crowded places", "crowded", -0.6),
    ("we have kids with us", "kids", 0.5),
])
def test_the_words_around_a_value_give_its_sign_and_strength(text, words, expected):
    entity = "feature" if words in ("quiet", "spicy", "crowded", "kids") else "restaurant_food"
    value = {"kids": "child friendly", "Italian": "italian"}.get(words, words)
    p, _ = state(text, ents(text, **{entity: (words, value)}))
    attribute = "feature" if entity == "feature" else "food"
    assert score(p, attribute, value) == pytest.approx(expected)


def test_i_use_a_wheelchair_is_an_accessibility_constraint():
    text = "I use a wheelchair"
    p, changes = state(text, ents(text, feature=("wheelchair", "wheelchair")))
    assert p.constraints.accessibility == ("wheelchair access",)
    assert p.preferences == () and any("wheelchair access" in c for c in changes)


@pytest.mark.parametrize("text, entities, ceiling", [
    ("nothing over moderate", [], "moderate"),
    ("nothing over moderate please", [{"entity": "restaurant-pricerange", "value": "moderate"}], "moderate"),
    ("I'm on a tight budget", [{"entity": "restaurant-pricerange", "value": "cheap", "text": "budget"}], "cheap"),
    ("something under expensive", [], "moderate"),
    ("I don't want expensive places", [{"entity": "restaurant-pricerange", "value": "expensive"}], "moderate"),
])
def test_a_price_limit_is_the_budget_ceiling(text, entities, ceiling):
    p, changes = state(text, entities)
    assert p.constraints.budget_max == ceiling and any("Budget ceiling" in c for c in changes)


def test_liking_dear_places_lifts_an_old_ceiling():
    p, _ = state("nothing over moderate")
    text = "I usually go for expensive places, money's no object"
    p, changes = state(text, ents(text, restaurant_pricerange="expensive"), p)
    assert p.constraints.budget_max is None and score(p, "pricerange", "expensive") > 0
    assert "No budget limit any more." in changes


def test_only_preference_statements_change_the_profile():
    p, changes = apply_statement(empty(), "find_restaurant", {"diet": "vegetarian"}, "any vegetarian places?", T0)
    assert p == empty() and changes == []


def test_a_constraint_can_be_dropped_after_a_conflict():
    p, _ = state("I'm vegetarian", {"diet": "vegetarian"})
    p, changes = drop_constraint(p, "diet", "veggie", T0 + 5)
    assert p.constraints.diet == () and changes


# ----------------------------------------------------------------------------- feedback and outcomes


def test_accepting_moves_the_items_attributes_up():
    p, changes = apply_feedback(empty(), CURRY, True, None, T0)
    assert score(p, "food", "indian") == pytest.approx(0.3)
    assert score(p, "area", "north") == pytest.approx(0.3)
    assert score(p, "pricerange", "moderate") == pytest.approx(0.3)
    assert score(p, "feature", "spicy") == pytest.approx(0.15)
    assert p.item_ids("accepted") == {"r-curry"} and changes[0] == "You liked Curry Garden."


def test_choosing_a_place_without_parking_or_wifi_is_no_taste_for_doing_without():
    guesthouse = {"id": "h-fennel", "kind": "hotel", "name": "Fennel House",
                  "attributes": {"area": "east", "stars": 2, "parking": False, "internet": True}}
    p, _ = apply_feedback(empty(), guesthouse, True, None, T0)
    p, _ = apply_outcome(p, guesthouse, True, T0 + 1)
    assert p.preference("parking", "no") is None
    assert score(p, "internet", "yes") > 0 and score(p, "stars", "2") > 0


def test_rejecting_without_a_reason_moves_them_down_a_little_and_is_never_forgotten():
    p, _ = apply_feedback(empty(), KETTLE, False, None, T0)
    assert score(p, "food", "british") == pytest.approx(-0.15)
    assert p.preference("type", "restaurant") is None  # the kind of place says nothing about taste
    assert p.rejected_ids == {"r-kettle"}
    filler = tuple(HistoryEntry(f"x{i}", "suggested", T0 + i) for i in range(MAX_HISTORY + 10))
    p = with_changes(p, T0 + 1, history=p.history + filler)
    assert len(p.history) == MAX_HISTORY and p.rejected_ids == {"r-kettle"}


def test_bare_rejections_alone_never_make_a_clear_dislike():
    p = empty()
    for i in range(12):  # turned down again and again with no reason
        p, _ = apply_feedback(p, {**KETTLE, "id": f"k{i}"}, False, None, T0 + i)
    assert score(p, "food", "british") == pytest.approx(updates.WEAK_FLOOR)
    assert score(p, "food", "british") > -0.5  # short of what the ranking takes for a clear dislike
    p, _ = apply_feedback(p, {**KETTLE, "id": "k-x"}, False, "I don't fancy British food", T0 + 20)
    assert score(p, "food", "british") < -0.8  # the user's words do make one
    p, _ = apply_feedback(p, {**KETTLE, "id": "k-y"}, False, None, T0 + 21)
    assert score(p, "food", "british") < -0.8  # and a later bare no does not soften it


def test_a_reason_naming_a_value_marks_that_value_only_and_strongly():
    p, _ = apply_feedback(empty(), CURRY, False, "I don't fancy Indian food", T0)
    assert score(p, "food", "indian") == pytest.approx(-0.8)
    assert all(score(p, a, v) == 0.0 for a, v in (("area", "north"), ("pricerange", "moderate"),
                                                   ("feature", "spicy")))


def test_feedback_is_about_what_the_user_chose_not_what_they_asked_for():
    asked = {**CURRY, "asked": {"area": "north", "pricerange": "moderately priced"}}
    p, _ = apply_feedback(empty(), asked, True, None, T0)
    assert score(p, "food", "indian") == pytest.approx(0.3) and score(p, "feature", "spicy") == pytest.approx(0.15)
    assert p.preference("area", "north") is None and p.preference("pricerange", "moderate") is None
    p, _ = apply_feedback(empty(), {**asked, "id": "c2"}, False, "no, not that one", T0)
    assert score(p, "food", "indian") == pytest.approx(-0.15) and p.preference("area", "north") is None
    p, _ = apply_feedback(empty(), {**asked, "id": "c3"}, False, "that's too far", T0)
    assert score(p, "area", "north") < 0  # a reason about the area still counts


@pytest.mark.parametrize("reason", ["too pricey", "nah, sounds too expensive", "price"])
def test_too_pricey_sets_the_budget_ceiling_below_the_items_price(reason):
    p, changes = apply_feedback(empty(), KETTLE, False, reason, T0)
    assert p.constraints.budget_max == "moderate"
    assert score(p, "pricerange", "expensive") == pytest.approx(-0.4)
    assert score(p, "food", "british") == 0.0  # the reason says what was wrong; the food was not
    assert "Budget ceiling: moderate (nothing pricier)." in changes
    p2, _ = apply_feedback(p, {**CURRY, "id": "c2"}, False, "too pricey", T0 + 1)
    assert p2.constraints.budget_max == "cheap"  # the ceiling only comes down


def test_too_pricey_for_a_cheap_place_sets_no_ceiling_and_says_nothing_against_cheap_places():
    # the user wants it cheaper still: marking cheap places down would push the dearer ones up
    # (and the profile read "You don't like cheap places" beside "You keep to cheap places")
    cheap = {**CURRY, "attributes": {**CURRY["attributes"], "pricerange": "cheap"}}
    p, _ = apply_feedback(empty(), cheap, False, "too pricey", T0)
    assert p.constraints.budget_max is None and score(p, "pricerange", "cheap") == 0.0
    assert p.history[-1].event == "rejected" and p.history[-1].reason == "too pricey"


def test_a_wish_for_a_dearer_place_lifts_a_lower_budget_ceiling_only():
    p, _ = apply_feedback(empty(), KETTLE, False, "too pricey", T0)
    assert p.constraints.budget_max == "moderate"
    same, changes = apply_price_wish(p, "moderate", T0 + 1)
    assert same.constraints.budget_max == "moderate" and changes == []
    lifted, changes = apply_price_wish(p, "expensive", T0 + 1)
    assert lifted.constraints.budget_max is None and changes == ["No budget limit any more."]


def test_too_far_marks_the_area_down_and_the_hotels_area_up():
    p, _ = apply_entities(empty(), "hotel", {"hotel-area": "north"}, T0)
    p, _ = apply_feedback(p, KETTLE, False, "that's too far away", T0 + 1)
    assert score(p, "area", "centre") == pytest.approx(-0.4)
    assert score(p, "area", "north") == pytest.approx(0.4)


def test_too_loud_is_a_strong_dislike_of_loud_places():
    p, _ = apply_feedback(empty(), KETTLE, False, "too loud", T0)
    assert score(p, "feature", "loud") == pytest.approx(-0.8)
    assert p.history[-1].reason == "too loud"


def test_been_there_before_is_no_dislike():
    p, _ = apply_feedback(empty(), KETTLE, False, "no, I've been there before", T0)
    assert p.preferences == () and p.rejected_ids == {"r-kettle"}


def test_a_booking_is_the_strongest_evidence_and_a_failed_one_only_history():
    p, changes = apply_outcome(empty(), CURRY, True, T0)
    assert score(p, "food", "indian") == pytest.approx(0.4) and p.item_ids("booked") == {"r-curry"}
    assert changes[0] == "You booked Curry Garden."
    q, _ = apply_outcome(empty(), CURRY, False, T0)
    assert q.preferences == () and q.item_ids("booking_failed") == {"r-curry"}


def test_a_cancelled_booking_is_no_longer_said_to_be_booked_but_the_taste_stays():
    booked, _ = apply_outcome(empty(), LODGE, True, T0)
    cancelled, changes = apply_cancellation(booked, LODGE, T0 + 60)
    assert changes == [f"You cancelled {LODGE['name']}."]
    assert booked.standing_bookings() == {LODGE["id"]} and cancelled.standing_bookings() == frozenset()
    described = describe_profile(cancelled, now=T0 + 120)
    assert not any(line.startswith("You booked") for line in described)
    # the hotel's area is where the user looks, no longer where they stay
    assert "You're looking for a hotel in the north, so I suggest places there." in described
    assert cancelled.preferences == booked.preferences  # plans changed; the taste it showed did not
    rebooked, _ = apply_outcome(cancelled, LODGE, True, T0 + 180)
    assert rebooked.standing_bookings() == {LODGE["id"]}
    assert any(line.startswith("You booked") for line in describe_profile(rebooked, now=T0 + 200))
    # the new event survives the store's round trip
    assert UserProfile.from_json(json.loads(json.dumps(cancelled.to_json()))) == cancelled


def test_booking_the_place_just_accepted_is_one_choice_not_two():
    accepted, _ = apply_feedback(empty(), CURRY, True, None, T0)
    booked, _ = apply_outcome(accepted, CURRY, True, T0 + 1)
    # accepted (0.3) then booked: together as much as one booking (0.4), features at half
    assert score(booked, "food", "indian") == pytest.approx(0.4)
    assert score(booked, "feature", "spicy") == pytest.approx(0.2)
    again, _ = apply_outcome(booked, CURRY, True, T0 + 2)  # booked again on another trip: full weight
    assert score(again, "food", "indian") == pytest.approx(nudge(0.4, 0.4))


def test_suggestions_are_recorded_in_the_history():
    p, changes = record_suggestion(empty(), KETTLE, T0)
    assert [(h.item_id, h.event, h.kind, h.name) for h in p.history] == [
        ("r-kettle", "suggested", "restaurant", "The Copper Kettle")]
    assert changes == []


# ----------------------------------------------------------------------------- what do you know about me?


def test_an_empty_profile_says_it_knows_nothing():
    assert describe_profile(empty()) == ["I don't know anything about you yet."]


def test_the_profile_in_plain_words():
    p, _ = state("I'm vegetarian", {"diet": "vegetarian"})
    p, _ = apply_feedback(p, CURRY, True, None, T0 + 2)
    p, _ = apply_entities(p, "hotel", {"hotel-area": "north", "hotel-bookpeople": 2}, T0 + 3)
    p, _ = apply_feedback(p, KETTLE, False, "too loud", T0 + 4)
    p, _ = state("nothing over moderate", [], p, T0 + 5)
    lines = describe_profile(p)
    for sentence in ["You're vegetarian.", "You seem to like Indian food and moderate places.",
                     "You're looking for a hotel in the north, so I suggest places there.",
                     "You're usually a party of 2.",
                     "You don't like loud places.", "You turned down The Copper Kettle.",
                     "You liked my suggestion of Curry Garden.", "You don't want anything pricier than moderate."]:
        assert sentence in lines, (sentence, lines)
    assert lines[0] == "You're vegetarian."  # constraints first


def test_what_one_choice_hints_at_is_one_short_sentence_and_unrated_is_no_taste():
    guesthouse = {"id": "h-rest", "kind": "hotel", "name": "Wayfarer's Rest",
                  "attributes": {"area": "north", "pricerange": "cheap", "type": "guesthouse", "stars": 0,
                                 "parking": True, "internet": True, "features": ["garden", "breakfast", "quiet"]}}
    p, _ = apply_feedback(empty(), guesthouse, True, None, T0)
    lines = describe_profile(p)
    hints = [line for line in lines if line.startswith("You seem to like")]
    assert len(hints) == 1 and hints[0].count(",") + hints[0].count(" and ") == 2, lines  # the three strongest
    assert not any("0-star" in line for line in lines) and p.preference("stars", "0") is None
    assert "You liked my suggestion of Wayfarer's Rest." in lines


# ----------------------------------------------------------------------------- the store


@pytest.fixture(scope="session")
def postgres():
    reason = PostgresServer.available()
    if reason:
        pytest.skip(reason)
    with PostgresServer(find_postgres_bin()) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def trackers(request, tmp_path):
    if request.param == "memory":
        store = InMemoryTrackerStore()
    elif request.param == "sqlite":
        store = SQLiteTrackerStore(tmp_path / "assistant.db")
    else:
        store = create_store(request.getfixturevalue("postgres").new_database())
    yield store
    store.close()


def test_an_unknown_user_gets_an_empty_profile(trackers):
    profiles = ProfileStore.on(trackers)
    assert profiles.load("nobody", now=T0) == UserProfile.empty("nobody", T0)
    with pytest.raises(ValueError, match="user_id"):
        profiles.load("")


def test_a_user_only_ever_sees_their_own_profile(trackers):
    profiles = ProfileStore.on(trackers)
    alice, _ = state("I'm vegetarian", {"diet": "vegetarian"}, UserProfile.empty("alice", T0))
    bob, _ = state("I love spicy food", {"feature": "spicy"}, UserProfile.empty("bob", T0))
    profiles.save(alice)
    profiles.save(bob)
    assert profiles.load("alice") == alice and profiles.load("bob") == bob
    assert profiles.load("alice").preferences == () and profiles.load("bob").constraints.diet == ()
    assert profiles.load("alic") == UserProfile.empty("alic")
    assert profiles.users() == ["alice", "bob"]
    trackers.kv.put("profile", "mallory", bob.to_json())  # someone else's document under mallory's key
    with pytest.raises(ProfileError, match="belongs to another user"):
        profiles.load("mallory")


def test_an_old_flat_profile_in_the_store_is_migrated_on_load(trackers):
    trackers.kv.put("profile", "carol", {"diet": "vegetarian"})
    assert ProfileStore(trackers.kv).load("carol").constraints.diet == ("vegetarian",)


def _everything_about(user: str, trackers, profiles: ProfileStore) -> None:
    profile, _ = apply_feedback(UserProfile.empty(user, T0), CURRY, True, None, T0)
    profiles.save(profile)
    features = dict.fromkeys(ranking.FEATURES, 0.5)
    profiles.save_bandit(bandit.update(ranking.new_user_state(), features, 1.0), user)
    trackers.append(user, [{"event": "user", "timestamp": T0, "text": f"hi from {user}"}])


def test_forget_me_erases_everything_of_that_user_and_nothing_of_others(trackers):
    profiles = ProfileStore.on(trackers)
    profiles.save_bandit(ranking.initial_state())
    for user in ("alice", "bob"):
        _everything_about(user, trackers, profiles)
    trackers.append("alice-phone", [{"event": "user", "timestamp": T0, "text": "hi again"}])
    bob_before = (profiles.load("bob").to_json(), bandit.to_json(profiles.load_bandit("bob")), trackers.load("bob"))

    gone = profiles.forget("alice", senders=["alice-phone"])

    assert gone.profile and gone.bandit and gone.conversations == ("alice", "alice-phone")
    assert gone.sentences() == ["I've erased your profile and everything I learnt from your choices.",
                                "I've deleted our conversations."]
    assert profiles.load("alice").is_empty and profiles.load_bandit("alice") is None
    assert trackers.load("alice") == [] and not trackers.exists("alice-phone")
    bob_after = (profiles.load("bob").to_json(), bandit.to_json(profiles.load_bandit("bob")), trackers.load("bob"))
    assert bob_after == bob_before
    assert profiles.load_bandit() is not None  # the global model holds no one's personal data
    assert profiles.users() == ["bob"]
    again = profiles.forget("alice")
    assert not again.anything and again.sentences() == ["I had nothing stored about you."]


def test_bandit_state_is_kept_globally_and_per_user(trackers):
    profiles = ProfileStore(trackers.kv)
    assert profiles.load_bandit() is None and profiles.load_bandit("alice") is None
    g = bandit.update(ranking.initial_state(), dict.fromkeys(ranking.FEATURES, 1.0), 1.0)
    profiles.save_bandit(g)
    loaded = profiles.load_bandit()
    assert loaded.count == 1 and loaded.weights() == pytest.approx(g.weights())


def _reopen(kind: str, tmp_path, request):
    if kind == "sqlite":
        path = tmp_path / "profiles.db"
        return lambda: SQLiteTrackerStore(path)
    dsn = request.getfixturevalue("postgres").new_database()
    return lambda: create_store(dsn)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_profiles_and_learning_survive_a_restart(kind, tmp_path, request):
    open_store = _reopen(kind, tmp_path, request)
    profile = full_profile()
    global_state = bandit.update(ranking.initial_state(), dict.fromkeys(ranking.FEATURES, 0.3), 1.0)
    user_state = bandit.update(ranking.new_user_state(), dict.fromkeys(ranking.FEATURES, 0.7), 0.0)
    first = open_store()
    profiles = ProfileStore.on(first)
    profiles.save(profile)
    profiles.save_bandit(global_state)
    profiles.save_bandit(user_state, "alice")
    first.close()  # the process ends

    second = open_store()
    try:
        profiles = ProfileStore.on(second)
        assert profiles.load("alice") == profile
        assert describe_profile(profiles.load("alice")) == describe_profile(profile)
        assert profiles.load_bandit().weights() == pytest.approx(global_state.weights())
        assert profiles.load_bandit("alice").count == 1
    finally:
        second.close()


def test_a_stay_the_user_tells_of_is_shared_like_a_booked_hotel_but_is_no_booking():
    p, changes = apply_stay(empty(), "Lockside Guesthouse", "north", T0)
    assert p.fact("staying_at").value == "Lockside Guesthouse" and p.fact("area").value == "north"
    assert p.defaults_for("restaurant", T0 + 60) == {"restaurant-area": "north"}
    assert p.history == () and p.standing_bookings() == frozenset()
    assert "You're staying at Lockside Guesthouse." in changes
    lines = describe_profile(p, T0 + 60)
    assert "You're staying at Lockside Guesthouse, in the north, so I suggest places there." in lines
    assert UserProfile.from_json(p.to_json()).fact("staying_at").value == "Lockside Guesthouse"
