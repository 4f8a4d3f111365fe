"""The composition root: the only place that builds adapters, wires handlers and starts workers.

Entry points (the API lifespan, the CLI, benchmarks, tests) ask it for what they need:
`bootstrap()` for the platform (database, message bus, outbox relay, consumers), `open_chat()`
for the chat service (routed model, graph, checkpointer, routing-log writer),
`start_background_workers()` for the outbox worker and notification delivery, and
`start_serving()` for all that an API process runs beside its routes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from commerce.fulfillment.reorder_triggers import LargeSaleRule, may_be_large_sale, watch_large_sales
from commerce.identity.quotas import Quota, RequestQuotas
from commerce.identity.throttle import LoginThrottle
from commerce.marketplace.payments import Gateways
from commerce.marketplace.semantic import INDEXED_EVENTS, SemanticProductIndex, reindex_product
from commerce.notifications import NOTIFIED_EVENTS, SELLER_NOTIFIED_EVENTS, notify_buyer, notify_seller
from commerce.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from commerce.shared.cache import NoCache, ReadCache
from commerce.shared.field_crypto import install_field_cipher
from commerce.shared.messagebus import MessageBus, inject
from commerce.shared.unit_of_work import UnitOfWork
from infra import migrate
from infra.bus.base import InProcessPublisher, Publisher, Subscriber
from infra.bus.consumers import ConsumerGroup, IdempotentConsumer
from infra.bus.relay import OutboxRelay
from infra.cache import CacheInvalidator, MemoryCache, RedisCache, cache_namespace, invalidate_on_commit
from infra.channels.delivery import WebPush, run_delivery_loop
from infra.channels.web_push import WebPushHub, build_web_push_hub
from infra.channels.whatsapp_client import WhatsAppClient, WhatsAppConfig, build_whatsapp_client
from infra.checkpoints import export_conversations, forget_conversations, open_checkpointer
from infra.crypto import KeyError_ as CryptoKeyError
from infra.crypto import KeyRing
from infra.db import make_engine, make_session_factory
from infra.erasure_storage import clear_heap_memory_on_reuse, storage_compactor, vector_eraser
from infra.payments.poller import PaymentPoller
from infra.payments.registry import build_gateways
from infra.product_index import build_product_index
from infra.search_index import (
    SEARCH_INDEXED_EVENTS,
    ElasticsearchProductIndex,
    build_search_index,
    reindex_search_document,
)
from infra.settings import BusKind, CacheKind, ChromaMode, Settings, SettingsError, get_settings, signing_secret
from infra.worker import ReorderScheduler, run_worker
from router.log import RoutingLogWriter

if TYPE_CHECKING:
    # The chat stack (LangChain, LangGraph, the offline model) loads only when a chat is built,
    # so `mestocker seed`, `migrate` and `worker` start without it.
    from langchain_core.language_models import BaseChatModel
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from agents.chat import ChatService
    from agents.offline import OfflineChatModel
    from router.models import RouterConfig
    from router.policy import Policy
    from router.routed_model import RoutedChatModel
    from tools.knowledge_hook import Retriever

log = logging.getLogger(__name__)


@dataclass
class Platform:
    """Everything an entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    bus: MessageBus
    publisher: Publisher
    relay: OutboxRelay
    consumers: ConsumerGroup
    gateways: Gateways
    payment_poller: PaymentPoller
    jwt_secret: str
    routing_log: RoutingLogWriter
    login_throttle: LoginThrottle
    request_quotas: RequestQuotas
    product_index: SemanticProductIndex | None = None
    # Product search's word side outside the database (MESTOCKER_SEARCH_BACKEND=elasticsearch), else None.
    search_index: ElasticsearchProductIndex | None = None
    key_ring: KeyRing | None = None
    cache: ReadCache = field(default_factory=NoCache)
    outbox_signal: threading.Event = field(default_factory=threading.Event)
    reorder_scheduler: ReorderScheduler = field(
        default_factory=lambda: ReorderScheduler(interval=timedelta(0), first_delay=timedelta(0)))

    def uow(self) -> UnitOfWork:
        """A unit of work for writes."""
        return UnitOfWork(self.session_factory)

    def read_uow(self) -> UnitOfWork:
        """A unit of work for views (DEFERRED on SQLite so reads never wait for writers)."""
        return UnitOfWork(self.read_session_factory)

    def subscriber(self, group: str = "mestocker-consumers") -> Subscriber | None:
        """The broker subscriber for out-of-process consumers; None for the in-process bus."""
        s = self.settings
        if s.bus == BusKind.REDIS:
            from infra.bus.redis_streams import RedisStreamsSubscriber

            return RedisStreamsSubscriber(s.redis_url, s.redis_stream, group, consumer=f"{group}-1")
        if s.bus == BusKind.KAFKA:
            from infra.bus.kafka import KafkaSubscriber

            return KafkaSubscriber(s.kafka_bootstrap_servers, s.kafka_topic, group)
        return None

    def database_ready(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def key_warnings(self) -> list[str]:
        """Readiness warnings about the encryption keys (the active key older than the rotation period)."""
        if self.key_ring is None:
            return []
        age, limit = self.key_ring.key_age_days(), self.settings.encryption_key_max_age_days
        if age <= limit:
            return []
        return [f"la clave de cifrado activa {self.key_ring.active_key_id} tiene {int(age)} días (máximo {limit}): "
                "ejecuta `mestocker keys rotate`"]

    def close(self) -> None:
        self.publisher.close()
        self.cache.close()
        self.engine.dispose()


def build_publisher(settings: Settings) -> Publisher:
    """The outbox relay's publisher for the configured bus."""
    if settings.bus == BusKind.REDIS:
        from infra.bus.redis_streams import RedisStreamsPublisher

        return RedisStreamsPublisher(settings.redis_url, settings.redis_stream)
    if settings.bus == BusKind.KAFKA:
        from infra.bus.kafka import KafkaPublisher

        return KafkaPublisher(settings.kafka_bootstrap_servers, settings.kafka_topic)
    return InProcessPublisher()


def build_cache(settings: Settings) -> ReadCache:
    """The read cache the settings choose: Redis (shared by every process), the in-process LRU, or none."""
    kind = settings.cache_kind
    if kind == CacheKind.REDIS:
        return RedisCache(settings.cache_url or settings.redis_url, namespace=cache_namespace(settings.database_url),
                          ttl_seconds=settings.cache_ttl_seconds)
    if kind == CacheKind.MEMORY:
        return MemoryCache(max_entries=settings.cache_max_entries, ttl_seconds=settings.cache_ttl_seconds)
    return NoCache()


def privacy_salt(settings: Settings) -> str:
    """The salt that makes principal hashes in llm_routing_logs unlinkable outside this deployment."""
    return hashlib.sha256(f"routing-log:{signing_secret(settings)}".encode()).hexdigest()


def install_key_ring(settings: Settings) -> KeyRing:
    """The key ring the settings name, registered for the encrypted columns (production: the keys must exist)."""
    try:
        ring = KeyRing(settings, create=not settings.is_production)
    except CryptoKeyError as exc:
        raise SettingsError(f"production refuses to start without encryption keys: {exc}") from exc
    install_field_cipher(ring)
    return ring


def migrate_database(settings: Settings, *, reset: bool = False) -> None:
    """Bring the schema up to date (`reset`: drop every table first) without building the platform."""
    install_key_ring(settings)  # migration 0015 encrypts the rows it finds in clear
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        if reset:  # up first: the downgrade walks back from a known revision
            migrate.upgrade(engine)
            migrate.downgrade(engine)
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def build_login_throttle(settings: Settings) -> LoginThrottle:
    """Failed-login counters in the configured storage (in-process memory, or Redis across processes)."""
    from limits import parse_many
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage_url))
    return LoginThrottle(limiter, per_account=parse_many(settings.login_limits_per_account),
                         per_ip=parse_many(settings.login_limits_per_ip))


