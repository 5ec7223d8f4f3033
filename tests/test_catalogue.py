"""The catalogue: loading JSONL and CSV, validation errors with file:line, the hard filter, the content hash."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.recommender.catalogue import (
    AttributeIndex,
    Catalogue,
    CatalogueError,
    CatalogueItem,
    load_catalogue,
)
from nlu.errors import DataError

RECORDS = [
    {"id": "r1", "kind": "restaurant", "name": "Curry Garden", "description": "Spicy curries in the old town.",
     "popularity": 0.8, "attributes": {"food": "indian", "area": "centre", "pricerange": "expensive"}},
    {"id": "r2", "kind": "Restaurant", "name": "Pizza Hut City Centre", "popularity": 0.4,
     "food": ["italian", "pizza"], "area": "centre", "pricerange": "cheap", "stars": 3},
    {"id": "h1", "kind": "hotel", "name": "Acorn Guest House", "description": "A quiet guesthouse.",
     "attributes": {"area": "north", "parking": True, "stars": 4}},
]

CSV_TEXT = """\
id,kind,name,description,popularity,food,area,pricerange,stars,parking,phone
r1,restaurant,Curry Garden,Spicy curries in the old town.,0.8,indian,centre,expensive,,,01223302330
r2,Restaurant,Pizza Hut City Centre,,0.4,italian|pizza,centre,cheap,3,,
h1,hotel,Acorn Guest House,A quiet guesthouse.,,,north,,4,TRUE,
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(records) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


@pytest.fixture()
def catalogue(tmp_path) -> Catalogue:
    return load_catalogue(write(tmp_path / "items.jsonl", jsonl(RECORDS)))


# ---------------------------------------------------------------- loading


def test_jsonl_loads_items_with_attributes_from_both_places(catalogue):
    assert len(catalogue) == 3
    assert catalogue.kinds == ("restaurant", "hotel")
    curry = catalogue.get("r1")
    assert curry == CatalogueItem("r1", "restaurant", "Curry Garden",
                                  {"food": "indian", "area": "centre", "pricerange": "expensive"},
                                  "Spicy curries in the old town.", 0.8)
    pizza = catalogue.get("r2")
    assert pizza.kind == "restaurant"  # kinds are lower-cased
    assert pizza.attributes == {"food": ["italian", "pizza"], "area": "centre", "pricerange": "cheap", "stars": 3}
    assert catalogue.get("h1").popularity == 0.5  # the default
    assert [item.id for item in catalogue.by_kind("restaurant")] == ["r1", "r2"]
    assert catalogue.by_kind("taxi") == []
    assert catalogue.get("nope") is None and "r1" in catalogue


def test_csv_cells_become_typed_attributes_and_lists(tmp_path):
    catalogue = load_catalogue(write(tmp_path / "items.csv", CSV_TEXT))
    assert len(catalogue) == 3
    curry, pizza, acorn = catalogue.get("r1"), catalogue.get("r2"), catalogue.get("h1")
    assert curry.attributes == {"food": "indian", "area": "centre", "pricerange": "expensive", "phone": "01223302330"}
    assert pizza.attributes["food"] == ["italian", "pizza"] and pizza.attributes["stars"] == 3
    assert pizza.description == "" and "parking" not in pizza.attributes  # empty cells are absent
    assert acorn.attributes == {"area": "north", "stars": 4, "parking": True}
    assert acorn.popularity == 0.5


def test_the_same_items_from_csv_and_jsonl_have_the_same_hash(tmp_path):
    from_csv = load_catalogue(write(tmp_path / "a.csv", CSV_TEXT))
    records = [dict(record) for record in RECORDS]
    records[0] = {**records[0], "attributes": {**records[0]["attributes"], "phone": "01223302330"}}
    from_jsonl = load_catalogue(write(tmp_path / "b.jsonl", jsonl(reversed(records))))
    assert from_csv.content_hash() == from_jsonl.content_hash()  # order of items does not matter
    changed = [{**records[0], "popularity": 0.9}, *records[1:]]
    assert load_catalogue(write(tmp_path / "c.jsonl", jsonl(changed))).content_hash() != from_jsonl.content_hash()


