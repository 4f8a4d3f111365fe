"""Support tools: the knowledge base and handing the conversation to a human."""

from __future__ import annotations

from commerce import support
from commerce.shared import exactly_once
from tools import knowledge_hook
from tools.base import Runtime, agent_tool
from tools.confirmation import PendingWrite
from tools.results import ToolResult, ok

NO_KNOWLEDGE = "No hay información sobre eso en la base de conocimiento todavía."
MAX_PASSAGES = 4


@agent_tool
def search_knowledge(query: str, *, runtime: Runtime) -> ToolResult:
    """Search MeStocker's help and policy documents (envíos, devoluciones y retracto, garantía, medios de pago,
    datos personales, vendedores). Answer only from what it returns and cite the source.

    Args:
        query: The user's question in Spanish, e.g. "¿cuántos días tengo para devolver un producto?".
    """
    retriever = knowledge_hook.get_retriever()
    if retriever is None or not query.strip():
        return ok(NO_KNOWLEDGE, [])
    passages = [dict(p) for p in retriever(query.strip())][:MAX_PASSAGES]
    if not passages:
        return ok(NO_KNOWLEDGE, [])
    sources = ", ".join(dict.fromkeys(str(p.get("title") or p.get("source") or "") for p in passages if p))
    return ok(f"Encontré {len(passages)} fragmento(s) relevantes en la base de conocimiento ({sources}).", passages)


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
                                              work=execute)
    return result
