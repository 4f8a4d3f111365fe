"""The catalog collection that semantic product search will use: meaning, not words, finds products."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import CatalogItem, KnowledgeBase, ProductIndex, open_client

ROOT = Path(__file__).resolve().parents[2]

# Short listings a seller would write (the seed gets its own in phase B; these are the test's).
DESCRIPTIONS = {
    "CAF-001": "Café de origen del Huila, tostión media, notas a panela y frutos rojos. Para preparar tinto.",
    "CAF-002": "Café molido de Nariño, suave y aromático, listo para la greca o la cafetera.",
    "CAF-003": "Cápsulas compatibles con cafeteras de cápsula, café de la Sierra Nevada.",
    "CAF-004": "Panela orgánica en polvo para endulzar bebidas, aguapanela y postres.",
    "MOD-101": "Ruana tejida a mano en lana virgen de Boyacá, abriga en clima frío.",
    "MOD-102": "Sombrero vueltiao tradicional del Caribe, tejido en caña flecha.",
    "MOD-103": "Mochila wayuu tejida por artesanas de La Guajira, colores vivos.",
    "TEC-550": "Audífonos inalámbricos Bluetooth 5.3 con estuche de carga y 30 horas de batería.",
    "TEC-551": "Cargador de pared USB-C de 30 W con carga rápida para celular.",
    "TEC-552": "Bombillo LED inteligente Wi-Fi, se controla desde el celular.",
    "TEC-553": "Parlante Bluetooth portátil, resistente al agua, para la piscina o el paseo.",
}


def demo_items() -> list[CatalogItem]:
    world = json.loads((ROOT / "infra" / "seed" / "demo-world.json").read_text(encoding="utf-8"))
    return [CatalogItem(sku=p["sku"], name=p["name"], category=p["category"], description=DESCRIPTIONS[p["sku"]],
                        seller_id=p["seller_id"]) for p in world["products"]]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> ProductIndex:
    kb = KnowledgeBase(open_client(path=tmp_path_factory.mktemp("catalog") / "chroma"))
    index = kb.products()
    report = index.sync(demo_items())
    assert len(report.written) == len(DESCRIPTIONS)
    return index


@pytest.mark.parametrize(("query", "sku"), [
    ("algo para el frío", "MOD-101"),
    ("regalo para alguien que toma tinto", "CAF-001"),
    ("musica en la piscina", "TEC-553"),
])
def test_meaning_finds_the_product(catalog: ProductIndex, query: str, sku: str) -> None:
    assert sku in [m.sku for m in catalog.similar(query, k=3)]


def test_similar_excludes_and_carries_public_fields(catalog: ProductIndex) -> None:
    matches = catalog.similar("Café molido Nariño 250 g", k=3, exclude=["CAF-002"])
    assert "CAF-002" not in [m.sku for m in matches] and matches[0].category == "Café"
    assert {"sku", "name", "category", "seller_id", "similarity"} == set(vars(matches[0]))


def test_one_changed_product_writes_one(tmp_path: Path) -> None:
    index = KnowledgeBase(open_client(path=tmp_path / "chroma")).products()
    items = demo_items()[:4]
    index.sync(items)
    assert not index.sync(items).changed
    changed = [*items[:3], CatalogItem(**{**vars(items[3]), "description": "Panela en bloque, 1 kg."})]
    report = index.upsert(changed[3:])
    assert report.written == [items[3].sku] and not report.deleted
    gone = index.sync(changed[:2])
    assert sorted(gone.deleted) == sorted(i.sku for i in changed[2:]) and not gone.written
