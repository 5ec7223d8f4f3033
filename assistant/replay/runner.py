"""Replays scripted dialogues through the real assistant: the real NLU model, dialogue manager and
actions (run for real, in-process by default), on a fresh in-memory store.

    runner = ReplayRunner.from_config(data_dir, model_dir, seed=42)
    results = runner.run(load_dialogues(["data/dialogues"]))

Replays are deterministic: the assistant's random choices come from an rng reseeded from the seed
and the dialogue's name before each dialogue, and its clock is a replay clock that starts each
dialogue at the same moment (``DEFAULT_NOW``, or the dialogue's ``now:``) and ticks one second per
reading. Conversation ids: ``<user>:<session>``; a dialogue without a user gets a fresh user named
after it. The user id goes to ``Assistant.handle(..., user_id=user)``, so the user's profile outlives
each conversation.
"""

from __future__ import annotations

import inspect
import random
import re
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .loader import check_against_domain
from .matcher import Turn, check_user, find_bot, recommendations_in
from .model import BotStep, Dialogue, NewSession, Step, UserStep

if TYPE_CHECKING:
    from assistant.agent import Assistant

DEFAULT_SEED = 42
DEFAULT_NOW = datetime(2025, 6, 2, 9, 0)  # a Monday morning, local time: "today" is monday
SESSION_GAP = 24 * 3600.0  # a new session starts a day later
INPUT_CHANNEL = "replay"


class ReplayClock:
    """The assistant's clock during a replay: set per dialogue, one second later at every reading."""

    def __init__(self, start: float | None = None, tick: float = 1.0) -> None:
        self.now = DEFAULT_NOW.timestamp() if start is None else start
        self.tick = tick

    def __call__(self) -> float:
        now = self.now
        self.now += self.tick
        return now

    def set(self, when: float) -> None:
        self.now = when

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class StepFailure:
    """The first step of a dialogue that did not hold, with everything its turn got wrong."""

    index: int  # 1-based position of the failing step in the dialogue
    step: Step
    problems: list[tuple[int, str]]  # (step number, what was wrong) for every failing step of the turn
    turn: Turn | None = None


@dataclass
class DialogueResult:
    dialogue: Dialogue
    failure: StepFailure | None = None
    error: str | None = None  # the runner itself broke (a traceback)
    seconds: float = 0.0
    turns: int = 0
    senders: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failure is None and self.error is None


def sender_for(user: str, session: int) -> str:
    return f"{user}:{session}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "dialogue"


