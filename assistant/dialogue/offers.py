"""Suggestions: what the user asked for in their words, and how a place is offered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from assistant import events as ev
from assistant.dialogue.base import TurnBase
from assistant.nlg import inline_sentence
from assistant.profile.model import slot_attribute
from assistant.profile.updates import record_suggestion
from assistant.recommender.service import descriptive_words
from nlu.types import Parse
from policies import cues, recommend_policy, task_policy
from policies.context import Request
from policies.decisions import SLOT, SUGGESTION, Decision, Recommend, SetSlot, Utter
from policies.index import REQUESTED_SLOT, index

if TYPE_CHECKING:
    from assistant.state import Task


class Offers(TurnBase):
    """The recommender's side of a turn: the query, the taste question, the suggestion, the closest fit."""

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

    def offered_names(self, task: Task) -> list[str]:
        """The names of the places suggested for the task, oldest first."""
        names = []
        for event in self.state.events:
            shown = (event.get("metadata") or {}).get("recommendation") if event.get("event") == ev.BOT else None
            if shown and shown.get("task_id") == task.id and shown.get("name"):
                names.append(str(shown["name"]))
        return names

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
