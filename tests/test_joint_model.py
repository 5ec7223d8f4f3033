"""The joint model learns for real: a tiny model overfits a handful of examples and round-trips to disk."""

import json

import pytest
import torch

from nlu.artifacts import is_model_dir, load_model
from nlu.config import NluConfig
from nlu.errors import ModelNotFoundError, NluError
from nlu.train import check_trainable, evaluate_examples, train
from nlu.types import TrainingData

from conftest import tiny_config


def test_tiny_model_fits_its_training_data(tiny_model_dir, tiny_data):
    bundle = load_model(tiny_model_dir)
    result = evaluate_examples(bundle.predictor, tiny_data.examples)
    assert result.intent_accuracy == 1.0
    assert result.entity_f1 >= 0.95
    assert result.sentence_accuracy >= 0.9


def test_artefacts_are_safetensors_and_json_without_pickles(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.rglob("*") if p.is_file()}
    assert {"model.safetensors", "labels.json", "nlu_config.json", "metrics.json", "training_curve.png"} <= names
    assert not [n for n in names if n.endswith((".pkl", ".pt", ".bin", ".pickle"))]
    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    assert metrics["best_epoch"] >= 1 and metrics["dev"]["intent_accuracy"] == 1.0
    assert is_model_dir(tiny_model_dir)


def test_training_is_deterministic(tiny_data, tmp_path):
    small = TrainingData(tiny_data.examples[::2])
    config = tiny_config(epochs=1)
    train(small, None, config, tmp_path / "a", progress=False, log=lambda m: None)
    train(small, None, config, tmp_path / "b", progress=False, log=lambda m: None)
    from safetensors.torch import load_file

    a, b = load_file(str(tmp_path / "a/model.safetensors")), load_file(str(tmp_path / "b/model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("weighting,fgm,crf", [("uncertainty", 0.5, True), ("fixed", 0.0, False)])
def test_loss_variants_train(tiny_data, tmp_path, weighting, fgm, crf):
    config = tiny_config(epochs=8, loss_weighting=weighting, fgm_epsilon=fgm, use_crf=crf)
    result = train(tiny_data, tiny_data, config, tmp_path / "m", progress=False, log=lambda m: None)
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.dev["intent_accuracy"] >= 0.9


def test_untrainable_data_is_refused_with_a_reason(tiny_data):
    with pytest.raises(NluError, match="no examples"):
        check_trainable(TrainingData([]))
    one_intent = TrainingData([e for e in tiny_data.examples if e.intent == "greet"])
    with pytest.raises(NluError, match="two intents"):
        check_trainable(one_intent)


def test_loading_a_folder_that_is_no_model_says_what_to_do(tmp_path):
    with pytest.raises(ModelNotFoundError, match="assistant train nlu"):
        load_model(tmp_path)


def test_config_rejects_unknown_and_bad_settings(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text("epochs: 3\nlearning_rte: 0.1\n")
    with pytest.raises(NluError, match="learning_rte"):
        NluConfig.from_file(path)
    with pytest.raises(NluError, match="loss_weighting"):
        NluConfig(loss_weighting="sometimes").validate()
    path.write_text("nlu:\n  epochs: 3\n")
    assert NluConfig.from_file(path).epochs == 3
    with pytest.raises(NluError, match="layer_lr_decay"):
        NluConfig(layer_lr_decay=0).validate()


def test_a_model_is_identified_by_the_settings_that_differ_from_the_defaults():
    assert NluConfig().changed() == {}
    assert NluConfig(epochs=3, layer_lr_decay=0.9).changed() == {"epochs": 3, "layer_lr_decay": 0.9}


def test_augmented_copies_can_be_left_out_of_the_intent_loss():
    from nlu.features import Batch
    from nlu.model import JointModel, JointOutput

    with pytest.raises(NluError, match="augment_intent_weight"):
        NluConfig(augment_intent_weight=1.5).validate()

    from nlu.encoder import load_pretrained

    encoder, _ = load_pretrained("default")
    model = JointModel(encoder, 2, ["O"], NluConfig(use_crf=False))  # the losses of given outputs
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0]])
    out = JointOutput(logits, torch.zeros(3, 1, 1))
    mask = torch.ones(3, 1, dtype=torch.bool)
    batch = Batch(torch.zeros(3, 1, dtype=torch.long), torch.ones(3, 1, dtype=torch.long),
                  torch.zeros(3, 1, dtype=torch.long), torch.zeros(3, 1, dtype=torch.long), mask, [1, 1, 1],
                  torch.tensor([0, 0, 1]), torch.zeros(3, 1, dtype=torch.long))
    each = torch.nn.functional.cross_entropy(logits, batch.intent_ids, reduction="none")
    assert model.losses(out, batch)[0] == pytest.approx(float(each.mean()))
    batch.intent_weights = torch.tensor([1.0, 0.0, 1.0])  # the middle row is a copy, left out
    assert model.losses(out, batch)[0] == pytest.approx(float((each[0] + each[2]) / 2))
    batch.intent_weights = torch.zeros(3)  # a batch of copies only teaches the tagger
    assert model.losses(out, batch)[0] == 0


