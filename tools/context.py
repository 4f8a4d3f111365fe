"""The run-time context every agent graph is compiled with (`context_schema=AgentContext`)."""

from __future__ import annotations

from dataclasses import dataclass

from commerce.identity.principal import Principal
from commerce.shared.messagebus import MessageBus
from tools.knowledge_hook import Retriever


@dataclass(frozen=True)
class AgentContext:
    principal: Principal  # the authenticated caller (never from model arguments)
    bus: MessageBus  # commerce commands (bus.handle) and views (with bus.read() as uow)
    thread_id: str
    channel: str = "web"  # "web" | "whatsapp" | "cli" | "eval"
    request_id: str = ""
    knowledge: Retriever | None = None  # search_knowledge's passages (None: no knowledge base configured)
    # The subject authorised international transfer (consent record): may a cloud model abroad answer?
    cloud_transfer: bool = True
