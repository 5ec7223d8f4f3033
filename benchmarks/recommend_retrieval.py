"""Retrieval latency of the recommender: top-10 after a hard filter, on synthetic catalogues.

Items are random unit vectors (dim 384, like the MiniLM) with two coded attributes, area (10 values)
and pricerange (cheap/moderate/expensive at 25/25/50 %). Each query's filter is
``{"area": <6 random areas>, "pricerange": ["cheap", "moderate"]}``, which keeps ~30 % of the items,
and its vector is an allowed item plus as much noise again (cosine ~0.7 to it), so every query has a
true nearest neighbour. A query's time is the whole path: the filter mask from the attribute
posting lists (``AttributeIndex.mask``) and the index search (``search_mask``).

    python benchmarks/recommend_retrieval.py [--sizes 10000 100000 1000000] [--queries 200]
                                             [--methods exact faiss-flat faiss-ivf]

Per size and method it prints the build time, the memory the index adds beyond the shared float32
matrix (RSS growth while building), p50/p95 latency, recall@10 against the exact answer and how often
the exact best item is among the 10 returned (uniform random vectors have no clusters, the worst case
for IVF: their true 2nd..10th neighbours are barely closer than any other item); the
"auto" column marks what ``make_index`` picks at that size. Methods run one after another and are freed
in between, so peak memory is the matrix plus the largest index (about 3.3 GB at 1M with faiss-flat).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.recommender.catalogue import AttributeIndex  # noqa: E402
from assistant.recommender.index import ExactIndex, FaissIndex, make_index  # noqa: E402

AREAS = ["centre", "north", "south", "east", "west", "riverside", "old town", "station", "university", "airport"]
PRICES = ["cheap", "moderate", "expensive"]
METHODS = {
    "exact": lambda: ExactIndex(),
    "faiss-flat": lambda: FaissIndex("flat"),
    "faiss-ivf": lambda: FaissIndex("ivf"),
}
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


def release_memory() -> None:
    gc.collect()
    try:  # hand freed heap back to the OS so the next RSS reading is honest
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def synthetic(n: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, AttributeIndex]:
    vectors = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        block = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start : start + len(block)] = block
    areas = rng.integers(0, len(AREAS), size=n).astype(np.int8)
    prices = rng.choice(len(PRICES), size=n, p=[0.25, 0.25, 0.5]).astype(np.int8)
    attributes = AttributeIndex.from_codes({"area": (areas, AREAS), "pricerange": (prices, PRICES)})
    return vectors, attributes


def queries(vectors: np.ndarray, attributes: AttributeIndex, count: int, rng: np.random.Generator):
    made = []
    for _ in range(count):
        constraints = {"area": list(rng.choice(AREAS, size=6, replace=False)), "pricerange": ["cheap", "moderate"]}
        allowed = np.flatnonzero(attributes.mask(constraints))
        near = vectors[rng.choice(allowed)]
        noise = rng.standard_normal(vectors.shape[1]).astype(np.float32)
        query = near + noise / np.linalg.norm(noise)
        made.append((constraints, query / np.linalg.norm(query)))
    return made


def run_method(name, vectors, ids, attributes, workload, truth):
    release_memory()
    before = rss_mb()
    started = time.perf_counter()
    index = METHODS[name]().build(vectors, ids)
    build_s = time.perf_counter() - started
    extra_mb = max(0.0, rss_mb() - before)
    index.search_mask(workload[0][1], 10, attributes.mask(workload[0][0]))  # warm up
    times, recalls, firsts, kept = [], [], [], []
    for (constraints, query), want in zip(workload, truth):
        started = time.perf_counter()
        mask = attributes.mask(constraints)
        hits = index.search_mask(query, 10, mask)
        times.append((time.perf_counter() - started) * 1000)
        kept.append(mask.mean())
        if want is not None:
            top, best = want
            recalls.append(len({item for item, _ in hits} & top) / len(top))
            firsts.append(best in {item for item, _ in hits})
    row = {
        "method": name + (f" (nlist={index.built_nlist})" if getattr(index, "built_kind", "") == "ivf" else ""),
        "kind": getattr(index, "built_kind", "exact"),
        "build_s": build_s,
        "extra_mb": extra_mb,
        "p50": statistics.median(times),
        "p95": float(np.percentile(times, 95)),
        "recall": statistics.mean(recalls) if recalls else 1.0,
        "first": statistics.mean(firsts) if firsts else 1.0,
        "kept": statistics.mean(kept),
    }
    hits = [index.search_mask(query, 10, attributes.mask(c)) for c, query in workload] if truth[0] is None else None
    del index
    release_memory()
    return row, hits


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    methods = ["exact", *[m for m in args.methods if m != "exact"]]  # exact first: it is the truth for recall

    import faiss

    print(f"# {os.cpu_count()} CPUs, faiss {faiss.__version__} ({faiss.omp_get_max_threads()} threads), "
          f"numpy {np.__version__}, dim {args.dim}, {args.queries} queries, top-10 after filters")
    header = (f"{'items':>9}  {'method':<28} {'auto':>4} {'build s':>8} {'matrix MB':>9} {'extra MB':>8} "
              f"{'kept':>5} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9} {'top-1 found':>11}")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        rng = np.random.default_rng(args.seed + n)
        vectors, attributes = synthetic(n, args.dim, rng)
        ids = [str(row) for row in range(n)]
        workload = queries(vectors, attributes, args.queries, rng)
        chosen = make_index(n)
        auto = chosen.kind_for(n) if isinstance(chosen, FaissIndex) else "exact"
        truth = [None] * len(workload)
        for name in methods:
            row, hits = run_method(name, vectors, ids, attributes, workload, truth)
            if hits is not None:
                truth = [({item for item, _ in found}, found[0][0]) for found in hits]
            picked = row["kind"] == auto
            print(f"{n:>9,}  {row['method']:<28} {'*' if picked else '':>4} {row['build_s']:>8.2f} "
                  f"{vectors.nbytes / 2**20:>9.0f} {row['extra_mb']:>8.0f} {row['kept']:>5.0%} "
                  f"{row['p50']:>7.2f} {row['p95']:>7.2f} {row['recall']:>9.3f} {row['first']:>11.3f}", flush=True)
        del vectors, attributes, workload
        release_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# peak RSS {peak:,.0f} MB; auto (*) = what make_index(n) builds: ExactIndex below 50,000 items, "
          "else FaissIndex (flat below 200,000, IVF from there)")


if __name__ == "__main__":
    main()
