"""The recommender: the catalogue, description embeddings and semantic retrieval (this package's
core), on which the profile, ranking and explanations build.

    catalogue = load_catalogue("data/catalogue", kinds={"restaurant", "hotel", "attraction"})
    retriever = SemanticRetriever(catalogue, DescriptionEmbedder(), EmbeddingCache(".cache/embeddings"))
    retriever.candidates("restaurant", "somewhere romantic with a view", {"area": "centre"}, k=10)

Nothing heavy is imported here: sentence-transformers loads on the first embedding, faiss on the first
FAISS index.
"""

from assistant.recommender.catalogue import (
    DEFAULT_POPULARITY,
    AttributeIndex,
    Catalogue,
    CatalogueError,
    CatalogueItem,
    load_catalogue,
    match_key,
)
from assistant.recommender.embeddings import (
    CatalogueEmbeddings,
    DescriptionEmbedder,
    EmbeddingCache,
    embed_catalogue,
    normalise_rows,
)
from assistant.recommender.index import (
    Candidate,
    ExactIndex,
    FaissIndex,
    SemanticRetriever,
    VectorIndex,
    make_index,
)

__all__ = [
    "DEFAULT_POPULARITY",
    "AttributeIndex",
    "Candidate",
    "Catalogue",
    "CatalogueEmbeddings",
    "CatalogueError",
    "CatalogueItem",
    "DescriptionEmbedder",
    "EmbeddingCache",
    "ExactIndex",
    "FaissIndex",
    "SemanticRetriever",
    "VectorIndex",
    "embed_catalogue",
    "load_catalogue",
    "make_index",
    "match_key",
    "normalise_rows",
]
