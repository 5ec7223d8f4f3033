"""The profile's update rules: pure functions from (profile, what happened, ``now``) to a new profile.

Each rule returns ``Updated(profile, changes)``: the new (immutable) profile and a list of sentences
saying what changed, for ``--debug`` and for confirming to the user. No I/O, no clock: the caller
passes ``now`` (seconds since the epoch).

How much each signal moves a soft preference (scores live in [-1, 1]; a move of ``d`` towards +1
takes a score ``s`` to ``s + d * (1 - s)``, so repeated evidence saturates instead of overflowing):

=====================================  ===========
asked for it (an entity in a request)  +0.2
accepted a suggestion with it          +0.3 (features +0.15)
booked a place with it                 +0.4 (features +0.2)
rejected a suggestion, no reason       -0.15, never below -0.3 on its own
rejected, the reason names it          -0.8 ("I don't fancy Thai": that value only)
"I like / prefer X"                    +0.6
"I love / always / need X"             +0.8
"I don't like / not a fan of X"        -0.6
"I hate / can't stand / avoid X"       -0.8
a reason aimed at it ("too loud")      -0.8
=====================================  ===========

A bare "no" is weak evidence: however many there are, they never take a value below
``WEAK_FLOOR`` (-0.3), short of a clear dislike (below -0.5, which the ranking weighs on its own);
only the user's words make one ("I don't like", "too loud", "I don't fancy Thai").

Feedback on a suggestion is about what the user *chose*, not what they asked for: the values the
request itself required (a suggestion's ``asked``, e.g. the area they named) are neither credited by
an acceptance nor blamed by a bare "no" - every candidate had them.

Entity names and canonical values are those of ``data/nlu/concierge.yml``: ``restaurant-food``,
``hotel-area``, ``restaurant-pricerange``, ``diet`` (``vegetarian``, ``gluten free``, ...),
``feature`` (``spicy``, ``loud``, ``wheelchair access``, ...). Entities come as a mapping
``{entity: value}`` or as a list of entity dicts / objects with ``entity`` and ``value`` (and,
when known, ``start``/``end`` in the text, which lets "I love spicy food but hate loud places"
read each entity's own clause).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, NamedTuple

from .describe import diet_sentence, value_words
from .model import (
    DEFAULT_HALF_LIFE,
    PRICE_LEVELS,
    Constraints,
    Fact,
    HistoryEntry,
    ItemRef,
    Preference,
    UserProfile,
    attribute_value,
    decay,
    price_rank,
    slot_attribute,
    with_changes,
)

__all__ = [
    "Updated",
    "decay",
    "nudge",
    "apply_entities",
    "apply_statement",
    "apply_feedback",
    "apply_outcome",
    "apply_cancellation",
    "record_suggestion",
    "drop_constraint",
    "forget_values",
    "forgettable_entity",
    "FORGETTABLE",
    "with_fact",
    "reason_kinds",
    "canonical_diet",
    "canonical_feature",
    "ACCESSIBILITY_NEEDS",
]

ENTITY_NUDGE = 0.2
ACCEPT_NUDGE = 0.3
BOOK_NUDGE = 0.4
REJECT_NUDGE = -0.15
WEAK_FLOOR = -0.3  # bare rejections alone never take a preference below this
LIKE, LOVE = 0.6, 0.8
DISLIKE, HATE = -0.6, -0.8
PLAIN_STATEMENT = 0.5  # "we have kids with us": a preference with no word of feeling
REASON_NUDGE = -0.8

TASK_TYPES = ("restaurant", "hotel", "attraction", "taxi", "train")
#: Task types whose chosen values say something about taste (a taxi's destination does not).
_TASTE_TASKS = ("restaurant", "hotel", "attraction")
# entity slot (after "restaurant-") -> preference attribute
_SLOT_ATTRIBUTES = {"food": "food", "area": "area", "pricerange": "pricerange", "type": "type", "stars": "stars",
                    "parking": "parking", "internet": "internet"}
_PEOPLE_SLOTS = ("bookpeople", "people")
_DAY_SLOTS = ("bookday", "day")

_DIET_SYNONYMS = {
    "veggie": "vegetarian", "vegeterian": "vegetarian", "plant-based": "vegan", "plant based": "vegan",
    "pescetarian": "pescatarian", "gluten-free": "gluten free", "coeliac": "gluten free", "celiac": "gluten free",
    "lactose intolerant": "dairy free", "dairy-free": "dairy free", "nuts": "nut free", "nut allergy": "nut free",
    "nut-free": "nut free",
}
_FEATURE_SYNONYMS = {
    "noisy": "loud", "wheelchair": "wheelchair access", "wheelchair accessible": "wheelchair access",
    "step-free access": "wheelchair access", "step free access": "wheelchair access",
    "mobility issues": "wheelchair access", "accessible": "wheelchair access", "kids": "child friendly",
    "children": "child friendly", "baby": "child friendly", "family friendly": "child friendly",
    "family-friendly": "child friendly", "kid friendly": "child friendly", "kid-friendly": "child friendly",
    "dog": "dog friendly", "dogs": "dog friendly", "dog-friendly": "dog friendly", "pet friendly": "dog friendly",
    "pets": "dog friendly", "outside": "outdoor seating", "outdoors": "outdoor seating",
    "terrace": "outdoor seating", "busy": "crowded", "calm": "quiet", "peaceful": "quiet",
}
#: Features that are needs, not tastes: they become hard constraints.
ACCESSIBILITY_NEEDS = frozenset({"wheelchair access"})
_PRICE_WORDS = {
    "cheap": "cheap", "budget": "cheap", "inexpensive": "cheap", "affordable": "cheap", "low cost": "cheap",
    "moderate": "moderate", "moderately priced": "moderate", "mid-range": "moderate", "midrange": "moderate",
    "mid range": "moderate", "reasonably priced": "moderate", "expensive": "expensive", "pricey": "expensive",
    "upscale": "expensive", "luxury": "expensive", "posh": "expensive", "high-end": "expensive",
}

_AREA_SYNONYMS = {"center": "centre", "central": "centre", "city centre": "centre", "city center": "centre",
                  "town centre": "centre", "town center": "centre", "northern": "north", "southern": "south",
                  "eastern": "east", "western": "west"}

_HATE = re.compile(r"\b(hate|hates|can'?t stand|cannot stand|avoid|never|detest|loathe|allergic)\b")
_DISLIKE = re.compile(r"(n'?t|\bnot|\bno)\s+(really\s+)?(like|love|enjoy|want|a fan|big on|keen|fond|into|fancy|feel like|care for|do)\b|"
                      r"\b(dislike|can'?t handle|cant handle|cannot handle|not my thing|not for me|rather not|"
                      r"no more|not a fan|not big on|not keen)\b")
_LOVE = re.compile(r"\b(love|loves|adore|big fan|huge fan|always|really like|really enjoy|need|must)\b")
_LIKE = re.compile(r"\b(like|likes|prefer|enjoy|fan of|into|rather|want|go for|usually)\b")
_NEGATION = re.compile(r"(n't|\bnot|\bno longer|\bnever|\bnot really)\b")
# "don't forget I'm vegetarian", "never forget that": a reminder, the opposite of a negation
_REMINDER = re.compile(r"\b(?:do ?n'?t|do not|never|not) forget\b|\bremember\b", re.IGNORECASE)
_CEILING = re.compile(r"\b(nothing (over|above|more than|pricier than|beyond)|no more than|not more than|at most|"
                      r"up to|max|maximum|budget|afford|tight|cheaper than|under|below|less than)\b")
_BELOW = re.compile(r"\b(cheaper than|under|below|less than)\b")
_CLAUSE_BREAK = re.compile(r"[,;.!?]|\bbut\b|\bthough\b|\bwhereas\b|\band\b")

# A reason for turning a suggestion down, as the user says it (or as a one-word code).
_REASONS: dict[str, re.Pattern] = {
    # "fancy" is posh, but "I don't fancy Thai" is a taste
    "price": re.compile(r"\b(price|pric(e)?y|expensive|costly|dear|(?<!n't )(?<!not )fancy|posh|upscale|budget|"
                        r"afford|cheaper)\b"),
    "distance": re.compile(r"\b(distance|far|distant|closer|nearer|out of the way)\b"),
    "loud": re.compile(r"\b(loud|noisy|noise)\b"),
    "crowded": re.compile(r"\b(crowded|busy|packed|queues?)\b"),
    "visited": re.compile(r"\b(visited|been there|went there|last time|before)\b"),
}


class Updated(NamedTuple):
    profile: UserProfile
    changes: list[str]


# ----------------------------------------------------------------------------- building blocks


def nudge(score: float, delta: float) -> float:
    """Move ``score`` towards +1 (``delta`` > 0) or -1 by the fraction ``|delta|`` of the way left."""
    moved = score + delta * (1.0 - score) if delta >= 0 else score + delta * (1.0 + score)
    return max(-1.0, min(1.0, moved))


def canonical_diet(value: Any) -> str | None:
    text = attribute_value(value)
    return None if text is None else _DIET_SYNONYMS.get(text, text)


def canonical_feature(value: Any) -> str | None:
    text = attribute_value(value)
    return None if text is None else _FEATURE_SYNONYMS.get(text, text)


def _canonical_price(value: Any) -> str | None:
    text = attribute_value(value)
    return None if text is None else _PRICE_WORDS.get(text, text if text in PRICE_LEVELS else None)


def _value(attribute: str, raw: Any) -> str | None:
    """A value as the catalogue writes it: "moderately priced" -> moderate, "city center" -> centre."""
    if attribute == "pricerange":
        return _canonical_price(raw)
    text = attribute_value(raw)
    if attribute == "area" and text is not None:
        return _AREA_SYNONYMS.get(text, text)
    return text


class _Entity(NamedTuple):
    name: str
    value: Any
    start: int | None
    end: int | None
    text: str


def _entities(entities: Any) -> list[_Entity]:
    if not entities:
        return []
    if isinstance(entities, Mapping):
        out = []
        for name, value in entities.items():
            for one in value if isinstance(value, (list, tuple)) else [value]:
                out.append(_Entity(str(name), one, None, None, ""))
        return out
    out = []
    for entity in entities:
        if isinstance(entity, Mapping):
            get = entity.get
        else:
            get = lambda key, default=None, e=entity: getattr(e, key, default)  # noqa: E731
        name, value = get("entity"), get("value")
        if name is None or value is None:
            continue
        start, end = get("start"), get("end")
        out.append(_Entity(str(name), value, start if isinstance(start, int) else None,
                           end if isinstance(end, int) else None, str(get("text") or "")))
    return out


def _split(name: str, task_type: str | None) -> tuple[str | None, str]:
    """``restaurant-food`` -> (``restaurant``, ``food``); the task in focus wins over the entity's prefix."""
    prefix, sep, slot = name.partition("-")
    if not sep:
        return task_type, name
    return (task_type or prefix) if prefix in TASK_TYPES else task_type, slot


