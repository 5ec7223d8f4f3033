"""8-bit encoder products: close to float32, same answers, a choice at load time."""

import pytest
import torch
from torch import nn

from nlu import int8
from nlu.artifacts import load_model
from nlu.train import evaluate_examples

pytestmark = pytest.mark.skipif(not int8.available(), reason="this torch build has no int8 matrix product on CPU")


def test_an_int8_linear_is_close_to_the_float_one():
    torch.manual_seed(0)
    linear = nn.Linear(384, 1536)
    x = torch.randn(3, 7, 384)
    exact = linear(x)
    approx = int8.Int8Linear(linear)(x)
    assert approx.shape == exact.shape
    # two roundings to 1/254 of the range: about 1 % of a typical output
    assert ((approx - exact).norm() / exact.norm()).item() < 0.02
    zeros = torch.zeros(2, 384)  # a row of zeros must not divide by zero
    assert torch.allclose(int8.Int8Linear(linear)(zeros), linear(zeros), atol=1e-6)


def test_quantize_replaces_linears_but_not_skipped_ones():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8)), nn.Linear(8, 2))
    assert int8.quantize_linears(model, skip=("3",)) == 2
    assert isinstance(model[0], int8.Int8Linear) and isinstance(model[2][0], int8.Int8Linear)
    assert isinstance(model[3], nn.Linear)


def test_a_model_at_int8_scores_like_at_fp32(tiny_model_dir, tiny_data):
    exact = load_model(tiny_model_dir, precision="fp32")
    fast = load_model(tiny_model_dir)  # int8 is the default
    assert any(isinstance(m, int8.Int8Linear) for m in fast.predictor.model.encoder.modules())
    assert not any(isinstance(m, int8.Int8Linear) for m in exact.predictor.model.modules())
    a = evaluate_examples(exact.predictor, tiny_data.examples)
    b = evaluate_examples(fast.predictor, tiny_data.examples)
    assert b.intent_accuracy == a.intent_accuracy and abs(b.entity_f1 - a.entity_f1) <= 0.02


def test_an_unknown_precision_says_which_exist(tiny_model_dir):
    with pytest.raises(ValueError, match="int8, fp32"):
        load_model(tiny_model_dir, precision="fp16")
