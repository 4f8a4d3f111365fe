"""The read cache (docs/performance.md): hits skip the database, every committed change is visible at once
in the committing process, and the event stream invalidates another process's copy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from commerce.fulfillment.models import StockLevel
from commerce.identity.models import User
from commerce.identity.principal import Principal, Role
from commerce.marketplace import commands as mc
from commerce.shared.cache import CATALOG, MISS, principal_group, stock_group
from infra.bootstrap import Platform, bootstrap
from infra.bus.redis_streams import RedisStreamsPublisher, RedisStreamsSubscriber
from infra.cache import CacheInvalidator, MemoryCache, NearCache, RedisCache
from infra.settings import Settings
from tests.conftest import auth_headers, make_settings
from tests.services import free_port, run_redis

CAFE_SELLER = "ventas@cafeorigen.example.co"
LAURA = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")
ADMIN = Principal.for_role(user_id=1, email="admin@mestocker.example.co", role=Role.ADMIN)


class CountingLoad:
    def __init__(self, value: object) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def count_statements(platform: Platform) -> list[str]:
    seen: list[str] = []
    event.listen(platform.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: seen.append(statement))
    return seen


# ----- the adapters ----------------------------------------------------------------------------------


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def cache(request: pytest.FixtureRequest) -> Iterator[MemoryCache | RedisCache]:
    if request.param == "memory":
        yield MemoryCache(max_entries=100, ttl_seconds=60)
    else:
        redis = RedisCache(request.getfixturevalue("redis_url"), namespace=f"t{time.monotonic_ns()}")
        yield redis
        redis.close()


def test_a_hit_does_not_load_and_an_invalidated_group_loads_again(cache: MemoryCache | RedisCache) -> None:
    load = CountingLoad(LAURA)
    assert cache.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
    assert cache.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
    assert load.calls == 1
    cache.invalidate([principal_group(7)])  # another group: still a hit
    cache.get_or_load(principal_group(6), "principal", Principal, load)
    assert load.calls == 1
    cache.invalidate([principal_group(6)])
    assert cache.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
    assert load.calls == 2


def test_a_value_loaded_before_an_invalidation_is_never_served(cache: MemoryCache | RedisCache) -> None:
    # The race of every read-through cache: a reader loads the old value, the writer commits and
    # invalidates, then the reader stores what it loaded.
    def stale_load() -> Principal:
        cache.invalidate([principal_group(6)])  # the commit lands while this reader is loading
        return LAURA

    cache.get_or_load(principal_group(6), "principal", Principal, stale_load)
    fresh = CountingLoad(ADMIN)
    assert cache.get_or_load(principal_group(6), "principal", Principal, fresh) == ADMIN
    assert fresh.calls == 1


def test_nothing_is_cached_for_a_missing_value(cache: MemoryCache | RedisCache) -> None:
    missing = CountingLoad(None)
    assert cache.get_or_load(stock_group("NOPE-1"), "all", Principal, missing) is None
    assert cache.get_or_load(stock_group("NOPE-1"), "all", Principal, missing) is None
    assert missing.calls == 2


def test_redis_down_means_reads_from_the_database() -> None:
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0", namespace="down")
    load = CountingLoad(LAURA)
    assert cache.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
    assert load.calls == 1 and cache.stats.errors >= 1
    cache.close()


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.mark.redis
def test_a_near_copy_is_served_without_redis_and_dropped_when_another_process_invalidates(redis_url: str) -> None:
    namespace = f"near{time.monotonic_ns()}"
    reader, writer = RedisCache(redis_url, namespace=namespace), RedisCache(redis_url, namespace=namespace)
    try:
        assert wait_for(lambda: reader.near.get("x", "y") is MISS and reader.near._live)
        load = CountingLoad(LAURA)
        assert reader.peek(principal_group(6), "principal") is MISS
        assert reader.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
        assert reader.peek(principal_group(6), "principal") == LAURA  # this process holds it now
        reader.client.close()
        reader.client = type(reader.client).from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.2)
        # Redis unreachable for commands: the near copy still answers, with no round trip.
        assert reader.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
        assert load.calls == 1
        reader.client = type(reader.client).from_url(redis_url, socket_timeout=0.5)
        writer.invalidate([principal_group(7)])  # another group: the copy stays
        time.sleep(0.2)
        assert reader.peek(principal_group(6), "principal") == LAURA
        started = time.monotonic()
        writer.invalidate([principal_group(6)])
        assert wait_for(lambda: reader.peek(principal_group(6), "principal") is MISS), \
            "the other process's invalidation never reached this process's copy"
        assert time.monotonic() - started < 1.0
        assert reader.get_or_load(principal_group(6), "principal", Principal, load) == LAURA
        assert load.calls == 2
    finally:
        reader.close()
        writer.close()


@pytest.mark.redis
def test_near_copies_are_void_while_the_invalidation_channel_is_lost(redis_url: str) -> None:
    with run_redis() as url:  # a server of its own (redis_url: skipped, or failed in CI, without redis-server)
        cache = RedisCache(url, namespace="lost")
        assert wait_for(lambda: cache.near._live)
        cache.get_or_load(stock_group("CAF-001"), "all", Principal, CountingLoad(LAURA))
        assert cache.peek(stock_group("CAF-001"), "all") == LAURA
    # The Redis server is gone: an announcement could be missed, so no copy is served.
    try:
        assert wait_for(lambda: cache.peek(stock_group("CAF-001"), "all") is MISS)
        load = CountingLoad(LAURA)
        assert cache.get_or_load(stock_group("CAF-001"), "all", Principal, load) == LAURA
        assert cache.get_or_load(stock_group("CAF-001"), "all", Principal, load) == LAURA
        assert load.calls == 2  # every read goes to the database
    finally:
        cache.close()


def test_a_near_copy_loaded_before_an_announcement_is_not_kept() -> None:
    near = NearCache(max_entries=10, ttl_seconds=60)
    near.set_live(True)
    stamp = near.stamp("g")
    near.drop(["g"])  # the announcement arrives while the reader waits on Redis
    near.keep("g", "k", stamp, "old")
    assert near.get("g", "k") is MISS
    stamp = near.stamp("g")
    near.set_live(False)
    near.set_live(True)  # resubscribed: whatever was read before may have missed an announcement
    near.keep("g", "k", stamp, "old")
    assert near.get("g", "k") is MISS
    near.keep("g", "k", near.stamp("g"), "new")
    assert near.get("g", "k") == "new"


# ----- through the API -------------------------------------------------------------------------------


def test_inventory_reads_come_from_the_cache_and_see_each_commit(client: TestClient, platform: Platform) -> None:
    seller = auth_headers(client, CAFE_SELLER)
    first = client.get("/v1/inventory/CAF-001", headers=seller).json()
    statements = count_statements(platform)
    again = client.get("/v1/inventory/caf-001", headers=seller)
    assert again.status_code == 200 and again.json() == first
    assert statements == [], "a cached read (principal and stock) runs no SQL"

    bog = {w["warehouse"]: w for w in first["warehouses"]}["BOG"]
    platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                      lines=[mc.OrderLineIn(sku="CAF-001", quantity=2)]))
    after = client.get("/v1/inventory/CAF-001?warehouse=bog", headers=seller).json()
    assert after["warehouses"] == [{**bog, "reserved": bog["reserved"] + 2, "available": bog["available"] - 2}]
    # The seller of another SKU is still refused from the cached snapshot.
    assert client.get("/v1/inventory/TEC-550", headers=seller).status_code == 403
    assert client.get("/v1/inventory/NOPE-404", headers=seller).status_code == 404


def test_catalog_search_is_cached_until_a_price_changes(client: TestClient, platform: Platform) -> None:
    def price() -> int:
        found = client.get("/v1/products", params={"q": "cafe", "limit": 50}).json()
        return next(p["price_cop"] for p in found if p["sku"] == "CAF-001")

    before = price()
    statements = count_statements(platform)
    assert price() == before and statements == []
    platform.bus.handle(mc.UpdatePrice(sku="CAF-001", price_cop=before + 1000, actor=ADMIN))
    assert price() == before + 1000


def test_a_role_change_reaches_the_cached_principal(client: TestClient, platform: Platform) -> None:
    admin = auth_headers(client, "admin@mestocker.example.co")
    assert client.get("/v1/routing-logs", headers=admin).status_code == 200
    statements = count_statements(platform)
    client.get("/v1/inventory/CAF-001", headers=admin)
    assert not any("FROM users" in s for s in statements), "the principal came from the cache"
    with platform.session_factory() as session:  # however the change is made, it records user.updated
        user = session.scalar(select(User).where(User.email == "admin@mestocker.example.co"))
        assert user is not None
        user.role, user.seller_id = "cliente", "SEL-CAFE"
        session.commit()
    assert client.get("/v1/routing-logs", headers=admin).status_code == 403


def test_a_rolled_back_change_invalidates_nothing(platform: Platform) -> None:
    cache = platform.cache
    assert isinstance(cache, MemoryCache)
    before = cache.stats.invalidations
    with platform.session_factory() as session:
        level = session.scalar(select(StockLevel).where(StockLevel.sku == "CAF-001"))
        assert level is not None
        user = session.get(User, 6)
        assert user is not None
        user.active = False
        session.flush()
        session.rollback()
    assert cache.stats.invalidations == before


# ----- through the event stream (another process's cache) ---------------------------------------------


@pytest.mark.redis
def test_the_redis_stream_invalidates_another_processes_cache(settings: Settings, redis_url: str,
                                                              tmp_path: Path) -> None:
    stream = f"cache-{time.monotonic_ns()}"
    writer = bootstrap(make_settings(tmp_path, settings.database_url, bus="redis", redis_url=redis_url,
                                     redis_stream=stream, cache="memory"),
                       publisher=RedisStreamsPublisher(redis_url, stream))
    elsewhere = MemoryCache()  # a cache the writer's commit hook cannot reach
    subscriber = RedisStreamsSubscriber(redis_url, stream, "cache-test", consumer="c1")
    load = CountingLoad(object())
    try:
        for group in (stock_group("CAF-001"), CATALOG):
            elsewhere.get_or_load(group, "k", object, load)
        writer.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                        lines=[mc.OrderLineIn(sku="CAF-001", quantity=1)]))
        writer.bus.handle(mc.UpdatePrice(sku="CAF-002", price_cop=99_000, actor=ADMIN))
        committed = time.monotonic()
        writer.relay.drain()
        invalidator = CacheInvalidator(elsewhere)
        deadline = committed + 10
        while elsewhere.stats.invalidations < 2 and time.monotonic() < deadline:
            subscriber.poll(invalidator, timeout=0.2)
        assert elsewhere.stats.invalidations >= 2
        elsewhere.get_or_load(stock_group("CAF-001"), "k", object, load)
        elsewhere.get_or_load(CATALOG, "k", object, load)
        assert load.calls == 4, "both groups were invalidated from the stream"
    finally:
        subscriber.close()
        writer.close()


def test_concurrent_orders_never_show_more_than_the_database(client: TestClient, platform: Platform) -> None:
    """Readers hammering the cached view while orders commit: the final read equals the database."""
    seller = auth_headers(client, CAFE_SELLER)
    stop = threading.Event()
    errors: list[str] = []

    def read() -> None:
        while not stop.is_set():
            if client.get("/v1/inventory/CAF-001", headers=seller).status_code != 200:
                errors.append("read failed")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            platform.bus.handle(mc.PlaceOrder(buyer_id="BUY-001", warehouse="BOG", actor=LAURA,
                                              lines=[mc.OrderLineIn(sku="CAF-001", quantity=1)]))
    finally:
        stop.set()
        reader.join()
    cached = {w["warehouse"]: w["reserved"] for w in
              client.get("/v1/inventory/CAF-001", headers=seller).json()["warehouses"]}
    with platform.read_uow() as uow:
        stored = {lvl.warehouse: lvl.reserved for lvl in
                  uow.session.scalars(select(StockLevel).where(StockLevel.sku == "CAF-001"))}
    assert not errors and cached == stored
