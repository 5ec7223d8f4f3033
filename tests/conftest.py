"""Shared fixtures: one tiny joint model trained for real on a handful of examples; a real redis-server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"
TINY_DATA = FIXTURES / "tiny_nlu.yml"


def tiny_config(**overrides):
    from nlu.config import NluConfig

    settings = dict(epochs=12, batch_size=8, encoder_lr=2e-4, head_lr=5e-3, warmup_ratio=0.0, seed=7, max_length=32)
    settings.update(overrides)
    return NluConfig(**settings)


@pytest.fixture(scope="session")
def tiny_data():
    from nlu.loaders import load_data

    return load_data(TINY_DATA)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_data) -> Path:
    from nlu.train import train

    out = tmp_path_factory.mktemp("tiny_model")
    train(tiny_data, tiny_data, tiny_config(), out, progress=False, log=lambda m: None)
    return out


@pytest.fixture(scope="session")
def tiny_parser(tiny_model_dir):
    from nlu.parser import Parser

    return Parser.load(tiny_model_dir)


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    """The default assistant's real model (data/), trained once and cached like `assistant chat` does
    (about a minute on 2 cores the first time; ASSISTANT_HOME moves the cache)."""
    from assistant.default_model import ensure_default_model
    from assistant.paths import PACKAGE_ROOT

    return ensure_default_model(PACKAGE_ROOT / "data", progress=False, log=lambda m: None)


@pytest.fixture(scope="session")
def default_parser(default_model_dir):
    from nlu.parser import Parser

    return Parser.load(default_model_dir)


@pytest.fixture(scope="module")
def redis_server():
    """A throwaway redis-server for a test module (skipped where redis-server is not installed)."""
    from servers import RedisServer

    reason = RedisServer.available()
    if reason:
        pytest.skip(reason)
    with RedisServer() as server:
        yield server
