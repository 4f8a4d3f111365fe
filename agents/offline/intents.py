"""Which tool a Spanish message asks for: keyword families scored with typo tolerance.

A keyword is a word stem ("cancel" matches "cancélalo", "cancelar") or, ending in "=", an
exact word ("pasa=" does not match "pasada"). Phrases are stems that must follow each other.
"""

from __future__ import annotations

from functools import lru_cache

from agents.confirmations import YES_WORDS
from agents.offline.normalize import Utterance, starts_like
from tools.registry import AGENT_TOOLS

# The public tool contract (issue 3) decides which agent owns a tool; tools every agent has are shared.
SHARED_TOOLS = frozenset.intersection(*(frozenset(tools) for tools in AGENT_TOOLS.values()))
TOOL_OWNER: dict[str, str] = {
    tool: agent for agent, tools in AGENT_TOOLS.items() for tool in tools if tool not in SHARED_TOOLS
}

_K = tuple[tuple[str, float], ...]
KEYWORDS: dict[str, _K] = {
    "get_stock": (
        ("stock", 2), ("inventari", 2), ("unidad", 1), ("dispon", 1.5), ("existenc", 2), ("hay=", 1),
        ("queda", 1.5), ("cuant", 0.5), ("tengo=", 0.5), ("tenemos=", 0.5), ("saldo", 1), ("bodega", 0.5),
        ("cuanto hay", 1), ("alcanza", 1),
    ),
    "list_low_stock": (
        ("poco", 1.5), ("bajo=", 1.5), ("bajos=", 1.5), ("agot", 2.5), ("acab", 2), ("reponer", 1),
        ("minimo", 1), ("critic", 2), ("escas", 2.5), ("quedando sin", 2.5), ("faltando", 1.5), ("alerta", 1.5),
        ("surtir", 1), ("punto de reorden", 1.5), ("debajo", 1.5), ("en rojo", 2.5),
    ),
    "get_stock_movements": (
        ("movimient", 3.5), ("entradas", 1.5), ("salidas", 1.5), ("kardex", 3.5), ("historial", 2),
        ("ajustes", 1.5), ("rotacion", 1.5), ("que paso con", 1.5), ("se movio", 2), ("ha salido", 1.5),
        ("trazab", 3.5), ("ha movido", 2.5), ("han movido", 2.5),
    ),
    "transfer_stock": (
        ("trasla", 3.5), ("traspas", 3.5), ("transfer", 3.5), ("mueve", 2.5), ("mover", 2.5), ("muevan", 2.5),
        ("muevas", 2.5), ("pasa=", 1.5), ("pasar=", 1.5), ("pasame=", 0.5), ("pasen=", 1.5), ("lleva", 1.5),
        ("reubic", 3), ("redistribu", 3), ("manda", 0.5),
    ),
    "get_order": (
        ("pedido=", 1.5), ("orden=", 1.5), ("estado", 1), ("mi compra", 1), ("detalle", 1), ("como va", 1.5),
        ("como vamos con", 1), ("que paso con", 1), ("informacion del pedido", 1.5), ("revisa", 0.5),
    ),
    "list_orders": (
        ("pedidos=", 2), ("ordenes=", 2), ("mis compras", 2.5), ("mis pedidos", 1.5), ("mis ordenes", 1.5),
        ("lista", 1), ("listado", 1), ("cuales pedidos", 1), ("historial de pedidos", 1), ("compras=", 1),
    ),
    "track_shipment": (
        ("donde esta", 3), ("donde va", 3), ("donde viene", 3), ("rastre", 3.5), ("guia", 3), ("envio", 1.5),
        ("seguimiento", 3.5), ("tracking", 3.5), ("llega", 2.5), ("transportadora", 3), ("paquete", 1.5),
        ("despach", 1), ("entregan", 1.5), ("demora", 0.5), ("va en camino", 2), ("enviaron", 2),
        ("despacharon", 1.5), ("mandaron", 2), ("domicilio", 2), ("para cuando", 2.5),
    ),
    "cancel_order": (
        ("cancel", 3.5), ("anul", 3.5), ("ya no lo quiero", 3), ("no lo quiero", 2.5), ("ya no quiero", 2.5),
        ("desist", 3), ("para atras", 2.5), ("reversa", 2), ("deshac", 3), ("deshag", 3), ("deshaz", 3),
        ("no lo necesito", 2.5), ("ya no necesito", 2.5), ("arrepenti", 2),
    ),
    "create_order": (
        ("compr", 2), ("quiero pedir", 3), ("hazme", 2), ("haz=", 1), ("pideme", 2.5), ("pedir", 2),
        ("encarg", 2.5), ("ordenar", 2), ("quiero", 1), ("me llevo", 2.5), ("necesito", 0.5), ("carrito", 2.5),
        ("nuevo pedido", 3), ("crea", 1.5), ("realiza", 1), ("hacer 1 pedido", 3), ("mandame", 2),
        ("enviame", 2), ("traeme", 2), ("apartar", 1.5), ("apartame", 2.5), ("separame", 2.5), ("reserva", 1),
        ("pido=", 2), ("me regala", 1.5), ("me vend", 2.5),
    ),
    "sales_summary": (
        ("ventas", 3), ("venta=", 2), ("vendi", 2), ("vendimos", 2.5), ("factur", 2.5), ("ingreso", 2.5),
        ("como me fue", 3), ("como nos fue", 3), ("ganancia", 2), ("gane=", 2), ("ganamos", 2), ("resumen", 1.5),
        ("reporte", 1), ("informe", 1), ("cuanto vendi", 1), ("recaud", 2), ("he vendido", 3),
        ("hemos vendido", 3), ("se vendio", 2.5), ("cuanta plata", 2.5), ("plata hice", 3), ("hice este", 1),
    ),
    "top_products": (
        ("mas vendido", 4.5), ("top=", 3), ("mejor", 2), ("ranking", 3.5), ("estrella", 2), ("mas se vende", 4),
        ("mas salida", 3), ("populares", 3), ("mas exitoso", 3), ("mas piden", 3), ("mas se venden", 4),
        ("mas compran", 3.5), ("menos vendido", 3),
    ),
    "update_price": (
        ("precio", 1), ("cambia", 1.5), ("cambiar", 1.5), ("ponle", 1.5), ("pon=", 1), ("poner", 1),
        ("sube", 1.5), ("subir", 1.5), ("subele", 2), ("baja=", 1.5), ("bajar", 1.5), ("bajale", 2),
        ("actualiz", 1.5), ("ajust", 1), ("modific", 1.5), ("rebaj", 2.5), ("descuento", 1.5), ("deja", 1),
        ("dejalo", 1.5), ("nuevo precio", 2), ("aument", 1.5), ("increment", 1.5), ("disminu", 1.5),
        ("reduc", 1.5), ("fija", 1), ("cobra", 1), ("que cueste", 2.5), ("que valga", 2.5),
    ),
    "list_reorder_proposals": (
        ("reabastec", 3.5), ("reorden", 3), ("propuesta", 3), ("orden de compra", 3.5), ("ordenes de compra", 3.5),
        ("sugerenc", 2), ("reponer", 1.5), ("resurt", 3), ("proveedor", 3), ("po=", 2), ("pos=", 2.5),
        ("compras sugeridas", 3),
        ("que debo pedir", 2.5), ("que tengo que pedir", 2.5), ("borrador", 2), ("reposicion", 3),
    ),
    "approve_reorder": (
        ("aprueb", 3.5), ("aprobar", 3.5), ("autoriz", 3), ("acepta", 2), ("visto bueno", 3), ("luz verde", 3.5),
        ("confirma la propuesta", 3),
    ),
    "search_knowledge": (
        ("devoluc", 3), ("devolver", 3), ("devuelv", 3), ("tengo una duda", 2), ("garantia", 3.5), ("politica", 3.5),
        ("como funciona", 3),
        ("retracto", 3.5), ("reembols", 2.5), ("terminos", 2.5), ("condiciones", 2), ("costo del envio", 3),
        ("cuanto cuesta el envio", 3), ("cuanto vale el envio", 3), ("cuanto se demora", 2.5), ("cuanto tarda", 2.5),
        ("tiempo de entrega", 3), ("tiempos de entrega", 3), ("medios de pago", 3.5), ("formas de pago", 3.5),
        ("metodos de pago", 3.5), ("como pago", 3), ("como puedo pagar", 3), ("pse=", 2.5), ("nequi", 2.5),
        ("tarjeta", 1.5), ("datos personales", 3.5), ("privacidad", 3.5), ("habeas", 3.5), ("tarifa", 2.5),
        ("comision", 2.5), ("como vendo", 3), ("vender con ustedes", 3), ("registr", 2), ("requisitos", 2.5),
        ("rut=", 2), ("horario", 2.5), ("cobertura", 3), ("envian a", 2), ("hacen envios", 3), ("ley=", 1.5),
        ("derecho", 1.5), ("cambio de", 1.5), ("defectuoso", 2), ("danado", 2), ("que pasa si", 3),
        ("como hago para", 1.5), ("puedo", 0.5), ("fulfillment", 3), ("almacenamiento", 2),
    ),
    "escalate_to_human": (
        ("persona", 3), ("humano", 3.5), ("asesor", 3.5), ("agente", 2), ("alguien", 2), ("operador", 3.5),
        ("hablar con", 2), ("comunicar", 1.5), ("queja", 2.5), ("reclamo", 2.5), ("supervisor", 3),
        ("gerente", 3), ("llamen", 2.5), ("llamada", 2), ("no me sirve", 2), ("no entiendes", 2.5),
        ("de verdad", 0.5), ("ser humano", 2), ("pqr", 3.5), ("radic", 2), ("llamar", 2.5),
        ("problema", 1.5),
    ),
    "search_products": (
        ("busc", 2.5), ("tienen", 2), ("tienes", 1), ("venden", 2.5), ("vendes", 2.5), ("recomiend", 3),
        ("recomend", 3), ("muestr", 1.5), ("catalog", 3), ("ofrec", 2.5), ("opciones", 2), ("algo para", 2),
        ("regalo", 2), ("regalar", 2), ("productos=", 1), ("cuanto cuesta", 2.5), ("cuanto vale", 2.5),
        ("cuanto valen", 2.5),
        ("cuanto cuestan", 2.5), ("precio actual", 2.5), ("cual es el precio", 2.5), ("que precio", 2),
        ("a como", 2), ("cuesta", 1.5), ("que hay", 1.5), ("barat", 2.5), ("economic", 2.5), ("consigo", 2),
        ("consigue", 2), ("quiero ver", 1.5), ("me interesa", 2), ("manejan", 2), ("hay algo", 2),
        ("sugiere", 2), ("sugieres", 2), ("precio de", 1), ("a como", 2),
    ),
}
# Words that read as a state, not as an order to act: "los pedidos cancelados", "propuestas aprobadas".
STATE_WORDS = frozenset(
    [
        "cancelado", "cancelados", "cancelada", "canceladas", "anulado", "anulados", "anulada", "anuladas", "aprobado",
        "aprobados", "aprobada", "aprobadas", "vendidos", "vendido",
    ]
)
GREETINGS = frozenset(["hola", "buenas", "buenos", "holi", "ola", "saludos", "hey", "quiubo", "quihubo", "hello"])
THANKS = frozenset([
    "gracias", "agradezco", "thanks", "thank", "listo", "perfecto", "genial", "excelente", "chevere", "bacano",
])
BYES = frozenset(["chao", "adios", "bye", "hasta", "luego"])


