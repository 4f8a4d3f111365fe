"""How a MeStocker tool is declared: `@agent_tool` over a function taking `runtime: ToolRuntime`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain.tools import ToolRuntime, tool
from langchain_core.tools import BaseTool

from tools.context import AgentContext
from tools.results import ToolResult, guarded, validation_error_content

Runtime = ToolRuntime[AgentContext, Any]


def agent_tool(fn: Callable[..., ToolResult]) -> BaseTool:
    """A LangChain tool whose schema comes from the signature and Google-style docstring.

    `runtime` is injected by LangGraph and hidden from the model; domain errors and bad arguments
    come back as Spanish results instead of exceptions."""
    built = tool(parse_docstring=True)(guarded(fn))
    built.handle_validation_error = validation_error_content
    return built


def canonical_code(value: str | None) -> str | None:
    """SKUs, warehouses and order ids are matched upper-case and without surrounding spaces."""
    return value.strip().upper() if value else None


def in_last(days: int) -> str:
    """ "en el último día" / "en los últimos 7 días"."""
    return "en el último día" if days == 1 else f"en los últimos {days} días"
