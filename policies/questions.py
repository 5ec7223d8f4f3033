"""Questions about a place or a booking ("what's the address?", "does it have free wifi?", "what's
the reference number for the hotel?"): what is asked and about which place. Pure decisions.

MultiWOZ labels such a message with the task's own intent (find_hotel) and lists the attributes
asked as requested slots, so they are read from the words here, whatever the intent. Words that
are also search filters (wifi, parking, stars, price, area, food) count as a question only when
the message is a question and searches for nothing ("is there a hotel with free parking?" is a
search; "is there free parking?" after a suggestion asks about that place).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from assistant.profile.describe import feature_clause, value_words
from assistant.profile.updates import canonical_feature
from assistant.recommender.words import article, capitalised, type_words
from policies import cues, slot_policy
from policies.decisions import CONFIRM, SLOT, SUGGESTION, Decision, Utter
from policies.index import index
from policies.words import join_words, place_name, place_words

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState, Task
    from policies.context import Pending, Request

#: what can be asked, and the words that ask it
_ASKED: tuple[tuple[str, str, bool], ...] = (
    # (attribute, pattern, also a search filter)
    ("reference", r"\breference\b|\bref\b|\bconfirmation (?:number|code)\b|\bbooking (?:number|code)\b", False),
    ("address", r"\baddress\b|\bwhere (?:is|are|'s) (?:it|they|that|this|the \w+)\b|\bwhere(?:abouts| exactly)\b"
                r"|\bwhat street\b|\bhow do i find (?:it|them)\b", False),
    ("phone", r"\bphone\b|\btelephone\b|\bnumber to call\b|\bcontact (?:number|details)\b", False),
    ("postcode", r"\bpost ?code\b|\bzip ?code\b", False),
    ("openhours", r"\bopening (?:hours|times)\b|\bwhen (?:is it|are they|does it|do they) open\b"
                  r"|\bopen (?:until|till)\b|\bwhat time does it (?:open|close)\b", False),
    ("entrance_fee", r"\bentrance fee\b|\bentry fee\b|\badmission\b|\b(?:cost|pay) to (?:get in|enter)\b"
                     r"|\bis (?:it|entry|entrance) free\b|\bhow much (?:is it )?to get in\b", False),
    ("about", r"\btell me (?:a bit |a little )?more\b|\bwhat(?:'s| is) it like\b|\bmore (?:details|information|info)\b"
              r"|\btell me about (?:it|them|that|this)\b", False),
    ("trainid", r"\btrain (?:id|number)\b|\bwhich train\b", False),
    ("car", r"\bcar (?:type|make|model)\b|\b(?:type|kind|make|colou?r) of (?:the )?(?:car|taxi|cab)\b"
            r"|\bwhat (?:car|kind of car|type of car)\b(?! park)|\bwhich car\b(?! park)"
            r"|\bwhat (?:will|does) (?:it|the taxi|the car)"
            r" look like\b|\bwhat colou?r is (?:the|my|our) (?:car|taxi|cab)\b", False),
    ("duration", r"\bhow long (?:is|does|will) (?:the|it|that)\b|\b(?:travel|journey) time\b|\bduration\b", False),
    ("leaveat", r"\b(?:what time|when) (?:does|do) (?:it|(?:the|my|our) train) (?:leave|depart|go)\b"
                r"|\bdeparture time\b|\b(?:what time|when) is (?:my|our|the) train\b(?! (?:arriving|getting in))",
     False),
    ("arriveby", r"\b(?:what time|when) (?:does|do|will) (?:it|(?:the|my|our) train) (?:arrive|get in)\b"
                 r"|\barrival time\b|\b(?:what time|when) (?:does|do|will) (?:i|we) (?:arrive|get in)\b", False),
    ("internet", r"\bwi-?fi\b|\binternet\b", True),
    ("parking", r"\bparking\b|\bpark (?:the|my|a) car\b", True),
    ("stars", r"\bhow many stars\b|\bstar rating\b|\bstars? (?:is it|does it|are they)\b", True),
    ("price", r"\bprice(?: range)?\b|\bhow (?:expensive|pricey|much)\b|\bcost\b|\bfare\b"
              r"|\bis (?:it|that|this) (?:expensive|cheap|pricey)\b", True),
    ("area", r"\bwhat (?:area|part of (?:town|the city))\b|\bwhich (?:area|part)\b|\barea is (?:it|that)\b"
             r"|\b(?:is|are) (?:it|that|this|they|the [\w' ]+?) (?:(?:right |very )?(?:in|near|close to|near to|by)"
             r" the (?:city )?(?:centre|center|north|south|east|west)\b|(?:very |quite )?central\b)", True),
    ("food", r"\bwhat (?:kind|type|sort) of food\b|\bwhat food\b|\bcuisine\b|\bwhat do they (?:serve|cook)\b", True),
    # diets: "do they serve vegetarian food?" (a search when it looks for places: "any vegan places?")
    ("vegetarian", r"\bvegetarians?\b|\bveggie\b", True),
    ("vegan", r"\bvegans?\b", True),
    ("halal", r"\bhalal\b", True),
    ("gluten_free", r"\bgluten[- ]?free\b|\bco?eliacs?\b", True),
    ("type", r"\bwhat (?:kind|type|sort) of (?:place|attraction|hotel|accommodation)\b", True),
    # only as a question: "no, it's too far from my hotel" turns the place down
    ("distance", r"\bhow far\b|\b(?:is|are) (?:it|that|this|they|the [\w' ]+?) (?:very |too |quite |that |a bit |)far\b"
                 r"|\bfar (?:from|away)\b|\b(?:walking|driving) distance\b|\ba long way\b|\bclose to (?:my|our) \w+", False),
)
_PATTERNS = tuple((name, re.compile(pattern, re.I), filter_too) for name, pattern, filter_too in _ASKED)

_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:(?:ok(?:ay)?|great|thanks?|perfect|and|also|so|sure|oh)\W+)*"
    r"(?:what|what's|whats|where|which|how|is|are|does|do|did|can|could|would|will|may|has|have"
    r"|tell me|let me know)\b", re.I)
# a search for a kind of place ("is there a hotel with parking?", "any cheap ones?"): no question about one
_SEARCH = re.compile(
    r"\b(?:a|an|any|some|another|other|find|looking for|recommend|suggest)\s+(?:\w+\s+){0,3}"
    r"(?:hotels?|guest ?houses?|restaurants?|places?|ones?|attractions?|museums?|colleges?|parks?|theatres?"
    r"|cinemas?|pools?|clubs?|trains?|taxis?|rooms?|tables?|accommodations?|spots?|b&bs?)\b"
    r"|\bsomewhere\b|\banywhere\b", re.I)


def asked(text: str) -> tuple[str, ...]:
    """The attributes a message asks about, in the order asked; () when it asks about none, or
    asks only about search filters without being a question about one place."""
    hits = [(match.start(), name, filter_too) for name, pattern, filter_too in _PATTERNS
            for match in [pattern.search(text)] if match]
    if not hits:
        return ()
    found = [(name, filter_too) for _, name, filter_too in sorted(hits, key=lambda h: h[0])]  # as asked
    if all(filter_too for _, filter_too in found) and (not _QUESTION.search(text) or _SEARCH.search(text)):
        return ()
    names = [name for name, _ in found]
    if "distance" in names and not _QUESTION.search(text):
        names.remove("distance")
        if not names:
            return ()
    if "entrance_fee" in names:  # "how much is it to get in?": the fee is the price asked
        names = [n for n in names if n != "price"]
    return tuple(dict.fromkeys(names))


_LEAD = r"^\W*(?:(?:and|so|also|ok(?:ay)?|great|oh|but)\W+)*"
_THING = r"(?P<f>[a-z][\w' \-]{1,30}?)"
_END = r"(?: there| on site| available| too| as well)?\W*$"
# a thing a place has or is, asked about the place under discussion ("does it have a pool?", "is it
# quiet?", "is breakfast included?"); the whole message asks it, anything more is left to the routing
_FEATURE_ASKED = tuple(re.compile(_LEAD + pattern + _END, re.I) for pattern in (
    r"(?:does|do) (?:it|they|that|this|that place|the (?:hotel|guesthouse|place|restaurant|attraction|museum))"
    r" (?:have|has|offer|provide|come with|do) (?:an? |any |some |its own |their own )?" + _THING,
    r"is there (?:an? |any |some )?" + _THING,
    r"(?:is|are) (?:the )?" + _THING + r" included",
    r"(?:is|are) (?:it|they|that|this|that place|the place) (?:very |really |quite |a |an )?" + _THING
    + r"(?: place| one| spot)?",
))
# "is it any good?": what the place is like, which its description says
_GOOD = frozenset({"good", "any good", "nice", "worth it", "worth a visit", "worth visiting", "popular",
                   "good place", "nice place"})
_FEATURE_ALIASES = {"swimming pool": "pool", "pools": "pool", "gardens": "garden", "views": "view",
                    "guided tour": "guided tours", "tours": "guided tours", "music": "live music",
                    "outdoor space": "outdoor seating", "reception": "24-hour reception",
                    "night reception": "24-hour reception", "lift": "wheelchair access", "elevator": "wheelchair access",
                    "kid friendly": "child friendly", "good for kids": "child friendly", "open late": "late opening",
                    "dog-friendly": "dog friendly", "child-friendly": "child friendly"}


@dataclass(frozen=True)
class FeatureAsked:
    """A thing asked of a place: ``feature`` as the catalogue writes it ("swimming pool" -> "pool",
    "wheelchair accessible" -> "wheelchair access"; "about" for "is it any good?"). ``of_it``: the
    message says which place ("does *it* have a pool?"); "is there a pool?" may be a search too, so it
    counts only where such places list that feature."""

    feature: str
    of_it: bool


def asked_feature(text: str) -> FeatureAsked | None:
    """What a message asks whether the place has or is; None when it asks nothing of the kind."""
    text = text or ""
    if asked(text):
        return None  # "is there parking?" is a question of its own
    for number, pattern in enumerate(_FEATURE_ASKED):
        match = pattern.search(text)
        if match is None:
            continue
        of_it = number != 1  # all but "is there a ...?" ("is there a hotel with a pool?" is a search)
        phrase = re.sub(r"\s+", " ", match.group("f").lower()).strip(" -'")
        if phrase in _GOOD:
            return FeatureAsked("about", of_it)
        phrase = _FEATURE_ALIASES.get(phrase, phrase)
        return FeatureAsked(canonical_feature(phrase) or phrase, of_it)
    return None


_ITS = "it's "


def feature_answer(called: str, feature: str, features: Any, known: Any) -> str:
    """ "Yes, Kingsmere Hotel has a pool." / "Not as far as I know: ... doesn't list a gym." from the
    place's ``features`` and every feature its kind of place can list (``known``); a thing no place
    lists is not known either way."""
    have = {str(f).lower() for f in features or ()}
    clause = feature_clause(feature)
    if feature in have:
        return "Yes, " + _with_subject(called, clause)
    if feature in {str(f).lower() for f in known or ()}:
        if clause.startswith(_ITS):
            return f"Not as far as I know: {called} isn't listed as {clause[len(_ITS):]}."
        listed = clause[len("it has "):] if clause.startswith("it has ") else feature
        return f"Not as far as I know: {called} doesn't list {listed}."
    return f"I'm afraid I don't know that about {called}."


def _with_subject(called: str, clause: str) -> str:
    """ "it's quiet" -> "Kingsmere Hotel is quiet.", "it has a pool" -> "Kingsmere Hotel has a pool."."""
    if clause.startswith(_ITS):
        return f"{called} is {clause[len(_ITS):]}."
    return f"{called} {clause[len('it '):]}."


_BOOK = re.compile(r"\b(?:book|reserve)\b", re.I)
# a place chosen by name ("I'd like the Kingsmere Hotel. Does it have parking?"): more than a question
_CHOOSE = re.compile(r"\b(?:i'?d like|i would like|i want|i'?ll (?:take|have|go with|try)|we'?ll (?:take|have|go with)"
                     r"|let'?s (?:go with|go for|do|try|have)|go with|go for|choose|pick)\b", re.I)
_CLAUSE = re.compile(r"[^.!?;]+")
# the slots a question may name without asking for anything else ("does it have free wifi?" tags
# hotel-internet): a name, or the attribute asked
_ASKED_SLOTS = {"internet": "internet", "parking": "parking", "stars": "stars", "price": "pricerange",
                "area": "area", "food": "food", "type": "type", "vegetarian": "diet", "vegan": "diet",
                "halal": "diet", "gluten_free": "diet", "feature": "features"}
# a diet asked about -> (the catalogue's attribute, how it is said)
_DIETS = {"vegetarian": ("vegetarian_options", "vegetarian options"), "vegan": ("vegan_options", "vegan options"),
          "halal": ("halal", "halal food"), "gluten_free": ("gluten_free_options", "gluten-free options")}


def only_asks(request: Request, wanted: tuple[str, ...], domain: Domain) -> bool:
    """Whether the message does nothing but ask: no yes, no "book it", no value for another slot
    ("what's the address? and book it for 2": the booking goes first, its confirmation says where)."""
    text = request.text or ""
    if _BOOK.search(text) or cues.yes_or_no(None, text) == "yes":
        return False
    idx = index(domain)
    names = set(idx.name_slot.values())
    allowed = {_ASKED_SLOTS[w] for w in wanted if w in _ASKED_SLOTS}
    if "distance" in wanted:  # "how far is it from the hotel?": the places compared, whatever they are tagged as
        allowed |= {"departure", "destination", "area"}
    for entity in request.entities:
        slot = idx.entity_slot.get(entity.entity)
        if slot in names and _chosen(text, entity):
            return False
        if slot is None or slot in names:
            continue
        if slot.split("-", 1)[-1] not in allowed:
            return False
    return True


def _chosen(text: str, entity: Any) -> bool:
    """Whether the sentence naming the place chooses it ("I'd like the Kingsmere Hotel") rather than
    asks about it ("is the Kingsmere Hotel in the north?")."""
    start = getattr(entity, "start", None)
    for clause in _CLAUSE.finditer(text):
        if start is None or clause.start() <= start < clause.end():
            if _CHOOSE.search(clause.group()) and not _QUESTION.search(clause.group().strip() + "."):
                return True
    return False


# what the catalogue says of a place: the same before and after it is booked, so a question about it
# may ride along with a yes or a booking ("sounds good, what's the address?")
_PLACE_FACTS = frozenset({"address", "phone", "postcode", "openhours", "entrance_fee", "about", "internet",
                          "parking", "stars", "price", "area", "food", "type", *_DIETS})


def asks_besides(request: Request, wanted: tuple[str, ...], domain: Domain) -> bool:
    """Whether a message that does more than ask ("sounds good, what's the address?", "I'd like the
    Kingsmere. Does it have parking?") asks about the place itself, so that the answer can go with
    what else it does. Not when it changes the search ("in the north, what's the address?": the
    answer would be about a place about to be replaced) nor asks about the booking it makes ("book
    it, what's the reference?": the booking's confirmation gives it)."""
    if not wanted or not set(wanted) <= _PLACE_FACTS:
        return False
    if any(w in _ASKED_SLOTS for w in wanted) and _SEARCH.search(request.text or ""):
        return False  # "a hotel with parking, what's the address?": a search, not a question about this place
    idx = index(domain)
    filters = set(_ASKED_SLOTS.values())
    allowed = {_ASKED_SLOTS[w] for w in wanted if w in _ASKED_SLOTS}
    for entity in request.entities:
        slot = idx.entity_slot.get(entity.entity)
        field = slot.split("-", 1)[-1] if slot else ""
        if field in filters and field not in allowed:
            return False
    return True


@dataclass(frozen=True)
class Subject:
    """The place or booking a question is about: a task's, or a suggestion still waiting for an answer."""

    kind: str  # a task type: restaurant, hotel, attraction, taxi, train
    name: str | None  # the place's name, where the task has one
    task_id: str | None = None
    slots: Mapping[str, Any] | None = None  # the task's slots (the booking's details)


def subject(request: Request, state: DialogueState, domain: Domain, pending: Pending | None,
            wanted: tuple[str, ...] = ()) -> Subject | None:
    """Which place or booking the question is about: one named in it ("the address of Ashcombe
    Museum"), else the task it names ("the reference for the hotel"), else the suggestion waiting
    for an answer, else the task in focus, else the latest task with a place or a booking; that
    last only for what no search asks for (the address, the reference): "does it have wifi?" in the
    middle of a hotel search is about no restaurant booked an hour ago."""
    idx = index(domain)
    for entity in request.entities:
        slot = idx.entity_slot.get(entity.entity, "")
        kind = next((t for t, name_slot in idx.name_slot.items() if name_slot == slot), None)
        if kind is not None and isinstance(entity.value, str) and entity.value.strip():
            task = _latest(state, lambda t, k=kind, v=entity.value: t.type == k and _named(t, idx) == v.lower())
            return Subject(kind, entity.value, task.id if task else None, dict(task.slots) if task else None)
    text = (request.text or "").lower()
    if "distance" in wanted:  # "is it far from my hotel?": the hotel is what it is compared with
        text = _FROM_PLACE.sub(" ", text)
    words = set(re.findall(r"[a-z]+", text))
    suggested = _suggested(pending, state) or _offered_before(request, pending, state)
    for kind in domain.tasks:
        if kind in words or (domain.tasks[kind].recommend or kind) in words:
            if suggested is not None and suggested.kind == kind:
                return suggested
            task = _latest(state, lambda t, k=kind: t.type == k and (_named(t, idx) or _reference(t)))
            if task is not None:
                return _of(task, idx)
    if suggested is not None:
        return suggested
    focus = state.focused_task
    if focus is not None and (_named(focus, idx) or _reference(focus)):
        return _of(focus, idx)
    if focus is not None and wanted and all(w in _BOOKING_QUESTIONS.get(focus.type, ()) for w in wanted):
        return _of(focus, idx)  # "how long is the journey?" while the train is being planned: not yet known
    task = _latest(state, lambda t: bool(_named(t, idx) or _reference(t)))
    if wanted and all(w in _ASKED_SLOTS for w in wanted) and not _just_done(task, state):
        return None
    return _of(task, idx) if task is not None else None


# the place a distance is measured from: "from my hotel", "to the museum", "from the centre"
_FROM_PLACE = re.compile(r"\b(?:from|to|of)\s+(?P<owner>my|our|the|your)?\s*(?P<place>[a-z][a-z' ]*?)\s*"
                         r"(?=[?.,!]|$|\band\b)",
                         re.I)
_CENTRE = re.compile(r"\b(?:centre|center|town|city|middle)\b", re.I)


def distance_reference(text: str, about: Subject, state: DialogueState, domain: Domain) -> Subject | None:
    """What "how far?" measures from: the place the question names ("from my hotel", "to the
    museum"), else the hotel of the conversation (where the user stays); None for the town centre
    ("from the centre", or no hotel to measure from)."""
    match = _FROM_PLACE.search(text or "")
    place = match.group("place").lower() if match else ""
    if _CENTRE.search(place):
        return None
    idx = index(domain)
    said = set(re.findall(r"[a-z]+", place)) - {"the", "my", "our", "place"}

    def measured_from(task: Task) -> bool:
        name = _named(task, idx)
        if name is None or name == str(about.name or "").lower():
            return False
        if not said:  # "is it far?": from where the user stays
            return task.type == "hotel"
        # "from my hotel", "from the museum" (Ashcombe Museum), "from Lockside"
        return bool(said & {task.type, domain.tasks[task.type].recommend or task.type, *re.findall(r"[a-z]+", name)})

    task = _latest(state, measured_from)
    return _of(task, idx) if task is not None else None


# how two parts of town lie: the centre touches them all, north/south and east/west are opposite
_OPPOSITE = {frozenset({"north", "south"}), frozenset({"east", "west"})}


def unknown_reference(text: str, about: Subject, state: DialogueState, domain: Domain) -> str | None:
    """ "Is it far from my hotel?" with no hotel in the conversation: the place as the answer names it
    ("your hotel", "the museum"); None when the question names no place ("from here", "to walk"), or
    one the conversation has."""
    match = _FROM_PLACE.search(text or "")
    if match is None or distance_reference(text, about, state, domain) is not None:
        return None
    place = match.group("place").lower().strip()
    owner = (match.group("owner") or "").lower()
    if _CENTRE.search(place) or not (owner or set(re.findall(r"[a-z]+", place)) & domain.task_place_words):
        return None  # "from here", "to walk", "from the centre": measured from the centre as before
    owner = {"my": "your", "our": "your", "your": "my"}.get(owner, "the")
    return f"{owner} {place}"


def distance_answer(called: str, area: str | None, other: str | None, other_area: str | None,
                    unknown: str | None = None) -> str:
    """How far apart two places are, by the parts of town they are in (the catalogue keeps no
    distances: the areas are all there is to go on). ``other`` None: the town centre, said to be
    so when the user asked about a place the conversation does not have (``unknown``, "your hotel")."""
    if unknown and other is None:
        return f"I don't know where {unknown} is, so from the centre: " + distance_answer(called, area, None, None)
    if not area:
        return f"I don't know which part of town {called} is in."
    if other is None:
        if area == "centre":
            return f"{called} is in the centre of town."
        return f"{called} is in the {area} of town, outside the centre."
    if not other_area:
        return f"{called} is in the {area}; I don't know which part of town {other} is in."
    if area == other_area:
        return f"{called} and {other} are both in the {area}, so they're close to each other."
    if "centre" in (area, other_area):
        return f"{called} is in the {area} and {other} in the {other_area}: neighbouring parts of town."
    if frozenset({area, other_area}) in _OPPOSITE:
        return f"{called} is in the {area} and {other} in the {other_area}, on opposite sides of town."
    return f"{called} is in the {area} and {other} in the {other_area}, across the centre from each other."


def _suggested(pending: Pending | None, state: DialogueState) -> Subject | None:
    item = pending.recommendation if pending is not None else None
    if not item or not item.get("name"):
        return None
    task = state.task(pending.task_id) if pending is not None and pending.task_id else None
    kind = task.type if task is not None else str(item.get("kind") or "")
    return Subject(kind, str(item["name"]), task.id if task else None, dict(task.slots) if task else None) \
        if kind else None


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1, "latest": -1}


