"""Nearest-neighbour search over unit vectors (inner product = cosine), with a hard filter, and the
semantic retriever that puts the catalogue, the embedder and an index together.

* ``ExactIndex``: numpy over one contiguous float32 matrix. With a filter it scores only the allowed
  rows when they are few, else scores all and masks (gathering rows costs a copy).
* ``FaissIndex``: faiss-cpu. ``IndexFlatIP`` (exact) below ``ivf_from`` vectors, an IVF index above,
  by default with 4-bit product-quantised fast-scan codes (``IVF{nlist},PQ{d/4}x4fs``: d/8 bytes a
  vector, scanned with SIMD). Its best ``k * rerank`` candidates are re-scored exactly from the float32
  matrix, so returned scores are true cosines and only recall is approximate. The filter is a faiss
  ``IDSelectorBitmap`` packed from the boolean mask (one bit a row, no per-query hash set); an IVF
  search probes ``nprobe / f`` lists when the filter keeps a fraction f of the rows, so it sees as
  many allowed rows as an unfiltered one. A filter that keeps at most ``exact_below`` rows is
  answered exactly with numpy over just those rows.
* ``make_index(n)``: exact below a configurable size (50 000), FAISS above.

``search`` takes a set of allowed ids; ``search_mask`` a boolean mask over the rows (the fast path:
``Catalogue.filter_mask`` gives one).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.recommender.catalogue import Catalogue, CatalogueItem, Constraint
from assistant.recommender.embeddings import CatalogueEmbeddings, EmbeddingCache, Embedder, embed_catalogue

DEFAULT_EXACT_UP_TO = 50_000  # make_index: exact numpy below this many vectors, FAISS from it
GATHER_BLOCK = 16_384  # rows gathered at once for exact scoring: ~25 MB at dim 384
Hit = tuple[str, float]


class VectorIndex(ABC):
    """Top-k by inner product over L2-normalised vectors, optionally among allowed rows only."""

    def __init__(self) -> None:
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._ids: list[str] = []
        self._row_of: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def dim(self) -> int:
        return int(self._vectors.shape[1])

    def build(self, vectors: np.ndarray, ids: Sequence[str]) -> VectorIndex:
        """Index ``vectors`` (n, d), row i being ``ids[i]``. A float32 C-contiguous matrix is kept
        without a copy, so the caller must not modify it afterwards."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-d matrix, got shape {vectors.shape}")
        ids = [str(item_id) for item_id in ids]
        if len(ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        row_of = {item_id: row for row, item_id in enumerate(ids)}
        if len(row_of) != len(ids):
            raise ValueError("ids must be unique")
        self._vectors, self._ids, self._row_of = vectors, ids, row_of
        self._build()
        return self

    def mask_of(self, allowed_ids: Iterable[str]) -> np.ndarray:
        mask = np.zeros(len(self._ids), dtype=bool)
        rows = [self._row_of[item_id] for item_id in allowed_ids if item_id in self._row_of]
        mask[rows] = True
        return mask

    def search(self, query_vector: np.ndarray, k: int, allowed_ids: set[str] | None = None) -> list[Hit]:
        """The k best (id, score), best first; with ``allowed_ids``, only among those."""
        return self.search_mask(query_vector, k, None if allowed_ids is None else self.mask_of(allowed_ids))

    def search_mask(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[Hit]:
        """The k best (id, score), best first; with a boolean ``mask`` over the rows, only true rows."""
        query = self._query(query_vector)
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(self._ids),):
                raise ValueError(f"the mask has shape {mask.shape}; expected ({len(self._ids)},)")
        allowed = len(self._ids) if mask is None else int(np.count_nonzero(mask))
        k = min(int(k), allowed)
        if k <= 0:
            return []
        rows, scores = self._search(query, k, mask, allowed)
        return [(self._ids[row], float(score)) for row, score in zip(rows, scores)]

    def _query(self, query_vector: np.ndarray) -> np.ndarray:
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if len(self._ids) and query.shape[0] != self.dim:
            raise ValueError(f"the query has dimension {query.shape[0]}; the index holds {self.dim}")
        norm = float(np.linalg.norm(query))
        return query / norm if norm > 0 else query

    def _exact_rows(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among the given rows, gathered a block at a time (one big gather would copy
        up to the whole matrix and page-fault its way through fresh memory)."""
        scores = np.empty(len(rows), dtype=np.float32)
        for start in range(0, len(rows), GATHER_BLOCK):
            block = rows[start : start + GATHER_BLOCK]
            scores[start : start + len(block)] = self._vectors[block] @ query
        return _top_k(scores, k, rows)

    @abstractmethod
    def _build(self) -> None: ...

    @abstractmethod
    def _search(self, query: np.ndarray, k: int, mask: np.ndarray | None,
                allowed: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) best first, k <= allowed rows."""


def _top_k(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    if k < len(scores):
        best = np.argpartition(-scores, k - 1)[:k]
    else:
        best = np.arange(len(scores))
    best = best[np.argsort(-scores[best], kind="stable")]
    return (best if rows is None else rows[best]), scores[best]


class ExactIndex(VectorIndex):
    """Exact search with numpy: a matrix-vector product over the rows the filter allows."""

    def __init__(self, gather_below: float = 0.2) -> None:
        super().__init__()
        # gathering rows is a random-access copy: from this fraction of allowed rows (measured at 1M),
        # one matrix-vector product over every row and a mask is faster
        self.gather_below = gather_below

    def _build(self) -> None:
        pass

    def _search(self, query, k, mask, allowed):
        if mask is None:
            return _top_k(self._vectors @ query, k)
        if allowed < self.gather_below * len(self._ids):
            return self._exact_rows(query, k, np.flatnonzero(mask))
        scores = self._vectors @ query
        scores[~mask] = -np.inf
        return _top_k(scores, k)


class FaissIndex(VectorIndex):
    """FAISS inner-product search: exact ``IndexFlatIP``, or IVF (or HNSW) for large collections.

    kind: "auto" (flat below ``ivf_from`` vectors, IVF from there), "flat", "ivf" or "hnsw".
    ivf_storage: "PQfs" (4-bit PQ fast-scan, d/8 bytes a vector), "SQ8" (d bytes) or "Flat" (4d bytes,
    exact scores); the first two are re-scored exactly over ``k * rerank`` candidates.
    nprobe: lists probed without a filter (of nlist = sqrt(n) by default); with a filter keeping a
    fraction f of the rows, nprobe / f. Measured at 1M random vectors: benchmarks/recommend_retrieval.py.
    """

    def __init__(self, kind: str = "auto", *, ivf_from: int = 200_000, nlist: int | None = None, nprobe: int = 128,
                 ivf_storage: str = "PQfs", rerank: int = 100, hnsw_m: int = 32, ef_search: int = 64,
                 exact_below: int = 20_000, train_points_per_list: int = 64, seed: int = 1234) -> None:
        if kind not in ("auto", "flat", "ivf", "hnsw"):
            raise ValueError(f"unknown FAISS index kind {kind!r}; use auto, flat, ivf or hnsw")
        if ivf_storage not in ("PQfs", "SQ8", "Flat"):
            raise ValueError(f"unknown IVF storage {ivf_storage!r}; use PQfs, SQ8 or Flat")
        super().__init__()
        self.kind, self.ivf_from, self.nlist, self.nprobe = kind, ivf_from, nlist, nprobe
        self.ivf_storage, self.rerank, self.exact_below = ivf_storage, rerank, exact_below
        self.hnsw_m, self.ef_search = hnsw_m, ef_search
        self.train_points_per_list, self.seed = train_points_per_list, seed
        self.built_kind = ""  # flat, ivf or hnsw once built
        self.built_nlist = 0
        self._index = None

    def kind_for(self, n: int) -> str:
        """The structure built for n vectors: flat, ivf or hnsw."""
        kind = self.kind
        if kind == "auto":
            kind = "ivf" if n >= self.ivf_from else "flat"
        if kind == "ivf" and n < 1_000:
            kind = "flat"  # too few vectors to train the lists
        return kind

    def _build(self) -> None:
        import faiss

        n, dim = self._vectors.shape
        kind = self.kind_for(n)
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        else:
            # sqrt(n) lists, each with the 39 training points faiss asks for at the least
            nlist = self.nlist or max(1, min(round(math.sqrt(n)), n // 39))
            self.built_nlist = nlist
            storage = self.ivf_storage
            if storage == "PQfs":
                # 4 dimensions a sub-quantiser where they divide evenly
                storage = f"PQ{next(m for m in (dim // 4, dim // 2, dim) if m and dim % m == 0)}x4fs"
            index = faiss.index_factory(dim, f"IVF{nlist},{storage}", faiss.METRIC_INNER_PRODUCT)
            sample_size = min(n, nlist * self.train_points_per_list)
            sample = self._vectors[np.sort(np.random.default_rng(self.seed).choice(n, sample_size, replace=False))]
            index.cp.max_points_per_centroid = self.train_points_per_list
            index.train(sample)
        if n:
            index.add(self._vectors)
        self._index, self.built_kind = index, kind

    def _search(self, query, k, mask, allowed):
        import faiss

        n = len(self._ids)
        if mask is not None and allowed <= self.exact_below:
            return self._exact_rows(query, k, np.flatnonzero(mask))
        approximate = self.built_kind in ("ivf", "hnsw")
        coded = self.built_kind == "ivf" and self.ivf_storage != "Flat"
        fetch = min(allowed, k * self.rerank) if coded else k
        fraction = allowed / n
        if self.built_kind == "ivf":
            params = faiss.SearchParametersIVF()
            params.nprobe = min(self.built_nlist, math.ceil(self.nprobe / fraction))
        elif self.built_kind == "hnsw":
            params = faiss.SearchParametersHNSW()
            params.efSearch = min(4096, max(self.ef_search, fetch) * math.ceil(1 / fraction))
        else:
            params = faiss.SearchParameters()
        if mask is not None:
            bitmap = np.packbits(mask, bitorder="little")
            params.sel = selector = faiss.IDSelectorBitmap(bitmap)  # noqa: F841 (kept alive for the search)
        _, found = self._index.search(query[None, :], fetch, params=params)
        rows = found[0][found[0] >= 0]
        if mask is not None:
            # the hard filter is a promise: do not rely on every faiss index type honouring the selector
            rows = rows[mask[rows]]
        if approximate and len(rows) < k:
            # the probed lists held too few allowed rows: fall back to exact
            allowed_rows = np.flatnonzero(mask) if mask is not None else np.arange(n)
            return self._exact_rows(query, k, allowed_rows)
        # exact scores for the candidates (codes only approximate them; this also orders ties by row)
        return self._exact_rows(query, k, np.sort(rows))


def make_index(n: int, threshold: int = DEFAULT_EXACT_UP_TO, **faiss_options) -> VectorIndex:
    """An exact numpy index for fewer than ``threshold`` vectors, a FAISS one otherwise."""
    return ExactIndex() if n < threshold else FaissIndex(**faiss_options)


# ---------------------------------------------------------------- the retriever


@dataclass(frozen=True)
class Candidate:
    """An item and the cosine similarity of its description to the user's words (0.0 without words)."""

    item: CatalogueItem
    similarity: float


class SemanticRetriever:
    """Items of a kind that pass a hard filter, ranked by similarity to what the user said.

    Embeddings come from ``cache`` (or are computed when it is None); one index per kind is built on
    first use with ``make_index(n, index_threshold)``.
    """

    def __init__(self, catalogue: Catalogue, embedder: Embedder, cache: EmbeddingCache | None = None, *,
                 index_threshold: int = DEFAULT_EXACT_UP_TO, progress: bool | None = None,
                 query_cache_size: int = 256) -> None:
        self.catalogue = catalogue
        self.embedder = embedder
        self.cache = cache
        self.index_threshold = index_threshold
        self.progress = progress
        self._embeddings: CatalogueEmbeddings | None = None
        self._indexes: dict[str, VectorIndex] = {}
        self._rows: dict[str, tuple[dict[str, int], np.ndarray]] = {}  # kind → (row of id, popularity)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_size = query_cache_size

    @property
    def embeddings(self) -> CatalogueEmbeddings:
        if self._embeddings is None:
            if self.cache is not None:
                self._embeddings = self.cache.embeddings(self.catalogue, self.embedder, progress=self.progress)
            else:
                self._embeddings = embed_catalogue(self.catalogue, self.embedder, progress=self.progress)
        return self._embeddings

    def prepare(self) -> SemanticRetriever:
        """Embed the catalogue and build every kind's index now rather than on the first query."""
        for kind in self.catalogue.kinds:
            self.index(kind)
        return self

    def index(self, kind: str) -> VectorIndex:
        if kind not in self._indexes:
            items = self.catalogue.by_kind(kind)
            row_of = self.embeddings.row_of()
            rows = np.fromiter((row_of[item.id] for item in items), dtype=np.int64, count=len(items))
            vectors = self.embeddings.vectors[rows] if len(rows) else np.zeros((0, 0), dtype=np.float32)
            self._indexes[kind] = make_index(len(items), self.index_threshold).build(vectors, [it.id for it in items])
        return self._indexes[kind]

    def _kind_rows(self, kind: str) -> tuple[dict[str, int], np.ndarray]:
        if kind not in self._rows:
            items = self.catalogue.by_kind(kind)
            self._rows[kind] = ({item.id: row for row, item in enumerate(items)},
                                np.array([item.popularity for item in items], dtype=np.float64))
        return self._rows[kind]

    def query_vector(self, text: str) -> np.ndarray:
        text = " ".join(text.split())
        vector = self._queries.pop(text, None)
        if vector is None:
            vector = np.asarray(self.embedder.encode([text], progress=False)[0], dtype=np.float32)
        self._queries[text] = vector
        while len(self._queries) > self._query_cache_size:
            self._queries.popitem(last=False)
        return vector

    def candidates(self, kind: str, query_text: str | None, hard_filter: Mapping[str, Constraint] | None = None,
                   k: int = 10, *, exclude: Iterable[str] = ()) -> list[Candidate]:
        """Up to k items of ``kind`` that pass ``hard_filter`` (see ``Catalogue.filter``) and are not in
        ``exclude`` (e.g. rejected items), most similar to ``query_text`` first. Without query text,
        the most popular first, with similarity 0.0."""
        items = self.catalogue.by_kind(kind)
        if not items or k <= 0:
            return []
        mask = self.catalogue.filter_mask(kind, hard_filter)
        row_of, popularity = self._kind_rows(kind)
        mask[[row_of[item_id] for item_id in set(exclude) if item_id in row_of]] = False
        if not query_text or not query_text.strip():
            rows = np.flatnonzero(mask)
            rows = rows[np.argsort(-popularity[rows], kind="stable")][:k]
            return [Candidate(items[row], 0.0) for row in rows]
        hits = self.index(kind).search_mask(self.query_vector(query_text), k, mask)
        return [Candidate(self.catalogue.get(item_id), score) for item_id, score in hits]
