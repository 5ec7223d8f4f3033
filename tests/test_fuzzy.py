"""Typo-tolerant matching of a word against a closed set of values."""

import pytest

from nlu.fuzzy import allowed_typos, closest, typo_distance
from nlu.normalize import parse_date

AREAS = ("centre", "north", "south", "east", "west")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def test_distance_counts_inserts_deletes_substitutions_and_swaps():
    assert typo_distance("north", "north") == 0
    assert typo_distance("nrth", "north") == 1          # a letter left out
    assert typo_distance("cneter", "center") == 1       # two neighbours swapped
    assert typo_distance("kitten", "sitting", limit=5) == 3
    assert typo_distance("a", "abcdef") == 3            # beyond the limit: limit + 1
    assert typo_distance("", "") == 0


@pytest.mark.parametrize("text,expected", [
    ("nrth", "north"), ("Sout", "south"), ("center", "centre"), ("cnetre", "centre"), ("easst", "east"),
    ("north", "north"),
    ("est", None),       # as near east as west
    ("wst", None),       # three letters: too short to tell a typo from another word
    ("downtown", None),
])
def test_the_one_value_a_word_misspells(text, expected):
    assert closest(text, AREAS) == expected


@pytest.mark.parametrize("text,expected", [
    ("wendesday", "wednesday"), ("wenesday", "wednesday"), ("thrusday", "thursday"), ("firday", "friday"),
    ("saterday", "saturday"), ("friend", None), ("today", None), ("monay", "monday"),
])
def test_misspelt_weekdays(text, expected):
    assert closest(text, DAYS) == expected


def test_longer_words_may_carry_more_typos():
    assert [allowed_typos(w) for w in ("est", "nrth", "moderatly")] == [0, 1, 2]
    assert closest("moderatly", ("cheap", "moderate", "expensive")) == "moderate"


def test_dates_read_a_misspelt_weekday_and_nothing_else():
    assert parse_date("on wendesday") == "wednesday"
    assert parse_date("thrusday night") == "thursday"
    assert parse_date("next week") is None
    assert parse_date("my friend") is None