def _offered_before(request: Request, pending: Pending | None, state: DialogueState) -> Subject | None:
    """After "I've run out of ideas" (the task asks for its place, none on the table), "the address of the
    first one": a place offered earlier for that task, by its order ("first", "second"; else the last)."""
    task = state.task(pending.task_id) if pending is not None and pending.task_id else None
    if task is None or pending.expects != SLOT or not task.is_open:  # type: ignore[union-attr]
        return None
    offered = [meta["recommendation"] for e in state.events if e.get("event") == "bot"
               for meta in [e.get("metadata") or {}]
               if isinstance(meta.get("recommendation"), dict) and meta["recommendation"].get("task_id") == task.id
               and meta["recommendation"].get("name")]
    if not offered:
        return None
    said = re.search(r"\b(" + "|".join(_ORDINALS) + r")\b", (request.text or "").lower())
    index_ = _ORDINALS[said.group(1)] if said else -1
    item = offered[index_] if -len(offered) <= index_ < len(offered) else offered[-1]
    return Subject(task.type, str(item["name"]), task.id, dict(task.slots))


def _of(task: Task, idx: Any) -> Subject:
    name_slot = idx.name_slot.get(task.type)
    name = task.slots.get(name_slot) if name_slot else None
    return Subject(task.type, str(name) if name else None, task.id, dict(task.slots))


