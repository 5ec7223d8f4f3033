"""Training the joint model: length-bucketed batches, warm-up + linear decay, dev-set early stopping."""

from __future__ import annotations

import copy
import math
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from nlu.artifacts import save_model
from nlu.config import NluConfig
from nlu.encoder import load_pretrained
from nlu.errors import NluError
from nlu.features import EncodedText, collate, encode_words
from nlu.gazetteer import Gazetteer, cross_fitted
from nlu.labels import LabelSpace, bio_tags, example_words
from nlu.metrics import EvaluationResult, Prediction, evaluate, example_to_gold
from nlu.model import JointModel
from nlu.predictor import JointPredictor
from nlu.subwords import SubwordTokenizer
from nlu.types import Example, TrainingData


@dataclass
class TrainResult:
    out_dir: Path
    best_epoch: int
    history: list[dict[str, Any]]
    dev: dict[str, Any] | None
    seconds: float
    n_train_examples: int
    parameters: int
    extra: dict[str, Any] = field(default_factory=dict)


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_trainable(data: TrainingData, what: str = "training data") -> None:
    if not data.examples:
        raise NluError(f"the {what} holds no examples")
    intents = data.intents
    if len(intents) < 2:
        raise NluError(f"the {what} needs at least two intents to learn from (found {intents or 'none'})")
    unlabeled = [e.source or e.text for e in data.examples if e.intent is None]
    if unlabeled:
        raise NluError(f"the {what} has examples without an intent, e.g. {unlabeled[0]}")


def predict_examples(predictor: JointPredictor, examples: list[Example], batch_size: int = 64) -> list[Prediction]:
    preds = predictor.predict([example_words(e) for e in examples], batch_size=batch_size)
    return [
        Prediction(p.intent_ranking[0][0] if p.intent_ranking else None, [(x.entity, x.start, x.end) for x in p.entities])
        for p in preds
    ]


def evaluate_examples(predictor: JointPredictor, examples: list[Example]) -> EvaluationResult:
    preds = predict_examples(predictor, examples)
    return evaluate([example_to_gold(e) for e in examples], preds, [e.text for e in examples])


