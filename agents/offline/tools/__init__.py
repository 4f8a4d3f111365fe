"""The offline model's tool rules, one `ToolRule` per tool, grouped by the agent that owns the tool.

Each module mirrors a module of the public `tools/` package; adding a tool means adding its rule there
(see docs/offline-model.md, "How to add a tool").
"""

from __future__ import annotations

from agents.offline.rules import ToolRule
from agents.offline.tools import catalog, inventory, orders, seller, support


def index(*groups: tuple[ToolRule, ...]) -> dict[str, ToolRule]:
    """Rules by tool name; refuses a tool declared twice and two rules with the same priority."""
    rules = [rule for group in groups for rule in group]
    by_tool = {rule.tool: rule for rule in rules}
    if len(by_tool) != len(rules):
        raise ValueError("two offline rules declare the same tool")
    if len({rule.priority for rule in rules}) != len(rules):
        raise ValueError("offline rule priorities must be distinct: they decide ties between tools")
    return by_tool


RULES: dict[str, ToolRule] = index(inventory.RULES, orders.RULES, seller.RULES, support.RULES, catalog.RULES)
