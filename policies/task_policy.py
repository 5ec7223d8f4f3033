"""Task policy: which task each request belongs to; start, merge, suspend, resume and cancel; the
order in which the requests of one message are served.

    plan(requests, state, domain, ctx)      -> the message's steps, in the order to serve them
    decide(step, state, domain, ctx, ...)   -> decisions for one step, against the state as it is now

A new task takes the focus only if its priority is not lower than the focused one's; otherwise it
waits (suspended, "queued") and the user is told. Priority is the task type's, raised by urgency
("now", "asap", a time within the hour) and by the user's own order ("first the taxi, then ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping

from assistant.domain import display_value, place_reference
from assistant.state import CANCELLED, COMPLETED
from assistant.profile.describe import value_words
from assistant.profile.model import PREFERENCE_ATTRIBUTES, slot_attribute
from assistant.profile.updates import entity_feeling
from policies import cues, slot_policy
from policies.decisions import (
    CANCEL_BOOKING,
    CHANGE_BOOKING,
    CONFLICT,
    FORGET,
    STAYING_GOAL,
    SUGGESTION,
    WHICH_TASK,
    CancelTask,
    CompleteTask,
    Decision,
    DetectConflict,
    ResolveConflict,
    ResumeTask,
    RunAction,
    SetSlot,
    StartTask,
    SuspendTask,
    UpdateTask,
    Utter,
)
from policies.context import pending_question
from policies.clock_time import hhmm
from policies.index import index
from policies.words import join_words, slot_words

if TYPE_CHECKING:
    from assistant.domain import Domain, TaskType
    from assistant.state import DialogueState, Task
    from policies.context import Pending, Request, TurnContext

# step kinds
TASK = "task"
INFORM = "inform"
CANCEL = "cancel"
RESUME = "resume"
PREFERENCE = "preference"
PROFILE = "profile"
PLANS = "plans"
CHITCHAT = "chitchat"
STAY = "stay"  # "I'm staying at the Lockside Guesthouse": where the user is, no booking
OTHER = "other"

CHITCHAT_RESPONSES = {"greet": "utter_greet", "thank": "utter_youre_welcome", "bye": "utter_goodbye",
                      "help": "utter_help", "bot_challenge": "utter_iamabot"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Step:
    kind: str
    request: Request
    task_type: str | None = None
    goal: str = "book"
    priority: int = 0


# ===================================================================== planning a message


def plan(requests: list[Request], state: DialogueState, domain: Domain, ctx: TurnContext,
         message: str = "") -> list[Step]:
    """Steps in serving order: small talk, cancels and "back to ..." first (as said), then the task
    requests by priority, or in the user's own order when they gave one. A request that only adds
    details ("..., at 7pm") joins the task request before it."""
    steps: list[Step] = []
    for request in requests:
        step = classify(request, state, domain, ctx)
        if step.kind == INFORM and steps and steps[-1].kind == TASK:
            previous = steps[-1]
            merged = replace(previous.request, entities=previous.request.entities + request.entities)
            steps[-1] = replace(previous, request=merged)
            continue
        steps.append(step)
    tasks = [s for s in steps if s.kind == TASK]
    others = [s for s in steps if s.kind != TASK]
    if len(tasks) > 1:
        if cues.has_order(message):
            priorities = [s.priority for s in tasks]
            for i in range(len(tasks) - 2, -1, -1):  # each one outranks the ones the user put after it
                priorities[i] = max(priorities[i], priorities[i + 1] + 1)
            tasks = [replace(s, priority=p) for s, p in zip(tasks, priorities)]
        else:
            tasks = sorted(tasks, key=lambda s: -s.priority)  # stable: ties keep the user's order
        tasks = _places_first(tasks, domain)
    return others + tasks


def _places_first(tasks: list[Step], domain: Domain) -> list[Step]:
    """ "A table for 2 at 8 and a taxi there": the taxi goes where the table will be, so the other
    requests of the message come first (each raised above it, as when the user gives the order)."""
    going_there = [s for s in tasks if _goes_there(s, domain)]
    if not going_there or len(going_there) == len(tasks):
        return tasks
    floor = max(s.priority for s in going_there) + 1
    others = [s for s in tasks if s not in going_there]
    # one step apart, so that of equal requests the first still comes first
    return [replace(s, priority=max(s.priority, floor + len(others) - 1 - i)) for i, s in enumerate(others)] \
        + going_there


def _goes_there(step: Step, domain: Domain) -> bool:
    """The request says "there" (or "between them") for a place its task needs and does not name it."""
    task_type = domain.tasks[step.task_type]  # type: ignore[index]
    places = task_type.schedule.get("place", ())
    if not places or not (cues.means_there(step.request.text) or cues.means_between(step.request.text)):
        return False
    named = slot_policy.proposals(task_type.name, step.request.entities, domain)
    return not any(named.get(slot) is not None for slot in places)


def classify(request: Request, state: DialogueState, domain: Domain, ctx: TurnContext) -> Step:
    intent = request.intent
    task_type = domain.task_for_intent(intent)
    asks_resume, named = cues.resume_target(request.text, domain, request.entities)
    if asks_resume and (task_type is None or task_type.name == named):
        target = resume_target(request, state, domain)
        if target is not None:
            return Step(RESUME, request, target.type)
        if named is not None and task_type is None and intent != "cancel_task":  # none to go back to: a new one
            task_type = domain.tasks[named]
            intent = next(iter(task_type.intents), None)
    if intent == "cancel_task":
        return Step(CANCEL, request)
    staying = staying_at(request, domain)
    if staying is not None:
        return Step(STAY, request, staying)
    if task_type is None:
        back = taken_back_unnamed(request, state, domain)
        if back is not None:  # "actually I still need it", just after the taxi was cancelled
            task_type, intent = back, next(iter(back.intents), None)
    if task_type is not None:
        goal = task_type.intents.get(intent, "book")  # type: ignore[arg-type]
        return Step(TASK, request, task_type.name, goal, priority(request, task_type, domain, ctx))
    if intent == "inform_preference":
        return Step(PREFERENCE, request)
    if intent == "ask_plans":
        return Step(PLANS, request)
    if intent in ("ask_profile", "forget_me"):
        return Step(PROFILE, request)
    if intent in CHITCHAT_RESPONSES:
        return Step(CHITCHAT, request)
    if index(domain).slot_values(request.entities):
        return Step(INFORM, request)
    return Step(OTHER, request)


def staying_at(request: Request, domain: Domain) -> str | None:
    """The task type whose place the user says they already have ("I'm staying at the Lockside
    Guesthouse", "our hotel is the Kingsmere"), when the request names such a place and asks to book
    nothing; None otherwise."""
    text = request.text or ""
    if not cues.STAYING.search(text) or cues.BOOKING_WORDS.search(text):
        return None
    idx = index(domain)
    named = cues.named_tasks(text, domain)
    for task_type in domain.tasks.values():
        name_slot = idx.name_slot.get(task_type.name)
        # the place is tagged as this task's, or the words name the task ("our hotel is ...")
        if name_slot in task_type.schedule.get("place", ()) \
                and slot_policy.proposals(task_type.name, request.entities, domain).get(name_slot) \
                and (task_type.name in named or any(e.entity == name_slot for e in request.entities)):
            return task_type.name
    return None


def stay(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    """ "I'm staying at the Lockside Guesthouse": a task of that type, done at once, holds the place
    (so "a taxi from my hotel" and "dinner nearby" know it) with nothing booked; an open search of
    that type is left as it is, in case the user wants another place as well."""
    task_type = domain.tasks[step.task_type]  # type: ignore[index]
    name_slot = index(domain).name_slot[task_type.name]
    place = slot_policy.proposals(task_type.name, step.request.entities, domain)[name_slot]
    task_id = state.next_task_id(task_type.name)
    return [StartTask(task_id, task_type.name, task_type.priority, {name_slot: place}, STAYING_GOAL, focus=False),
            CompleteTask(task_id, {})]


def priority(request: Request, task_type: TaskType, domain: Domain, ctx: TurnContext) -> int:
    """The task type's priority, raised when the request is urgent."""
    urgent = cues.is_urgent(request.text) or _near_time(request, domain, ctx)
    return task_type.priority + (ctx.config.urgency_boost if urgent else 0)


def _near_time(request: Request, domain: Domain, ctx: TurnContext) -> bool:
    """A time within ``near_minutes`` from now, today (or with no day given)."""
    now = ctx.now.hour * 60 + ctx.now.minute
    today = {ctx.now.strftime("%A").lower(), ctx.now.date().isoformat(), "today", "tonight"}
    times, days = [], []
    for slot, value in index(domain).slot_values(request.entities):
        kind = domain.slots[slot].kind
        if kind in ("time", "arrival"):
            minutes = to_minutes(value)
            if minutes is not None:
                times.append(minutes)
        elif kind == "day":
            days.append(str(value).strip().lower())
    if any(day not in today for day in days):
        return False
    return any(0 <= t - now <= ctx.config.near_minutes for t in times)


def to_minutes(value: Any) -> int | None:
    match = _TIME.match(str(value).strip())
    return int(match[1]) * 60 + int(match[2]) if match else None


# ===================================================================== deciding one step


def arrive_before(task: Task, other: Task, domain: Domain, margin_minutes: int) -> list[Decision]:
    """ "A taxi there" to a table booked at 20:00 arrives by 19:45 (``margin_minutes`` before): the
    ride's arrival time, when it has one and no time was given; the confirmation shows it, so the user
    can change it. Nothing when the other task's time is itself an arrival (a train's arrive-by is not
    when it leaves)."""
    times = domain.tasks[task.type].schedule.get("time", ())
    arrival = next((s for s in times if domain.slots[s].kind == "arrival"), None)
    if arrival is None or any(task.slots.get(s) is not None for s in times):
        return []
    other_times = domain.tasks[other.type].schedule.get("time", ())
    slot = next((s for s in other_times if other.slots.get(s) is not None), None)
    if slot is None or domain.slots[slot].kind == "arrival":
        return []
    minutes = to_minutes(other.slots[slot])
    if minutes is None or minutes < margin_minutes:
        return []
    target = minutes - margin_minutes
    return [SetSlot(arrival, hhmm(target), task.id)]


def label(domain: Domain, task: Task | str) -> str:
    name = task if isinstance(task, str) else task.type
    task_type = domain.tasks.get(name)
    if task_type is None:
        return name
    return task_type.label if isinstance(task, str) else task_type.label_for(task.goal)


def start_or_merge(step: Step, state: DialogueState, domain: Domain, announce: bool = True) -> list[Decision]:
    """A request for a task type: merged into the open task of that type, or a new task that takes the
    focus or waits behind a more important one."""
    task_type = domain.tasks[step.task_type]  # type: ignore[index]
    request = step.request
    proposed = slot_policy.proposals(task_type.name, request.entities, domain)
    out: list[Decision] = profile_values(request, domain)
    existing = None if cues.wants_another(request.text) else state.task_of_type(task_type.name)
    booked = _booked(state, task_type.name, domain) if existing is None and not cues.wants_another(request.text) \
        else None
    if booked is not None and proposed and cues.CORRECTION.search(request.text or "") \
            and any(booked.slots.get(s) != v for s, v in proposed.items()):
        return out + _ask_change_booking(booked, proposed, domain)  # "can we move the taxi to 6pm instead?"
    party = _party_for_booking(booked, existing, task_type, proposed, request, state, domain)
    if party is not None:
        return out + party
    restored = _taken_back(state, task_type, request) if existing is None else None
    if restored is not None:
        # "I do want the hotel after all": as it was when cancelled, with what this message changes
        kept = {s: v for s, v in restored.slots.items() if s != task_type.reference_slot and v is not None}
        started = start(task_type, step.priority, restored.goal, {**kept, **proposed}, state, domain, announce,
                        step.request.text)
        task_id = next((d.task_id for d in started if isinstance(d, StartTask)), None)
        return out + started + [Utter("utter_task_restored", {"task": label(domain, restored)}, task_id)]
    if existing is None:
        return out + start(task_type, step.priority, step.goal, proposed, state, domain, announce, step.request.text)
    return out + _merge(step, existing, task_type, proposed, state, domain, announce)


# "I do want the hotel after all", "on second thoughts, book the taxi": a cancelled task taken back
_CHANGED_MIND = re.compile(r"\b(?:after all|change[ds]? my mind|on second thoughts?|(?:do|still) (?:want|need)"
                           r"|want it back|un-?cancel|bring (?:it|the \w+) back)\b", re.I)


# "I still need it", "I want that after all": the pronoun of a task taken back without naming it
_IT = re.compile(r"\b(?:it|that|that one|them)\b", re.I)


def taken_back_unnamed(request: Request, state: DialogueState, domain: Domain) -> TaskType | None:
    """ "Actually I still need it" right after a task was cancelled (it is the last thing that happened
    to any task), in words that name no task: that task's type, so the request takes it back as if it
    were named. None for anything else."""
    text = request.text or ""
    if not _CHANGED_MIND.search(text) or not _IT.search(text) or cues.wants_another(text) \
            or cues.named_tasks(text, domain, request.entities) or not state.tasks:
        return None
    latest = max(state.tasks, key=lambda t: t.updated_turn)
    if latest.status != CANCELLED or any(t.updated_turn == latest.updated_turn and t is not latest
                                         for t in state.tasks):
        return None
    return domain.tasks.get(latest.type)


def _taken_back(state: DialogueState, task_type: TaskType, request: Request) -> Task | None:
    """The task of this type the user cancelled last, when the request takes it back; None when the
    latest task of the type was not cancelled or the words start afresh."""
    if not _CHANGED_MIND.search(request.text or "") or cues.wants_another(request.text):
        return None
    latest = state.task_of_type(task_type.name, open_only=False)
    return latest if latest is not None and latest.status == CANCELLED else None


# "book it for 3", "tickets for them": a pronoun back to something already in the conversation
_REFERS_BACK = re.compile(r"\b(?:it|them|that|those|the tickets)\b", re.I)


def _party_for_booking(booked: Task | None, existing: Task | None, task_type: TaskType, proposed: dict[str, Any],
                       request: Request, state: DialogueState, domain: Domain) -> list[Decision] | None:
    """ "I need tickets for 2" right after the train was booked for 2 (MultiWOZ users say it once a
    train is found; ours is booked by then): it is booked already, and a different number asks to
    change it. "Book it for 3" misread as a table with no restaurant in the conversation is about
    the booking just made. None when the request is anything else (a second train, another day)."""
    if existing is not None or not proposed or not all(_kind(s, domain) == "people" for s in proposed):
        return None
    latest = state.tasks[-1] if state.tasks else None
    if latest is None or latest.status != COMPLETED:
        return None
    if booked is None and (latest.type == task_type.name or state.task_of_type(task_type.name, open_only=False)
                           or not _REFERS_BACK.search(request.text or "")):
        return None
    target = booked if booked is not None else _booked(state, latest.type, domain)
    if target is None or target is not latest:
        return None
    people = next((s for s in domain.tasks[target.type].slot_names if _kind(s, domain) == "people"), None)
    if people is None:
        return None
    value = next(iter(proposed.values()))
    if target.slots.get(people) == value:
        reference = target.slots.get(domain.tasks[target.type].reference_slot)
        return [Utter("utter_already_booked", {"task": label(domain, target), "reference": reference,
                                               "value": display_value(value)}, target.id)]
    return _ask_change_booking(target, {people: value}, domain)


def _kind(slot: str, domain: Domain) -> str | None:
    spec = domain.slots.get(slot)
    return spec.kind if spec is not None else None


def start(task_type: TaskType, priority: int, goal: str, proposed: dict[str, Any], state: DialogueState,
          domain: Domain, announce: bool = True, words: str | None = None) -> list[Decision]:
    """A new task: it takes the focus unless the focused one is more important, then it waits (and the
    user is told). A question ("what can I eat nearby?", goal find) asked while the focused task only
    waits for an answer to its own suggestion is answered at once: the user is choosing, nothing is
    under way, and the suggestion is offered again when that task comes back. A ride to or from the
    place the focused task is still choosing ("and a taxi to the hotel") waits for it, unless the
    ``words`` break off on purpose ("hold on, ...")."""
    checked = slot_policy.check({}, proposed, domain, state)
    task_id = state.next_task_id(task_type.name)
    focused = state.focused_task
    take = focused is None or priority >= focused.priority or (goal == "find" and _choosing(focused, state))
    if take and focused is not None and _goes_to_unchosen_place(checked.values, focused, domain) \
            and not cues.interrupts(words):
        take = False  # "a taxi to the hotel" while the hotel is being chosen: once it is, the ride knows where
    out: list[Decision] = []
    if take and focused is not None:
        out += _suspend(focused, f"interrupted by {task_id}", domain, announce)
    out.append(StartTask(task_id, task_type.name, priority, checked.values, goal, focus=take))
    out += slot_policy.invalid_asks(task_id, checked, domain)
    if not take and announce and focused is not None:
        out.append(Utter("utter_queue_task", {"task": task_type.label_for(goal),
                                              "current": ahead_of(priority, state, domain)}))
    return out


def ahead_of(priority: int, state: DialogueState, domain: Domain) -> str:
    """What comes before a task of this priority that waits: the task in focus, then the waiting ones
    more important than it ("taxi and the hotel": the hotel resumes first, so the user is told so)."""
    focused = state.focused_task
    ahead = [focused] if focused is not None else []
    ahead += [t for t in state.suspended_tasks() if t.priority > priority and t is not focused]
    return join_words([label(domain, t) if i == 0 else f"the {label(domain, t)}" for i, t in enumerate(ahead)])


def _goes_to_unchosen_place(values: Mapping[str, Any], focused: Task, domain: Domain) -> bool:
    """A ride to or from "the hotel" while the hotel in focus has no place yet."""
    focused_type = domain.tasks.get(focused.type)
    if focused_type is None or focused_type.schedule_value("place", focused.slots) is not None:
        return False
    return any(_kind(slot, domain) in ("origin", "destination") and domain.names_a_task(value)
               and place_reference(value) in (focused_type.name, focused_type.recommend)
               for slot, value in values.items())


def _choosing(task: Task, state: DialogueState) -> bool:
    """The question this message answers was a suggestion for ``task``: the user is choosing, nothing
    is under way."""
    pending = pending_question(state, answered=True)
    return pending is not None and pending.expects == SUGGESTION and pending.task_id == task.id


def _merge(step: Step, existing: Task, task_type: TaskType, proposed: dict[str, Any], state: DialogueState,
           domain: Domain, announce: bool) -> list[Decision]:
    """The same task type asked for again: one task, the slots merged. A request that would change what
    was already agreed on a task not in focus may mean a second one: ask."""
    checked = slot_policy.check(existing.slots, proposed, domain, state)
    focused_now = existing.id == state.focus
    repeated = not focused_now and existing.created_turn < state.turn
    out: list[Decision] = []
    ids = (existing.id,)
    # "actually make it 3 tickets" says which: the one there is, corrected (no second journey to ask about)
    if repeated and checked.corrected and not cues.CORRECTION.search(step.request.text or ""):
        detail = {"task_type": task_type.name, "slots": dict(checked.values), "goal": step.goal,
                  "priority": step.priority}
        return [
            DetectConflict("duplicate", ids, detail),
            Utter("utter_conflict_duplicate", {"task": label(domain, existing)}, existing.id, expects=CONFLICT,
                  conflict={"kind": "duplicate", "task_ids": list(ids)}),
        ]
    if repeated:
        out += [DetectConflict("duplicate", ids, {"task_type": task_type.name, "slots": dict(checked.values)}),
                ResolveConflict("duplicate", "merged", ids)]
    out += slot_policy.fill(existing.id, checked, domain, announce_corrections=focused_now)
    new_priority = step.priority if step.priority > existing.priority else None
    new_goal = "book" if step.goal == "book" and existing.goal != "book" else None
    if new_priority is not None or new_goal is not None:
        out.append(UpdateTask(existing.id, priority=new_priority, goal=new_goal))
    if repeated:
        out.append(Utter("utter_task_merged", {"task": task_type.label_for(new_goal or existing.goal)}, existing.id))
    if not focused_now:
        out += bring_forward(existing, max(step.priority, existing.priority), state, domain, announce)
    return out


def bring_forward(task: Task, priority: int, state: DialogueState, domain: Domain,
                  announce: bool = True) -> list[Decision]:
    """Give ``task`` the focus if its priority allows, else leave it waiting (and say so)."""
    focused = state.focused_task
    if focused is None or priority >= focused.priority:
        out = _suspend(focused, f"{task.id} came back", domain, announce) if focused is not None else []
        return out + [ResumeTask(task.id)]
    if announce:
        return [Utter("utter_queue_task", {"task": label(domain, task), "current": ahead_of(priority, state, domain)})]
    return []


def _suspend(task: Task, reason: str, domain: Domain, announce: bool) -> list[Decision]:
    out: list[Decision] = [SuspendTask(task.id, reason)]
    if announce:
        out.append(Utter("utter_suspend_task", {"task": label(domain, task)}, task.id))
    return out


def announce_queue(order: list[str], state: DialogueState, domain: Domain) -> list[Decision]:
    """One line for a message that asked for several things: what comes first, what waits."""
    tasks = [t for t in (state.task(i) for i in dict.fromkeys(order)) if t is not None and t.is_open]
    if len(tasks) < 2:
        return []
    first = next((t for t in tasks if t.id == state.focus), None)
    if first is None:
        focused = state.focused_task
        current = label(domain, focused) if focused is not None else "current one"
        names = join_words([label(domain, t) for t in tasks])
        return [Utter("utter_queue_task", {"task": names, "current": current})]
    later = [label(domain, t) for t in tasks if t is not first]
    return [Utter("utter_queue_tasks", {"task": label(domain, first),
                                        "later": join_words(["the " + x for x in later])})]


def inform(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    """Details without a task intent: they go to the task in focus (moved to its slot of the same kind),
    else to the open task that has the slot, else they start that task. ``[]``: nothing usable."""
    idx = index(domain)
    request = step.request
    out: list[Decision] = profile_values(request, domain)
    focused = state.focused_task
    per_task: dict[str, dict[str, Any]] = {}
    leftovers: list[tuple[str, Any]] = []
    for slot, value in idx.slot_values(request.entities):
        if slot in idx.profile_slots:
            continue
        target = idx.maps(focused.type, slot) if focused is not None else None
        if target is not None:
            per_task.setdefault(focused.id, {}).setdefault(target, value)  # type: ignore[union-attr]
        else:
            leftovers.append((slot, value))
    if focused is not None and len(leftovers) == 1 and not per_task.get(focused.id):
        # "from the Lensfield hotel" answering "where should the taxi pick you up?"
        asked = slot_policy.fits_question(focused, leftovers[0][0], domain)
        if asked is not None:
            per_task[focused.id] = {asked: leftovers.pop()[1]}
    new_tasks: dict[str, dict[str, Any]] = {}
    changes: dict[str, dict[str, Any]] = {}
    for slot, value in leftovers:
        owner = idx.owner.get(slot)
        if owner is None:
            continue
        open_task = state.task_of_type(owner)
        waiting = waiting_for(state, slot, domain) if open_task is None else None
        corrected = corrected_by(state, slot, value, request.text, domain) if open_task is None and not waiting else None
        booked = None
        if open_task is None and waiting is None and corrected is None:
            booked = _booked(state, owner, domain) or _booked_with(state, slot, domain)
        booked_slot = idx.maps(booked.type, slot) if booked is not None else None
        if booked_slot and cues.CORRECTION.search(request.text or "") and booked.slots.get(booked_slot) != value:
            # "actually make it 2pm" after the table is booked, "make it 3 people" after the train
            changes.setdefault(booked.id, {})[booked_slot] = value  # type: ignore[union-attr]
        elif open_task is not None:
            per_task.setdefault(open_task.id, {}).setdefault(slot, value)
        elif waiting is not None:  # "2 people" while the hotel waits for its guests: the hotel's answer
            per_task.setdefault(waiting.id, {}).setdefault(idx.maps(waiting.type, slot), value)  # type: ignore[arg-type]
        elif corrected is not None:  # "actually make it 3 people" (tagged for a table) with the train set for 2
            per_task.setdefault(corrected.id, {}).setdefault(idx.maps(corrected.type, slot), value)  # type: ignore[arg-type]
        else:  # "the Fitzwilliam Museum" with no sightseeing under way: that is a request for it
            new_tasks.setdefault(owner, {}).setdefault(slot, value)
    for task_id, proposed in per_task.items():
        task = state.task(task_id)
        checked = slot_policy.check(task.slots, proposed, domain, state)  # type: ignore[union-attr]
        out += slot_policy.fill(task_id, checked, domain)
        # "I've changed the number of tickets to 3" says it already: no "Got it, I've updated ..." too
        if task_id != state.focus and checked.values and not checked.corrected:
            out.append(Utter("utter_task_merged", {"task": label(domain, task)}, task_id))  # type: ignore[arg-type]
    for task_id, proposed in changes.items():
        return out + _ask_change_booking(state.task(task_id), proposed, domain)  # type: ignore[arg-type]
    for owner, proposed in new_tasks.items():
        task_type = domain.tasks[owner]
        goal = "find" if "find" in task_type.intents.values() else "book"
        return out + start(task_type, task_type.priority, goal, proposed, state, domain)  # one new task per request
    return out


def _booked_with(state: DialogueState, slot: str, domain: Domain) -> Task | None:
    """The latest booking that went through, of any type, with a slot of ``slot``'s kind set."""
    idx = index(domain)
    for task in reversed(state.tasks):
        target = idx.maps(task.type, slot)
        if target and task.slots.get(target) is not None and _booked(state, task.type, domain) is task:
            return task
    return None


def _booked(state: DialogueState, task_type: str, domain: Domain) -> Task | None:
    """The latest booking of a type that went through and can be cancelled (so changed)."""
    spec = domain.tasks.get(task_type)
    if spec is None or not spec.cancel_action:
        return None
    task = state.task_of_type(task_type, open_only=False)
    return task if task is not None and task.status == COMPLETED and task.slots.get(spec.reference_slot) else None


def _ask_change_booking(task: Task, proposed: dict[str, Any], domain: Domain) -> list[Decision]:
    """ "Your restaurant booking is already booked (reference X). Shall I change the time to 14:00?"
    The new values travel with the question (its ``conflict`` record) to the answer. A time of a
    kind the booking does not have ("to 6pm" read as the arrival, for a taxi booked by its pick-up
    time) changes the time it has: "move it to 6pm" moves what was set."""
    task_type = domain.tasks[task.type]
    moved: dict[str, Any] = {}
    for slot, value in proposed.items():
        group = next((g for g in task_type.required if slot in g and len(g) > 1), ())
        filled = [s for s in group if task.slots.get(s) is not None]
        moved[slot if not filled or slot in filled else filled[0]] = value
    proposed = {s: v for s, v in moved.items() if task.slots.get(s) != v}
    if not proposed:  # "move it to 5pm" when it is at 5pm already
        return [Utter("utter_booking_kept", {"task": label(domain, task)}, task.id)]
    checked = slot_policy.check(task.slots, proposed, domain)
    if not checked.values:
        return slot_policy.invalid_asks(task.id, checked, domain)
    idx = index(domain)
    fix = join_words([f"the {idx.label(domain, s)} to {display_value(v)}" for s, v in checked.values.items()])
    reference = task.slots.get(domain.tasks[task.type].reference_slot)
    values = {"task": label(domain, task), "reference": reference, "fix": fix}
    change = {"kind": CHANGE_BOOKING, "task_ids": [task.id], "slots": dict(checked.values)}
    return [Utter("utter_ask_change_booking", values, task.id, expects=CHANGE_BOOKING, conflict=change)]


def answer_change_booking(pending: Pending, state: DialogueState, request: Request,
                          domain: Domain) -> list[Decision] | None:
    """The reply to "shall I change it?": yes cancels the booking and reopens the task with the new
    values (it is confirmed and booked again); no keeps the booking as it is."""
    task = state.task(pending.task_id) if pending.task_id else None
    task_type = domain.tasks.get(task.type) if task is not None else None
    slots = dict((pending.conflict or {}).get("slots") or {})
    reply = cues.yes_or_no(request.intent, request.text)
    if task is None or task_type is None or not task_type.cancel_action or not slots or reply is None:
        return None
    if reply == "yes" and task.status == COMPLETED:
        return [RunAction(task.id, task_type.cancel_action, cancels=True, rebook=tuple(slots.items()))]
    return [Utter("utter_booking_kept", {"task": label(domain, task)}, task.id)]


def waiting_for(state: DialogueState, slot: str, domain: Domain) -> Task | None:
    """The waiting (open, not focused) task that a bare value tagged ``slot`` answers: the one that
    asked for a slot of its kind, else the only one with that slot still empty. None when there is
    none, or when several could take it and none asked."""
    idx = index(domain)
    candidates = []
    for task in state.open_tasks():
        target = idx.maps(task.type, slot) if task.id != state.focus else None
        if target is not None and task.slots.get(target) is None:
            candidates.append((task, target))
    asked = [task for task, target in candidates if task.requested_slot == target]
    if asked:
        return asked[-1]
    return candidates[0][0] if len(candidates) == 1 else None


def corrected_by(state: DialogueState, slot: str, value: Any, text: str | None, domain: Domain) -> Task | None:
    """The waiting (open, not focused) task that "actually make it 3 people" corrects when the value
    is tagged for a task that is not open: the latest one with a slot of its kind set to another value."""
    if not cues.CORRECTION.search(text or ""):
        return None
    idx = index(domain)
    for task in reversed(state.open_tasks()):
        target = idx.maps(task.type, slot) if task.id != state.focus else None
        if target is not None and task.slots.get(target) not in (None, value):
            return task
    return None


def profile_values(request: Request, domain: Domain) -> list[Decision]:
    """Profile facts in a request ("I'm vegetarian"): global slots, kept across tasks."""
    idx = index(domain)
    out: list[Decision] = []
    for slot, value in idx.slot_values(request.entities):
        if slot in idx.profile_slots:
            checked, hint = domain.slots[slot].validate(value)
            if hint is None:
                out.append(SetSlot(slot, checked))
    return out


def preference(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    """ "I'm vegetarian", "I love Indian food": the profile keeps it; a detail the focused task can use fills it."""
    out = profile_values(step.request, domain)
    idx = index(domain)
    request = step.request
    # each value with the feeling of its own clause: "I'm vegetarian and I hate loud places"
    liked, words = [], []
    for entity in request.entities:
        slot = idx.entity_slot.get(entity.entity)
        if slot is None or entity.value is None:
            continue
        # a diet is a constraint whatever the words around it ("I'm vegetarian and I hate ...")
        against = domain.slots[slot].kind != "diet" and entity_feeling(request.text, entity) < 0
        words.append(("no " if against else "") + _taste_words(slot, entity.value, domain))
        if not against:  # "I hate seafood" is no search for seafood
            liked.append(entity)
    focused = state.focused_task
    if focused is not None:
        # "I love Indian and Thai food" is a taste, no search for one of them: a slot that would get
        # several values is left to the ranking (the profile keeps them all)
        values: dict[str, set] = {}
        for entity in liked:
            values.setdefault(idx.entity_slot.get(entity.entity), set()).add(str(entity.value).lower())
        single = [e for e in liked if len(values[idx.entity_slot.get(e.entity)]) == 1]
        proposed = {s: v for s, v in slot_policy.proposals(focused.type, single, domain).items()
                    if focused.slots.get(s) is None}
        out += slot_policy.fill(focused.id, slot_policy.check(focused.slots, proposed, domain, state), domain)
    text = join_words(list(dict.fromkeys(words))) if words else request.text
    return out + [Utter("utter_preference_noted", {"preference": text})]


def _taste_words(slot: str, value: Any, domain: Domain) -> str:
    """A stated value as the profile says it: "Indian food", "museums", "loud places"; a diet as itself;
    a party size and a day as what they are ("a party of 4", "Saturday")."""
    kind = domain.slots[slot].kind
    if kind == "people":
        return f"a party of {display_value(value)}"
    if kind == "day":
        return str(slot_words(kind, value))
    attribute = slot_attribute(slot)
    if domain.slots[slot].kind == "diet" or attribute not in PREFERENCE_ATTRIBUTES:
        return display_value(value)
    return value_words(attribute, display_value(value).lower())


def profile(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    idx = index(domain)
    known = {s: v for s, v in state.slots.items() if s in idx.profile_slots and v is not None}
    if step.request.intent == "forget_me":
        return [Utter("utter_confirm_forget", expects=FORGET)]
    if not known:
        return [Utter("utter_profile_empty")]
    facts = "; ".join(f"{idx.label(domain, s)}: {display_value(v)}" for s, v in known.items())
    return [Utter("utter_profile", {"profile": facts})]


def chitchat(step: Step) -> list[Decision]:
    text = step.request.text or ""
    if cues.bare_acknowledgement(text):
        return []  # a bare 👍 or 🙂, whatever intent the NLU guessed for it: noted, the open question goes on
    return [Utter(CHITCHAT_RESPONSES[step.request.intent])]  # type: ignore[index]


def cancel(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    """Cancel the task(s) named ("cancel the taxi", "cancel everything"), or the one in focus ("cancel it")."""
    request = step.request
    open_tasks = state.open_tasks()
    named = _named_types(request, domain)
    if not open_tasks:
        return _cancel_booking(state, domain, named)
    if cues.wants_everything(request.text):
        targets = open_tasks
    else:
        if named:
            targets = [t for t in (state.task_of_type(n) for n in named) if t is not None]
            if not targets:
                return _cancel_booking(state, domain, named)
        elif state.focused_task is not None:
            targets = [state.focused_task]
        elif len(open_tasks) == 1:
            targets = open_tasks
        else:
            options = join_words(["the " + label(domain, t) for t in open_tasks], "or")
            return [Utter("utter_ask_which_task", {"options": options}, expects=WHICH_TASK)]
    out: list[Decision] = []
    for task in targets:
        out += [CancelTask(task.id, "user"), Utter("utter_cancel_task", {"task": label(domain, task)})]
    return out


def _cancel_booking(state: DialogueState, domain: Domain, named: list[str]) -> list[Decision]:
    """ "Cancel the taxi" once it is booked: the latest booking of the named kind (or the latest
    of all) that can be cancelled is asked about; nothing to cancel otherwise."""
    for task in reversed(state.tasks):
        task_type = domain.tasks.get(task.type)
        if task.status != COMPLETED or task_type is None or not task_type.cancel_action:
            continue
        reference = task.slots.get(task_type.reference_slot)
        if reference and (not named or task.type in named):
            values = {"task": label(domain, task), "reference": reference}
            return [Utter("utter_ask_cancel_booking", values, task.id, expects=CANCEL_BOOKING)]
    return [Utter("utter_nothing_to_cancel")]


def answer_cancel_booking(pending: Pending, state: DialogueState, request: Request,
                          domain: Domain) -> list[Decision] | None:
    """The reply to "shall I cancel the booking?": yes runs the task's cancel action, no keeps it."""
    task = state.task(pending.task_id) if pending.task_id else None
    task_type = domain.tasks.get(task.type) if task is not None else None
    reply = cues.yes_or_no(request.intent, request.text)
    if task is None or task_type is None or not task_type.cancel_action or reply is None:
        return None
    if reply == "yes":
        return [RunAction(task.id, task_type.cancel_action, cancels=True)]
    return [Utter("utter_booking_kept", {"task": label(domain, task)}, task.id)]


def answer_which(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """The reply to "which one do you mean?" after a cancel."""
    named = _named_types(request, domain)
    targets = [t for t in (state.task_of_type(n) for n in named) if t is not None]
    if not targets:
        return None
    out: list[Decision] = []
    for task in targets:
        out += [CancelTask(task.id, "user"), Utter("utter_cancel_task", {"task": label(domain, task)})]
    return out


def _named_types(request: Request, domain: Domain) -> list[str]:
    named = cues.named_tasks(request.text, domain)
    idx = index(domain)
    for slot, _ in idx.slot_values(request.entities):
        owner = idx.owner.get(slot)
        if owner is not None and owner not in named:
            named.append(owner)
    return named


def resume_target(request: Request, state: DialogueState, domain: Domain) -> Task | None:
    """The task "let's go back to the hotel" brings back: the one named (open, or cancelled with its
    details), or without a name the first waiting one. None: the request asks for no going back, or
    there is nothing to go back to."""
    asks_resume, named = cues.resume_target(request.text, domain, request.entities)
    if not asks_resume:
        return None
    return _resumable(state, named) if named else next(iter(state.suspended_tasks()), None)


def _resumable(state: DialogueState, task_type: str) -> Task | None:
    """The open task of a type, else the latest one that was cancelled or dropped (revived, details intact)."""
    task = state.task_of_type(task_type)
    if task is None:
        task = state.task_of_type(task_type, open_only=False)
        if task is not None and task.status != CANCELLED:
            return None
    return task


def resume(step: Step, state: DialogueState, domain: Domain) -> list[Decision]:
    """ "Let's go back to the hotel": that task takes the focus, whatever its priority (the user asked);
    a cancelled or dropped one comes back with what it had."""
    target = _resumable(state, step.task_type) if step.task_type else None  # type: ignore[arg-type]
    if target is None or target.id == state.focus:
        return []
    focused = state.focused_task
    out: list[Decision] = [SuspendTask(focused.id, f"user went back to {target.id}")] if focused else []
    return out + [ResumeTask(target.id)]


def resume_next(state: DialogueState) -> list[Decision]:
    """Nothing in focus: the most important waiting task comes back."""
    waiting = state.suspended_tasks()
    return [ResumeTask(waiting[0].id)] if waiting else []
