"""The embedded default chat model (see agents/offline/ for how it reads Spanish)."""

from agents.offline import AGENT_TOOLS, TOOL_OWNER, Lexicon, OfflineChatModel, ProductEntry, WarehouseEntry

__all__ = ["AGENT_TOOLS", "TOOL_OWNER", "Lexicon", "OfflineChatModel", "ProductEntry", "WarehouseEntry"]
