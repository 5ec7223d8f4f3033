"""The plain-torch BERT and the Rust word tokenizer compute exactly what transformers does."""

import random

import pytest
import torch

from nlu import bert
from nlu.encoder import load_pretrained, resolve_encoder_path
from nlu.features import collate, encode_batch
from nlu.subwords import SubwordTokenizer

SENTENCES = [
    "book a table for 4 at 7pm",
    "I need a train from Cambridge to London Liverpool Street on Friday, leaving after 18:45",
    "Ünïcödé wörds, émojis 🍕🍕 and CJK 東京 mixed in",
    "antidisestablishmentarianism " * 3,
    "",
    "a",
    "word " * 200,
    "\u200b zero width \ufffd\ufffd replacement",
]


@pytest.fixture(scope="module")
def reference():
    return load_pretrained("default")


def test_word_tokenizer_gives_transformers_ids(reference):
    _, hf = reference
    ours = SubwordTokenizer.from_dir(resolve_encoder_path("default"))
    rng = random.Random(3)
    vocab = ["hotel", "Cambridge", "cheap", "Ünï", "18:45", "£20", "don't", "x" * 40, "東京", "\u200b"]
    batches = [[w for w in s.split()] for s in SENTENCES if s.split()]
    batches += [[rng.choice(vocab) for _ in range(rng.randint(1, 30))] for _ in range(50)]
    for max_length in (8, 64, 512):
        expected = hf(batches, is_split_into_words=True, truncation=True, max_length=max_length)
        got = ours.encode(batches, max_length)
        for row, enc in enumerate(got):
            assert enc.input_ids == expected["input_ids"][row]
            assert enc.word_ids == expected.word_ids(row)
    for word in vocab:
        assert ours.pieces(word) == hf.tokenize(word)
    assert ours.pad_token_id == hf.pad_token_id and ours.unk_token == hf.unk_token


def test_plain_torch_bert_matches_transformers(reference):
    model, hf = reference
    model.eval()
    raw = bert.load_config(resolve_encoder_path("default"))
    assert bert.supports(raw)
    ours = bert.BertEncoder(bert.BertConfig.from_dict(raw)).eval()
    result = ours.load_state_dict(model.state_dict(), strict=False)
    assert not result.missing_keys
    assert all(k.endswith(("position_ids", "token_type_ids")) for k in result.unexpected_keys)
    tokenizer = SubwordTokenizer.from_dir(resolve_encoder_path("default"))
    words = [s.split() for s in SENTENCES if s.split()]
    batch = collate(encode_batch(tokenizer, words, 128), tokenizer.pad_token_id)
    with torch.inference_mode():
        expected = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        got = ours(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
    real = batch.attention_mask.bool()
    assert got.shape == expected.shape
    assert torch.allclose(got[real], expected[real], atol=1e-4), (got[real] - expected[real]).abs().max()
    # one product for query, key and value computes the same, in float and in int8
    from nlu import int8

    for quantize in (False, True):
        separate = bert.BertEncoder(bert.BertConfig.from_dict(raw)).eval()
        separate.load_state_dict(model.state_dict(), strict=False)
        fused = bert.BertEncoder(bert.BertConfig.from_dict(raw)).eval()
        fused.load_state_dict(model.state_dict(), strict=False)
        fused.fuse_projections()
        assert not hasattr(fused.encoder.layer[0].attention.self, "query")
        if quantize:
            int8.quantize_linears(separate)
            int8.quantize_linears(fused)
        with torch.inference_mode():
            a = separate(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
            b = fused(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        assert torch.allclose(a[real], b[real], atol=1e-5), (quantize, (a[real] - b[real]).abs().max())


def test_other_architectures_are_not_taken_for_bert():
    base = {"model_type": "bert", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 32}
    assert bert.supports(base)
    assert not bert.supports({**base, "model_type": "roberta"})
    assert not bert.supports({**base, "position_embedding_type": "relative_key"})
    assert not bert.supports({**base, "hidden_act": "swish"})
    assert not bert.supports({k: v for k, v in base.items() if k != "hidden_size"})


def test_a_saved_model_parses_without_transformers_and_scores_as_when_trained(tiny_model_dir, tiny_data):
    import json
    import subprocess
    import sys

    from nlu.artifacts import load_model
    from nlu.train import evaluate_examples

    bundle = load_model(tiny_model_dir, precision="fp32")
    assert isinstance(bundle.predictor.model.encoder, bert.BertEncoder)
    # the training run evaluated with transformers' BERT; the reloaded plain-torch one agrees
    trained = json.loads((tiny_model_dir / "metrics.json").read_text())["dev"]
    result = evaluate_examples(bundle.predictor, tiny_data.examples)
    assert result.intent_accuracy == trained["intent_accuracy"]
    assert result.entity_f1 == trained["entity_f1"]
    # and parsing never imports transformers (its import alone costs seconds of start-up)
    code = ("import sys; from nlu.parser import Parser; p = Parser.load(sys.argv[1]); p.parse('book a table'); "
            "print('transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tiny_model_dir)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