class ReplayRunner:
    def __init__(self, assistant: Assistant, rng: random.Random, clock: ReplayClock,
                 seed: int = DEFAULT_SEED) -> None:
        self.assistant = assistant
        self.rng = rng
        self.clock = clock
        self.seed = seed
        self._sessions: dict[str, int] = {}  # user -> highest session used
        self._anonymous: set[str] = set()
        self._suggested: dict[str, set[tuple[Any, Any]]] = {}  # sender -> (kind, id) recommended so far

    @classmethod
    def from_config(cls, data_dir: str | Path | None = None, model_dir: str | Path | None = None, *,
                    seed: int = DEFAULT_SEED, store_url: str = "memory://", **options: Any) -> ReplayRunner:
        """The real assistant of a data folder (as ``assistant chat`` builds it), seeded and clocked."""
        from assistant.agent import Assistant

        rng = random.Random(seed)
        clock = ReplayClock()
        assistant = Assistant.from_config(data_dir, model_dir, store_url, rng=rng, clock=clock, **options)
        return cls(assistant, rng, clock, seed)

    def close(self) -> None:
        self.assistant.close()

    def __enter__(self) -> ReplayRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def check(self, dialogues: Iterable[Dialogue]) -> None:
        """Raises ``DialogueFileError`` for names the assistant's domain does not know."""
        check_against_domain(dialogues, self.assistant.domain)

    # ------------------------------------------------------------ running
    def run(self, dialogues: Iterable[Dialogue], fail_fast: bool = False,
            on_result: Callable[[DialogueResult], None] | None = None) -> list[DialogueResult]:
        """Each dialogue in order; with ``fail_fast``, none after the first that fails."""
        results = []
        for dialogue in dialogues:
            result = self.run_dialogue(dialogue)
            results.append(result)
            if on_result is not None:
                on_result(result)
            if fail_fast and not result.passed:
                break
        return results

    def run_dialogue(self, dialogue: Dialogue) -> DialogueResult:
        started = time.perf_counter()
        result = DialogueResult(dialogue)
        self.rng.seed(f"{self.seed}:{dialogue.name}")
        self.clock.set(dialogue.now if dialogue.now is not None else DEFAULT_NOW.timestamp())
        user = dialogue.user or self._fresh_user(dialogue)
        session = dialogue.session or self._next_session(user)
        self._sessions[user] = max(self._sessions.get(user, 0), session)
        result.senders.append(sender_for(user, session))
        try:
            for group in _turns(dialogue.steps):
                first_index, first = group[0]
                if isinstance(first, NewSession):
                    session = self._next_session(user)
                    self._sessions[user] = session
                    self.clock.advance(SESSION_GAP)
                    result.senders.append(sender_for(user, session))
                    continue
                turn = self.say(user, session, first)  # type: ignore[arg-type]
                result.turns += 1
                problems = [(first_index, p) for p in _turn_trouble(turn)]
                problems += [(first_index, p) for p in check_user(first, turn)]  # type: ignore[arg-type]
                cursor = 0
                for index, step in group[1:]:
                    found = find_bot(step, turn.bots, cursor, turn.suggested)  # type: ignore[arg-type]
                    if found is None:
                        where = "" if cursor == 0 else f" after message {cursor}"
                        problems.append((index, f"bot: expected {step.describe()}{where}"))  # type: ignore[union-attr]
                    else:
                        cursor = found + 1
                if problems:
                    index = min(i for i, _ in problems)
                    step = dialogue.steps[index - 1]
                    result.failure = StepFailure(index, step, problems, turn)
                    break
        except Exception:
            result.error = traceback.format_exc()
        result.seconds = time.perf_counter() - started
        return result

    def say(self, user: str, session: int, step: UserStep) -> Turn:
        """One user message through ``Assistant.handle``; the turn as the assistant stored it."""
        sender = sender_for(user, session)
        recorder = self._recorder()
        recorder.take(sender)
        options: dict[str, Any] = {"input_channel": INPUT_CHANNEL}
        if self._takes_user_id:
            options["user_id"] = user
        messages = self.assistant.handle(sender, step.text, dict(step.metadata or {}), **options)
        events = recorder.take(sender)  # read as appended: "forget me" may erase the stored conversation
        user_event = next((e for e in events if e.get("event") == "user"), {})
        bots = [e for e in events if e.get("event") == "bot"]
        if not events and messages:  # answered without storing the turn (busy, or a broken store)
            bots = [{"event": "bot", "text": m.get("text"), "data": {}, "metadata": {"error": "not_stored"}}
                    for m in messages]
        suggested = frozenset(self._suggested.get(sender, ()))
        self._suggested.setdefault(sender, set()).update(recommendations_in(bots))
        return Turn(sender, step.text, dict(user_event.get("parse_data") or {}), bots, self.assistant.state(sender),
                    suggested)

    def _recorder(self) -> _RecordingStore:
        store = self.assistant.store
        if not isinstance(store, _RecordingStore):
            store = self.assistant.store = _RecordingStore(store)
        return store

    @property
    def _takes_user_id(self) -> bool:
        """Whether ``handle`` knows the person behind a conversation (their profile outlives it)."""
        try:
            return "user_id" in inspect.signature(self.assistant.handle).parameters
        except (TypeError, ValueError):
            return False

    def _fresh_user(self, dialogue: Dialogue) -> str:
        base = f"replay-{_slug(dialogue.name)}"
        name, n = base, 1
        while name in self._anonymous or name in self._sessions:
            n += 1
            name = f"{base}-{n}"
        self._anonymous.add(name)
        return name

    def _next_session(self, user: str) -> int:
        return self._sessions.get(user, 0) + 1


class _RecordingStore:
    """The assistant's tracker store, keeping a copy of what each turn appends (everything else is
    passed through)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._appended: dict[str, list[dict[str, Any]]] = {}

    def append(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        self._store.append(sender_id, events)
        self._appended.setdefault(sender_id, []).extend(events)

    def take(self, sender_id: str) -> list[dict[str, Any]]:
        return self._appended.pop(sender_id, [])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _turns(steps: tuple[Step, ...]) -> list[list[tuple[int, Step]]]:
    """Steps grouped by turn: a user step with the bot steps after it, or a new-session step alone."""
    groups: list[list[tuple[int, Step]]] = []
    for index, step in enumerate(steps, start=1):
        if isinstance(step, BotStep) and groups and not isinstance(groups[-1][0][1], NewSession):
            groups[-1].append((index, step))
        else:
            groups.append([(index, step)])
    return groups


def _turn_trouble(turn: Turn) -> list[str]:
    """A turn the assistant could not handle fails whatever the script asserts."""
    from assistant.agent import BUSY, SORRY

    out = []
    for event in turn.bots:
        error = (event.get("metadata") or {}).get("error")
        if error in ("turn_failed", "not_stored") or event.get("text") in (SORRY, BUSY):
            out.append(f"the assistant could not handle the message: {event.get('text')!r} (see the log)")
    return out
