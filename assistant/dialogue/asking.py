"""Questions about a place answered from the catalogue or the booking, and price comparisons."""

from __future__ import annotations

import dataclasses
from typing import Any

from assistant.dialogue.base import TurnBase
from nlu.types import Parse
from policies import questions, recommend_policy, task_policy
from policies.context import Request, TurnContext
from policies.decisions import CONFLICT, SUGGESTION, Decision, Utter
from policies.index import index
from policies.words import place_name


class PlaceQuestions(TurnBase):
    """ "What's the address?", "does it have a pool?", "is it far from my hotel?", "anything cheaper?"."""

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