def _named(task: Task, idx: Any) -> str | None:
    name_slot = idx.name_slot.get(task.type)
    name = task.slots.get(name_slot) if name_slot else None
    return str(name).lower() if isinstance(name, str) and name.strip() else None


def _reference(task: Task) -> Any:
    return task.slots.get(f"{task.type}-ref")


def _just_done(task: Task | None, state: DialogueState) -> bool:
    """The place is the last thing that happened, with nothing in focus since: "do they have vegetarian
    options?" (and "is it in the centre?" after that) once "your table at La Paellera is booked"."""
    return task is not None and state.focused_task is None \
        and all(t.updated_turn <= task.updated_turn for t in state.tasks)


def _latest(state: DialogueState, wanted) -> Task | None:
    candidates = [t for t in state.tasks if wanted(t)]
    return max(candidates, key=lambda t: (t.updated_turn, state.tasks.index(t))) if candidates else None


# a question answered yes or no ("is it in the north?", "does it have parking?", "is it cheap?")
_YES_NO_QUESTION = re.compile(r"^\W*(?:(?:ok(?:ay)?|and|also|so|oh)\W+)*(?:is|are|does|do|has|have)\b", re.I)
_AREA_WORDS = {"centre": "centre", "center": "centre", "central": "centre", "north": "north", "south": "south",
               "east": "east", "west": "west"}
