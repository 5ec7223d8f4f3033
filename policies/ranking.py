"""Profile-aware ranking of candidate items, with the reasons that drove the choice.

Pure: candidates (already retrieved, each with its similarity to the user's words) and a profile in,
an ordered :class:`Ranking` out. The steps:

1. **hard filter** (:func:`violations`): the task's required values, the user's diets and
   accessibility needs, the budget ceiling, and never an item the user turned down. A diet the
   request itself clashes with (a vegetarian who asked for a steakhouse, and kept it when the
   dialogue pointed out the clash) is *waived*: it filters nothing, and places known not to cater
   for it are pushed down instead (:func:`waived_diets`);
2. **features** (:data:`FEATURES`) per candidate: profile affinity per attribute group (soft
   preferences, faded with time; within one attribute a place is as good as the best value the user
   likes and as bad as the worst one they dislike, so "live music" does not cancel "loud" for
   someone who said it was too loud), ``disliked`` (the strongest clear dislike among all its values:
   "I don't fancy Thai", "too loud"), similarity, popularity, and whether it is in the area the user
   is staying in (a fact shared by the hotel task);
3. **score** = the bandit's learnt weights . features (+ an exploration bonus, see
   :mod:`policies.bandit`, that fades as the user's own model gains observations), minus a
   diversity penalty for resemblance to items already suggested in this conversation ("something
   else"). The learnt weights of the affinity features never fall below a share of their prior
   (:func:`weights`): the model learns how much each kind of taste matters, never that what the
   user likes counts against a place (a linear fit on confounded features can say so);
4. **reasons**: the largest positive contributions ``weight_i * feature_i`` of the top item, each
   as :class:`Reason` with the words to say it.

Catalogue attribute conventions this module reads (flat ``attributes`` dict, MultiWOZ names):
``food``, ``area``, ``pricerange`` (cheap / moderate / expensive), ``type``, ``stars``, ``parking``,
``internet``; ``features``: a list of tags (``spicy``, ``loud``, ``live music``, ``wheelchair access``);
``diets``: the diets a place caters for, taken as complete when present; a boolean under a diet or
need name (``vegetarian: false``, ``wheelchair_access: false``) says it outright. Otherwise a diet is
broken by a clash word in the food (``steakhouse`` for a vegetarian, as the conflict policy judges
it; always) or in the name (unless the item says it caters for the diet), and an unknown
accessibility counts as no objection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from assistant.profile.describe import feature_clause, value_words
from assistant.profile.model import (
    DEFAULT_HALF_LIFE,
    FACT_MAX_AGE,
    UserProfile,
    attribute_value,
    item_pairs,
    item_values,
    price_rank,
)
from policies import bandit
from policies.bandit import BanditState
from policies.conflicts import DIET_CLASHES, DIET_SYNONYMS

__all__ = [
    "FEATURES",
    "PRIOR_WEIGHTS",
    "RankingSettings",
    "Candidate",
    "Reason",
    "Ranked",
    "Excluded",
    "Ranking",
    "AFFINITY",
    "initial_state",
    "new_user_state",
    "model_for",
    "violations",
    "waived_diets",
    "diet_clash",
    "weights",
    "turned_down",
    "candidate_features",
    "rank",
    "learn",
    "reasons_sentence",
    "diet_reasons",
]

#: The score features, in the bandit's order. ``bias`` lets the model learn the base acceptance rate.
FEATURES = ("bias", "pref_food", "pref_type", "pref_area", "pref_price", "pref_feature", "pref_other",
            "similarity", "popularity", "near_stay", "disliked")
#: Weights before any feedback: taste first, then what the user asked for, then the crowd. An
#: acceptance credits every value of a place alike, but a price range or a tag is shared by a third of
#: the catalogue and a cuisine by a few places: the commoner attributes weigh less until the model
#: learns otherwise (with the same weights, a cheap, spicy British place would outrank a second
#: Indian one after a single accepted cheap, spicy Indian).
PRIOR_WEIGHTS = {"bias": 0.0, "pref_food": 1.0, "pref_type": 1.0, "pref_area": 0.4, "pref_price": 0.4,
                 "pref_feature": 0.5, "pref_other": 0.4, "similarity": 1.0, "popularity": 0.5, "near_stay": 0.4,
                 "disliked": 1.0}
#: The features made of the user's soft preferences: their learnt weights keep a floor (see :func:`weights`).
AFFINITY = ("pref_food", "pref_type", "pref_area", "pref_price", "pref_feature", "pref_other", "disliked")
_GROUPS = {"pref_food": ("food",), "pref_type": ("type",), "pref_area": ("area",), "pref_price": ("pricerange",),
           "pref_feature": ("feature",), "pref_other": ("stars", "parking", "internet")}
# a diet is served by places that cater for any of these
_SATISFIES = {"vegetarian": {"vegetarian", "vegan"}, "pescatarian": {"pescatarian", "vegetarian", "vegan"}}
_TASKS = ("restaurant", "hotel", "attraction", "taxi", "train")
DIET_FEATURE = "diet"  # the feature name of a diet reason (no learnt weight: diets are a hard filter)
_UNSAID = ("bias", "disliked")  # never a reason to suggest something


@dataclass(frozen=True)
class RankingSettings:
    alpha: float = 0.1  # exploration bonus (0: pure exploitation) for a model with no observations
    explore_half: float = 10.0  # ... halved once the model ranked with has this many observations (None: never)
    half_life: float | None = DEFAULT_HALF_LIFE  # soft preferences fade by half in this many seconds
    diversity: float = 0.6  # penalty per unit of resemblance to an item already suggested
    max_reasons: int = 2
    min_contribution: float = 0.1  # smaller contributions are not worth saying ("it's popular" at 0.1)
    prior_strength: float = 1.0  # how many observations the prior weights are worth (global model)
    user_strength: float = 3.0  # how many observations the global model is worth to one user
    fact_max_age: float = FACT_MAX_AGE["area"]  # the hotel's area older than this is ignored
    dislike: float = 0.5  # a soft preference at or below minus this is a clear dislike (the ``disliked`` feature)
    min_weight_share: float = 0.25  # learnt affinity weights stay at or above this share of their prior
    waived_diet_penalty: float = 0.5  # a waived diet: the penalty of a place known not to cater for it
    # a place turned down with a bare "no" may come back this many seconds later (None: never, the
    # design's rule); one turned down for a reason ("too loud", "I don't fancy Thai") never does
    forgive_after: float | None = None


@dataclass(frozen=True)
class Candidate:
    id: str
    kind: str = ""
    name: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    popularity: float = 0.0  # [0, 1] (larger values are scaled by the largest among the candidates)
    similarity: float = 0.0  # to the user's own words, [0, 1] (negative cosines count as 0)

    @classmethod
    def of(cls, item: Any) -> "Candidate":
        """From a dict, a catalogue item, or a retrieval hit: ``(item, similarity)`` or an object with
        ``.item`` and ``.similarity`` (``assistant.recommender``'s)."""
        if isinstance(item, Candidate):
            return item
        similarity = None
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], (int, float)):
            item, similarity = item
        elif not isinstance(item, Mapping) and getattr(item, "id", None) is None and hasattr(item, "item"):
            item, similarity = item.item, getattr(item, "similarity", None)
        get = item.get if isinstance(item, Mapping) else (lambda key, default=None: getattr(item, key, default))
        if get("id") is None:
            raise ValueError(f"a candidate needs an id: {item!r}")
        if similarity is None:
            similarity = get("similarity", get("score", 0.0)) or 0.0
        attributes = get("attributes") or {}
        return cls(str(get("id")), str(get("kind") or ""), str(get("name") or ""), attributes,
                   float(get("popularity", 0.0) or 0.0), float(similarity))


