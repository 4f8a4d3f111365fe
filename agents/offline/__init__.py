"""The offline model: deterministic Spanish tool calling for tests, embedded use and degraded mode."""

from agents.offline.lexicon import Lexicon, ProductEntry, WarehouseEntry
from agents.offline.model import OfflineChatModel

__all__ = ["Lexicon", "OfflineChatModel", "ProductEntry", "WarehouseEntry"]