class _Draft:
    """A profile being changed by one rule, collecting the sentences that say what changed."""

    def __init__(self, profile: UserProfile, now: float, half_life: float | None) -> None:
        self.profile = profile
        self.now = now
        self.half_life = half_life
        self.prefs = {(p.attribute, p.value): p for p in profile.preferences}
        self.diet = list(profile.constraints.diet)
        self.access = list(profile.constraints.accessibility)
        self.budget = profile.constraints.budget_max
        self.facts = {f.name: f for f in profile.facts}
        self.history = list(profile.history)
        self.changes: list[str] = []

    def move(self, attribute: str, value: str, delta: float, floor: float | None = None) -> None:
        """Nudge one soft preference; ``floor``: this evidence alone takes it no lower (what is
        already lower stays as it is)."""
        old = self.prefs.get((attribute, value))
        before = 0.0 if old is None else decay(old.score, self.now - old.updated_at, self.half_life)
        after = nudge(before, delta)
        if floor is not None:
            after = max(after, min(before, floor))
        after = round(after, 6)
        self.prefs[(attribute, value)] = Preference(attribute, value, after, self.now)
        self.changes.append(f"{value_words(attribute, value)}: {before:+.2f} -> {after:+.2f}")

    def add_diet(self, diet: str) -> None:
        if diet not in self.diet:
            self.diet.append(diet)
            self.changes.append(diet_sentence(diet)[:-1] + ": I won't suggest places that can't cater for it.")

    def add_need(self, need: str) -> None:
        if need not in self.access:
            self.access.append(need)
            self.changes.append(f"You need {need}: I'll only suggest places that aren't known to lack it.")

    def set_budget(self, level: str | None) -> None:
        if level == self.budget:
            return
        self.budget = level
        self.changes.append("No budget limit any more." if level is None
                            else f"Budget ceiling: {level} (nothing pricier).")

    def set_fact(self, name: str, value: Any, source: str, booked: bool = False) -> None:
        """``booked``: the fact comes from a booking (a hotel booked, not searched for)."""
        old = self.facts.get(name)
        self.facts[name] = Fact(name, value, source, self.now)
        if old is not None and old.value == value and old.source == source:
            return
        if name == "area" and source == "hotel":
            where = "You're staying in the" if booked else "You're looking for a hotel in the"
            self.changes.append(f"{where} {value}: restaurants and attractions will default to there.")
        elif name == "area":
            self.changes.append(f"Area {value} noted.")
        elif name == "staying_at":
            self.changes.append(f"You're staying at {value}.")
        elif name == "party_size":
            self.changes.append(f"Party of {value}: it carries over to your next bookings.")
        else:
            label = name.replace("_", " ").capitalize()
            self.changes.append(f"{label} {value}: it carries over to your next bookings.")

    def record(self, item: ItemRef, event: str, reason: str | None = None) -> None:
        self.history.append(HistoryEntry(item.id, event, self.now, item.kind, item.name, reason))

    def done(self) -> Updated:
        fields = dict(
            preferences=tuple(sorted(self.prefs.values(), key=lambda p: (p.attribute, p.value))),
            constraints=Constraints(tuple(self.diet), tuple(self.access), self.budget),
            facts=tuple(self.facts[name] for name in sorted(self.facts)),
            history=tuple(self.history),
        )
        if all(getattr(self.profile, name) == value for name, value in fields.items()):
            return Updated(self.profile, self.changes)  # nothing to change: the same profile
        return Updated(with_changes(self.profile, self.now, **fields), self.changes)


