"""Table-driven tests for entity value normalisation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu import normalize as nm
from nlu.normalize import normalize

TUESDAY = dt.date(2026, 3, 10)

NUMBERS = [
    ("4", 4),
    ("four", 4),
    ("Four", 4),
    ("twenty one", 21),
    ("twenty-one", 21),
    ("a dozen", 12),
    ("half a dozen", 6),
    ("two dozen", 24),
    ("a couple", 2),
    ("4 people", 4),
    ("for four", 4),
    ("1,200", 1200),
    ("one hundred and five", 105),
    ("a hundred", 100),
    ("three thousand two hundred", 3200),
    ("2.5", 2.5),
    ("4.0", 4),
    ("-3", -3),
    ("0", 0),
    ("zero", 0),
    ("table for four, 2 kids", 4),  # the first number wins
    ("second", 2),
    ("2nd", 2),
    ("21st", 21),
    ("twenty-first", 21),
    ("the third one", 3),
    ("hundredth", 100),
]


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
@pytest.mark.parametrize("label", ["number", "CARDINAL", "ordinal", "quantity"])
def test_numbers(label: str, text: str, expected: Any) -> None:
    got = normalize(label, text)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("text", ["none", "some", "a", "a few", "", "people"])
def test_not_numbers_come_back_unchanged(text: str) -> None:
    assert normalize("number", text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50%", 50), ("12.5 %", 12.5), ("fifty percent", 50), ("twenty per cent", 20)],
)
def test_percent(text: str, expected: Any) -> None:
    assert normalize("percent", text) == expected


TIMES = [
    ("7pm", "19:00"),
    ("7 pm", "19:00"),
    ("7PM", "19:00"),
    ("7:30 p.m.", "19:30"),
    ("7.30pm", "19:30"),
    ("7:30am", "07:30"),
    ("7 a.m.", "07:00"),
    ("19:30", "19:30"),
    ("19:30 pm", "19:30"),
    ("7.30", "07:30"),  # the British way of writing it (was 07:00: the minutes were lost)
    ("at 19.15", "19:15"),
    ("00:15", "00:15"),
    ("12am", "00:00"),
    ("12pm", "12:00"),
    ("12:30 am", "00:30"),
    ("half past seven", "07:30"),
    ("half past 7 pm", "19:30"),
    ("quarter to 8", "07:45"),
    ("a quarter past six", "06:15"),
    ("quarter past 6 in the evening", "18:15"),
    ("ten to nine", "08:50"),
    ("20 past 7", "07:20"),
    ("twenty five past eight pm", "20:25"),
    ("quarter to one", "12:45"),
    ("quarter to 1 am", "00:45"),
    ("quarter to one in the morning", "00:45"),
    ("quarter to 1 pm", "12:45"),
    ("seven oh five", "07:05"),
    ("noon", "12:00"),
    ("12 noon", "12:00"),
    ("midday", "12:00"),
    ("midnight", "00:00"),
    ("7 in the evening", "19:00"),
    ("8 tonight", "20:00"),
    ("3 in the afternoon", "15:00"),
    ("9 in the morning", "09:00"),
    ("at 7", "07:00"),  # no am/pm, no day-part: taken literally
    ("7", "07:00"),
    ("seven", "07:00"),
    ("seven o'clock", "07:00"),
    ("8 o’clock in the evening", "20:00"),
    ("seven thirty pm", "19:30"),
    ("seven fifteen", "07:15"),
    ("around 6ish pm", "18:00"),
    ("20 minutes to 8", "07:40"),
    ("from 7 to 8pm", "20:00"),  # a range, not "7 minutes to 8": the end time is explicit
    ("13pm", "13:00"),  # lenient: a 24-hour time with a stray pm
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_times(text: str, expected: str) -> None:
    assert normalize("time", text) == expected


def test_yesterday_is_left_as_said():
    # a weekday name means the coming one: "yesterday" as one would book a week ahead
    assert normalize("date", "yesterday", TUESDAY) == "yesterday"
    assert normalize("date", "from yesterday", TUESDAY) == "from yesterday"


@pytest.mark.parametrize("text", ["25:00", "7:75", "13am", "tonight", "later", "", "soon-ish"])
def test_bad_times_come_back_unchanged(text: str) -> None:
    assert normalize("time", text) == text


DATES = [
    ("friday", "friday"),
    ("Friday", "friday"),
    ("fri", "friday"),
    ("Thurs", "thursday"),
    ("on saturday", "saturday"),
    ("next friday", "friday"),
    ("this coming monday", "monday"),
    ("friday night", "friday"),
    ("fridays", "friday"),
    ("today", "tuesday"),
    ("tonight", "tuesday"),
    ("tomorrow", "wednesday"),
    ("tomorrow night", "wednesday"),
    ("the day after tomorrow", "thursday"),
    ("day after tomorrow", "thursday"),
    ("12 March", "2026-03-12"),
    ("12th March", "2026-03-12"),
    ("the 12th of March", "2026-03-12"),
    ("the twelfth of march", "2026-03-12"),
    ("March 12th", "2026-03-12"),
    ("mar 12", "2026-03-12"),
    ("March 12, 2027", "2027-03-12"),
    ("12 March 2026", "2026-03-12"),
    ("2026-03-12", "2026-03-12"),
    ("12/03/2026", "2026-03-12"),  # day-first
    ("12/03", "2026-03-12"),
    ("1 March", "2027-03-01"),  # already past this year: next year's
    ("10 March", "2026-03-10"),  # today counts
    ("twenty-first of june", "2026-06-21"),
    ("Thursday, 12 March 2026", "2026-03-12"),  # the calendar date is more precise
    ("2 tomorrow", "wednesday"),  # NER spans that swallowed a count
    ("friday at 8", "friday"),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates(text: str, expected: str) -> None:
    assert normalize("date", text, TUESDAY) == expected


@pytest.mark.parametrize("text", ["some day", "31 feb", "the weekend", "", "in 3 days", "31/02/2026"])
def test_unreadable_dates_come_back_unchanged(text: str) -> None:
    assert normalize("date", text, TUESDAY) == text


def test_date_reference_defaults_to_today() -> None:
    today = dt.date.today()
    assert normalize("date", "today") == today.strftime("%A").lower()
    assert normalize("date", "tomorrow") == (today + dt.timedelta(days=1)).strftime("%A").lower()


def test_dates_without_dateutil(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nm, "_dateutil_parser", None)
    for text, expected in DATES:
        assert normalize("date", text, TUESDAY) == expected
    assert normalize("date", "12-Mar-2026", TUESDAY) == "12-Mar-2026"  # only dateutil reads this


def test_dateutil_widens_formats() -> None:
    if nm._dateutil_parser is None:
        pytest.skip("python-dateutil not installed")
    assert normalize("date", "12-Mar-2026", TUESDAY) == "2026-03-12"


MONEY = [
    ("£20", 20, "GBP"),
    ("£ 20", 20, "GBP"),
    ("20 pounds", 20, "GBP"),
    ("20 quid", 20, "GBP"),
    ("$15.50", 15.5, "USD"),
    ("15 dollars", 15, "USD"),
    ("US$ 15", 15, "USD"),
    ("twenty euros", 20, "EUR"),
    ("€10", 10, "EUR"),
    ("£1,200", 1200, "GBP"),
    ("£20k", 20000, "GBP"),
    ("50p", 0.5, "GBP"),
    ("50 pence", 0.5, "GBP"),
    ("20.00 GBP", 20, "GBP"),
    ("about 30", 30, None),
]


@pytest.mark.parametrize(("text", "amount", "currency"), MONEY)
def test_money(text: str, amount: Any, currency: str | None) -> None:
    got = normalize("money", text)
    assert got == {"amount": amount, "currency": currency}
    assert type(got["amount"]) is type(amount)


@pytest.mark.parametrize(
    ("label", "text"),
    [("money", "lots"), ("money", ""), ("venue", "The Ivy"), ("GPE", "London"), ("", "x")],
)
def test_unknown_or_unreadable_is_unchanged(label: str, text: str) -> None:
    assert normalize(label, text) == text


def test_non_string_text_is_returned_as_is() -> None:
    assert normalize("number", None) is None  # type: ignore[arg-type]
    assert normalize("time", 7) == 7  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    label=st.sampled_from(["number", "ordinal", "time", "date", "money", "percent", "other"]),
    text=st.lists(
        st.one_of(
            st.characters(codec=None),
            st.sampled_from(["\ud800", "7", "pm", ":", " ", "half past", "£", "march", "friday", "k", "p"]),
        ),
        max_size=30,
    ).map("".join),
)
def test_never_raises(label: str, text: str) -> None:
    normalize(label, text, TUESDAY)


@pytest.mark.parametrize("surface, value", [
    ("7", "19:00"), ("at 7", "19:00"), ("half 7", "19:30"), ("7:30", "19:30"), ("7.30", "19:30"), ("quarter to 8", "19:45"),
    ("7am", "07:00"), ("7 a.m.", "07:00"), ("seven in the morning", "07:00"), ("07:30", "07:30"),
    ("8 for breakfast", "08:00"), ("11", "11:00"), ("12", "12:00"), ("18:45", "18:45"), ("7pm", "19:00"),
])
def test_a_table_at_seven_is_in_the_evening(surface, value):
    assert nm.table_time(normalize("time", surface), surface) == value


def test_half_an_hour_is_no_time_and_half_seven_is_half_past():
    assert normalize("time", "half 7") == "07:30"
    assert normalize("time", "half past seven pm") == "19:30"
    assert normalize("time", "in half an hour") == "in half an hour"
