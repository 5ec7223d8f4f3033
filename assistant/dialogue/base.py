"""The bookkeeping one turn shares: the state, the user, the events and messages so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from assistant import events as ev
from assistant.nlg import BotMessage
from nlu.types import Parse
from policies.context import Pending, Request
from policies.decisions import SUGGESTION, Decision

if TYPE_CHECKING:
    from assistant.dialogue.manager import DialogueManager
    from assistant.profile.session import UserContext
    from assistant.state import DialogueState


class TurnBase:
    """What happened to which task this turn. Each part of the turn's work (replies, questions, places,
    slot reading, offers, the user, actions) is a class of its own module built on this one; TurnRun
    (turn.py) combines them, so the parts call one another through ``self`` as one turn."""

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
        self.closing = False  # a goodbye that also answered the question: finish what it settled, then goodbye
        self.settled = False  # a conflict was raised or settled this turn

    def record(self, event: dict) -> None:
        self.state.apply(event)
        self.events.append(event)

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

    def apply(self, decisions: list[Decision]) -> None:
        """Carry out decisions in order (TurnRun.apply)."""
        raise NotImplementedError
