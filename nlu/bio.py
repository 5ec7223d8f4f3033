"""BIO tags and entity chunks: the one place that reads and writes them.

Chunking follows conlleval (seqeval's default mode) exactly, so our metrics
match the published ones.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from nlu.tokenizer import tokenize
from nlu.types import EntitySpan, Example, Token

OUTSIDE = "O"
EntityTuple = tuple[str, int, int]  # (entity_type, start_char, end_char_exclusive)


def example_words(example: Example) -> list[Token]:
    return example.tokens if example.tokens is not None else tokenize(example.text)


def bio_tags(words: list[Token], spans: list[EntitySpan]) -> list[str]:
    """Tag each word B-/I-<type> when it overlaps an entity span, else O."""
    tags = [OUTSIDE] * len(words)
    for span in sorted(spans, key=lambda s: s.start):
        inside = [i for i, w in enumerate(words) if w.start < span.end and w.end > span.start]
        for n, i in enumerate(inside):
            if tags[i] != OUTSIDE:  # overlapping annotations: the first one keeps the word
                continue
            tags[i] = ("B-" if n == 0 else "I-") + span.entity
    return tags


def _split_tag(tag: str) -> tuple[str, str]:
    """``"B-city"`` -> ``("B", "city")``; ``"O"`` -> ``("O", "")``. Rejects anything else."""
    if tag == "O":
        return "O", ""
    prefix, sep, label = tag.partition("-")
    if not sep or prefix not in ("B", "I", "E", "S") or not label:
        raise ValueError(f"malformed tag {tag!r}: expected 'O' or B-/I-/E-/S- followed by a type")
    return prefix, label


def spans_from_bio(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Chunks of a tag sequence as ``(type, start_word, end_word_exclusive)``.

    Follows conlleval, i.e. seqeval's default (non-strict) mode, exactly:
    ``B-X`` always opens a chunk; ``I-X`` opens one after ``O`` or after a tag of
    another type (a lenient reading of invalid BIO, as models do emit it); a type
    change always closes the running chunk. ``E-``/``S-`` (BIOES/IOBES) are
    accepted with conlleval's meaning, so BIOES output is read correctly too.
    Any other tag raises :class:`ValueError` rather than being silently dropped.
    """
    spans: list[tuple[str, int, int]] = []
    prev_prefix, prev_type = "O", ""
    start = -1
    for i, tag in enumerate(tags):
        prefix, typ = _split_tag(tag)
        if start >= 0 and _chunk_ends(prev_prefix, prefix, prev_type, typ):
            spans.append((prev_type, start, i))
            start = -1
        if _chunk_starts(prev_prefix, prefix, prev_type, typ):
            start = i
        prev_prefix, prev_type = prefix, typ
    if start >= 0:
        spans.append((prev_type, start, len(tags)))
    return spans


def _chunk_ends(prev: str, cur: str, prev_type: str, cur_type: str) -> bool:
    # mirrors conlleval's endOfChunk
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and cur in ("B", "S", "O"):
        return True
    return prev != "O" and prev_type != cur_type


def _chunk_starts(prev: str, cur: str, prev_type: str, cur_type: str) -> bool:
    # mirrors conlleval's startOfChunk
    if cur in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and cur in ("E", "I"):
        return True
    return cur != "O" and prev_type != cur_type


def word_spans_to_char_spans(
    spans: Iterable[tuple[str, int, int]], tokens: Sequence[Token]
) -> list[EntityTuple]:
    """Word-index chunks (from :func:`spans_from_bio`) -> character-offset entities."""
    return [(typ, tokens[s].start, tokens[e - 1].end) for typ, s, e in spans]
