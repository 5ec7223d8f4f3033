"""Words to subtokens and back: every word keeps a position, truncation cuts the tail."""

import pytest

from nlu.encoder import resolve_encoder_path
from nlu.features import collate, encode_words
from nlu.bio import bio_tags, spans_from_bio as chunks
from nlu.labels import LabelSpace
from nlu.subwords import SubwordTokenizer
from nlu.tokenizer import tokenize, tokens_from_words
from nlu.types import EntitySpan, Example


@pytest.fixture(scope="module")
def tokenizer():
    return SubwordTokenizer.from_dir(resolve_encoder_path("default"))


def test_first_subtoken_of_each_word(tokenizer):
    words = ["book", "antidisestablishmentarianism", "now"]
    enc = encode_words(tokenizer, words, 64)
    assert len(enc.word_starts) == 3
    pieces = tokenizer.tokens(enc.input_ids)
    assert pieces[enc.word_starts[0]] == "book"
    assert pieces[enc.word_starts[2]] == "now"
    assert enc.word_starts[2] - enc.word_starts[1] > 1  # the long word became several pieces


def test_words_without_subtokens_get_the_unknown_token(tokenizer):
    enc = encode_words(tokenizer, ["hi", "\ufffd\ufffd", "\u200b", "there"], 64)
    assert len(enc.word_starts) == 4
    pieces = tokenizer.tokens(enc.input_ids)
    assert [pieces[i] for i in enc.word_starts] == ["hi", "[UNK]", "[UNK]", "there"]


def test_truncation_keeps_a_prefix_of_words(tokenizer):
    enc = encode_words(tokenizer, ["word"] * 100, 16)
    assert len(enc.input_ids) == 16
    assert enc.word_starts == list(range(1, 15))


def test_collate_pads_and_gives_empty_rows_a_dummy_word(tokenizer):
    items = [encode_words(tokenizer, w, 32) for w in (["a", "b", "c"], [])]
    batch = collate(items, tokenizer.pad_token_id)
    assert batch.input_ids.shape[0] == 2 and batch.word_mask.shape == (2, 3)
    assert batch.n_words == [3, 0]
    assert batch.word_mask[1].tolist() == [True, False, False]
    assert batch.attention_mask[1].sum() == 2  # [CLS] [SEP]


def test_char_spans_to_bio_and_back():
    text = "table for 4 at 7:30pm in the town centre"
    words = tokenize(text)
    spans = [
        EntitySpan(10, 11, "people", "4"),
        EntitySpan(15, 21, "time", "7:30pm"),
        EntitySpan(29, 40, "area", "centre"),
    ]
    tags = bio_tags(words, spans)
    assert tags == ["O", "O", "B-people", "O", "B-time", "O", "O", "B-area", "I-area"]
    back = [(k, words[s].start, words[e - 1].end) for k, s, e in chunks(tags)]
    assert back == [("people", 10, 11), ("time", 15, 21), ("area", 29, 40)]


def test_chunks_follow_conlleval_for_orphan_inside_tags():
    assert chunks(["O", "I-a", "I-a", "B-b", "I-a"]) == [("a", 1, 3), ("b", 3, 4), ("a", 4, 5)]


def test_label_space_records_tags_per_intent():
    text, toks = tokens_from_words(["to", "paris"])
    ex = [Example(text, "fly", [EntitySpan(3, 8, "city", "paris")], toks), Example("hi", "greet", [])]
    labels = LabelSpace.from_examples(ex)
    assert labels.tags == ["O", "B-city", "I-city"]
    assert labels.intent_tags == {"fly": [0, 1, 2], "greet": [0]}
    assert LabelSpace.from_dict(labels.to_dict()) == labels
