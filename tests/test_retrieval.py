"""Retrieval: description embeddings and their cache, exact and FAISS indexes, the semantic retriever."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from assistant.recommender import (
    Catalogue,
    CatalogueItem,
    DescriptionEmbedder,
    EmbeddingCache,
    ExactIndex,
    FaissIndex,
    SemanticRetriever,
    make_index,
    normalise_rows,
)

ITEMS = [
    CatalogueItem("r1", "restaurant", "The Riverside Brasserie", {"area": "centre", "pricerange": "expensive"},
                  "Romantic candle-lit dinner with a river view.", 0.3),
    CatalogueItem("r2", "restaurant", "Burger Bar", {"area": "centre", "pricerange": "cheap"},
                  "Cheap fast food.", 0.9),
    CatalogueItem("r3", "restaurant", "Golden Wok", {"area": "north", "pricerange": "cheap"},
                  "Noodles and dumplings to take away.", 0.6),
    CatalogueItem("h1", "hotel", "Acorn Guest House", {"area": "north"}, "A quiet family-run guesthouse.", 0.5),
]


@pytest.fixture(scope="module")
def embedder() -> DescriptionEmbedder:
    return DescriptionEmbedder()


class CountingEmbedder:
    """The real embedder, counting how often (and on how many texts) the model is called."""

    def __init__(self, inner: DescriptionEmbedder) -> None:
        self.inner, self.name = inner, inner.name
        self.calls, self.texts = 0, 0

    def encode(self, texts, *, progress=None):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.encode(texts, progress=progress)


def random_unit(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    return normalise_rows(np.random.default_rng(seed).standard_normal((n, dim)))


# ---------------------------------------------------------------- embeddings and their cache


def test_embeddings_are_unit_float32(embedder):
    vectors = embedder.encode(["a quiet guesthouse", "cheap fast food"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_an_unchanged_catalogue_is_never_embedded_twice(tmp_path, embedder):
    counting = CountingEmbedder(embedder)
    first = EmbeddingCache(tmp_path).embeddings(Catalogue(ITEMS), counting)
    assert (counting.calls, counting.texts) == (1, len(ITEMS))

    # a new process: a fresh cache object on the same folder, the items in another order
    cache = EmbeddingCache(tmp_path)
    again = cache.embeddings(Catalogue(reversed(ITEMS)), counting)
    assert counting.calls == 1 and (cache.hits, cache.misses) == (1, 0)
    assert again.ids == tuple(item.id for item in reversed(ITEMS))
    row = first.row_of()
    for index, item_id in enumerate(again.ids):
        assert np.array_equal(again.vectors[index], first.vectors[row[item_id]])


def test_a_changed_catalogue_re_embeds_only_changed_texts(tmp_path, embedder):
    counting = CountingEmbedder(embedder)
    cache = EmbeddingCache(tmp_path)
    cache.embeddings(Catalogue(ITEMS), counting)
    more_popular = [ITEMS[0], ITEMS[1], ITEMS[2], replace(ITEMS[3], popularity=0.99)]
    cache.embeddings(Catalogue(more_popular), counting)  # new content hash, same texts
    assert (cache.misses, counting.calls, counting.texts) == (2, 1, len(ITEMS))
    reworded = [*ITEMS[:3], replace(ITEMS[3], description="A grand hotel with a spa.")]
    result = cache.embeddings(Catalogue(reworded), counting)
    assert (counting.calls, counting.texts) == (2, len(ITEMS) + 1)
    assert np.allclose(result.vectors[3], embedder.encode([reworded[3].embedding_text])[0], atol=1e-5)


@pytest.mark.parametrize("damage", ["truncate_vectors", "garbage_json", "wrong_shape", "missing_vectors"])
def test_a_corrupt_cache_entry_is_ignored_and_rebuilt(tmp_path, embedder, damage):
    counting = CountingEmbedder(embedder)
    catalogue = Catalogue(ITEMS)
    good = EmbeddingCache(tmp_path).embeddings(catalogue, counting)
    (meta_path,) = tmp_path.glob("*.json")
    vectors_path = meta_path.with_suffix(".npy")
    if damage == "truncate_vectors":
        vectors_path.write_bytes(vectors_path.read_bytes()[:100])
    elif damage == "garbage_json":
        meta_path.write_text("{not json", encoding="utf-8")
    elif damage == "wrong_shape":
        np.save(vectors_path, np.zeros((2, 384), dtype=np.float32))
    else:
        vectors_path.unlink()
    cache = EmbeddingCache(tmp_path)
    rebuilt = cache.embeddings(catalogue, counting)
    assert counting.calls == 2 and cache.misses == 1
    assert np.allclose(rebuilt.vectors, good.vectors, atol=1e-5)
    assert json.loads(meta_path.read_text(encoding="utf-8"))["catalogue_hash"] == catalogue.content_hash()
    EmbeddingCache(tmp_path).embeddings(catalogue, counting)
    assert counting.calls == 2  # the rebuilt entry is used from now on


# ---------------------------------------------------------------- indexes


def ids_of(hits) -> list[str]:
    return [item_id for item_id, _ in hits]


@pytest.mark.parametrize("options", [
    {"kind": "flat"},
    # every list probed, and every allowed candidate re-scored exactly: so the same answer as exact
    {"kind": "ivf", "nlist": 16, "nprobe": 16, "ivf_storage": "Flat"},
    {"kind": "ivf", "nlist": 16, "nprobe": 16, "ivf_storage": "SQ8", "rerank": 20},
    {"kind": "ivf", "nlist": 16, "nprobe": 16, "ivf_storage": "PQfs", "rerank": 300},
])  # fmt: skip
def test_exact_and_faiss_give_the_same_top_k(options):
    vectors, queries = random_unit(3000, seed=1), random_unit(20, seed=2)
    names = [f"item{row}" for row in range(len(vectors))]
    exact = ExactIndex().build(vectors, names)
    faiss_index = FaissIndex(**options, exact_below=0).build(vectors, names)
    assert faiss_index.built_kind == options["kind"]
    keep = np.random.default_rng(3).random(len(vectors)) < 0.3
    for query in queries:
        for mask in (None, keep):
            want, got = exact.search_mask(query, 10, mask), faiss_index.search_mask(query, 10, mask)
            assert ids_of(got) == ids_of(want)
            assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: ExactIndex(),
    lambda: FaissIndex("flat", exact_below=0),
    lambda: FaissIndex("ivf", nlist=32, nprobe=2, exact_below=0),
    lambda: FaissIndex("ivf", nlist=32, nprobe=2, exact_below=0, ivf_storage="SQ8", rerank=2),
    lambda: FaissIndex("ivf", nlist=32, nprobe=2, exact_below=100),
    lambda: FaissIndex("hnsw", exact_below=0),
])  # fmt: skip
def test_a_filter_never_lets_a_disallowed_id_through(make):
    vectors = random_unit(2000, seed=4)
    names = [f"item{row}" for row in range(len(vectors))]
    index = make().build(vectors, names)
    rng = np.random.default_rng(5)
    for size in (0, 1, 7, 60, 600, 1999, 2000):
        allowed = set(rng.choice(names, size=size, replace=False).tolist())
        query = random_unit(1, seed=size)[0]
        hits = index.search(query, 10, allowed_ids=allowed)
        assert set(ids_of(hits)) <= allowed
        assert len(hits) == min(10, size)
        scores = [score for _, score in hits]
        assert scores == sorted(scores, reverse=True)


def test_the_default_ivf_finds_a_near_item_under_a_filter():
    vectors = random_unit(5000, dim=64, seed=6)
    names = [f"item{row}" for row in range(len(vectors))]
    index = FaissIndex("ivf", exact_below=0).build(vectors, names)
    assert index.built_kind == "ivf"
    rng = np.random.default_rng(7)
    keep = rng.random(len(vectors)) < 0.3
    for row in rng.choice(np.flatnonzero(keep), size=20, replace=False):
        query = vectors[row] + random_unit(1, dim=64, seed=int(row))[0] * 0.5
        best_id, best_score = index.search_mask(query, 10, keep)[0]
        assert best_id == names[row]
        assert best_score == pytest.approx(float(vectors[row] @ (query / np.linalg.norm(query))), abs=1e-5)


def test_small_and_empty_cases():
    vectors = random_unit(5)
    index = ExactIndex().build(vectors, list("abcde"))
    assert ids_of(index.search(vectors[2], 10))[0] == "c" and len(index.search(vectors[2], 10)) == 5
    assert index.search(vectors[2], 3, allowed_ids={"zz"}) == []
    assert ExactIndex().build(np.zeros((0, 32), np.float32), []).search(vectors[0], 3) == []
    with pytest.raises(ValueError, match="dimension 3"):
        index.search(np.ones(3), 2)
    with pytest.raises(ValueError, match="unique"):
        ExactIndex().build(vectors, list("abcdd"))


def test_make_index_switches_to_faiss_at_the_threshold():
    assert isinstance(make_index(49_999), ExactIndex)
    assert isinstance(make_index(50_000), FaissIndex)
    assert isinstance(make_index(100, threshold=50), FaissIndex)


# ---------------------------------------------------------------- the semantic retriever


def test_the_matching_description_ranks_first(tmp_path, embedder):
    retriever = SemanticRetriever(Catalogue(ITEMS), embedder, EmbeddingCache(tmp_path))
    found = retriever.candidates("restaurant", "somewhere romantic with a view", k=3)
    assert [c.item.id for c in found][0] == "r1"
    assert found[0].similarity > found[-1].similarity
    assert all(c.item.kind == "restaurant" for c in found)
    # cosine similarities to the user's words
    direct = float(embedder.encode(["somewhere romantic with a view"])[0] @ retriever.embeddings.vectors[0])
    assert found[0].similarity == pytest.approx(direct, abs=1e-5)
    assert retriever.candidates("restaurant", "a quick cheap burger", k=1)[0].item.id == "r2"


def test_candidates_respect_the_hard_filter_and_exclusions(tmp_path, embedder):
    retriever = SemanticRetriever(Catalogue(ITEMS), embedder, EmbeddingCache(tmp_path))
    cheap = retriever.candidates("restaurant", "somewhere romantic with a view", {"pricerange": "cheap"})
    assert {c.item.id for c in cheap} == {"r2", "r3"}
    rest = retriever.candidates("restaurant", "somewhere romantic with a view", exclude={"r1"})
    assert "r1" not in {c.item.id for c in rest}
    assert retriever.candidates("restaurant", "anything", {"area": "east"}) == []
    # no words yet: the most popular first
    assert [c.item.id for c in retriever.candidates("restaurant", "", k=2)] == ["r2", "r3"]
    assert retriever.candidates("taxi", "fast") == []


def test_a_retriever_over_a_cached_catalogue_embeds_only_the_query(tmp_path, embedder):
    SemanticRetriever(Catalogue(ITEMS), embedder, EmbeddingCache(tmp_path)).prepare()
    counting = CountingEmbedder(embedder)
    retriever = SemanticRetriever(Catalogue(ITEMS), counting, EmbeddingCache(tmp_path)).prepare()
    retriever.candidates("restaurant", "romantic")
    retriever.candidates("restaurant", "romantic", {"area": "centre"})  # the query vector is reused too
    assert (counting.calls, counting.texts) == (1, 1)


def test_a_request_with_no_taste_in_its_words_is_no_query():
    from assistant.recommender.service import descriptive_words
    # "any ideas for dinner?": ranking by similarity to "ideas" would give "it matches what you asked for"
    for text in ("any ideas for dinner?", "where can I have lunch", "got any suggestions for a meal tonight",
                 "what should I do this afternoon", "any recommendations?"):
        assert descriptive_words(text) == [], text
    assert descriptive_words("somewhere romantic with a river view") == ["romantic", "river", "view"]
    assert descriptive_words("a fancy spot for dinner") == ["fancy"]
