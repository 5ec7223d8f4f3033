"""The contextual bandit (LinUCB): the ridge regression it is, exploration, JSON, global + per-user
models; and a simulation in which the bandit + profile ranking beats a popularity baseline."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from assistant.profile import UserProfile
from assistant.profile.model import PRICE_LEVELS
from assistant.profile.updates import apply_feedback, apply_outcome
from policies import bandit, ranking
from policies.bandit import BanditError
from policies.ranking import Candidate, RankingSettings

F = ("bias", "a", "b")


def test_a_new_state_scores_with_the_prior_weights():
    s = bandit.new_state(F, {"a": 1.0, "b": -0.5}, prior_strength=2.0)
    assert s.weights() == pytest.approx({"bias": 0.0, "a": 1.0, "b": -0.5})
    result = bandit.score(s, {"bias": 1, "a": 0.4, "b": 0.2})
    assert result.expected == pytest.approx(0.3) and result.bonus == 0 and result.total == result.expected
    assert result.contributions == pytest.approx({"bias": 0.0, "a": 0.4, "b": -0.1})


def test_update_is_ridge_regression_towards_the_prior():
    rng = np.random.default_rng(0)
    w0 = np.array([0.0, 1.0, 0.5])
    s = bandit.new_state(F, dict(zip(F, w0)), prior_strength=1.5)
    X = rng.uniform(-1, 1, (40, 3))
    r = rng.integers(0, 2, 40).astype(float)
    for x, reward in zip(X, r):
        s = bandit.update(s, x, reward)
    expected = np.linalg.solve(1.5 * np.eye(3) + X.T @ X, 1.5 * w0 + X.T @ r)
    assert bandit.theta(s) == pytest.approx(expected)
    assert s.count == 40


def test_updates_are_pure_and_states_read_only():
    s = bandit.new_state(F)
    t = bandit.update(s, [1, 1, 0], 1.0)
    assert s.count == 0 and t.count == 1 and not np.shares_memory(s.A, t.A)
    with pytest.raises(ValueError):
        t.A[0, 0] = 5.0


def test_the_exploration_bonus_is_largest_where_little_was_seen():
    s = bandit.new_state(F)
    for _ in range(10):
        s = bandit.update(s, {"bias": 1, "a": 1}, 0.5)
    seen = bandit.score(s, {"bias": 1, "a": 1}, alpha=1.0)
    unseen = bandit.score(s, {"bias": 1, "b": 1}, alpha=1.0)
    assert unseen.bonus > seen.bonus > 0
    assert bandit.score(s, {"bias": 1, "b": 1}, alpha=0.0).bonus == 0
    with pytest.raises(BanditError, match="alpha"):
        bandit.score(s, {"a": 1}, alpha=-1)


def test_bad_vectors_are_refused_with_the_feature_names():
    s = bandit.new_state(F)
    with pytest.raises(BanditError, match="unknown features"):
        bandit.score(s, {"c": 1})
    with pytest.raises(BanditError, match="expected 3"):
        bandit.update(s, [1, 2], 1.0)
    with pytest.raises(BanditError, match="finite"):
        bandit.update(s, [1, float("nan"), 0], 1.0)


def test_json_round_trip_and_a_changed_feature_list():
    s = bandit.new_state(F, {"a": 1.0})
    for x, r in [([1, 1, 0], 1.0), ([1, 0, 1], 0.0), ([1, 1, 1], 1.0)]:
        s = bandit.update(s, x, r)
    doc = json.loads(json.dumps(bandit.to_json(s)))
    back = bandit.from_json(doc)
    assert back.features == F and back.count == 3 and back.weights() == pytest.approx(s.weights())
    grown = bandit.from_json(doc, features=("bias", "a", "b", "c"))
    assert grown.features[-1] == "c" and grown.count == 3
    assert grown.A[:3, :3] == pytest.approx(s.A)  # the observations on the shared features are kept
    with pytest.raises(BanditError, match="version"):
        bandit.from_json({**doc, "version": 99})
    with pytest.raises(BanditError, match="malformed"):
        bandit.from_json({**doc, "A": [[1.0]]})


def test_a_user_model_starts_at_the_global_one_and_moves_with_their_own_feedback():
    g = bandit.new_state(F, {"a": 1.0})
    for _ in range(30):  # most people like "a"
        g = bandit.update(g, {"bias": 1, "a": 1}, 1.0)
        g = bandit.update(g, {"bias": 1, "b": 1}, 0.0)
    fresh = bandit.personalise(g, None, strength=3.0)
    assert fresh.weights() == pytest.approx(g.weights())
    user = bandit.new_state(F, prior_strength=3.0)
    for _ in range(10):  # this user does not
        user = bandit.update(user, {"bias": 1, "a": 1}, 0.0)
        user = bandit.update(user, {"bias": 1, "b": 1}, 1.0)
    mine = bandit.personalise(g, user, strength=3.0)
    assert mine.weights()["b"] > mine.weights()["a"]
    assert g.weights()["a"] > g.weights()["b"]
    assert bandit.personalise(g, bandit.new_state(F), 3.0).weights() == pytest.approx(g.weights())
    stubborn = bandit.personalise(g, user, strength=1000.0)
    assert stubborn.weights() == pytest.approx(g.weights(), abs=0.05)


# ----------------------------------------------------------------------------- simulated users

CUISINES = ("indian", "italian", "chinese", "thai", "british", "french")
AREAS = ("north", "south", "east", "west")
SESSIONS = 8
DAY = 86400.0


def synthetic_catalogue(rng: random.Random) -> list[Candidate]:
    """Every cuisine at every price in every area (72 places), popularity unrelated to anyone's taste."""
    return [Candidate(f"{area}-{food}-{price}", "restaurant", f"{food.title()} {price} ({area})",
                      {"food": food, "area": area, "pricerange": price}, popularity=rng.random())
            for area in AREAS for food in CUISINES for price in PRICE_LEVELS]


