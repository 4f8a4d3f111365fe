"""A Spanish answer from the tool results of the turn ({"status", "message", "data"} dicts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agents.offline.answers import compose_knowledge
from agents.offline.lexicon import Lexicon

KNOWLEDGE_TOOL = "search_knowledge"  # its passages are composed into an answer with sources (answers.py)

_FALLBACK = {
    "ok": "Listo.",
    "denied": "No tienes permiso para ver o cambiar esa información.",
    "not_found": "No encontré lo que buscas.",
    "error": "No pude completar la solicitud.",
    "cancelled": "Listo, no hice ningún cambio.",
}
_AFTER = {
    "not_found": "Revisa el dato y lo intento de nuevo.",
    "error": "¿Quieres intentarlo de otra forma?",
}
MAX_ITEMS = 5


def parse_result(content: str) -> dict[str, Any]:
    """The tool result (a ToolMessage's text) as a dict; plain text becomes {"status": "ok", "message": text}."""
    text = content.strip()
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return {"status": "error" if text.lower().startswith("error") else "ok", "message": text, "data": None}
    if isinstance(value, dict) and ("status" in value or "message" in value):
        return value
    return {"status": "ok", "message": "", "data": value}


def compose(results: Sequence[tuple[str, str]], lexicon: Lexicon, question: str = "") -> str:
    """One reply for all the (tool name, ToolMessage text) results of this turn (`question`: the user's
    message, which a knowledge answer quotes the passages for). Knowledge goes last: its sources close it."""
    ordered = sorted(results, key=lambda r: r[0] == KNOWLEDGE_TOOL)
    parts = [_one(name, parse_result(content), lexicon, question) for name, content in ordered]
    return "\n\n".join(p for p in parts if p) or "Listo."


def _one(tool: str, result: dict[str, Any], lexicon: Lexicon, question: str = "") -> str:
    status = str(result.get("status") or "ok")
    if tool == KNOWLEDGE_TOOL and status == "ok":
        data = result.get("data")
        return compose_knowledge(data if isinstance(data, list) else [], question)
    message = str(result.get("message") or "").strip() or _FALLBACK.get(status, "Listo.")
    if status != "ok":
        follow = _AFTER.get(status)
        return f"{message} {follow}" if follow and follow not in message else message
    detail = _detail(tool, result.get("data"), message, lexicon)
    return f"{message}\n{detail}" if detail else message


def _detail(tool: str, data: Any, message: str, lexicon: Lexicon) -> str:
    if isinstance(data, dict) and isinstance(data.get("warehouses"), list):
        return _stock_lines(data["warehouses"], message, lexicon)
    if isinstance(data, dict):
        return _shipment_line(data, message)
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        return _item_lines(data, message, lexicon)
    return ""


def _stock_lines(rows: list[Any], message: str, lexicon: Lexicon) -> str:
    rows = [r for r in rows if isinstance(r, dict) and r.get("warehouse")]
    if len(rows) < 2 or all(str(r["warehouse"]) in message for r in rows):
        return ""
    lines = []
    for r in rows:
        available = r.get("available", r.get("on_hand"))
        lines.append(f"• {lexicon.warehouse_label(str(r['warehouse']))}: {available} disponibles")
    return "\n".join(lines)


def _shipment_line(data: dict[str, Any], message: str) -> str:
    tracking, carrier = data.get("tracking_number"), data.get("carrier")
    if tracking and str(tracking) not in message:
        return f"Guía {tracking}" + (f" ({carrier})." if carrier else ".")
    return ""


def _item_lines(items: list[dict[str, Any]], message: str, lexicon: Lexicon) -> str:
    lines = []
    for item in items[:MAX_ITEMS]:
        label = _item_label(item, lexicon)
        if not label or label.split(" (")[0] in message:
            continue
        lines.append(f"• {label}")
    if len(items) > MAX_ITEMS and lines:
        lines.append(f"… y {len(items) - MAX_ITEMS} más.")
    return "\n".join(lines)


def _item_label(item: dict[str, Any], lexicon: Lexicon) -> str:
    sku = item.get("sku") or item.get("id") or item.get("order_id")
    product = lexicon.product(str(sku)) if sku else None
    name = item.get("name") or (product.name if product else None)
    label = f"{name} ({sku})" if name and sku else str(name or sku or "")
    facts = []
    if isinstance(item.get("price_cop"), int):
        facts.append(money(item["price_cop"]))
    for key, word in (("available", "disponibles"), ("units", "unidades"), ("quantity", "unidades")):
        if isinstance(item.get(key), int):
            facts.append(f"{item[key]} {word}")
            break
    if item.get("warehouse"):
        facts.append(lexicon.warehouse_label(str(item["warehouse"])))
    if item.get("status") and not product:
        facts.append(str(item["status"]))
    return f"{label}: {', '.join(facts)}" if label and facts else label


def money(value: int) -> str:
    """COP as Colombians write it: $38.900."""
    return "$" + f"{value:,}".replace(",", ".")
