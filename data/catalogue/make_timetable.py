#!/usr/bin/env python3
"""Generate the concierge's train timetable (``trains.jsonl``) for every day of the week.

The region is a hub and its lines: every train runs between the city's station
("cambridge", the name people use in the benchmark dialogues) and the far end of
one line, calling at the stations in between. One JSON line is written per
(train, boarding station, alighting station) pair that involves the city, in both
directions, e.g.::

    {"train_id": "TR4821", "day": "monday", "departure": "cambridge",
     "destination": "ely", "leaveat": "05:16", "arriveby": "05:33",
     "duration": 17, "price": 4.7}

Times are "HH:MM" (24 h, same day: no train runs past midnight), ``duration`` is in
minutes, ``price`` in pounds for one standard single ticket (peak trains on weekdays
cost more, weekend trains less). Station names are the NLU's canonical values (the
``train-destination`` lookup in data/nlu/concierge.yml).

The output is a pure function of ``--seed``: running the script again gives the same
file byte for byte (tests/test_catalogue_data.py checks it). ``--check`` verifies the
file on disk instead of writing it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "trains.jsonl"
DEFAULT_SEED = 2024
HUB = "cambridge"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Each line: the stations after the hub with (minutes from the hub, standard single fare in pounds),
# and how often trains run (minutes between departures) on weekdays, saturdays and sundays.
LINES: dict[str, dict[str, Any]] = {
    "great northern": {
        "stops": [("stevenage", 27, 11.40), ("london kings cross", 51, 24.50)],
        "headway": {"weekday": 60, "saturday": 60, "sunday": 120},
    },
    "west anglia": {
        "stops": [("bishops stortford", 29, 9.80), ("london liverpool street", 82, 17.90)],
        "headway": {"weekday": 120, "saturday": 120, "sunday": 120},
    },
    "airport": {
        "stops": [("stansted airport", 31, 10.60)],
        "headway": {"weekday": 60, "saturday": 60, "sunday": 120},
    },
    "fen": {
        "stops": [("ely", 16, 4.70), ("kings lynn", 49, 10.20)],
        "headway": {"weekday": 120, "saturday": 120, "sunday": 180},
    },
    "breckland": {
        "stops": [("ely", 17, 4.70), ("norwich", 79, 18.30)],
        "headway": {"weekday": 120, "saturday": 120, "sunday": 180},
    },
    "cross country": {
        "stops": [("ely", 17, 4.70), ("peterborough", 50, 14.90), ("leicester", 104, 33.10),
                  ("birmingham new street", 163, 58.40)],
        "headway": {"weekday": 120, "saturday": 120, "sunday": 180},
    },
}
STATIONS = tuple(sorted({HUB} | {name for line in LINES.values() for name, _, _ in line["stops"]}))

FIRST_DEPARTURE = {"weekday": 5 * 60, "saturday": 6 * 60, "sunday": 7 * 60}  # minutes after midnight
LAST_DEPARTURE = {"weekday": 22 * 60, "saturday": 22 * 60, "sunday": 21 * 60}
LAST_ARRIVAL = 23 * 60 + 59
PEAK = (7 * 60, 9 * 60 + 30)  # weekday departures in this window cost more
PEAK_FACTOR = 1.25
WEEKEND_FACTOR = 0.85


def day_kind(day: str) -> str:
    return day if day in ("saturday", "sunday") else "weekday"


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def minutes_of(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def fare(base: float, day: str, leave: int) -> float:
    factor = 1.0
    if day_kind(day) != "weekday":
        factor = WEEKEND_FACTOR
    elif PEAK[0] <= leave <= PEAK[1]:
        factor = PEAK_FACTOR
    return round(base * factor, 2)


def sort_key(train: dict[str, Any]) -> tuple:
    return (DAYS.index(train["day"]), train["departure"], train["destination"], train["leaveat"], train["train_id"])


def generate(seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Every train of the week, sorted by day, departure, destination and departure time."""
    rng = random.Random(seed)
    ids = iter(rng.sample(range(1000, 10000), 9000))
    trains: list[dict[str, Any]] = []
    for line_name in sorted(LINES):
        line = LINES[line_name]
        offset_out = rng.randrange(0, 60)  # minute past the hour trains leave the hub
        offset_in = rng.randrange(0, 60)  # ... and the far end
        run_time = line["stops"][-1][1]
        for day in DAYS:
            kind = day_kind(day)
            headway = line["headway"][kind]
            for direction, offset in (("out", offset_out), ("in", offset_in)):
                start = FIRST_DEPARTURE[kind] + offset
                for leave in range(start, LAST_DEPARTURE[kind] + 1, headway):
                    # the minutes from the hub at each stop, with a little slack on some trains
                    slack = rng.choice((0, 0, 0, 1, 2, 3))
                    stops = [(name, mins + (slack if i == len(line["stops"]) - 1 else 0), price)
                             for i, (name, mins, price) in enumerate(line["stops"])]
                    total = run_time + slack
                    if leave + total > LAST_ARRIVAL:
                        continue
                    train_id = f"TR{next(ids)}"
                    for name, mins, price in stops:
                        if direction == "out":
                            dep, dest, t0, t1 = HUB, name, leave, leave + mins
                        else:  # from the far end towards the hub: at this stop total - mins after leaving
                            dep, dest, t0, t1 = name, HUB, leave + total - mins, leave + total
                        trains.append({
                            "train_id": train_id, "day": day, "departure": dep, "destination": dest,
                            "leaveat": hhmm(t0), "arriveby": hhmm(t1), "duration": t1 - t0,
                            "price": fare(price, day, t0),
                        })
    trains.sort(key=sort_key)
    return trains


def render(trains: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in trains)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate the train timetable of the default city-concierge assistant "
        f"({len(STATIONS)} stations, every day of the week) as JSON lines.",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the timetable (default: trains.jsonl next to this script); '-' for stdout")
    parser.add_argument("--check", action="store_true",
                        help="do not write: exit 1 if the file differs from a fresh run")
    args = parser.parse_args(argv)
    text = render(generate(args.seed))
    if args.check:
        if str(args.output) == "-":
            parser.error("--check needs a file, not '-'")
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date: run {Path(__file__).name} to regenerate it", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    if str(args.output) == "-":
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10))} trains to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