# ----------------------------------------------------------------------------- rules


def apply_entities(profile: UserProfile, task_type: str | None, entities: Any, now: float, *,
                   half_life: float | None = DEFAULT_HALF_LIFE) -> Updated:
    """What a request says in passing: chosen values nudge soft preferences, bookings details become facts.

    ``task_type`` is the task the entities were read for (it overrides the entity's own prefix, as
    for ``inform``); the hotel's area, any party size and any day become facts shared across tasks.
    Diets are not taken from requests ("any vegetarian places?" may be for a friend): see
    :func:`apply_statement`.
    """
    draft = _Draft(profile, now, half_life)
    for entity in _entities(entities):
        task, slot = _split(entity.name, task_type)
        if entity.name == "feature":
            feature = canonical_feature(entity.value)
            if feature:
                draft.move("feature", feature, ENTITY_NUDGE)
            continue
        if task is None:
            continue
        if slot in _PEOPLE_SLOTS:
            people = _people(entity.value)
            if people is not None:
                draft.set_fact("party_size", people, task)
        elif slot in _DAY_SLOTS:
            day = attribute_value(entity.value)
            if day:
                draft.set_fact("day", day, task)
        elif slot == "area" and task == "hotel":
            area = _value("area", entity.value)
            if area:
                draft.set_fact("area", area, "hotel")
        elif slot in _SLOT_ATTRIBUTES and task in _TASTE_TASKS:
            attribute = _SLOT_ATTRIBUTES[slot]
            value = _value(attribute, entity.value)
            if value:
                draft.move(attribute, value, ENTITY_NUDGE)
    return draft.done()