class SimulatedUser:
    """Hidden tastes: two favourite cuisines and a price they will not go above; says why, sometimes;
    and, like people, not always consistent (takes 90% of what suits them and 10% of what does not)."""

    def __init__(self, uid: str, rng: random.Random, avoids_crowds: bool = False) -> None:
        self.uid = uid
        self.rng = rng
        self.cuisines = set(rng.sample(CUISINES, 2))
        self.budget = rng.randrange(len(PRICE_LEVELS))
        self.avoids_crowds = avoids_crowds  # popular places are tourist traps to them (no attribute says so)

    def suits(self, c: Candidate) -> bool:
        if self.avoids_crowds and c.popularity >= 0.6:
            return False
        return c.attributes["food"] in self.cuisines and PRICE_LEVELS.index(c.attributes["pricerange"]) <= self.budget

    def accepts(self, c: Candidate) -> bool:
        return self.rng.random() < (0.9 if self.suits(c) else 0.1)

    def reason(self, c: Candidate) -> str | None:
        if PRICE_LEVELS.index(c.attributes["pricerange"]) > self.budget and self.rng.random() < 0.7:
            return "too pricey"
        return None


def simulate(policy: str, seed: int = 7, users: int = 24, tries: int = 3, avoids_crowds: bool = False) -> list[float]:
    """Acceptance rate of the first suggestion in each session (index 0 = session 1).

    ``policy``: ``ours`` (profile + bandit, learning from every answer), ``fixed`` (profile with the
    prior weights, the bandit never updated), ``popularity`` or ``random``. Each session the user
    asks for a restaurant in some area and gets up to ``tries`` suggestions ("something else").
    """
    rng = random.Random(seed)
    catalogue = synthetic_catalogue(rng)
    settings = RankingSettings()
    population = [SimulatedUser(f"u{i}", random.Random(seed * 1000 + i), avoids_crowds) for i in range(users)]
    profiles = {u.uid: UserProfile.empty(u.uid, 0.0) for u in population}
    user_models: dict[str, bandit.BanditState | None] = {u.uid: None for u in population}
    global_model = ranking.initial_state(settings)
    first_accepted = np.zeros(SESSIONS)
    for session in range(SESSIONS):
        for user in population:
            now = (session + 1) * DAY + len(user.uid)
            area = rng.choice(AREAS)  # each session the user asks for a restaurant in some area
            pool = [c for c in catalogue if c.attributes["area"] == area]
            shown: list[Candidate] = []
            for attempt in range(tries):
                if policy == "popularity":
                    choice = max((c for c in pool if c not in shown), key=lambda c: c.popularity)
                elif policy == "random":
                    choice = rng.choice([c for c in pool if c not in shown])
                else:
                    model = ranking.model_for(global_model, user_models[user.uid], settings)
                    top = ranking.rank(pool, profiles[user.uid], model, now=now, settings=settings,
                                       suggested=shown).top
                    if top is None:  # everything here was turned down before: nothing left to offer
                        break
                    choice = top.candidate
                accepted = user.accepts(choice)
                if attempt == 0:
                    first_accepted[session] += accepted
                if policy in ("ours", "fixed"):
                    if policy == "ours":
                        global_model, user_models[user.uid] = ranking.learn(
                            global_model, user_models[user.uid], top, accepted, settings)
                    p, _ = apply_feedback(profiles[user.uid], choice, accepted,
                                          None if accepted else user.reason(choice), now)
                    if accepted:
                        p, _ = apply_outcome(p, choice, True, now)
                    profiles[user.uid] = p
                shown.append(choice)
                if accepted:
                    break
    return (first_accepted / users).tolist()


