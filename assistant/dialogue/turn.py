"""One turn, start to end: the order in which a message is understood, answered and served."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from assistant import events as ev
from assistant.dialogue.asking import PlaceQuestions
from assistant.dialogue.offers import Offers
from assistant.dialogue.places import PlacesFromTasks
from assistant.dialogue.reading import SlotReading
from assistant.dialogue.replies import Replies
from assistant.dialogue.running import ActionRuns
from assistant.dialogue.user_steps import UserSteps
from assistant.profile.updates import apply_price_wish
from assistant.recommender.words import article
from nlu.types import IntentPrediction, Parse
from policies import conflicts, cues, fallback, landmarks, language, plans, slot_policy, task_policy
from policies.context import Request, TurnContext, pending_question
from policies.cues import yes_or_no
from policies.decisions import (ANYTHING_ELSE, CONFIRM, SLOT, CancelTask, CompleteTask, Decision, DetectConflict,
                                Feedback, ForgetUser, RaiseBudget, Recommend, ResolveConflict, ResumeTask, RunAction,
                                SayText, SetSlot, StartTask, Utter)
from policies.words import join_words

if TYPE_CHECKING:
    from assistant.state import Task


RESTART_INTENT = "restart"
_MAX_STEPS = 64  # actions run and tasks resumed in one turn, at most


class TurnRun(Replies, PlaceQuestions, PlacesFromTasks, SlotReading, Offers, UserSteps, ActionRuns):
    """One turn: each part of the work lives in its own module (the bases); this class orders them."""

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

    def run(self, parse: Parse, metadata: Mapping[str, Any] | None, input_channel: str | None,
            message_id: str | None) -> None:
        recommender = self.dm.recommender
        ctx = TurnContext(self.dm.config, datetime.fromtimestamp(self.dm.clock()), pending_question(self.state),
                          diet_clash=recommender.diet_clash if recommender is not None else None,
                          landmark_area=recommender.landmark_area if recommender is not None else None)
        meant = cues.emoji_intent(parse.text)
        if meant is not None and meant in self.domain.intents:  # "🙏": thanks, whatever the model made of it
            said = IntentPrediction(meant, 1.0)
            parse = dataclasses.replace(parse, intent=said, intent_ranking=[said], entities=[], segments=[])
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
        # "7" answering "at what time?" is the time, not 7 people; "nrth" is north; "asap" is in ten minutes
        requests = [slot_policy.closed_set_values(slot_policy.bare_number_as_asked_time(
            slot_policy.party_in_words(r, self.state, self.domain), self.state, self.domain), self.domain)
            for r in requests]
        requests = [slot_policy.time_from_now(r, self.state, self.domain, ctx.now) for r in requests]
        # "..., not too expensive": the moderate range, for the task of the request (or of the one before it)
        requests = [slot_policy.negated_price(r, self.state, self.domain, requests[i - 1] if i else None)
                    for i, r in enumerate(requests)]
        self.requests = requests
        self.learn_from(requests)
        if ctx.pending is not None and len(requests) > 1 and self.not_now(requests, ctx.pending):
            requests = requests[1:]  # "not now, back to the hotel": the question waits for its task to come back
        if ctx.pending is not None and requests:
            requests[0] = self.meant_for_asker(requests[0], ctx.pending)
            answer = self.answer(requests[0], ctx)
            if answer is not None:
                self.apply(answer)
                # "great, that's all I need": the yes is taken, then goodbye (nothing waiting is brought back)
                self.closing = requests[0].intent == "bye" and not self.quiet
                requests = requests[1:]
        if requests:
            self.route(requests, parse.text or "", ctx)
        self.finish(ctx)

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
            elif step.kind == task_policy.STAY:
                stay = task_policy.stay(step, state, domain)
                self.apply(stay)
                decisions = self.staying(next(d.task_id for d in stay if isinstance(d, StartTask)))
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
        if self.closing and not self.quiet and not self.questions:
            self.apply([Utter("utter_goodbye")])
            self.quiet = True
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
                waiting = [] if self.closing else task_policy.resume_next(state)
                if not waiting:
                    if self.closed and not self.questions and not self.closing:
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
