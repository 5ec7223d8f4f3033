"""Comparisons with a suggested place ("anything cheaper?"): pure, no model."""

import pytest

from policies.comparisons import price_step


@pytest.mark.parametrize("text, offered, direction, level", [
    ("is there anything cheaper?", "moderate", -1, "cheap"),
    ("anything a bit less expensive", "expensive", -1, "moderate"),
    ("somewhere more affordable please", "moderate", -1, "cheap"),
    ("anything cheaper?", "cheap", -1, None),  # nothing below the lowest range
    ("something more upmarket?", "cheap", 1, "moderate"),
    ("got anything fancier?", "moderate", 1, "expensive"),
    ("somewhere posher", "expensive", 1, None),
])
def test_a_comparison_steps_one_range_from_the_offered_place(text, offered, direction, level):
    step = price_step(text, offered)
    assert step is not None and (step.direction, step.offered, step.level) == (direction, offered, level)


@pytest.mark.parametrize("text, offered", [
    ("something else", "moderate"),
    ("is it expensive?", "moderate"),  # a question about the place, not a wish for another
    ("anything cheaper?", None),  # a place with no price range: nothing to compare with
    ("anything cheaper?", "free"),
    ("not cheaper, just closer", "moderate"),
    ("cheaper or fancier, I don't mind", "moderate"),  # both ways at once says nothing clear
    ("", "moderate"),
    (None, "moderate"),
])
def test_no_comparison(text, offered):
    assert price_step(text, offered) is None
