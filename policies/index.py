"""Look-ups over a domain that policies need on every turn, computed once per domain."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from assistant.domain import Domain, TaskType

REQUESTED_SLOT = "requested_slot"


@dataclass(frozen=True)
class DomainIndex:
    entity_slot: dict[str, str]  # entity type -> the slot it fills
    owner: dict[str, str]  # slot -> the task type that has it
    profile_slots: frozenset[str]  # slots of no task that the user fills: the profile (diet, feature)
    name_slot: dict[str, str | None]  # task type -> its slot of kind "name"
    task_slot: dict[tuple[str, str], str | None]  # (task type, slot) -> Domain.task_slot_for

    # generic entities (the spaCy pipeline's "date") -> their slot's spec, to keep only canonical values
    generic: dict[str, Any] = field(default_factory=dict)

    def slot_values(self, entities: Iterable[Any]) -> list[tuple[str, Any]]:
        """``(slot, value)`` for each entity that fills a slot, first one per slot."""
        out: dict[str, Any] = {}
        for entity in entities:
            slot = self.entity_slot.get(entity.entity)
            if slot is None or slot in out or entity.value is None:
                continue
            spec = self.generic.get(entity.entity)
            if spec is not None and spec.validate(entity.value)[1] is not None:
                continue  # "next year": a date the pipeline could not make a day of
            out[slot] = entity.value
        return list(out.items())

    def maps(self, task_type: str, slot: str) -> str | None:
        return self.task_slot.get((task_type, slot))

    def label(self, domain: Domain, slot: str) -> str:
        spec = domain.slots.get(slot)
        return spec.label if spec is not None and spec.label else slot


# entities of the spaCy pipeline (nlu/spacy_pipeline.py DEFAULT_NER_LABELS) -> the slot kind they give
GENERIC_ENTITY_KINDS: dict[str, str] = {"date": "day"}

_CACHE: dict[int, tuple[Domain, DomainIndex]] = {}
_LOCK = threading.Lock()


def index(domain: Domain) -> DomainIndex:
    """The index of ``domain`` (domains are immutable, so one per domain object)."""
    hit = _CACHE.get(id(domain))
    if hit is not None and hit[0] is domain:
        return hit[1]
    built = _build(domain)
    with _LOCK:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[id(domain)] = (domain, built)
    return built


def _build(domain: Domain) -> DomainIndex:
    entity_slot: dict[str, str] = {}
    for spec in domain.slots.values():
        if spec.entity is not None:
            entity_slot.setdefault(spec.entity, spec.name)
    owner: dict[str, str] = {}
    for task in domain.tasks.values():
        for slot in task.slot_names:
            owner.setdefault(slot, task.name)
    task_slot = {(t, s): _task_slot(domain, owner, t, s) for t in domain.tasks for s in domain.slots}
    # a date the model left untagged ("somewhere romantic tonight") still fills the task's day: it goes to
    # the first slot of its kind, and from there to the day of the task it serves, as "4 people" does
    generic: dict[str, Any] = {}
    for entity, kind in GENERIC_ENTITY_KINDS.items():
        slot = next((s for s, spec in domain.slots.items() if spec.kind == kind and s in owner), None)
        if slot is not None and entity not in entity_slot:
            entity_slot[entity] = slot
            generic[entity] = domain.slots[slot]
    return DomainIndex(
        entity_slot=entity_slot,
        owner=owner,
        profile_slots=frozenset(
            s for s, spec in domain.slots.items() if s not in owner and s != REQUESTED_SLOT and spec.entity is not None
        ),
        name_slot={t.name: _name_slot(domain, t) for t in domain.tasks.values()},
        task_slot=task_slot,
        generic=generic,
    )


# kinds whose values belong to one task type only: a museum's name is no hotel's name
_OWN_KINDS = frozenset({"name"})


def _task_slot(domain: Domain, owner: dict[str, str], task_type: str, slot: str) -> str | None:
    """Domain.task_slot_for, except that a name never moves to another task type's slot."""
    target = domain.task_slot_for(task_type, slot)
    spec = domain.slots.get(slot)
    if target != slot and spec is not None and spec.kind in _OWN_KINDS and owner.get(slot) not in (None, task_type):
        return None
    return target


def _name_slot(domain: Domain, task: TaskType) -> str | None:
    return next((s for s in task.slot_names if s in domain.slots and domain.slots[s].kind == "name"), None)
