"""Assembling the chat service: the routed model, the graph, the checkpointer, the bus."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver

from agents.chat import ChatService, RoutingLogWriter
from agents.graph import build_graph
from agents.lexicon_source import lexicon_provider
from agents.offline import OfflineChatModel
from commerce.shared.messagebus import MessageBus
from router.models import ModelRegistry, RouterConfig
from router.policy import Policy, load_default_policy
from router.routed_model import RoutedChatModel


def offline_model(bus: MessageBus) -> OfflineChatModel:
    """The built-in deterministic Spanish model over the live catalog."""
    return OfflineChatModel(lexicon_provider=lexicon_provider(bus))


def routed_model(bus: MessageBus, config: RouterConfig | None = None, policy: Policy | None = None
                 ) -> RoutedChatModel:
    """The privacy router over what `config` configures, with the offline model as the last resort."""
    registry = ModelRegistry.from_config(config or RouterConfig(), offline_model=offline_model(bus))
    return RoutedChatModel(registry=registry, policy=policy or load_default_policy())


def build_chat_service(bus: MessageBus, checkpointer: BaseCheckpointSaver[Any], *,
                       model: BaseChatModel | None = None, router_config: RouterConfig | None = None,
                       policy: Policy | None = None, log_writer: RoutingLogWriter | None = None) -> ChatService:
    """A ChatService whose every model call goes through the privacy router (unless `model` is given)."""
    chosen = model or routed_model(bus, router_config, policy)
    name = str(getattr(chosen, "model_name", None) or chosen._llm_type)
    return ChatService(build_graph(chosen, checkpointer), bus, model_name=name, log_writer=log_writer)
