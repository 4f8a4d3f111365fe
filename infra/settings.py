"""All configuration, from `MESTOCKER_*` environment variables (or a .env file).

Two profiles share one code path: `embedded` (default: SQLite, in-process bus, embedded Chroma,
everything under MESTOCKER_DATA_DIR) and `production` (PostgreSQL, Kafka/Redis, Chroma server).
Production refuses embedded adapters at start-up instead of failing later.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Profile(StrEnum):
    EMBEDDED = "embedded"
    PRODUCTION = "production"


class BusKind(StrEnum):
    INPROCESS = "inprocess"
    REDIS = "redis"
    KAFKA = "kafka"


class ChromaMode(StrEnum):
    EMBEDDED = "embedded"
    HTTP = "http"


# The `limits` storages that share counters between processes.
REDIS_STORAGE_SCHEMES = ("redis://", "rediss://", "redis+unix://", "redis+cluster://", "redis+sentinel://")


class SearchBackend(StrEnum):
    DATABASE = "database"  # SQLite FTS5 (embedded) or PostgreSQL full text: no extra server
    ELASTICSEARCH = "elasticsearch"  # an Elasticsearch 9 index kept in sync from the outbox


class CacheKind(StrEnum):
    MEMORY = "memory"
    REDIS = "redis"
    NONE = "none"


class SettingsError(ValueError):
    """Raised for unsafe or inconsistent configuration."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MESTOCKER_", env_file=".env", extra="ignore", populate_by_name=True)

    profile: Profile = Profile.EMBEDDED
    data_dir: Path = Path("./var")
    # MESTOCKER_LOG_FORMAT: json (one object per line, infra/json_logs.py) or text; unset: json in production.
    log_format: Literal["json", "text"] | None = None
    # MESTOCKER_OTLP_ENDPOINT (else the standard OTEL_EXPORTER_OTLP_ENDPOINT): export traces (infra/tracing.py).
    otlp_endpoint: str = ""
    database_url: str = ""
    database_pool_size: int = 10
    bus: BusKind = BusKind.INPROCESS
    redis_url: str = ""
    kafka_bootstrap_servers: str = ""
    kafka_topic: str = "mestocker.domain-events"
    redis_stream: str = "mestocker:domain-events"
    # The read cache of stock, catalog and principals (docs/performance.md). Unset: Redis when
    # MESTOCKER_REDIS_URL (or MESTOCKER_CACHE_URL) is set, else the in-process LRU.
    cache: CacheKind | None = None
    cache_url: str = ""  # default: MESTOCKER_REDIS_URL
    cache_ttl_seconds: float = Field(default=60.0, gt=0)
    cache_max_entries: int = Field(default=10_000, ge=1)
    chroma_mode: ChromaMode = ChromaMode.EMBEDDED
    chroma_url: str = ""
    jwt_secret: str = ""
    # Access tokens are short-lived; the rotating refresh token (stored hashed) renews them.
    jwt_ttl_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_ttl_minutes: int = Field(default=14 * 24 * 60, ge=1, le=90 * 24 * 60)
    # Failed logins allowed per moving window (`limits` notation, ";"-separated): each full window
    # locks the account or IP out until it drains, so the wait grows with the failures.
    login_limits_per_account: str = "5/minute;10/hour;20/day"
    login_limits_per_ip: str = "20/minute;100/hour"
    # Requests allowed per moving window (same notation; "" turns a limit off): every API call per
    # logged-in principal, per client IP for anonymous calls, chat turns per principal (each costs
    # model calls) and WhatsApp messages per sender's phone number. Health and metrics are exempt.
    api_limits: str = "120/minute;3000/hour"
    anonymous_limits: str = "60/minute;1000/hour"
    chat_limits: str = "10/minute;60/hour;200/day"
    whatsapp_limits: str = "10/minute;60/hour;200/day"
    # Where the counters live: "memory://" (one process) or "redis://host:port/db" (shared).
    # Production requires Redis: per-process counters would multiply every limit by the process count.
    rate_limit_storage_url: str = "memory://"
    # Request bodies above this many bytes are refused (413) before they are read.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Run the outbox relay, consumers and the reservation sweeper inside `mestocker serve`.
    embedded_worker: bool = True
    # `mestocker worker` serves /healthz, /readyz and /metrics on this port (0: none), for probes.
    worker_health_port: int = Field(default=0, ge=0, le=65535)
    # `mestocker serve` processes (uvicorn workers); more than one needs shared state (shared_state_problems).
    api_workers: int = Field(default=1, ge=1, le=64)
    relay_interval_seconds: float = Field(default=0.5, gt=0)
    sweeper_interval_seconds: float = Field(default=30.0, gt=0)
    # Finished Idempotency-Key rows (HTTP retries, confirmed tool calls) are kept this long, then purged.
    idempotency_retention_hours: float = Field(default=24.0, gt=0)
    idempotency_purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # The reorder agent's schedule (docs/reorder.md): a cycle every interval (0 turns the schedule off), the
    # first one this long after the worker starts, and one more after a sale of at least the larger of
    # factor × the SKU's mean daily demand (last 28 days, that warehouse) and min units.
    reorder_interval_minutes: float = Field(default=60.0, ge=0)
    reorder_first_cycle_delay_seconds: float = Field(default=15.0, ge=0)
    reorder_large_sale_factor: float = Field(default=3.0, gt=0)
    reorder_large_sale_min_units: int = Field(default=10, ge=1)
    seed_password: str = ""
    # Product search's word side (docs/deploy.md): the database's full text, or Elasticsearch (Spanish
    # analyzer, infra/deploy/elasticsearch/products.json); an unreachable index falls back to the database.
    search_backend: SearchBackend = SearchBackend.DATABASE
    elasticsearch_url: str = ""
    elasticsearch_index: str = "mestocker-products"
    elasticsearch_api_key: str = ""
    elasticsearch_timeout_s: float = Field(default=2.0, gt=0)

    # Data-encryption keys (infra/crypto.py): the key material as JSON (a secret store), or a key file; embedded
    # generates <data dir>/encryption-keys.json on first start, production refuses to start without either.
    encryption_keys: str = ""
    encryption_key_file: Path | None = None
    encryption_key_max_age_days: int = Field(default=90, ge=1)
    # Language models (privacy router). Only what is configured exists; the offline model always does.
    local_llm_base_url: str = ""
    local_llm_model: str = ""
    local_llm_api_key: str = ""
    openai_api_key: str = Field(default="", validation_alias=AliasChoices("OPENAI_API_KEY", "MESTOCKER_OPENAI_API_KEY"))
    openai_base_url: str = Field(default="",
                                 validation_alias=AliasChoices("OPENAI_BASE_URL", "MESTOCKER_OPENAI_BASE_URL"))
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: str = Field(default="",
                                   validation_alias=AliasChoices("ANTHROPIC_API_KEY", "MESTOCKER_ANTHROPIC_API_KEY"))
    anthropic_base_url: str = Field(default="",
                                    validation_alias=AliasChoices("ANTHROPIC_BASE_URL", "MESTOCKER_ANTHROPIC_BASE_URL"))
    anthropic_model: str = "claude-haiku-4-5"
    llm_timeout_s: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    router_policy: Path | None = None  # MESTOCKER_ROUTER_POLICY: a TOML file replacing router/policy.toml
    # WhatsApp Cloud API (the webhook answers 503 until the app secret is set).
    whatsapp_verify_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_access_token: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_phone_number_id: str = ""

    # Payments (docs/payments.md). A gateway is on when its credentials are set; the sandbox is on embedded and
    # refused in production. Notification URLs are built on the public base URL the gateways can reach.
    public_base_url: str = "http://127.0.0.1:8000"
    payments_sandbox: bool | None = None  # None: on embedded, off in production
    payments_sandbox_secret: str = ""  # signs the sandbox's notifications; empty: derived from the JWT secret
    payments_notification_window_seconds: int = Field(default=300, ge=5, le=7 * 24 * 3600)
    payments_http_timeout_seconds: float = Field(default=10.0, gt=0)
    payu_merchant_id: str = ""
    payu_account_id: str = ""
    payu_api_key: str = ""
    payu_api_login: str = ""
    payu_signature_algorithm: str = "md5"  # md5, or sha256 (HMAC-SHA256 with payu_signature_secret)
    payu_signature_secret: str = ""
    payu_checkout_url: str = "https://sandbox.checkout.payulatam.com/ppp-web-gateway-payu/"
    payu_api_url: str = "https://sandbox.api.payulatam.com/payments-api/4.0/service.cgi"
    payu_test: bool = True
    mercadopago_access_token: str = ""
    mercadopago_webhook_secret: str = ""
    mercadopago_api_base_url: str = "https://api.mercadopago.com"
    nequi_client_id: str = ""
    nequi_client_secret: str = ""
    nequi_api_key: str = ""
    nequi_api_base_url: str = "https://api.sandbox.nequi.com"
    nequi_auth_url: str = "https://oauth.sandbox.nequi.com/oauth2/token"
    nequi_commerce_code: str = "NIT_1"
    nequi_callback_secret: str = ""  # empty: no callback, status polling only
    nequi_push_timeout_seconds: float = Field(default=600.0, gt=0)  # then the intent expires
    nequi_poll_initial_seconds: float = Field(default=2.0, gt=0)
    nequi_poll_max_seconds: float = Field(default=60.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith(("postgresql://", "postgres://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if value and not value.startswith(("sqlite:///", "postgresql+psycopg://", "sqlite://")):
            raise SettingsError(
                "MESTOCKER_DATABASE_URL must start with sqlite:/// or postgresql:// "
                f"(got {value.split(':', 1)[0]}://…)"
            )
        return value

    @field_validator("login_limits_per_account", "login_limits_per_ip")
    @classmethod
    def _parse_login_limits(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise SettingsError(f"login limits must look like '5/minute;20/day' (got {value!r})") from exc
        return value

    @field_validator("api_limits", "anonymous_limits", "chat_limits", "whatsapp_limits")
    @classmethod
    def _parse_request_limits(cls, value: str) -> str:
        from limits import parse_many

        value = value.strip()
        try:
            if value:
                parse_many(value)
        except ValueError as exc:
            raise SettingsError(f"rate limits must look like '120/minute;3000/hour' or be empty (got {value!r})") \
                from exc
        return value

    @model_validator(mode="after")
    def _defaults_and_production_guard(self) -> Self:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'mestocker.db').as_posix()}"
        if self.profile == Profile.PRODUCTION:
            problems = []
            if self.is_sqlite:
                problems.append("MESTOCKER_DATABASE_URL must point to PostgreSQL (postgresql://…), not SQLite")
            if self.bus == BusKind.INPROCESS:
                problems.append("MESTOCKER_BUS must be kafka or redis, not the in-process bus")
            if self.chroma_mode == ChromaMode.EMBEDDED:
                problems.append("MESTOCKER_CHROMA_MODE must be http (a ChromaDB server), not embedded")
            if len(self.jwt_secret) < 32:
                problems.append("MESTOCKER_JWT_SECRET must be set to at least 32 characters")
            if self.payments_sandbox:
                problems.append("MESTOCKER_PAYMENTS_SANDBOX must be off: the sandbox gateway takes no real money")
            if not self.rate_limit_storage_url.startswith(REDIS_STORAGE_SCHEMES):
                problems.append("MESTOCKER_RATE_LIMIT_STORAGE_URL must point to Redis (redis://…), not in-process "
                                "memory: each API process would keep its own counters")
            if problems:
                raise SettingsError("production profile refuses embedded adapters: " + "; ".join(problems))
        if self.bus == BusKind.REDIS and not self.redis_url:
            raise SettingsError("MESTOCKER_BUS=redis needs MESTOCKER_REDIS_URL")
        if self.bus == BusKind.KAFKA and not self.kafka_bootstrap_servers:
            raise SettingsError("MESTOCKER_BUS=kafka needs MESTOCKER_KAFKA_BOOTSTRAP_SERVERS")
        if self.payu_signature_algorithm not in ("md5", "sha256"):
            raise SettingsError("MESTOCKER_PAYU_SIGNATURE_ALGORITHM must be md5 or sha256")
        if self.payu_signature_algorithm == "sha256" and self.payu_api_key and not self.payu_signature_secret:
            raise SettingsError("MESTOCKER_PAYU_SIGNATURE_ALGORITHM=sha256 needs MESTOCKER_PAYU_SIGNATURE_SECRET")
        if self.search_backend == SearchBackend.ELASTICSEARCH and not self.elasticsearch_url:
            raise SettingsError("MESTOCKER_SEARCH_BACKEND=elasticsearch needs MESTOCKER_ELASTICSEARCH_URL")
        if self.cache_kind == CacheKind.REDIS and not (self.cache_url or self.redis_url):
            raise SettingsError("MESTOCKER_CACHE=redis needs MESTOCKER_CACHE_URL or MESTOCKER_REDIS_URL")
        if self.chroma_mode == ChromaMode.HTTP and not self.chroma_url:
            raise SettingsError("MESTOCKER_CHROMA_MODE=http needs MESTOCKER_CHROMA_URL")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def shared_state_problems(self) -> list[str]:
        """What keeps state inside one process, so that several API processes would disagree (docs/performance.md)."""
        problems = []
        if self.cache_kind == CacheKind.MEMORY:
            problems.append("MESTOCKER_CACHE=memory keeps the read cache in each process: use redis")
        if self.bus == BusKind.INPROCESS:
            problems.append("MESTOCKER_BUS=inprocess delivers events inside one process: use redis or kafka")
        if not self.redis_url:
            problems.append("MESTOCKER_REDIS_URL is not set: the web push hub would be in-process")
        if self.rate_limit_storage_url.startswith("memory"):
            problems.append("MESTOCKER_RATE_LIMIT_STORAGE_URL=memory:// counts failed logins per process: use redis://")
        return problems

    @property
    def cache_kind(self) -> CacheKind:
        if self.cache is not None:
            return self.cache
        return CacheKind.REDIS if (self.cache_url or self.redis_url) else CacheKind.MEMORY

    @property
    def effective_log_format(self) -> str:
        return self.log_format or ("json" if self.profile == Profile.PRODUCTION else "text")

    @property
    def is_production(self) -> bool:
        return self.profile == Profile.PRODUCTION

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def checkpoints_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    @property
    def sandbox_payments(self) -> bool:
        """Whether the sandbox gateway is offered (embedded by default, never in production)."""
        return (not self.is_production) if self.payments_sandbox is None else self.payments_sandbox

    @property
    def idempotency_retention(self) -> timedelta:
        return timedelta(hours=self.idempotency_retention_hours)


def signing_secret(settings: Settings) -> str:
    """The configured JWT secret; embedded mode generates one per data dir and keeps it (0600)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.data_dir) / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings(...)` instead)."""
    return Settings()
