"""Does the recommender learn who the user is? Simulated users talk to the real assistant.

Each simulated user has hidden tastes drawn from the default catalogue's attributes: two favourite
cuisines, a price they will not go above, and (for some) a dislike of loud places. They never state
them. Over 10 sessions (each a new conversation of the same user) they ask, in words, for a
restaurant ("I'm looking for a restaurant in the north", "I'd like to find a restaurant"), answer
the suggestion in words ("sounds good", "too pricey for me", "I don't fancy Thai food", "too loud
for me", "no, not that one"), and, when they accept, book it (people, day, time, yes). Like people
they are not perfectly consistent: they take 90% of what suits them and 10% of what does not.

A new user is asked once, before the first suggestion, what food they like ("... or shall I surprise
you?"). Half the simulated users (``--tell-taste``, drawn per user) answer with their two favourite
cuisines ("I love indian and thai food"; never the budget or the loudness), the others say
"surprise me". ``--tell-taste 0`` is a population that never tells: the recommender must learn
everything from their answers to suggestions.

Everything runs through ``Assistant.handle``: the real NLU model of the default assistant, the
dialogue manager, the profile store (SQLite) and the ranking model that learns from every answer.
The baselines answer the same users through the same dialogue with another ranking: the most
popular place that fits the request, or a random one. The parser reads each message on its own, so
its readings are memoised by text (the figures are those of parsing every message; it is only faster).

Which area a request names is the *scenario* (``--scenarios``); every policy, and the yardsticks, meet
exactly the same requests (they are drawn before the run, from the users alone, never from what a
policy suggested):

``random-area`` (the original scenario)
    each request names one of the five areas at random, or none (2 times in 7), whoever the user
    is. It is kept for comparison with earlier figures, but it is not how people ask: a user who
    only likes Korean and Polish food is sent, most sessions, to an area with nothing they like, so
    there even a perfect recommender usually fails (the "best possible" row).
``habits`` (the default headline)
    people ask for the places they go to. Each user has a home area (drawn at random) and knows the
    town: the places that suit them are where they go out. A request names no area 40% of the
    time; 40% of the time the area of one of the places that suit them (drawn uniformly over those
    places, so areas with more of them come up more often: where they have been and liked it); 20%
    of the time their home area, whatever is there. A user for whom nothing in town suits names
    their home area instead of a haunt. Nothing in it depends on the policy being measured.

The figure: the share of sessions whose *first* suggestion the user accepted, per session number,
for each policy. Two yardsticks run on the same users and requests:

*best possible*
    what a ranking that knows the hidden tastes would get (0.9 where some place that fits the
    request suits the user, 0.1 where none does): the ceiling the scenario allows.
*bayes learner*
    how fast the tastes *can* be learnt from these answers: a learner that knows how the simulated
    users are made and answer (two favourite cuisines of the catalogue's, the budget and loudness
    odds, 90/10, which words each refusal takes), but not what each one likes. It keeps an exact
    posterior over every taste a user can have, updates it by Bayes' rule after each answer, and
    suggests the place most likely to suit (greedy, no dialogue, our rule of never suggesting a
    turned-down place again). Knowing the simulator's model, it is a bound no real recommender
    should be expected to pass by much; the gap between it and the best possible is what the users'
    answers cannot tell in time (with two favourite cuisines in 32, a first acceptance is more
    often one of the 10% whims than a favourite).

Goals: ≥ 0.8 by session 5, and ≥ 2× the popularity baseline. The ratios to the yardsticks say how
much of the rest is the recommender.

    python benchmarks/recommend.py [--users 40] [--sessions 10] [--seed 7] [--tell-taste 0.5]
                                   [--scenarios habits random-area] [--model DIR] [--json OUT] [--retrieval]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.agent import Assistant, load_recommender  # noqa: E402
from assistant.profile.model import PRICE_LEVELS, UserProfile  # noqa: E402
from assistant.recommender.service import Recommender, Suggestion  # noqa: E402
from policies import bandit, ranking  # noqa: E402

DATA = ROOT / "data"
DAY = 86400.0
ACCEPT = ("sounds good", "yes please, book it", "that one sounds great", "perfect, let's go with that")
TASTE_SLOT = "restaurant-food"  # the slot of the taste question (data/domain.yml: taste)
DETAILS = {"restaurant-bookpeople": "2 people", "restaurant-bookday": "on friday", "restaurant-booktime": "at 7pm"}


class SimulatedUser:
    def __init__(self, uid: str, rng: random.Random, foods: list[str]) -> None:
        self.uid = uid
        self.rng = rng
        self.foods = set(rng.sample(foods, 2))
        self.budget = rng.choice([1, 2, 2])  # the dearest price level they accept (moderate or expensive)
        self.hates_loud = rng.random() < 0.4
        self.tells_taste = False  # set by the run, from its own draws (the tastes above stay the same)

    def taste_answer(self) -> str:
        """The answer to "is there a kind of food you like? Or shall I surprise you?" """
        if not self.tells_taste:
            return "surprise me"
        first, second = sorted(self.foods)
        return f"I love {first} and {second} food"

    def suits(self, attributes: dict) -> bool:
        price = PRICE_LEVELS.index(attributes["pricerange"])
        loud = "loud" in (attributes.get("features") or [])
        return attributes["food"] in self.foods and price <= self.budget and not (self.hates_loud and loud)

    def answer(self, attributes: dict) -> tuple[bool, str]:
        """(accepted, what they say)."""
        if self.rng.random() < (0.9 if self.suits(attributes) else 0.1):
            return True, self.rng.choice(ACCEPT)
        if PRICE_LEVELS.index(attributes["pricerange"]) > self.budget:
            return False, self.rng.choice(["too pricey for me", "that's too expensive"])
        if self.hates_loud and "loud" in (attributes.get("features") or []):
            return False, "too loud for me"
        if attributes["food"] not in self.foods and self.rng.random() < 0.5:
            return False, f"I don't fancy {attributes['food']} food"
        return False, "no, not that one"


# ------------------------------------------------------------------ baselines: same dialogue, other ranking
class PopularityRecommender(Recommender):
    """The most popular place that fits the request; knows nothing about the user, learns nothing."""

    MODEL = bandit.new_state(ranking.FEATURES, {"popularity": 1.0}, 1e9)

    def suggest(self, kind, slots, query, profile, model, *, suggested=(), now, query_spans=()) -> Suggestion | None:
        return super().suggest(kind, slots, None, UserProfile.empty(profile.user_id, now), self.MODEL,
                               suggested=suggested, now=now)


class RandomRecommender(Recommender):
    def __init__(self, *args, seed: int = 0, **kw) -> None:
        super().__init__(*args, **kw)
        self.rng = random.Random(seed)

    def suggest(self, kind, slots, query, profile, model, *, suggested=(), now, query_spans=()) -> Suggestion | None:
        shown = set(suggested)
        pool = [it for it in self.catalogue.filter(kind, self.filters(kind, slots)) if it.id not in shown]
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        zero = bandit.new_state(ranking.FEATURES, {}, 1e9)
        top = ranking.rank([(chosen, 0.0)], UserProfile.empty(profile.user_id, now), zero, now=now).top
        return Suggestion(chosen, top, (), f"How about {chosen.name}?", False)


def make_recommender(policy: str, domain, seed: int) -> Recommender:
    ours = load_recommender(DATA, domain)
    if policy == "ours":
        return ours
    if policy == "popularity":
        return PopularityRecommender(ours.catalogue, settings=ours.settings)
    return RandomRecommender(ours.catalogue, settings=ours.settings, seed=seed)


# ------------------------------------------------------------------ the simulation
AREAS = ("centre", "north", "south", "east", "west")
SCENARIOS = ("habits", "random-area")


def pending(assistant: Assistant, sender: str) -> dict:
    for event in reversed(assistant.store.load(sender)):
        if event["event"] == "user":
            return {}
        if event["event"] == "bot" and (event.get("metadata") or {}).get("expects"):
            return event["metadata"]
    return {}


class MemoParser:
    """The parser with its readings memoised by text: it reads a message alone (no context), so the
    reading of a text is always the same; a copy each time, since the dialogue may annotate it."""

    def __init__(self, parser) -> None:
        self.parser = parser
        self.cache: dict[str, object] = {}

    def parse(self, text):
        if text not in self.cache:
            self.cache[text] = self.parser.parse(text)
        return copy.deepcopy(self.cache[text])

    def __getattr__(self, name):
        return getattr(self.parser, name)


def plan_requests(scenario: str, population: list[SimulatedUser], sessions: int, seed: int,
                  restaurants: list) -> list[list[str | None]]:
    """The area each user names in each session (None: no area), from the users alone."""
    if scenario == "random-area":
        rng = random.Random(seed)  # the draws of the original benchmark, in its order
        return [[rng.choice([*AREAS, None, None]) for _ in population] for _ in range(sessions)]
    if scenario != "habits":
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    plans = []
    for i, user in enumerate(population):
        rng = random.Random(seed * 7919 + i)
        home = rng.choice(AREAS)
        liked = [it.attributes["area"] for it in restaurants if user.suits(it.attributes)]
        row = []
        for _ in range(sessions):
            draw = rng.random()
            row.append(None if draw < 0.4 else rng.choice(liked) if draw < 0.8 and liked else home)
        plans.append(row)
    return [[plans[u][s] for u in range(len(population))] for s in range(sessions)]


def run(policy: str, parser, users: int, sessions: int, seed: int, scenario: str = "habits",
        tell_taste: float = 0.5) -> dict:
    from assistant.actions import make_action_runner
    from assistant.domain import load_domain
    from assistant.stores import create_store
    from policies.context import PolicyConfig

    domain = load_domain(DATA / "domain.yml")
    restaurants = load_recommender(DATA, domain).catalogue.by_kind("restaurant")
    foods = sorted({it.attributes["food"] for it in restaurants})
    population = [SimulatedUser(f"user{i}", random.Random(seed * 1000 + i), foods) for i in range(users)]
    for i, user in enumerate(population):
        user.tells_taste = random.Random(seed * 7717 + i).random() < tell_taste
    areas = plan_requests(scenario, population, sessions, seed, restaurants)
    clock_now = [time.time()]
    first = defaultdict(list)
    booked = defaultdict(list)
    feasible = defaultdict(list)  # some place that fits the request suits the user (the best any ranking can do)
    turns = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, make_action_runner(actions_module="data.actions") as runner:
        assistant = Assistant(parser, domain, create_store(f"sqlite:///{tmp}/bench.db"), runner,
                              config=PolicyConfig(), rng=random.Random(seed), clock=lambda: clock_now[0],
                              recommender=make_recommender(policy, domain, seed))
        for session in range(sessions):
            for u, user in enumerate(population):
                clock_now[0] += DAY / users
                sender = f"{user.uid}-s{session}"
                area = areas[session][u]
                request = f"I'm looking for a restaurant in the {area}" if area else "I'd like to find a restaurant"
                feasible[session].append(any(user.suits(it.attributes) for it in restaurants
                                             if area is None or it.attributes.get("area") == area))
                assistant.handle(sender, request, user_id=user.uid)
                turns += 1
                answered = did_book = False
                for _ in range(12):
                    meta = pending(assistant, sender)
                    if meta.get("expects") == "suggestion":
                        accepted, words = user.answer(meta["recommendation"]["attributes"])
                        if not answered:
                            first[session].append(accepted)
                            answered = True
                    elif meta.get("expects") == "slot":
                        slot = assistant.state(sender).focused_task.requested_slot if assistant.state(
                            sender).focused_task else None
                        if slot == TASTE_SLOT:
                            words = user.taste_answer()
                        elif slot in DETAILS:
                            words = DETAILS[slot]
                        else:
                            break
                    elif meta.get("expects") in ("confirm", "offer"):
                        words = "yes"
                    else:
                        break
                    replies = assistant.handle(sender, words, user_id=user.uid)
                    turns += 1
                    if any("booked" in (r.get("text") or "") for r in replies):
                        did_book = True
                        break
                if not answered:
                    first[session].append(False)  # no suggestion at all counts as a miss
                booked[session].append(did_book)
        assistant.close()
    share = [sum(feasible[s]) / len(feasible[s]) for s in range(sessions)]
    return {"scenario": scenario, "policy": policy,
            "first": [sum(first[s]) / len(first[s]) for s in range(sessions)],
            "booked": [sum(booked[s]) / len(booked[s]) for s in range(sessions)],
            # a user who is offered what suits them takes it 90% of the time, what does not 10%
            "oracle": [0.9 * f + 0.1 * (1 - f) for f in share],
            "turns": turns, "seconds": time.perf_counter() - started}


# ------------------------------------------------------------------ a reference: the best a learner can do here
MAX_SUGGESTIONS = 12  # answers per session in ``run`` (each rejection gets the next suggestion)


def bayes_learner(users: int, sessions: int, seed: int, scenario: str) -> list[float]:
    """First-suggestion acceptance per session of a learner that knows *how* the simulated users
    answer (two favourite cuisines drawn at random, a budget of moderate 1/3 or expensive 2/3,
    loud places hated 40% of the time; 90/10 acceptance; which words each refusal takes) but not
    *what* each one likes: an exact posterior over every (cuisine pair, budget, loud) a user can
    have, updated by Bayes' rule from each answer, suggesting the place most likely to suit
    (ties: the more popular). It meets the same users with the same requests, and keeps our
    rule of never suggesting a place the user turned down again. No dialogue: it is a yardstick
    for how fast anything can learn these users, not a policy."""
    import numpy as np

    from assistant.domain import load_domain

    restaurants = load_recommender(DATA, load_domain(DATA / "domain.yml")).catalogue.by_kind("restaurant")
    foods = sorted({it.attributes["food"] for it in restaurants})
    population = [SimulatedUser(f"user{i}", random.Random(seed * 1000 + i), foods) for i in range(users)]
    areas = plan_requests(scenario, population, sessions, seed, restaurants)
    pairs = [(i, j) for i in range(len(foods)) for j in range(i + 1, len(foods))]
    first_food = np.array([i for i, _ in pairs] * 4)
    second_food = np.array([j for _, j in pairs] * 4)
    budget = np.repeat([1, 1, 2, 2], len(pairs))
    hates_loud = np.repeat([False, True, False, True], len(pairs))
    prior = np.where(budget == 1, 1 / 3, 2 / 3) * np.where(hates_loud, 0.4, 0.6) / len(pairs)
    facts = [(foods.index(it.attributes["food"]), PRICE_LEVELS.index(it.attributes["pricerange"]),
              "loud" in (it.attributes.get("features") or [])) for it in restaurants]
    liked = [(first_food == f) | (second_food == f) for f, _, _ in facts]
    suits = np.array([fav & (price <= budget) & ~(hates_loud & loud) for fav, (_, price, loud) in zip(liked, facts)])
    first: list[list[bool]] = [[] for _ in range(sessions)]
    for u, user in enumerate(population):
        belief, turned_down = prior.copy(), set()
        for session in range(sessions):
            area = areas[session][u]
            pool = [k for k, it in enumerate(restaurants)
                    if (area is None or it.attributes.get("area") == area) and k not in turned_down]
            for answer in range(MAX_SUGGESTIONS):
                if not pool:
                    if answer == 0:
                        first[session].append(False)
                    break
                chance = suits[pool] @ belief
                k = pool[max(range(len(pool)), key=lambda i: (chance[i], restaurants[pool[i]].popularity))]
                accepted, words = user.answer(restaurants[k].attributes)
                if answer == 0:
                    first[session].append(accepted)
                _, price, loud = facts[k]
                if accepted:
                    likelihood = np.where(suits[k], 0.9, 0.1)
                else:  # which hidden tastes would have refused it with these words
                    over = price > budget
                    noisy = hates_loud & loud & ~over
                    if "pricey" in words or "expensive" in words:
                        fits, share = over, 1.0
                    elif "loud" in words:
                        fits, share = noisy, 1.0
                    elif "fancy" in words:
                        fits, share = ~over & ~noisy & ~liked[k], 0.5
                    else:  # a bare no: a refused favourite, or half the refusals of any other food
                        fits, share = ~over & ~noisy, np.where(liked[k], 1.0, 0.5)
                    likelihood = np.where(suits[k], 0.1, 0.9) * fits * share
                belief = belief * likelihood
                belief /= belief.sum()
                if accepted:
                    break
                pool.remove(k)
                turned_down.add(k)
    return [sum(f) / len(f) for f in first]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def report(scenario: str, results: dict, users: int, sessions: int, seed: int, learner: list[float],
           tell_taste: float = 0.5) -> dict:
    """Print one scenario's tables; the summary figures from session 5 on."""
    def row(label: str, values: list[float]) -> str:
        return f"{label:<16}" + " ".join(f"{v:5.2f}" for v in values)

    oracle = next(iter(results.values()))["oracle"]
    print(f"\n== scenario {scenario}: first-suggestion acceptance per session ({users} simulated users, seed {seed}, "
          f"{tell_taste:.0%} tell their taste when asked)")
    print(f"{'session':<16}" + " ".join(f"{s + 1:>5}" for s in range(sessions)))
    for policy, r in results.items():
        print(row(policy, r["first"]))
    print(row("bayes learner", learner) + "  (learning the hidden tastes by Bayes' rule, see the docstring)")
    print(row("best possible", oracle) + "  (knowing the hidden tastes)")
    for policy, r in results.items():
        print(row(f"{policy}/best", [v / max(1e-9, o) for v, o in zip(r["first"], oracle)]))
    print("booked per session")
    for policy, r in results.items():
        print(row(policy, r["booked"]))
    later = slice(4, None) if sessions > 4 else slice(None)
    summary = {"best possible": _mean(oracle[later]), "bayes learner": _mean(learner[later])}
    for policy, r in results.items():
        summary[policy] = _mean(r["first"][later])
    best, bayes = summary["best possible"], summary["bayes learner"]
    print(f"from session {later.start + 1 if later.start else 1} on: "
          f"best possible {best:.2f}, bayes learner {bayes:.2f}")
    for policy in results:
        print(f"  {policy:<10} {summary[policy]:.2f}  ({summary[policy] / max(1e-9, best):.2f} of the best possible, "
              f"{summary[policy] / max(1e-9, bayes):.2f} of the bayes learner)")
    if "ours" in results:
        ours = summary["ours"]
        print(f"  ours {ours:.2f} (goal ≥ 0.80)", end="")
        if "popularity" in results:
            ratio = ours / max(1e-9, summary["popularity"])
            summary["ours/popularity"] = ratio
            print(f"; {ratio:.1f}× popularity (goal ≥ 2×)", end="")
        print()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--policies", nargs="+", default=["ours", "popularity", "random"],
                        choices=["ours", "popularity", "random"])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS,
                        help="which areas the requests name (see above); default: both, habits first")
    parser.add_argument("--model", type=Path, default=None,
                        help="an NLU model folder to talk through "
                             "(default: the default assistant's, trained if missing)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this JSON file")
    parser.add_argument("--tell-taste", type=float, default=0.5,
                        help="share of users who answer the taste question with their favourite cuisines "
                             "(the others say 'surprise me'; 0: nobody tells)")
    parser.add_argument("--retrieval", action="store_true",
                        help="also run the retrieval latency benchmark (benchmarks/recommend_retrieval.py)")
    args = parser.parse_args(argv)

    from assistant.default_model import ensure_default_model
    from nlu.parser import Parser

    nlu = MemoParser(Parser.load(args.model or ensure_default_model(DATA)))
    everything = {}
    for scenario in args.scenarios:
        results = {}
        for policy in args.policies:
            results[policy] = run(policy, nlu, args.users, args.sessions, args.seed, scenario, args.tell_taste)
            r = results[policy]
            print(f"{scenario:>12} {policy:>10}: {r['turns']} turns in {r['seconds']:.0f} s", flush=True)
        learner = bayes_learner(args.users, args.sessions, args.seed, scenario)
        everything[scenario] = {"results": results, "bayes learner": learner,
                                "summary": report(scenario, results, args.users, args.sessions, args.seed, learner,
                                                            args.tell_taste)}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"users": args.users, "sessions": args.sessions, "seed": args.seed,
                                         "tell_taste": args.tell_taste, "scenarios": everything}, indent=2))
    if args.retrieval:
        import recommend_retrieval

        recommend_retrieval.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
