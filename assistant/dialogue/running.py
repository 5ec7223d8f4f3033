"""Task fulfilment: running a task's rasa-sdk action and taking its events."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from assistant import events as ev
from assistant.actions.bridge import CRASHED, NOT_FOUND, ActionError, ActionFailed
from assistant.dialogue.base import TurnBase
from assistant.nlg import BotMessage
from assistant.state import ACTIVE
from policies import slot_policy, task_policy
from policies.decisions import CONFIRM, RETRY, CancelTask, CompleteTask, RunAction, SetSlot, Utter

if TYPE_CHECKING:
    from assistant.state import Task


logger = logging.getLogger(__name__)

# events an action may return that the agenda takes; the rest (restart, reset_slots, ...) would undo
# other tasks' work behind the dialogue manager's back and are dropped with a warning
ACTION_EVENTS = frozenset({ev.SLOT, ev.FOLLOWUP})


class ActionRuns(TurnBase):
    """Runs an action through the configured runner; a failure keeps the task open to try again."""

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
