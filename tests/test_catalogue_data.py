"""The default assistant's catalogue (data/catalogue/): well-formed, inside the domain, big enough.

Pure and fast: reads the JSONL files, the domain and the NLU lookup tables, and
re-runs the (seeded) timetable generator in memory.
"""

from __future__ import annotations

import importlib.util
import json
import re
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.domain import load_domain

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "data" / "catalogue"
KINDS = ("restaurant", "hotel", "attraction")
MINIMUM = {"restaurant": 80, "hotel": 30, "attraction": 60}
AREAS = {"centre", "north", "south", "east", "west"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# catalogue attribute -> the domain slot whose allowed values it must respect
SLOT_OF = {
    "restaurant": {"food": "restaurant-food", "area": "restaurant-area", "pricerange": "restaurant-pricerange"},
    "hotel": {"area": "hotel-area", "pricerange": "hotel-pricerange", "type": "hotel-type", "stars": "hotel-stars",
              "parking": "hotel-parking", "internet": "hotel-internet"},
    "attraction": {"area": "attraction-area", "type": "attraction-type"},
}
EXTRA = {  # the other attributes every item has, with their Python type
    "restaurant": {"features": list, "vegetarian_options": bool, "vegan_options": bool, "halal": bool,
                   "gluten_free_options": bool, "street": str, "near": str},
    "hotel": {"features": list, "street": str, "near": str},
    "attraction": {"features": list, "entrance_fee": str, "street": str},
}
FEATURES = {  # the vocabulary documented in data/catalogue/README.md
    "restaurant": {"quiet", "loud", "romantic", "live music", "outdoor seating", "child friendly", "dog friendly",
                   "wheelchair access", "spicy", "river view", "late opening"},
    "hotel": {"quiet", "wheelchair access", "pool", "breakfast", "gym", "spa", "bar", "child friendly",
              "dog friendly", "river view", "view", "garden", "romantic", "24-hour reception"},
    "attraction": {"child friendly", "rainy day", "outdoor", "wheelchair access", "romantic", "view", "quiet",
                   "dog friendly", "live music", "loud", "late opening", "guided tours"},
}
FEE = re.compile(r"^(free|£\d+\.\d{2})$")


def read_jsonl(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{number}: empty line"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            pytest.fail(f"{path.name}:{number}: not JSON ({err})")
        assert isinstance(item, dict), f"{path.name}:{number}: not a JSON object"
        items.append(item)
    return items


@pytest.fixture(scope="module")
def catalogue() -> dict[str, list[dict]]:
    return {kind: read_jsonl(CATALOGUE / f"{kind}s.jsonl") for kind in KINDS}


@pytest.fixture(scope="module")
def domain():
    return load_domain(ROOT / "data" / "domain.yml", strict=False)


@pytest.fixture(scope="module")
def lookups() -> dict[str, set[str]]:
    doc = yaml.safe_load((ROOT / "data" / "nlu" / "concierge.yml").read_text(encoding="utf-8"))
    tables = {}
    for block in doc.get("nlu", []):
        if isinstance(block, dict) and "lookup" in block:
            tables[block["lookup"]] = {line.strip()[2:].strip() for line in block["examples"].splitlines()
                                       if line.strip().startswith("- ")}
    return tables


@pytest.fixture(scope="module")
def timetable_module():
    spec = importlib.util.spec_from_file_location("make_timetable", CATALOGUE / "make_timetable.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trains() -> list[dict]:
    return read_jsonl(CATALOGUE / "trains.jsonl")


# ---------------------------------------------------------------------------- items


def test_items_have_the_catalogue_format(catalogue):
    for kind, items in catalogue.items():
        for item in items:
            assert set(item) == {"id", "kind", "name", "attributes", "description", "popularity"}, item.get("id")
            assert item["kind"] == kind
            assert re.fullmatch(rf"{kind}-\d{{4}}", item["id"]), item["id"]
            assert isinstance(item["name"], str) and item["name"].strip() == item["name"] != ""
            assert isinstance(item["attributes"], dict)
            assert isinstance(item["popularity"], float) and 0.0 <= item["popularity"] <= 1.0, item["id"]


def test_ids_and_names_are_unique(catalogue):
    ids = [item["id"] for items in catalogue.values() for item in items]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    names = [item["name"].lower() for items in catalogue.values() for item in items]
    assert len(names) == len(set(names)), [n for n, c in Counter(names).items() if c > 1]


def test_counts_meet_the_minimums(catalogue):
    for kind, minimum in MINIMUM.items():
        assert len(catalogue[kind]) >= minimum, f"{kind}: {len(catalogue[kind])} < {minimum}"


def test_required_attributes_are_present_and_typed(catalogue):
    for kind, items in catalogue.items():
        expected = set(SLOT_OF[kind]) | set(EXTRA[kind])
        for item in items:
            attrs = item["attributes"]
            assert set(attrs) == expected, f"{item['id']}: {sorted(set(attrs) ^ expected)}"
            for name, type_ in EXTRA[kind].items():
                assert isinstance(attrs[name], type_), f"{item['id']}: {name}={attrs[name]!r}"
            assert attrs["street"].strip(), item["id"]


def test_attribute_values_are_inside_the_domain(catalogue, domain, lookups):
    for kind, items in catalogue.items():
        for item in items:
            for attribute, slot_name in SLOT_OF[kind].items():
                value = item["attributes"][attribute]
                spec = domain.slots[slot_name]
                normalised, problem = spec.validate(value)
                assert problem is None, f"{item['id']}: {attribute}={value!r} rejected by {slot_name}: {problem}"
                assert normalised == value, f"{item['id']}: {attribute}={value!r} is not canonical ({normalised!r})"
                if spec.type == "bool":
                    assert isinstance(value, bool), f"{item['id']}: {attribute} must be true or false"
                if spec.type == "float" and spec.integer:
                    assert isinstance(value, int) and not isinstance(value, bool), f"{item['id']}: {attribute}"
    cuisines = lookups["restaurant-food"]
    for item in catalogue["restaurant"]:
        assert item["attributes"]["food"] in cuisines, f"{item['id']}: cuisine not in the NLU lookup table"


def test_features_come_from_the_vocabulary(catalogue):
    for kind, items in catalogue.items():
        for item in items:
            features = item["attributes"]["features"]
            assert features, f"{item['id']}: no features"
            assert len(features) == len(set(features)), f"{item['id']}: repeated feature"
            unknown = set(features) - FEATURES[kind]
            assert not unknown, f"{item['id']}: unknown features {sorted(unknown)}"
    for kind in KINDS:  # every word of the vocabulary is used somewhere
        used = {f for item in catalogue[kind] for f in item["attributes"]["features"]}
        assert used == FEATURES[kind], f"{kind}: unused {sorted(FEATURES[kind] - used)}"


def test_restaurants_cover_cuisines_areas_and_prices(catalogue, domain):
    restaurants = catalogue["restaurant"]
    assert len({r["attributes"]["food"] for r in restaurants}) >= 20
    assert {r["attributes"]["area"] for r in restaurants} == AREAS
    assert {r["attributes"]["pricerange"] for r in restaurants} == set(domain.slots["restaurant-pricerange"].values)
    for area in AREAS:  # a search by area and price finds something everywhere
        prices = {r["attributes"]["pricerange"] for r in restaurants if r["attributes"]["area"] == area}
        assert prices == {"cheap", "moderate", "expensive"}, area
    diet = Counter(k for r in restaurants for k in ("vegetarian_options", "vegan_options", "halal") if r["attributes"][k])
    for key in ("vegetarian_options", "vegan_options", "halal"):
        assert 0 < diet[key] < len(restaurants), key  # the attribute discriminates
    for r in restaurants:
        if r["attributes"]["vegan_options"]:
            assert r["attributes"]["vegetarian_options"], f"{r['id']}: vegan options but no vegetarian ones"


def test_hotels_cover_types_stars_and_amenities(catalogue):
    hotels = catalogue["hotel"]
    assert {h["attributes"]["type"] for h in hotels} == {"hotel", "guesthouse"}
    assert {h["attributes"]["stars"] for h in hotels} == set(range(6))
    assert {h["attributes"]["area"] for h in hotels} == AREAS
    assert {h["attributes"]["pricerange"] for h in hotels} == {"cheap", "moderate", "expensive"}
    for key in ("parking", "internet"):
        assert {h["attributes"][key] for h in hotels} == {True, False}, key


def test_attractions_cover_every_type_with_fees(catalogue, domain):
    attractions = catalogue["attraction"]
    assert {a["attributes"]["type"] for a in attractions} == set(domain.slots["attraction-type"].values)
    assert {a["attributes"]["area"] for a in attractions} == AREAS
    fees = [a["attributes"]["entrance_fee"] for a in attractions]
    assert all(FEE.match(fee) for fee in fees), [f for f in fees if not FEE.match(f)]
    assert "free" in fees and any(fee != "free" for fee in fees)


def test_near_names_an_attraction_in_the_same_area(catalogue):
    area_of = {a["name"]: a["attributes"]["area"] for a in catalogue["attraction"]}
    for kind in ("restaurant", "hotel"):
        for item in catalogue[kind]:
            near = item["attributes"]["near"]
            assert near in area_of, f"{item['id']}: near {near!r} is not an attraction"
            assert area_of[near] == item["attributes"]["area"], f"{item['id']}: {near!r} is in another area"


def test_descriptions_are_unique_single_lines(catalogue):
    descriptions = [item["description"] for items in catalogue.values() for item in items]
    for text in descriptions:
        assert isinstance(text, str) and text.strip() == text and "\n" not in text
        assert 40 <= len(text) <= 200, text
        assert len(text.split()) >= 8, text
    lowered = [d.lower() for d in descriptions]
    assert len(lowered) == len(set(lowered)), [d for d, n in Counter(lowered).items() if n > 1]


def test_popularity_has_a_long_tail(catalogue):
    for kind, items in catalogue.items():
        scores = [item["popularity"] for item in items]
        popular = sum(s >= 0.8 for s in scores)
        assert 1 <= popular <= max(1, len(scores) // 10), f"{kind}: {popular} very popular items"
        assert statistics.median(scores) < 0.45, kind
        assert min(scores) < 0.15, kind
        assert len(set(scores)) >= len(scores) // 3, f"{kind}: popularity barely varies"


# ---------------------------------------------------------------------------- timetable


def test_timetable_matches_a_fresh_run_of_the_generator(timetable_module):
    fresh = timetable_module.render(timetable_module.generate())
    assert (CATALOGUE / "trains.jsonl").read_text(encoding="utf-8") == fresh, (
        "trains.jsonl is stale: run python data/catalogue/make_timetable.py"
    )
    assert timetable_module.generate(7) == timetable_module.generate(7)  # seeded: deterministic


def test_timetable_is_sorted_and_consistent(trains, timetable_module, lookups):
    assert trains == sorted(trains, key=timetable_module.sort_key)
    keys = {"train_id", "day", "departure", "destination", "leaveat", "arriveby", "duration", "price"}
    stations = lookups["train-destination"]
    time = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
    seen = set()
    for train in trains:
        assert set(train) == keys, train
        assert re.fullmatch(r"TR\d{4}", train["train_id"])
        assert train["day"] in WEEKDAYS
        assert train["departure"] in stations and train["destination"] in stations, train
        assert train["departure"] != train["destination"]
        assert time.match(train["leaveat"]) and time.match(train["arriveby"]), train
        leave = timetable_module.minutes_of(train["leaveat"])
        arrive = timetable_module.minutes_of(train["arriveby"])
        assert arrive > leave, train
        assert train["duration"] == arrive - leave, train
        assert isinstance(train["price"], float) and train["price"] > 0, train
        key = (train["train_id"], train["departure"], train["destination"])
        assert key not in seen, key
        seen.add(key)


def test_timetable_covers_the_region_every_day(trains, timetable_module):
    assert {t["day"] for t in trains} == set(WEEKDAYS)
    stations = {t["departure"] for t in trains} | {t["destination"] for t in trains}
    assert stations == set(timetable_module.STATIONS) and len(stations) >= 8
    for day in WEEKDAYS:
        routes = {(t["departure"], t["destination"]) for t in trains if t["day"] == day}
        for station in stations - {timetable_module.HUB}:  # both ways, every day
            assert (timetable_module.HUB, station) in routes and (station, timetable_module.HUB) in routes
    # one train keeps one timetable: all its legs leave the hub (or reach it) at the same time
    legs: dict[tuple, set] = {}
    for t in trains:
        hub_time = t["leaveat"] if t["departure"] == timetable_module.HUB else t["arriveby"]
        legs.setdefault((t["train_id"], t["day"]), set()).add(hub_time)
    assert all(len(times) == 1 for times in legs.values())


def test_timetable_script_has_a_help():
    result = subprocess.run([sys.executable, str(CATALOGUE / "make_timetable.py"), "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--seed" in result.stdout
