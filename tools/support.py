"""Support tools: the knowledge base and handing the conversation to a human."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from commerce import support
from commerce.shared import exactly_once
from tools import knowledge_hook
from tools.base import Runtime, agent_tool
from tools.confirmation import ALREADY_DONE, PendingWrite
from tools.results import ToolResult, error, ok

log = logging.getLogger(__name__)

NO_KNOWLEDGE = "No tengo esa información en la base de conocimiento de MeStocker."
KNOWLEDGE_UNAVAILABLE = "No pude consultar la base de conocimiento en este momento."
MAX_PASSAGES = 4


def citation(title: str) -> str:
    """How a reply names its source: "Fuente: Devoluciones y derecho de retracto"."""
    return f"Fuente: {title}"


def _passage(raw: Mapping[str, Any]) -> dict[str, Any]:
    passage = {key: raw[key] for key in knowledge_hook.PASSAGE_FIELDS if key in raw}
    passage["text"] = str(raw.get("text", ""))
    title = str(raw.get("title") or raw.get("source") or "")
    if title:
        passage["citation"] = citation(title)
    return passage


@agent_tool
def search_knowledge(query: str, *, runtime: Runtime) -> ToolResult:
    """Search MeStocker's help and policy documents (envíos, devoluciones y retracto, garantía, medios de pago,
    datos personales, vendedores). Answer only from the passages it returns and cite each one's source
    ("Fuente: <título>"). When it returns no passages, say you do not have that information and offer a person
    (escalate_to_human); never answer a policy from memory.

    Args:
        query: The user's question in Spanish, e.g. "¿cuántos días tengo para devolver un producto?".
    """
    retriever = runtime.context.knowledge
    if retriever is None or not query.strip():
        return ok(NO_KNOWLEDGE, [])
    try:
        found_raw = retriever(query.strip())
    except Exception:  # the store's adapters (embedded, HTTP) fail in their own ways; the turn must not
        log.warning("search_knowledge: the knowledge base could not be read", exc_info=True)
        return error(KNOWLEDGE_UNAVAILABLE)
    passages = [_passage(p) for p in found_raw if p][:MAX_PASSAGES]
    if not passages:
        return ok(NO_KNOWLEDGE, [])
    found = f"Encontré {len(passages)} fragmento(s) relevantes en la base de conocimiento."
    sources = "; ".join(dict.fromkeys(p["citation"] for p in passages if "citation" in p))
    return ok(f"{found} {sources}." if sources else found, passages)


@agent_tool
def escalate_to_human(summary: str, *, runtime: Runtime) -> ToolResult:
    """Hand the conversation to a human of the MeStocker team by opening a support ticket.

    Args:
        summary: A short summary of what the user needs, in Spanish.
    """
    ctx = runtime.context
    cmd = support.OpenSupportTicket(summary=summary.strip(), thread_id=ctx.thread_id[:120], channel=ctx.channel,
                                    actor=ctx.principal)
    # Not confirmed (it only asks for help), but a replayed step must not open a second ticket.
    write = PendingWrite(runtime, "escalate_to_human", {"summary": cmd.summary})

    def execute() -> ToolResult:
        ticket = ctx.bus.handle(cmd)
        return ok(f"Listo: abrí el caso {ticket.id}. Una persona del equipo de MeStocker te contactará por este "
                  "mismo canal.", ticket)

    result, _replayed = exactly_once.run_once(ctx.bus, scope=write.scope, key=write.key, request=write.request,
                                              work=execute, if_interrupted=ALREADY_DONE)
    return result
