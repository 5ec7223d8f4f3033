"""Typed decisions: what a policy wants done. The dialogue manager carries them out in order.

State changes turn into events (``event()``), ``Utter``/``SayText`` into bot messages (through
``assistant.nlg``), ``RunAction`` into a call to the action runner. Policies return lists of them and
never touch the state, the stores or the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from assistant import events as ev

# What a question waits for (bot event metadata "expects"); the next turn reads it back.
SLOT = "slot"
CONFIRM = "confirm"
OFFER = "offer"
RETRY = "retry"
CONFLICT = "conflict"
WHICH_TASK = "which_task"
ANYTHING_ELSE = "anything_else"
CANCEL_BOOKING = "cancel_booking"  # "shall I cancel the booking?" about a task already done
CHANGE_BOOKING = "change_booking"  # "shall I change it to 14:00?" about a task already done
SUGGESTION = "suggestion"  # a recommendation: accept, reject (with a reason), or "something else"
FORGET = "forget"  # "shall I erase everything I know about you?" before "forget me" is done
LEAVING = "leaving"  # "bye" with a booking one yes away: "before you go, shall I book it?"

#: the goal of a task that records a place the user already has ("I'm staying at ..."): nothing to book
STAYING_GOAL = "stay"


# ----------------------------------------------------------------- state changes (one event each)


@dataclass(frozen=True)
class StartTask:
    task_id: str
    task_type: str
    priority: int
    slots: Mapping[str, Any] = field(default_factory=dict)
    goal: str = "book"
    focus: bool = True  # False: queued behind the task in focus

    def event(self, timestamp: float) -> dict:
        return ev.task_started(self.task_id, self.task_type, self.priority, dict(self.slots), goal=self.goal,
                               focus=self.focus, timestamp=timestamp)


@dataclass(frozen=True)
class UpdateTask:
    task_id: str
    priority: int | None = None
    goal: str | None = None

    def event(self, timestamp: float) -> dict:
        return ev.task_updated(self.task_id, priority=self.priority, goal=self.goal, timestamp=timestamp)


@dataclass(frozen=True)
class SetSlot:
    name: str
    value: Any
    task_id: str | None = None  # None: a global (profile) slot

    def event(self, timestamp: float) -> dict:
        return ev.slot_set(self.name, self.value, task_id=self.task_id, timestamp=timestamp)


@dataclass(frozen=True)
class SuspendTask:
    task_id: str
    reason: str | None = None

    def event(self, timestamp: float) -> dict:
        return ev.task_suspended(self.task_id, self.reason, timestamp=timestamp)


@dataclass(frozen=True)
class ResumeTask:
    task_id: str

    def event(self, timestamp: float) -> dict:
        return ev.task_resumed(self.task_id, timestamp=timestamp)


@dataclass(frozen=True)
class RequestConfirmation:
    task_id: str

    def event(self, timestamp: float) -> dict:
        return ev.task_confirmation_requested(self.task_id, timestamp=timestamp)


@dataclass(frozen=True)
class CompleteTask:
    task_id: str
    result: Mapping[str, Any] = field(default_factory=dict)

    def event(self, timestamp: float) -> dict:
        return ev.task_completed(self.task_id, dict(self.result), timestamp=timestamp)


@dataclass(frozen=True)
class CancelTask:
    task_id: str
    reason: str | None = None

    def event(self, timestamp: float) -> dict:
        return ev.task_cancelled(self.task_id, self.reason, timestamp=timestamp)


@dataclass(frozen=True)
class DetectConflict:
    kind: str  # duplicate, profile, time, place, stale
    task_ids: tuple[str, ...]
    detail: Mapping[str, Any] = field(default_factory=dict)

    def event(self, timestamp: float) -> dict:
        return ev.conflict_detected(self.kind, list(self.task_ids), dict(self.detail), timestamp=timestamp)


@dataclass(frozen=True)
class ResolveConflict:
    kind: str
    resolution: str
    task_ids: tuple[str, ...] | None = None

    def event(self, timestamp: float) -> dict:
        ids = list(self.task_ids) if self.task_ids is not None else None
        return ev.conflict_resolved(self.kind, self.resolution, ids, timestamp=timestamp)


# ----------------------------------------------------------------- output and actions


@dataclass(frozen=True)
class Utter:
    """Say a domain response. Placeholders take the task's slots (global ones underneath) and ``values``;
    ``question`` is rendered first and fills ``{question}`` ("Back to your hotel: {question}")."""

    response: str
    values: Mapping[str, Any] = field(default_factory=dict)
    task_id: str | None = None
    expects: str | None = None
    conflict: Mapping[str, Any] | None = None  # {"kind", "task_ids"} of the conflict the question is about
    question: Utter | None = None


@dataclass(frozen=True)
class SayText:
    """Say literal text (an action's message, an apology from ActionError)."""

    text: str | None = None
    buttons: tuple[Mapping[str, str], ...] = ()
    image: str | None = None
    custom: Any = None
    attachment: Any = None
    task_id: str | None = None
    expects: str | None = None


@dataclass(frozen=True)
class RunAction:
    """Run the task's fulfilment action; success completes the task, an ActionError leaves it open.
    With ``cancels``, the action cancels the task's booking: success cancels the task, and an
    ActionError leaves the booking as it was. With ``rebook`` too (a change to a booking), success
    reopens the task with these slot values instead, to book it again."""

    task_id: str
    action: str
    cancels: bool = False
    rebook: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Recommend:
    """Suggest an item of catalogue ``kind`` for the task's name slot (the dialogue manager asks the
    recommender). ``fallback`` is said instead when there is no recommender or nothing fits;
    ``lead`` is a response said first ("Something cheaper, then."); ``again``: when no place not yet
    suggested fits, one suggested earlier may come back (the search has moved: "something more upmarket?")."""

    task_id: str
    kind: str
    fallback: tuple[Decision, ...] = ()
    lead: str | None = None
    again: bool = False


@dataclass(frozen=True)
class Feedback:
    """The user's answer to a suggestion: learnt by the profile and the ranking model.

    ``item`` is the suggestion as its bot event recorded it (``{"id", "name", "kind", "features", ...}``);
    ``skipped``: "something else", neither liked nor disliked.
    """

    task_id: str
    item: Mapping[str, Any]
    accepted: bool
    reason: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class RaiseBudget:
    """The user asked for a dearer place ("something more upmarket?"): a budget ceiling below ``level``
    is lifted, or the ceiling learnt from "too pricey" would hide every place they asked for."""

    level: str


@dataclass(frozen=True)
class ForgetUser:
    """Erase everything kept about the user (profile, learnt choices, conversations) after this turn."""


StateChange = Union[
    StartTask, UpdateTask, SetSlot, SuspendTask, ResumeTask, RequestConfirmation, CompleteTask, CancelTask,
    DetectConflict, ResolveConflict,
]
Decision = Union[StateChange, Utter, SayText, RunAction, Recommend, Feedback, RaiseBudget, ForgetUser]


def is_question(decision: Decision) -> bool:
    return isinstance(decision, (Utter, SayText)) and decision.expects is not None