def test_training_with_copies_out_of_the_intent_loss_still_learns_intents(tiny_data, tmp_path):
    config = tiny_config(epochs=8, augment_value_swap=1.0, augment_intent_weight=0.0)
    result = train(tiny_data, tiny_data, config, tmp_path / "m", progress=False, log=lambda m: None)
    assert result.n_train_examples > len(tiny_data.examples)  # the copies were made
    assert result.dev["intent_accuracy"] >= 0.9


def test_layer_wise_learning_rates_fall_from_the_top_layer_down():
    from nlu.encoder import load_pretrained
    from nlu.model import JointModel
    from nlu.train import _parameter_groups

    encoder, _ = load_pretrained("default")  # the encoder as training sees it
    encoder.get_input_embeddings().weight.requires_grad = False
    layers = encoder.config.num_hidden_layers
    model = JointModel(encoder, 3, ["O", "B-x", "I-x"], NluConfig(layer_lr_decay=0.5))
    groups = _parameter_groups(model, model.config)
    lr_of = {id(p): g["lr"] for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    top, bottom = f"encoder.encoder.layer.{layers - 1}.", "encoder.encoder.layer.0."
    assert {lr_of[id(p)] for n, p in named.items() if n.startswith(top)} == {1e-4}
    [lowest] = {lr_of[id(p)] for n, p in named.items() if n.startswith(bottom)}
    assert lowest == pytest.approx(1e-4 * 0.5 ** (layers - 1))
    assert lr_of[id(named["intent_head.weight"])] == model.config.head_lr
    assert id(named["encoder.embeddings.word_embeddings.weight"]) not in lr_of  # frozen
    flat = _parameter_groups(model, NluConfig())
    assert [g["lr"] for g in flat] == [1e-4, NluConfig().head_lr]


def test_schedule_warms_up_then_decays_and_replans_without_a_jump():
    from nlu.train import LinearSchedule

    schedule = LinearSchedule(total=100, warmup=10)
    assert schedule.factor(0) == pytest.approx(0.1) and schedule.factor(9) == pytest.approx(1.0)
    assert schedule.factor(55) == pytest.approx(0.5)
    before = schedule.factor(60)
    schedule.replan(60, 80)
    assert schedule.factor(60) == pytest.approx(before)
    assert schedule.factor(70) == pytest.approx(before / 2) and schedule.factor(80) == 0.0


def test_time_budget_limits_training(tiny_data, tmp_path):
    config = tiny_config(epochs=200, max_train_minutes=0.15)
    result = train(tiny_data, tiny_data, config, tmp_path / "m", progress=False, log=lambda m: None)
    assert len(result.history) < 200
    assert result.seconds < 0.15 * 60 + 30  # the budget, plus loading and saving
