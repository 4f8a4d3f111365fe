"""The shipped corpus: one topic a file, front matter on each, the policy facts the issue lists."""

from __future__ import annotations

import re
from datetime import date

import pytest

from commerce.shared.text import fold
from knowledge.chunking import CHUNK_SIZE, split_corpus, split_document
from knowledge.documents import CorpusError, load_corpus, parse_document

FACTS = {
    "envios.md": ["1 a 2 días hábiles", "2 a 4 días hábiles", "4 a 8 días hábiles", "Servientrega", "Coordinadora",
                  "Interrapidísimo", "peso", "Pasto"],
    "devoluciones.md": ["5 días hábiles", "Ley 1480 de 2011, artículo 47", "30 días calendario", "perecederos",
                        "hechos a la medida"],
    "garantia.md": ["Ley 1480", "12 meses"],
    "medios-de-pago.md": ["PayU", "PSE", "Efecty", "MercadoPago", "Nequi", "24 horas", "tarjeta de crédito"],
    "datos-personales.md": ["Ley 1581 de 2012", "Conocer", "Actualizar", "rectificar", "Suprimir", "Revocar",
                            "10 días hábiles", "15\n  días hábiles"],
    "vendedores.md": ["NIT", "RUT", "por unidad al mes", "Picking y packing", "por pedido", "Reorden automático",
                      "Reportes de ventas", "Envío de inventario a la bodega"],
}


def test_one_topic_a_file_with_front_matter() -> None:
    documents = load_corpus()
    assert {d.source for d in documents} == set(FACTS)
    for d in documents:
        assert d.title and d.version and d.updated <= date(2026, 12, 1)
        assert d.body.startswith(f"# {d.title}\n"), d.source  # the h1 a person scans is the title
        assert len(re.findall(r"^## ", d.body, flags=re.M)) >= 3, d.source


@pytest.mark.parametrize("source", sorted(FACTS))
def test_policy_facts_are_in_their_document(source: str) -> None:
    body = next(d.body for d in load_corpus() if d.source == source)
    for fact in FACTS[source]:
        assert fold(fact) in fold(body), (source, fact)


def test_front_matter_is_required() -> None:
    with pytest.raises(CorpusError, match="front matter"):
        parse_document("x.md", "# Sin encabezado\n")
    with pytest.raises(CorpusError, match="version"):
        parse_document("x.md", "---\ntitle: X\nupdated: 2026-12-01\n---\n# X\n")


def test_chunks_keep_their_heading_path_and_size() -> None:
    chunks = split_corpus(load_corpus())
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    plazo = next(c for c in chunks if "5 días hábiles contados desde la entrega" in c.text)
    assert plazo.headings == ("Devoluciones y derecho de retracto", "Plazo para retractarte: 5 días hábiles")
    assert plazo.document.startswith(plazo.heading_path + "\n\n")
    for c in chunks:
        assert c.headings[0] == c.title and len(c.text) <= CHUNK_SIZE and not c.text.startswith("#")


def test_chunk_ids_hash_content() -> None:
    [document] = [d for d in load_corpus() if d.source == "garantia.md"]
    first, again = split_document(document), split_document(document)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    edited = parse_document("garantia.md", (
        f"---\ntitle: {document.title}\nversion: {document.version}\nupdated: {document.updated}\n---\n"
        + document.body.replace("12 meses de garantía", "24 meses de garantía")))
    changed = {c.chunk_id for c in split_document(edited)} ^ {c.chunk_id for c in first}
    assert len(changed) == 2  # one chunk out, its edited version in; every other id is the same