@dataclass(frozen=True)
class Reason:
    feature: str
    value: Any  # the attribute value behind it ("indian", "north"), or the feature's value
    contribution: float
    words: str  # "you liked Indian food before"
    attribute: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value, "contribution": round(self.contribution, 6),
                "words": self.words, "attribute": self.attribute}


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float  # expected + bonus - penalty: what the order is by
    expected: float  # learnt weights . features
    bonus: float  # exploration
    penalty: float  # diversity, and a waived diet the place is known not to cater for
    features: Mapping[str, float]
    contributions: Mapping[str, float]
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.candidate.id, "name": self.candidate.name, "kind": self.candidate.kind,
                "score": self.score, "expected": self.expected, "bonus": self.bonus, "penalty": self.penalty,
                "features": dict(self.features), "contributions": dict(self.contributions),
                "reasons": [r.to_dict() for r in self.reasons]}


class Excluded(NamedTuple):
    candidate: Candidate
    why: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    items: tuple[Ranked, ...]
    excluded: tuple[Excluded, ...]

    @property
    def top(self) -> Ranked | None:
        return self.items[0] if self.items else None


# ----------------------------------------------------------------------------- bandit models


def initial_state(settings: RankingSettings = RankingSettings()) -> BanditState:
    """The global model before any feedback: the prior weights."""
    return bandit.new_state(FEATURES, PRIOR_WEIGHTS, settings.prior_strength)


