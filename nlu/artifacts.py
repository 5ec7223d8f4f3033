"""Saving and loading a trained joint model: one directory, safetensors + JSON, no pickles."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlu.config import NluConfig
from nlu.errors import ModelNotFoundError
from nlu.labels import LabelSpace

WEIGHTS = "model.safetensors"
ENCODER_DIR = "encoder"
LABELS = "labels.json"
CONFIG = "nlu_config.json"
DATA = "nlu_data.json"  # synonyms, lookups, regexes the parser needs
METRICS = "metrics.json"
GAZETTEER = "gazetteer.json"  # known entity values, when the model reads them (config.gazetteer)
# buffers some transformers versions save and others rebuild; never learned
_BUFFERS = ("position_ids", "token_type_ids")
REQUIRED = (WEIGHTS, LABELS, CONFIG, DATA, ENCODER_DIR + "/config.json")


@dataclass
class ModelBundle:
    """Everything needed to parse with a trained model."""

    predictor: Any  # nlu.predictor.JointPredictor
    config: NluConfig
    labels: LabelSpace
    synonyms: dict[str, str] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


def save_model(out_dir: Path, model, tokenizer, labels: LabelSpace, config: NluConfig, data_extras: dict, metrics: dict,
               gazetteer=None) -> None:
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(out_dir / WEIGHTS), metadata={"format": "pt"})
    model.encoder.config.save_pretrained(str(out_dir / ENCODER_DIR))
    tokenizer.save_pretrained(str(out_dir / ENCODER_DIR))
    _write_json(out_dir / LABELS, labels.to_dict())
    _write_json(out_dir / CONFIG, config.to_dict())
    _write_json(out_dir / DATA, data_extras)
    _write_json(out_dir / METRICS, metrics)
    if gazetteer is not None:
        _write_json(out_dir / GAZETTEER, gazetteer.to_dict())


def is_model_dir(path: Path) -> bool:
    return all((path / name).exists() for name in REQUIRED)


PRECISIONS = ("int8", "fp32")


def load_model(path: str | Path, precision: str = "int8") -> ModelBundle:
    """The trained model in ``path``, ready to predict. ``precision="int8"`` (the default) runs the
    encoder's linear layers as 8-bit integer products (nlu.int8: about 3x the throughput on CPU, the
    same accuracy within a tenth of a point on SNIPS and ATIS); "fp32" computes exactly what training
    evaluated. int8 falls back to fp32 where torch cannot multiply int8 matrices."""
    from safetensors.torch import load_file

    from nlu.encoder import load_architecture
    from nlu.model import JointModel
    from nlu.predictor import JointPredictor

    path = Path(path)
    missing = [name for name in REQUIRED if not (path / name).exists()]
    if missing:
        raise ModelNotFoundError(
            f"{path} is not a trained NLU model (missing {', '.join(missing)}); "
            "train one with: assistant train nlu --data DATA --out DIR"
        )
    config = NluConfig.from_dict(_read_json(path / CONFIG), where=str(path / CONFIG))
    labels = LabelSpace.from_dict(_read_json(path / LABELS))
    encoder, tokenizer = load_architecture(path / ENCODER_DIR)
    model = JointModel(encoder, len(labels.intents), labels.tags, config)
    state = load_file(str(path / WEIGHTS))
    # position_ids buffers differ between transformers versions; weights must match exactly
    result = model.load_state_dict(state, strict=False)
    missing_weights = [k for k in result.missing_keys if not k.endswith(_BUFFERS)]
    if missing_weights:
        raise ModelNotFoundError(f"{path / WEIGHTS} lacks weights for {', '.join(missing_weights[:5])}")
    unknown = [k for k in result.unexpected_keys if not k.endswith(_BUFFERS)]
    if unknown:
        raise ModelNotFoundError(f"{path / WEIGHTS} has weights this encoder does not use ({', '.join(unknown[:5])}); "
                                 "retrain the model with this version")
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if hasattr(model.encoder, "fuse_projections"):
        model.encoder.fuse_projections()
    if precision == "int8":
        from nlu import int8

        if int8.available():
            int8.quantize_linears(model.encoder)
    extras = _read_json(path / DATA)
    metrics = _read_json(path / METRICS) if (path / METRICS).exists() else {}
    gazetteer = None
    if config.gazetteer:
        from nlu.gazetteer import Gazetteer

        if not (path / GAZETTEER).exists():
            raise ModelNotFoundError(f"{path} reads known entity values but has no {GAZETTEER}; retrain the model")
        gazetteer = Gazetteer.from_dict(_read_json(path / GAZETTEER))
    return ModelBundle(
        JointPredictor(model, tokenizer, labels, config.max_length, gazetteer),
        config,
        labels,
        extras.get("synonyms", {}),
        extras.get("lookups", {}),
        extras.get("regexes", {}),
        metrics,
    )


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelNotFoundError(f"{path}: cannot read ({exc}); retrain the model") from exc
