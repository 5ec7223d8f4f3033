"""The user profile: what the assistant knows about one user, across sessions, as versioned JSON.

A profile holds

* **soft preferences**: a score in [-1, 1] per ``(attribute, value)`` (``food=indian +0.8``,
  ``feature=loud -0.9``) with the time it was last changed, so that it fades (see
  :func:`assistant.profile.updates.decay`);
* **hard constraints**: diets (``vegetarian``), accessibility needs (``wheelchair access``) and a
  budget ceiling (the highest price range the user accepts);
* **history**: items suggested, accepted, rejected and booked, each with its time and kind;
* **shared facts**: what one task tells the others (the hotel's ``area`` becomes the default area
  for restaurants and attractions, the ``party_size`` and ``day`` carry over between bookings).

``UserProfile`` is immutable; the update rules in :mod:`assistant.profile.updates` return new ones.
``to_json()`` writes :data:`PROFILE_SCHEMA` (version :data:`SCHEMA_VERSION`); ``from_json()`` reads
it, migrating older versions and refusing newer ones with a message that says what to do.

Version 1 (the flat layout of the first draft, and any document without ``schema_version``, such
as ``{"diet": "vegetarian"}``): ``preferences`` as ``{"attribute=value": score}`` without times,
one ``diet``, a ``budget``, lists of ``accepted`` / ``rejected`` / ``booked`` item ids and the
hotel ``area``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

__all__ = [
    "SCHEMA_VERSION",
    "PROFILE_SCHEMA",
    "PRICE_LEVELS",
    "HISTORY_EVENTS",
    "FACT_NAMES",
    "FACT_MAX_AGE",
    "ProfileError",
    "ProfileVersionError",
    "Preference",
    "Constraints",
    "HistoryEntry",
    "Fact",
    "UserProfile",
    "price_rank",
    "decay",
    "DEFAULT_HALF_LIFE",
    "PREFERENCE_ATTRIBUTES",
    "ItemRef",
    "attribute_value",
    "item_values",
    "item_pairs",
    "with_changes",
]

SCHEMA_VERSION = 2

#: Price ranges from cheapest to dearest (the MultiWOZ values); the budget ceiling is one of them.
PRICE_LEVELS = ("cheap", "moderate", "expensive")
HISTORY_EVENTS = ("suggested", "accepted", "rejected", "booked", "booking_failed", "cancelled")
#: Facts one task shares with the others.
FACT_NAMES = ("area", "party_size", "day", "staying_at")
#: How long (seconds) a fact stays a default for other tasks: a stay, a travelling group, one day's plans.
FACT_MAX_AGE = {"area": 14 * 86400.0, "party_size": 90 * 86400.0, "day": 12 * 3600.0, "staying_at": 14 * 86400.0}
#: History entries kept; rejections are always kept, since a rejected item is never suggested again.
MAX_HISTORY = 500


class ProfileError(ValueError):
    """A stored profile is not valid: the message names the user and the field."""


class ProfileVersionError(ProfileError):
    """The profile was written by a newer version of the assistant than the one running."""


#: Soft preferences lose half their weight in this many seconds (90 days) unless renewed.
DEFAULT_HALF_LIFE = 90 * 86400.0


def decay(score: float, age_seconds: float, half_life: float | None = DEFAULT_HALF_LIFE) -> float:
    """``score`` faded by age: halved every ``half_life`` seconds; ``None`` or ``inf`` means no fading.

    A negative age (a clock that went back) counts as no age at all.
    """
    if half_life is None or math.isinf(half_life):
        return score
    if not half_life > 0:
        raise ValueError(f"half_life must be a positive number of seconds, not {half_life!r}")
    if age_seconds <= 0:
        return score
    return score * 0.5 ** (age_seconds / half_life)


def price_rank(value: Any) -> int | None:
    """0 for cheap, 1 for moderate, 2 for expensive; None for anything else."""
    text = str(value).strip().lower() if value is not None else ""
    return PRICE_LEVELS.index(text) if text in PRICE_LEVELS else None


@dataclass(frozen=True)
class Preference:
    attribute: str
    value: str
    score: float  # in [-1, 1] when last updated; fades with time
    updated_at: float


@dataclass(frozen=True)
class Constraints:
    diet: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    budget_max: str | None = None  # one of PRICE_LEVELS

    @property
    def is_empty(self) -> bool:
        return not self.diet and not self.accessibility and self.budget_max is None


@dataclass(frozen=True)
class HistoryEntry:
    item_id: str
    event: str  # one of HISTORY_EVENTS
    at: float
    kind: str = ""  # restaurant, hotel, attraction, ... ("" when unknown)
    name: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class Fact:
    name: str  # one of FACT_NAMES (others are kept but not used)
    value: Any  # str, or int for party_size
    source: str  # the task type it came from
    at: float


@dataclass(frozen=True)
class UserProfile:
    user_id: str
    preferences: tuple[Preference, ...] = ()
    constraints: Constraints = field(default_factory=Constraints)
    history: tuple[HistoryEntry, ...] = ()
    facts: tuple[Fact, ...] = ()
    created_at: float = 0.0
    updated_at: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, str) or not self.user_id:
            raise ValueError(f"a profile needs a non-empty user id, not {self.user_id!r}")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def empty(cls, user_id: str, now: float = 0.0) -> "UserProfile":
        return cls(user_id=user_id, created_at=now, updated_at=now)

    @property
    def is_empty(self) -> bool:
        return not self.preferences and self.constraints.is_empty and not self.history and not self.facts

    # -- look-ups ----------------------------------------------------------------------------
    def preference(self, attribute: str, value: str) -> Preference | None:
        for pref in self.preferences:
            if pref.attribute == attribute and pref.value == value:
                return pref
        return None

    def score(self, attribute: str, value: str, now: float, half_life: float | None = DEFAULT_HALF_LIFE) -> float:
        """The soft preference for ``attribute=value`` as of ``now`` (0 when there is none)."""
        pref = self.preference(attribute, value)
        return 0.0 if pref is None else decay(pref.score, now - pref.updated_at, half_life)

    def fact(self, name: str) -> Fact | None:
        for fact in self.facts:
            if fact.name == name:
                return fact
        return None

    def item_ids(self, event: str) -> frozenset[str]:
        return frozenset(entry.item_id for entry in self.history if entry.event == event)

    def standing_bookings(self) -> frozenset[str]:
        """Places booked and not cancelled since."""
        latest: dict[str, str] = {}
        for entry in self.history:  # oldest first
            if entry.event in ("booked", "cancelled"):
                latest[entry.item_id] = entry.event
        return frozenset(item_id for item_id, event in latest.items() if event == "booked")

    @property
    def rejected_ids(self) -> frozenset[str]:
        return self.item_ids("rejected")

    def defaults_for(self, task_type: str, now: float, max_age: Mapping[str, float] | None = None) -> dict[str, Any]:
        """Slot values this task can take from the other tasks: ``{"restaurant-area": "north", ...}``.

        Only recent facts count (``max_age`` seconds per fact, default :data:`FACT_MAX_AGE`): last
        month's hotel says nothing about today, last week's day even less.
        """
        ages = {**FACT_MAX_AGE, **(max_age or {})}
        out: dict[str, Any] = {}
        slots = _FACT_SLOTS.get(task_type, {})
        for fact in self.facts:
            slot = slots.get(fact.name)
            if slot is None or now - fact.at > ages.get(fact.name, 0.0):
                continue
            if fact.name == "area" and (fact.source != "hotel" or task_type == "hotel"):
                continue  # only where the user stays is a default area for the other tasks
            out[slot] = fact.value
        return out

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        prefs: dict[str, dict[str, dict[str, float]]] = {}
        for pref in sorted(self.preferences, key=lambda p: (p.attribute, p.value)):
            prefs.setdefault(pref.attribute, {})[pref.value] = {"score": pref.score, "updated_at": pref.updated_at}
        return {
            "schema_version": SCHEMA_VERSION,
            "user_id": self.user_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "preferences": prefs,
            "constraints": {
                "diet": list(self.constraints.diet),
                "accessibility": list(self.constraints.accessibility),
                "budget_max": self.constraints.budget_max,
            },
            "history": [
                {"item_id": h.item_id, "event": h.event, "at": h.at, "kind": h.kind, "name": h.name, "reason": h.reason}
                for h in self.history
            ],
            "facts": {f.name: {"value": f.value, "source": f.source, "at": f.at} for f in self.facts},
        }

    @classmethod
    def from_json(cls, doc: Any) -> "UserProfile":
        """Read a stored profile of any version up to :data:`SCHEMA_VERSION`; ``ProfileError`` if malformed."""
        if not isinstance(doc, Mapping):
            raise ProfileError(f"a stored profile must be a JSON object, not {type(doc).__name__}")
        who = repr(doc.get("user_id", "?"))
        version = doc.get("schema_version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ProfileError(f"profile of {who}: schema_version must be a positive integer, not {version!r}")
        if version > SCHEMA_VERSION:
            raise ProfileVersionError(
                f"profile of {who} was written with schema version {version}, but this assistant reads versions up "
                f"to {SCHEMA_VERSION}: upgrade the assistant (profiles are never downgraded)"
            )
        doc = dict(doc)
        while version < SCHEMA_VERSION:
            doc = _MIGRATIONS[version](doc)
            version = doc["schema_version"]
        return _parse_v2(doc)


# slot names of the MultiWOZ schema that each fact fills
_FACT_SLOTS: dict[str, dict[str, str]] = {
    "restaurant": {"area": "restaurant-area", "party_size": "restaurant-bookpeople", "day": "restaurant-bookday"},
    "attraction": {"area": "attraction-area"},
    "hotel": {"party_size": "hotel-bookpeople", "day": "hotel-bookday"},
    "train": {"party_size": "train-bookpeople", "day": "train-day"},
}


# ----------------------------------------------------------------------------- schema

_NUMBER = {"type": "number"}
_SCORE = {"type": "number", "minimum": -1.0, "maximum": 1.0}

#: JSON Schema (draft 2020-12) of what ``UserProfile.to_json()`` writes.
PROFILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://city-concierge.example/schemas/user-profile-v2.json",
    "title": "UserProfile",
    "type": "object",
    "required": ["schema_version", "user_id", "created_at", "updated_at", "preferences", "constraints", "history",
                 "facts"],
    "additionalProperties": False,
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "user_id": {"type": "string", "minLength": 1},
        "created_at": _NUMBER,
        "updated_at": _NUMBER,
        "preferences": {
            "description": "attribute -> value -> score in [-1, 1] and when it was last changed (for decay)",
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["score", "updated_at"],
                    "additionalProperties": False,
                    "properties": {"score": _SCORE, "updated_at": _NUMBER},
                },
            },
        },
        "constraints": {
            "type": "object",
            "required": ["diet", "accessibility", "budget_max"],
            "additionalProperties": False,
            "properties": {
                "diet": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
                "accessibility": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
                "budget_max": {"enum": [*PRICE_LEVELS, None]},
            },
        },
        "history": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["item_id", "event", "at"],
                "additionalProperties": False,
                "properties": {
                    "item_id": {"type": "string", "minLength": 1},
                    "event": {"enum": list(HISTORY_EVENTS)},
                    "at": _NUMBER,
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "reason": {"type": ["string", "null"]},
                },
            },
        },
        "facts": {
            "type": "object",
            "properties": {
                "party_size": {
                    "type": "object",
                    "required": ["value", "source", "at"],
                    "additionalProperties": False,
                    "properties": {"value": {"type": "integer", "minimum": 1}, "source": {"type": "string"},
                                   "at": _NUMBER},
                },
            },
            "additionalProperties": {
                "type": "object",
                "required": ["value", "source", "at"],
                "additionalProperties": False,
                "properties": {"value": {"type": ["string", "integer"]}, "source": {"type": "string"}, "at": _NUMBER},
            },
        },
    },
}


# ----------------------------------------------------------------------------- parsing


class _Reader:
    """Typed field access with errors that name the user and the path."""

    def __init__(self, user_id: Any) -> None:
        self.who = repr(user_id)

    def fail(self, path: str, what: str) -> ProfileError:
        return ProfileError(f"profile of {self.who}: {path} {what}")

    def number(self, value: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(path, f"must be a number, not {value!r}")
        if not lo <= value <= hi:
            raise self.fail(path, f"must be between {lo} and {hi}, not {value!r}")
        return float(value)

    def string(self, value: Any, path: str, allow_empty: bool = False) -> str:
        if not isinstance(value, str) or (not value and not allow_empty):
            raise self.fail(path, f"must be a {'' if allow_empty else 'non-empty '}string, not {value!r}")
        return value

    def mapping(self, value: Any, path: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be an object, not {type(value).__name__}")
        return value

    def strings(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"must be a list of strings, not {type(value).__name__}")
        out = tuple(self.string(v, f"{path}[{i}]") for i, v in enumerate(value))
        return tuple(dict.fromkeys(out))


def _parse_v2(doc: Mapping) -> UserProfile:
    r = _Reader(doc.get("user_id"))
    user_id = r.string(doc.get("user_id"), "user_id")
    known = set(PROFILE_SCHEMA["properties"])
    unknown = sorted(set(doc) - known)
    if unknown:
        raise r.fail("", f"has unknown fields {unknown}; known: {sorted(known)}")
    prefs = []
    for attribute, values in r.mapping(doc.get("preferences", {}), "preferences").items():
        for value, entry in r.mapping(values, f"preferences.{attribute}").items():
            path = f"preferences.{attribute}.{value}"
            entry = r.mapping(entry, path)
            prefs.append(Preference(attribute, value, r.number(entry.get("score"), path + ".score", -1.0, 1.0),
                                    r.number(entry.get("updated_at"), path + ".updated_at")))
    cons = r.mapping(doc.get("constraints", {}), "constraints")
    budget = cons.get("budget_max")
    if budget is not None and budget not in PRICE_LEVELS:
        raise r.fail("constraints.budget_max", f"must be one of {list(PRICE_LEVELS)} or null, not {budget!r}")
    constraints = Constraints(r.strings(cons.get("diet", []), "constraints.diet"),
                              r.strings(cons.get("accessibility", []), "constraints.accessibility"), budget)
    history = []
    entries = doc.get("history", [])
    if not isinstance(entries, list):
        raise r.fail("history", f"must be a list, not {type(entries).__name__}")
    for i, entry in enumerate(entries):
        path = f"history[{i}]"
        entry = r.mapping(entry, path)
        event = entry.get("event")
        if event not in HISTORY_EVENTS:
            raise r.fail(path + ".event", f"must be one of {list(HISTORY_EVENTS)}, not {event!r}")
        reason = entry.get("reason")
        history.append(HistoryEntry(
            r.string(entry.get("item_id"), path + ".item_id"), event, r.number(entry.get("at"), path + ".at"),
            r.string(entry.get("kind", ""), path + ".kind", True),
            r.string(entry.get("name", ""), path + ".name", True),
            None if reason is None else r.string(reason, path + ".reason", True),
        ))
    facts = []
    for name, entry in r.mapping(doc.get("facts", {}), "facts").items():
        path = f"facts.{name}"
        entry = r.mapping(entry, path)
        value = entry.get("value")
        if name == "party_size":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise r.fail(path + ".value", f"must be a whole number of people, not {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (str, int)):
            raise r.fail(path + ".value", f"must be a string or a whole number, not {value!r}")
        facts.append(Fact(name, value, r.string(entry.get("source"), path + ".source", True),
                          r.number(entry.get("at"), path + ".at")))
    return UserProfile(
        user_id=user_id,
        preferences=tuple(prefs),
        constraints=constraints,
        history=tuple(history),
        facts=tuple(facts),
        created_at=r.number(doc.get("created_at", 0.0), "created_at"),
        updated_at=r.number(doc.get("updated_at", 0.0), "updated_at"),
    )


def _v1_to_v2(doc: dict) -> dict:
    r = _Reader(doc.get("user_id"))
    at = r.number(doc.get("updated_at", 0.0), "updated_at")
    prefs: dict[str, dict[str, dict[str, float]]] = {}
    for key, score in r.mapping(doc.get("preferences", {}), "preferences").items():
        attribute, sep, value = str(key).partition("=")
        if not sep or not attribute or not value:
            raise r.fail(f"preferences.{key}", "must be written attribute=value (schema version 1)")
        score = max(-1.0, min(1.0, r.number(score, f"preferences.{key}")))
        prefs.setdefault(attribute, {})[value] = {"score": score, "updated_at": at}
    diet = doc.get("diet")
    history = [
        {"item_id": item_id, "event": event, "at": at, "kind": "", "name": "", "reason": None}
        for event in ("accepted", "rejected", "booked")
        for item_id in doc.get(event, []) or []
    ]
    facts = {}
    if doc.get("area"):
        facts["area"] = {"value": doc["area"], "source": "hotel", "at": at}
    return {
        "schema_version": 2,
        "user_id": doc.get("user_id"),
        "created_at": doc.get("created_at", at),
        "updated_at": at,
        "preferences": prefs,
        "constraints": {"diet": [diet] if diet else [], "accessibility": [], "budget_max": doc.get("budget")},
        "history": history,
        "facts": facts,
    }


_MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}


def with_changes(profile: UserProfile, now: float, **changes: Any) -> UserProfile:
    """A copy with some fields replaced and ``updated_at`` moved to ``now``; history kept within bounds."""
    history = changes.get("history")
    if history is not None and len(history) > MAX_HISTORY:
        extra = len(history) - MAX_HISTORY
        kept = []
        for entry in history:  # drop the oldest entries that are not rejections
            if extra and entry.event != "rejected":
                extra -= 1
                continue
            kept.append(entry)
        changes["history"] = tuple(kept)
    return replace(profile, updated_at=max(profile.updated_at, now), **changes)


# ----------------------------------------------------------------------------- items as the profile sees them

#: Item attributes that soft preferences are kept for (a catalogue item's ``features`` list counts as ``feature``).
PREFERENCE_ATTRIBUTES = ("food", "type", "area", "pricerange", "feature", "stars", "parking", "internet")
_UNKNOWN = {"", "?", "dontcare", "none", "unknown", "n/a"}


def slot_attribute(slot: Any) -> str:
    """The item attribute a task's slot is about: ``restaurant-food`` -> ``food``; ``area`` stays ``area``."""
    text = str(slot)
    return text.split("-", 1)[1] if "-" in text else text