def new_user_state(settings: RankingSettings = RankingSettings()) -> BanditState:
    """A user's own observations, none yet (its prior is replaced by the global model in :func:`model_for`)."""
    return bandit.new_state(FEATURES, None, settings.user_strength)


def model_for(global_state: BanditState, user_state: BanditState | None,
              settings: RankingSettings = RankingSettings()) -> BanditState:
    """The model to rank with for one user: their observations on top of the global model."""
    return bandit.personalise(global_state, user_state, settings.user_strength)


def learn(global_state: BanditState, user_state: BanditState | None, ranked: Ranked, accepted: bool,
          settings: RankingSettings = RankingSettings()) -> tuple[BanditState, BanditState]:
    """Both models after the user accepted (reward 1) or turned down (0) a suggestion."""
    reward = 1.0 if accepted else 0.0
    user_state = user_state if user_state is not None else new_user_state(settings)
    return bandit.update(global_state, ranked.features, reward), bandit.update(user_state, ranked.features, reward)


# ----------------------------------------------------------------------------- hard filter


def _flag(attributes: Mapping[str, Any], name: str) -> bool | None:
    """An explicit yes/no for a diet or need: ``vegetarian: false``, ``wheelchair_access: "no"``."""
    under = name.replace(" ", "_")
    for key in (name, under, f"{under}_options", f"{name} options", f"{under}_friendly"):
        value = attributes.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
            return value.strip().lower() in ("yes", "true")
    return None


def _serves_food(candidate: Candidate) -> bool:
    return candidate.kind in ("", "restaurant") or bool(item_values(candidate.attributes, "food"))


def _diet_ok(candidate: Candidate, diet: str) -> bool:
    if not _serves_food(candidate):
        return True  # a museum does not break anyone's diet
    attributes = candidate.attributes
    words = DIET_CLASHES.get(diet, ())
    if any(word in food for word in words for food in item_values(attributes, "food")):
        return False  # a steakhouse is never offered to a vegetarian, whatever its menu lists
    caters = _caters(candidate, diet)
    if caters is not None:
        return caters
    name = candidate.name.lower()
    return not any(word in name for word in words)  # "Smokehouse Joe's", unless the item says otherwise


def _caters(candidate: Candidate, diet: str) -> bool | None:
    """What the item itself says about catering for a diet (a list of diets, a flag); None: nothing."""
    attributes = candidate.attributes
    offered = attributes.get("diets", attributes.get("diet"))
    if offered is not None:
        offered = offered if isinstance(offered, (list, tuple, set, frozenset)) else [offered]
        names = {DIET_SYNONYMS.get(v, v) for v in (attribute_value(o) for o in offered) if v}
        return bool(names & _SATISFIES.get(diet, {diet}))
    return _flag(attributes, diet)


def diet_reasons(candidate: Candidate, profile: UserProfile, waived: frozenset[str] = frozenset()
                 ) -> tuple[Reason, ...]:
    """ "It has vegetarian options", "it has wheelchair access": the user's diets this place says it
    caters for and the needs it says it meets. Every suggestion already respects them; saying so shows
    the user they were heard (a place silent about one gets no such promise)."""
    needs = tuple(Reason(DIET_FEATURE, need, 0.0, f"it has {need}", DIET_FEATURE)
                  for need in profile.constraints.accessibility if _need_known(candidate, need))
    if not _serves_food(candidate):
        return needs
    return tuple(Reason(DIET_FEATURE, diet, 0.0, _diet_words(diet), DIET_FEATURE)
                 for diet in profile.constraints.diet if diet not in waived and _caters(candidate, diet)) + needs


def _diet_words(diet: str) -> str:
    if diet in ("halal", "kosher"):
        return f"it serves {diet} food"
    return f"it has {diet} options"


def _canonical_diet(diet: Any) -> str:
    value = attribute_value(diet) or ""
    return DIET_SYNONYMS.get(value, value)


