"""Words that change what a request means: urgency, the user's ordering, "back to ...", "another",
yes and no, and which task a phrase names ("the cab" is the taxi).

Pure string functions over a request's text; English, like the default assistant.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from assistant.domain import Domain

URGENT = re.compile(
    r"\b(?:right now|now|asap|a\.s\.a\.p\.?|as soon as possible|right away|straight away|immediately"
    r"|urgent(?:ly)?|in a hurry|hurry)\b",
    re.IGNORECASE,
)
# "I'm staying at the Lockside Guesthouse", "our hotel is the Kingsmere": a place the user has already
# (said in the present: "I'd like to stay at ..." and "I'll be staying at ..." ask for a booking)
STAYING = re.compile(r"\b(?:(?:i'?m|i am|we'?re|we are)\s+(?:currently\s+|already\s+)?staying\s+(?:at|in)"
                     r"|(?:my|our)\s+(?:hotel|guest\s?house|accommodation|b&b)\s+is"
                     r"|(?:i|we)\s+(?:already\s+)?(?:have|got)\s+a\s+room\s+at)\b", re.IGNORECASE)
BOOKING_WORDS = re.compile(r"\b(?:book|reserve|reservation)\b", re.IGNORECASE)
# "hold on, I need a taxi": the user breaks off what is under way, on purpose
INTERRUPT = re.compile(r"\b(?:hold on|hang on|wait|one moment|just a (?:sec|second|moment|minute)"
                       r"|before (?:that|we go on|you do that|anything else)|in the meantime|meanwhile)\b",
                       re.IGNORECASE)
ORDER_FIRST = re.compile(r"\b(?:first|firstly|first of all|to start with|start with|before anything else)\b", re.I)
ORDER_LATER = re.compile(r"\b(?:then|after that|afterwards|and later|next)\b", re.IGNORECASE)
RESUME = re.compile(
    r"\b(?:(?:let'?s |can we |could we )?(?:go |get |come )?back to|return to|continue with|resume|carry on with)\b",
    re.IGNORECASE,
)
# "ok, now the hotel", "on to the taxi", "next, the train": a task named right after counts only then
RESUME_NEXT = re.compile(r"(?:\b(?:now|on ?to)\b,?|\bnext,)\s+(?:(?:on ?to|for|with|let'?s do|do)\s+)?(?=(?:the|my)\b)",
                         re.IGNORECASE)
# "the hotel now": a message that is no more than the task's name and "now"
RESUME_NOW = re.compile(r"^\W*(?:(?:ok(?:ay)?|right|alright|so|and|then)\W+)*(?:the|my)\s+[^.?!,;]{1,40}?\s+now\W*$",
                        re.IGNORECASE)
ANOTHER = re.compile(r"\b(?:another|a second|second one|one more|a new one|a separate|two separate)\b", re.I)
EVERYTHING = re.compile(r"\b(?:everything|all of (?:it|them)|all my|all the|the lot)\b", re.IGNORECASE)
KEEP = re.compile(r"\b(?:keep|still want|fine|go ahead|that'?s ok)\b", re.IGNORECASE)
CHANGE = re.compile(r"\b(?:something else|else|other|different|change)\b", re.IGNORECASE)
# "actually make it 2pm", "can we move it to saturday": a new value for something already settled
CORRECTION = re.compile(r"\b(?:actually|make it|change|move|instead|rather|switch|can we do|could we do)\b",
                        re.IGNORECASE)
UPDATE = re.compile(r"\b(?:update|same one|existing|merge)\b", re.IGNORECASE)
# a thumbs-up or a tick is a yes in chat, a thumbs-down or a cross a no (the NLU sees no emoji)
_THUMBS_UP = "\U0001F44D\U0001F44C\u2705\u2714"
YES = re.compile(r"^\W*(?:(?:yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|do it|sounds good|correct)\b|"
                 rf"[{_THUMBS_UP}]\W*$)", re.I)
NO = re.compile(r"^\W*(?:(?:no|nope|nah|not now|don'?t|never mind|nevermind)\b|[\U0001F44E\u274C\u2716]\W*$)",
                re.IGNORECASE)

# "surprise me", "I don't mind", "any cuisine is fine", "you choose": no wish for the slot asked
NO_PREFERENCE = re.compile(
    r"\b(?:surprise me|(?:i )?don'?t (?:really )?(?:mind|care)|doesn'?t (?:really )?matter|no (?:particular )?preference"
    r"|not (?:fussy|picky|bothered)|(?:you|just) (?:choose|pick|decide)|whatever(?: you (?:like|think))?"
    r"|anything(?: is| would be)? (?:fine|good|ok|okay)|any(?: \w+)? (?:is|will do|would be) (?:fine|good|ok|okay)"
    r"|^\W*(?:anything|any|whatever|either|not really|nothing in particular)\W*$|up to you|dealer'?s choice)",
    re.IGNORECASE,
)

# "ok", "great", a thumbs up: taking note, not asking for more (to "anything else?" it is no new request)
ACKNOWLEDGE = re.compile(r"^\W*(?:(?:ok(?:ay)?|cool|great|perfect|nice|good|fine|alright|all good|lovely"
                         rf"|brilliant)\b|[{_THUMBS_UP}\U0001F642\U0001F60A])\W*$", re.I)

def bare_acknowledgement(text: str | None) -> bool:
    """A 👍 or 🙂 and nothing else: no words, whatever intent the NLU guessed for it."""
    return not re.search(r"\w", text or "") and bool(ACKNOWLEDGE.search(text or ""))


# emoji that say something on their own: a folded-hands thanks, a heart, a wave hello
_EMOJI_INTENTS = {"\U0001F64F": "thank", "\u2764": "thank", "\U0001F44B": "greet"}
_EMOJI_MODIFIERS = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F\u200D" + r"\s]")  # skin tones, variation, joiners


def emoji_intent(text: str | None) -> str | None:
    """The intent of a message of nothing but such emoji ("🙏", "🙏🏽🙏🏽", "❤️"), or None."""
    bare = _EMOJI_MODIFIERS.sub("", text or "")
    intents = {_EMOJI_INTENTS.get(ch) for ch in bare}
    return intents.pop() if bare and len(intents) == 1 and None not in intents else None


def wordless(text: str | None) -> bool:
    """Something was sent, but no word, number, yes, no or thumbs up: "🍕🍕🍕", "?", "...". The model
    reads words; what it makes of these is a guess (🍕 read as thanks got "My pleasure.")."""
    text = text or ""
    return bool(text.strip()) and not re.search(r"\w", text) and yes_or_no(None, text) is None \
        and not ACKNOWLEDGE.search(text) and emoji_intent(text) is None


YES_INTENTS = frozenset({"affirm", "accept_suggestion"})
NO_INTENTS = frozenset({"deny", "reject_suggestion"})

# how people name each task of the default domain, besides its name and label
TASK_WORDS: dict[str, tuple[str, ...]] = {
    "restaurant": ("restaurant", "restaurants", "table", "dinner", "lunch", "breakfast", "brunch", "meal",
                   "eat", "dine", "food", "hungry"),
    "hotel": ("hotel", "hotels", "room", "rooms", "stay", "guesthouse", "accommodation", "lodging", "sleep",
              "night", "nights"),
    "attraction": ("attraction", "attractions", "sightseeing", "museum", "museums", "sights", "see", "visit",
                   "tour"),
    "taxi": ("taxi", "taxis", "cab", "ride", "car"),
    "train": ("train", "trains", "tickets", "rail", "railway"),
}
# "what can I eat nearby?": near where the user is, which is where they stay
NEARBY = re.compile(r"\b(?:nearby|near ?by|close ?by|near here|around here|near me|close to me|"
                    r"in the neighbou?rhood|walking distance)\b", re.IGNORECASE)
# "book a table there", "a taxi there": the place just talked about (not "is there", "there are")
THERE = re.compile(r"(?<!\bis )(?<!\bare )(?<!\bwas )\b(?:there|that place|the same place)\b"
                   r"(?!\s*(?:is|are|was|were|'s|'re)\b)(?!')", re.IGNORECASE)
# a request for "a place" or "somewhere" names no task by itself
VAGUE_PLACE = re.compile(r"\b(?:place|places|somewhere|someplace|anywhere|spot)\b", re.IGNORECASE)
_GENERIC = frozenset({"booking", "plan", "journey", "reservation", "trip", "search", "a", "the", "my"})


# "a taxi home afterwards", "a cab from there": the ride starts at the place just talked about
FROM_THERE = re.compile(r"\b(?:afterwards|after(?:wards)? (?:dinner|lunch|the meal|the show|that|it)|from there|"
                        r"from that place|when we'?re done|when we finish)\b", re.IGNORECASE)


def means_from_there(text: str) -> bool:
    return FROM_THERE.search(text or "") is not None


# "a taxi between them", "to commute between the two places": a ride from one place talked about to the other
BETWEEN = re.compile(r"\bbetween (?:them|the two|both|those two|these two)\b", re.IGNORECASE)


def means_between(text: str) -> bool:
    return BETWEEN.search(text or "") is not None


def between_tasks(text: str, domain: Domain) -> tuple[str, str] | None:
    """ "A taxi between the hotel and the restaurant": the two task types named after "between", in
    the order said; None unless the words after it name two."""
    match = re.search(r"\bbetween\b([^.!?;]*)", text or "", re.IGNORECASE)
    named = named_tasks(match.group(1), domain) if match else []
    return (named[0], named[1]) if len(named) >= 2 else None


# "a restaurant in the same area (as the museum)", "the same price range as the hotel": words -> slot kind
_SAME_KINDS = {"area": "area", "part of town": "area", "neighbourhood": "area", "neighborhood": "area",
               "side of town": "area", "price range": "pricerange", "pricerange": "pricerange", "price": "pricerange",
               "price bracket": "pricerange", "day": "day", "date": "day", "group": "people",
               "number of people": "people", "party": "people"}
_KIND_WORDS = "|".join(sorted(map(re.escape, _SAME_KINDS), key=len, reverse=True))
# "the same area and price range as the hotel": one or two kinds, then what they are the same as
SAME_AS = re.compile(rf"\bsame ({_KIND_WORDS})(?:\s*(?:and|&|,)\s*(?:the same )?({_KIND_WORDS}))?\b"
                     r"(?:\s+as\s+(?:the |my |your |our )?([a-z]+))?", re.IGNORECASE)
THAT_AREA = re.compile(r"\b(?:in|around|near) (?:that|this) (?:area|part of town|neighbou?rhood)\b", re.IGNORECASE)


def same_as(text: str, domain: Domain) -> list[tuple[str, str | None]]:
    """What the text wants the same as before: ``(slot kind, task type named or None)`` for each of
    "in the same area as the museum", "the same price range", "in that area"."""
    out: list[tuple[str, str | None]] = []
    for match in SAME_AS.finditer(text or ""):
        named = named_tasks(match.group(3), domain) if match.group(3) else []
        for words in filter(None, match.group(1, 2)):
            out.append((_SAME_KINDS[words.lower()], named[0] if named else None))
    if THAT_AREA.search(text or ""):
        out.append(("area", None))
    return out


# a ride's end that is where trains leave from: "the station", "the railway station"
STATION = re.compile(r"\b(?:station|railway|train)\b", re.IGNORECASE)

# "book the same restaurant again", "the same hotel as last time": the place of that kind booked before
SAME_PLACE = re.compile(r"\bsame (?:restaurant|hotel|guesthouse|guest house|place|one|table|room|museum|attraction"
                        r"|spot)\b(?! as (?:the|my|your|our) )|\b(?:as|like) last time\b", re.IGNORECASE)


def same_place(text: str | None) -> bool:
    return SAME_PLACE.search(text or "") is not None


# "a taxi to the restaurant in time for my reservation", "get me there in time for dinner"
IN_TIME = re.compile(r"\bin time\b|\bbefore (?:my|our|the) (?:reservation|booking|table|dinner|lunch|meal)\b",
                     re.IGNORECASE)


def interrupts(text: str | None) -> bool:
    """ "Hold on, ...", "right now", "first, ...": the request breaks off the task under way on purpose."""
    text = text or ""
    return bool(INTERRUPT.search(text) or URGENT.search(text) or ORDER_FIRST.search(text))


def means_in_time(text: str) -> bool:
    return IN_TIME.search(text or "") is not None


def means_there(text: str) -> bool:
    return THERE.search(text or "") is not None


def means_nearby(text: str) -> bool:
    return NEARBY.search(text or "") is not None


def is_urgent(text: str) -> bool:
    return URGENT.search(text or "") is not None


def has_order(text: str) -> bool:
    """The user fixed the order of their requests ("first the taxi, then the hotel")."""
    return bool(ORDER_FIRST.search(text or "") or ORDER_LATER.search(text or ""))


def no_preference(text: str) -> bool:
    """ "Surprise me", "I don't mind", "any cuisine is fine": the user leaves the choice to us."""
    return NO_PREFERENCE.search(text or "") is not None


def wants_another(text: str) -> bool:
    return ANOTHER.search(text or "") is not None


def wants_everything(text: str) -> bool:
    return EVERYTHING.search(text or "") is not None


def yes_or_no(intent: str | None, text: str) -> str | None:
    """"yes", "no" or None for a reply to a yes/no question."""
    if intent in YES_INTENTS:
        return "yes"
    if intent in NO_INTENTS:
        return "no"
    if NO.search(text or ""):
        return "no"
    if YES.search(text or ""):
        return "yes"
    return None


@lru_cache(maxsize=64)
def _word_patterns(domain_tasks: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for name, label in domain_tasks:
        words = set(TASK_WORDS.get(name, ())) | {name.lower()}
        words |= {w for w in re.findall(r"[a-z]+", label.lower()) if w not in _GENERIC and len(w) > 2}
        alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
        out.append((name, re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)))
    return tuple(out)


def named_tasks(text: str, domain: Domain, entities: Iterable[Any] = ()) -> list[str]:
    """Task types the text names, in the order it names them; words inside an entity ("a taxi
    to [the hotel]") name a place, not a task."""
    spans = [(e.start, e.end) for e in entities]
    patterns = _word_patterns(tuple((t.name, f"{t.label} {t.find_label or ''}") for t in domain.tasks.values()))
    found: list[tuple[int, str]] = []
    for name, pattern in patterns:
        for match in pattern.finditer(text or ""):
            if not any(s < match.end() and match.start() < e for s, e in spans):
                found.append((match.start(), name))
                break
    return [name for _, name in sorted(found)]


def resume_target(text: str, domain: Domain, entities: Iterable[Any] = ()) -> tuple[bool, str | None]:
    """``(asks to resume, task type named after the cue or None)`` for "let's go back to the hotel";
    "now the hotel" and "the hotel now" ask to resume only with a task named."""
    text = text or ""
    entities = list(entities)
    match = RESUME.search(text)
    if match is not None:
        return True, _named_after(match, text, domain, entities)
    named = _named_after(RESUME_NEXT.search(text), text, domain, entities)
    if named is None and RESUME_NOW.search(text):
        names = named_tasks(text, domain, entities)
        named = names[0] if names else None
    return named is not None, named


def _named_after(match: re.Match[str] | None, text: str, domain: Domain, entities: list[Any]) -> str | None:
    if match is None:
        return None
    shifted = [_Span(e.start - match.end(), e.end - match.end()) for e in entities if e.start >= match.end()]
    names = named_tasks(text[match.end():], domain, shifted)
    return names[0] if names else None


class _Span:
    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