_PRICE_WORDS = {"cheap": "cheap", "inexpensive": "cheap", "expensive": "expensive", "pricey": "expensive",
                "moderate": "moderate", "moderately priced": "moderate", "mid-priced": "moderate"}


def yes_or_no(text: str, wanted: tuple[str, ...], attributes: Mapping[str, Any] | None) -> str | None:
    """ "Yes" or "No" for a question asked as one ("is it in the north?" of a place in the centre:
    "No"), from the catalogue's attributes; None when the question is no yes/no one, asks about
    more than one thing, or the catalogue does not say."""
    attrs = dict(attributes or {})
    if len(wanted) != 1 or not _YES_NO_QUESTION.search(text or "") or re.search(r"\bor\b", text or "", re.I):
        return None  # "is it cheap or expensive?" is no yes/no question
    attribute, words = wanted[0], (text or "").lower()
    if attribute in ("internet", "parking") and isinstance(attrs.get(attribute), bool):
        return "Yes" if attrs[attribute] else "No"
    if attribute in _DIETS and isinstance(attrs.get(_DIETS[attribute][0]), bool):
        return "Yes" if attrs[_DIETS[attribute][0]] else "No"
    said: str | None = None
    actual = None
    if attribute == "area":
        said = next((v for w, v in _AREA_WORDS.items() if re.search(rf"\b{w}\b", words)), None)
        actual = attrs.get("area")
    elif attribute == "price":
        said = next((v for w, v in _PRICE_WORDS.items() if re.search(rf"\b{w}\b", words)), None)
        actual = attrs.get("pricerange")
    elif attribute == "entrance_fee" and re.search(r"\bfree\b", words):
        said, actual = "free", attrs.get("entrance_fee")
    if said is None or not actual or str(actual).strip() in ("", "?"):
        return None
    return "Yes" if str(actual).lower() == said else "No"


