"""The dialogue manager's own time per turn: everything ``Assistant.handle`` does except the NLU forward.

Parses are built up front (a table lookup stands in for the model), so what is timed is the lock,
loading the conversation from the store, the policies, the NLG, the in-process rasa-sdk actions
where a turn runs one, and appending the turn to the store. Each conversation first opens 10 tasks
(two of each type), then plays a script of answers, corrections, switches ("back to the hotel"),
merges, small talk and misunderstandings with all 10 tasks open; turns that book something (and
close a task) are timed separately.

    python benchmarks/dialogue.py [--conversations 40] [--seed 0]

Prints p50/p95/mean per store (in-memory, SQLite), with the conversation state cached between turns
(the default) and rebuilt from the store's events every turn.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.actions.executor import InProcessActionRunner  # noqa: E402
from assistant.agent import Assistant  # noqa: E402
from assistant.domain import load_domain  # noqa: E402
from assistant.stores import InMemoryTrackerStore, SQLiteTrackerStore  # noqa: E402
from nlu.types import IntentPrediction, Parse, ParsedEntity, Segment  # noqa: E402
from policies.context import PolicyConfig  # noqa: E402

# reminders about idle tasks would (rightly) drop some of the ten along the way; keep all ten open
CONFIG = PolicyConfig(stale_after_turns=1_000_000)


def said(text: str, intent: str, confidence: float = 0.95, ranking=(), **entities) -> Parse:
    found = []
    for key, value in entities.items():
        start = max(text.find(str(value)), 0)
        found.append(ParsedEntity(key.replace("_", "-"), value, start, start + len(str(value)), 0.99, "bench",
                                  str(value)))
    top = IntentPrediction(intent, confidence)
    return Parse(text, top, [top, *(IntentPrediction(n, c) for n, c in ranking)], found)


def several(*parts: Parse) -> Parse:
    text = " and ".join(p.text for p in parts)
    segments, offset = [], 0
    for part in parts:
        segments.append(Segment(part.text, offset, offset + len(part.text), part.intent, part.entities))
        offset += len(part.text) + 5
    return Parse(text, parts[0].intent, [parts[0].intent], [e for p in parts for e in p.entities], segments)


OPEN_TEN = [
    said("book a table at Nandos", "book_restaurant", restaurant_name="Nandos"),
    said("and another table at Pizza Hut", "book_restaurant", restaurant_name="Pizza Hut"),
    said("I need a room at the Acorn Guest House", "book_hotel", hotel_name="Acorn Guest House"),
    said("and another hotel, the Gonville", "book_hotel", hotel_name="Gonville"),
    said("find me a museum to visit", "find_attraction"),
    said("another attraction as well", "find_attraction"),
    said("a taxi to the station", "book_taxi", taxi_destination="station"),
    said("another taxi to the airport", "book_taxi", taxi_destination="airport"),
    said("a train to London", "book_train", train_destination="London"),
    said("another train, to Ely", "book_train", train_destination="Ely"),
]

OPEN_TURNS = [
    said("from Cambridge", "inform", train_departure="Cambridge"),
    said("let's go back to the hotel", "inform"),
    said("arriving friday", "inform", hotel_bookday="friday"),
    said("3 nights", "inform", hotel_bookstay=3),
    said("actually make it 4 nights", "inform", hotel_bookstay=4),
    said("thanks", "thank"),
    said("can we go back to the taxi", "inform"),
    said("from the Acorn Guest House", "inform", taxi_departure="Acorn Guest House"),
    said("what's the weather like?", "greet", 0.2, ranking=[("bye", 0.1)]),
    said("I need to get somewhere", "book_taxi", 0.45, ranking=[("book_train", 0.4)]),
    several(said("a table for 4 on friday", "book_restaurant", restaurant_bookpeople=4, restaurant_bookday="friday"),
            said("the train on saturday", "book_train", train_day="saturday")),
    said("I'm vegetarian", "inform_preference", diet="vegetarian"),
    said("back to the restaurant", "inform"),
    said("at 19:00", "inform", restaurant_booktime="19:00"),
    said("make it 20:00", "inform", restaurant_booktime="20:00"),
    said("hmm", "inform", 0.3),
    said("go back to the train", "inform"),
    said("2 tickets", "inform", train_bookpeople=2),
    said("leaving at 9:00", "inform", train_leaveat="09:00"),
    said("what do you know about me?", "ask_profile"),
    said("back to the hotel", "inform"),
    said("2 people", "inform", hotel_bookpeople=2),
    said("no, 3 people", "inform", hotel_bookpeople=3),
    said("return to the attraction", "inform"),
    said("and the table is for 2", "inform", restaurant_bookpeople=2),
    said("back to the taxi", "inform"),
    said("yes", "affirm"),
    said("no", "deny"),
]

BOOKING_TURNS = [  # each "yes" books the task in focus with a real rasa-sdk action, closing it
    said("back to the hotel", "inform"), said("yes", "affirm"),
    said("back to the train", "inform"), said("from Cambridge", "inform", train_departure="Cambridge"),
    said("yes", "affirm"),
]


class PrebuiltParser:
    def __init__(self, parses):
        self.table = {p.text: p for p in parses}

    def parse(self, text):
        return self.table[text]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run(store, runner, domain, conversations: int, seed: int, state_cache: int) -> dict[str, list[float]]:
    parser = PrebuiltParser(OPEN_TEN + OPEN_TURNS + BOOKING_TURNS)
    assistant = Assistant(parser, domain, store, runner, rng=random.Random(seed), state_cache=state_cache,
                          config=CONFIG)
    times: dict[str, list[float]] = {"open": [], "booking": [], "setup": []}
    for n in range(conversations + 2):  # two warm-up conversations, not counted
        sender = f"user-{seed}-{n}"
        for phase, script in (("setup", OPEN_TEN), ("open", OPEN_TURNS), ("booking", BOOKING_TURNS)):
            for parse in script:
                start = time.perf_counter()
                assistant.handle(sender, parse.text)
                elapsed = (time.perf_counter() - start) * 1000
                if n >= 2 and (phase != "booking" or parse.intent.name == "affirm"):
                    times[phase].append(elapsed)
        if n == 2:
            state = assistant.state(sender)
            times["_events"] = [float(len(state.events))]
    return times


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    args.add_argument("--conversations", type=int, default=40)
    args.add_argument("--seed", type=int, default=0)
    options = args.parse_args()

    domain = load_domain(ROOT / "data" / "domain.yml")
    runner = InProcessActionRunner("data.actions", timeout=10.0)
    # 10 tasks open during OPEN_TURNS: check once that the script keeps them open
    probe = Assistant(PrebuiltParser(OPEN_TEN + OPEN_TURNS), domain, InMemoryTrackerStore(), runner, config=CONFIG)
    open_counts = []
    for parse in OPEN_TEN + OPEN_TURNS:
        probe.handle("probe", parse.text)
        open_counts.append(len(probe.state("probe").open_tasks()))
    open_tasks = min(open_counts[len(OPEN_TEN):])
    booked = Assistant(PrebuiltParser(OPEN_TEN + OPEN_TURNS + BOOKING_TURNS), domain, InMemoryTrackerStore(), runner,
                       config=CONFIG)
    for parse in OPEN_TEN + OPEN_TURNS + BOOKING_TURNS:
        booked.handle("probe", parse.text)
    completed = sum(1 for t in booked.state("probe").tasks if t.status == "completed")
    assert completed == 2, f"the booking turns should book the hotel and the train, not {completed} tasks"

    print(f"Dialogue manager per-turn time (no NLU forward), {options.conversations} conversations, "
          f"{len(OPEN_TURNS)} timed turns each with {open_tasks} open tasks; Python {sys.version.split()[0]}")
    print(f"{'store':<10} {'state':<9} {'turns':<24} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for store_name in ("memory", "sqlite"):
            for cache_name, cache in (("cached", 1024), ("rebuilt", 0)):
                if store_name == "memory":
                    store = InMemoryTrackerStore()
                else:
                    store = SQLiteTrackerStore(Path(tmp) / f"bench-{cache_name}.db")
                times = run(store, runner, domain, options.conversations, options.seed, cache)
                store.close()
                events = int(times.pop("_events", [0])[0])
                for phase, label in (("open", "10 open tasks"), ("booking", "booking (action runs)")):
                    values = times[phase]
                    print(f"{store_name:<10} {cache_name:<9} {label:<24} {len(values):>5} "
                          f"{percentile(values, 50):>8.2f} {percentile(values, 95):>8.2f} "
                          f"{statistics.fmean(values):>8.2f}")
                if store_name == "sqlite" and cache_name == "rebuilt":
                    print(f"(a conversation holds {events} events by its end)")
    runner.close()


if __name__ == "__main__":
    main()
