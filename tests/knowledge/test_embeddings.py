"""The bundled e5 model as a Chroma embedding function: prefixes, registration, no network."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from chromadb.utils.embedding_functions import known_embedding_functions

from knowledge.embeddings import E5EmbeddingFunction

ROOT = Path(__file__).resolve().parents[2]


def test_query_and_passage_sides_differ_and_are_normalised() -> None:
    ef = E5EmbeddingFunction()
    text = "Tienes 5 días hábiles para retractarte de la compra."
    [passage], [query] = ef([text]), ef.embed_query([text])
    assert len(passage) == 384 and abs(float(np.linalg.norm(passage)) - 1) < 1e-3
    assert not np.allclose(passage, query)  # "passage: " vs "query: " prefix


def test_spanish_paraphrase_is_closer_than_an_unrelated_text() -> None:
    ef = E5EmbeddingFunction()
    [q] = ef.embed_query(["cuantos dias tengo pa devolver algo"])
    answer, unrelated = ef(["Tienes 5 días hábiles desde la entrega para devolver el producto.",
                            "Aceptamos pagos con tarjeta de crédito y PSE."])
    assert float(np.dot(q, answer)) > float(np.dot(q, unrelated))


def test_registered_and_rebuilt_from_config() -> None:
    assert known_embedding_functions[E5EmbeddingFunction.name()] is E5EmbeddingFunction
    ef = E5EmbeddingFunction.build_from_config(E5EmbeddingFunction().get_config())
    assert ef.variant == "original" and ef.default_space() == "cosine"


def test_indexes_and_searches_with_the_network_refused(tmp_path: Path) -> None:
    """A fresh process that refuses every non-loopback connection still embeds, indexes and answers."""
    script = textwrap.dedent("""
        import socket, sys
        from pathlib import Path
        real_connect = socket.socket.connect
        def guarded(self, address):
            host = address[0] if isinstance(address, tuple) else str(address)
            if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("/"):
                raise OSError(f"network refused in this test: {address}")
            return real_connect(self, address)
        socket.socket.connect = guarded
        from knowledge import KnowledgeBase, open_client
        client = open_client(path=Path(sys.argv[1]))
        assert client.get_settings().anonymized_telemetry is False
        kb = KnowledgeBase(client, corpus_dir=Path(sys.argv[2]))
        kb.index()
        print(kb.search("puedo pagar con nequi")[0].heading_path)
    """)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "medios-de-pago.md").write_text((ROOT / "knowledge" / "corpus" / "medios-de-pago.md").read_text())
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "chroma"), str(corpus)], env=env,
                         capture_output=True, text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Medios de pago > Medios disponibles > Nequi"
