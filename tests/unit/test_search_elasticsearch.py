"""The Elasticsearch product-search adapter (infra/search_index.py) against a loopback fake server.

There is no Elasticsearch server on this machine, so a small HTTP server on 127.0.0.1 plays one: it
answers the handful of endpoints the adapter calls (index exists/create, _bulk, _search,
_delete_by_query) the way Elasticsearch 9 does — including the `X-Elastic-Product` header the
official client insists on — keeps the documents it is sent, and records every request so the tests
check what the adapter really sends: the mapping from infra/deploy/elasticsearch/products.json, the
bulk NDJSON, the search body. Its `_search` does not analyse text: a test scripts the hits, because
what is under test is our request and our use of the answer, not Elasticsearch's ranking.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from commerce.identity.principal import ANONYMOUS, SYSTEM
from commerce.marketplace.commands import UpdatePrice
from commerce.marketplace.models import Product
from commerce.marketplace.search import search_products
from infra.bootstrap import Platform, bootstrap
from infra.search_index import ElasticsearchProductIndex, SearchDocument, active_documents, search_body
from infra.settings import SearchBackend, Settings
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
MAPPING = json.loads((ROOT / "infra" / "deploy" / "elasticsearch" / "products.json").read_text(encoding="utf-8"))
INDEX = "mestocker-products-test"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class FakeCluster:
    """What the fake server knows: indices (definition and documents), requests, scripted search hits."""

    indices: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    search_hits: list[str] | None = None

    def of(self, method: str, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]


class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster

    def log_message(self, *_args: object) -> None:  # keep the test output clean
        pass

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if "ndjson" in (self.headers.get("Content-Type") or "") or self.path.split("?")[0].endswith("/_bulk"):
            return [json.loads(line) for line in raw.splitlines() if line.strip()]
        return json.loads(raw) if raw else None

    def _reply(self, status: int, payload: Any = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        body = self._body()
        self.cluster.requests.append(Recorded(self.command, url.path, parse_qs(url.query), body))
        parts = [p for p in url.path.split("/") if p]
        indices = self.cluster.indices
        if not parts:
            return self._reply(200, {"version": {"number": "9.1.0"}, "tagline": "You Know, for Search"})
        name = parts[0]
        if parts == ["_bulk"]:  # the client sends it as PUT
            items, lines = [], list(body)
            while lines:
                action = lines.pop(0)
                (kind, meta), = action.items()
                docs = indices.setdefault(meta["_index"], {"definition": None, "docs": {}})["docs"]
                if kind == "index":
                    docs[meta["_id"]] = lines.pop(0)
                    items.append({kind: {"_id": meta["_id"], "status": 201}})
                else:
                    found = docs.pop(meta["_id"], None)
                    items.append({kind: {"_id": meta["_id"], "status": 200 if found else 404}})
            return self._reply(200, {"errors": False, "items": items})
        if self.command == "HEAD" and len(parts) == 1:
            return self._reply(200 if name in indices else 404)
        if self.command == "PUT" and len(parts) == 1:
            if name in indices:
                return self._reply(400, {"error": {"type": "resource_already_exists_exception"}, "status": 400})
            indices[name] = {"definition": body, "docs": {}}
            return self._reply(200, {"acknowledged": True, "index": name})
        if name not in indices:
            return self._reply(404, {"error": {"type": "index_not_found_exception"}, "status": 404})
        if parts[1:] == ["_search"]:
            hits = self.cluster.search_hits if self.cluster.search_hits is not None else list(indices[name]["docs"])
            return self._reply(200, {"hits": {"hits": [{"_id": sku, "_score": 1.0} for sku in hits]}})
        if parts[1:] == ["_delete_by_query"]:
            keep = set(body["query"]["bool"]["must_not"][0]["ids"]["values"])
            docs = indices[name]["docs"]
            gone = [doc_id for doc_id in docs if doc_id not in keep]
            for doc_id in gone:
                del docs[doc_id]
            return self._reply(200, {"deleted": len(gone)})
        return self._reply(400, {"error": {"type": "unexpected_request", "reason": self.path}, "status": 400})

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle


@pytest.fixture
def cluster() -> Iterator[tuple[FakeCluster, str]]:
    state = FakeCluster()
    handler = type("Handler", (_Handler,), {"cluster": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def es_platform(cluster: tuple[FakeCluster, str], sqlite_template: Path, tmp_path: Path) -> Iterator[Platform]:
    target = tmp_path / "mestocker.db"
    shutil.copyfile(sqlite_template, target)
    settings = make_settings(tmp_path, f"sqlite:///{target}", search_backend="elasticsearch",
                             elasticsearch_url=cluster[1], elasticsearch_index=INDEX)
    built = bootstrap(settings)
    yield built
    built.close()


def _index(platform: Platform) -> ElasticsearchProductIndex:
    assert platform.search_index is not None
    return platform.search_index


def _active(platform: Platform) -> list[SearchDocument]:
    with platform.read_uow() as uow:
        return active_documents(uow.session)


def test_the_setting_chooses_the_backend_and_needs_a_url(tmp_path: Path) -> None:
    embedded = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    assert embedded.search_backend == SearchBackend.DATABASE
    with pytest.raises(ValueError, match="MESTOCKER_ELASTICSEARCH_URL"):
        Settings(_env_file=None, data_dir=tmp_path, search_backend="elasticsearch")  # type: ignore[call-arg]


def test_database_backend_builds_no_index(platform: Platform) -> None:
    assert platform.search_index is None


def test_index_is_created_once_with_the_spanish_mapping(es_platform: Platform,
                                                        cluster: tuple[FakeCluster, str]) -> None:
    state, _ = cluster
    index = _index(es_platform)
    assert index.ensure_index() is True
    assert index.ensure_index() is False
    created = state.of("PUT", f"/{INDEX}")
    assert len(created) == 1
    assert created[0].body == {"settings": MAPPING["settings"], "mappings": MAPPING["mappings"]}
    analyzer = MAPPING["settings"]["analysis"]["analyzer"]["spanish_folded"]
    assert {"asciifolding", "spanish_stop", "spanish_stemmer"} <= set(analyzer["filter"])
    assert MAPPING["settings"]["analysis"]["filter"]["spanish_stemmer"]["language"] == "light_spanish"
    assert MAPPING["mappings"]["dynamic"] == "strict"
    assert set(MAPPING["mappings"]["properties"]) >= set(SearchDocument.__dataclass_fields__)


def test_reindex_writes_the_active_catalog_and_deletes_the_rest(es_platform: Platform,
                                                                cluster: tuple[FakeCluster, str]) -> None:
    state, _ = cluster
    index = _index(es_platform)
    index.ensure_index()
    state.indices[INDEX]["docs"]["OLD-999"] = {"sku": "OLD-999"}  # a product withdrawn since the last sync
    documents = _active(es_platform)
    assert documents
    report = index.reindex(documents)
    assert report.indexed == len(documents) and report.deleted == 1 and not report.created_index
    stored = state.indices[INDEX]["docs"]
    assert set(stored) == {d.sku for d in documents}
    first = documents[0]
    assert stored[first.sku] == {"sku": first.sku, "seller_id": first.seller_id, "name": first.name,
                                 "category": first.category, "description": first.description,
                                 "price_cop": first.price_cop, "active": True}
    bulk = state.of("PUT", "/_bulk")[-1].body
    assert bulk[0] == {"index": {"_index": INDEX, "_id": first.sku}}
    # Every document's fields exist in the strict mapping (Elasticsearch would refuse the others).
    assert set(bulk[1]) <= set(MAPPING["mappings"]["properties"])
    assert state.of("POST", "/_delete_by_query")[-1].query.get("refresh") == ["true"]


def test_a_price_change_reaches_the_index_through_the_outbox(es_platform: Platform,
                                                             cluster: tuple[FakeCluster, str]) -> None:
    state, _ = cluster
    index = _index(es_platform)
    index.reindex(_active(es_platform))
    sku = _active(es_platform)[0].sku
    es_platform.bus.handle(UpdatePrice(sku=sku, price_cop=12_345, actor=SYSTEM))
    assert state.indices[INDEX]["docs"][sku]["price_cop"] != 12_345, "not before the relay publishes"
    es_platform.relay.drain()
    assert state.indices[INDEX]["docs"][sku]["price_cop"] == 12_345
    # Delivered again (a broker retry), the event is not applied twice.
    writes = len(state.of("PUT", "/_bulk"))
    es_platform.relay.drain()
    assert len(state.of("PUT", "/_bulk")) == writes


def test_search_sends_every_term_and_the_price_filter_and_keeps_the_index_order(
        es_platform: Platform, cluster: tuple[FakeCluster, str]) -> None:
    state, _ = cluster
    index = _index(es_platform)
    index.reindex(_active(es_platform))
    with es_platform.read_uow() as uow:
        rows = uow.session.execute(select(Product.sku, Product.price_cop).where(Product.active.is_(True)))
        prices = {sku: price for sku, price in rows}
    cheap = sorted(prices, key=lambda sku: (prices[sku], sku))[:3]
    ceiling = max(prices[sku] for sku in cheap)
    # The index answers the three cheapest in reverse order, plus one the database does not know.
    state.search_hits = [*reversed(cheap), "GONE-001"]
    search = es_platform.bus.view(search_products)
    with es_platform.read_uow() as uow:
        found = search(uow=uow, principal=ANONYMOUS, query="quiero café de Nariño", max_price_cop=ceiling, limit=7)
    assert [p.sku for p in found] == list(reversed(cheap))
    body = state.of("POST", f"/{INDEX}/_search")[-1].body
    assert body == search_body(["café", "nariño"], max_price_cop=ceiling, limit=7)
    musts = body["query"]["bool"]["must"]
    assert [m["multi_match"]["query"] for m in musts] == ["café", "nariño"]  # stop words dropped
    assert all(m["multi_match"]["fields"][0] == "search_text" for m in musts)
    assert {"range": {"price_cop": {"lte": ceiling}}} in body["query"]["bool"]["filter"]
    assert {"term": {"active": True}} in body["query"]["bool"]["filter"]
    assert body["size"] == 7 and body["_source"] is False
    # Every field the query names is in the mapping.
    properties = MAPPING["mappings"]["properties"]
    assert "prefix" in properties["search_text"]["fields"] and "sort" in properties["name"]["fields"]


def test_an_unreachable_cluster_falls_back_to_the_database(es_platform: Platform, platform: Platform,
                                                           cluster: tuple[FakeCluster, str]) -> None:
    index = _index(es_platform)
    assert index.ping() is False, "no index yet"
    dead = ElasticsearchProductIndex.from_settings(
        es_platform.settings.model_copy(update={"elasticsearch_url": "http://127.0.0.1:9"}))
    assert dead.rank(["café"], max_price_cop=None, limit=5) is None
    assert dead.ping() is False
    search = es_platform.bus.view(search_products)
    with es_platform.read_uow() as uow:
        via_fallback = [p.sku for p in search(uow=uow, principal=ANONYMOUS, query="café", text_index=dead)]
    with platform.read_uow() as uow:
        via_database = [p.sku for p in search_products(uow=uow, principal=ANONYMOUS, query="café")]
    assert via_fallback and via_fallback == via_database
