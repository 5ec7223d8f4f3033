"""The recommender the dialogue manager asks: one suggestion for a task, with its reasons.

    recommender = Recommender.from_folder("data/catalogue")
    suggestion = recommender.suggest("restaurant", {"restaurant-area": "centre"}, "somewhere romantic",
                                     profile, model, suggested=["restaurant-0003"], now=time.time())
    suggestion.sentence  # "How about ..., a ... place in the centre? You liked Indian food before."

Steps: the hard filter from the task's slots (``restaurant-food=indian`` → ``food=indian``) →
candidates: every item that passes (small catalogues), or the nearest by description to the user's
own words when those words say something beyond the slots ("somewhere romantic with a view") →
``policies.ranking.rank`` (profile affinity, similarity, popularity, learnt weights, diversity) → the
top item with its reasons. Embeddings (sentence-transformers) load only when a query needs them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from assistant.profile.describe import feature_clause
from assistant.profile.model import UserProfile, slot_attribute
from assistant.recommender.catalogue import NO_CONSTRAINT, Catalogue, CatalogueItem, load_catalogue
from assistant.recommender.words import suggestion_sentence
from policies import ranking
from policies.bandit import BanditState
from policies.landmarks import Landmarks, Place
from policies.words import join_words

logger = logging.getLogger(__name__)

# words that say which task, not what the user likes: a query made only of these is no query
_GENERIC = frozenset("""
a an the i im i'm me my we our us you your it its is are be am was can could would will shall should please
want need like looking look find get book reserve recommend suggest suggestion something somewhere some any
place places restaurant restaurants hotel hotels guesthouse attraction attractions table room rooms stay
eat food dinner lunch breakfast visit see go going do to for in on at of and or with about around near
nearby town city there here good nice what which where how one else another other different also maybe
just really very then now tonight today tomorrow know tell show help hi hello hey thanks thank yes no ok
okay sure that this those these them they of from by up out too some
sightseeing sights sight things thing explore visiting seeing doing worth
night nights day days week weeks people person persons guest guests ticket tickets star stars party
idea ideas have has got suggestions recommendation recommendations option options meal meals bite spot
morning afternoon evening weekend surprise pick choose whatever
""".split())
_WORD = re.compile(r"[a-z][a-z'\-]*")
_NAME_WORD = re.compile(r"\w+")
NAME_ATTRIBUTE = "name"


@dataclass(frozen=True)
class Suggestion:
    item: CatalogueItem
    ranked: ranking.Ranked
    reasons: tuple[str, ...]  # the reasons in words, largest contribution first
    sentence: str
    semantic: bool  # the user's words ranked the candidates
    query: str | None = None  # those words (what a later "something else" searches with again)
    asked: Mapping[str, Any] = field(default_factory=dict)  # the request's filters ({"area": "north"})

    def record(self, task_id: str | None = None) -> dict[str, Any]:
        """What the bot event keeps of it, and what the answer to it learns from."""
        return {
            "kind": self.item.kind, "id": self.item.id, "name": self.item.name, "task_id": task_id,
            "attributes": dict(self.item.attributes),
            "features": {k: round(float(v), 6) for k, v in self.ranked.features.items()},
            "reasons": [r.to_dict() for r in self.ranked.reasons],
            "score": round(self.ranked.score, 6), "query": self.query,
            # what the request required: feedback on the item is not about these (every candidate had them)
            "asked": {k: v for k, v in self.asked.items() if isinstance(v, (str, int, float, bool))},
        }


def descriptive_words(text: str | None, spans: Iterable[tuple[int, int]] = ()) -> list[str]:
    """The words of ``text`` that describe what the user wants beyond the slots: no entity, no filler."""
    if not text:
        return []
    chars = list(text.lower())
    for start, end in spans:
        if 0 <= start < end <= len(chars):
            chars[start:end] = " " * (end - start)
    # contractions ("i'd", "what's") are never what a place is like
    return [w for w in _WORD.findall("".join(chars)) if w.strip("'-") not in _GENERIC and len(w) > 2 and "'" not in w]


def _one_has(promises: list[str]) -> list[str]:
    """ "it has vegan options and wheelchair access" rather than two "it has"es in a row."""
    has = [w[len("it has "):] for w in promises if w.startswith("it has ")]
    if len(has) < 2:
        return promises
    first = next(i for i, w in enumerate(promises) if w.startswith("it has "))
    rest = [w for w in promises if not w.startswith("it has ")]
    return rest[:first] + ["it has " + join_words(has)] + rest[first:]


def _features(item: CatalogueItem) -> list[str]:
    return [f.lower() for f in item.attributes.get("features") or [] if isinstance(f, str)]


def _named(feature: str, words: list[str]) -> bool:
    return f" {feature} " in f" {' '.join(words)} "


def _named_features(words: list[str], vocabulary: Iterable[str]) -> list[str]:
    return [f for f in vocabulary if _named(f, words)] if words else []


def _having(pool: list[tuple[CatalogueItem, float]], features: list[str]) -> list[tuple[CatalogueItem, float]]:
    """The candidates with every one of ``features``, else with at least one (empty: none has any)."""
    if not features:
        return []
    every = [p for p in pool if set(features) <= set(_features(p[0]))]
    return every or [p for p in pool if set(features) & set(_features(p[0]))]


def _asked_for(item: CatalogueItem, words: list[str]) -> str | None:
    """ "it's romantic and it has a river view, as you asked": the item's features the user's words
    name (None: none named)."""
    named = [f for f in _features(item) if _named(f, words)]
    if not named:
        return None
    return " and ".join(feature_clause(f) for f in named[:2]) + ", as you asked"


def _name_key(name: str) -> str:
    """A place's name for loose matching: lower case, no punctuation, no "the"."""
    words = _NAME_WORD.findall(re.sub(r"['\u2019`]", "", name.casefold()))
    return " ".join(w for w in words if w != "the")