def diet_clash(item: Any, diet: str) -> bool:
    """Whether a place cannot serve someone on ``diet`` (as the hard filter judges it): a steakhouse
    for a vegetarian, a place whose diets leave it out. For looking up a venue the user names."""
    return not _diet_ok(Candidate.of(item), _canonical_diet(diet))


def waived_diets(profile: UserProfile, required: Mapping[str, Any] | None) -> frozenset[str]:
    """The user's diets that the request itself clashes with: a vegetarian asking for a steakhouse.

    The dialogue raises the clash as a profile conflict before anything is suggested; a request
    that still holds the clashing value is one the user insisted on ("yes, keep it"), so that diet
    no longer filters this request (the user keeps it in their profile)."""
    out = set()
    for diet in profile.constraints.diet:
        words = DIET_CLASHES.get(_canonical_diet(diet), ())
        for attribute, wanted in (required or {}).items():
            prefix, sep, rest = attribute.partition("-")
            if (rest if sep and prefix in _TASKS else attribute) not in ("food", "name"):
                continue
            values = wanted if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
            if any(word in (attribute_value(v) or "") for word in words for v in values):
                out.add(diet)
    return frozenset(out)


def _need_known(candidate: Candidate, need: str) -> bool | None:
    """Whether a place meets an accessibility need: from its ``accessibility`` list, a feature tag
    ("wheelchair access") or a flag; None when it says nothing either way."""
    attributes = candidate.attributes
    listed = attributes.get("accessibility")
    if isinstance(listed, (list, tuple, set, frozenset)):
        return need in {attribute_value(v) for v in listed}
    if need in item_values(attributes, "feature"):
        return True
    flag = _flag(attributes, need)
    if flag is None and need == "wheelchair access":
        flag = _flag(attributes, "wheelchair accessible")
        flag = _flag(attributes, "wheelchair") if flag is None else flag
    return flag


def _need_ok(candidate: Candidate, need: str) -> bool:
    return _need_known(candidate, need) is not False


def _required_ok(candidate: Candidate, attribute: str, wanted: Any) -> bool:
    prefix, sep, rest = attribute.partition("-")
    if sep and prefix in _TASKS:
        attribute = rest
    wanted_values = wanted if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
    wanted_values = {attribute_value(v) for v in wanted_values} - {None}
    if not wanted_values:
        return True  # "dontcare"
    return bool(wanted_values & set(item_values(candidate.attributes, attribute)))


def turned_down(profile: UserProfile, now: float | None = None,
                settings: RankingSettings = RankingSettings()) -> frozenset[str]:
    """The items never to suggest again: every one the user turned down, unless ``forgive_after``
    lets one turned down with no reason come back after that long (``now`` needed)."""
    if settings.forgive_after is None or now is None:
        return profile.rejected_ids
    return frozenset(e.item_id for e in profile.history
                     if e.event == "rejected" and (e.reason or now - e.at < settings.forgive_after))


def violations(candidate: Any, profile: UserProfile, required: Mapping[str, Any] | None = None, *,
               now: float | None = None, settings: RankingSettings = RankingSettings()) -> list[str]:
    """Why a candidate may not be suggested to this user (empty: it may)."""
    return _violations(Candidate.of(candidate), profile, required, turned_down(profile, now, settings),
                       waived_diets(profile, required))


def _violations(candidate: Candidate, profile: UserProfile, required: Mapping[str, Any] | None,
                rejected: frozenset[str], waived: frozenset[str] = frozenset()) -> list[str]:
    out = []
    if candidate.id in rejected:
        out.append("turned down before")
    for attribute, wanted in (required or {}).items():
        if not _required_ok(candidate, attribute, wanted):
            out.append(f"not {attribute}={wanted}")
    out += [f"no {diet} food" for diet in profile.constraints.diet
            if diet not in waived and not _diet_ok(candidate, diet)]
    out += [f"no {need}" for need in profile.constraints.accessibility if not _need_ok(candidate, need)]
    ceiling = price_rank(profile.constraints.budget_max)
    price = price_rank(candidate.attributes.get("pricerange"))
    if ceiling is not None and price is not None and price > ceiling:
        out.append(f"over budget ({candidate.attributes.get('pricerange')} > {profile.constraints.budget_max})")
    return out


# ----------------------------------------------------------------------------- features


class _Driver(NamedTuple):
    attribute: str
    value: str


