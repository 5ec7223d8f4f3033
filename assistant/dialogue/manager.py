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

Decisions come from the pure functions of ``policies/``; the turn (``turn.py``, with one module per
part of the work: replies, questions, places, slot reading, offers, the user, actions) carries them
out: each becomes an event (applied to ``state`` at once, so later policies see it), a bot message,
or an action run. The state passed in is advanced in place to match the returned events. The only
I/O is the action call.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple

from assistant.dialogue.turn import TurnRun
from assistant.nlg import BotMessage, NaturalLanguageGenerator
from nlu.types import Parse
from policies.context import PolicyConfig

if TYPE_CHECKING:
    from assistant.actions.bridge import ActionRunner
    from assistant.domain import Domain
    from assistant.profile.session import UserContext
    from assistant.recommender.service import Recommender
    from assistant.state import DialogueState


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
        run = TurnRun(self, state, user)
        run.run(parse, metadata, input_channel, message_id)
        return Turn(run.events, run.messages)
