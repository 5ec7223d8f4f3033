"""Where the default assistant's data lives and where trained models are cached."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """``./data`` when the working directory holds an assistant, else the project's own ``data/``."""
    local = Path.cwd() / "data"
    if (local / "nlu").is_dir():
        return local
    return PACKAGE_ROOT / "data"


def cache_dir() -> Path:
    """Trained models are cached here; ASSISTANT_HOME moves it."""
    home = os.environ.get("ASSISTANT_HOME")
    return Path(home) if home else Path.home() / ".cache" / "city-concierge"


def content_key(paths: list[Path], settings: dict) -> str:
    """A short hash of the files' bytes and the settings: editing either gives a new key."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