class Recommender:
    """Suggestions from a catalogue; ``retriever`` (a ``SemanticRetriever``) is made on first need."""

    def __init__(self, catalogue: Catalogue, *, settings: ranking.RankingSettings | None = None,
                 retriever: Any = None, embeddings_dir: str | Path | None = None, semantic_k: int = 30) -> None:
        self.catalogue = catalogue
        self.settings = settings or ranking.RankingSettings()
        self._retriever = retriever
        self._embeddings_dir = Path(embeddings_dir) if embeddings_dir else None
        self.semantic_k = semantic_k
        self._feature_words: dict[str, list[str]] = {}
        self._landmarks: Landmarks | None = None

    @classmethod
    def from_folder(cls, paths: str | Path | Iterable[str | Path], kinds: Iterable[str] | None = None,
                    **options: Any) -> Recommender:
        """From catalogue files or folders of them (see ``load_catalogue``)."""
        return cls(load_catalogue(paths, kinds), **options)

    @property
    def retriever(self):
        if self._retriever is None:
            from assistant.recommender.embeddings import DescriptionEmbedder, EmbeddingCache
            from assistant.recommender.index import SemanticRetriever

            cache = EmbeddingCache(self._embeddings_dir) if self._embeddings_dir else None
            self._retriever = SemanticRetriever(self.catalogue, DescriptionEmbedder(), cache, progress=False)
        return self._retriever

    # ------------------------------------------------------------ filters
    def filters(self, kind: str, slots: Mapping[str, Any]) -> dict[str, Any]:
        """The task's slot values as catalogue attributes (``restaurant-food`` → ``food``); the name,
        booking details and "dontcare" are no filter."""
        known = self.catalogue.attributes(kind) - {NAME_ATTRIBUTE}
        out: dict[str, Any] = {}
        for slot, value in slots.items():
            if value is None or (isinstance(value, str) and value.strip().lower() in NO_CONSTRAINT):
                continue
            attribute = slot_attribute(slot)
            if attribute in known:
                out[attribute] = value
        return out

    def find(self, kind: str, name: Any) -> CatalogueItem | None:
        """The item of ``kind`` called ``name``, for outcomes of bookings by name and for a place the
        user names: case, punctuation and a leading "the" do not matter ("Butcher's Block" is "The
        Butcher's Block"); an exact match wins over a loose one."""
        if not name:
            return None
        wanted = str(name).strip().casefold()
        items = self.catalogue.by_kind(kind)
        exact = next((it for it in items if it.name.casefold() == wanted), None)
        if exact is not None:
            return exact
        loose = _name_key(wanted)
        return next((it for it in items if loose and _name_key(it.name) == loose), None)

    def landmark_area(self, phrase: str, area_words: Iterable[str] = ()) -> str | None:
        """The area of a place the user names instead of an area ("near the station"), or None
        (``area_words``: see ``Landmarks.area_of``)."""
        return self.landmarks().area_of(phrase, area_words)

    def landmark_areas(self, phrase: str, area_words: Iterable[str] = ()) -> tuple[str, ...]:
        """All the areas places so named are in ("the museum": every museum's), sorted."""
        return self.landmarks().areas_of(phrase, area_words)

    def landmarks(self) -> Landmarks:
        if self._landmarks is None:
            self._landmarks = Landmarks(
                Place(item.name, str(item.attributes.get("area") or ""), str(item.attributes.get("street") or ""),
                      str(item.attributes.get("near") or ""))
                for item in self.catalogue if isinstance(item.attributes.get("area"), str))
        return self._landmarks

    def diet_clash(self, kind: str, name: Any, diet: str) -> bool:
        """Whether the place of ``kind`` called ``name`` cannot serve someone on ``diet`` (a vegetarian
        booking a steakhouse by its name); False when the catalogue does not know the place."""
        item = self.find(kind, name)
        return item is not None and ranking.diet_clash(item, diet)

    # ------------------------------------------------------------ suggest
    def sentence_again(self, record: Mapping[str, Any]) -> str | None:
        """The sentence of a suggestion made earlier (its bot event's ``recommendation`` record), for
        offering it again; None when the item is no longer in the catalogue."""
        item = self.catalogue.get(str(record.get("id") or ""))
        if item is None:
            return None
        asked = record.get("asked") or {}
        ranked = [(str(r.get("feature")), str(r.get("words"))) for r in record.get("reasons") or []
                  if isinstance(r, Mapping) and r.get("words") and r.get("attribute") not in asked]
        reasons = self._said(item, str(record.get("query") or "").split(), ranked)
        return suggestion_sentence(item.name, item.kind, item.attributes, reasons, item.description, asked)

    def _said(self, item: CatalogueItem, words: list[str], ranked: list[tuple[str, str]]) -> tuple[str, ...]:
        """The reasons to say, from the ranker's ``(feature, words)``: the user's diets the place
        caters for, then a feature the user asked for, in place of "it matches what you asked for"."""
        asked = _asked_for(item, words)
        # the user's diets are said on top of the reasons: a promise kept, not a reason among others
        diets = _one_has([w for f, w in ranked if f == ranking.DIET_FEATURE])
        said = ([asked] if asked else []) + [w for f, w in ranked
                                             if f != ranking.DIET_FEATURE and not (asked and f == "similarity")]
        return tuple(diets + said[: max(1, self.settings.max_reasons)])

    def suggest(self, kind: str, slots: Mapping[str, Any], query: str | None, profile: UserProfile,
                model: BanditState, *, suggested: Iterable[str] = (), now: float,
                query_spans: Iterable[tuple[int, int]] = ()) -> Suggestion | None:
        """The best item of ``kind`` for this user now, or None when nothing fits."""
        filters = self.filters(kind, slots)
        words = descriptive_words(query, query_spans)
        semantic = bool(words)
        if semantic:
            try:
                hits = self.retriever.candidates(kind, " ".join(words), filters, k=self.semantic_k)
                pool = [(hit.item, max(0.0, float(hit.similarity))) for hit in hits]
            except Exception:  # no embedder here: rank without similarity rather than fail the turn
                logger.exception("semantic retrieval failed; ranking without the user's words")
                semantic = False
        if not semantic:
            pool = [(item, 0.0) for item in self.catalogue.filter(kind, filters)]
        # "somewhere romantic": places that are, while there are any (the words alone only rank)
        pool = _having(pool, _named_features(words, self.feature_words(kind))) or pool
        if not pool:
            return None
        taken = profile.item_ids("accepted") | profile.item_ids("booked")
        tried = [item for item in map(self.catalogue.get, sorted(taken)) if item is not None]
        result = ranking.rank(pool, profile, model, now=now, settings=self.settings,
                              suggested=[self._as_candidate(i) for i in suggested], required=filters, tried=tried)
        top = result.top
        if top is None:
            return None
        item = self.catalogue.get(top.candidate.id)
        if item is None:
            return None
        # "an area you like" is no reason when the user just asked for that area: every candidate has it
        reasons = self._said(item, words, [(r.feature, r.words) for r in top.reasons if r.attribute not in filters])
        sentence = suggestion_sentence(item.name, item.kind, item.attributes, reasons, item.description, filters)
        return Suggestion(item, top, reasons, sentence, semantic, " ".join(words) or None, filters)

    def closest(self, kind: str, slots: Mapping[str, Any], droppable: Sequence[str], query: str | None,
                profile: UserProfile, model: BanditState, *, suggested: Iterable[str] = (), now: float,
                query_spans: Iterable[tuple[int, int]] = ()) -> tuple[str, Suggestion] | None:
        """Nothing fits all the task's filters: the suggestion with the first of ``droppable`` (slot
        names, the one to let go of first first) whose letting go finds one, and that slot; None when
        letting go of any one of them does not help either."""
        suggested = list(suggested)
        for slot in droppable:
            if slot_attribute(slot) not in self.filters(kind, slots):
                continue
            found = self.suggest(kind, {**slots, slot: None}, query, profile, model, suggested=suggested, now=now,
                                 query_spans=query_spans)
            if found is not None:
                return slot, found
        return None

    def feature_words(self, kind: str) -> list[str]:
        """Every feature the catalogue's items of ``kind`` have ("romantic", "river view")."""
        if kind not in self._feature_words:
            self._feature_words[kind] = sorted({f for item in self.catalogue.by_kind(kind) for f in _features(item)})
        return self._feature_words[kind]

    def _as_candidate(self, item_id: str) -> Any:
        item = self.catalogue.get(item_id)
        return item_id if item is None else ranking.Candidate.of(item)
