"""Building the chat service for a platform (the API and the CLI share it)."""

from __future__ import annotations

from collections.abc import Callable

from agents.chat import ChatService
from agents.service import build_chat_service
from infra.bootstrap import Platform
from infra.checkpoints import open_checkpointer


def open_chat(platform: Platform) -> tuple[ChatService, Callable[[], None]]:
    """The chat service over `platform` with its persistent checkpointer, and its closer."""
    checkpointer, close = open_checkpointer(platform.settings)
    return build_chat_service(platform.bus, checkpointer), close