def _people(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and 1 <= number <= 100 else None


def _clause(text: str, entity: _Entity) -> tuple[str, str]:
    """(the words of the entity's clause before it, the whole clause), lower-case."""
    low = text.lower()
    start, end = entity.start, entity.end
    if start is None or end is None or not 0 <= start <= end <= len(low):
        needle = (entity.text or str(entity.value)).lower()
        found = low.find(needle) if needle else -1
        if found < 0:
            return low, low
        start, end = found, found + len(needle)
    breaks_before = [m.end() for m in _CLAUSE_BREAK.finditer(low, 0, start)]
    begin = breaks_before[-1] if breaks_before else 0
    after = _CLAUSE_BREAK.search(low, end)
    finish = after.start() if after else len(low)
    return low[begin:start], low[begin:finish]


def feeling(clause: str) -> float:
    """How a clause feels about what it names: ``HATE`` … ``LOVE`` (``PLAIN_STATEMENT`` when neutral)."""
    return _feeling(clause.lower())


def entity_feeling(text: str, entity: Any) -> float:
    """How the words around one entity feel about it: "I'm vegetarian and I hate [loud] places" → ``HATE``
    for loud, neutral for vegetarian (each entity's own clause)."""
    found = _entities([entity])
    if not found:
        return PLAIN_STATEMENT
    return _feeling(_clause(text or "", found[0])[1])


def _feeling(clause: str) -> float:
    if _HATE.search(clause):
        return HATE
    if _DISLIKE.search(clause):
        return DISLIKE
    if _LOVE.search(clause):
        return LOVE
    if _LIKE.search(clause):
        return LIKE
    return PLAIN_STATEMENT


def _negated(before: str) -> bool:
    """A negation among the last three words before the entity: "I'm not vegetarian any more"."""
    return bool(_NEGATION.search(" ".join(_REMINDER.sub(" ", before).split()[-3:])))


def apply_statement(profile: UserProfile, intent: str | None, entities: Any, text: str, now: float, *,
                    half_life: float | None = DEFAULT_HALF_LIFE) -> Updated:
    """An explicit statement about the user ("I'm vegetarian", "I hate loud places", "nothing over moderate").

    Only ``inform_preference`` (and statements with no intent, e.g. from an answer to a profile
    conflict) change the profile: a diet becomes a constraint, a need such as wheelchair access an
    accessibility constraint, a price range with a ceiling word ("nothing over", "budget") the budget
    ceiling, and every other value a strong soft preference whose sign comes from the words around
    it ("love" +0.8, "like" +0.6, "not a fan" -0.6, "hate" -0.8).
    """
    if intent not in (None, "inform_preference"):
        return Updated(profile, [])
    draft = _Draft(profile, now, half_life)
    text = text or ""
    found = _entities(entities)
    priced = False
    for entity in found:
        before, clause = _clause(text, entity)
        task, slot = _split(entity.name, None)
        if entity.name == "diet":
            diet = canonical_diet(entity.value)
            if diet and _negated(before):
                _drop(draft, "diet", diet)
            elif diet:
                draft.add_diet(diet)
        elif entity.name == "feature":
            feature = canonical_feature(entity.value)
            if not feature:
                continue
            if feature in ACCESSIBILITY_NEEDS:
                if _negated(before):
                    _drop(draft, "accessibility", feature)
                else:
                    draft.add_need(feature)
            else:
                draft.move("feature", feature, _feeling(clause))
        elif slot == "pricerange":
            level = _canonical_price(entity.value)
            if level:
                priced = True
                _price_statement(draft, level, clause)
        elif slot in _SLOT_ATTRIBUTES and (task in _TASTE_TASKS or task is None):
            attribute = _SLOT_ATTRIBUTES[slot]
            value = _value(attribute, entity.value)
            if value:
                draft.move(attribute, value, _feeling(clause))
    if not priced:  # "nothing over moderate" with no price entity found: read the words themselves
        low = text.lower()
        for word, level in sorted(_PRICE_WORDS.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"\b{re.escape(word)}\b", low) and _CEILING.search(low):
                _price_statement(draft, level, low)
                break
    return draft.done()


def _price_statement(draft: _Draft, level: str, clause: str) -> None:
    rank = PRICE_LEVELS.index(level)
    feeling = _feeling(clause)
    if _CEILING.search(clause):
        if _BELOW.search(clause):  # "under expensive": strictly cheaper
            rank = max(0, rank - 1)
        draft.set_budget(PRICE_LEVELS[rank])
    elif feeling < 0:  # "I don't want expensive places": a ceiling just below
        if rank > 0:
            draft.set_budget(PRICE_LEVELS[rank - 1])
        draft.move("pricerange", level, feeling)
    else:
        ceiling = price_rank(draft.budget)
        if ceiling is not None and rank > ceiling:
            draft.set_budget(None)  # "money's no object" lifts an old ceiling
        draft.move("pricerange", level, feeling)


def apply_price_wish(profile: UserProfile, level: str, now: float, *,
                     half_life: float | None = DEFAULT_HALF_LIFE) -> Updated:
    """ "Something more upmarket?": the user wants places at ``level``; a budget ceiling below it goes."""
    draft = _Draft(profile, now, half_life)
    ceiling, rank = price_rank(draft.budget), price_rank(level)
    if ceiling is not None and rank is not None and rank > ceiling:
        draft.set_budget(None)
    return draft.done()


def _drop(draft: _Draft, kind: str, value: str) -> None:
    if kind == "diet" and value in draft.diet:
        draft.diet.remove(value)
        draft.changes.append(f"You're no longer {value}." if value in ("vegetarian", "vegan", "pescatarian")
                             else f"No more {value} constraint.")
    elif kind == "accessibility" and value in draft.access:
        draft.access.remove(value)
        draft.changes.append(f"You no longer need {value}.")
    elif kind == "budget" and draft.budget is not None:
        draft.set_budget(None)


def drop_constraint(profile: UserProfile, kind: str, value: str | None, now: float) -> Updated:
    """Remove a hard constraint (``kind`` diet, accessibility or budget), e.g. after a profile conflict."""
    if kind not in ("diet", "accessibility", "budget"):
        raise ValueError(f"kind must be diet, accessibility or budget, not {kind!r}")
    draft = _Draft(profile, now, None)
    _drop(draft, kind, canonical_diet(value) if kind == "diet" else canonical_feature(value) or "")
    return draft.done() if draft.changes else Updated(profile, [])


#: What "forget my ..." can name without a value: the word -> what it erases.
FORGETTABLE = {"diet": "diet", "dietary": "diet", "budget": "budget", "price limit": "budget",
               "party size": "party_size", "party": "party_size", "group size": "party_size"}


def forgettable_entity(name: str) -> bool:
    """Whether :func:`forget_values` can erase something for an entity of this name."""
    if name in ("diet", "feature"):
        return True
    _, slot = _split(name, None)
    return slot in _SLOT_ATTRIBUTES or slot in _PEOPLE_SLOTS or slot in _DAY_SLOTS or slot == "name"


def forget_values(profile: UserProfile, entities: Any, now: float, *, named: tuple[str, ...] = ()) -> Updated:
    """ "Forget that I'm vegetarian", "forget that I like cheap places", "forget my budget": erase what
    the profile holds about each value named (a diet, a need, a taste either way, the budget at that
    price, a shared fact with that value, a turned-down place's refusal) and about each kind in
    ``named`` (values of :data:`FORGETTABLE`). The changes say what went, each as "that you ..." or
    "your ...", to be read after "I've forgotten"; none when the profile held nothing of it."""
    draft = _Draft(profile, now, None)
    gone: list[str] = []

    def drop_preference(attribute: str, value: str | None) -> None:
        old = draft.prefs.pop((attribute, value), None) if value else None
        if old is not None:
            feeling = "like" if old.score >= 0 else "don't like"
            gone.append(f"that you {feeling} {value_words(attribute, value)}")

    def drop_fact(name: str, value: Any = None) -> None:
        fact = draft.facts.get(name)
        if fact is None or (value is not None and str(fact.value).lower() != str(value).lower()):
            return
        del draft.facts[name]
        gone.append({"area": "where you're staying", "party_size": "your usual party size",
                     "day": "the day you're planning for"}[name])

    def drop_diet(diet: str | None) -> None:
        if diet in draft.diet:
            draft.diet.remove(diet)
            sentence = diet_sentence(diet)  # "You're vegetarian." -> "that you're vegetarian"
            gone.append("that " + sentence[0].lower() + sentence[1:-1])

    def drop_budget(level: str | None = None) -> None:
        if draft.budget is not None and level in (None, draft.budget):
            gone.append(f"your budget ({draft.budget} at most)")
            draft.budget = None

    for entity in _entities(entities):
        task, slot = _split(entity.name, None)
        if entity.name == "diet":
            drop_diet(canonical_diet(entity.value))
        elif entity.name == "feature":
            feature = canonical_feature(entity.value)
            if feature in draft.access:
                draft.access.remove(feature)
                gone.append(f"that you need {feature}")
            drop_preference("feature", feature)
        elif slot == "name":
            said = attribute_value(entity.value)
            refused = [h for h in draft.history if h.event == "rejected" and said is not None
                       and (h.name or "").lower() == said]
            if refused:
                draft.history = [h for h in draft.history if h not in refused]
                gone.append(f"that you turned down {refused[-1].name}")
        elif slot in _SLOT_ATTRIBUTES:
            attribute = _SLOT_ATTRIBUTES[slot]
            value = _value(attribute, entity.value)
            drop_preference(attribute, value)
            if attribute == "pricerange":
                drop_budget(value)
            elif attribute == "area":
                drop_fact("area", value)
        elif slot in _PEOPLE_SLOTS and _people(entity.value) is not None:
            drop_fact("party_size", _people(entity.value))
        elif slot in _DAY_SLOTS and attribute_value(entity.value) is not None:
            drop_fact("day", attribute_value(entity.value))
    for kind in dict.fromkeys(named):
        if kind == "diet":
            for diet in list(draft.diet):
                drop_diet(diet)
        elif kind == "budget":
            drop_budget()
        elif kind == "party_size":
            drop_fact("party_size")
    draft.changes = list(dict.fromkeys(gone))
    return draft.done() if gone else Updated(profile, [])


def reason_kinds(reason: str | None) -> list[str]:
    """The kinds of reason in a rejection: ``price``, ``distance``, ``loud``, ``crowded``, ``visited``."""
    if not reason:
        return []
    low = reason.lower()
    return [kind for kind, pattern in _REASONS.items() if kind == low.strip() or pattern.search(low)]


def record_suggestion(profile: UserProfile, item: Any, now: float) -> Updated:
    """Note that an item was suggested (history only)."""
    draft = _Draft(profile, now, None)
    draft.record(ItemRef.of(item), "suggested")
    return Updated(draft.done().profile, [])


def apply_feedback(profile: UserProfile, item: Any, accepted: bool, reason: str | None, now: float, *,
                   half_life: float | None = DEFAULT_HALF_LIFE) -> Updated:
    """The user accepted or rejected a suggestion (with the reason they gave, if any).

    Accepting moves every attribute of the item up, except the amenities it lacks (no parking, no wifi:
    choosing it anyway says nothing for doing without). Rejecting with no reason we understand moves
    them down a little; a reason aims the change: "too pricey" sets the budget ceiling just below the
    item's price range, "too far" marks its area down (and the hotel's area up), "too loud" marks
    ``feature=loud`` down strongly, a reason naming one of the item's values ("I don't fancy Thai
    food") marks that value, and only that, down strongly; "been there before" changes no taste at all.
    The values the request asked for (``item["asked"]``, as a suggestion records them) move neither
    way on an acceptance or a bare rejection: they were not the user's choice among the candidates.
    """
    ref = ItemRef.of(item)
    draft = _Draft(profile, now, half_life)
    draft.record(ref, "accepted" if accepted else "rejected", None if accepted else reason)
    asked = _asked(item)
    pairs = [pair for pair in ref.pairs() if pair not in asked]
    if accepted:
        for attribute, value in _liked_in(pairs):
            draft.move(attribute, value, ACCEPT_NUDGE / 2 if attribute == "feature" else ACCEPT_NUDGE)
        draft.changes.insert(0, f"You liked {ref.name or ref.id}.")
        return draft.done()
    draft.changes.append(f"You turned down {ref.name or ref.id}" + (f" ({reason})." if reason else "."))
    kinds = reason_kinds(reason)
    for kind in kinds:
        if kind == "price":
            rank = price_rank(ref.attributes.get("pricerange"))
            if rank is not None:
                if rank > 0:
                    ceiling = price_rank(draft.budget)
                    if ceiling is None or ceiling > rank - 1:
                        draft.set_budget(PRICE_LEVELS[rank - 1])
                    # "too pricey" for the cheapest range says nothing against cheap places
                    draft.move("pricerange", PRICE_LEVELS[rank], REASON_NUDGE / 2)
        elif kind == "distance":
            for value in (v for a, v in ref.pairs() if a == "area"):
                draft.move("area", value, REASON_NUDGE / 2)
            stay = draft.facts.get("area")
            if stay is not None and stay.source == "hotel":
                draft.move("area", str(stay.value), -REASON_NUDGE / 2)
        elif kind in ("loud", "crowded"):
            draft.move("feature", kind, REASON_NUDGE)
    named = [] if kinds else [(a, v) for a, v in ref.pairs()
                              if reason and re.search(rf"\b{re.escape(v)}\b", reason.lower())]
    for attribute, value in named:  # "I don't fancy Thai food": that, and only that, is what they dislike
        draft.move(attribute, value, REASON_NUDGE)
    if not kinds and not named:
        for attribute, value in pairs:
            draft.move(attribute, value, REJECT_NUDGE, floor=WEAK_FLOOR)
    return draft.done()


# a place chosen although it has no parking or wifi says nothing for doing without them
_LACKS = frozenset({("parking", "no"), ("internet", "no")})


def _liked_in(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The values of a chosen place that its choice speaks for: all but the amenities it lacks."""
    return [pair for pair in pairs if pair not in _LACKS]


def _asked(item: Any) -> set[tuple[str, str]]:
    """The ``(attribute, value)`` pairs a suggestion's request required: ``item["asked"]``."""
    asked = item.get("asked") if isinstance(item, Mapping) else getattr(item, "asked", None)
    if not isinstance(asked, Mapping):
        return set()
    out = set()
    for attribute, wanted in asked.items():
        attribute = slot_attribute(attribute)
        for one in wanted if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]:
            value = _value(attribute, one)
            if value:
                out.add(("feature" if attribute == "features" else attribute, value))
    return out


def apply_outcome(profile: UserProfile, item: Any, booked: bool, now: float, *,
                  half_life: float | None = DEFAULT_HALF_LIFE) -> Updated:
    """A booking went through (strongest evidence of taste) or failed (history only).

    A booked hotel's area becomes the area shared with the other tasks.
    """
    ref = ItemRef.of(item)
    draft = _Draft(profile, now, half_life)
    if not booked:
        draft.record(ref, "booking_failed")
        draft.changes.append(f"Booking {ref.name or ref.id} did not go through.")
        return draft.done()
    # accepting the suggestion already moved this place's attributes: booking it is the same choice
    # confirmed, not a second place with the same tastes, so the two together move them as one booking
    accepted = _accepted_since_booked(profile, ref.id)

    def amount(full: float, already: float) -> float:
        return 1 - (1 - full) / (1 - already) if accepted else full

    draft.record(ref, "booked")
    draft.changes.append(f"You booked {ref.name or ref.id}.")
    for attribute, value in _liked_in(ref.pairs()):
        if attribute == "area" and ref.kind == "hotel":
            draft.set_fact("area", value, "hotel", booked=True)
        else:
            draft.move(attribute, value, amount(BOOK_NUDGE / 2, ACCEPT_NUDGE / 2) if attribute == "feature"
                       else amount(BOOK_NUDGE, ACCEPT_NUDGE))
    return draft.done()


def apply_stay(profile: UserProfile, name: str, area: str | None, now: float) -> Updated:
    """The user says where they stay ("I'm staying at the Lockside Guesthouse"): nothing is booked, but
    the place is known and its area is shared with the other tasks, as a booked hotel's is."""
    draft = _Draft(profile, now, None)
    draft.set_fact("staying_at", name, "hotel")
    if area:
        draft.set_fact("area", area, "hotel", booked=True)
    return draft.done()


def apply_cancellation(profile: UserProfile, item: Any, now: float) -> Updated:
    """A booking was cancelled: history only (plans change; the taste it showed stays), and the
    profile no longer says it is booked, nor that the user stays where a cancelled hotel is."""
    ref = ItemRef.of(item)
    draft = _Draft(profile, now, None)
    draft.record(ref, "cancelled")
    draft.changes.append(f"You cancelled {ref.name or ref.id}.")
    return draft.done()


def _accepted_since_booked(profile: UserProfile, item_id: str) -> bool:
    for entry in reversed(profile.history):  # newest first
        if entry.item_id == item_id and entry.event in ("accepted", "booked"):
            return entry.event == "accepted"
    return False


def with_fact(profile: UserProfile, name: str, value: Any, source: str, now: float) -> Updated:
    """Set one shared fact directly (e.g. a slot filled from a booking confirmation)."""
    draft = _Draft(profile, now, None)
    draft.set_fact(name, value, source)
    return draft.done()

