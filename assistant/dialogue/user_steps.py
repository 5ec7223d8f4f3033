"""What a turn learns about the user, tells them about themselves, and forgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant import events as ev
from assistant.dialogue.base import TurnBase
from assistant.domain import display_value
from assistant.profile.describe import describe_profile
from assistant.profile.updates import (apply_cancellation, apply_entities, apply_feedback, apply_outcome, apply_stay,
                                       apply_statement, forget_values, reason_kinds)
from nlu.types import Parse
from policies import forgetting, slot_policy, task_policy
from policies.context import Request
from policies.cues import yes_or_no
from policies.decisions import FORGET, Decision, Feedback, ForgetUser, SetSlot, Utter
from policies.index import index
from policies.words import join_words

if TYPE_CHECKING:
    from assistant.state import Task


_ABOUT_THE_BOT = frozenset({"help", "bot_challenge"})  # questions about the assistant, none about the user


class UserSteps(TurnBase):
    """The profile's side of a turn: statements, feedback, bookings, "what do you know about me?", forgetting."""

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
                # "we're a family of 4 visiting on Saturday": the party and the day carry over to the bookings
                shared = [e for e in request.entities if self.fact_kind(e) and self.valid_value(e)]
                if shared:
                    user.update(apply_entities(user.profile, None, shared, now))
                continue
            serving = self.domain.task_for_intent(request.intent)
            focused = self.state.focused_task
            task_type = serving.name if serving is not None else (focused.type if focused is not None else None)
            # "for 50 people", refused by the slot, is no party size to remember and carry over
            valid = [e for e in request.entities if self.valid_value(e)]
            user.update(apply_entities(user.profile, task_type, valid, now))

    def staying(self, task_id: str) -> list[Decision]:
        """ "I'm staying at the Lockside Guesthouse": said back with the place's own name, and its part of
        town becomes where the user stays (suggestions near it, "dinner nearby")."""
        task = self.state.task(task_id)
        if task is None:
            return []
        task_type = self.domain.tasks[task.type]
        place = task_type.schedule_value("place", task.slots)
        recommender = self.dm.recommender
        item = recommender.find(task_type.recommend, place) if recommender is not None and task_type.recommend \
            else None
        if self.user is not None and place is not None:
            area = item.attributes.get("area") if item is not None else None
            self.user.update(apply_stay(self.user.profile, str(place), area, self.dm.clock()))
        return [Utter("utter_staying_noted", {"item": display_value(place)}, task.id)]

    def fact_kind(self, entity: Any) -> bool:
        """Whether the entity gives a fact shared across tasks: a number of people or a day."""
        spec = self.domain.slots.get(index(self.domain).entity_slot.get(entity.entity, ""))
        return spec is not None and spec.kind in ("people", "day")

    def valid_value(self, entity: Any) -> bool:
        """Whether the slot the entity fills would take its value (an entity of no slot is kept)."""
        spec = self.domain.slots.get(index(self.domain).entity_slot.get(entity.entity, ""))
        return spec is None or spec.validate(entity.value)[1] is None

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
