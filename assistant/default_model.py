"""The default assistant's NLU model: trained on first use, cached by a key of data + config."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from assistant.paths import cache_dir, content_key, default_data_dir

NLU_DATA = "nlu"
CONFIG_FILE = "config.yml"


def nlu_files(data_dir: Path) -> list[Path]:
    root = data_dir / NLU_DATA
    return sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml", ".jsonl"))


def model_dir_for(data_dir: Path) -> Path:
    files = nlu_files(data_dir)
    config = load_config(data_dir)
    return cache_dir() / "models" / f"nlu-{content_key(files, config.changed())}"


def load_config(data_dir: Path):
    from nlu.config import NluConfig

    path = data_dir / CONFIG_FILE
    return NluConfig.from_file(path) if path.exists() else NluConfig()


def ensure_default_model(data_dir: Path | None = None, progress: bool = True, log=None) -> Path:
    """The cached model for ``data_dir``, training it (with a progress bar) when missing."""
    from nlu.artifacts import is_model_dir

    data_dir = data_dir or default_data_dir()
    log = log or (lambda msg: print(msg, file=sys.stderr))
    target = model_dir_for(data_dir)
    if is_model_dir(target):
        return target
    files = nlu_files(data_dir)
    if not files:
        raise FileNotFoundError(f"no NLU data under {data_dir / NLU_DATA}: add Rasa YAML files there")
    # training imports transformers (seconds): only when there is something to train
    from nlu.loaders import load_data
    from nlu.train import train

    log(f"No trained model for {data_dir} yet: training one (cached in {target}).")
    data = load_data(files)
    tmp = target.with_name(target.name + ".partial")
    train(data, None, load_config(data_dir), tmp, progress=progress, log=log)
    if target.exists():  # a half-written model from an interrupted run
        shutil.rmtree(target)
    tmp.rename(target)
    return target
