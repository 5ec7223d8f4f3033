"""The dialogue state: an agenda of tasks with one in focus, slots, and the latest message.

The state is a fold over the event list (``assistant/events.py``): the stores keep
only events, and ``DialogueState.from_events`` rebuilds everything from them.
``apply`` never decides anything (policies do) and never raises: an unknown
event, or one naming an unknown task, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from assistant import events as ev

if TYPE_CHECKING:
    from assistant.domain import Domain

ACTIVE = "active"
SUSPENDED = "suspended"
AWAITING_CONFIRMATION = "awaiting_confirmation"
COMPLETED = "completed"
CANCELLED = "cancelled"
FAILED = "failed"
OPEN_STATUSES = frozenset({ACTIVE, SUSPENDED, AWAITING_CONFIRMATION})
CLOSED_STATUSES = frozenset({COMPLETED, CANCELLED, FAILED})


@dataclass
class Task:
    """One instance of a task type on the agenda."""

    id: str
    type: str
    slots: dict[str, Any] = field(default_factory=dict)
    status: str = ACTIVE
    priority: int = 0
    requested_slot: str | None = None
    created_turn: int = 0
    updated_turn: int = 0
    goal: str = "book"  # "find": browsing suggestions; "book": collecting what the action needs

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Conflict:
    """A conflict raised to the user; ``resolution`` is set once it is settled."""

    kind: str
    task_ids: tuple[str, ...]
    detail: dict[str, Any]
    turn: int
    resolution: str | None = None


@dataclass
class DialogueState:
    sender_id: str
    tasks: list[Task] = field(default_factory=list)  # the agenda, in the order tasks were started
    focus: str | None = None  # id of the task in focus
    slots: dict[str, Any] = field(default_factory=dict)  # global slots, set without a task id
    turn: int = 0  # number of user messages since the last restart
    latest_message: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # since the last restart
    conflicts: list[Conflict] = field(default_factory=list)  # every conflict raised, open and resolved
    followup_action: str | None = None
    paused: bool = False
    latest_action_name: str | None = None
    latest_input_channel: str | None = None
    latest_event_time: float | None = None
    _by_id: dict[str, Task] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in self.tasks}

    # ------------------------------------------------------------ the fold
    @classmethod
    def from_events(cls, sender_id: str, events: Iterable[dict[str, Any]]) -> DialogueState:
        state = cls(sender_id)
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: dict[str, Any]) -> DialogueState:
        """Fold one event into the state (in place); returns the state for chaining."""
        kind = event.get("event")
        if kind == ev.RESTART:
            self._clear()
        self.events.append(event)
        if event.get("timestamp") is not None:
            self.latest_event_time = event["timestamp"]
        handler = _HANDLERS.get(kind)  # type: ignore[arg-type]
        if handler is not None:
            handler(self, event)
        return self

    def _clear(self) -> None:
        fresh = DialogueState(self.sender_id)
        self.__dict__.update(fresh.__dict__)

    def _on_user(self, event: dict[str, Any]) -> None:
        self.turn += 1
        message = dict(event.get("parse_data") or {})
        message.setdefault("text", event.get("text"))
        self.latest_message = message
        self.latest_input_channel = event.get("input_channel")

    def _on_action(self, event: dict[str, Any]) -> None:
        self.latest_action_name = event.get("name")
        if self.followup_action == event.get("name"):
            self.followup_action = None  # the scheduled action has run

    def _on_slot(self, event: dict[str, Any]) -> None:
        name, value = event.get("name"), event.get("value")
        task = self._by_id.get(event.get("task_id")) if event.get("task_id") is not None else None
        if name == ev.REQUESTED_SLOT:
            # rasa-sdk forms set requested_slot without a task: it means the task in focus
            task = task or self.focused_task
            if task is not None:
                task.requested_slot = value
                task.updated_turn = self.turn
                return
        if task is None:
            self._set(self.slots, name, value)
            return
        self._set(task.slots, name, value)
        task.updated_turn = self.turn

    @staticmethod
    def _set(slots: dict[str, Any], name: Any, value: Any) -> None:
        if value is None:
            slots.pop(name, None)
        else:
            slots[name] = value

    def _on_reset_slots(self, event: dict[str, Any]) -> None:
        self.slots.clear()
        for task in self.tasks:
            task.slots.clear()
            task.requested_slot = None

    def _on_task_started(self, event: dict[str, Any]) -> None:
        task_id = event.get("task_id")
        if task_id is None or task_id in self._by_id:
            return  # ids are unique; reviving a task is task_resumed
        focus = bool(event.get("focus", True))
        task = Task(
            id=task_id,
            type=str(event.get("task_type")),
            slots={k: v for k, v in (event.get("slots") or {}).items() if v is not None},
            status=ACTIVE if focus else SUSPENDED,  # not in focus: queued behind a higher priority
            priority=_int(event.get("priority")),
            created_turn=self.turn,
            updated_turn=self.turn,
            goal=event.get("goal") or "book",
        )
        self.tasks.append(task)
        self._by_id[task_id] = task
        if focus:
            self._take_focus(task)

    def _take_focus(self, task: Task) -> None:
        # one task is worked on at a time: whatever held the focus waits, slots intact
        current = self.focused_task
        if current is not None and current is not task and current.status in (ACTIVE, AWAITING_CONFIRMATION):
            current.status = SUSPENDED
            current.updated_turn = self.turn
        self.focus = task.id

    def _on_task_updated(self, event: dict[str, Any]) -> None:
        task = self._by_id.get(event.get("task_id"))  # type: ignore[arg-type]
        if task is None:
            return
        if event.get("priority") is not None:
            task.priority = _int(event["priority"], task.priority)
        if event.get("goal") is not None:
            task.goal = event["goal"]
        task.updated_turn = self.turn


    def _on_conflict_detected(self, event: dict[str, Any]) -> None:
        self.conflicts.append(
            Conflict(
                kind=str(event.get("kind")),
                task_ids=tuple(event.get("task_ids") or ()),
                detail=dict(event.get("detail") or {}),
                turn=self.turn,
            )
        )

    def _on_conflict_resolved(self, event: dict[str, Any]) -> None:
        wanted = tuple(event["task_ids"]) if event.get("task_ids") is not None else None
        for conflict in reversed(self.conflicts):
            if conflict.resolution is None and conflict.kind == event.get("kind"):
                if wanted is None or conflict.task_ids == wanted:
                    conflict.resolution = str(event.get("resolution"))
                    return

    # ------------------------------------------------------------ questions policies ask
    @property
    def focused_task(self) -> Task | None:
        return self._by_id.get(self.focus) if self.focus is not None else None

    def task(self, task_id: str) -> Task | None:
        return self._by_id.get(task_id)

    def open_tasks(self) -> list[Task]:
        """Tasks not yet completed, cancelled or failed, in agenda order."""
        return [t for t in self.tasks if t.is_open]

    def suspended_tasks(self) -> list[Task]:
        """Suspended tasks, the one to resume first: highest priority, then most recently touched."""
        order = {t.id: i for i, t in enumerate(self.tasks)}
        waiting = [t for t in self.tasks if t.status == SUSPENDED]
        return sorted(waiting, key=lambda t: (-t.priority, -t.updated_turn, -order[t.id]))

    def task_of_type(self, task_type: str, *, open_only: bool = True) -> Task | None:
        """The most recent task of a type (open ones only by default), e.g. to merge a repeated request."""
        return next((t for t in reversed(self.tasks) if t.type == task_type and (t.is_open or not open_only)), None)

    def open_conflicts(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.resolution is None]

    def next_task_id(self, task_type: str) -> str:
        """A new, deterministic task id ("restaurant-2"), so replays produce the same events."""
        n = sum(1 for t in self.tasks if t.type == task_type) + 1
        while f"{task_type}-{n}" in self._by_id:
            n += 1
        return f"{task_type}-{n}"

    def ever_focused(self, task: Task) -> bool:
        """Whether the task has held the focus; one that never has waits in the queue it was put in."""
        if self.focus == task.id:
            return True
        for event in self.events:
            if event.get("task_id") != task.id:
                continue
            kind = event.get("event")
            if kind == ev.TASK_RESUMED or (kind == ev.TASK_STARTED and event.get("focus", True)):
                return True
        return False

    def turns_idle(self, task: Task) -> int:
        """User turns since the task last changed (a suspended task idle for N turns is brought back)."""
        return self.turn - task.updated_turn

    # ------------------------------------------------------------ rasa-sdk
    def to_tracker_json(self, domain: Domain, task_id: str | None = None) -> dict[str, Any]:
        """The tracker an action server receives, as seen from one task (default: the one in focus).

        ``slots`` holds every domain slot: global values overlaid with the task's own, so a
        rasa-sdk action reads ``tracker.get_slot("restaurant-bookpeople")`` of the task it serves.
        """
        task = self.task(task_id) if task_id is not None else self.focused_task
        slots: dict[str, Any] = {name: spec.initial for name, spec in domain.slots.items()}
        slots[ev.REQUESTED_SLOT] = None
        slots.update({k: v for k, v in self.slots.items() if k in slots})
        active_loop: dict[str, Any] = {}
        if task is not None:
            slots.update({k: v for k, v in task.slots.items() if k in slots})
            slots[ev.REQUESTED_SLOT] = task.requested_slot
            if task.is_open:
                task_type = domain.tasks.get(task.type)
                active_loop = {"name": task_type.form_name if task_type else f"{task.type}_form"}
        latest = dict(self.latest_message or {})
        for key, empty in (("text", None), ("intent", {}), ("intent_ranking", []), ("entities", [])):
            latest.setdefault(key, empty)
        return {
            "sender_id": self.sender_id,
            "slots": slots,
            "latest_message": latest,
            "latest_event_time": self.latest_event_time,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": list(self.events),
            "latest_input_channel": self.latest_input_channel,
            "active_loop": active_loop,
            "latest_action_name": self.latest_action_name,
            "latest_action": {"action_name": self.latest_action_name} if self.latest_action_name else {},
        }


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default  # a malformed event must not stop the fold


def _task_status(status: str, focus: bool) -> Callable[[DialogueState, dict[str, Any]], None]:
    """Handler of an event that moves a task to ``status`` and takes or gives up the focus."""

    def handle(state: DialogueState, event: dict[str, Any]) -> None:
        task = state.task(event.get("task_id"))  # type: ignore[arg-type]
        if task is None:
            return
        task.status = status
        task.updated_turn = state.turn
        if focus:
            state._take_focus(task)
        elif state.focus == task.id:
            state.focus = None
        if status in CLOSED_STATUSES:
            task.requested_slot = None

    return handle


def _set_followup(state: DialogueState, event: dict[str, Any]) -> None:
    state.followup_action = event.get("name")


def _set_paused(paused: bool) -> Callable[[DialogueState, dict[str, Any]], None]:
    def handle(state: DialogueState, event: dict[str, Any]) -> None:
        state.paused = paused

    return handle


# event name -> how it changes the state; anything else only joins the event list
_HANDLERS: dict[str, Callable[[DialogueState, dict[str, Any]], None]] = {
    ev.USER: DialogueState._on_user,
    ev.ACTION: DialogueState._on_action,
    ev.SLOT: DialogueState._on_slot,
    ev.RESET_SLOTS: DialogueState._on_reset_slots,
    ev.FOLLOWUP: _set_followup,
    ev.PAUSE: _set_paused(True),
    ev.RESUME: _set_paused(False),
    ev.TASK_STARTED: DialogueState._on_task_started,
    ev.TASK_UPDATED: DialogueState._on_task_updated,
    ev.TASK_SUSPENDED: _task_status(SUSPENDED, focus=False),
    ev.TASK_RESUMED: _task_status(ACTIVE, focus=True),
    ev.TASK_CONFIRMATION_REQUESTED: _task_status(AWAITING_CONFIRMATION, focus=True),
    ev.TASK_COMPLETED: _task_status(COMPLETED, focus=False),
    ev.TASK_CANCELLED: _task_status(CANCELLED, focus=False),
    ev.TASK_FAILED: _task_status(FAILED, focus=False),
    ev.CONFLICT_DETECTED: DialogueState._on_conflict_detected,
    ev.CONFLICT_RESOLVED: DialogueState._on_conflict_resolved,
}