def test_a_directory_loads_every_file_in_it(tmp_path):
    write(tmp_path / "cat" / "restaurants.jsonl", jsonl(RECORDS[:2]))
    write(tmp_path / "cat" / "more" / "hotels.csv", "id,kind,name\nh9,hotel,The Lensfield\n")
    write(tmp_path / "cat" / "README.md", "not a catalogue")
    catalogue = load_catalogue(tmp_path / "cat", kinds={"restaurant", "hotel"})
    assert sorted(item.id for item in catalogue) == ["h9", "r1", "r2"]


def test_blank_lines_are_skipped_and_line_numbers_stay_true(tmp_path):
    text = "\n" + json.dumps(RECORDS[0]) + "\n\n" + '{"id": "x", "kind": "hotel", "name": ""}\n'
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(write(tmp_path / "items.jsonl", text))
    assert caught.value.line == 4


# ---------------------------------------------------------------- validation

GOOD = {"id": "a1", "kind": "restaurant", "name": "Golden Wok"}


@pytest.mark.parametrize(("lines", "line", "problem"), [
    ([{**GOOD, "id": None}], 1, "missing id"),
    ([GOOD, {"kind": "hotel", "name": "Acorn"}], 2, "missing id"),
    ([GOOD, {**GOOD, "name": "Other"}], 2, "duplicate id 'a1' (first at "),
    ([{**GOOD, "kind": "spaceship"}], 1, "unknown kind 'spaceship'; expected one of hotel, restaurant"),
    ([{**GOOD, "popularity": 1.5}], 1, "popularity 1.5 is outside [0, 1]"),
    ([{**GOOD, "popularity": -0.1}], 1, "popularity -0.1 is outside [0, 1]"),
    ([{**GOOD, "popularity": "high"}], 1, "popularity must be a number in [0, 1], got a string"),
    ([{**GOOD, "name": "   "}], 1, "empty name"),
    ([{**GOOD, "name": 12}], 1, "name must be a string, got a number"),
    ([{**GOOD, "kind": 3}], 1, "kind must be a string"),
    ([{**GOOD, "id": True}], 1, "id must be a string or an integer, got a boolean"),
    ([{**GOOD, "description": ["a"]}], 1, "description must be a string, got a list"),
    ([{**GOOD, "attributes": ["food"]}], 1, "'attributes' must be an object, got a list"),
    ([{**GOOD, "attributes": {"hours": {"mon": "9-5"}}}], 1, "attribute 'hours' is an object; expected a string"),
    ([{**GOOD, "attributes": {"name": "x"}}], 1, "attribute 'name' clashes with the item field"),
    ([{**GOOD, "area": "north", "attributes": {"area": "south"}}], 1, "'area' is given both at top level"),
    (["[1, 2]"], 1, "expected a JSON object, got a list"),
    ([GOOD, '{"id": "b", "kind": "hotel",'], 2, "bad JSON: "),
])  # fmt: skip
def test_jsonl_problems_name_the_file_and_line(tmp_path, lines, line, problem):
    text = "".join((entry if isinstance(entry, str) else json.dumps(entry)) + "\n" for entry in lines)
    path = write(tmp_path / "bad.jsonl", text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path, kinds={"restaurant", "hotel"})
    error = caught.value
    assert isinstance(error, DataError)
    assert (error.path, error.line) == (str(path), line)
    assert problem in error.problem
    assert str(error).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("id,kind\n1,hotel\n", 1, "missing column 'name' in the header"),
    ("id,kind,name,name\n1,hotel,a,b\n", 1, "column 'name' appears twice"),
    ("id,kind,name,popularity\n1,hotel,Acorn,lots\n", 2, "popularity 'lots' is not a number"),
    ("id,kind,name,popularity\n1,hotel,Acorn,0.2\n2,hotel,Bell,7\n", 3, "popularity 7.0 is outside [0, 1]"),
    ("id,kind,name\n1,hotel,Acorn\n2,hotel\n", 3, "the row has 2 fields, the header 3"),
    ("id,kind,name\n1,hotel,Acorn\n,hotel,Bell\n", 3, "missing id"),
    ("id,kind,name\n1,hotel,\n", 2, "empty name"),
    ("id,kind,name\n1,hotel,Acorn\n\n1,hotel,Bell\n", 4, "duplicate id '1'"),
    ("", 1, "the file is empty"),
])  # fmt: skip
def test_csv_problems_name_the_file_and_line(tmp_path, text, line, problem):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert (caught.value.path, caught.value.line) == (str(path), line)
    assert problem in caught.value.problem


