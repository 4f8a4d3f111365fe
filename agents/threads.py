"""Thread ownership: a user's thread id only ever names a checkpoint thread of that same user.

Every checkpoint carries its owner in its metadata, which is how an erasure request finds all
of a user's conversations.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from commerce.identity.principal import Principal

OWNER = "owner"


def thread_key(principal: Principal, thread_id: str) -> str:
    """The checkpoint key: a thread id only ever names a thread of the same user."""
    return f"u{principal.user_id}:{thread_id}"


def owner_metadata(principal: Principal) -> dict[str, str]:
    """The metadata every checkpoint of the principal's turns carries."""
    return {OWNER: str(principal.user_id)}


def thread_config(principal: Principal, thread_id: str) -> RunnableConfig:
    """The graph config that reads a principal's thread."""
    return {"configurable": {"thread_id": thread_key(principal, thread_id)}}


def forget_owner(saver: BaseCheckpointSaver[Any], user_id: int) -> int:
    """Delete every thread whose checkpoints the user owns; return how many."""
    threads = {cp.config["configurable"]["thread_id"] for cp in saver.list(None, filter={OWNER: str(user_id)})}
    for thread in threads:
        saver.delete_thread(thread)
    return len(threads)


def owner_transcripts(saver: BaseCheckpointSaver[Any], user_id: int) -> list[dict[str, Any]]:
    """Every thread the user owns with its visible messages (user and assistant text), for an export."""
    from langchain_core.messages import AIMessage, HumanMessage

    prefix = f"u{user_id}:"
    threads = sorted({cp.config["configurable"]["thread_id"]
                      for cp in saver.list(None, filter={OWNER: str(user_id)})})
    transcripts = []
    for thread in threads:
        latest = saver.get_tuple({"configurable": {"thread_id": thread}})
        messages = (latest.checkpoint.get("channel_values", {}).get("messages", []) if latest else [])
        shown = [{"role": "user" if isinstance(m, HumanMessage) else "assistant", "text": m.text}
                 for m in messages
                 if isinstance(m, HumanMessage) or (isinstance(m, AIMessage) and m.content and not m.tool_calls)]
        transcripts.append({"thread_id": thread.removeprefix(prefix), "messages": shown})
    return transcripts
