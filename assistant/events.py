"""Conversation events: plain JSON-serialisable dicts made by small factory functions.

The Rasa events keep the exact shape of ``rasa_sdk.events`` (so what the tracker
store saves is what an action server receives); task and conflict events add the
multi-task agenda. Every event has ``"event"`` and ``"timestamp"``; a factory
given no timestamp stamps the current time. ``DialogueState.apply`` folds them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

Event = dict[str, Any]

# Rasa event names (rasa_sdk.events)
USER = "user"
BOT = "bot"
SLOT = "slot"
ACTION = "action"
FOLLOWUP = "followup"
RESTART = "restart"
SESSION_STARTED = "session_started"
RESET_SLOTS = "reset_slots"
ACTIVE_LOOP = "active_loop"
PAUSE = "pause"
RESUME = "resume"
# our task agenda
TASK_STARTED = "task_started"
TASK_UPDATED = "task_updated"
TASK_SUSPENDED = "task_suspended"
TASK_RESUMED = "task_resumed"
TASK_CONFIRMATION_REQUESTED = "task_confirmation_requested"
TASK_COMPLETED = "task_completed"
TASK_CANCELLED = "task_cancelled"
TASK_FAILED = "task_failed"
CONFLICT_DETECTED = "conflict_detected"
CONFLICT_RESOLVED = "conflict_resolved"

REQUESTED_SLOT = "requested_slot"  # Rasa's name for the slot a form asks next


def _stamp(timestamp: float | None) -> float:
    return time.time() if timestamp is None else timestamp


def _as_dict(data: Any) -> dict[str, Any] | None:
    """Parse objects (nlu.types.Parse) become their JSON dict; dicts are copied."""
    if data is None:
        return None
    if hasattr(data, "to_dict"):
        return data.to_dict()
    return dict(data)


# ----------------------------------------------------------------- Rasa events


def user(
    text: str | None,
    parse_data: Mapping[str, Any] | Any = None,
    input_channel: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    message_id: str | None = None,
    timestamp: float | None = None,
) -> Event:
    """The user said something; ``parse_data`` is the NLU parse (a dict or a ``Parse``)."""
    return {
        "event": USER,
        "timestamp": _stamp(timestamp),
        "text": text,
        "parse_data": _as_dict(parse_data),
        "input_channel": input_channel,
        "message_id": message_id,
        "metadata": dict(metadata or {}),
    }


def bot(
    text: str | None = None,
    data: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    timestamp: float | None = None,
) -> Event:
    """The bot said something; ``data`` holds buttons/image/custom, ``metadata`` e.g. ``{"utter_action": name}``."""
    return {
        "event": BOT,
        "timestamp": _stamp(timestamp),
        "text": text,
        "data": dict(data or {}),
        "metadata": dict(metadata or {}),
    }


def slot_set(name: str, value: Any = None, task_id: str | None = None, timestamp: float | None = None) -> Event:
    """A slot took a value (None unsets it). With ``task_id`` it belongs to that task only."""
    event: Event = {"event": SLOT, "timestamp": _stamp(timestamp), "name": name, "value": value}
    if task_id is not None:
        event["task_id"] = task_id
    return event


def action(
    name: str, policy: str | None = None, confidence: float | None = None, timestamp: float | None = None
) -> Event:
    return {"event": ACTION, "timestamp": _stamp(timestamp), "name": name, "policy": policy, "confidence": confidence}


def followup(name: str, timestamp: float | None = None) -> Event:
    return {"event": FOLLOWUP, "timestamp": _stamp(timestamp), "name": name}


def restart(timestamp: float | None = None) -> Event:
    return {"event": RESTART, "timestamp": _stamp(timestamp)}


def session_started(timestamp: float | None = None) -> Event:
    return {"event": SESSION_STARTED, "timestamp": _stamp(timestamp)}


def reset_slots(timestamp: float | None = None) -> Event:
    return {"event": RESET_SLOTS, "timestamp": _stamp(timestamp)}


def active_loop(name: str | None, timestamp: float | None = None) -> Event:
    return {"event": ACTIVE_LOOP, "timestamp": _stamp(timestamp), "name": name}


def pause(timestamp: float | None = None) -> Event:
    return {"event": PAUSE, "timestamp": _stamp(timestamp)}


def resume(timestamp: float | None = None) -> Event:
    return {"event": RESUME, "timestamp": _stamp(timestamp)}


# ----------------------------------------------------------------- task agenda


def task_started(
    task_id: str,
    task_type: str,
    priority: int,
    slots: Mapping[str, Any] | None = None,
    *,
    goal: str = "book",
    focus: bool = True,
    timestamp: float | None = None,
) -> Event:
    """A new task joins the agenda: in focus (the focused one is suspended) or, with
    ``focus=False``, queued as suspended behind a task of higher priority."""
    return {
        "event": TASK_STARTED,
        "timestamp": _stamp(timestamp),
        "task_id": task_id,
        "task_type": task_type,
        "priority": priority,
        "slots": dict(slots or {}),
        "goal": goal,
        "focus": focus,
    }


def task_updated(
    task_id: str, *, priority: int | None = None, goal: str | None = None, timestamp: float | None = None
) -> Event:
    """A task's priority (an urgency cue, the user's ordering) or goal (find -> book) changed."""
    event: Event = {"event": TASK_UPDATED, "timestamp": _stamp(timestamp), "task_id": task_id}
    if priority is not None:
        event["priority"] = priority
    if goal is not None:
        event["goal"] = goal
    return event


def task_suspended(task_id: str, reason: str | None = None, timestamp: float | None = None) -> Event:
    return {"event": TASK_SUSPENDED, "timestamp": _stamp(timestamp), "task_id": task_id, "reason": reason}


def task_resumed(task_id: str, timestamp: float | None = None) -> Event:
    """The task takes focus again (from suspended, awaiting confirmation or failed)."""
    return {"event": TASK_RESUMED, "timestamp": _stamp(timestamp), "task_id": task_id}


def task_confirmation_requested(task_id: str, timestamp: float | None = None) -> Event:
    """Every required slot is filled and the user was asked to confirm the irreversible action."""
    return {"event": TASK_CONFIRMATION_REQUESTED, "timestamp": _stamp(timestamp), "task_id": task_id}


def task_completed(task_id: str, result: Mapping[str, Any] | None = None, timestamp: float | None = None) -> Event:
    return {"event": TASK_COMPLETED, "timestamp": _stamp(timestamp), "task_id": task_id, "result": dict(result or {})}


def task_cancelled(task_id: str, reason: str | None = None, timestamp: float | None = None) -> Event:
    return {"event": TASK_CANCELLED, "timestamp": _stamp(timestamp), "task_id": task_id, "reason": reason}


def task_failed(task_id: str, error: str | None = None, timestamp: float | None = None) -> Event:
    return {"event": TASK_FAILED, "timestamp": _stamp(timestamp), "task_id": task_id, "error": error}


def conflict_detected(
    kind: str, task_ids: list[str] | tuple[str, ...], detail: Mapping[str, Any] | None = None,
    timestamp: float | None = None,
) -> Event:
    """A conflict the user must settle: kind is e.g. duplicate, time, place, profile, stale."""
    return {
        "event": CONFLICT_DETECTED,
        "timestamp": _stamp(timestamp),
        "kind": kind,
        "task_ids": list(task_ids),
        "detail": dict(detail or {}),
    }


def conflict_resolved(
    kind: str, resolution: str, task_ids: list[str] | tuple[str, ...] | None = None, timestamp: float | None = None
) -> Event:
    """Settles the latest open conflict of ``kind`` (of those ``task_ids`` when given)."""
    event: Event = {"event": CONFLICT_RESOLVED, "timestamp": _stamp(timestamp), "kind": kind, "resolution": resolution}
    if task_ids is not None:
        event["task_ids"] = list(task_ids)
    return event