# what the catalogue does not hold: said plainly rather than guessed
_NOT_KEPT = {"phone": "phone number", "postcode": "postcode", "openhours": "opening hours"}


def answer_text(about: Subject, wanted: tuple[str, ...], attributes: Mapping[str, Any] | None,
                description: str = "", label: str | None = None, question: str = "") -> str:
    """The answer, one sentence per attribute asked. ``attributes``: the catalogue's for the place
    (None when it has no such place); ``label``: what the task is called ("the hotel booking");
    ``question``: the words asked, for a yes or no first ("No, Kingsmere Hotel is in the centre.")."""
    name = place_name(about.name) if about.name else None
    called = name or f"the {label or about.kind}"
    attrs = dict(attributes or {})
    slots = dict(about.slots or {})
    said: list[str] = []
    # "the phone number and the postcode?" with neither kept: one "I don't have" for both
    missing = [a for a in wanted if a in _NOT_KEPT and about.kind not in ("train", "taxi") and not attrs.get(a)]
    if len(missing) > 1:
        said.append(f"I'm afraid I don't have the {join_words([_NOT_KEPT[a] for a in missing], 'or')} of {called}.")
        wanted = tuple(a for a in wanted if a not in missing)
    for attribute in wanted:
        sentence = _sentence(attribute, about, called, attrs, slots, description)
        if said and sentence.startswith(called + " "):  # named once: "... It has free wifi."
            sentence = "It" + sentence[len(called):]
        if sentence and sentence not in said:
            said.append(sentence)
    answer = " ".join(said)
    reply = yes_or_no(question, wanted, attributes)
    if reply and answer:
        named = answer.startswith(called) and not called.startswith("The ")  # "Yes, Kingsmere Hotel ..."
        answer = f"{reply}, {answer if named else answer[0].lower() + answer[1:]}"  # "No, the Orchard ..."
    return answer


