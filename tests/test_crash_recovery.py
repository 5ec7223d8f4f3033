"""SIGKILL between turns loses nothing: a new process continues the conversation from SQLite.

The assistant runs in a child process (this file run as a script): the default domain
(data/domain.yml, data/config.yml), the real rasa-sdk actions of data.actions in-process, a SQLite
tracker store in a temporary file. It reads one user message per line on stdin and writes the
turn's bot messages as one JSON line on stdout. The test kills it with SIGKILL between turns, twice,
and starts a new one on the same file each time.

The parser maps the script's fixed texts to hand-made parses (tests/parses.py): the tiny trained
model of conftest.py knows neither ``inform`` nor ``affirm`` nor the domain's entities, and loading
it would cost each child seconds; the NLU is not what this test is about.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from parses import said  # noqa: E402

from assistant.state import COMPLETED, DialogueState  # noqa: E402
from assistant.stores import SQLiteTrackerStore  # noqa: E402

ACORN = "Acorn Guest House"
SENDER = "kim"
SCRIPT = [
    said("hello", "greet"),
    said(f"I'd like to book the {ACORN}", "book_hotel", hotel_name=ACORN),
    said("arriving friday", "inform", hotel_bookday="friday"),
    said("I need a taxi to the station", "book_taxi", taxi_destination="station"),
    said(f"from the {ACORN}", "inform", taxi_departure=ACORN),
    said("leaving at 18:00", "inform", taxi_leaveat="18:00"),
    said("yes", "affirm"),
    said("3 nights", "inform", hotel_bookstay=3),
    said("2 of us", "inform", hotel_bookpeople=2),
]
TEXTS = [parse.text for parse in SCRIPT]
REPLY_TIMEOUT_S = 60.0


# --- the child process ----------------------------------------------------------------------------


class ScriptedParser:
    def __init__(self, parses):
        self.table = {p.text: p for p in parses}

    def parse(self, text):
        return self.table.get(text) or said(text, None, 0.0)


def serve(db: str) -> None:
    """The child: one JSON line per stdin line, until stdin closes."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the protocol's stream
    from assistant.agent import Assistant

    assistant = Assistant.from_config(ROOT / "data", store_url=db, parser=ScriptedParser(SCRIPT),
                                      rng=random.Random(5))
    out.write(json.dumps({"ready": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        replies = assistant.handle(SENDER, line.rstrip("\n"))
        out.write(json.dumps([reply.get("text", "") for reply in replies]) + "\n")
        out.flush()
    assistant.close()


# --- the test -------------------------------------------------------------------------------------

class Child:
    """This file run as the assistant's process; ``say`` sends a line and waits for its reply."""

    def __init__(self, db: Path, log: Path) -> None:
        self.log = log
        self._log = open(log, "ab")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        self.process = subprocess.Popen([sys.executable, __file__, str(db)], cwd=db.parent, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
                                        text=True, bufsize=1)
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._next() == {"ready": self.process.pid}

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _next(self):
        try:
            line = self._lines.get(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            line = None
        if line is None:
            self.kill()
            pytest.fail(f"the assistant process gave no answer; its log:\n{self.log.read_text()[-3000:]}")
        return json.loads(line)

    def say(self, text: str) -> list[str]:
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return self._next()

    def kill(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        code = self.process.wait(timeout=10)
        self._close()
        return code

    def quit(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        self._close()
        return code

    def _close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except (OSError, ValueError):
                pass
        self._log.close()


@pytest.fixture
def children(tmp_path):
    started: list[Child] = []

    def start() -> Child:
        started.append(Child(tmp_path / "assistant.db", tmp_path / "assistant.log"))
        return started[-1]

    yield start
    for child in started:
        if child.process.poll() is None:
            child.kill()


def turns_of(events: list[dict]) -> list[list[dict]]:
    """The stored events cut into turns, each starting at its user event."""
    turns: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([])
        assert turns, f"an event before the first user message: {event}"
        turns[-1].append(event)
    return turns


def test_sigkill_between_turns_loses_nothing_and_the_conversation_resumes(children, tmp_path):
    db = tmp_path / "assistant.db"
    said_back: list[list[str]] = []

    # first process: a hotel booking, interrupted by a taxi; departure given, then killed
    first = children()
    said_back += [first.say(text) for text in TEXTS[:5]]
    assert said_back[3][0] == "I'll put the hotel on hold for a moment."
    assert "leave" in said_back[4][-1]  # asks when the taxi should leave
    assert first.kill() == -signal.SIGKILL
    assert Path(f"{db}-wal").exists()  # killed with its write-ahead log unmerged: no clean close

    # second process: the taxi's time; it asks to confirm with the slots given to the first one
    second = children()
    assert second.process.pid != first.process.pid
    said_back.append(second.say(TEXTS[5]))
    assert said_back[5] == [f"Shall I book a taxi from {ACORN} to the station, leaving at 18:00?"]
    assert second.kill() == -signal.SIGKILL  # killed while the booking waits for a yes

    # third process: yes books the taxi, then back to the hotel, which kept its name and day
    third = children()
    said_back.append(third.say(TEXTS[6]))
    assert said_back[6][0].startswith(f"A taxi from {ACORN} to the station, leaving at 18:00, is booked:")
    assert re.match(r"(Back to|Now, about) your hotel: (how many|for how many) nights", said_back[6][-1])
    said_back += [third.say(text) for text in TEXTS[7:]]
    [confirm] = said_back[-1]  # the hotel's confirmation: the name and day were given to the first process
    assert ACORN in confirm and "3 nights" in confirm and "friday" in confirm.lower() and "2" in confirm
    said_back.append(third.say("yes"))
    assert said_back[-1][0].startswith(f"You're booked at {ACORN}: 3 nights from Friday for 2 guests."), said_back[-1]
    assert third.quit() == 0

    store = SQLiteTrackerStore(db)
    try:
        events = store.load(SENDER)
    finally:
        store.close()
    state = DialogueState.from_events(SENDER, events)
    taxi, hotel = state.task("taxi-1"), state.task("hotel-1")
    assert [t.id for t in state.tasks] == ["hotel-1", "taxi-1"]
    assert taxi.status == hotel.status == COMPLETED
    assert taxi.slots == {"taxi-destination": "station", "taxi-departure": ACORN, "taxi-leaveat": "18:00",
                          "taxi-ref": taxi.slots["taxi-ref"], "taxi-type": taxi.slots["taxi-type"],
                          "taxi-phone": taxi.slots["taxi-phone"]}
    assert hotel.slots == {"hotel-name": ACORN, "hotel-bookday": "friday", "hotel-bookstay": 3,
                           "hotel-bookpeople": 2, "hotel-ref": hotel.slots["hotel-ref"]}
    assert taxi.slots["taxi-ref"] in said_back[6][0] and hotel.slots["hotel-ref"] in said_back[-1][0]
    assert state.turn == len(TEXTS) + 1

    # every turn stored exactly once, in order, with exactly what the bot said in it
    turns = turns_of(events)
    assert [turn[0]["text"] for turn in turns] == TEXTS + ["yes"]
    assert [[e["text"] for e in turn if e["event"] == "bot"] for turn in turns] == said_back
    for kind in ("task_started", "task_completed"):
        assert sorted(e["task_id"] for e in events if e["event"] == kind) == ["hotel-1", "taxi-1"]
    ran = [e["name"] for e in events if e["event"] == "action" and e["name"].startswith("action_book")]
    assert ran == ["action_book_taxi", "action_book_hotel"]  # nothing booked twice after a restart


if __name__ == "__main__":
    serve(sys.argv[1])
