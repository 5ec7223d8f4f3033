"""Conflicts, each detected once and resolved, never ignored:

* ``duplicate`` - the same task type asked for again (task_policy merges it, or asks here when the
  request would change what was agreed: update that one, or start a second?);
* ``profile``   - a request against a constraint the user stated ("I'm vegetarian", then a steakhouse):
  ask; keep it, or drop it and ask again;
* ``time``      - two plans too close on the same day (a table at 19:00, a train leaving 18:45);
* ``place``     - a ride to a booked place that gets there after the booking: point it out, offer a fix;
* ``stale``     - a suspended task untouched for N turns: asked about once, dropped if still untouched
  after a reminder that was the turn's only question (one asked beside a slot question can be passed over).

``detect`` raises at most one new conflict per turn (one question at a time); ``answer`` settles the
conflict the user was just asked about; ``recheck`` settles open ones that no longer hold or that
the user passed over; ``stale`` reminds and expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Iterator

from assistant.domain import display_value
from assistant.state import CANCELLED, FAILED, SUSPENDED, Conflict
from policies import cues, slot_policy, task_policy
from policies.decisions import (
    CONFLICT,
    CancelTask,
    Decision,
    DetectConflict,
    ResolveConflict,
    SetSlot,
    UpdateTask,
    Utter,
)
from policies.clock_time import hhmm
from policies.index import index
from policies.task_policy import label, to_minutes
from policies.words import slot_words

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState, Task
    from policies.context import Pending, Request, TurnContext

DUPLICATE = "duplicate"
PROFILE = "profile"
TIME = "time"
PLACE = "place"
STALE = "stale"

# food (or restaurant-name) words that a dietary constraint rules out, as substrings of the value
DIET_CLASHES: dict[str, tuple[str, ...]] = {
    "vegetarian": ("steak", "grill", "bbq", "barbecue", "burger", "meat", "carvery", "rotisserie", "chop house",
                   "chicken", "smokehouse"),
    "vegan": ("steak", "grill", "bbq", "barbecue", "burger", "meat", "carvery", "rotisserie", "chop house",
              "chicken", "smokehouse", "seafood", "fish", "sushi", "cheese", "dairy", "creamery"),
    "pescatarian": ("steak", "bbq", "barbecue", "burger", "meat", "carvery", "rotisserie", "chop house",
                    "chicken", "smokehouse"),
    "halal": ("pork", "ham", "bacon"),
    "kosher": ("pork", "ham", "bacon", "shellfish", "lobster", "oyster"),
}
DIET_SYNONYMS = {"veggie": "vegetarian", "plant-based": "vegan", "plant based": "vegan", "pescetarian": "pescatarian"}


@dataclass(frozen=True)
class _Found:
    kind: str
    task_ids: tuple[str, ...]
    detail: dict[str, Any]
    response: str
    values: dict[str, Any]
    task_id: str

    def decisions(self) -> list[Decision]:
        ref = {"kind": self.kind, "task_ids": list(self.task_ids)}
        return [DetectConflict(self.kind, self.task_ids, self.detail),
                Utter(self.response, self.values, self.task_id, expects=CONFLICT, conflict=ref)]


# ===================================================================== detection


def detect(state: DialogueState, domain: Domain, ctx: TurnContext) -> list[Decision]:
    """The first conflict not raised before (with these values), as a question; ``[]`` if none."""
    for found in _candidates(state, domain, ctx):
        if not _raised_before(state, found):
            return found.decisions()
    return []


def _candidates(state: DialogueState, domain: Domain, ctx: TurnContext) -> Iterator[_Found]:
    yield from _profile_conflicts(state, domain, ctx)
    yield from _schedule_conflicts(state, domain, ctx)


def _raised_before(state: DialogueState, found: _Found) -> bool:
    signature = found.detail.get("signature")
    return any(c.kind == found.kind and tuple(c.task_ids) == found.task_ids and c.detail.get("signature") == signature
               for c in state.conflicts)


def _diet(state: DialogueState, domain: Domain) -> str | None:
    idx = index(domain)
    for slot in idx.profile_slots:
        if domain.slots[slot].kind == "diet" and state.slots.get(slot):
            value = str(state.slots[slot]).strip().lower()
            return DIET_SYNONYMS.get(value, value)
    return None


def _profile_conflicts(state: DialogueState, domain: Domain, ctx: TurnContext | None = None) -> Iterator[_Found]:
    diet = _diet(state, domain)
    words = DIET_CLASHES.get(diet or "", ())
    lookup = ctx.diet_clash if ctx is not None else None
    if diet is None or not (words or lookup):
        return
    for task in state.open_tasks():
        if any(c.kind == PROFILE and tuple(c.task_ids) == (task.id,) and c.resolution == "kept"
               and c.detail.get("constraint") == diet for c in state.conflicts):
            continue  # "keep it" to the steakhouse: its steakhouses are no news, not asked about again
        for slot, value in _clash_slots(task, domain, words, diet, lookup):
            detail = {"slot": slot, "value": value, "constraint": diet, "signature": f"{slot}={value}|{diet}"}
            yield _Found(PROFILE, (task.id,), detail, "utter_conflict_profile",
                         {"constraint": diet, "value": display_value(value)}, task.id)


def _clash_slots(task: Task, domain: Domain, words: tuple[str, ...], diet: str = "",
                 lookup: Any = None) -> Iterator[tuple[str, Any]]:
    kinds = {domain.slots[s].kind for s in task.slots if s in domain.slots}
    if "food" not in kinds:
        task_type = domain.tasks.get(task.type)
        if task_type is None or not any(domain.slots[s].kind == "food" for s in task_type.slot_names
                                        if s in domain.slots):
            return  # only places that serve food clash with a diet
    kind = domain.tasks[task.type].recommend if task.type in domain.tasks else None
    for slot, value in task.slots.items():
        spec = domain.slots.get(slot)
        if spec is None or spec.kind not in ("food", "name") or value is None:
            continue
        if any(w in str(value).lower() for w in words):
            yield slot, value
        elif spec.kind == "name" and lookup is not None and lookup(kind or task.type, value, diet):
            yield slot, value  # "a table at The Butcher's Block": the catalogue knows it is a steakhouse


@dataclass(frozen=True)
class _When:
    task: Task
    minutes: int
    slot: str  # the slot giving the time
    day: str | None
    has_day: bool  # the task type has a day at all (a taxi has none: it is today's)
    place: str | None
    to_place: bool  # the place is where it takes you (a taxi's destination)


def _when(task: Task, domain: Domain) -> _When | None:
    task_type = domain.tasks.get(task.type)
    if task_type is None:
        return None
    slot = next((s for s in task_type.schedule.get("time", ()) if task.slots.get(s) is not None), None)
    minutes = to_minutes(task.slots[slot]) if slot else None
    if minutes is None:
        return None
    has_day = bool(task_type.schedule.get("day"))
    day = task_type.schedule_value("day", task.slots)
    if has_day and day is None:
        return None  # not known yet: nothing to compare
    place_slots = task_type.schedule.get("place", ())
    place_slot = next((s for s in place_slots if task.slots.get(s) is not None), None)
    spec = domain.slots.get(place_slot) if place_slot else None
    return _When(task, minutes, slot, None if day is None else str(day).lower(), has_day,  # type: ignore[arg-type]
                 None if place_slot is None else str(task.slots[place_slot]),
                 spec is not None and spec.kind == "destination")


def _schedule_conflicts(state: DialogueState, domain: Domain, ctx: TurnContext) -> Iterator[_Found]:
    timed = [w for w in (_when(t, domain) for t in state.tasks if t.status not in (CANCELLED, FAILED)) if w]
    for a, b in combinations(timed, 2):
        if not (a.task.is_open or b.task.is_open):
            continue
        found = _late_ride(a, b, domain, ctx) or _late_ride(b, a, domain, ctx) or _too_close(a, b, domain, ctx)
        if found is not None:
            yield found


def _same_place(a: str | None, b: str | None) -> bool:
    def norm(x: str) -> str:
        x = x.strip().lower()
        return x[4:] if x.startswith("the ") else x

    return a is not None and b is not None and norm(a) == norm(b)


def _to_the_train(ride: _When, journey: _When, ctx: TurnContext) -> bool:
    """A ride to the station around the time a journey leaves (a taxi to catch the train); hours
    apart, it is for something else."""
    return (ride.to_place and not ride.has_day and journey.has_day and not journey.to_place
            and bool(cues.STATION.search(ride.place or ""))
            and abs(ride.minutes - journey.minutes) < ctx.config.clash_minutes)


def _late_ride(ride: _When, booking: _When, domain: Domain, ctx: TurnContext) -> _Found | None:
    """A ride to a booked place (or to the station for a train) that gets there after it starts."""
    if not (ride.to_place and ride.task.is_open and not booking.to_place
            and (_same_place(ride.place, booking.place) or _to_the_train(ride, booking, ctx))):
        return None
    arrives = domain.slots[ride.slot].kind == "arrival"
    late = ride.minutes > booking.minutes if arrives else ride.minutes >= booking.minutes
    if not late:
        return None
    task_type = domain.tasks[ride.task.type]
    arrival_slot = next((s for s in task_type.schedule.get("time", ()) if domain.slots[s].kind == "arrival"), None)
    target = booking.minutes - ctx.config.taxi_margin_minutes
    fix_slots: dict[str, Any] = {}
    if arrival_slot is not None and target >= 0:
        fix_slots = {s: None for s in task_type.schedule.get("time", ()) if ride.task.slots.get(s) is not None}
        fix_slots[arrival_slot] = hhmm(target)
    detail_text = (f"your {label(domain, ride.task)} {_phrase(ride, domain)}, but your "
                   f"{label(domain, booking.task)} at {booking.place} is at {hhmm(booking.minutes)}")
    fix_text = "You may want to leave earlier."
    if fix_slots and arrival_slot is not None:
        fix_text = f"Shall I change the {index(domain).label(domain, arrival_slot)} to {hhmm(target)}?"
    ids = (ride.task.id, booking.task.id)
    detail = {"detail": detail_text, "fix": fix_text, "fix_task": ride.task.id, "fix_slots": fix_slots,
              "signature": f"{ride.minutes}>{booking.minutes}"}
    return _Found(PLACE, ids, detail, "utter_conflict_place", {"detail": detail_text, "fix": fix_text}, ride.task.id)


def _too_close(a: _When, b: _When, domain: Domain, ctx: TurnContext) -> _Found | None:
    """Two plans on the same day closer than ``clash_minutes``."""
    if (_same_place(a.place, b.place) and (a.to_place or b.to_place)) \
            or _to_the_train(a, b, ctx) or _to_the_train(b, a, ctx):
        return None  # a ride to the place of the other plan (or to its train): _late_ride's business
    if a.has_day and b.has_day and a.day != b.day:
        return None
    clash = ctx.config.clash_minutes
    if abs(a.minutes - b.minutes) >= clash:
        return None
    # move the open one the user touched last
    mover, other = (b, a) if (b.task.is_open, b.task.updated_turn) >= (a.task.is_open, a.task.updated_turn) else (a, b)
    if not mover.task.is_open:
        mover, other = other, mover
    if _leaves_town(other, domain) and not _leaves_town(mover, domain):
        target = other.minutes - clash  # a plan in town comes before the train that takes the user away
    elif _leaves_town(mover, domain) and not _leaves_town(other, domain):
        target = other.minutes + clash  # the train leaves after the plan, not before it
    else:
        target = other.minutes + clash if mover.minutes >= other.minutes else other.minutes - clash
    day = a.day if a.has_day else b.day
    detail_text = (f"your {label(domain, other.task)} {_phrase(other, domain)} and your "
                   f"{label(domain, mover.task)} {_phrase(mover, domain)}" + (f" on {day}" if day else ""))
    fix_slots = {mover.slot: hhmm(target)} if 0 <= target < 24 * 60 else {}
    slot_label = index(domain).label(domain, mover.slot)
    fix_text = (f"Shall I change the {slot_label} of your {label(domain, mover.task)} to {hhmm(target)}?"
                if fix_slots else "You may want to change one.")
    ids = tuple(sorted((a.task.id, b.task.id)))
    detail = {"detail": detail_text, "fix": fix_text, "fix_task": mover.task.id, "fix_slots": fix_slots,
              "signature": f"{a.task.id}@{a.minutes}/{a.day}|{b.task.id}@{b.minutes}/{b.day}"}
    return _Found(TIME, ids, detail, "utter_conflict_time", {"detail": detail_text, "fix": fix_text}, mover.task.id)


def _leaves_town(when: _When, domain: Domain) -> bool:
    """A journey that leaves at this time (a train's departure from where the user is): plans in town
    must come before it, not after. An arrival, a ride or a booking is no such thing."""
    task_type = domain.tasks.get(when.task.type)
    if task_type is None or not when.has_day or domain.slots[when.slot].kind == "arrival":
        return False
    return any(domain.slots[s].kind == "origin" for s in task_type.schedule.get("place", ()) if s in domain.slots)


def _phrase(when: _When, domain: Domain) -> str:
    at = hhmm(when.minutes)
    if domain.slots[when.slot].kind == "arrival":
        return f"arrives by {at}"
    if "leave" in when.slot:
        return f"leaves at {at}"
    return f"is at {at}"




# ===================================================================== answers and upkeep


def answer(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """Settle the conflict the user was just asked about; None when the reply is no answer to it."""
    ref = pending.conflict or {}
    conflict = _open(state, ref.get("kind"), tuple(ref.get("task_ids") or ()))
    if conflict is None:
        return None
    if conflict.kind in (PROFILE, TIME, PLACE) and index(domain).slot_values(request.entities):
        return None  # a new value instead of a yes or no: routed as a correction, recheck settles it
    handler = {DUPLICATE: _answer_duplicate, PROFILE: _answer_profile, TIME: _answer_fix, PLACE: _answer_fix,
               STALE: _answer_stale}.get(conflict.kind)
    return handler(conflict, state, request, domain) if handler else None


def _open(state: DialogueState, kind: str | None, task_ids: tuple[str, ...]) -> Conflict | None:
    return next((c for c in reversed(state.conflicts)
                 if c.resolution is None and c.kind == kind and tuple(c.task_ids) == task_ids), None)


def _answer_duplicate(conflict: Conflict, state: DialogueState, request: Request,
                      domain: Domain) -> list[Decision] | None:
    reply = cues.yes_or_no(request.intent, request.text)
    if cues.wants_another(request.text) or reply == "no":
        choice = "second"
    elif cues.UPDATE.search(request.text or "") or reply == "yes":
        choice = "update"
    else:
        return None
    existing = state.task(conflict.task_ids[0])
    detail = conflict.detail
    task_type = domain.tasks.get(detail.get("task_type", ""))
    if existing is None or task_type is None:
        return [ResolveConflict(DUPLICATE, "dropped", conflict.task_ids)]
    values = dict(detail.get("slots") or {})
    priority = int(detail.get("priority", task_type.priority))
    resolved = ResolveConflict(DUPLICATE, "updated" if choice == "update" else "second", conflict.task_ids)
    if choice == "update":
        checked = slot_policy.check(existing.slots, values, domain)
        out: list[Decision] = [resolved, *slot_policy.fill(existing.id, checked, domain, announce_corrections=False)]
        out.append(Utter("utter_task_merged", {"task": label(domain, existing)}, existing.id))
        return out + task_policy.bring_forward(existing, max(priority, existing.priority), state, domain)
    goal = str(detail.get("goal") or "book")
    return [resolved, *task_policy.start(task_type, priority, goal, values, state, domain)]


def _answer_profile(conflict: Conflict, state: DialogueState, request: Request,
                    domain: Domain) -> list[Decision] | None:
    text = request.text or ""
    reply = cues.yes_or_no(request.intent, text)
    if cues.KEEP.search(text):
        keep = True
    elif cues.CHANGE.search(text) or request.intent in ("ask_alternative", "reject_suggestion"):
        keep = False
    elif reply is not None:
        keep = reply == "yes"
    else:
        return None
    if keep:
        return [ResolveConflict(PROFILE, "kept", conflict.task_ids)]
    task = state.task(conflict.task_ids[0])
    slot = conflict.detail.get("slot")
    out: list[Decision] = [ResolveConflict(PROFILE, "changed", conflict.task_ids)]
    if task is not None and task.is_open and slot:
        task_type = domain.tasks[task.type]
        out.append(SetSlot(slot, None, task.id))
        if not (task_type.recommend and slot == index(domain).name_slot.get(task.type)):
            out += slot_policy.ask(task, slot, task_type)  # a place to be named: the task suggests another
    return out


def _answer_fix(conflict: Conflict, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    reply = cues.yes_or_no(request.intent, request.text)
    if reply is None:
        return None
    fix_slots = dict(conflict.detail.get("fix_slots") or {})
    task = state.task(conflict.detail.get("fix_task") or "")
    if reply == "no" or not fix_slots or task is None or not task.is_open:
        return [ResolveConflict(conflict.kind, "kept", conflict.task_ids)]
    out: list[Decision] = [ResolveConflict(conflict.kind, "fixed", conflict.task_ids)]
    out += [SetSlot(slot, value, task.id) for slot, value in fix_slots.items()]
    slot, value = next((s, v) for s, v in fix_slots.items() if v is not None)
    kind = domain.slots[slot].kind if slot in domain.slots else None
    out.append(Utter("utter_slot_corrected", {"slot": index(domain).label(domain, slot),
                                              "value": slot_words(kind, value)}, task.id))
    return out


def _answer_stale(conflict: Conflict, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    reply = cues.yes_or_no(request.intent, request.text)
    task = state.task(conflict.task_ids[0])
    if reply is None or task is None:
        return None
    if not task.is_open:
        return [ResolveConflict(STALE, "closed", conflict.task_ids)]
    if reply == "no":
        return [CancelTask(task.id, "stale"), ResolveConflict(STALE, "dropped", conflict.task_ids),
                Utter("utter_cancel_task", {"task": label(domain, task)})]
    return [ResolveConflict(STALE, "kept", conflict.task_ids), UpdateTask(task.id),
            *task_policy.bring_forward(task, task.priority, state, domain)]


def recheck(state: DialogueState, domain: Domain, ctx: TurnContext) -> list[Decision]:
    """Settle open conflicts from earlier turns: gone ("changed"), passed over ("ignored"), or, for a
    reminder, the task came back or closed."""
    out: list[Decision] = []
    current = None
    for conflict in state.open_conflicts():
        if conflict.turn >= state.turn:
            continue
        ids = tuple(conflict.task_ids)
        if conflict.kind == STALE:
            task = state.task(ids[0]) if ids else None
            if task is None or not task.is_open:
                out.append(ResolveConflict(STALE, "closed", ids))
            elif task.updated_turn > conflict.turn:
                out.append(ResolveConflict(STALE, "resumed", ids))
            elif conflict.detail.get("alongside"):
                out.append(ResolveConflict(STALE, "ignored", ids))  # answered the other question instead
            continue
        if current is None:
            current = {(f.kind, f.task_ids, f.detail.get("signature")) for f in _candidates(state, domain, ctx)}
        holds = (conflict.kind, ids, conflict.detail.get("signature")) in current
        out.append(ResolveConflict(conflict.kind, "ignored" if holds or conflict.kind == DUPLICATE else "changed", ids))
    return out


def stale(state: DialogueState, domain: Domain, ctx: TurnContext, may_ask: bool,
          alongside: bool = False) -> list[Decision]:
    """Drop waiting tasks still untouched after their reminder; remind about one idle task (once).

    ``alongside``: this turn asks another question too. A reminder the user passes over to answer that
    question is not a "no": such a task is never dropped, only reminded of once (and resumed in turn)."""
    config = ctx.config
    out: list[Decision] = []
    reminded: set[str] = set()
    for conflict in state.conflicts:
        if conflict.kind != STALE or not conflict.task_ids:
            continue
        reminded.add(conflict.task_ids[0])
        task = state.task(conflict.task_ids[0])
        if (conflict.resolution is None and task is not None and task.status == SUSPENDED
                and not conflict.detail.get("alongside") and task.updated_turn <= conflict.turn
                and state.turn - conflict.turn >= config.expire_after_turns):
            out += [CancelTask(task.id, "expired"), ResolveConflict(STALE, "expired", conflict.task_ids),
                    Utter("utter_task_expired", {"task": label(domain, task)})]
    if not may_ask or any(c.kind == STALE and c.resolution is None for c in state.conflicts):
        return out  # one reminder at a time
    for task in state.suspended_tasks():
        # a task queued behind others ("I'll do the restaurant search right after the taxi") is not idle:
        # it comes when its turn does, as the user was told
        if task.id not in reminded and state.turns_idle(task) >= config.stale_after_turns and state.ever_focused(task):
            detail = {"idle_turns": state.turns_idle(task), "alongside": alongside}
            found = _Found(STALE, (task.id,), detail, "utter_remind_task",
                           {"task": label(domain, task)}, task.id)
            return out + found.decisions()
    return out


__all__ = ["detect", "answer", "recheck", "stale", "DUPLICATE", "PROFILE", "TIME", "PLACE", "STALE"]
