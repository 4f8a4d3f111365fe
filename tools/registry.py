"""Which agent has which tools: a public contract (the offline model and the evals rely on it)."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools import catalog, inventory, orders, payments, privacy, seller, support

AGENT_TOOLS: dict[str, list[str]] = {
    "inventory": ["get_stock", "list_low_stock", "get_stock_movements", "transfer_stock", "search_products"],
    "order": ["get_order", "list_orders", "track_shipment", "cancel_order", "create_order", "pay_order",
              "recommend_products", "search_products"],
    "seller": ["sales_summary", "top_products", "update_price", "list_reorder_proposals", "approve_reorder",
               "explain_reorder_proposal", "reject_reorder", "search_products"],
    "support": ["search_knowledge", "escalate_to_human", "export_my_data", "erase_my_data", "revoke_consent",
                "search_products"],
}
# Tools every agent has (the catalog search) belong to no one agent; every other tool has one owner, the
# agent a handoff goes to when another agent is asked for it.
SHARED_TOOLS: frozenset[str] = frozenset.intersection(*(frozenset(tools) for tools in AGENT_TOOLS.values()))
TOOL_OWNER: dict[str, str] = {
    tool: agent for agent, tools in AGENT_TOOLS.items() for tool in tools if tool not in SHARED_TOOLS
}

_ALL: list[BaseTool] = [
    inventory.get_stock, inventory.list_low_stock, inventory.get_stock_movements, inventory.transfer_stock,
    orders.get_order, orders.list_orders, orders.track_shipment, orders.cancel_order, orders.create_order,
    payments.pay_order,
    seller.sales_summary, seller.top_products, seller.update_price, seller.list_reorder_proposals,
    seller.approve_reorder, seller.explain_reorder_proposal, seller.reject_reorder,
    support.search_knowledge, support.escalate_to_human,
    privacy.export_my_data, privacy.erase_my_data, privacy.revoke_consent,
    catalog.search_products, catalog.recommend_products,
]
TOOLS: dict[str, BaseTool] = {t.name: t for t in _ALL}

# These pause for the user's confirmation (an interrupt) and then run exactly once.
WRITE_TOOLS: frozenset[str] = frozenset(
    {"transfer_stock", "cancel_order", "create_order", "pay_order", "update_price", "approve_reorder",
     "reject_reorder", "export_my_data", "erase_my_data", "revoke_consent"}
)


def tools_for(agent: str) -> list[BaseTool]:
    """The tools bound to `agent` ("inventory", "order", "seller", "support"), in contract order."""
    try:
        names = AGENT_TOOLS[agent]
    except KeyError:
        raise ValueError(f"unknown agent {agent!r}; expected one of {sorted(AGENT_TOOLS)}") from None
    return [TOOLS[name] for name in names]