def _per_loop_async_limiter(storage_url: str) -> Callable[[], Any] | None:
    """For a Redis storage, a factory of asyncio moving-window limiters over the same counters, one per event
    loop (an asyncio Redis client cannot move between loops; tests run several); None for other storages."""
    if not storage_url.startswith(("redis://", "rediss://")):
        return None
    import asyncio
    import weakref

    from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
    from limits.storage import storage_from_string

    per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()

    def limiter() -> Any:
        loop = asyncio.get_running_loop()
        found = per_loop.get(loop)
        if found is None:
            storage = storage_from_string(f"async+{storage_url}", implementation="redispy")
            found = per_loop[loop] = AsyncMovingWindow(storage)  # type: ignore[arg-type]
        return found

    return limiter


def build_request_quotas(settings: Settings) -> RequestQuotas:
    """The API's request quotas (docs/identity.md), counted in the same storage as the login throttle."""
    from limits import parse_many
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    # A moving window (one timestamp per call in the window) makes `Retry-After` exact: a sliding
    # window counter is cheaper but its estimate of when a slot frees can be tens of seconds short.
    limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage_url))

    async_limiter = _per_loop_async_limiter(settings.rate_limit_storage_url)

    def quota(scope: str, limits: str) -> Quota:
        return Quota(limiter, scope, parse_many(limits) if limits else (), async_limiter=async_limiter)

    return RequestQuotas(api=quota("api-principal", settings.api_limits),
                         anonymous=quota("api-ip", settings.anonymous_limits),
                         chat=quota("chat-turns", settings.chat_limits),
                         whatsapp=quota("whatsapp-sender", settings.whatsapp_limits),
                         whatsapp_notice=quota("whatsapp-notice", "1/minute"),
                         shared=not settings.rate_limit_storage_url.startswith("memory://"))


