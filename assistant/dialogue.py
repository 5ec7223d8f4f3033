"""The dialogue manager: one user turn in, the turn's events and bot messages out.

    dm = DialogueManager(domain, make_action_runner())
    events, messages = dm.handle(state, parse)

The order of one turn:

1. the user event (with the parse) is recorded;
2. ``/restart`` restarts; an unsure parse gets the fallback policy's clarifying question;
3. a yes/no reply to the question the bot asked last settles it (a confirmation, an offer, a
   conflict, a reminder, a retry);
4. otherwise each request of the message (each segment) goes through the task policy in serving
   order: start, merge, suspend, resume, cancel, fill slots;
5. open conflicts are rechecked and a new one is raised (at most one question per turn);
6. the task in focus takes its next step: ask a slot, confirm, or run its action; when a task ends,
   the most important waiting task comes back ("Back to your hotel: how many nights?");
7. a task left waiting too long is brought back once, then dropped.

Decisions come from the pure functions of ``policies/``; this class carries them out: each becomes an
event (applied to ``state`` at once, so later policies see it), a bot message, or an action run. The
state passed in is advanced in place to match the returned events. The only I/O is the action call.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple

from assistant import events as ev
from assistant.actions.bridge import CRASHED, NOT_FOUND, ActionError, ActionFailed
from assistant.domain import display_value, place_reference
from assistant.nlg import BotMessage, NaturalLanguageGenerator, inline_sentence
from assistant.profile.describe import describe_profile
from assistant.profile.model import slot_attribute
from assistant.profile.updates import (
    apply_cancellation,
    apply_entities,
    apply_feedback,
    apply_outcome,
    apply_price_wish,
    apply_statement,
    forget_values,
    reason_kinds,
    record_suggestion,
)
from assistant.recommender.service import descriptive_words
from assistant.recommender.words import article
from assistant.state import ACTIVE, CANCELLED, COMPLETED
from policies import (clock_time, conflicts, cues, fallback, forgetting, landmarks, language, plans, questions,
                      recommend_policy, slot_policy, task_policy)
from policies.context import Pending, PolicyConfig, Request, TurnContext, pending_question
from policies.cues import (between_tasks, means_between, means_from_there, means_in_time, means_nearby, means_there,
                           yes_or_no)
from policies.decisions import (
    ANYTHING_ELSE,
    CANCEL_BOOKING,
    CHANGE_BOOKING,
    CONFIRM,
    CONFLICT,
    FORGET,
    LEAVING,
    OFFER,
    RETRY,
    SLOT,
    SUGGESTION,
    WHICH_TASK,
    CancelTask,
    CompleteTask,
    Decision,
    DetectConflict,
    Feedback,
    ForgetUser,
    RaiseBudget,
    Recommend,
    ResolveConflict,
    ResumeTask,
    RunAction,
    SayText,
    SetSlot,
    StartTask,
    UpdateTask,
    Utter,
)
from policies.index import REQUESTED_SLOT, index
from policies.words import join_words, place_name
from nlu.types import Parse

if TYPE_CHECKING:
    from assistant.actions.bridge import ActionRunner
    from assistant.domain import Domain
    from assistant.profile.session import UserContext
    from assistant.recommender.service import Recommender
    from assistant.state import DialogueState, Task

logger = logging.getLogger(__name__)

RESTART_INTENT = "restart"
# events an action may return that the agenda takes; the rest (restart, reset_slots, ...) would undo
# other tasks' work behind the dialogue manager's back and are dropped with a warning
ACTION_EVENTS = frozenset({ev.SLOT, ev.FOLLOWUP})
_MAX_STEPS = 64  # actions run and tasks resumed in one turn, at most
_ABOUT_THE_BOT = frozenset({"help", "bot_challenge"})  # questions about the assistant, none about the user


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


class Turn(NamedTuple):
    events: list[dict]
    messages: list[BotMessage]


class DialogueManager:
    """Applies the policies to one turn. ``clock`` gives event timestamps and "now" for urgency."""

    def __init__(
        self,
        domain: Domain,
        action_runner: ActionRunner | None = None,
        config: PolicyConfig | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        channel: str | None = None,
        recommender: Recommender | None = None,
    ) -> None:
        self.domain = domain
        self.action_runner = action_runner
        self.recommender = recommender
        self.config = config or PolicyConfig()
        self.clock = clock
        self.nlg = NaturalLanguageGenerator(domain, rng, channel)
        self._rasa_domain: dict[str, Any] | None = None

    @property
    def rasa_domain(self) -> dict[str, Any]:
        """The domain as rasa-sdk receives it (computed once: the domain never changes)."""
        if self._rasa_domain is None:
            self._rasa_domain = self.domain.to_rasa_json()
        return self._rasa_domain

    def handle(
        self,
        state: DialogueState,
        parse: Parse,
        *,
        metadata: Mapping[str, Any] | None = None,
        input_channel: str | None = None,
        message_id: str | None = None,
        user: UserContext | None = None,
    ) -> Turn:
        """``user`` (the user's profile and ranking model) is updated in place: the caller saves it."""
        run = _TurnRun(self, state, user)
        run.run(parse, metadata, input_channel, message_id)
        return Turn(run.events, run.messages)


class _TurnRun:
    """The bookkeeping of one turn: events so far, messages so far, what happened to which task."""

    def __init__(self, dm: DialogueManager, state: DialogueState, user: UserContext | None = None) -> None:
        self.dm = dm
        self.state = state
        self.user = user
        self.parse: Parse | None = None
        self.requests: list[Request] = []  # this message's requests, as routed
        self.pending: Pending | None = None  # the question asked last turn
        self.rejected_for: list[str] = []  # why the user turned down a suggestion this turn ("price")
        self.answered: set[str] = set()  # tasks whose suggestion the user answered this turn
        self.domain = dm.domain
        self.events: list[dict] = []
        self.messages: list[BotMessage] = []
        self.questions: list[str] = []  # what each question asked this turn waits for
        self.started: set[str] = set()
        self.resumed: set[str] = set()
        self.introduced: set[str] = set()  # resumed tasks already said to be back ("Now, about your hotel: ...")
        self.closed = False  # a task completed or was cancelled this turn
        self.failed = False  # an action failed: nothing more this turn
        self.quiet = False  # the user said goodbye: no further questions
        self.settled = False  # a conflict was raised or settled this turn

    # ------------------------------------------------------------ carrying out decisions
    def record(self, event: dict) -> None:
        self.state.apply(event)
        self.events.append(event)

    def apply(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            if isinstance(decision, Utter):
                message = self.dm.nlg.utter(self.places_in_areas(decision), self.state)
                self.say(message, decision.task_id, decision.expects, decision.conflict)
            elif isinstance(decision, SayText):
                self.say(self.dm.nlg.say(decision), decision.task_id, decision.expects)
            elif isinstance(decision, RunAction):
                self.run_action(decision)
            elif isinstance(decision, Recommend):
                self.recommend(decision)
            elif isinstance(decision, Feedback):
                self.feedback(decision)
            elif isinstance(decision, RaiseBudget):
                if self.user is not None:
                    self.user.update(apply_price_wish(self.user.profile, decision.level, self.dm.clock()))
            elif isinstance(decision, ForgetUser):
                self.quiet = True  # the conversation is about to be erased: no more questions in it
                if self.user is not None:
                    self.user.forget = True
            else:
                if isinstance(decision, (SetSlot, StartTask)):
                    decision = self.read_names(self.read_places(self.read_hours(decision)))
                reopened = isinstance(decision, ResumeTask) and not getattr(self.state.task(decision.task_id),
                                                                            "is_open", True)
                self.record(decision.event(self.dm.clock()))
                if isinstance(decision, StartTask) or reopened:  # "ok, book it then": taken up again, not back
                    self.started.add(decision.task_id)
                elif isinstance(decision, ResumeTask):
                    self.resumed.add(decision.task_id)
                elif isinstance(decision, (CompleteTask, CancelTask)):
                    self.closed = True
                elif isinstance(decision, (DetectConflict, ResolveConflict)):
                    self.settled = True

    def places_in_areas(self, decision: Utter) -> Utter:
        """ "Near the museum" with museums all over town: say where they are ("There's more than one
        museum: in the centre, the south and the west.") rather than that no part of town fits."""
        hint = str(decision.values.get("hint") or "") if decision.response == "utter_invalid_value" else ""
        recommender = self.dm.recommender
        if not hint.startswith(slot_policy.UNKNOWN_PLACE) or recommender is None:
            return decision
        task = self.state.task(decision.task_id) if decision.task_id else None
        spec = self.domain.slots.get(task.requested_slot or "") if task is not None else None
        phrase = landmarks.phrase_key(str(decision.values.get("value") or ""))
        areas = recommender.landmark_areas(phrase, spec.values) if spec is not None and phrase else ()
        if len(areas) < 2:
            return decision
        if len(areas) >= len(spec.values):  # type: ignore[union-attr]
            said = f"There's {article(phrase)} in every part of town."
        else:
            said = f"There's more than one {phrase}: in {join_words([f'the {a}' for a in areas])}."
        # not "Sorry, museum doesn't work as the area": the place was understood, the part of town is asked
        return dataclasses.replace(decision, response="utter_place_in_several_areas", values={
            "info": said, "options": join_words(list(spec.values), "or")})  # type: ignore[union-attr]

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

    def say(self, message: BotMessage, task_id: str | None = None, expects: str | None = None,
            conflict: Mapping[str, Any] | None = None, **extra: Any) -> None:
        metadata: dict[str, Any] = {}
        if message.response:
            metadata["utter_action"] = message.response
        if expects:
            metadata["expects"] = expects
            self.questions.append(expects)
        if task_id:
            metadata["task_id"] = task_id
        if expects == SUGGESTION and "recommendation" not in extra and self.pending is not None:
            extra = {**extra, "recommendation": self.pending.recommendation}  # "sorry?" keeps the suggestion open
        if conflict:
            metadata["conflict"] = dict(conflict)
        metadata.update(extra)
        self.record(ev.bot(message.text, message.event_data(), metadata, timestamp=self.dm.clock()))
        self.messages.append(message)

    # ------------------------------------------------------------ the turn
    def run(self, parse: Parse, metadata: Mapping[str, Any] | None, input_channel: str | None,
            message_id: str | None) -> None:
        recommender = self.dm.recommender
        ctx = TurnContext(self.dm.config, datetime.fromtimestamp(self.dm.clock()), pending_question(self.state),
                          diet_clash=recommender.diet_clash if recommender is not None else None,
                          landmark_area=recommender.landmark_area if recommender is not None else None)
        self.parse = parse
        self.pending = ctx.pending
        self.record(ev.user(parse.text, parse, input_channel, metadata, message_id, timestamp=self.dm.clock()))
        if parse.intent.name == RESTART_INTENT:
            self.record(ev.action("action_restart", policy="dialogue_manager", confidence=1.0,
                                  timestamp=self.dm.clock()))
            self.record(ev.restart(timestamp=self.dm.clock()))
            return
        if language.not_english(parse.text, self.known_names(parse)):
            # the model only reads English: say so rather than act on a guess, and keep the open question
            # (a slot or a confirmation asked again; a suggestion or a choice left open for its answer)
            pending = ctx.pending
            if pending is not None and pending.expects not in (None, SLOT, CONFIRM):
                self.apply([Utter("utter_english_only", task_id=pending.task_id, expects=pending.expects)])
            else:
                self.apply([Utter("utter_english_only")] + slot_policy.reask(self.state, self.domain))
            return
        rest = self.forget_facts(parse)
        if rest is None:  # "forget that I'm vegetarian": done, and the question we were on goes on
            self.finish(ctx)
            return
        parse = self.parse = rest
        if self.answer_question(parse, ctx):
            return
        if self.answer_comparison(parse, ctx):
            self.finish(ctx)
            return
        alongside = self.answer_alongside(parse, ctx)
        self.apply(alongside)
        unsure = [] if alongside else fallback.decide(self.state, parse, self.domain, ctx)
        if unsure:
            self.apply(unsure)
            if not self.questions:  # "sorry, I didn't get that": then the question we were on
                self.apply(slot_policy.reask(self.state, self.domain))
            self.apply(conflicts.recheck(self.state, self.domain, ctx))
            return
        # "near the station": the station's area
        # (the museum taken earlier in the conversation, if one was)
        requests = [landmarks.areas_from_places(landmarks.places_from_conversation(r, self.state, self.domain),
                                                self.domain, ctx.landmark_area) for r in Request.from_parse(parse)]
        # "7" answering "at what time?" is the time, not 7 people; "nrth" is north
        requests = [slot_policy.closed_set_values(slot_policy.bare_number_as_asked_time(
            slot_policy.party_in_words(r, self.state, self.domain), self.state, self.domain), self.domain)
            for r in requests]
        self.requests = requests
        self.learn_from(requests)
        if ctx.pending is not None and len(requests) > 1 and self.not_now(requests, ctx.pending):
            requests = requests[1:]  # "not now, back to the hotel": the question waits for its task to come back
        if ctx.pending is not None and requests:
            requests[0] = self.meant_for_asker(requests[0], ctx.pending)
            answer = self.answer(requests[0], ctx)
            if answer is not None:
                self.apply(answer)
                requests = requests[1:]
        if requests:
            self.route(requests, parse.text or "", ctx)
        self.finish(ctx)

    def answer(self, request: Request, ctx: TurnContext) -> list[Decision] | None:
        """Decisions settling the question asked last, or None when the request does not answer it."""
        pending = ctx.pending
        state, domain = self.state, self.domain
        if pending is not None and self.goes_back(pending, request):
            return None  # "ok, back to the hotel" / "ok, now the taxi": a way back, not a yes to the question
        if pending is not None and pending.expects == SUGGESTION and request.intent != "cancel_task":
            owner = state.task(pending.task_id) if pending.task_id else None
            serving = domain.task_for_intent(request.intent)
            if serving is None or (owner is not None and serving.name == owner.type):
                return recommend_policy.answer(pending, state, request, domain)
            return None
        if pending is not None and pending.expects == SLOT:
            place = slot_policy.answer_with_place(pending, state, request, domain)
            if place is not None:
                return place  # "the Lockside Guesthouse" to "where should the taxi pick you up?"
        if pending is not None and pending.expects == LEAVING:
            return self.answer_leaving(request, pending)
        if pending is not None and pending.expects == SLOT:
            after = self.after_running_out(request, pending)
            if after is not None:
                return after
        if pending is not None and pending.expects in (CONFIRM, OFFER) and self.books_the_asker(request, pending):
            # "yes, book the taxi" to "shall I book a taxi ...?": the booking intent says yes
            return slot_policy.answer(pending, state, dataclasses.replace(request, intent="affirm"), domain)
        if pending is None or request.intent == "cancel_task" or domain.task_for_intent(request.intent):
            return None
        if pending.expects in (CONFIRM, OFFER, RETRY):
            return slot_policy.answer(pending, state, request, domain)
        if pending.expects == SLOT:
            return slot_policy.answer_no_preference(pending, state, request, domain) or \
                slot_policy.decline_booking(pending, state, request, domain)
        if pending.expects == CONFLICT:
            return conflicts.answer(pending, state, request, domain)
        if pending.expects == WHICH_TASK:
            return task_policy.answer_which(pending, state, request, domain)
        if pending.expects == CANCEL_BOOKING:
            return task_policy.answer_cancel_booking(pending, state, request, domain)
        if pending.expects == CHANGE_BOOKING:
            return task_policy.answer_change_booking(pending, state, request, domain)
        if pending.expects == FORGET:
            return self.answer_forget(request)
        if pending.expects == ANYTHING_ELSE and not request.entities:
            reply = yes_or_no(request.intent, request.text)
            if reply == "no" and not cues.NO.search(request.text or "") \
                    and cues.named_tasks(request.text or "", domain):
                return None  # "actually I do want the hotel", whatever the intent: no goodbye
            if reply == "no":
                self.quiet = True
                return [Utter("utter_goodbye")]
            if cues.ACKNOWLEDGE.search(request.text or ""):
                return [Utter("utter_glad_to_help")]  # "ok" / 👍: noted, nothing more wanted
            if reply == "yes":
                return [Utter("utter_help")]
        return None

    def leaving_unconfirmed(self, request: Request, ctx: TurnContext) -> list[Decision]:
        """ "Bye" while a booking waits for its yes: the user may think it is made. Said before the
        goodbye, with the booking one yes away; nothing when no confirmation is open."""
        pending = ctx.pending
        task = self.state.task(pending.task_id) if pending is not None and pending.task_id else None
        if request.intent != "bye" or pending is None or pending.expects != CONFIRM or task is None \
                or not task.is_open:
            return []
        return [Utter("utter_before_you_go", {"task": task_policy.label(self.domain, task)}, task.id,
                      expects=LEAVING)]

    def answer_leaving(self, request: Request, pending: Pending) -> list[Decision] | None:
        """Yes to "before you go, shall I book it?": booked; no (or bye again): goodbye, the booking
        left as it was; anything else: the question lapses and the message is served."""
        task = self.state.task(pending.task_id) if pending.task_id else None
        task_type = self.domain.tasks.get(task.type) if task is not None else None
        if task is None or task_type is None or not task.is_open:
            return None
        reply = "yes" if self.books_the_asker(request, pending) else \
            "no" if request.intent == "bye" else yes_or_no(request.intent, request.text)
        if reply == "yes" and not slot_policy.proposals(task.type, request.entities, self.domain):
            return [RunAction(task.id, task_type.action)]
        if reply == "no":
            self.quiet = True
            return [Utter("utter_goodbye")]
        return None

    def after_running_out(self, request: Request, pending: Pending) -> list[Decision] | None:
        """ "I've run out of ideas for a restaurant that fits": "something else" brings back a place
        offered earlier (said to be one); "ok, book it (for 2 at 7pm)" takes the place offered last.
        None for anything else, or when no place was offered yet."""
        task = self.state.task(pending.task_id) if pending.task_id else None
        task_type = self.domain.tasks.get(task.type) if task is not None else None
        name_slot = index(self.domain).name_slot.get(task.type) if task is not None else None
        if task is None or task_type is None or not task_type.recommend or name_slot is None \
                or task.requested_slot != name_slot or task.slots.get(name_slot) is not None:
            return None
        offered = self.offered_names(task)
        if not offered:
            return None
        text = request.text or ""
        if request.intent == recommend_policy.ALTERNATIVE_INTENT or recommend_policy.ALTERNATIVE.search(text):
            return [Recommend(task.id, task_type.recommend, again=True)]
        serving = self.domain.task_for_intent(request.intent)
        taking = (yes_or_no(request.intent, text) == "yes" or recommend_policy.TAKE_IT.search(text)) \
            and not cues.NO.search(text) and serving in (None, task_type)
        proposed = slot_policy.proposals(task.type, request.entities, self.domain)
        if not taking or any(s in task_type.optional for s in proposed):
            return None  # "something in the north": a new search
        booking = self.domain.goal_of(request.intent) == "book" or re.search(r"\b(?:book|reserve)\b", text, re.I)
        goal = [UpdateTask(task.id, goal="book")] if booking and task.goal != "book" else []
        return goal + [SetSlot(name_slot, offered[-1], task.id)] + \
            [SetSlot(s, v, task.id) for s, v in proposed.items()]

    def offered_names(self, task: Task) -> list[str]:
        """The names of the places suggested for the task, oldest first."""
        names = []
        for event in self.state.events:
            shown = (event.get("metadata") or {}).get("recommendation") if event.get("event") == ev.BOT else None
            if shown and shown.get("task_id") == task.id and shown.get("name"):
                names.append(str(shown["name"]))
        return names

    def not_now(self, requests: list[Request], pending: Pending) -> bool:
        """ "Not now, let's go back to the hotel": a bare no, then a way back to another task."""
        first = requests[0]
        return (not first.entities and yes_or_no(first.intent, first.text) == "no"
                and any(self.goes_back(pending, r) for r in requests[1:]))

    def books_the_asker(self, request: Request, pending: Pending) -> bool:
        """ "(Yes,) book the taxi" while the taxi asks to be confirmed or offers a booking: the booking
        intent of the task that asks, with nothing new for it and no "no" in the words."""
        asker = self.state.task(pending.task_id) if pending.task_id else None
        serving = self.domain.task_for_intent(request.intent)
        return (asker is not None and serving is not None and serving.name == asker.type
                and self.domain.goal_of(request.intent) == "book" and not cues.NO.search(request.text or "")
                and not slot_policy.proposals(asker.type, request.entities, self.domain))

    def meant_for_asker(self, request: Request, pending: Pending) -> Request:
        """ "ok book it for 2 people" read as a table booking while the hotel asks: "it" is the hotel,
        so the request is details for the task that asked, not a new task."""
        asker = self.state.task(pending.task_id) if pending.task_id else None
        if (asker is None or self.domain.task_for_intent(request.intent) in (None, self.domain.tasks.get(asker.type))
                or not recommend_policy.refers_to_task(request, asker.type, self.domain)):
            return request
        return dataclasses.replace(request, intent="inform")

    def goes_back(self, pending: Pending, request: Request) -> bool:
        """ "Back to the hotel" or "ok, now the taxi" (any task named), or just "back to it" while a task
        asks: the question waits for its task to come back (asked again then) rather than take the "ok"."""
        asks, named = cues.resume_target(request.text, self.domain, request.entities)
        asker = self.state.task(pending.task_id) if pending.task_id else None
        return asks and (named is not None or asker is not None)

    def route(self, requests: list[Request], message: str, ctx: TurnContext) -> None:
        state, domain = self.state, self.domain
        steps = task_policy.plan(requests, state, domain, ctx, message)
        several = sum(1 for s in steps if s.kind == task_policy.TASK) > 1
        served: list[str] = []
        understood = False
        for step in steps:
            decisions: list[Decision] = []
            if step.kind == task_policy.TASK:
                decisions = task_policy.start_or_merge(step, state, domain, announce=not several)
                self.apply(decisions)
                started = next((d.task_id for d in decisions if isinstance(d, StartTask)), None)
                if started:
                    self.apply(self.carried_over(started))
                    self.apply(self.near_last_place(started))
                    self.apply(self.place_there(started))
                    self.apply(self.start_from_there(started))
                    self.apply(self.in_time_for(started))
                    self.apply(self.to_catch_the_train(started))
                task = state.task(started) if started else state.task_of_type(step.task_type)  # type: ignore[arg-type]
                if task is not None:
                    self.apply(self.same_as_before(task))
                    self.apply(self.same_place_again(task))
                    served.append(task.id)
                understood = True
                continue
            if step.kind == task_policy.RESUME:
                decisions = task_policy.resume(step, state, domain)
                self.apply(decisions)
                decisions = task_policy.inform(step, state, domain) if step.request.entities else []
                understood = True
            elif step.kind == task_policy.INFORM:
                decisions = task_policy.inform(step, state, domain)
                understood = understood or bool(decisions)
            elif step.kind == task_policy.CANCEL:
                decisions = task_policy.cancel(step, state, domain)
                understood = True
            elif step.kind == task_policy.PREFERENCE:
                decisions = task_policy.preference(step, state, domain)
                understood = True
            elif step.kind == task_policy.PROFILE:
                decisions = self.profile_step(step) if self.user is not None else task_policy.profile(step, state, domain)
                understood = True
            elif step.kind == task_policy.PLANS:
                decisions = plans.summary(state, domain, self.booked_before())
                understood = True
            elif step.kind == task_policy.CHITCHAT:
                decisions = self.leaving_unconfirmed(step.request, ctx)
                if not decisions:
                    decisions = task_policy.chitchat(step)
                    self.quiet = self.quiet or step.request.intent == "bye"
                understood = True
            self.apply(decisions)
        if several:
            self.apply(task_policy.announce_queue(served, state, domain))
        if not understood and not self.messages:
            reply = yes_or_no(requests[0].intent, requests[0].text) if len(requests) == 1 else None
            if state.focused_task is None and len(requests) == 1 and cues.no_preference(requests[0].text):
                self.apply([Utter("utter_surprise_what")])  # "surprise me" with nothing asked yet: of what kind?
            elif reply is not None and state.focused_task is None:  # "ok" with nothing open
                # with nothing done yet there is no "else": what the assistant can do
                self.apply([Utter("utter_anything_else", expects=ANYTHING_ELSE) if state.tasks
                            else Utter("utter_help")])
            else:
                self.apply([Utter("utter_default")])

    def finish(self, ctx: TurnContext) -> None:
        state, domain = self.state, self.domain
        self.apply(conflicts.recheck(state, domain, ctx))
        if not self.quiet and not self.questions:
            raised = conflicts.detect(state, domain, ctx)
            if raised:
                self.apply(raised)
            else:
                self.advance()
        # a reminder only on a quiet turn: no agenda change, nothing asked but a slot
        calm = not (self.started or self.resumed or self.closed or self.settled or self.quiet or self.failed)
        may_ask = calm and (not self.questions or self.questions[-1] == SLOT)
        self.apply(conflicts.stale(state, domain, ctx, may_ask, alongside=bool(self.questions)))
        if not self.messages and not state.tasks:  # "🙂" to start with: nothing done yet to ask "anything else?"
            self.apply([Utter("utter_greet")])
        elif not self.messages and not state.open_tasks() and self.parse is not None \
                and cues.bare_acknowledgement(self.parse.text):
            self.apply([Utter("utter_smile")])  # a second 👍 after "glad that's sorted": no third "anything else?"
        elif not self.messages:
            self.apply([Utter("utter_anything_else", expects=ANYTHING_ELSE)])

    def advance(self) -> None:
        """The focused task's next step; after an action, on to the task that waits longest."""
        state, domain = self.state, self.domain
        for _ in range(_MAX_STEPS):
            task = state.focused_task
            if task is None:
                waiting = task_policy.resume_next(state)
                if not waiting:
                    if self.closed and not self.questions:
                        self.apply([Utter("utter_anything_else", expects=ANYTHING_ELSE)])
                    return
                self.apply(waiting)
                back = state.focused_task
                if back is not None:  # "... and a taxi there", waiting until the place was chosen
                    self.apply(self.place_there(back.id, self.first_words(back)))
                    self.apply(self.places_now_known(back))
                continue
            step = slot_policy.next_step(state, task, domain)
            if not step:
                return
            if task.id in self.resumed and task.id not in self.started:
                step = [self._resumed(task, d) if isinstance(d, Utter) and d.expects else d for d in step]
            self.apply(step)
            if self.failed or task.is_open:  # asked something, or offered: wait for the user
                return

    def _resumed(self, task: Task, question: Utter) -> Utter:
        return Utter("utter_resume_task", {"task": task_policy.label(self.domain, task)}, task.id,
                     expects=question.expects, conflict=question.conflict, question=question)

    # ------------------------------------------------------------ the user: profile and suggestions
    def answer_question(self, parse: Parse, ctx: TurnContext) -> bool:
        """ "What's the address?", "does it have free wifi?", "what's the reference for the hotel?":
        answered from the catalogue or the booking, whatever the intent (MultiWOZ reads them as the
        task's own), and the question we were on stays open. False for any other message."""
        requests = Request.from_parse(parse)
        if not requests or (ctx.pending is not None and ctx.pending.expects == CONFLICT):
            return False
        if len(requests) > 1 and not all(questions.asked(r.text) for r in requests):
            return False  # "what's the address? and I need a taxi": more than questions
        request = self.whole(parse, requests)
        wanted = questions.asked(request.text)
        if not wanted:
            return self.answer_feature_question(request, ctx)
        if not questions.only_asks(request, wanted, self.domain):
            return False
        about = questions.subject(request, self.state, self.domain, ctx.pending, wanted)
        if about is None:
            return False
        recommender = self.dm.recommender
        item = recommender.find(about.kind, about.name) if recommender is not None and about.name else None
        if "distance" in wanted and item is None:
            return False  # "how far is it?" of a taxi or a train: no place to measure
        task = self.state.task(about.task_id) if about.task_id else None
        text = questions.answer_text(about, tuple(w for w in wanted if w != "distance"),
                                     item.attributes if item is not None else None,
                                     item.description if item is not None else "",
                                     task_policy.label(self.domain, task) if task is not None else None,
                                     question=request.text)
        if "distance" in wanted:
            text = " ".join(t for t in (text, self.distance_text(request.text or "", about, item)) if t)
        self.apply(questions.decisions(text, about, ctx.pending, self.state, self.domain))
        return True

    def distance_text(self, question: str, about: questions.Subject, item: Any) -> str:
        """ "Is it far from my hotel?": how the two places' parts of town lie (or the place and the centre)."""
        other = questions.distance_reference(question, about, self.state, self.domain)
        recommender = self.dm.recommender
        found = recommender.find(other.kind, other.name) if other is not None and other.name and recommender else None
        return questions.distance_answer(place_name(str(about.name)), item.attributes.get("area"),
                                         place_name(str(other.name)) if other is not None else None,
                                         found.attributes.get("area") if found is not None else None,
                                         questions.unknown_reference(question, about, self.state, self.domain))

    def answer_comparison(self, parse: Parse, ctx: TurnContext) -> bool:
        """ "Anything cheaper?" / "something more upmarket?" to the suggestion on the table, or to the
        search in focus: the next suggestion one price range along. False for any other message."""
        pending = ctx.pending
        requests = Request.from_parse(parse)
        if not requests:
            return False
        if pending is not None and pending.expects == SUGGESTION:
            decisions = recommend_policy.compare(pending, self.state, self.whole(parse, requests), self.domain)
        else:  # "anything cheaper?" after "I can't find another restaurant that fits": the search moves
            task = self.state.task(self.state.focus) if self.state.focus else None
            decisions = recommend_policy.compare_search(task, self.state, self.whole(parse, requests),
                                                        self.domain) if task is not None else None
        if decisions is None:
            return False
        self.apply(decisions)
        return True

    def known_names(self, parse: Parse) -> list[tuple[int, int]]:
        """Where the message names a place the catalogue has ("La Paellera"): no evidence of its language.
        Only known names: the model may tag a whole foreign sentence as a name."""
        recommender = self.dm.recommender
        if recommender is None:
            return []
        kinds = {slot: kind for kind, slot in index(self.domain).name_slot.items()}
        return [(e.start, e.end) for e in parse.entities
                if e.entity in kinds and isinstance(e.value, str) and recommender.find(kinds[e.entity], e.value)]

    def answer_feature_question(self, request: Request, ctx: TurnContext) -> bool:
        """ "Does it have a pool?", "is it quiet?", "is breakfast included?" about the place suggested
        or chosen: answered from its catalogue features (the NLU reads them as a swimming pool to
        visit, a restaurant for breakfast, a taste to remember). False for any other message."""
        asked = questions.asked_feature(request.text)
        recommender = self.dm.recommender
        if asked is None or recommender is None:
            return False
        about = questions.subject(request, self.state, self.domain, ctx.pending, ("feature",))
        item = recommender.find(about.kind, about.name) if about is not None and about.name else None
        if item is None:
            return False
        known = recommender.feature_words(item.kind)
        if not asked.of_it and asked.feature not in known:
            return False  # "is there a museum nearby?": a search, not a question about this place
        called = place_name(about.name)  # type: ignore[union-attr, arg-type]
        if asked.feature == "about":
            text = questions.answer_text(about, ("about",), item.attributes, item.description)  # type: ignore[arg-type]
        else:
            text = questions.feature_answer(called, asked.feature, item.attributes.get("features"), known)
        self.apply(questions.decisions(text, about, ctx.pending, self.state, self.domain))  # type: ignore[arg-type]
        return True

    def answer_alongside(self, parse: Parse, ctx: TurnContext) -> list[Decision]:
        """ "Sounds good, what's the address?", "I'd like the Kingsmere Hotel. Does it have parking?":
        the answer about the place, said before the rest of the message is carried out (the yes
        taken, the hotel chosen). [] when the message asks nothing about a place the catalogue has."""
        requests = Request.from_parse(parse)
        if not requests or (ctx.pending is not None and ctx.pending.expects == CONFLICT):
            return []
        whole = self.whole(parse, requests)
        wanted = questions.asked(whole.text)
        if not questions.asks_besides(whole, wanted, self.domain):
            return []
        about = questions.subject(whole, self.state, self.domain, ctx.pending, wanted)
        recommender = self.dm.recommender
        if about is None or not about.name or recommender is None:
            return []
        item = recommender.find(about.kind, about.name)
        if item is None:
            return []
        text = questions.answer_text(about, wanted, item.attributes, item.description, question=whole.text)
        return [Utter("utter_place_info", {"info": text})] if text else []

    @staticmethod
    def whole(parse: Parse, requests: list[Request]) -> Request:
        """The message as one request: all its text and entities (a question may span its segments)."""
        if len(requests) == 1:
            return requests[0]
        return dataclasses.replace(requests[0], text=parse.text or "",
                                   entities=tuple(e for r in requests for e in r.entities))

    def learn_from(self, requests: list[Request]) -> None:
        """What the message says about the user: stated preferences, chosen values, shared facts."""
        user = self.user
        if user is None:
            return
        now = self.dm.clock()
        for request in requests:
            if (not request.entities and request.intent != "inform_preference") or request.intent in _ABOUT_THE_BOT:
                continue  # "are you a robot?" says nothing about the user, whatever the tagger found in it
            if request.intent == "inform_preference":
                user.update(apply_statement(user.profile, request.intent, request.entities, request.text, now))
                continue
            serving = self.domain.task_for_intent(request.intent)
            focused = self.state.focused_task
            task_type = serving.name if serving is not None else (focused.type if focused is not None else None)
            user.update(apply_entities(user.profile, task_type, request.entities, now))

    def carried_over(self, task_id: str) -> list[Decision]:
        """A new task takes what other tasks told about the user: the party size, the day, the area of
        the hotel (recent facts only; the confirmation shows them, and the user can change them)."""
        task = self.state.task(task_id)
        if self.user is None or task is None:
            return []
        task_type = self.domain.tasks[task.type]
        defaults = self.user.profile.defaults_for(task.type, self.dm.clock())
        # where the user stays steers suggestions ("near your hotel"), and is a filter only when the
        # request says so ("what can I eat nearby?")
        if task_type.recommend and not means_nearby(self.said_now(task)):
            defaults = {s: v for s, v in defaults.items() if not s.endswith("-area")}
        return [SetSlot(slot, value, task_id) for slot, value in defaults.items()
                if slot in task_type.slot_names and task.slots.get(slot) is None]

    def place_or_offer(self, task: Task) -> Any:
        """The task's place, or while it is open the place it suggested and the user has not answered."""
        task_type = self.domain.tasks.get(task.type)
        place = task_type.schedule_value("place", task.slots) if task_type is not None else None
        if place is None and task.is_open:
            shown = self.unanswered_suggestion(task)
            place = shown.get("name") if shown else None
        return place

    def near_last_place(self, task_id: str) -> list[Decision]:
        """ "Dinner nearby" after the museum, with no hotel to be near: the area of the place the latest
        other task went to (or has on offer) becomes the new task's area."""
        task = self.state.task(task_id)
        recommender = self.dm.recommender
        if task is None or recommender is None or not means_nearby(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        area = next((s for s in task_type.slot_names if self.domain.slots[s].kind == "area"), None)
        if area is None or task.slots.get(area) is not None:
            return []  # where the user stays was "nearby" already, or the request named an area
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id or other.status == CANCELLED or not other_type.recommend:
                continue
            place = self.place_or_offer(other)
            item = recommender.find(other_type.recommend, place) if place is not None else None
            if item is not None and item.attributes.get("area"):
                return [SetSlot(area, item.attributes["area"], task.id)]
        return []

    def place_there(self, task_id: str, words: str | None = None) -> list[Decision]:
        """ "Book a table there", "a taxi there": the place of the latest other task (or the place it
        just suggested, still unanswered) fills the new task's place, when it is one: a venue of the
        new task's kind for its name (a restaurant for a table), any venue for a local ride's
        destination (a journey with a day goes to another town). ``words``: what the user said for
        the task (default: this message's words for it)."""
        task = self.state.task(task_id)
        said = (self.said_now(task) if words is None else words) if task is not None else ""
        # "between the hotel and the restaurant" may run past the ride's own words into the next request's
        named = between_tasks(self.parse.text if words is None and self.parse is not None else said, self.domain)
        if task is not None and (named or means_between(said)):
            return self.ride_between(task, named)
        if task is None or not means_there(said):
            return []
        task_type = self.domain.tasks[task.type]
        slot = next((s for s in task_type.schedule.get("place", ()) if task.slots.get(s) is None), None)
        spec = self.domain.slots.get(slot or "")
        if slot is None or spec is None:
            return []
        if spec.kind == "destination" and task_type.schedule.get("day"):
            return []
        recommender = self.dm.recommender
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id:
                continue
            timed = other_type.schedule_value("place", other.slots) is not None  # a suggestion has no time yet
            place = self.place_or_offer(other)  # "how about X?" "how do I get there?"
            if place is None:
                continue
            if spec.kind == "name":
                if recommender is None or not task_type.recommend or \
                        recommender.find(task_type.recommend, place) is None:
                    continue  # "a table there" after a museum: no restaurant to book
            elif spec.kind != "destination":
                continue
            there = [SetSlot(slot, place, task.id)]
            if timed and spec.kind == "destination":
                there += task_policy.arrive_before(task, other, self.domain, self.dm.config.taxi_margin_minutes)
            return there
        return []

    def ride_between(self, task: Task, named: tuple[str, str] | None = None) -> list[Decision]:
        """ "A hotel, a table and a taxi between them": a local ride from the earlier of the two latest
        places of other tasks to the later one (from the hotel to the table), arriving before a booked
        time; nothing unless both places are known and the ride has neither end yet. ``named``: the
        task types said ("between the hotel and the restaurant"): from the first one's place to the
        second's, whatever the NLU made of those words."""
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        origin, destination = kinds.get("origin"), kinds.get("destination")
        if origin is None or destination is None or task_type.schedule.get("day"):
            return []
        if named is None and (task.slots.get(origin) is not None or task.slots.get(destination) is not None):
            return []
        places: list[tuple[Task, str]] = []
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            place = other_type.schedule_value("place", other.slots) if other_type is not None else None
            if other.id != task.id and place is not None and other.status != CANCELLED \
                    and all(place != p for _, p in places) and all(other.type != t.type for t, _ in places):
                places.append((other, place))
        if named is not None:
            places = [next(((t, p) for t, p in places if t.type == name), (task, "")) for name in reversed(named)]
        if len(places) < 2 or not all(p for _, p in places[:2]):
            return []
        (later, to), (_, start) = places[:2]
        return [SetSlot(origin, start, task.id), SetSlot(destination, to, task.id),
                *task_policy.arrive_before(task, later, self.domain, self.dm.config.taxi_margin_minutes)]

    def in_time_for(self, task_id: str) -> list[Decision]:
        """ "A taxi to the restaurant in time for my reservation": the ride arrives before the booked
        time of the place it goes to (without a destination: the latest booked place with a time)."""
        task = self.state.task(task_id)
        if task is None or not means_in_time(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        destination = next((s for s in task_type.slot_names if self.domain.slots[s].kind == "destination"), None)
        if destination is None or task_type.schedule.get("day"):
            return []
        going_to = task.slots.get(destination)
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other_type is None or other.id == task.id or other.status == CANCELLED:
                continue
            place_slot = next((s for s in other_type.schedule.get("place", ()) if other.slots.get(s) is not None), None)
            place = other.slots.get(place_slot) if place_slot is not None else None
            timed = other_type.schedule_value("time", other.slots) is not None
            # a venue booked for a time (a table), not a journey's town
            if place is not None and timed and self.domain.slots[place_slot].kind == "name" \
                    and going_to in (None, place):
                there = [] if going_to is not None else [SetSlot(destination, place, task.id)]
                return there + task_policy.arrive_before(task, other, self.domain, self.dm.config.taxi_margin_minutes)
        return []

    def to_catch_the_train(self, task_id: str) -> list[Decision]:
        """ "A taxi to the station" with today's train booked from there: the ride arrives before the train
        leaves (the confirmation shows the time, so the user can change it). A train on another day, or
        one not booked yet, says nothing of when the ride is."""
        task = self.state.task(task_id)
        if task is None:
            return []
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        destination = kinds.get("destination")
        if destination is None or task_type.schedule.get("day") \
                or not cues.STATION.search(str(task.slots.get(destination) or "")):
            return []
        today = datetime.fromtimestamp(self.dm.clock()).strftime("%A").lower()
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            leaves = other.slots.get(f"{other.type}-leaves")  # a booked train's own time, set by its action
            if other_type is None or other.status != COMPLETED or not leaves:
                continue  # the latest journey booked, not a table or a ride
            if str(other_type.schedule_value("day", other.slots) or "").lower() != today:
                return []
            times = task_type.schedule.get("time", ())
            arrival = next((s for s in times if self.domain.slots[s].kind == "arrival"), None)
            minutes = task_policy.to_minutes(leaves)
            margin = self.dm.config.taxi_margin_minutes
            if arrival is None or any(task.slots.get(s) is not None for s in times) or minutes is None \
                    or minutes < margin:
                return []
            return [SetSlot(arrival, clock_time.hhmm(minutes - margin), task.id)]
        return []

    def booked_before(self) -> list[str]:
        """The places the user booked in earlier conversations and has not cancelled, newest first."""
        if self.user is None:
            return []
        profile = self.user.profile
        standing = profile.standing_bookings()
        began = next((e.get("timestamp") for e in self.state.events if isinstance(e.get("timestamp"), (int, float))),
                     None)
        names: list[str] = []
        for entry in reversed(profile.history):
            if entry.event == "booked" and entry.item_id in standing and entry.name and entry.name not in names \
                    and (began is None or entry.at < began):
                names.append(entry.name)
        return names

    def same_place_again(self, task: Task) -> list[Decision]:
        """ "Book the same restaurant again": the place of that kind booked last, in this conversation
        or an earlier one (the profile's history)."""
        task_type = self.domain.tasks.get(task.type)
        name_slot = index(self.domain).name_slot.get(task.type)
        if task_type is None or name_slot is None or task.slots.get(name_slot) is not None \
                or not cues.same_place(self.said_now(task)):
            return []
        for other in reversed(self.state.tasks):
            if other.type == task.type and other.id != task.id and other.status != CANCELLED \
                    and other.slots.get(name_slot):
                return [SetSlot(name_slot, other.slots[name_slot], task.id)]
        history = self.user.profile.history if self.user is not None else ()
        name = next((h.name for h in reversed(history)
                     if h.event == "booked" and h.kind == task_type.recommend and h.name), None)
        return [SetSlot(name_slot, name, task.id)] if name else []

    def same_as_before(self, task: Task) -> list[Decision]:
        """ "A restaurant in the same area", "the same price range as the hotel": the value another task
        has for a slot of that kind (the latest one, or the task named), read from the place it chose
        when it chose one (a hotel booked by name has no area slot, but its place is in an area)."""
        words = self.said_now(task) or (self.parse.text if self.parse is not None else "")
        out: list[Decision] = []
        for kind, named in cues.same_as(words, self.domain):
            slot = next((s for s in self.domain.tasks[task.type].slot_names if self.domain.slots[s].kind == kind), None)
            value = self._value_of_kind(task, kind, named) if slot is not None else None
            if slot is not None and value is not None and task.slots.get(slot) != value:
                out.append(SetSlot(slot, value, task.id))
        return out

    def _value_of_kind(self, task: Task, kind: str, named: str | None) -> Any:
        recommender = self.dm.recommender
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            if other.id == task.id or other.status == CANCELLED or other_type is None \
                    or named not in (None, other.type):
                continue
            place = other_type.schedule_value("place", other.slots)
            item = recommender.find(other_type.recommend, place) \
                if place and other_type.recommend and recommender is not None else None
            if item is not None and item.attributes.get(kind) not in (None, ""):
                return item.attributes[kind]
            value = next((other.slots[s] for s in other_type.slot_names
                          if self.domain.slots[s].kind == kind and other.slots.get(s) is not None), None)
            if value is not None:
                return value
        return None

    def start_from_there(self, task_id: str) -> list[Decision]:
        """ "A taxi home afterwards", "a cab from there": the ride starts at the place of the latest
        other task that has one (the table just booked), other than where the ride goes ("home" is the
        hotel, booked after the table)."""
        task = self.state.task(task_id)
        if task is None or not means_from_there(self.said_now(task)):
            return []
        task_type = self.domain.tasks[task.type]
        kinds = {self.domain.slots[s].kind: s for s in task_type.slot_names}
        origin, destination = kinds.get("origin"), kinds.get("destination")
        if origin is None or task.slots.get(origin) is not None or task_type.schedule.get("day"):
            return []  # a journey with a day leaves from a station, not from the restaurant
        going_to = task.slots.get(destination) if destination else None
        for other in reversed(self.state.tasks):
            other_type = self.domain.tasks.get(other.type)
            place = other_type.schedule_value("place", other.slots) if other_type is not None else None
            if other.id != task.id and place is not None and other.status != CANCELLED and place != going_to:
                return [SetSlot(origin, place, task.id)]
        return []

    def profile_step(self, step: task_policy.Step) -> list[Decision]:
        """ "What do you know about me?" in plain words; "forget me" asks first (it erases the profile
        and the conversations, and "forget what I said" reads much like it), then erases it all."""
        assert self.user is not None
        if step.request.intent == "forget_me":
            return [Utter("utter_confirm_forget", expects=FORGET)]
        if self.user.profile.is_empty:
            return task_policy.profile(step, self.state, self.domain)
        return [Utter("utter_profile", {"profile": " ".join(describe_profile(self.user.profile, self.dm.clock()))})]

    def forget_facts(self, parse: Parse) -> Parse | None:
        """ "Forget that I'm vegetarian", "forget my budget", "forget that" just after "I love Thai food":
        that much of the profile (and of the conversation's diet and feature) erased, and said so. The
        message without that request comes back (the same parse when it asks nothing of the kind),
        None when nothing else is left of it."""
        found = forgetting.what_to_forget(parse.text, parse.entities, self.domain, self.statement_before(),
                                          ends=[s.end for s in parse.segments])
        if found is None:
            return parse
        said: list[str] = []
        cleared = forgetting.slots_to_clear(self.state, self.domain, found)
        if self.user is not None:
            updated = forget_values(self.user.profile, found.entities, self.dm.clock(), named=found.named)
            self.user.update(updated)
            said = updated.changes
        if not said:
            said = [f"what you said about {display_value(self.state.slots.get(s))}" for s in cleared]
        self.apply([SetSlot(s, None) for s in cleared])
        self.apply([Utter("utter_facts_forgotten", {"facts": join_words(said)}) if said
                    else Utter("utter_nothing_to_forget")])
        rest = [s for s in parse.segments
                if not s.start <= found.start < s.end and not any(e in found.entities for e in s.entities)]
        if not rest or found.start < 0:
            return None
        first = rest[0]
        return Parse(parse.text, first.intent, [first.intent], [e for s in rest for e in s.entities],
                     rest if len(rest) > 1 else [])

    def statement_before(self) -> tuple[str, list[Any]] | None:
        """The user's previous message when it told something about them ("I love Thai food")."""
        users = [e for e in reversed(self.state.events) if e.get("event") == ev.USER]
        if len(users) < 2:
            return None
        before = Parse.from_dict(users[1].get("parse_data") or {})
        entities = [e for r in Request.from_parse(before) if r.intent == "inform_preference" for e in r.entities]
        return (before.text, entities) if entities else None

    def answer_forget(self, request: Request) -> list[Decision] | None:
        """Yes (or "forget me" again) to "shall I erase everything?": erased after this turn; no: kept, and
        the question we were on asked again. None for anything else (the question lapses)."""
        reply = "yes" if request.intent == "forget_me" else yes_or_no(request.intent, request.text)
        if reply == "no":
            return [Utter("utter_forget_declined")] + slot_policy.reask(self.state, self.domain)
        if reply != "yes":
            return None
        known = [s for s in index(self.domain).profile_slots if self.state.slots.get(s) is not None]
        if self.user is None:
            return [SetSlot(s, None) for s in known] + [Utter("utter_profile_forgotten")]
        return [SetSlot(s, None) for s in known] + [ForgetUser(), Utter("utter_profile_forgotten")]

    def query_for(self, task: Task) -> tuple[str | None, list[tuple[int, int]]]:
        """The user's own words about this task (and where in them the entities are): this turn's
        request for it, else the words of the last suggestion, else the request that asked for it
        before a question came between ("somewhere romantic tonight", then "surprise me")."""
        current = self.request_for(task.type, self.parse) if self.parse is not None else None
        if current is not None and descriptive_words(*current):
            return current
        fallback = current or (None, [])  # this turn's words, though they describe nothing ("a taxi there")
        started = False
        skip_current = self.parse is not None  # this turn's user event: read just above
        for event in reversed(self.state.events):
            kind = event.get("event")
            if kind == ev.BOT:
                shown = (event.get("metadata") or {}).get("recommendation")
                if shown and shown.get("task_id") == task.id:
                    return (shown.get("query"), []) if shown.get("query") else fallback
            elif kind == ev.USER and skip_current:
                skip_current = False
                if started:
                    break
            elif kind == ev.USER:
                found = self.request_for(task.type, Parse.from_dict(event.get("parse_data") or {}))
                if found is not None and descriptive_words(*found):
                    return found  # "somewhere romantic", not "for 3 nights"
                if started:
                    break  # the message that started the task is the last to read
            elif kind == ev.TASK_STARTED and event.get("task_id") == task.id:
                started = True
        return fallback

    def first_words(self, task: Task) -> str:
        """The words of the message that started the task, for it ("get me a taxi there")."""
        started = False
        for event in reversed(self.state.events):
            kind = event.get("event")
            if kind == ev.TASK_STARTED and event.get("task_id") == task.id:
                started = True
            elif kind == ev.USER and started:
                found = self.request_for(task.type, Parse.from_dict(event.get("parse_data") or {}))
                return found[0] if found is not None else ""
        return ""

    def said_now(self, task: Task) -> str:
        """This message's words for the task ("what can I eat nearby?"), or "" when it says none."""
        current = self.request_for(task.type, self.parse) if self.parse is not None else None
        return current[0] if current is not None else ""

    def request_for(self, task_type: str, parse: Parse) -> tuple[str, list[tuple[int, int]]] | None:
        for request in Request.from_parse(parse):
            serving = self.domain.task_for_intent(request.intent)
            if serving is not None and serving.name == task_type:
                # a segment's entities are placed in the whole message; what the user says a place
                # should be like ("romantic", "vegetarian") stays in the words the candidates are searched with
                offset = parse.segments[request.index].start if len(parse.segments) > 1 else 0
                idx = index(self.domain)
                return request.text, [(e.start - offset, e.end - offset) for e in request.entities
                                      if idx.entity_slot.get(e.entity) not in idx.profile_slots]
        return None

    def suggested_ids(self, task: Task) -> list[str]:
        """Items already suggested in this conversation for this task (not offered twice)."""
        out = []
        for event in self.state.events:
            if event.get("event") == ev.BOT:
                shown = (event.get("metadata") or {}).get("recommendation")
                if shown and shown.get("task_id") == task.id and shown.get("id"):
                    out.append(str(shown["id"]))
        return out

    def recommend(self, decision: Recommend) -> None:
        task = self.state.task(decision.task_id)
        recommender = self.dm.recommender
        if task is None or recommender is None or self.user is None:
            self.apply(list(decision.fallback))
            return
        if task.id not in self.answered and self.offer_again(task, decision):
            return
        query, spans = self.query_for(task)
        task_type = self.domain.tasks.get(task.type)
        if not decision.lead and task_type is not None and not cues.no_preference(query or ""):
            # "surprise me with somewhere to eat" answers the taste question before it is asked
            taste = self.domain.slots.get(task_type.taste or "")
            question = recommend_policy.taste_question(task, task_type, self.user.profile, self.dm.clock(),
                                                       suggested=bool(self.suggested_ids(task)),
                                                       described=bool(descriptive_words(query, spans)),
                                                       values=taste.values if taste is not None else ())
            if question:
                self.apply(question)
                return
        suggestion = recommender.suggest(decision.kind, task.slots, query, self.user.profile, self.user.model(),
                                         suggested=self.suggested_ids(task), now=self.dm.clock(), query_spans=spans)
        if decision.lead:
            lead = decision.lead
            specific = [f"{lead}_{kind}" for kind in self.rejected_for]
            lead = next((r for r in specific if r in self.domain.responses), lead)
            self.apply([Utter(lead, task_id=task.id)])
        if suggestion is None and self.offer_closest(task, decision.kind, query, spans):
            return
        if suggestion is None and decision.again:
            # "something more upmarket?" when the dearer places were all passed over before: one of
            # them again, said to be so (only the place on the table is left out)
            suggestion = recommender.suggest(decision.kind, task.slots, query, self.user.profile, self.user.model(),
                                             suggested=self.suggested_ids(task)[-1:], now=self.dm.clock(),
                                             query_spans=spans)
            if suggestion is not None:
                self.apply([Utter("utter_suggest_again", task_id=task.id)])
        if suggestion is None:
            name = index(self.domain).name_slot.get(task.type)
            out: list[Decision] = []
            if name is not None and task.requested_slot != name:
                out.append(SetSlot(REQUESTED_SLOT, name, task.id))
            self.apply(out + [Utter("utter_no_suggestion", {"task": decision.kind}, task.id, expects=SLOT)])
            return
        self.offer(task, decision.kind, suggestion.sentence, suggestion.item.name, suggestion.reasons,
                   suggestion.record(task.id))
        self.user.update(record_suggestion(self.user.profile, suggestion.item, self.dm.clock()))

    def offer_closest(self, task: Task, kind: str, query: str | None, spans: list[tuple[int, int]]) -> bool:
        """Nothing fits everything asked ("cheap, with parking, in the centre"): the best place that
        fits all but one of the task's optional filters, saying which one was set aside (its slot is
        cleared, so what follows searches as offered). What the user said in this message is let go
        of last; before it, the filters the domain lists last (parking before the price range)."""
        task_type = self.domain.tasks.get(task.type)
        recommender, user = self.dm.recommender, self.user
        if task_type is None or recommender is None or user is None:
            return False
        filtered = [s for s in task_type.optional
                    if slot_attribute(s) in recommender.filters(kind, {s: task.slots.get(s)})]
        if len(filtered) < 2 and not (filtered and "price" in self.rejected_for):
            # one filter and nothing fits it: "change what you're looking for" says it better; but after
            # "too expensive" the budget just learnt is the other wish (nothing cheaper in the centre)
            return False
        if recommender.suggest(kind, task.slots, query, user.profile, user.model(), now=self.dm.clock(),
                               query_spans=spans) is not None:
            return False  # places fit, and all were offered ("something else" to the end): say so
        said_at = self.when_said(task)
        this_turn = len(self.state.events) - len(self.events)
        order = sorted(reversed(filtered), key=lambda s: said_at.get(s, -1) >= this_turn)  # stable
        found = recommender.closest(kind, task.slots, order, query, user.profile, user.model(),
                                    suggested=self.suggested_ids(task), now=self.dm.clock(), query_spans=spans)
        if found is None:
            return False
        slot, suggestion = found
        label = self.domain.slots[slot].label or slot_attribute(slot)
        self.apply([SetSlot(slot, None, task.id)])
        said = Utter("utter_no_exact_suggestion", {"task": kind, "slot": label}, task.id)
        if task.id in self.resumed and task.id not in self.started:
            # "Now, about your restaurant search: nothing fits all of that ..." (the way back comes first)
            message = self.dm.nlg.utter(said, self.state)
            back = self.dm.nlg.render("utter_resume_task", {"task": task_policy.label(self.domain, task),
                                                            "question": inline_sentence(message.text)})
            message.text = back.text or message.text
            self.say(message, task.id)
            self.introduced.add(task.id)
        else:
            self.apply([said])
        self.offer(task, kind, suggestion.sentence, suggestion.item.name, suggestion.reasons,
                   suggestion.record(task.id))
        user.update(record_suggestion(user.profile, suggestion.item, self.dm.clock()))
        return True

    def when_said(self, task: Task) -> dict[str, int]:
        """For each of the task's slots, the index in the events of the last time it was set."""
        out: dict[str, int] = {}
        for i, event in enumerate(self.state.events):
            kind = event.get("event")
            if kind == ev.TASK_STARTED and event.get("task_id") == task.id:
                out.update({name: i for name in event.get("slots") or {}})
            elif kind == ev.SLOT and event.get("task_id") == task.id:
                out[str(event.get("name"))] = i
        return out

    def unanswered_suggestion(self, task: Task) -> Mapping[str, Any] | None:
        """The suggestion the task's last question was, when it is still open (an interruption came
        before the answer); None when the task last asked something else."""
        for event in reversed(self.state.events):
            meta = (event.get("metadata") or {}) if event.get("event") == ev.BOT else {}
            if meta.get("task_id") != task.id or not meta.get("expects"):
                continue  # "let's pause the hotel for now" asks nothing: look further back
            shown = meta.get("recommendation")
            return shown if meta.get("expects") == SUGGESTION and shown else None
        return None

    def offer_again(self, task: Task, decision: Recommend) -> bool:
        """A suggestion the user never answered (an interruption came first, or "back to the hotel"),
        for the same search: offer the same place again; a new one would pass it over as if the user
        had turned it down. A changed search ("in the south, then") gets a new suggestion."""
        record = self.unanswered_suggestion(task)
        if record is None:
            return False
        recommender = self.dm.recommender
        searched = {k: v for k, v in recommender.filters(decision.kind, task.slots).items()
                    if isinstance(v, (str, int, float, bool))}
        if searched != dict(record.get("asked") or {}):
            return False
        sentence = recommender.sentence_again(record)
        if sentence is None:
            return False
        reasons = [str(r.get("words")) for r in record.get("reasons") or [] if isinstance(r, Mapping)]
        self.offer(task, decision.kind, sentence, str(record.get("name")), reasons, dict(record))
        return True

    def offer(self, task: Task, kind: str, sentence: str, item: str, reasons: Iterable[str],
              record: Mapping[str, Any]) -> None:
        """Say a suggestion ("How about X?"), introduced as the way back when the task was just resumed."""
        response = f"utter_recommend_{kind}"
        if response not in self.domain.responses:
            response = "utter_recommend"
        values = {**self.dm.nlg.values(self.state, task.id), "suggestion": sentence, "item": item,
                  "reasons": ", ".join(reasons)}
        message = self.dm.nlg.render(response, values)
        if task.id in self.resumed and task.id not in self.started and task.id not in self.introduced:
            label = task_policy.label(self.domain, task)
            wrapper = self.dm.nlg.render("utter_resume_task", {"task": label, "question": inline_sentence(message.text)})
            message.text = wrapper.text or message.text
        self.say(message, task.id, SUGGESTION, recommendation=record)

    def feedback(self, decision: Feedback) -> None:
        user = self.user
        if user is None:
            return
        self.answered.add(decision.task_id)
        item = decision.item
        self.rejected_for = reason_kinds(decision.reason) if not decision.accepted else []
        user.learn(item.get("features") or {}, decision.accepted, skipped=decision.skipped)
        if not decision.skipped and item.get("id"):
            user.update(apply_feedback(user.profile, item, decision.accepted, decision.reason, self.dm.clock()))

    def booked(self, task: Task, cancelled: bool = False) -> None:
        """A booking went through: the strongest sign of taste, and the hotel's area becomes shared;
        ``cancelled``: it was cancelled, and the profile no longer counts it as booked."""
        user, recommender = self.user, self.dm.recommender
        task_type = self.domain.tasks.get(task.type)
        if user is None or recommender is None or task_type is None or not task_type.recommend or task.goal != "book":
            return
        name_slot = index(self.domain).name_slot.get(task.type)
        item = recommender.find(task_type.recommend, task.slots.get(name_slot)) if name_slot else None
        if item is not None:
            user.update(apply_cancellation(user.profile, item, self.dm.clock()) if cancelled
                        else apply_outcome(user.profile, item, True, self.dm.clock()))

    # ------------------------------------------------------------ actions
    def run_action(self, decision: RunAction) -> None:
        state, domain = self.state, self.domain
        task = state.task(decision.task_id)
        if task is None:
            return
        self.record(ev.action(decision.action, policy="slot_policy", confidence=1.0, timestamp=self.dm.clock()))
        runner = self.dm.action_runner
        try:
            if runner is None:
                raise ActionFailed(decision.action, NOT_FOUND, "no action runner configured")
            result = runner.run(decision.action, state.to_tracker_json(domain, task.id), self.dm.rasa_domain)
        except ActionError as error:
            logger.warning("%s (task %s)", error, task.id)
            self.action_failed(task, error, decision.cancels)
            return
        except Exception as error:  # a runner bug must not end the conversation
            logger.exception("action '%s' of task %s crashed the runner", decision.action, task.id)
            self.action_failed(task, ActionFailed(decision.action, CRASHED, str(error)), decision.cancels)
            return
        for response in result.responses:
            self.say(self.dm.nlg.render_response(response, state, task.id), task.id)
        set_slots: dict[str, Any] = {}
        for event in result.events:
            kind = event.get("event")
            if kind not in ACTION_EVENTS:
                logger.warning("action '%s' returned a '%s' event; ignored", decision.action, kind)
                continue
            event = dict(event)
            if event.get("timestamp") is None:
                event["timestamp"] = self.dm.clock()
            if kind == ev.SLOT:
                event.setdefault("task_id", task.id)
                if event["task_id"] == task.id:
                    set_slots[str(event.get("name"))] = event.get("value")
            self.record(event)
        required = {slot for group in domain.tasks[task.type].required for slot in group} \
            if task.type in domain.tasks else set()
        cleared = [name for name, value in set_slots.items() if value is None and name in required]
        if cleared and not decision.cancels:
            # Rasa's form convention: an action that unsets a slot the task needs did not do it and wants
            # that slot again ("no train arrives by 05:00"); the task stays open and asks for it
            self.record(ev.task_resumed(task.id, timestamp=self.dm.clock()))
            self.apply(slot_policy.next_step(state, task, domain))
            return
        if decision.cancels and decision.rebook:  # a change: the old booking is gone, the task books again
            self.record(ev.task_resumed(task.id, timestamp=self.dm.clock()))
            self.apply([SetSlot(slot, value, task.id) for slot, value in decision.rebook])
            step = slot_policy.next_step(state, task, domain)
            if any(isinstance(d, Utter) and d.expects == CONFIRM for d in step) and task.type in domain.tasks:
                # the yes to "shall I change it? I'll cancel it and book it again" was the confirmation:
                # no second "shall I book it?" with the old booking already gone
                self.apply([d for d in step if not isinstance(d, Utter)])
                self.apply([RunAction(task.id, domain.tasks[task.type].action)])
            else:
                self.apply(step)
            return
        if decision.cancels:  # the booking is cancelled: so is the task (its details kept, to book again)
            if not result.responses:
                self.apply([Utter("utter_cancel_task", {"task": task_policy.label(domain, task)}, task.id)])
            self.apply([CancelTask(task.id, "user")])
            self.booked(task, cancelled=True)
            return
        done = domain.tasks[task.type].responses.get("done") if task.type in domain.tasks else None
        if not result.responses and done:
            self.apply([Utter(done, task_id=task.id)])
        self.apply([CompleteTask(task.id, set_slots)])
        self.booked(task)

    def action_failed(self, task: Task, error: ActionError, cancelling: bool = False) -> None:
        """Apologise and keep the task open with everything it had; a yes tries again. A booking
        that could not be cancelled stays as it was (booked)."""
        self.failed = True
        if cancelling:
            self.say(BotMessage(text=f"{error.user_message} The booking stands as it was."), task.id,
                     error=error.reason, action=error.action_name)
            return
        self.say(BotMessage(text=error.user_message), task.id, RETRY, error=error.reason,
                 action=error.action_name)
        if task.status != ACTIVE or self.state.focus != task.id:
            self.record(ev.task_resumed(task.id, timestamp=self.dm.clock()))
