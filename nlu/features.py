"""Turning words into subtoken ids and back: the alignment between words and subtokens.

Each word is represented by its first subtoken. A word the tokenizer drops
entirely (a run of U+FFFD, a zero-width space) is replaced by the unknown token
so that every word keeps a position.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from nlu.subwords import SubwordTokenizer


@dataclass
class EncodedText:
    input_ids: list[int]
    # position of each kept word's first subtoken; words past max_length are cut
    word_starts: list[int]
    # position of each kept word's last subtoken
    word_ends: list[int]


def encode_words(tokenizer: SubwordTokenizer, words: list[str], max_length: int) -> EncodedText:
    return encode_batch(tokenizer, [words], max_length)[0]


def encode_batch(tokenizer: SubwordTokenizer, batch_words: list[list[str]], max_length: int) -> list[EncodedText]:
    """Encode many word lists with one tokenizer call (much faster than one call each)."""
    if not batch_words:
        return []
    out = []
    for words, enc in zip(batch_words, tokenizer.encode(batch_words, max_length)):
        ids = enc.input_ids
        starts, ends = _positions(enc.word_ids, len(words))
        kept = _contiguous(starts)
        truncated = len(ids) >= max_length
        if kept < len(words) and not (truncated and all(s is None for s in starts[kept:])):
            # some words produced no subtoken: the unknown token stands in for them
            fixed = [w if tokenizer.pieces(w) else tokenizer.unk_token for w in words]
            one = tokenizer.encode([fixed], max_length)[0]
            ids = one.input_ids
            starts, ends = _positions(one.word_ids, len(words))
            kept = _contiguous(starts)
        out.append(EncodedText(list(ids), [s for s in starts[:kept]], [e for e in ends[:kept]]))
    return out


def _positions(word_ids: list, n_words: int) -> tuple[list[int | None], list[int | None]]:
    """First and last subtoken position of each word (None for words without one)."""
    starts: list[int | None] = [None] * n_words
    ends: list[int | None] = [None] * n_words
    for pos, w in enumerate(word_ids):
        if w is not None:
            if starts[w] is None:
                starts[w] = pos
            ends[w] = pos
    return starts, ends


def _contiguous(starts: list[int | None]) -> int:
    """Number of leading words that have a position (truncation cuts the tail)."""
    n = 0
    for s in starts:
        if s is None:
            break
        n += 1
    return n


@dataclass
class Batch:
    input_ids: torch.Tensor  # (B, L)
    attention_mask: torch.Tensor  # (B, L)
    word_index: torch.Tensor  # (B, W) subtoken position of each word (0 = [CLS] for padding)
    word_end_index: torch.Tensor  # (B, W) last subtoken position of each word
    word_mask: torch.Tensor  # (B, W) bool, true for real words
    n_words: list[int]
    intent_ids: torch.Tensor | None = None  # (B,)
    tag_ids: torch.Tensor | None = None  # (B, W)
    gazetteer: torch.Tensor | None = None  # (B, W, tags) multi-hot: tags that known values give each word
    intent_weights: torch.Tensor | None = None  # (B,) each row's weight in the intent loss (None: all 1)


def collate(
    items: list[EncodedText],
    pad_id: int,
    intent_ids: list[int] | None = None,
    tag_ids: list[list[int]] | None = None,
    gazetteer: list[list[list[int]]] | None = None,
    n_tags: int = 0,
) -> Batch:
    length = max(len(i.input_ids) for i in items)
    # CRF needs one position per row; empty rows get a dummy word that is dropped on decode
    width = max(1, max(len(i.word_starts) for i in items))
    b = len(items)
    input_ids = torch.full((b, length), pad_id, dtype=torch.long)
    attention = torch.zeros((b, length), dtype=torch.long)
    word_index = torch.zeros((b, width), dtype=torch.long)
    word_end_index = torch.zeros((b, width), dtype=torch.long)
    word_mask = torch.zeros((b, width), dtype=torch.bool)
    tags = torch.zeros((b, width), dtype=torch.long) if tag_ids is not None else None
    known = torch.zeros((b, width, n_tags)) if gazetteer is not None else None
    hits: tuple[list[int], list[int], list[int]] = ([], [], [])  # (row, word, tag) of each known-value tag
    for row, item in enumerate(items):
        input_ids[row, : len(item.input_ids)] = torch.tensor(item.input_ids)
        attention[row, : len(item.input_ids)] = 1
        n = len(item.word_starts)
        if n:
            word_index[row, :n] = torch.tensor(item.word_starts)
            word_end_index[row, :n] = torch.tensor(item.word_ends)
            word_mask[row, :n] = True
            if tags is not None:
                tags[row, :n] = torch.tensor(tag_ids[row][:n])
            if known is not None:
                for position, active in enumerate(gazetteer[row][:n]):
                    for tag in active:
                        hits[0].append(row), hits[1].append(position), hits[2].append(tag)
        else:
            word_mask[row, 0] = True  # dummy position on [CLS]
    if known is not None and hits[0]:
        known[hits] = 1.0
    return Batch(
        input_ids,
        attention,
        word_index,
        word_end_index,
        word_mask,
        [len(i.word_starts) for i in items],
        torch.tensor(intent_ids, dtype=torch.long) if intent_ids is not None else None,
        tags,
        known,
    )