def _sentence(attribute: str, about: Subject, called: str, attrs: dict[str, Any], slots: dict[str, Any],
              description: str) -> str:
    kind = about.kind
    if attribute == "reference":
        ref = slots.get(f"{kind}-ref")
        if ref:
            return f"Your reference for {called} is {ref}."
        return f"{capitalised(called)} isn't booked yet, so there's no reference."
    if kind == "train":
        return _train_sentence(attribute, slots)
    if kind == "taxi":
        return _taxi_sentence(attribute, slots)
    if not attrs:
        return f"I'm afraid I don't have the details of {called}."
    area = attrs.get("area")
    if attribute == "address":
        street = attrs.get("street")
        if street:
            return f"{called} is at {street}" + (f", in the {area}." if area else ".")
        return f"{called} is in the {area}." if area else f"I'm afraid I don't have the address of {called}."
    if attribute in _NOT_KEPT:
        value = attrs.get(attribute)
        if value:
            return f"The {_NOT_KEPT[attribute]} of {called} is {value}."
        return f"I'm afraid I don't have the {_NOT_KEPT[attribute]} of {called}."
    if attribute == "entrance_fee" or (attribute == "price" and kind == "attraction"):
        fee = attrs.get("entrance_fee")
        if fee is None or str(fee).strip() in ("", "?"):
            return f"I don't know what entry to {called} costs."
        return f"Entry to {called} is free." if str(fee).lower() == "free" else f"Entry to {called} costs {fee}."
    if attribute in _DIETS:
        field, what = _DIETS[attribute]
        has = attrs.get(field)
        if not isinstance(has, bool):
            return f"I don't know whether {called} has {what}."
        return f"{called} has {what}." if has else f"{called} has no {what}."
    if attribute in ("internet", "parking"):
        what = "wifi" if attribute == "internet" else "parking"
        has = attrs.get(attribute)
        if has is None:
            return f"I don't know whether {called} has {what}."
        return f"{called} has free {what}." if has else f"{called} has no {what}."
    if attribute == "stars":
        stars = attrs.get("stars")
        if stars is None:
            return f"I don't know how many stars {called} has."
        if not stars:
            return f"{called} has no star rating."
        return f"{called} has {stars} star{'s' if stars != 1 else ''}."
    if attribute == "price":
        price = attrs.get("pricerange")
        return f"{called} is {article(f'{price} place')}." if price else f"I don't know {called}'s prices."
    if attribute == "area":
        return f"{called} is in the {area}." if area else f"I don't know which part of town {called} is in."
    if attribute == "food":
        food = attrs.get("food")
        return f"{called} serves {value_words('food', food)}." if food else f"I don't know what food {called} serves."
    if attribute == "type":
        kind_word = attrs.get("type")
        return f"{called} is {article(type_words(kind_word))}." if kind_word else ""
    if attribute == "about":
        return description or f"I don't know much more about {called}."
    return ""


