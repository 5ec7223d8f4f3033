"""The train timetable the train booking picks a train from (``data/catalogue/trains.jsonl``).

Pure look-ups over the rows make_timetable.py writes; action code imports only rasa_sdk and the
standard library, so this module does too. Station names are matched loosely: "london" is either
London station, "stansted" is Stansted Airport.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterable

TIMETABLE = Path(__file__).resolve().parent.parent / "catalogue" / "trains.jsonl"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Train:
    train_id: str
    day: str
    departure: str
    destination: str
    leaveat: str
    arriveby: str
    duration: int
    price: float


@dataclass(frozen=True)
class Choice:
    """What the timetable says for a request: the train, or why there is none (``problem``: the slot
    that cannot be met, ``message``: what to tell the user)."""

    train: Train | None = None
    problem: str | None = None
    message: str = ""


class Timetable:
    def __init__(self, trains: Iterable[Train]) -> None:
        self.trains = sorted(trains, key=lambda t: (t.day, t.departure, t.destination, t.leaveat))
        self.stations = sorted({t.departure for t in self.trains} | {t.destination for t in self.trains})

    @classmethod
    def load(cls, path: str | Path = TIMETABLE) -> "Timetable":
        rows = []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows.append(Train(str(row["train_id"]), str(row["day"]), str(row["departure"]),
                                      str(row["destination"]), str(row["leaveat"]), str(row["arriveby"]),
                                      int(row["duration"]), float(row["price"])))
        return cls(rows)

    def matching(self, name: str) -> list[str]:
        """The stations a name means: itself, or those whose name starts with its words ("london")."""
        key = _key(name)
        if key in self.stations:
            return [key]
        return [s for s in self.stations if s.startswith(key + " ")] if key else []

    def choose(self, departure: str, destination: str, day: str, leave_at: str | None = None,
               arrive_by: str | None = None) -> Choice:
        """The train for a booking: the first leaving at or after ``leave_at``, else the last
        arriving by ``arrive_by`` (both given: the first leaving after one that arrives in time)."""
        origins, ends = self.matching(departure), self.matching(destination)
        said_from, said_to = station_name(departure), station_name(destination)  # as the messages write them
        if not origins:
            return Choice(problem="train-departure", message=f"I have no trains from {said_from}. "
                          f"Trains run from {_join([station_name(s) for s in self.stations])}.")
        if not ends:
            return Choice(problem="train-destination", message=f"I have no trains to {said_to}. "
                          f"Trains run to {_join([station_name(s) for s in self.stations])}.")
        weekday = weekday_of(day)
        routes = [t for t in self.trains if t.departure in origins and t.destination in ends]
        if not routes:
            served = sorted({station_name(t.destination) for t in self.trains if t.departure in origins})
            onwards = f"; from {said_from} trains go to {_join(served)}" if served else ""
            return Choice(problem="train-destination", message=f"There's no direct train from {said_from} to "
                          f"{said_to}{onwards}.")
        running = [t for t in routes if t.day == weekday]
        if not running:
            return Choice(problem="train-day", message=f"No trains run from {said_from} to {said_to} "
                          f"on {weekday.title()}.")
        fits = [t for t in running if (leave_at is None or t.leaveat >= leave_at)
                and (arrive_by is None or t.arriveby <= arrive_by)]
        if fits:
            first = min(fits, key=lambda t: t.leaveat) if leave_at else max(fits, key=lambda t: t.arriveby)
            return Choice(first)
        if leave_at is not None and arrive_by is None:
            last = max(running, key=lambda t: t.leaveat)
            return Choice(problem="train-leaveat", message=f"The last train from {said_from} to {said_to} on "
                          f"{weekday.title()} leaves at {last.leaveat}, before {leave_at}.")
        earliest = min(running, key=lambda t: t.arriveby)
        if leave_at is None:
            return Choice(problem="train-arriveby", message=f"No train from {said_from} to {said_to} on "
                          f"{weekday.title()} arrives by {arrive_by}: the first arrives at {earliest.arriveby}.")
        return Choice(problem="train-arriveby", message=f"No train from {said_from} to {said_to} on "
                      f"{weekday.title()} leaves after {leave_at} and arrives by {arrive_by}.")


def station_name(name: str) -> str:
    """A station as written: "london kings cross" -> "London Kings Cross" (the timetable's are lowercase)."""
    if name != name.lower():
        return name
    return " ".join(w if i and w in ("of", "and", "the", "upon", "on") else w[:1].upper() + w[1:]
                    for i, w in enumerate(name.split()))


@lru_cache(maxsize=1)
def default_timetable() -> Timetable:
    return Timetable.load()


def weekday_of(day: str) -> str:
    """'friday' -> 'friday'; an ISO date -> its weekday."""
    return day if day in WEEKDAYS else WEEKDAYS[date.fromisoformat(day).weekday()]


def _key(name: str) -> str:
    words = re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in ("the", "station", "railway", "train"))


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