def test_the_bandit_and_profile_beat_popularity_on_simulated_users():
    ours = simulate("ours")
    popularity = simulate("popularity")
    chance = simulate("random")
    later = slice(3, SESSIONS)  # from the fourth session on
    ours_later, pop_later = np.mean(ours[later]), np.mean(popularity[later])
    print(f"\nfirst-suggestion acceptance per session\n  ours       {np.round(ours, 2).tolist()}"
          f"\n  popularity {np.round(popularity, 2).tolist()}\n  random     {np.round(chance, 2).tolist()}")
    assert ours[0] == pytest.approx(popularity[0])  # before any feedback we know no more than the crowd
    assert ours_later >= 0.75
    assert ours_later >= 2 * pop_later
    assert ours_later >= 2 * np.mean(chance[later])


def test_the_bandit_learns_what_no_attribute_says():
    """These users avoid popular places (tourist traps): only the learnt weights can find that out."""
    ours = simulate("ours", avoids_crowds=True)
    fixed = simulate("fixed", avoids_crowds=True)
    popularity = simulate("popularity", avoids_crowds=True)
    later = slice(3, SESSIONS)
    print(f"\nusers who avoid crowds\n  ours       {np.round(ours, 2).tolist()}"
          f"\n  fixed      {np.round(fixed, 2).tolist()}\n  popularity {np.round(popularity, 2).tolist()}")
    assert np.mean(ours[later]) >= np.mean(fixed[later]) + 0.1
    assert np.mean(ours[later]) >= 2 * np.mean(popularity[later])


def test_exploration_fades_as_the_model_gains_observations():
    assert bandit.decayed_alpha(0.2, 0, 10) == pytest.approx(0.2)
    assert bandit.decayed_alpha(0.2, 10, 10) == pytest.approx(0.1)  # halved at ``half`` observations
    fading = [bandit.decayed_alpha(0.2, n, 10) for n in range(0, 60, 5)]
    assert fading == sorted(fading, reverse=True) and fading[-1] < 0.04
    assert bandit.decayed_alpha(0.2, 500, None) == 0.2 and bandit.decayed_alpha(0.0, 3, 10) == 0.0
    with pytest.raises(BanditError):
        bandit.decayed_alpha(-0.1, 0, 10)
    with pytest.raises(BanditError):
        bandit.decayed_alpha(0.1, 0, 0)


def test_a_user_the_model_knows_well_gets_less_exploration():
    settings = RankingSettings(alpha=0.5, explore_half=5)
    pool = [Candidate("a", "restaurant", "A", {"food": "thai"}, 0.5), Candidate("b", "restaurant", "B", {}, 0.4)]
    profile = UserProfile.empty("u", 0.0)
    global_model = ranking.initial_state(settings)
    new_user = ranking.rank(pool, profile, ranking.model_for(global_model, None, settings), now=1.0,
                            settings=settings).top
    user_model = None
    for _ in range(20):  # the same kind of suggestion seen 20 times: the model knows this user now
        global_model, user_model = ranking.learn(global_model, user_model, new_user, True, settings)
    known = ranking.rank(pool, profile, ranking.model_for(global_model, user_model, settings), now=1.0,
                         settings=settings)
    assert ranking.exploration(ranking.model_for(global_model, user_model, settings), settings) == \
        pytest.approx(0.5 * 5 / 25)
    assert all(r.bonus < new_user.bonus / 5 for r in known.items)
