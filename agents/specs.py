"""The agents, declared: name, what they handle, prompt and tools. The graph is built from this."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.tools import BaseTool

from agents.prompts import AGENT_PROMPTS
from tools.registry import AGENT_TOOLS, tools_for


@dataclass(frozen=True)
class AgentSpec:
    name: str
    description: str  # shown to the model in the handoff tool's docstring
    prompt: str
    tool_names: tuple[str, ...]

    def tools(self) -> list[BaseTool]:
        return tools_for(self.name)


DESCRIPTIONS: dict[str, str] = {
    "inventory": "existencias por bodega, stock bajo, movimientos de inventario y traslados entre bodegas",
    "order": "estado de pedidos, rastreo de envíos, crear y cancelar pedidos, recomendar productos parecidos",
    "seller": "ventas de un vendedor, productos más vendidos, cambios de precio y propuestas de reabastecimiento",
    "support": "políticas de envíos, devoluciones, garantías, medios de pago, datos personales y escalar a una persona",
}

AGENTS: dict[str, AgentSpec] = {
    name: AgentSpec(name=name, description=DESCRIPTIONS[name], prompt=AGENT_PROMPTS[name],
                    tool_names=tuple(AGENT_TOOLS[name]))
    for name in ("inventory", "order", "seller", "support")
}