def _length_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a shuffled order."""
    noisy = sorted(range(len(lengths)), key=lambda i: (lengths[i] + rng.random() * 2, rng.random()))
    batches = [noisy[i : i + batch_size] for i in range(0, len(noisy), batch_size)]
    rng.shuffle(batches)
    return batches


class LinearSchedule:
    """Warm-up, then a straight line to zero at ``end``; re-planning bends the line without a jump."""

    def __init__(self, total: int, warmup: int) -> None:
        self.warmup, self.anchor, self.anchor_value, self.end = warmup, warmup, 1.0, total

    def factor(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / max(1, self.warmup)
        return max(0.0, self.anchor_value * (self.end - step) / max(1, self.end - self.anchor))

    def replan(self, step: int, end: int) -> None:
        self.anchor_value, self.anchor, self.end = self.factor(step), step, end


def _dev_score(result: EvaluationResult) -> tuple[float, float]:
    return (result.sentence_accuracy, result.intent_accuracy + result.entity_f1)


def train(
    data: TrainingData,
    dev: TrainingData | None,
    config: NluConfig,
    out_dir: str | Path,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train on ``data``, pick the best epoch on ``dev`` (or the last one), and save to ``out_dir``."""
    from tqdm.auto import tqdm

    config.validate()
    check_trainable(data)
    out_dir = Path(out_dir)
    set_seed(config.seed)
    started = time.perf_counter()

    examples = list(data.examples)
    if config.augment_lookup_fill or config.augment_value_swap or config.augment_recombine:
        from nlu.augment import AugmentConfig, augment

        extra = augment(
            data,
            AugmentConfig(
                lookup_fill=config.augment_lookup_fill,
                value_swap=config.augment_value_swap,
                swap_within_intent=config.augment_swap_within_intent,
                recombine=config.augment_recombine,
                seed=config.seed,
            ),
        )
        examples += extra
        log(f"augmentation added {len(extra)} examples to {len(data.examples)}")

    labels = LabelSpace.from_examples(examples)
    encoder, hf_tokenizer = load_pretrained(config.encoder)
    tokenizer = SubwordTokenizer.from_transformers(hf_tokenizer)
    model = JointModel(encoder, len(labels.intents), labels.tags, config)

    intent_index = {name: i for i, name in enumerate(labels.intents)}
    tag_index = {name: i for i, name in enumerate(labels.tags)}
    encoded: list[EncodedText] = []
    tag_ids: list[list[int]] = []
    for e in examples:
        words = example_words(e)
        encoded.append(encode_words(tokenizer, [w.text for w in words], config.max_length))
        tag_ids.append([tag_index[t] for t in bio_tags(words, e.entities)])
    intent_ids = [intent_index[e.intent] for e in examples]
    # the originals come first; augmented copies count config.augment_intent_weight in the intent loss
    copies = len(examples) - len(data.examples)
    intent_weights = [1.0] * len(data.examples) + [config.augment_intent_weight] * copies
    gazetteer, known = _gazetteer_features(data, examples, labels, tag_index, config)

    if config.freeze_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad = config.fgm_epsilon > 0
    optimizer = torch.optim.AdamW(_parameter_groups(model, config), weight_decay=config.weight_decay)
    rng = random.Random(config.seed)
    steps_per_epoch = math.ceil(len(examples) / config.batch_size)
    total = steps_per_epoch * config.epochs
    schedule = LinearSchedule(total, int(total * config.warmup_ratio))
    base_lrs = [g["lr"] for g in optimizer.param_groups]
    predictor = JointPredictor(model, tokenizer, labels, config.max_length, gazetteer)
    lengths = [len(x.input_ids) for x in encoded]

    history: list[dict[str, Any]] = []
    best_state, best_score, best_epoch, best_dev = None, None, 0, None
    bad_epochs, step = 0, 0
    deadline = started + config.max_train_minutes * 60 if config.max_train_minutes else None
    stopped_early = ""
    planned = config.epochs
    epoch = 0
    while epoch < planned:
        epoch += 1
        model.train()
        batches = _length_batches(lengths, config.batch_size, rng)
        bar = tqdm(batches, desc=f"epoch {epoch}/{planned}", disable=not progress, leave=True, unit="batch")
        running, seen = 0.0, 0
        for idx in bar:
            batch = collate(
                [encoded[i] for i in idx], tokenizer.pad_token_id, [intent_ids[i] for i in idx], [tag_ids[i] for i in idx],
                [known[i] for i in idx] if known is not None else None, len(labels.tags),
            )
            if config.augment_intent_weight != 1.0:
                batch.intent_weights = torch.tensor([intent_weights[i] for i in idx])
            for group, base in zip(optimizer.param_groups, base_lrs):
                group["lr"] = base * schedule.factor(step)
            loss = _training_step(model, batch, config)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running += float(loss) * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{running / seen:.4f}")
            if deadline and time.perf_counter() > deadline:
                stopped_early = f"time budget of {config.max_train_minutes} min reached"
                break
        record: dict[str, Any] = {"epoch": epoch, "train_loss": running / max(1, seen), "seconds": time.perf_counter() - started}
        model.eval()
        if dev is not None and dev.examples:
            result = evaluate_examples(predictor, dev.examples)
            bar.set_postfix(
                loss=f"{record['train_loss']:.4f}",
                dev_intent=f"{result.intent_accuracy:.3f}",
                dev_f1=f"{result.entity_f1:.3f}",
                dev_sentence=f"{result.sentence_accuracy:.3f}",
            )
            bar.close()
            record.update(
                intent_accuracy=result.intent_accuracy,
                entity_f1=result.entity_f1,
                sentence_accuracy=result.sentence_accuracy,
            )
            log(
                f"epoch {epoch}: loss {record['train_loss']:.4f}  dev intent {result.intent_accuracy:.4f}  "
                f"entity F1 {result.entity_f1:.4f}  sentence {result.sentence_accuracy:.4f}"
            )
            score = _dev_score(result)
            if best_score is None or score > best_score:
                best_score, best_epoch, best_dev, bad_epochs = score, epoch, result.headline(), 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
        else:
            bar.close()
            best_epoch, best_state = epoch, None
            log(f"epoch {epoch}: loss {record['train_loss']:.4f}")
        history.append(record)
        if stopped_early:
            break
        if deadline:
            # re-plan: as many epochs as the budget holds, with the learning rate reaching 0 at the last
            per_epoch = (time.perf_counter() - started) / epoch
            fits = epoch + int((deadline - time.perf_counter()) // per_epoch)
            if fits < planned:
                planned = max(epoch, fits)
                schedule.replan(step, step + steps_per_epoch * (planned - epoch))
                log(f"time budget: planning {planned} epochs in {config.max_train_minutes} min")
        if dev is not None and bad_epochs >= config.patience:
            stopped_early = f"no dev improvement for {config.patience} epochs"
            break
    if stopped_early:
        log(f"stopped after epoch {history[-1]['epoch']}: {stopped_early}")
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()

    seconds = time.perf_counter() - started
    metrics = {
        "best_epoch": best_epoch,
        "dev": best_dev,
        "history": history,
        "train_seconds": seconds,
        "n_train_examples": len(examples),
        "stopped_early": stopped_early or None,
    }
    save_model(
        out_dir,
        model,
        hf_tokenizer,
        labels,
        config,
        {"synonyms": data.synonyms, "lookups": data.lookups, "regexes": data.regexes},
        metrics,
        gazetteer,
    )
    try:
        from nlu.report import plot_training_curve

        plot_training_curve(history, out_dir / "training_curve.png")
    except Exception as exc:  # a plot must never cost the trained model
        log(f"could not draw the training curve: {exc}")
    params = sum(p.numel() for p in model.parameters())
    return TrainResult(out_dir, best_epoch, history, best_dev, seconds, len(examples), params)


def _parameter_groups(model: JointModel, config: NluConfig) -> list[dict[str, Any]]:
    """The heads at head_lr; the encoder at encoder_lr, decayed layer by layer downwards (layer_lr_decay)."""
    frozen = model.encoder.get_input_embeddings().weight if config.freeze_embeddings else None
    layers = int(getattr(model.encoder.config, "num_hidden_layers", 0))
    groups: dict[float, list[torch.nn.Parameter]] = {}
    heads: list[torch.nn.Parameter] = []
    for name, param in model.named_parameters():
        if not name.startswith("encoder."):
            heads.append(param)
            continue
        if not param.requires_grad or param is frozen:
            continue
        match = re.search(r"\.layer\.(\d+)\.", name)
        if match:
            depth = layers - int(match.group(1))  # the top layer is 1 below the output
        elif ".embeddings." in name or name.startswith("encoder.embeddings"):
            depth = layers + 1
        else:
            depth = 0  # pooler and anything above the layers
        lr = config.encoder_lr * config.layer_lr_decay ** max(0, depth - 1)
        groups.setdefault(lr, []).append(param)
    return [{"params": params, "lr": lr} for lr, params in sorted(groups.items(), reverse=True)] + [
        {"params": heads, "lr": config.head_lr}
    ]


def _gazetteer_features(data: TrainingData, examples: list[Example], labels: LabelSpace, tag_index: dict[str, int],
                        config: NluConfig) -> tuple[Gazetteer | None, list[list[list[int]]] | None]:
    """The gazetteer saved with the model (all the training values), and each training example's
    features from the other half of the original examples (augmented copies: a random half)."""
    if not config.gazetteer:
        return None, None
    types = sorted({t[2:] for t in labels.tags if t.startswith("B-")})
    everything = Gazetteer.build(data.examples, data.lookups, types)
    halves = cross_fitted(data.examples, data.lookups, types, config.seed)
    rng = random.Random(config.seed + 1)
    sides = list({id(h): h for h in halves}.values())
    known = []
    for i, example in enumerate(examples):
        half = halves[i] if i < len(halves) else rng.choice(sides)
        known.append(half.features([w.text for w in example_words(example)], tag_index))
    return everything, known


def _training_step(model: JointModel, batch, config: NluConfig) -> torch.Tensor:
    out = model(batch)
    loss = model.combine(*model.losses(out, batch))
    loss.backward()
    if config.fgm_epsilon > 0:
        _fgm_step(model, batch, config.fgm_epsilon)
    return loss.detach()


def _fgm_step(model: JointModel, batch, epsilon: float) -> None:
    """Fast gradient method: a second loss on embeddings pushed along their gradient."""
    weight = model.encoder.get_input_embeddings().weight
    if weight.grad is None:
        return
    norm = torch.norm(weight.grad)
    if not torch.isfinite(norm) or norm == 0:
        return
    delta = epsilon * weight.grad / norm
    weight.data.add_(delta)
    out = model(batch)
    model.combine(*model.losses(out, batch)).backward()
    weight.data.sub_(delta)
    if model.config.freeze_embeddings:
        weight.grad = None
