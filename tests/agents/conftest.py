"""A chat service over the seeded platform, with the offline model and an in-memory checkpointer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.chat import ChatService
from agents.turns import TurnResult
from commerce.identity.principal import Principal, Role
from infra.bootstrap import Platform, build_chat_service

LAURA = Principal.for_role(user_id=6, email="laura.gomez@example.co", role=Role.COMPRADOR, buyer_id="BUY-001")
ANDRES = Principal.for_role(user_id=7, email="andres.restrepo@example.co", role=Role.COMPRADOR, buyer_id="BUY-002")
CAFE = Principal.for_role(user_id=3, email="ventas@cafeorigen.example.co", role=Role.CLIENTE, seller_id="SEL-CAFE")
TECH = Principal.for_role(user_id=5, email="soporte@tecnohogar.example.co", role=Role.CLIENTE, seller_id="SEL-TECH")
ADMIN = Principal.for_role(user_id=2, email="admin@mestocker.example.co", role=Role.ADMIN)


@pytest.fixture
def chat(platform: Platform) -> ChatService:
    return build_chat_service(platform, InMemorySaver(), record_routing=False)


Say = Callable[[str], TurnResult]


def conversation(chat: ChatService, principal: Principal, thread: str = "t1") -> Say:
    def say(message: str) -> TurnResult:
        return chat.send(principal=principal, thread_id=thread, message=message)

    return say