def attribute_value(value: Any) -> str | None:
    """A catalogue value as a preference value: lower-case words, ``True`` -> ``yes``, ``4.0`` -> ``4``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (str, int, float)):
        return None
    text = " ".join(str(value).strip().lower().split())
    return None if text in _UNKNOWN else text


def item_values(attributes: Mapping[str, Any], attribute: str, kind: str = "") -> list[str]:
    """The preference values an item has for one attribute (several for ``feature``)."""
    raw = attributes.get("features", attributes.get("feature")) if attribute == "feature" else attributes.get(attribute)
    items = raw if isinstance(raw, (list, tuple, set, frozenset)) else [raw]
    out = []
    for item in items:
        value = attribute_value(item)
        if value is None or (attribute == "type" and value == kind):  # "type: restaurant" says nothing about taste
            continue
        if attribute == "stars" and value == "0":  # unrated, not a taste for no stars
            continue
        if value not in out:
            out.append(value)
    return out


def item_pairs(attributes: Mapping[str, Any], kind: str = "") -> list[tuple[str, str]]:
    """Every ``(attribute, value)`` of an item that a soft preference can be about."""
    return [(attr, value) for attr in PREFERENCE_ATTRIBUTES for value in item_values(attributes, attr, kind)]


@dataclass(frozen=True)
class ItemRef:
    """The parts of a catalogue item the profile uses; made from a dict or any object with these fields."""

    id: str
    kind: str = ""
    name: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, item: Any) -> "ItemRef":
        if isinstance(item, ItemRef):
            return item
        get = item.get if isinstance(item, Mapping) else (lambda key, default=None: getattr(item, key, default))
        item_id = get("id")
        if item_id is None or str(item_id) == "":
            raise ValueError(f"an item needs an id: {item!r}")
        attributes = get("attributes") or {}
        if not isinstance(attributes, Mapping):
            raise ValueError(f"item {item_id!r}: attributes must be a mapping, not {type(attributes).__name__}")
        return cls(str(item_id), str(get("kind") or ""), str(get("name") or ""), attributes)

    def pairs(self) -> list[tuple[str, str]]:
        return item_pairs(self.attributes, self.kind)
