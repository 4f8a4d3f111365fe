"""Building the chat service for a platform (the API and the CLI share it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from agents.chat import ChatService, RoutingLogWriter, TurnLog
from agents.service import build_chat_service
from api.security import signing_secret
from infra.bootstrap import Platform
from infra.checkpoints import open_checkpointer
from infra.settings import Settings
from router.log import hash_principal, record_rows
from router.models import RouterConfig
from router.policy import Policy
from router.recording import RoutingRecord


def router_config(settings: Settings) -> RouterConfig:
    """The models the settings configure (empty strings mean "not configured")."""
    return RouterConfig(
        local_llm_base_url=settings.local_llm_base_url or None, local_llm_model=settings.local_llm_model or None,
        local_llm_api_key=settings.local_llm_api_key or None,
        openai_api_key=settings.openai_api_key or None, openai_base_url=settings.openai_base_url or None,
        openai_model=settings.openai_model,
        anthropic_api_key=settings.anthropic_api_key or None, anthropic_base_url=settings.anthropic_base_url or None,
        anthropic_model=settings.anthropic_model,
        timeout_s=settings.llm_timeout_s, max_retries=settings.llm_max_retries,
    )


def privacy_salt(settings: Settings) -> str:
    """The salt that makes principal hashes in llm_routing_logs unlinkable outside this deployment."""
    return hashlib.sha256(f"routing-log:{signing_secret(settings)}".encode()).hexdigest()


def routing_log_writer(platform: Platform) -> RoutingLogWriter:
    """Writes a turn's routing records to llm_routing_logs in one transaction, identities hashed."""
    salt = privacy_salt(platform.settings)

    def write(records: list[RoutingRecord], turn: TurnLog) -> None:
        with platform.session_factory() as session:
            record_rows(session, records, thread_id=hash_principal(turn.thread_key, salt)[:32], channel=turn.channel,
                        principal_hash=hash_principal(str(turn.principal.user_id), salt), agent=turn.agent)
            session.commit()

    return write


def open_chat(platform: Platform) -> tuple[ChatService, Callable[[], None]]:
    """The chat service over `platform` with its persistent checkpointer, and its closer."""
    settings = platform.settings
    checkpointer, close = open_checkpointer(settings)
    policy = Policy.load(settings.router_policy) if settings.router_policy else None
    chat = build_chat_service(platform.bus, checkpointer, router_config=router_config(settings), policy=policy,
                              log_writer=routing_log_writer(platform))
    return chat, close
