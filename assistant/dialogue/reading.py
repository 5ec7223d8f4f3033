"""Slot values read anew from what this message says and the conversation holds."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, Mapping

from assistant.dialogue.base import TurnBase
from assistant.domain import place_reference
from assistant.state import CANCELLED
from policies import clock_time
from policies.decisions import Decision, SetSlot, StartTask

if TYPE_CHECKING:
    from assistant.state import Task


def _slots_of(decision: SetSlot | StartTask) -> dict[str, Any]:
    """The slot values a decision sets: a new task's, or the one slot's."""
    return dict(decision.slots) if isinstance(decision, StartTask) else {decision.name: decision.value}


def _with_slots(decision: SetSlot | StartTask, read: Mapping[str, Any]) -> SetSlot | StartTask:
    """The decision with its slot values read anew (the same decision when none changed)."""
    if dict(read) == _slots_of(decision):
        return decision
    if isinstance(decision, StartTask):
        return dataclasses.replace(decision, slots=dict(read))
    return dataclasses.replace(decision, value=read[decision.name])


class SlotReading(TurnBase):
    """A bare hour as its slot means it, a place named by its task, a name as the catalogue writes it."""

    def read_hours(self, decision: SetSlot | StartTask) -> SetSlot | StartTask:
        """Bare hours this message gave ("a taxi at 7") as their slots mean them (policies/clock_time.py)."""
        slots = _slots_of(decision)
        if not any(name in self.domain.slots and self.domain.slots[name].hours for name in slots):
            return decision  # most slots have no hours rule: nothing to read, no day to look up
        today = self.on_today(decision)
        read = {name: self.read_hour(name, value, today) for name, value in slots.items()}
        return _with_slots(decision, read)

    def read_places(self, decision: SetSlot | StartTask) -> SetSlot | StartTask:
        """A ride "to my hotel" or "from the restaurant" goes to that task's place, once it has one
        ("to Lockside Guesthouse"): the confirmation names it and the schedule checks compare it."""
        slots = _slots_of(decision)
        read = dict(slots)
        for name, value in slots.items():
            spec = self.domain.slots.get(name)
            if spec is None or spec.kind not in ("origin", "destination") or not self.domain.names_a_task(value):
                continue
            word = place_reference(value)
            for other in reversed(self.state.tasks):
                other_type = self.domain.tasks.get(other.type)
                if other_type is None or other.status == CANCELLED \
                        or word not in (other_type.name, other_type.recommend):
                    continue
                place = other_type.schedule_value("place", other.slots)
                if place is not None:
                    read[name] = place
                    break
        return _with_slots(decision, read)

    def places_now_known(self, task: Task) -> list[Decision]:
        """A ride "to the hotel" that waited for the hotel to be chosen: now it goes to that hotel."""
        out: list[Decision] = []
        for slot, value in task.slots.items():
            spec = self.domain.slots.get(slot)
            if spec is None or spec.kind not in ("origin", "destination") or not self.domain.names_a_task(value):
                continue
            read = self.read_places(SetSlot(slot, value, task.id))
            if isinstance(read, SetSlot) and read.value != value:
                out.append(read)
        return out

    def read_names(self, decision: SetSlot | StartTask) -> SetSlot | StartTask:
        """ "The orchard guesthouse" is The Orchard Guesthouse: a place's name as the catalogue writes
        it, so that the confirmation, the booking and the plans name it as the place itself does."""
        recommender = self.dm.recommender
        if recommender is None:
            return decision
        slots = _slots_of(decision)
        task = self.state.task(decision.task_id) if decision.task_id else None
        task_type = self.domain.tasks.get(decision.task_type if isinstance(decision, StartTask)
                                          else task.type if task is not None else "")
        if task_type is None:
            return decision
        read = dict(slots)
        for name, value in slots.items():
            spec = self.domain.slots.get(name)
            if spec is None or not isinstance(value, str):
                continue
            if spec.kind == "name" and task_type.recommend:
                item = recommender.find(task_type.recommend, value)
            elif spec.kind in ("origin", "destination") and not task_type.schedule.get("day"):
                # a ride "from the orchard guesthouse": any venue's own name (a journey's are towns)
                item = next((found for kind in recommender.catalogue.kinds for found in [recommender.find(kind, value)]
                             if found is not None), None)
            else:
                continue
            if item is not None:
                read[name] = item.name
        return _with_slots(decision, read)

    def read_hour(self, slot: str, value: Any, today: bool = True) -> Any:
        spec = self.domain.slots.get(slot)
        if spec is None or spec.hours is None or not isinstance(value, str) or self.parse is None:
            return value
        said = next((e.text or (self.parse.text or "")[e.start:e.end]
                     for e in self.message_entities() if e.value == value), None)
        if said is None:
            return value  # not from this message (carried over, or set by an action)
        local = time.localtime(self.dm.clock())
        return clock_time.read_hour(value, said, spec.hours, local.tm_hour * 60 + local.tm_min if today else None)

    def message_entities(self) -> list[Any]:
        if self.parse is None:
            return []
        return [e for r in self.requests for e in r.entities] or list(self.parse.entities)

    def on_today(self, decision: SetSlot | StartTask) -> bool:
        """Whether the task is for today: a day this message gives, else the task's own day (none: today)."""
        task = self.state.task(decision.task_id) if decision.task_id else None
        task_type = self.domain.tasks.get(decision.task_type if isinstance(decision, StartTask)
                                          else task.type if task is not None else "")
        if task_type is None or not task_type.schedule.get("day"):
            return True
        known = dict(task.slots) if task is not None else {}
        if isinstance(decision, StartTask):
            known.update(decision.slots)
        day = next((e.value for e in self.message_entities() if self.is_day(e.entity)), None)
        day = day or task_type.schedule_value("day", known)
        return day is None or clock_time.is_today(str(day), self.dm.clock())

    def is_day(self, entity: str) -> bool:
        spec = self.domain.slots.get(entity)
        return spec is not None and spec.kind == "day"
