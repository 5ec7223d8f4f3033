"""Natural-language generation: decisions to bot messages, through the domain's responses.

A ``BotMessage`` is what a channel sends; ``to_rasa`` gives Rasa's REST shape
``{"recipient_id", "text", "buttons": [{"title", "payload"}], ...}`` with unset fields left out.
"""

from __future__ import annotations

import copy
import logging
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from policies.decisions import SayText, Utter
from policies.words import slot_words

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState

logger = logging.getLogger(__name__)

_FIELDS = ("image", "custom", "attachment")
# "{hotel-bookstay} nights" with one night: templates count in the plural, one of a thing is singular
_SINGULAR = {"people": "person", "nights": "night", "tickets": "ticket", "guests": "guest", "rooms": "room"}
_ONE_OF = re.compile(r"\b(1|one) (people|nights|tickets|guests|rooms)\b", re.IGNORECASE)


def singular_counts(text: str) -> str:
    """ "1 tickets" -> "1 ticket", "1 people" -> "1 person"; any other count as it is."""
    return _ONE_OF.sub(lambda m: f"{m[1]} {_SINGULAR[m[2].lower()]}", text)


@dataclass
class BotMessage:
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    image: str | None = None
    custom: Any = None
    attachment: Any = None
    response: str | None = None  # the domain response it came from (not sent; kept in the bot event)

    def to_rasa(self, recipient_id: str) -> dict[str, Any]:
        """Rasa's REST channel shape; fields that are not set are left out."""
        out: dict[str, Any] = {"recipient_id": recipient_id}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [dict(b) for b in self.buttons]
        for key in _FIELDS:
            if getattr(self, key) is not None:
                out[key] = copy.deepcopy(getattr(self, key))
        return out

    def event_data(self) -> dict[str, Any]:
        """The ``data`` of the bot event (everything but the text), as Rasa stores it."""
        data: dict[str, Any] = {}
        if self.buttons:
            data["buttons"] = [dict(b) for b in self.buttons]
        for key in _FIELDS:
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_rasa(cls, message: Mapping[str, Any]) -> BotMessage:
        return cls(
            text=message.get("text"),
            buttons=[{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                     for b in message.get("buttons") or [] if isinstance(b, Mapping)],
            image=message.get("image"),
            custom=_custom(message),
            attachment=message.get("attachment"),
        )


def _custom(message: Mapping[str, Any]) -> Any:
    """The custom JSON of a rasa-sdk message; rasa-sdk sends ``"custom": {}`` for none, which is none."""
    for key in ("custom", "json_message"):
        value = message.get(key)
        if value is not None and value != {}:
            return value
    return None


def inline_sentence(text: str | None) -> str | None:
    """A sentence put after a colon: "How many nights?" -> "how many nights?" (not "I ..." or "UK ...")."""
    if not text or len(text) < 2 or not text[0].isupper() or not text[1].islower():
        return text
    return text[0].lower() + text[1:]


class NaturalLanguageGenerator:
    """Words decisions with the domain's responses; ``rng`` picks among variations (seed it for replays)."""

    def __init__(self, domain: Domain, rng: random.Random | None = None, channel: str | None = None) -> None:
        self.domain = domain
        self.rng = rng or random.Random()
        self.channel = channel

    def values(self, state: DialogueState, task_id: str | None) -> dict[str, Any]:
        """Template values: global (profile) slots, overlaid with the task's own; a place said as a
        common noun reads with its article ("from the train station", not "from train station"), a
        day with its capital ("on Friday")."""
        values = dict(state.slots)
        task = state.task(task_id) if task_id else None
        if task is not None:
            values.update(task.slots)
        for slot, value in values.items():
            spec = self.domain.slots.get(slot)
            if spec is not None:
                values[slot] = slot_words(spec.kind, value)
        return values

    def utter(self, decision: Utter, state: DialogueState) -> BotMessage:
        values = self.values(state, decision.task_id)
        question = self.utter(decision.question, state) if decision.question is not None else None
        if question is not None:
            values["question"] = inline_sentence(question.text)
        values.update(decision.values)
        message = self.render(decision.response, values)
        if question is not None and not message.buttons:
            message.buttons = question.buttons
        return message

    def render(self, response: str, values: Mapping[str, Any]) -> BotMessage:
        if response not in self.domain.responses:
            logger.warning("no response %r in %s; saying utter_default instead", response, self.domain.path)
            if response == "utter_default" or "utter_default" not in self.domain.responses:
                return BotMessage(text="Sorry, I didn't get that.", response=response)
            response = "utter_default"
        raw = self.domain.render(response, values, rng=self.rng, channel=self.channel)
        message = BotMessage.from_rasa(raw)
        message.response = response
        if message.text:
            message.text = singular_counts(message.text)
        return message

    def render_response(self, message: Mapping[str, Any], state: DialogueState, task_id: str | None) -> BotMessage:
        """A message an action sent: a named template (``response``, extra keys as values) or literal fields."""
        name = message.get("response") or message.get("template")
        if name:
            extra = {k: v for k, v in message.items() if k not in ("response", "template", "text", "buttons")}
            values = {**self.values(state, task_id), **extra}
            rendered = self.render(str(name), values)
            return rendered
        return BotMessage.from_rasa(message)

    @staticmethod
    def say(decision: SayText) -> BotMessage:
        return BotMessage(text=decision.text, buttons=[dict(b) for b in decision.buttons], image=decision.image,
                          custom=decision.custom, attachment=decision.attachment)