ORDER_STATE_WORDS = frozenset(
    [
        "entregado", "entregados", "entregada", "entregadas", "enviado", "enviados", "enviada", "enviadas", "pagado",
        "pagados", "pagada", "pagadas", "devuelto", "devueltos", "devuelta", "devueltas", "reembolsado", "reembolsados",
        "pendiente", "pendientes",
    ]
)


@lru_cache(maxsize=8192)
def _exact_hit(keyword: str, token: str) -> bool:
    if keyword.endswith("="):
        return token == keyword[:-1]
    if len(keyword) <= 3:
        return token == keyword
    return token.startswith(keyword)


@lru_cache(maxsize=8192)
def _is_known(token: str) -> bool:
    """A word some keyword already names exactly is never read as a typo of another one."""
    if token in STATE_WORDS or token in ORDER_STATE_WORDS or token in THANKS or token in YES_WORDS:
        return True
    return any(_exact_hit(k, token) for family in KEYWORDS.values() for phrase, _ in family for k in phrase.split())


@lru_cache(maxsize=8192)
def _keyword_matches(keyword: str, token: str) -> bool:
    if _exact_hit(keyword, token):
        return True
    if keyword.endswith("=") or len(keyword) < 6 or token[:1].isdigit() or _is_known(token):
        return False
    return token[:2] == keyword[:2] and starts_like(token, keyword)