def candidate_features(candidate: Candidate, profile: UserProfile, now: float,
                       settings: RankingSettings = RankingSettings(), popularity_scale: float = 1.0
                       ) -> tuple[dict[str, float], dict[str, _Driver]]:
    """The feature values of one candidate, and for each affinity the attribute value that drove it."""
    values: dict[str, float] = {"bias": 1.0}
    drivers: dict[str, _Driver] = {}
    worst: tuple[float, _Driver] | None = None
    for name, attributes in _GROUPS.items():
        scored = []
        total = 0.0
        for a in attributes:
            mine = [(profile.score(a, v, now, settings.half_life), _Driver(a, v))
                    for v in item_values(candidate.attributes, a, candidate.kind)]
            # as good as the best liked value, as bad as the worst disliked one (not their sum)
            total += max([s for s, _ in mine if s > 0] + [0.0]) + min([s for s, _ in mine if s < 0] + [0.0])
            scored += mine
        total = max(-1.0, min(1.0, float(total)))
        values[name] = total
        if scored and total:
            drivers[name] = max(scored, key=lambda sd: sd[0] * math.copysign(1.0, total))[1]
        for score, driver in scored:
            if score <= -settings.dislike and (worst is None or score < worst[0]):
                worst = (score, driver)
    values["disliked"] = max(-1.0, worst[0]) if worst is not None else 0.0
    if worst is not None:
        drivers["disliked"] = worst[1]
    values["similarity"] = max(0.0, min(1.0, candidate.similarity))
    values["popularity"] = max(0.0, min(1.0, candidate.popularity / popularity_scale))
    values["near_stay"] = 0.0
    stay = profile.fact("area")
    if (stay is not None and stay.source == "hotel" and candidate.kind != "hotel"
            and now - stay.at <= settings.fact_max_age
            and attribute_value(stay.value) in item_values(candidate.attributes, "area")):
        values["near_stay"] = 1.0
        drivers["near_stay"] = _Driver("area", str(stay.value))
    return values, drivers


def _words(feature: str, driver: _Driver | None, experienced: frozenset[tuple[str, str]] = frozenset()) -> str:
    if feature == "similarity":
        return "it matches what you asked for"
    if feature == "popularity":
        return "it's popular"
    if driver is None:
        return feature.replace("_", " ")
    if feature == "near_stay":
        if ("stay", attribute_value(driver.value)) in experienced:
            return f"it's in the {driver.value}, near your hotel"
        return f"it's in the {driver.value}, where you want to stay"
    if feature == "pref_food":
        # "before" only where the user took such a place; a stated or asked-for taste is no past
        if (driver.attribute, attribute_value(driver.value)) in experienced:
            return f"you liked {value_words('food', driver.value)} before"
        return f"you like {value_words('food', driver.value)}"
    if feature == "pref_area":
        return f"it's in the {driver.value}, an area you like"
    if feature == "pref_price":
        return f"it's {driver.value}, the price range you like"
    if feature == "pref_feature":
        return f"{feature_clause(driver.value)}, which you like"
    return f"you like {value_words(driver.attribute, driver.value)}"


def weights(state: BanditState, settings: RankingSettings = RankingSettings()) -> np.ndarray:
    """The weights to score with: the model's learnt ones, each affinity weight kept at or above
    ``min_weight_share`` of its prior (what the user likes never counts against a place)."""
    if tuple(state.features) != FEATURES:
        state = bandit.resize(state, FEATURES, PRIOR_WEIGHTS)
    w = np.array(bandit.theta(state), dtype=float)
    share = settings.min_weight_share
    if share and share > 0:
        for i, feature in enumerate(FEATURES):
            if feature in AFFINITY:
                w[i] = max(w[i], share * PRIOR_WEIGHTS[feature])
    return w


def exploration(state: BanditState, settings: RankingSettings = RankingSettings()) -> float:
    """The exploration bonus's factor for this model: ``alpha``, fading as it gains observations."""
    return bandit.decayed_alpha(settings.alpha, state.count, settings.explore_half)


def _reasons(contributions: Mapping[str, float], features: Mapping[str, float], drivers: Mapping[str, _Driver],
             settings: RankingSettings, experienced: frozenset[tuple[str, str]] = frozenset()
             ) -> tuple[Reason, ...]:
    positive = sorted(((c, f) for f, c in contributions.items()
                       if f not in _UNSAID and c >= settings.min_contribution),
                      key=lambda cf: (-cf[0], FEATURES.index(cf[1])))
    out = []
    for contribution, feature in positive[: settings.max_reasons]:
        driver = drivers.get(feature)
        value = driver.value if driver is not None else round(features[feature], 6)
        out.append(Reason(feature, value, contribution, _words(feature, driver, experienced),
                          driver.attribute if driver else None))
    return tuple(out)


