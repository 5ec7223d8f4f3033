"""Replies to the question the bot asked last: a yes, a no, a way back, a goodbye."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from assistant.dialogue.base import TurnBase
from policies import conflicts, cues, recommend_policy, slot_policy, task_policy
from policies.context import Pending, Request, TurnContext
from policies.cues import yes_or_no
from policies.decisions import (ANYTHING_ELSE, CANCEL_BOOKING, CHANGE_BOOKING, CONFIRM, CONFLICT, FORGET, LEAVING,
                                OFFER, RETRY, SLOT, SUGGESTION, WHICH_TASK, Decision, Recommend, RunAction, SetSlot,
                                UpdateTask, Utter)
from policies.index import index

if TYPE_CHECKING:
    from assistant.state import Task

# "book it (for 6 people)": a booking asked for in no task's words, read by the model as any task's
_BOOK_IT = re.compile(r"\bbook (?:it|that|them|there)\b", re.IGNORECASE)


class Replies(TurnBase):
    """Which decisions settle the open question, or None when the message does not answer it."""

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
        if pending is not None and pending.expects == OFFER and self.books_declined(request, pending):
            # "actually, can you book it for 2 people for 3 nights?" after "I won't book it": taken up again
            return slot_policy.answer(pending, state, dataclasses.replace(request, intent="affirm"), domain)
        if pending is not None and pending.expects in (CONFIRM, OFFER) and self.books_the_asker(request, pending):
            # "yes, book the taxi" to "shall I book a taxi ...?": the booking intent says yes
            # (the values it repeats, "for 6 people", are the ones it has: nothing to correct)
            return slot_policy.answer(pending, state, dataclasses.replace(request, intent="affirm", entities=()),
                                      domain)
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
            if task_policy.taken_back_unnamed(request, state, domain) is not None:
                return None  # "actually I still need it" just after cancelling: no "yes" to "anything else?"
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

    def not_now(self, requests: list[Request], pending: Pending) -> bool:
        """ "Not now, let's go back to the hotel": a bare no, then a way back to another task."""
        first = requests[0]
        return (not first.entities and yes_or_no(first.intent, first.text) == "no"
                and any(self.goes_back(pending, r) for r in requests[1:]))

    def books_the_asker(self, request: Request, pending: Pending) -> bool:
        """ "(Yes,) book the taxi" or "book it for 6 people" (the 6 it has) while the taxi or the train asks
        to be confirmed or offers a booking: the booking intent of the task that asks, with nothing new
        for it and no "no" in the words."""
        asker = self.state.task(pending.task_id) if pending.task_id else None
        serving = self.domain.task_for_intent(request.intent)
        text = request.text or ""
        # the asker's own booking intent, or "book it ..." read for another task (meant_for_asker made it inform)
        booking = (serving is not None and asker is not None and serving.name == asker.type
                   and self.domain.goal_of(request.intent) == "book") \
            or (request.intent == "inform" and bool(_BOOK_IT.search(text)))
        if asker is None or not booking or cues.NO.search(text):
            return False
        proposed = slot_policy.proposals(asker.type, request.entities, self.domain)
        return all(asker.slots.get(slot) == value for slot, value in proposed.items())

    def books_declined(self, request: Request, pending: Pending) -> bool:
        """A booking asked for (the task's own booking intent, or "book it") with no "no" in the words,
        while the task that asks is a search whose booking the user declined earlier."""
        asker = self.state.task(pending.task_id) if pending.task_id else None
        if asker is None or asker.is_open or asker.goal != "find" or cues.NO.search(request.text or ""):
            return False
        serving = self.domain.task_for_intent(request.intent)
        return (serving is not None and serving.name == asker.type and self.domain.goal_of(request.intent) == "book") \
            or bool(_BOOK_IT.search(request.text or ""))

    def meant_for_asker(self, request: Request, pending: Pending) -> Request:
        """ "ok book it for 2 people" read as a table booking while the hotel asks: "it" is the hotel,
        so the request is details for the task that asked, not a new task. So is "make a booking for 3
        people" to the train's "how many people are travelling?": the value asked for, and no other
        task or place named."""
        asker = self.state.task(pending.task_id) if pending.task_id else None
        if asker is None or self.domain.task_for_intent(request.intent) in (None, self.domain.tasks.get(asker.type)):
            return request
        if recommend_policy.refers_to_task(request, asker.type, self.domain) or self.answers_asked(request, asker,
                                                                                                   pending):
            return dataclasses.replace(request, intent="inform")
        return request

    def answers_asked(self, request: Request, asker: Task, pending: Pending) -> bool:
        """The request gives the slot the asker's question asks for, every value it gives has a slot of
        its kind in the asker, and it names no task and no place (those start something else)."""
        idx = index(self.domain)
        names = set(idx.name_slot.values())
        proposed = slot_policy.proposals(asker.type, request.entities, self.domain)
        return (pending.expects == SLOT and asker.requested_slot in proposed
                and not cues.named_tasks(request.text or "", self.domain, request.entities)
                and all(e.entity not in names and idx.maps(asker.type, e.entity) is not None
                        for e in request.entities))

    def goes_back(self, pending: Pending, request: Request) -> bool:
        """ "Back to the hotel" or "ok, now the taxi" (any task named), or just "back to it" while a task
        asks: the question waits for its task to come back (asked again then) rather than take the "ok"."""
        asks, named = cues.resume_target(request.text, self.domain, request.entities)
        asker = self.state.task(pending.task_id) if pending.task_id else None
        return asks and (named is not None or asker is not None)