def whatsapp_reply_client(config: WhatsAppConfig) -> WhatsAppClient | None:
    """The Graph API client that sends WhatsApp replies; None when sending is not configured."""
    return WhatsAppClient(config) if config.can_send else None


def bootstrap(
    settings: Settings | None = None,
    *,
    publisher: Publisher | None = None,
    gateways: Gateways | None = None,
    product_index: SemanticProductIndex | None = None,
    search_index: ElasticsearchProductIndex | None = None,
    cache: ReadCache | None = None,
    run_migrations: bool = True,
) -> Platform:
    """Build the platform: engine, migrations, message bus with injected dependencies, relay, consumers."""
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.chroma_mode == ChromaMode.EMBEDDED:
        clear_heap_memory_on_reuse()  # the embedded vector store writes heap memory to its files (erasure_storage)
    key_ring = install_key_ring(settings)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    if run_migrations:
        migrate.upgrade(engine)
    session_factory = make_session_factory(engine)
    read_session_factory = make_session_factory(engine, readonly=True)
    gateways = gateways or build_gateways(settings)
    publisher = publisher or build_publisher(settings)
    routing_log = RoutingLogWriter(session_factory, salt=privacy_salt(settings))
    # The catalog's semantic index (opened at its first use): search and "similar" read it, the
    # product-index consumer keeps it current.
    product_index = product_index or build_product_index(settings)
    # Elasticsearch for search's words when the settings choose it; the product-search consumer keeps it current.
    search_index = search_index or build_search_index(settings)
    cache = cache or build_cache(settings)
    # Reads of this process see its own commits at once; the relay's delivery (below) covers the rest.
    invalidate_on_commit(session_factory, cache)
    signal = threading.Event()
    dependencies: dict[str, Any] = {
        "gateways": gateways,
        # The erasure command's ports: the router's log and the chat's conversation store.
        "forget_routing_logs": routing_log.forget_user,
        "forget_conversations": partial(forget_conversations, settings),
        "forget_vectors": vector_eraser(settings),
        "compact_storage": storage_compactor(settings, engine),
        # The export's ports: the conversation store and the router's log.
        "export_conversations": partial(export_conversations, settings),
        "routing_rows_of": routing_log.rows_of,
    }
    bus = MessageBus(
        uow_factory=partial(UnitOfWork, session_factory),
        command_handlers={cmd: inject(h, dependencies) for cmd, h in COMMAND_HANDLERS.items()},
        event_handlers={evt: [inject(h, dependencies) for h in hs] for evt, hs in EVENT_HANDLERS.items()},
        after_commit=[signal.set],
        view_dependencies={"semantic": product_index, "text_index": search_index, "cache": cache,
                           "gateways": gateways},
    )
    scheduler = reorder_scheduler(settings)
    consumers = ConsumerGroup(
        [IdempotentConsumer("buyer-notifications", notify_buyer, partial(UnitOfWork, session_factory),
                            NOTIFIED_EVENTS),
         IdempotentConsumer("product-index", partial(reindex_product, index=product_index),
                            partial(UnitOfWork, session_factory), INDEXED_EVENTS),
         *reorder_consumers(settings, scheduler, partial(UnitOfWork, session_factory)),
         *([IdempotentConsumer("product-search", partial(reindex_search_document, index=search_index),
                               partial(UnitOfWork, session_factory), SEARCH_INDEXED_EVENTS)]
           if search_index is not None else []),
         CacheInvalidator(cache)]
    )
    if isinstance(publisher, InProcessPublisher):
        publisher.subscribe(consumers)
    relay = OutboxRelay(session_factory, publisher, read_session_factory=read_session_factory)
    return Platform(settings=settings, engine=engine, session_factory=session_factory,
                    read_session_factory=read_session_factory, bus=bus, publisher=publisher, relay=relay,
                    consumers=consumers, gateways=gateways, payment_poller=payment_poller(settings, bus, gateways),
                    jwt_secret=signing_secret(settings),
                    routing_log=routing_log, login_throttle=build_login_throttle(settings),
                    request_quotas=build_request_quotas(settings),
                    product_index=product_index, search_index=search_index, cache=cache, outbox_signal=signal,
                    reorder_scheduler=scheduler, key_ring=key_ring)