#: what a booked train answers: attribute -> (its slot, the answer, what is said when the slot is empty)
_TRAIN_ANSWERS = {
    "price": ("train-price", "Tickets on {train} cost {value} each.", "I don't have the fare of {train}."),
    "duration": ("train-duration", "The journey takes {value}.", "I don't have the journey time of {train}."),
    "leaveat": ("train-leaves", "{train} leaves at {value}.", "I don't have the times of {train}."),
    "arriveby": ("train-arrives", "{train} arrives at {value}.", "I don't have the times of {train}."),
}


#: what a booking with no place of its own answers once booked (before: that it isn't booked yet)
_BOOKING_QUESTIONS = {"train": frozenset(_TRAIN_ANSWERS) | {"trainid"}, "taxi": frozenset({"car", "phone"})}


def _taxi_sentence(attribute: str, slots: dict[str, Any]) -> str:
    """What a booked taxi answers: the car that comes and its driver's number."""
    car, phone = slots.get("taxi-type"), slots.get("taxi-phone")
    if not slots.get("taxi-ref"):
        return "The taxi isn't booked yet: once it is, I can tell you the car and its contact number."
    if attribute == "car" and car:
        return f"Your taxi is {article(str(car))}."
    if attribute == "phone" and phone:
        number = str(phone)
        number = f"{number[:5]} {number[5:]}" if len(number) == 11 else number  # a UK mobile: 07218 068540
        return f"The taxi's contact number is {number}."
    return "I only have the car, the contact number and the booking reference of the taxi."


