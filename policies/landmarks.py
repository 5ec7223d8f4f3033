"""Places as areas: "a hotel near the station" is a hotel in the area the station is in.

Pure look-up over the catalogue's places (their names, streets and the landmarks they are near);
the catalogue itself is read by the recommender (assistant/recommender/service.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from policies.index import index

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState
    from policies.context import Request

_LEAD = re.compile(r"^(?:(?:near|by|close to|next to|around|opposite|beside|behind|at|in)\s+)?(?:the\s+)?")
_WORD = re.compile(r"[a-z0-9]+")
# words that name no particular place: "near the big street" must not pick a street
_VAGUE = frozenset({"the", "a", "an", "of", "and", "s", "st", "street", "road", "lane", "big", "old", "new",
                    "place", "one", "area", "side", "part", "town", "city", "my", "our", "your"})


def phrase_key(text: str) -> str:
    """ "near the Old Bridge" -> "old bridge"; "Saint Aldric's Church" -> "saint aldric church"."""
    text = re.sub(r"['’]s\b", "", str(text).strip().lower())
    text = _LEAD.sub("", text)
    return " ".join(_WORD.findall(text))


@dataclass(frozen=True)
class Place:
    name: str
    area: str
    street: str = ""
    near: str = ""  # a landmark the place is near (an attraction's name)


class Landmarks:
    """Which area a place named by the user is in: a place's name first ("the Old Bridge"), else the
    places whose name or street holds all the words ("the station": Station Approach), when they
    are all in one area. Ambiguous or unknown: None (the caller asks, as for any unknown area)."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._exact: dict[str, set[str]] = {}
        self._named: list[tuple[frozenset[str], str]] = []
        for place in places:
            if not place.area:
                continue
            for text in (place.name, place.near):
                key = phrase_key(text)
                if key:
                    self._exact.setdefault(key, set()).add(place.area)
            for text in (place.name, re.sub(r"^\d+\w?\s+", "", place.street)):
                words = frozenset(_WORD.findall(phrase_key(text)))
                if words:
                    self._named.append((words, place.area))

    def area_of(self, phrase: str, area_words: Iterable[str] = ()) -> str | None:
        """``area_words`` (the areas' own names): a phrase that holds one ("city centre") is a way of
        saying that area, not a place; only a place's whole name ("Westbury Sports Centre") is."""
        areas = self.areas_of(phrase, area_words)
        return areas[0] if len(areas) == 1 else None

    def areas_of(self, phrase: str, area_words: Iterable[str] = ()) -> tuple[str, ...]:
        """Every area a place so named is in, sorted: one for a place known by that name, several
        for "the museum" where the museums are all over town; () for no place."""
        key = phrase_key(phrase)
        if not key:
            return ()
        exact = self._exact.get(key)
        if exact:
            return tuple(sorted(exact))
        words = [w for w in _WORD.findall(key) if w not in _VAGUE]
        if set(words) & {str(a).lower() for a in area_words}:
            return ()
        # all the words, else the last one, the head of an English compound ("the train station")
        for wanted in (frozenset(words), frozenset(words[-1:])):
            areas = {area for named, area in self._named if wanted and wanted <= named}
            if areas:
                return tuple(sorted(areas))
        return ()


def places_from_conversation(request: Request, state: DialogueState, domain: Domain) -> Request:
    """The request with each area given as a place the conversation already chose ("a restaurant near
    the museum" once Ashcombe Museum was taken) replaced by that place's name, latest first, which
    :func:`areas_from_places` then places. A place's kind matches its name's words ("museum" in
    "Ashcombe Museum") or the task's slots ("park" in attraction-type); a word naming an area
    ("the centre") or another task ("the hotel") is left to their own readings."""
    if not request.entities:
        return request
    idx = index(domain)
    chosen: list[tuple[str, frozenset[str]]] = []  # (name, the words that refer to it), latest task first
    for task in reversed(state.tasks):
        name_slot = idx.name_slot.get(task.type)
        name = task.slots.get(name_slot) if name_slot else None
        if isinstance(name, str) and name.strip():
            words = set(_WORD.findall(phrase_key(name)))
            words |= {str(v).lower() for s, v in task.slots.items() if s != name_slot and isinstance(v, str)}
            chosen.append((name, frozenset(words - _VAGUE)))
    if not chosen:
        return request

    def chosen_place(phrase: str, area_words: Iterable[str]) -> str | None:
        key = phrase_key(phrase)
        said = [w for w in _WORD.findall(key) if w not in _VAGUE]
        areas = {str(a).lower() for a in area_words}
        return next((name for name, words in chosen
                     if said and not set(said) & areas and (set(said) <= words or key in words)), None)

    return _places_replaced(request, domain, chosen_place)


def areas_from_places(request: Request, domain: Domain,
                      area_of: Callable[[str, Iterable[str]], str | None] | None) -> Request:
    """The request with each area the user gave as a place ("near the station") replaced by that
    place's area; a value that is an area already, or names another task ("near the hotel",
    slot_policy.referenced_area), is left as it is."""
    if area_of is None or not request.entities:
        return request

    def area(phrase: str, area_words: Iterable[str]) -> str | None:
        found = area_of(phrase, area_words)
        return found if found is not None and found.lower() in {str(a).lower() for a in area_words} else None

    return _places_replaced(request, domain, area)


def _places_replaced(request: Request, domain: Domain,
                     replacement: Callable[[str, Iterable[str]], str | None]) -> Request:
    """The request with each area given as a place (no area, nor another task: "near the hotel")
    replaced by ``replacement(phrase, the area slot's values)`` where that gives one."""

    def placed(entity: Any, spec: Any) -> str | None:
        if spec.kind == "area" and isinstance(entity.value, str) and spec.validate(entity.value)[1] is not None \
                and not domain.names_a_task(entity.value):
            return replacement(entity.value, spec.values)
        return None

    return request.with_slot_values(domain, placed)
