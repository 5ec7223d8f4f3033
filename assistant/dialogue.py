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

import logging
import random
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple

from assistant import events as ev
from assistant.actions.bridge import CRASHED, NOT_FOUND, ActionError, ActionFailed
from assistant.nlg import BotMessage, NaturalLanguageGenerator
from assistant.state import ACTIVE
from policies import conflicts, fallback, slot_policy, task_policy
from policies.context import PolicyConfig, Request, TurnContext, pending_question
from policies.cues import yes_or_no
from policies.decisions import (
    ANYTHING_ELSE,
    CONFIRM,
    CONFLICT,
    OFFER,
    RETRY,
    SLOT,
    WHICH_TASK,
    CancelTask,
    CompleteTask,
    Decision,
    DetectConflict,
    ResolveConflict,
    ResumeTask,
    RunAction,
    SayText,
    StartTask,
    Utter,
)

if TYPE_CHECKING:
    from assistant.actions.bridge import ActionRunner
    from assistant.domain import Domain
    from assistant.state import DialogueState, Task
    from nlu.types import Parse

logger = logging.getLogger(__name__)

RESTART_INTENT = "restart"
# events an action may return that the agenda takes; the rest (restart, reset_slots, ...) would undo
# other tasks' work behind the dialogue manager's back and are dropped with a warning
ACTION_EVENTS = frozenset({ev.SLOT, ev.FOLLOWUP})
_MAX_STEPS = 64  # actions run and tasks resumed in one turn, at most


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
    ) -> None:
        self.domain = domain
        self.action_runner = action_runner
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
    ) -> Turn:
        run = _TurnRun(self, state)
        run.run(parse, metadata, input_channel, message_id)
        return Turn(run.events, run.messages)


class _TurnRun:
    """The bookkeeping of one turn: events so far, messages so far, what happened to which task."""

    def __init__(self, dm: DialogueManager, state: DialogueState) -> None:
        self.dm = dm
        self.state = state
        self.domain = dm.domain
        self.events: list[dict] = []
        self.messages: list[BotMessage] = []
        self.questions: list[str] = []  # what each question asked this turn waits for
        self.started: set[str] = set()
        self.resumed: set[str] = set()
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
                message = self.dm.nlg.utter(decision, self.state)
                self.say(message, decision.task_id, decision.expects, decision.conflict)
            elif isinstance(decision, SayText):
                self.say(self.dm.nlg.say(decision), decision.task_id, decision.expects)
            elif isinstance(decision, RunAction):
                self.run_action(decision)
            else:
                self.record(decision.event(self.dm.clock()))
                if isinstance(decision, StartTask):
                    self.started.add(decision.task_id)
                elif isinstance(decision, ResumeTask):
                    self.resumed.add(decision.task_id)
                elif isinstance(decision, (CompleteTask, CancelTask)):
                    self.closed = True
                elif isinstance(decision, (DetectConflict, ResolveConflict)):
                    self.settled = True

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
        if conflict:
            metadata["conflict"] = dict(conflict)
        metadata.update(extra)
        self.record(ev.bot(message.text, message.event_data(), metadata, timestamp=self.dm.clock()))
        self.messages.append(message)

    # ------------------------------------------------------------ the turn
    def run(self, parse: Parse, metadata: Mapping[str, Any] | None, input_channel: str | None,
            message_id: str | None) -> None:
        ctx = TurnContext(self.dm.config, datetime.fromtimestamp(self.dm.clock()), pending_question(self.state))
        self.record(ev.user(parse.text, parse, input_channel, metadata, message_id, timestamp=self.dm.clock()))
        if parse.intent.name == RESTART_INTENT:
            self.record(ev.action("action_restart", policy="dialogue_manager", confidence=1.0,
                                  timestamp=self.dm.clock()))
            self.record(ev.restart(timestamp=self.dm.clock()))
            return
        unsure = fallback.decide(self.state, parse, self.domain, ctx)
        if unsure:
            self.apply(unsure)
            if not self.questions:  # "sorry, I didn't get that": then the question we were on
                self.apply(slot_policy.reask(self.state, self.domain))
            self.apply(conflicts.recheck(self.state, self.domain, ctx))
            return
        requests = Request.from_parse(parse)
        if ctx.pending is not None and requests:
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
        if pending is None or request.intent == "cancel_task" or domain.task_for_intent(request.intent):
            return None
        if pending.expects in (CONFIRM, OFFER, RETRY):
            return slot_policy.answer(pending, state, request, domain)
        if pending.expects == CONFLICT:
            return conflicts.answer(pending, state, request, domain)
        if pending.expects == WHICH_TASK:
            return task_policy.answer_which(pending, state, request, domain)
        if pending.expects == ANYTHING_ELSE and not request.entities:
            reply = yes_or_no(request.intent, request.text)
            if reply == "no":
                self.quiet = True
                return [Utter("utter_goodbye")]
            if reply == "yes":
                return [Utter("utter_help")]
        return None

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
                task = state.task(started) if started else state.task_of_type(step.task_type)  # type: ignore[arg-type]
                if task is not None:
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
                decisions = task_policy.profile(step, state, domain)
                understood = True
            elif step.kind == task_policy.CHITCHAT:
                decisions = task_policy.chitchat(step)
                self.quiet = self.quiet or step.request.intent == "bye"
                understood = True
            self.apply(decisions)
        if several:
            self.apply(task_policy.announce_queue(served, state, domain))
        if not understood and not self.messages:
            reply = yes_or_no(requests[0].intent, requests[0].text) if len(requests) == 1 else None
            if reply is not None and state.focused_task is None:  # "ok" with nothing open
                self.apply([Utter("utter_anything_else", expects=ANYTHING_ELSE)])
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
        self.apply(conflicts.stale(state, domain, ctx, may_ask))
        if not self.messages:
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
                continue
            step = slot_policy.next_step(state, task, domain)
            if not step:
                return
            if task.id in self.resumed and task.id not in self.started:
                step = [self._resumed(task, d) if isinstance(d, Utter) and d.expects else d for d in step]
            self.apply(step)
            if self.failed or not any(isinstance(d, RunAction) for d in step):
                return

    def _resumed(self, task: Task, question: Utter) -> Utter:
        return Utter("utter_resume_task", {"task": task_policy.label(self.domain, task)}, task.id,
                     expects=question.expects, conflict=question.conflict, question=question)

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
            self.action_failed(task, error)
            return
        except Exception as error:  # a runner bug must not end the conversation
            logger.exception("action '%s' of task %s crashed the runner", decision.action, task.id)
            self.action_failed(task, ActionFailed(decision.action, CRASHED, str(error)))
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
        done = domain.tasks[task.type].responses.get("done") if task.type in domain.tasks else None
        if not result.responses and done:
            self.apply([Utter(done, task_id=task.id)])
        self.apply([CompleteTask(task.id, set_slots)])

    def action_failed(self, task: Task, error: ActionError) -> None:
        """Apologise and keep the task open with everything it had; a yes tries again."""
        self.failed = True
        self.say(BotMessage(text=error.user_message), task.id, RETRY, error=error.reason,
                 action=error.action_name)
        if task.status != ACTIVE or self.state.focus != task.id:
            self.record(ev.task_resumed(task.id, timestamp=self.dm.clock()))
