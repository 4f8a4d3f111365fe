"""The offline model: deterministic Spanish tool calling for tests, embedded use and degraded mode."""

from agents.offline.intents import AGENT_TOOLS, TOOL_OWNER
from agents.offline.lexicon import Lexicon, ProductEntry, WarehouseEntry
from agents.offline.model import OfflineChatModel

__all__ = ["AGENT_TOOLS", "TOOL_OWNER", "Lexicon", "OfflineChatModel", "ProductEntry", "WarehouseEntry"]
