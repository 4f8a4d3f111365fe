"""Assembling the chat service: the model, the graph, the checkpointer, the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver

from agents.chat import ChatService
from agents.graph import build_graph
from agents.lexicon_source import lexicon_provider
from agents.offline_model import OfflineChatModel
from commerce.shared.messagebus import MessageBus


def offline_model(bus: MessageBus) -> OfflineChatModel:
    """The built-in deterministic Spanish model over the live catalog."""
    return OfflineChatModel(lexicon_provider=lexicon_provider(bus))


def build_chat_service(bus: MessageBus, checkpointer: BaseCheckpointSaver[Any], *,
                       model: BaseChatModel | None = None,
                       routing: Callable[[], dict[str, Any]] | None = None) -> ChatService:
    """A ChatService over `model` (the offline model when none is given)."""
    chosen = model or offline_model(bus)
    name = str(getattr(chosen, "model_name", None) or chosen._llm_type)
    return ChatService(build_graph(chosen, checkpointer), bus, model_name=name, routing=routing)