def phrase_at(utt: Utterance, phrase: str, past_is_state: bool = False) -> int:
    """Index where `phrase` starts in the message, or -1. Each word may be written in any of its
    spellings (`Utterance.forms`: "mándeme" counts as "mandame")."""
    parts = phrase.split()
    toks = utt.tokens
    for i in range(len(toks) - len(parts) + 1):
        if len(parts) == 1 and (toks[i] in STATE_WORDS or (past_is_state and is_past(utt, i))):
            continue
        if all(any(_keyword_matches(p, form) for form in utt.forms(i + k)) for k, p in enumerate(parts)):
            return i
    return -1


def is_past(utt: Utterance, i: int) -> bool:
    """A past form describes a state, not an order: "¿se canceló?", "¿ya lo anularon?"."""
    tok = utt.tokens[i]
    if tok.endswith(("aron", "ieron")):
        return True
    return tok.endswith("o") and (tok in utt.past or (i > 0 and utt.tokens[i - 1] == "se"))


# An order to act, read in the past ("¿se canceló el pedido?"), is a question about state.
_ACTIONS = frozenset({"cancel_order", "approve_reorder", "update_price"})


def keyword_scores(utt: Utterance) -> dict[str, float]:
    """Sum of the weights of the keyword families present in the message, per tool."""
    scores: dict[str, float] = {}
    for tool, family in KEYWORDS.items():
        past = tool in _ACTIONS
        total = sum(weight for phrase, weight in family if phrase_at(utt, phrase, past) >= 0)
        if total:
            scores[tool] = total
    return scores


def spelled(utt: Utterance, *words: str) -> bool:
    """True when one of `words` is in the message in any spelling ("mándeme" for "mandame")."""
    wanted = set(words)
    return any(wanted.intersection(utt.forms(i)) for i in range(len(utt.tokens)))
