"""A bare hour ("at 7", "seven o'clock") read the way people mean it.

The NLU reads "7" as 07:00, which is right for an alarm and wrong for a dinner table. A slot can
say how its bare hours are meant (``hours:`` in the domain):

``evening``
    a table at 1 to 10 is in the afternoon or evening (19:00); 11 and 12 stay as they are.
``next``
    the next such hour from now, as a taxi or a train is meant: "at 7" is 19:00 at three in the
    afternoon and 07:00 at six in the morning; once both have gone by today, 07:00 (tomorrow's).
    For another day (a train on Friday, asked on Wednesday) the hours people travel: 7 to 11 in
    the morning, 1 to 6 in the afternoon.

Only bare hours change ("7", "seven o'clock", "7:30", "half past 7"): "7am", "7 in the morning",
"19:00" and "7pm" are taken as said.
"""

from __future__ import annotations

import re
import time
from typing import NamedTuple

from assistant.domain import HOUR_RULES

_NUMBER_WORDS = {w: i + 1 for i, w in enumerate(
    "one two three four five six seven eight nine ten eleven twelve".split())}
_HOUR_WORD = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
_BARE_HOUR = re.compile(
    r"^\s*(?:at|around|about|by|for|before|after)?\s*" + _HOUR_WORD +
    r"(?:[:.]([0-5]\d))?\s*(?:o'?\s*clock|oclock)?\s*$",
    re.IGNORECASE,
)
# "half past 7", "half seven", "(a) quarter past 7", "(a) quarter to 8"
_SPOKEN = re.compile(
    r"^\s*(?:at|around|about|by|for|before|after)?\s*(?:a\s+)?(half|quarter)\s*(past|to)?\s*" + _HOUR_WORD + r"\s*$",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def bare_hour(said: str) -> int | None:
    """The hour (1 to 12) on the clock face of words that give a time and nothing to say morning or
    evening ("7", "at seven", "7 o'clock", "7:30", "half past 7"; "a quarter to 8" is 7)."""
    match = _BARE_HOUR.match(said or "")
    spoken = None if match else _SPOKEN.match(said or "")
    if match is None and spoken is None:
        return None
    word = (match.group(1) if match else spoken.group(3)).lower()
    hour = _NUMBER_WORDS.get(word) or int(word)
    if not 1 <= hour <= 12:
        return None
    if spoken is not None and (spoken.group(2) or "").lower() == "to":
        hour = 12 if hour == 1 else hour - 1  # a quarter to 8 is 7:45
    return hour


def read_hour(value: str, said: str, rule: str | None, now_minutes: int | None) -> str:
    """``value`` (``HH:MM``, as the NLU read ``said``) as the slot's rule means it; ``now_minutes``:
    minutes since midnight, for ``next`` (None: the slot's day is not today). Anything but a bare
    hour comes back unchanged."""
    clock = _CLOCK.match(str(value))
    hour = bare_hour(said)
    if rule not in HOUR_RULES or clock is None or hour is None or int(clock.group(1)) not in (hour, hour % 12):
        return value  # not a bare hour, or the NLU already read it as the afternoon
    minute = int(clock.group(2))
    morning = hour % 12  # 12 is noon, not midnight: "at 12" keeps 12:00
    if rule == "evening":
        return f"{hour + 12 if hour <= 10 else hour:02d}:{minute:02d}"
    if hour == 12:
        return f"12:{minute:02d}"
    if now_minutes is None:
        return f"{hour + 12 if hour <= 6 else hour:02d}:{minute:02d}"
    if morning * 60 + minute > now_minutes:
        return f"{morning:02d}:{minute:02d}"
    if (morning + 12) * 60 + minute > now_minutes:
        return f"{morning + 12:02d}:{minute:02d}"
    return f"{morning:02d}:{minute:02d}"


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# "asap", "right away", "in 20 minutes", "in half an hour": a time counted from now
_SOON = re.compile(r"\b(?:asap|a\.s\.a\.p\b\.?|as soon as (?:possible|you can)|right away|straight away|immediately"
                   r"|right now)", re.IGNORECASE)
_NOW_ALONE = re.compile(r"^\W*(?:(?:ok(?:ay)?|yes|please)\W+)?(?:now|right now)(?:\W+please)?\W*$", re.IGNORECASE)
# "I need a taxi now": a request that ends on "now" ("now I need a taxi" starts with it, and is no time)
_NOW_LAST = re.compile(r"\bnow(?:\W+please)?\W*$", re.IGNORECASE)
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20,
           "thirty": 30, "forty": 40, "forty five": 45, "a few": 10, "a couple of": 2}
_IN = re.compile(r"\bin (?:about |around )?(half an hour|(\d{1,3}|" + "|".join(sorted(_COUNTS, key=len, reverse=True))
                 + r")\s*(min(?:ute)?s?|hours?|hrs?)\b)", re.IGNORECASE)
#: a ride asked for "now" needs this long to come
SOON_MINUTES = 10


class FromNow(NamedTuple):
    """A time counted from now: ``minutes`` ahead, said at ``start:end`` of the words."""

    minutes: int
    start: int
    end: int


def minutes_from_now(said: str, answering: bool = False) -> FromNow | None:
    """How many minutes from now the words ask for: "asap" / "right away" (SOON_MINUTES), "in 20
    minutes", "in half an hour", "in 2 hours", "a taxi now"; "now" only as the last word, or as the
    whole reply to "at what time?" (``answering``): "ok, now the hotel" is no time. None when the
    words give no such time (the caller rules out "the taxi now", which goes back to the taxi)."""
    said = said or ""
    found = _IN.search(said)
    if found:
        if found.group(1).lower() == "half an hour":
            return FromNow(30, found.start(), found.end())
        count = found.group(2).lower()
        number = int(count) if count.isdigit() else _COUNTS[count]
        return FromNow(number * (60 if found.group(3).lower().startswith("h") else 1), found.start(), found.end())
    for pattern in (_SOON, _NOW_LAST) + ((_NOW_ALONE,) if answering else ()):
        match = pattern.search(said)
        if match:
            return FromNow(SOON_MINUTES, match.start(), match.end())
    return None


def from_now(now_minutes: int, offset: int) -> str:
    """ "HH:MM" ``offset`` minutes after ``now_minutes``, rounded up to five minutes (a pick-up time)."""
    at = -(-(now_minutes + offset) // 5) * 5
    return hhmm(at % (24 * 60))


def hhmm(minutes: int) -> str:
    """Minutes since midnight as "HH:MM"."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def is_today(day: str, now: float) -> bool:
    """Whether a day slot's value (a weekday name or an ISO date, as nlu/normalize.py gives it) is
    the day of ``now`` (seconds since the epoch, local time); anything else counts as today."""
    local = time.localtime(now)
    day = day.strip().lower()
    if day in WEEKDAYS:
        return WEEKDAYS.index(day) == local.tm_wday
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return day == time.strftime("%Y-%m-%d", local)
    return True
