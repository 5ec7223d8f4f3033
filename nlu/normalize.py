"""Canonical values for entity surfaces: numbers, times, dates, money.

Pure functions with no spaCy dependency, so the JointBERT side and the
dialogue policies can normalise slot values the same way the spaCy NER does.

Conventions (kept simple on purpose; the dialogue layer can ask to confirm):

* numbers -> ``int`` (``float`` only when not whole); ordinals give their
  number ("second" -> 2); the first number in the text wins ("4 people" -> 4).
* times -> ``"HH:MM"`` 24-hour. A bare hour with no am/pm or day-part is taken
  literally ("at 7" -> "07:00"); "evening", "night", "tonight", "afternoon"
  and "pm" move hours before 12 into the afternoon.
* dates -> lower-case weekday name for weekdays and for words relative to
  ``reference`` ("tomorrow"); "next friday" is just "friday". "Yesterday" is
  left as said: a weekday name means the coming one, and would move it to next
  week (a booking slot then rejects it, as nothing is booked in the past). Calendar dates
  give ISO ``"YYYY-MM-DD"``; numeric dates are day-first (12/03 is 12 March);
  a date without a year is the next such date on or after ``reference``.
* money -> ``{"amount": 20, "currency": "GBP"}``; currency is ``None`` when
  the text names none.
* anything else, or anything unparseable -> the original text, unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from nlu.fuzzy import closest

try:  # optional: only widens the calendar-date formats understood
    from dateutil import parser as _dateutil_parser
except ImportError:  # pragma: no cover - exercised only where dateutil is absent
    _dateutil_parser = None

Number = int | float

_UNITS = {
    "zero": 0, "oh": 0, "nil": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100, "thousandth": 1000,
}  # fmt: skip
# multipliers that read as a count on their own ("a dozen", "a couple")
_GROUPS = {"dozen": 12, "couple": 2, "pair": 2}
_NUMBER_WORDS = {**_UNITS, **_TENS, **_SCALES, **_ORDINAL_WORDS, **_GROUPS}

# "1,200", "2.5", "2nd", "20" in "20p"/"£20k"; a following digit means a longer number
_DIGITS = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!\d)(?:st|nd|rd|th)?|[-+]?\.\d+")
_WORD = re.compile(r"[a-z]+")


def _tidy(value: float) -> Number:
    """Whole floats become ints so that 4.0 compares and prints as 4."""
    return int(value) if float(value).is_integer() else round(value, 6)


def parse_number(text: str) -> Number | None:
    """The first number in ``text``, written in digits or words; ordinals included."""
    # hyphens join number words ("twenty-one") but sign digits ("-3")
    s = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text.lower())
    digits = _DIGITS.search(s)
    words = _first_word_number(s)
    # whichever comes first wins: "table for four, 2 kids" -> 4
    if digits and (words is None or digits.start() <= words[0]):
        raw = re.sub(r"(st|nd|rd|th)$", "", digits.group()).replace(",", "")
        try:
            return _tidy(float(raw))
        except ValueError:
            return None
    return words[1] if words else None


def _first_word_number(s: str) -> tuple[int, Number] | None:
    """(start offset, value) of the first run of number words, e.g. "twenty one"."""
    tokens = list(_WORD.finditer(s))
    for i, m in enumerate(tokens):
        w = m.group()
        nxt = tokens[i + 1].group() if i + 1 < len(tokens) else ""
        if w in ("a", "an") and (nxt in _SCALES or nxt in _GROUPS):
            start = i
        elif w == "half" and nxt == "a" and i + 2 < len(tokens) and tokens[i + 2].group() == "dozen":
            return m.start(), 6
        elif w in _NUMBER_WORDS and w not in ("none", "oh", "nil", "pair", "couple"):
            start = i
        elif w in ("couple", "pair") and i > 0 and tokens[i - 1].group() in ("a", "the"):
            start = i
        else:
            continue
        value = _word_run_value([t.group() for t in tokens[start:]])
        if value is not None:
            return tokens[start].start(), value
    return None


def _word_run_value(words: list[str]) -> Number | None:
    total, current, seen = 0, 0, False
    for w in words:
        if w in ("a", "an") and not seen:
            continue
        if w == "and" and seen:
            continue
        if w in _UNITS or w in _TENS:
            current += _UNITS.get(w, _TENS.get(w, 0))
        elif w in _ORDINAL_WORDS:
            val = _ORDINAL_WORDS[w]
            current = max(current, 1) * val if val >= 100 else current + val
            seen = True
            break  # an ordinal ends the number ("twenty first")
        elif w in _GROUPS or w == "hundred":
            current = max(current, 1) * (_GROUPS.get(w) or 100)
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
        else:
            break
        seen = True
    return _tidy(total + current) if seen else None


# ---------------------------------------------------------------- times

_HOUR_WORDS = {k: v for k, v in _UNITS.items() if 1 <= v <= 12}
_NUMWORD_RE = (
    r"(?:(?:twenty|thirty|forty|fifty)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|" + "|".join(sorted((k for k, v in _UNITS.items() if v >= 1), key=len, reverse=True)) + r")"
)
_HOURWORD_RE = r"(?:" + "|".join(sorted(_HOUR_WORDS, key=len, reverse=True)) + r")"
_HOUR_RE = rf"(\d{{1,2}}|{_HOURWORD_RE})"
_AMPM = r"\s*(am|pm)?"
# "7.30" is how British English writes the time (a span the tagger read as a time, not a price)
_CLOCK = re.compile(r"\b(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)\b|\b(\d{1,2})[:h.](\d{2})\b(?!\.\d)")
# digit minutes only with "past"/"after" (or "minutes"): "7 to 8pm" is a range
_PAST_TO = re.compile(
    rf"\b(half|(?:a\s+)?quarter|\d{{1,2}}\s+minutes?|{_NUMWORD_RE}(?:\s+minutes?)?"
    rf"|\d{{1,2}}(?=\s+(?:past|after)\b))\s+"
    rf"(past|after|to|till|til|before)\s+{_HOUR_RE}\b{_AMPM}"
)
_WORD_CLOCK = re.compile(
    rf"\b{_HOURWORD_RE.replace('(?:', '(', 1)}(?:[\s-](o\s?clock|{_NUMWORD_RE}|(?:oh|o)[\s-]\w+))?{_AMPM}\b"
)
_BARE_HOUR = re.compile(r"\b(\d{1,2})\b")
_PM_WORDS = re.compile(r"\b(evening|night|tonight|afternoon|pm)\b")
_AM_WORDS = re.compile(r"\b(morning|am)\b")


def parse_time(text: str) -> str | None:
    """``"HH:MM"`` for a clock time in ``text``, or None."""
    s = text.lower().replace("’", "'")
    s = re.sub(r"\bp\.\s?m\b\.?", "pm", s)
    s = re.sub(r"\ba\.\s?m\b\.?", "am", s)
    s = re.sub(r"o'\s?clock", "oclock", s)
    if re.search(r"\b(noon|midday)\b", s):
        return "12:00"
    if re.search(r"\bmidnight\b", s):
        return "00:00"
    s = re.sub(r"(\d)\s?ish\b", r"\1", s)  # "6ish"
    s = re.sub(rf"\bhalf\s+(?={_HOUR_RE}\b)(?!past\b)", "half past ", s)  # British "half 7" is 7:30
    hour: int | None = None
    minute = 0
    ampm: str | None = None
    if m := _PAST_TO.search(s):  # "half past seven", "quarter to 8", "ten to nine"
        mins = {"half": 30}.get(m.group(1)) or (15 if "quarter" in m.group(1) else None)
        mins = mins if mins is not None else parse_number(m.group(1))
        hour = _hour_value(m.group(3))
        ampm = m.group(4)
        if hour is None or not isinstance(mins, int):
            return None
        minute = mins
        if m.group(2) in ("to", "till", "til", "before"):
            hour, minute = (hour - 1) % 24, 60 - mins
            hour = hour or 12  # "quarter to one" is 12:45 on a 12-hour clock
    elif m := _CLOCK.search(s):  # "7:30pm", "7pm", "19:30"
        if m.group(3):
            hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        else:
            hour, minute = int(m.group(4)), int(m.group(5))
    elif m := _WORD_CLOCK.search(s):  # "seven", "seven thirty pm", "seven o'clock"
        hour = _HOUR_WORDS[m.group(1)]
        extra = m.group(2) or ""
        if extra and extra.replace(" ", "") != "oclock":
            mins = parse_number(re.sub(r"^(oh|o)[\s-]", "", extra))
            minute = mins if isinstance(mins, int) else 0
        ampm = m.group(3)
    elif m := _BARE_HOUR.search(s):  # "at 7": taken literally, see module docstring
        hour = int(m.group(1))
    if hour is None:
        return None
    return _to_24h(hour, minute, ampm, s)


def _hour_value(word: str) -> int | None:
    return int(word) if word.isdigit() else _HOUR_WORDS.get(word)


def _to_24h(hour: int, minute: int, ampm: str | None, s: str) -> str | None:
    if ampm is None and _PM_WORDS.search(s):
        ampm = "pm"
    elif ampm is None and _AM_WORDS.search(s):
        ampm = "am"
    if ampm and not 1 <= hour <= 12:
        if not (ampm == "pm" and 12 < hour < 24):  # "19:30 pm" is still 19:30
            return None
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    elif ampm == "pm" and hour == 12 and re.search(r"\bnight\b", s):
        hour = 0  # "12 at night"
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"


# ---------------------------------------------------------------- dates

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ALIASES = {
    **{d: d for d in _WEEKDAYS},
    **{d + "s": d for d in _WEEKDAYS},
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
    "weds": "wednesday", "thu": "thursday", "thur": "thursday", "thurs": "thursday",
    "fri": "friday", "sat": "saturday", "sun": "sunday",
}  # fmt: skip
_RELATIVE_DAYS = {
    "today": 0, "tonight": 0, "tonite": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1,
    "tomorow": 1, "tommorow": 1,
}  # fmt: skip
_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_RE = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAYWORD_RE = (
    r"(?:(?:twenty|thirty)[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|" + "|".join(sorted((k for k, v in _ORDINAL_WORDS.items() if v <= 31), key=len, reverse=True))
    + ")"
)
_DAY_RE = rf"(\d{{1,2}}(?:st|nd|rd|th)?|{_DAYWORD_RE})"
_YEAR_RE = r"(?:,?\s+(\d{4}))?"
_DAY_MONTH = re.compile(rf"\b(?:the\s+)?{_DAY_RE}(?:\s+of)?\s+{_MONTH_RE}{_YEAR_RE}\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH_RE}\s+(?:the\s+)?{_DAY_RE}{_YEAR_RE}\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\b")
_MONTH_WORD = re.compile(rf"\b{_MONTH_RE}(?![a-z])")
_DATE_PREFIX = re.compile(r"^(?:(?:on|for|by|this|next|coming|the|until|till)\s+)+")


def parse_date(text: str, reference: dt.date | None = None) -> str | None:
    """Weekday name or ISO date for ``text`` (see module docstring), or None."""
    ref = reference or dt.date.today()
    s = re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip(" .,!?")
    bare = _DATE_PREFIX.sub("", s)
    bare = re.sub(r"\s+(night|evening|morning|afternoon|lunch(?:time)?)$", "", bare)
    if bare in ("day after tomorrow",):
        return _weekday(ref, 2)
    if bare in _RELATIVE_DAYS:
        return _weekday(ref, _RELATIVE_DAYS[bare])
    if bare in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[bare]
    iso = _calendar_date(s, ref)
    if iso:
        return iso
    # a relative word or weekday inside a longer span: "2 tomorrow", "friday at 8"
    if "day after tomorrow" in s:
        return _weekday(ref, 2)
    for w in _WORD.findall(s):
        if w in _RELATIVE_DAYS:
            return _weekday(ref, _RELATIVE_DAYS[w])
        if w in _WEEKDAY_ALIASES and w not in ("sun", "sat", "wed"):  # common non-day words
            return _WEEKDAY_ALIASES[w]
    # a misspelt weekday: "wendesday", "thrusday"
    for w in _WORD.findall(s):
        day = closest(w, _WEEKDAYS)
        if day is not None:
            return day
    return None


def _weekday(ref: dt.date, offset: int) -> str:
    return _WEEKDAYS[(ref + dt.timedelta(days=offset)).weekday()]


def _calendar_date(s: str, ref: dt.date) -> str | None:
    if m := _ISO.search(s):
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), ref)
    if m := _DAY_MONTH.search(s):
        return _make_date(m.group(3), _MONTHS[m.group(2)], _day(m.group(1)), ref)
    if m := _MONTH_DAY.search(s):
        return _make_date(m.group(3), _MONTHS[m.group(1)], _day(m.group(2)), ref)
    if m := _NUMERIC.search(s):  # day-first, as in the UK
        year = m.group(3)
        if year and len(year) == 2:
            year = "20" + year
        return _make_date(year, int(m.group(2)), int(m.group(1)), ref)
    if _dateutil_parser is not None and re.search(r"\d", s) and _MONTH_WORD.search(s):
        try:
            default = dt.datetime(ref.year, ref.month, ref.day)
            return _dateutil_parser.parse(s, default=default, dayfirst=True).date().isoformat()
        except (ValueError, OverflowError, TypeError):
            return None
    return None


def _day(raw: str) -> int | None:
    n = parse_number(raw)
    return n if isinstance(n, int) else None


def _make_date(year: int | str | None, month: int, day: int | None, ref: dt.date) -> str | None:
    if day is None:
        return None
    try:
        if year is not None:
            return dt.date(int(year), month, day).isoformat()
        candidate = dt.date(ref.year, month, day)
        if candidate < ref:  # "12 March" said in December means next March
            candidate = dt.date(ref.year + 1, month, day)
        return candidate.isoformat()
    except ValueError:
        return None


# ---------------------------------------------------------------- money

_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR", "¥": "JPY", "₹": "INR"}
_CURRENCY_WORDS = {
    "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP", "gbp": "GBP",
    "dollar": "USD", "dollars": "USD", "buck": "USD", "bucks": "USD", "usd": "USD",
    "euro": "EUR", "euros": "EUR", "eur": "EUR", "yen": "JPY", "jpy": "JPY",
    "rupee": "INR", "rupees": "INR", "inr": "INR",
}  # fmt: skip
_SUBUNIT_WORDS = {"p": "GBP", "pence": "GBP", "penny": "GBP", "cent": None, "cents": None}


def parse_money(text: str) -> dict[str, Any] | None:
    """``{"amount", "currency"}`` for an amount of money in ``text``, or None."""
    s = text.lower().replace("us$", "$")
    amount = parse_number(s)
    if amount is None:
        return None
    currency = next((code for sym, code in _SYMBOLS.items() if sym in s), None)
    words = _WORD.findall(s)
    if currency is None:
        currency = next((_CURRENCY_WORDS[w] for w in words if w in _CURRENCY_WORDS), None)
    if re.search(r"\d\s*k\b", s):  # "£20k"
        amount = amount * 1000
    elif not any(w in _CURRENCY_WORDS for w in words) and re.search(r"\d\s*(p|pence|cents?)\b", s):
        unit = re.search(r"\d\s*(p|pence|cents?)\b", s).group(1)  # type: ignore[union-attr]
        amount = amount / 100
        currency = currency or _SUBUNIT_WORDS[unit]
    return {"amount": _tidy(amount), "currency": currency}


# ---------------------------------------------------------------- dispatch

_PARSERS: dict[str, Callable[[str, dt.date | None], Any]] = {}
for _label in ("number", "cardinal", "quantity", "count", "ordinal", "percent"):
    _PARSERS[_label] = lambda text, ref: parse_number(text)
_PARSERS["time"] = lambda text, ref: parse_time(text)
_PARSERS["date"] = parse_date
_PARSERS["money"] = lambda text, ref: parse_money(text)


# what a slot's values are, read from the last part of its name (MultiWOZ style: "train-leaveat")
_KIND_OF_NAME = {
    **dict.fromkeys(("time", "leaveat", "arriveby", "booktime"), "time"),
    **dict.fromkeys(("date", "day", "bookday"), "date"),
    **dict.fromkeys(("number", "cardinal", "quantity", "count", "ordinal", "people", "bookpeople", "nights",
                     "bookstay", "stars"), "number"),
    "money": "money",
    "percent": "percent",
}


_MEAL_CLOCK = re.compile(r"^(0[1-9]):(\d\d)$")
_SAYS_MORNING = re.compile(r"(?<![a-z])a\.?\s?m\b|\b(morning|breakfast|brunch)\b|\b0\d[:.h]\d\d", re.IGNORECASE)


def table_time(value: Any, surface: str) -> Any:
    """A table booking's time: "a table at 7" means 19:00, not 07:00. A 1-9 o'clock with nothing
    saying morning ("am", "morning", "07:30") moves to the afternoon/evening; other values stay."""
    if isinstance(value, str) and (m := _MEAL_CLOCK.match(value)) and not _SAYS_MORNING.search(surface):
        return f"{int(m.group(1)) + 12:02d}:{m.group(2)}"
    return value


def value_kind(entity: str) -> str | None:
    """The kind of value an entity holds ("time", "date", "number", "money", "percent"), or None for
    text and categorical ones. Works for NER labels ("TIME", "CARDINAL"), generic names ("people") and
    slot names whose last part tells it ("train-leaveat", "restaurant-bookpeople", "hotel-bookday")."""
    name = str(entity).lower()
    return _KIND_OF_NAME.get(name) or _KIND_OF_NAME.get(name.rsplit("-", 1)[-1])


def readable(label: str, text: str) -> bool:
    """Whether ``text`` reads as a value of ``label``'s kind ("8pm" as a time: yes; "Rosso" as a
    day: no); True for labels of no particular kind (names, categories)."""
    parser = _PARSERS.get(str(label).lower()) or _PARSERS.get(str(value_kind(label) or "").lower())
    if parser is None:
        return True
    try:
        return parser(text, None) is not None
    except Exception:
        return False


def normalize(label: str, text: str, reference: dt.date | None = None) -> Any:
    """Canonical value of ``text`` read as ``label`` (our entity name or a spaCy NER label).

    Never raises: text it cannot read comes back unchanged.
    """
    try:
        parser = _PARSERS.get(str(label).lower())
        if parser is None or not isinstance(text, str):
            return text
        value = parser(text, reference)
    except Exception:  # a normaliser bug must not break parsing a message
        return text
    return text if value is None else value