def payment_poller(settings: Settings, bus: MessageBus, gateways: Gateways) -> PaymentPoller:
    """The status poller of push payments (Nequi), with the backoff and timeout of the settings."""
    return PaymentPoller(bus, gateways, names=tuple(n for n in gateways.names if n == "nequi"),
                         timeout=timedelta(seconds=settings.nequi_push_timeout_seconds),
                         initial=timedelta(seconds=settings.nequi_poll_initial_seconds),
                         maximum=timedelta(seconds=settings.nequi_poll_max_seconds))


def reorder_scheduler(settings: Settings) -> ReorderScheduler:
    """The reorder agent's schedule from the settings (an interval of 0 turns it off)."""
    return ReorderScheduler(interval=timedelta(minutes=settings.reorder_interval_minutes),
                            first_delay=timedelta(seconds=settings.reorder_first_cycle_delay_seconds))


def reorder_consumers(settings: Settings, scheduler: ReorderScheduler,
                      uow_factory: Callable[[], UnitOfWork]) -> list[IdempotentConsumer]:
    """The seller's heads-up about a cycle's proposals, and the large-sale watch that asks for a cycle."""
    rule = LargeSaleRule(factor=settings.reorder_large_sale_factor, min_units=settings.reorder_large_sale_min_units)
    return [
        IdempotentConsumer("seller-notifications", notify_seller, uow_factory, SELLER_NOTIFIED_EVENTS),
        IdempotentConsumer("reorder-large-sales",
                           partial(watch_large_sales, rule=rule, trigger=scheduler.request_for_sale),
                           uow_factory, frozenset({"movement.recorded"}), wants=partial(may_be_large_sale, rule=rule)),
    ]


# ----- the chat service -------------------------------------------------------------------------


def _configured(value: str) -> str | None:
    """Empty (or blank) settings mean "not configured"."""
    return value.strip() or None


def router_config(settings: Settings) -> RouterConfig:
    """The models the settings configure."""
    from router.models import RouterConfig

    return RouterConfig(
        local_llm_base_url=_configured(settings.local_llm_base_url),
        local_llm_model=_configured(settings.local_llm_model),
        local_llm_api_key=_configured(settings.local_llm_api_key),
        openai_api_key=_configured(settings.openai_api_key), openai_base_url=_configured(settings.openai_base_url),
        openai_model=settings.openai_model,
        anthropic_api_key=_configured(settings.anthropic_api_key),
        anthropic_base_url=_configured(settings.anthropic_base_url),
        anthropic_model=settings.anthropic_model,
        timeout_s=settings.llm_timeout_s, max_retries=settings.llm_max_retries,
    )


def routing_policy(settings: Settings) -> Policy:
    """The policy file the settings name (MESTOCKER_ROUTER_POLICY), else the bundled one."""
    from router.policy import Policy, load_default_policy

    return Policy.load(settings.router_policy) if settings.router_policy else load_default_policy()


def offline_model(bus: MessageBus) -> OfflineChatModel:
    """The built-in deterministic Spanish model over the live catalog."""
    from agents.lexicon_source import lexicon_provider
    from agents.offline import OfflineChatModel

    return OfflineChatModel(lexicon_provider=lexicon_provider(bus))


def routed_model(platform: Platform, *, config: RouterConfig | None = None, policy: Policy | None = None
                 ) -> RoutedChatModel:
    """The privacy router over what the settings configure, with the offline model as the last resort."""
    from router.models import ModelRegistry
    from router.routed_model import RoutedChatModel

    settings = platform.settings
    registry = ModelRegistry.from_config(config or router_config(settings), offline_model=offline_model(platform.bus))
    return RoutedChatModel(registry=registry, policy=policy or routing_policy(settings))


def knowledge_retriever(settings: Settings) -> Retriever:
    """search_knowledge's retriever over the knowledge base the settings name (opened at the first question)."""
    from infra.knowledge import KnowledgeRetriever

    return KnowledgeRetriever(settings)