def test_a_duplicate_across_files_names_both_places(tmp_path):
    first = write(tmp_path / "a.jsonl", jsonl([GOOD]))
    second = write(tmp_path / "b.csv", "id,kind,name\nz,hotel,Acorn\na1,hotel,Bell\n")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue([first, second])
    assert str(caught.value) == f"{second}:3: duplicate id 'a1' (first at {first}:1)"


def test_missing_and_unsupported_paths(tmp_path):
    with pytest.raises(CatalogueError, match="no such file"):
        load_catalogue(tmp_path / "nope.jsonl")
    with pytest.raises(CatalogueError, match="unsupported file type '.txt'"):
        load_catalogue(write(tmp_path / "items.txt", ""))
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatalogueError, match="holds no .jsonl or .csv"):
        load_catalogue(tmp_path / "empty")


# ---------------------------------------------------------------- the hard filter


def ids(items) -> list[str]:
    return [item.id for item in items]


def test_filter_matches_case_insensitively_and_any_of_a_list(catalogue):
    assert ids(catalogue.filter("restaurant", {"area": "CENTRE "})) == ["r1", "r2"]
    assert ids(catalogue.filter("restaurant", {"food": "Indian"})) == ["r1"]
    assert ids(catalogue.filter("restaurant", {"food": ["thai", "indian"]})) == ["r1"]
    assert ids(catalogue.filter("restaurant", {"food": {"thai", "chinese"}})) == []
    assert ids(catalogue.filter("restaurant", {"area": "centre", "pricerange": "cheap"})) == ["r2"]


def test_a_list_attribute_matches_when_any_element_does(catalogue):
    assert ids(catalogue.filter("restaurant", {"food": "pizza"})) == ["r2"]
    assert ids(catalogue.filter("restaurant", {"food": ["ITALIAN"]})) == ["r2"]


def test_callables_numbers_and_booleans(catalogue):
    assert ids(catalogue.filter("restaurant", {"food": lambda v: v.startswith("pi")})) == ["r2"]
    assert ids(catalogue.filter("hotel", {"stars": lambda v: v >= 4})) == ["h1"]
    assert ids(catalogue.filter("hotel", {"stars": "4"})) == ["h1"]  # slot values arrive as text
    assert ids(catalogue.filter("hotel", {"stars": 4.0})) == ["h1"]
    assert ids(catalogue.filter("hotel", {"parking": "yes"})) == ["h1"]
    assert ids(catalogue.filter("hotel", {"parking": "no"})) == []
    # a numeric test on a text value is a non-match, not a crash
    assert ids(catalogue.filter("restaurant", {"pricerange": lambda v: v < 3})) == []


def test_missing_attributes_unknown_attributes_and_dontcare(catalogue):
    # r1 has no stars: an item without the attribute does not pass
    assert ids(catalogue.filter("restaurant", {"stars": 3})) == ["r2"]
    # no restaurant has "people" (a booking slot): the constraint is not about the catalogue
    assert ids(catalogue.filter("restaurant", {"people": "4", "area": "centre"})) == ["r1", "r2"]
    assert ids(catalogue.filter("restaurant", {"area": "dontcare", "food": None})) == ["r1", "r2"]
    assert ids(catalogue.filter("restaurant", {"name": "curry garden"})) == ["r1"]
    assert catalogue.filter("taxi", {"area": "north"}) == []
    assert "food" in catalogue.attributes("restaurant")


def test_filter_mask_lines_up_with_by_kind(catalogue):
    mask = catalogue.filter_mask("restaurant", {"food": "indian"})
    assert mask.tolist() == [True, False]


def test_coded_columns_filter_like_items():
    rng = np.random.default_rng(3)
    vocabulary = ["north", "South", "centre", "east"]
    codes = rng.integers(-1, len(vocabulary), size=500)
    rows = [{} if code < 0 else {"area": vocabulary[code]} for code in codes]
    from_codes = AttributeIndex.from_codes({"area": (codes, vocabulary)})
    from_rows = AttributeIndex.from_rows(rows)
    for constraint in ("south", ["north", "centre"], lambda v: v.lower() != "east", "west"):
        wanted = from_rows.mask({"area": constraint})
        assert np.array_equal(from_codes.mask({"area": constraint}), wanted)
    assert from_codes.mask({"area": "south"}).sum() == (codes == 1).sum()