def _train_sentence(attribute: str, slots: dict[str, Any]) -> str:
    train = slots.get("train-trainid")
    if not train:
        return "The train isn't booked yet: once it is, I can tell you its times, price and reference."
    if attribute == "trainid":
        return f"Your train is {train}."
    if attribute == "address":
        departure = slots.get("train-departure")
        return f"{train} leaves from {place_words(departure)}." if departure else ""
    if attribute not in _TRAIN_ANSWERS:
        return f"I only have the times, fare and reference of {train}."
    slot, answer, missing = _TRAIN_ANSWERS[attribute]
    value = slots.get(slot)
    if not value:
        return missing.format(train=train)
    return answer.format(train=train, value=_minutes(value) if attribute == "duration" else value)


def _minutes(value: Any) -> str:
    try:
        minutes = int(float(str(value).split()[0]))
    except (TypeError, ValueError, IndexError):
        return str(value)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} hour{'s' if hours > 1 else ''}" if hours else f"{rest} minutes"


def decisions(text: str, about: Subject, pending: Pending | None, state: DialogueState,
              domain: Domain) -> list[Decision]:
    """Say the answer, and keep the question we were on open: a suggestion asked about is offered
    again (one not asked about stays open unsaid), a slot question or a confirmation asked again,
    any other question left waiting for its answer."""
    suggested = (pending.recommendation or {}).get("name") if pending is not None else None
    if pending is not None and pending.expects == SUGGESTION and str(suggested).lower() != str(about.name).lower():
        # about another place ("the reference for the hotel" while a restaurant is suggested): the
        # suggestion stays open, but "shall I book a room there?" would offer the wrong place
        return [Utter("utter_place_info", {"info": text}, pending.task_id, expects=SUGGESTION)]
    if pending is not None and pending.expects == SUGGESTION:
        response = f"utter_place_info_{about.kind}"
        if response not in domain.responses:
            response = "utter_place_info_suggested"
        return [Utter(response, {"info": text}, pending.task_id, expects=SUGGESTION)]
    if pending is not None and pending.expects in (SLOT, CONFIRM):
        return [Utter("utter_place_info", {"info": text})] + slot_policy.reask(state, domain)
    if pending is not None and pending.expects is not None:
        return [Utter("utter_place_info", {"info": text}, pending.task_id, expects=pending.expects)]
    return [Utter("utter_place_info", {"info": text})]