def build_chat_service(platform: Platform, checkpointer: BaseCheckpointSaver[Any], *,
                       model: BaseChatModel | None = None, router: RouterConfig | None = None,
                       policy: Policy | None = None, record_routing: bool = True,
                       knowledge: Retriever | None = None) -> ChatService:
    """A ChatService whose every model call goes through the privacy router (unless `model` is given).

    `record_routing` writes each turn's routing decisions to llm_routing_logs; `knowledge` replaces the
    knowledge base of the settings (a test's own index)."""
    from agents.chat import ChatService
    from agents.graph import build_graph
    from infra.metrics import ChatMetrics, install_collector, routing_observed

    chosen = model or routed_model(platform, config=router, policy=policy)
    name = str(getattr(chosen, "model_name", None) or chosen._llm_type)
    registry = getattr(chosen, "registry", None)
    if registry is not None:  # the routed model: /metrics shows its breakers
        install_collector(platform, breakers=lambda: {m.name: str(m.breaker.state) for m in registry.models})
    return ChatService(build_graph(chosen, checkpointer), platform.bus, model_name=name,
                       log_writer=routing_observed(platform.routing_log.write_turn if record_routing else None),
                       knowledge=knowledge or knowledge_retriever(platform.settings), observer=ChatMetrics())


def open_chat(platform: Platform) -> tuple[ChatService, Callable[[], None]]:
    """The chat service over `platform` with its persistent checkpointer, and the closer of that store."""
    checkpointer, close = open_checkpointer(platform.settings)
    return build_chat_service(platform, checkpointer), close


# ----- background workers -----------------------------------------------------------------------


@dataclass
class BackgroundWorkers:
    """The outbox worker (relay, consumers, sweeper, purge) and notification delivery, on threads."""

    platform: Platform
    stop_event: threading.Event
    threads: list[threading.Thread]
    closers: list[Callable[[], None]]

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every loop to stop, wait for them, close what they opened."""
        self.stop_event.set()
        self.platform.outbox_signal.set()  # wake the outbox worker from its wait
        for thread in self.threads:
            thread.join(timeout=timeout)
        for close in self.closers:
            close()


def start_background_workers(platform: Platform, *, web_push: WebPush | None = None) -> BackgroundWorkers:
    """Start the outbox worker and the buyer-notification delivery (WhatsApp or the open web page).

    Without `web_push` (a worker process of its own) the hub is built from the settings."""
    stop = threading.Event()
    closers: list[Callable[[], None]] = []
    if web_push is None:
        hub = build_web_push_hub(platform.settings)
        closers.append(hub.close)
        web_push = hub
    client = build_whatsapp_client(platform.settings)
    if client is not None:
        closers.append(client.close)
    worker = threading.Thread(target=run_worker, args=(platform, stop), name="mestocker-worker", daemon=True)
    delivery = threading.Thread(target=run_delivery_loop, args=(platform.session_factory,), daemon=True,
                                name="mestocker-notifications",
                                kwargs={"whatsapp_client": client, "web_push": web_push, "stop": stop})
    worker.start()
    delivery.start()
    return BackgroundWorkers(platform=platform, stop_event=stop, threads=[delivery, worker], closers=closers)


# ----- an API process ---------------------------------------------------------------------------


@dataclass
class Serving:
    """What an API process runs beside its routes: the chat service, the web push hub, the workers."""

    chat: ChatService
    web_push: WebPushHub
    workers: BackgroundWorkers | None
    close_chat: Callable[[], None]

    def close(self) -> None:
        if self.workers is not None:
            self.workers.stop()
        self.web_push.close()
        self.close_chat()


def start_serving(platform: Platform, *, background_workers: bool) -> Serving:
    """Open the chat service and the web push hub; start the background workers when asked.

    Embedded, the workers run in the API process because the web page's live feed is its hub."""
    chat, close_chat = open_chat(platform)
    web_push = build_web_push_hub(platform.settings)
    workers = start_background_workers(platform, web_push=web_push) if background_workers else None
    return Serving(chat=chat, web_push=web_push, workers=workers, close_chat=close_chat)


def seed_fresh_database(settings: Settings) -> None:
    """Migrate the (empty) database `settings` name and seed the demo world into it.

    What tests, evals and benchmarks start from; `mestocker seed` adds its checks and progress."""
    from infra.seed.world import seed_demo_world

    platform = bootstrap(settings)
    try:
        with platform.session_factory() as session:
            seed_demo_world(session, settings)
    finally:
        platform.close()
