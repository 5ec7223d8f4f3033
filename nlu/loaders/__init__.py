"""Training-data loading: files by extension, directories recursively, merged."""

from __future__ import annotations

from pathlib import Path

from nlu.errors import DataError
from nlu.loaders.jsonl import load_jsonl
from nlu.loaders.rasa_writer import write_rasa_yaml
from nlu.loaders.rasa_yaml import load_rasa_yaml, parse_rasa_yaml
from nlu.types import TrainingData

__all__ = ["load_data", "load_jsonl", "load_rasa_yaml", "parse_rasa_yaml", "write_rasa_yaml"]

_YAML = (".yml", ".yaml")
_JSONL = (".jsonl",)
_SUPPORTED = "Rasa YAML (.yml, .yaml) or JSON Lines (.jsonl)"


def load_data(paths: str | Path | list[str | Path] | tuple[str | Path, ...]) -> TrainingData:
    """Load and merge training data from files and/or directories."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise DataError("<no path>", None, "no training-data path given")
    data = TrainingData()
    for item in items:
        data = data.merge(_load_path(Path(item)))
    return data


def _load_path(path: Path) -> TrainingData:
    if not path.exists():
        raise DataError(str(path), None, "this path does not exist; check the spelling or the working directory")
    if path.is_dir():
        return _load_dir(path)
    suffix = path.suffix.lower()
    if suffix in _YAML:
        return load_rasa_yaml(path)
    if suffix in _JSONL:
        return load_jsonl(path)
    raise DataError(str(path), None, f"unsupported file type '{path.suffix}'; use {_SUPPORTED}")


def _load_dir(root: Path) -> TrainingData:
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in _YAML + _JSONL
        # hidden folders (.git, .rasa caches) never hold training data
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    data = TrainingData()
    for path in files:
        if path.suffix.lower() in _YAML:
            # domain.yml, stories and rules share the folder: no `nlu` key, skip them
            part = load_rasa_yaml(path, allow_no_nlu=True)
        else:
            part = load_jsonl(path)
        data = data.merge(part)
    if not (data.examples or data.synonyms or data.lookups or data.regexes):
        raise DataError(str(root), None, f"no NLU training data found in this directory; expected {_SUPPORTED} files")
    return data
