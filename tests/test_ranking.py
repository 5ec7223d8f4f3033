"""Profile-aware ranking: hard constraints are never broken (property-tested over random catalogues
and profiles), the stated reasons are exactly the features that drove the score, "something else"
is different, and learnt weights change the order."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.profile import UserProfile
from assistant.profile.model import Constraints, Fact, HistoryEntry, Preference, price_rank
from assistant.profile.updates import apply_entities, apply_feedback, apply_outcome, apply_statement
from policies import bandit, ranking
from policies.ranking import FEATURES, Candidate, RankingSettings, rank, violations

T0 = 1_700_000_000.0


def item(item_id: str, kind: str = "restaurant", name: str = "", popularity: float = 0.5, similarity: float = 0.0,
         **attributes) -> dict:
    return {"id": item_id, "kind": kind, "name": name or item_id.title(), "attributes": attributes,
            "popularity": popularity, "similarity": similarity}


def profile(**constraints) -> UserProfile:
    return UserProfile("u", constraints=Constraints(**constraints), created_at=T0, updated_at=T0)


def ids(ranking_result) -> list[str]:
    return [r.candidate.id for r in ranking_result.items]


def run(candidates, p, **kw):
    return rank(candidates, p, kw.pop("state", ranking.initial_state()), now=kw.pop("now", T0 + 60), **kw)


# ----------------------------------------------------------------------------- hard filter


def test_a_vegetarian_never_gets_a_steakhouse_or_a_place_without_vegetarian_food():
    veg = profile(diet=("vegetarian",))
    catalogue = [
        item("steak", food="steakhouse", popularity=1.0),
        item("steak-with-salad", food="steakhouse", diets=["vegetarian"]),
        item("no-veg", food="british", diets=["halal"]),
        item("flag-no", food="british", vegetarian=False),
        item("grill", name="Smokehouse Joe's", food="british"),
        item("vegan-menu", food="british", diets=["vegan"]),
        item("unknown", food="indian"),
        item("hotel", kind="hotel", name="Steak Inn", type="hotel"),  # no food: diets do not apply
    ]
    result = run(catalogue, veg)
    assert sorted(ids(result)) == ["hotel", "unknown", "vegan-menu"]
    why = {e.candidate.id: e.why for e in result.excluded}
    assert why["steak"] == ("no vegetarian food",)
    # the place that says it caters for the diet says so first; one silent about it promises nothing
    said = {r.candidate.id: [x.words for x in r.reasons if x.feature == ranking.DIET_FEATURE] for r in result.items}
    assert said == {"vegan-menu": ["it has vegetarian options"], "unknown": [], "hotel": []}
    assert next(r for r in result.items if r.candidate.id == "vegan-menu").reasons[0].feature == "diet"


def test_a_diet_reason_names_each_diet_the_place_caters_for():
    both = profile(diet=("vegan", "halal"))
    place = item("all", food="lebanese", vegan_options=True, halal=True)
    assert [r.words for r in ranking.diet_reasons(Candidate.of(place), both)] == [
        "it has vegan options", "it serves halal food"]
    assert ranking.diet_reasons(Candidate.of(place), both, frozenset({"vegan"}))[0].words == "it serves halal food"
    assert ranking.diet_reasons(Candidate.of(place), profile()) == ()


def test_budget_ceiling_accessibility_and_rejections_are_hard():
    p = profile(budget_max="moderate", accessibility=("wheelchair access",))
    p, _ = apply_feedback(p, item("old", food="thai"), False, None, T0)
    catalogue = [
        item("dear", pricerange="expensive", popularity=1.0),
        item("fine", pricerange="moderate"),
        item("unknown-price", pricerange="?"),
        item("stairs", pricerange="cheap", wheelchair_access=False),
        item("listed-without", pricerange="cheap", accessibility=["hearing loop"]),
        item("ramp", pricerange="cheap", features=["wheelchair access"]),
        item("old", food="thai", popularity=1.0),
    ]
    result = run(catalogue, p)
    # a place that says it has step-free access goes before those silent about it (while there is one)
    assert ids(result) == ["ramp"]
    assert "it has wheelchair access" in [r.words for r in result.top.reasons]
    why = {e.candidate.id: e.why for e in result.excluded}
    assert why["dear"] == ("over budget (expensive > moderate)",)
    assert why["stairs"] == ("no wheelchair access",)
    assert why["old"] == ("turned down before",)
    assert why["fine"] == why["unknown-price"] == ("wheelchair access not known",)
    # none says so: the silent ones are suggested, never one that says it has none
    result = run([c for c in catalogue if c["id"] != "ramp"], p)
    assert sorted(ids(result)) == ["fine", "unknown-price"]


def test_the_tasks_own_values_filter_too():
    catalogue = [item("n", area="north", food="thai"), item("s", area="south", food="thai")]
    assert ids(run(catalogue, profile(), required={"restaurant-area": "north"})) == ["n"]
    assert set(ids(run(catalogue, profile(), required={"area": "dontcare"}))) == {"n", "s"}


# hypothesis: random catalogues and profiles

FOODS = ["indian", "italian", "steakhouse", "seafood", "thai", "british"]
DIETS = ["vegetarian", "vegan", "halal", "gluten free"]
items_strategy = st.lists(
    st.fixed_dictionaries({
        "kind": st.sampled_from(["restaurant", "hotel", "attraction"]),
        "food": st.sampled_from(FOODS),
        "pricerange": st.sampled_from(["cheap", "moderate", "expensive", "?"]),
        "area": st.sampled_from(["north", "south", "centre"]),
        "diets": st.none() | st.lists(st.sampled_from(DIETS), unique=True, max_size=3),
        "vegetarian": st.none() | st.booleans(),
        "wheelchair_access": st.none() | st.booleans(),
        "features": st.lists(st.sampled_from(["spicy", "loud", "quiet", "live music"]), unique=True, max_size=2),
        "popularity": st.floats(0, 1),
        "similarity": st.floats(-1, 1),
    }),
    min_size=1, max_size=12,
)
profile_strategy = st.fixed_dictionaries({
    "diet": st.lists(st.sampled_from(DIETS), unique=True, max_size=2),
    "access": st.booleans(),
    "budget": st.none() | st.sampled_from(["cheap", "moderate", "expensive"]),
    "rejected": st.sets(st.integers(0, 11), max_size=5),
    "prefs": st.dictionaries(st.tuples(st.sampled_from(["food", "area", "pricerange", "feature"]),
                                       st.sampled_from(FOODS + ["north", "cheap", "spicy", "loud"])),
                             st.floats(-1, 1), max_size=6),
    "hotel_area": st.none() | st.sampled_from(["north", "south"]),
})


def build(catalogue_spec, profile_spec):
    catalogue = []
    for i, spec in enumerate(catalogue_spec):
        attributes = {k: v for k, v in spec.items() if k not in ("kind", "popularity", "similarity") and v is not None}
        if spec["kind"] != "restaurant":
            attributes.pop("food")
        catalogue.append({"id": f"i{i}", "kind": spec["kind"], "name": f"Place {i}", "attributes": attributes,
                          "popularity": spec["popularity"], "similarity": spec["similarity"]})
    p = UserProfile(
        "u",
        preferences=tuple(Preference(a, v, s, T0) for (a, v), s in profile_spec["prefs"].items()),
        constraints=Constraints(tuple(profile_spec["diet"]), ("wheelchair access",) if profile_spec["access"] else (),
                                profile_spec["budget"]),
        history=tuple(HistoryEntry(f"i{i}", "rejected", T0) for i in sorted(profile_spec["rejected"])),
        facts=(Fact("area", profile_spec["hotel_area"], "hotel", T0),) if profile_spec["hotel_area"] else (),
        created_at=T0, updated_at=T0,
    )
    return catalogue, p


def breaks_a_constraint(it: dict, p: UserProfile) -> bool:
    """An independent statement of the hard constraints, as the feature list states them."""
    a = it["attributes"]
    if it["id"] in p.rejected_ids:
        return True
    ceiling = price_rank(p.constraints.budget_max)
    if ceiling is not None and price_rank(a.get("pricerange")) is not None and price_rank(a["pricerange"]) > ceiling:
        return True
    if p.constraints.accessibility and a.get("wheelchair_access") is False:
        return True
    if it["kind"] == "restaurant":
        for diet in p.constraints.diet:
            ok = {"vegetarian": {"vegetarian", "vegan"}}.get(diet, {diet})
            if diet in ("vegetarian", "vegan") and a["food"] == "steakhouse":
                return True
            if diet == "vegan" and a["food"] == "seafood":
                return True
            if a.get("diets") is not None and not ok & set(a["diets"]):
                return True
            if diet == "vegetarian" and a.get("diets") is None and a.get("vegetarian") is False:
                return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items_strategy, profile_strategy, st.floats(0, 2), st.integers(0, 3))
def test_ranking_never_breaks_a_hard_constraint(catalogue_spec, profile_spec, alpha, learnt):
    catalogue, p = build(catalogue_spec, profile_spec)
    state = ranking.initial_state()
    rng = np.random.default_rng(learnt)
    for _ in range(learnt * 5):  # whatever the model has learnt, the filter holds
        state = bandit.update(state, rng.uniform(-1, 1, len(FEATURES)), float(rng.integers(0, 2)))
    result = rank(catalogue, p, state, now=T0 + 60, settings=RankingSettings(alpha=alpha))
    by_id = {it["id"]: it for it in catalogue}
    for ranked in result.items:
        assert not breaks_a_constraint(by_id[ranked.candidate.id], p), ranked.candidate
        assert violations(by_id[ranked.candidate.id], p) == []
    assert len(result.items) + len(result.excluded) == len(catalogue)
    for excluded in result.excluded:
        assert excluded.why


# ----------------------------------------------------------------------------- reasons


def _expected_reasons(top, s: RankingSettings) -> list[str]:
    positive = [(c, f) for f, c in top.contributions.items()
                if f not in ("bias", "disliked") and c >= s.min_contribution]
    positive.sort(key=lambda cf: (-cf[0], FEATURES.index(cf[1])))
    return [f for _, f in positive[: s.max_reasons]]


@settings(max_examples=100, deadline=None)
@given(items_strategy, profile_strategy, st.integers(0, 4))
def test_the_stated_reasons_are_exactly_the_top_contributing_features(catalogue_spec, profile_spec, learnt):
    catalogue, p = build(catalogue_spec, profile_spec)
    state = ranking.initial_state()
    rng = np.random.default_rng(learnt)
    for _ in range(learnt * 4):
        state = bandit.update(state, rng.uniform(0, 1, len(FEATURES)), float(rng.integers(0, 2)))
    s = RankingSettings(max_reasons=2)
    result = rank(catalogue, p, state, now=T0 + 60, settings=s)
    w = ranking.weights(state, s)
    for ranked in result.items:
        x = np.array([ranked.features[f] for f in FEATURES])
        # first the diets the place caters for (a promise kept, no score), then the top contributions
        diets = ranking.diet_reasons(ranked.candidate, p)
        assert ranked.reasons[: len(diets)] == diets
        scored = ranked.reasons[len(diets):]
        assert [r.feature for r in scored] == _expected_reasons(ranked, s)
        assert sum(ranked.contributions.values()) == pytest.approx(ranked.expected)
        assert ranked.expected == pytest.approx(float(w @ x))
        for reason in scored:
            assert reason.contribution == ranked.contributions[reason.feature] > 0
            assert reason.words


def test_reasons_in_words():
    before = item("before", food="indian")
    p, _ = apply_feedback(UserProfile.empty("u", T0), before, True, None, T0)
    p, _ = apply_entities(p, "hotel", {"hotel-area": "north"}, T0)
    catalogue = [item("curry", name="Curry Garden", food="indian", area="north", popularity=0.2),
                 item("famous", food="british", area="south", popularity=0.9)]
    top = run(catalogue, p, tried=[before]).top
    assert top.candidate.name == "Curry Garden"
    assert [r.to_dict()["words"] for r in top.reasons] == ["it's in the north, where you want to stay",
                                                           "you liked Indian food before"]
    assert [(r.feature, r.value, r.attribute) for r in top.reasons] == [("near_stay", "north", "area"),
                                                                         ("pref_food", "indian", "food")]
    assert ranking.reasons_sentence(top.reasons) == \
        "it's in the north, where you want to stay, and you liked Indian food before"


def test_with_no_profile_the_priors_prefer_what_was_asked_for_then_the_popular():
    catalogue = [item("popular", popularity=0.9), item("asked", popularity=0.1, similarity=0.8),
                 item("neither", popularity=0.2)]
    result = run(catalogue, profile(), settings=RankingSettings(alpha=0.0))
    assert ids(result) == ["asked", "popular", "neither"]
    assert [r.words for r in result.top.reasons] == ["it matches what you asked for"]
    assert [r.words for r in result.items[1].reasons] == ["it's popular"]


def test_popularity_counts_are_scaled():
    catalogue = [item("a", popularity=120), item("b", popularity=30)]
    result = run(catalogue, profile())
    assert result.top.features["popularity"] == 1.0 and result.items[1].features["popularity"] == 0.25


def test_a_disliked_feature_pushes_a_place_down():
    text = "I hate loud places"
    p, _ = apply_statement(UserProfile.empty("u", T0), "inform_preference", {"feature": "loud"}, text, T0)
    catalogue = [item("loud", features=["loud"], popularity=0.9), item("calm", popularity=0.5)]
    result = run(catalogue, p)
    assert ids(result) == ["calm", "loud"]
    assert result.items[1].contributions["pref_feature"] < 0


# ----------------------------------------------------------------------------- something else


def test_something_else_is_different_from_what_was_suggested():
    catalogue = [item("curry1", food="indian", area="north", pricerange="moderate", popularity=0.9),
                 item("curry2", food="indian", area="north", pricerange="moderate", popularity=0.8),
                 item("pasta", food="italian", area="south", pricerange="cheap", popularity=0.6)]
    first = run(catalogue, profile())
    assert first.top.candidate.id == "curry1"
    again = run(catalogue, profile(), suggested=[first.top.candidate])
    assert ids(again) == ["pasta", "curry2"]  # the near-copy is pushed below a different place
    assert again.items[1].penalty > 0 and again.items[0].penalty == 0
    assert ("already suggested",) in [e.why for e in again.excluded]
    assert ids(run(catalogue, profile(), suggested=["curry1"]))[0] == "curry2"  # bare ids: not offered again only


def test_exploration_is_configurable():
    catalogue = [item("a", popularity=0.5), item("b", popularity=0.5, similarity=0.0)]
    no = run(catalogue, profile(), settings=RankingSettings(alpha=0.0))
    yes = run(catalogue, profile(), settings=RankingSettings(alpha=1.0))
    assert all(r.bonus == 0 for r in no.items) and all(r.bonus > 0 for r in yes.items)


def test_learnt_weights_change_the_order():
    catalogue = [item("popular", popularity=1.0, food="british"), item("liked", popularity=0.0, food="thai")]
    p = UserProfile("u", preferences=(Preference("food", "thai", 0.3, T0),), created_at=T0, updated_at=T0)
    s = RankingSettings(alpha=0.0)
    assert ids(run(catalogue, p, settings=s)) == ["popular", "liked"]
    state = ranking.initial_state()
    for _ in range(20):  # popular places keep being turned down, liked ones accepted
        state = bandit.update(state, {"bias": 1, "popularity": 1.0}, 0.0)
        state = bandit.update(state, {"bias": 1, "pref_food": 0.5}, 1.0)
    assert ids(run(catalogue, p, state=state, settings=s)) == ["liked", "popular"]


def test_candidates_come_as_dicts_objects_or_hits():
    c = Candidate.of(({"id": 7, "kind": "hotel", "attributes": {"area": "east"}}, 0.4))
    assert (c.id, c.kind, c.similarity) == ("7", "hotel", 0.4)
    assert Candidate.of(c) is c

    class Hit:  # the retriever's shape: the catalogue item and its similarity
        def __init__(self, item, similarity):
            self.item, self.similarity = item, similarity

    class Item:
        id, kind, name, attributes, popularity = "r9", "restaurant", "Nine", {"food": "thai"}, 0.3

    hit = Candidate.of(Hit(Item(), 0.7))
    assert (hit.id, hit.name, hit.similarity, hit.popularity, hit.attributes) == ("r9", "Nine", 0.7, 0.3, {"food": "thai"})
    with pytest.raises(ValueError, match="id"):
        Candidate.of({"name": "nameless"})


# ----------------------------------------------------------------------------- learning fast, dislikes


def test_a_clear_dislike_is_not_cancelled_by_what_else_the_place_has():
    p, _ = apply_feedback(UserProfile.empty("u", T0), item("was-loud", features=["loud"]), False, "too loud", T0)
    p, _ = apply_feedback(p, item("liked", features=["live music", "late opening", "river view"]), True, None, T0)
    catalogue = [item("loud-but-fun", features=["loud", "live music", "late opening"], popularity=0.9),
                 item("plain", popularity=0.4)]
    result = run(catalogue, p, settings=RankingSettings(alpha=0.0))
    assert ids(result) == ["plain", "loud-but-fun"]
    bad = result.items[1]
    assert bad.features["disliked"] == pytest.approx(p.score("feature", "loud", T0 + 60))
    assert bad.features["pref_feature"] < 0  # the liked tags do not outweigh the hated one
    assert "disliked" not in [r.feature for r in bad.reasons]


def test_what_the_user_likes_never_counts_against_a_place_whatever_the_model_learnt():
    state = ranking.initial_state()
    for _ in range(30):  # a confounded history: places with liked food were turned down
        state = bandit.update(state, {"bias": 1, "pref_food": 0.8, "popularity": 0.1}, 0.0)
        state = bandit.update(state, {"bias": 1, "popularity": 0.3}, 1.0)
    assert bandit.theta(state)[FEATURES.index("pref_food")] < 0
    w = ranking.weights(state)
    share = RankingSettings().min_weight_share
    assert w[FEATURES.index("pref_food")] == pytest.approx(share * ranking.PRIOR_WEIGHTS["pref_food"])
    assert w[FEATURES.index("popularity")] == pytest.approx(bandit.theta(state)[FEATURES.index("popularity")])
    p = UserProfile("u", preferences=(Preference("food", "thai", 0.6, T0),), created_at=T0, updated_at=T0)
    catalogue = [item("thai", food="thai", popularity=0.5), item("other", food="british", popularity=0.5)]
    assert ids(run(catalogue, p, state=state, settings=RankingSettings(alpha=0.0)))[0] == "thai"
    unguarded = RankingSettings(alpha=0.0, min_weight_share=0.0)
    assert ids(run(catalogue, p, state=state, settings=unguarded))[0] == "other"


def test_one_accepted_and_booked_place_steers_the_next_session():
    """After one session: the liked food comes first, ahead of more popular places and of places
    that only share its price range and tags."""
    liked = item("curry-1", food="indian", area="north", pricerange="cheap", features=["spicy", "child friendly"])
    p, _ = apply_entities(UserProfile.empty("u", T0), "restaurant", {"restaurant-area": "north"}, T0)
    p, _ = apply_feedback(p, {**liked, "asked": {"area": "north"}}, True, None, T0 + 1)
    p, _ = apply_outcome(p, liked, True, T0 + 2)
    catalogue = [item("famous", food="british", area="centre", pricerange="moderate", popularity=1.0),
                 item("lookalike", food="british", area="centre", pricerange="cheap", popularity=0.5,
                      features=["spicy", "child friendly"]),
                 item("curry-2", food="indian", area="centre", pricerange="moderate", popularity=0.5)]
    result = rank(catalogue, p, ranking.initial_state(), now=T0 + 86400, tried=[liked])
    assert ids(result)[0] == "curry-2"
    assert result.top.reasons[0].words == "you liked Indian food before"


def test_a_taste_never_tried_is_no_past():
    """A cuisine the user only said they like (or asked for) is "you like", not "you liked ... before";
    "before" needs a place of it that they took."""
    p, _ = apply_statement(UserProfile.empty("u", T0), "inform_preference", {"food": "indian"},
                           "I love indian food", T0)
    curry = item("curry", name="Curry Garden", food="indian", popularity=0.2)
    thai = item("thai", food="thai")
    def words(**kw):
        return [r.words for r in run([curry], p, **kw).top.reasons if r.feature == "pref_food"]

    assert words() == ["you like Indian food"]
    assert words(tried=[thai]) == ["you like Indian food"]
    assert words(tried=[item("old", food="indian")]) == ["you liked Indian food before"]


def test_turned_down_places_never_come_back_unless_forgiven():
    p = UserProfile.empty("u", T0)
    p, _ = apply_feedback(p, item("bare"), False, None, T0)
    p, _ = apply_feedback(p, item("loud", features=["loud"]), False, "too loud", T0)
    catalogue = [item("bare"), item("loud", features=["loud"]), item("new")]
    week = 7 * 86400
    assert ids(run(catalogue, p, now=T0 + 30 * week)) == ["new"]  # the design's rule: never
    forgiving = RankingSettings(forgive_after=week)
    assert ids(run(catalogue, p, now=T0 + week / 2, settings=forgiving)) == ["new"]
    assert sorted(ids(run(catalogue, p, now=T0 + 2 * week, settings=forgiving))) == ["bare", "new"]  # not "loud"
    assert ranking.turned_down(p, T0 + 2 * week, forgiving) == {"loud"}
    assert violations(item("bare"), p, now=T0 + 2 * week, settings=forgiving) == []


# ----------------------------------------------------------------------------- a diet the user overrides


def test_a_vegetarian_who_insists_on_a_steakhouse_gets_one_veggie_options_first():
    veg = profile(diet=("vegetarian",))
    catalogue = [item("meat-only", food="steakhouse", area="centre", popularity=0.9, vegetarian_options=False),
                 item("salad-bar", food="steakhouse", area="centre", popularity=0.2, vegetarian_options=True),
                 item("veg-cafe", food="british", area="centre")]
    required = {"food": "steakhouse"}
    result = run(catalogue, veg, required=required, settings=RankingSettings(alpha=0.0))
    assert ids(result) == ["salad-bar", "meat-only"]  # the diet filters nothing; caterers come first
    assert result.items[1].penalty == pytest.approx(RankingSettings().waived_diet_penalty)
    assert ranking.waived_diets(veg, required) == {"vegetarian"}
    assert ranking.waived_diets(veg, {"restaurant-food": "Steakhouse"}) == {"vegetarian"}
    assert violations(catalogue[0], veg, required) == []
    # asking for something else keeps the diet a hard filter
    assert ranking.waived_diets(veg, {"food": "british", "area": "centre"}) == frozenset()
    assert ids(run(catalogue, veg, required={"area": "centre"})) == ["veg-cafe"]
    assert violations(catalogue[0], veg, {"area": "centre"}) == ["no vegetarian food"]


def test_a_place_named_by_the_user_can_be_checked_against_a_diet():
    butchers = item("r82", name="The Butcher's Block", food="steakhouse", vegetarian_options=False)
    assert ranking.diet_clash(butchers, "vegetarian") and ranking.diet_clash(butchers, "veggie")
    assert not ranking.diet_clash(item("r1", food="indian", vegetarian_options=True), "vegetarian")
    assert ranking.diet_clash(item("r2", food="british", gluten_free_options=False), "gluten free")
    assert not ranking.diet_clash(item("h1", kind="hotel", name="Steak Inn", type="hotel"), "vegetarian")