def reasons_sentence(reasons: Sequence[Reason]) -> str:
    """ "you liked Indian food before, and it's in the north, near your hotel" """
    words = [r.words for r in reasons]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def _resemblance(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# ----------------------------------------------------------------------------- ranking


def rank(candidates: Iterable[Any], profile: UserProfile, state: BanditState, *, now: float,
         settings: RankingSettings = RankingSettings(), suggested: Iterable[Any] = (),
         required: Mapping[str, Any] | None = None, tried: Iterable[Any] = ()) -> Ranking:
    """Order the candidates for this user; ``state`` is the model to score with (see :func:`model_for`).

    ``suggested`` are the items already offered in this conversation (items, or bare ids): they are
    not offered again, and what resembles them is pushed down so that "something else" is different.
    ``tried`` are the items the user took before (accepted or booked; the profile's history keeps
    only their ids): a reason says "you liked Indian food before" only when one of them was Indian.
    """
    if tuple(state.features) != FEATURES:
        state = bandit.resize(state, FEATURES, PRIOR_WEIGHTS)
    pool = [Candidate.of(c) for c in candidates]
    shown_ids: set[str] = set()
    shown_pairs: list[set] = []
    for item in suggested:
        if isinstance(item, str):
            shown_ids.add(item)
            continue
        seen = Candidate.of(item)
        shown_ids.add(seen.id)
        shown_pairs.append(set(item_pairs(seen.attributes, seen.kind)))
    scale = max([1.0] + [c.popularity for c in pool])
    w = weights(state, settings)
    alpha = exploration(state, settings)
    rejected = turned_down(profile, now, settings)
    waived = waived_diets(profile, required)
    taken = [Candidate.of(item) for item in tried]
    experienced = frozenset(pair for item in taken for pair in item_pairs(item.attributes, item.kind))
    # ("stay", area): a hotel the user took there; before one is chosen the area is only where they want to stay
    experienced |= {("stay", area) for item in taken if item.kind == "hotel"
                    for area in item_values(item.attributes, "area")}
    ranked: list[Ranked] = []
    excluded: list[Excluded] = []
    done: set[str] = set()
    for candidate in pool:
        if candidate.id in done:
            continue  # the same item retrieved twice
        done.add(candidate.id)
        why = _violations(candidate, profile, required, rejected, waived)
        if candidate.id in shown_ids:
            why.append("already suggested")
        if why:
            excluded.append(Excluded(candidate, tuple(why)))
            continue
        values, drivers = candidate_features(candidate, profile, now, settings, scale)
        result = bandit.score(state, values, alpha, w)
        pairs = set(item_pairs(candidate.attributes, candidate.kind))
        penalty = settings.diversity * max([_resemblance(pairs, p) for p in shown_pairs] + [0.0])
        if waived and _serves_food(candidate):  # a steakhouse the vegetarian insisted on: veggie options first
            penalty += settings.waived_diet_penalty * sum(1 for d in waived if _caters(candidate, d) is False)
        ranked.append(Ranked(candidate, result.total - penalty, result.expected, result.bonus, penalty, values,
                             result.contributions,
                             diet_reasons(candidate, profile, waived)
                             + _reasons(result.contributions, values, drivers, settings, experienced)))
    ranked, unsure = _needs_known_first(ranked, profile)
    excluded += unsure
    ranked.sort(key=lambda r: (-r.score, -r.candidate.popularity, r.candidate.id))
    return Ranking(tuple(ranked), tuple(excluded))


def _needs_known_first(ranked: list[Ranked], profile: UserProfile) -> tuple[list[Ranked], list[Excluded]]:
    """With an accessibility need, the places that say they meet it, while there are any: one silent
    about step-free access is a gamble a wheelchair user should not have to take (the rest, without
    such places, are still suggested)."""
    needs = profile.constraints.accessibility
    if not needs:
        return ranked, []
    known: list[Ranked] = []
    unsure: list[Excluded] = []
    for r in ranked:  # one pass: ranked items compare by value, slowly
        missing = tuple(f"{need} not known" for need in needs if not _need_known(r.candidate, need))
        if missing:
            unsure.append(Excluded(r.candidate, missing))
        else:
            known.append(r)
    return (known, unsure) if known else (ranked, [])
