"""Order tools as the offline model reads them: an order, the list, tracking, cancelling, buying and paying."""

from __future__ import annotations

from agents.offline.arguments import optional, product_or_question, which_product
from agents.offline.cues import hypothetical
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import MIN_ORDER_NUMBER, Entities, extract, reason
from agents.offline.keywords import phrase_at
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import Utterance
from agents.offline.rules import CLEAR, DECISIVE, HINT, LEAN, OVERRIDE, STRONG, Cue, Reading, ToolRule
from agents.offline.tools.support import policy_for_order
from commerce.marketplace.payments import PAYMENT_WORDS

_ORDER_NOUNS = frozenset({"pedido", "pedidos", "orden", "ordenes", "paquete", "compra", "envio", "domicilio"})
_PLURAL_ORDER_NOUNS = frozenset({"pedidos", "ordenes", "compras"})
_MY_ORDERS = ("pedidos", "ordenes", "compras", "mis")
_WISH = frozenset({"quiero", "necesito", "interesa", "deseo", "sirve"})
_LINE_BREAKS = ("y", "mas", "tambien")
_DEFAULT_CANCEL_REASON = "Solicitado por el cliente en el chat"


def _names_order(r: Reading) -> bool:
    return bool(r.ents.order_id)


def order_or_question(tool: str, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> str | Decision:
    """The order of the message or the thread; the question for it when there is none."""
    # An order tool with a bare number of order size ("cancela el 1002", "¿y el 1004?") names the order.
    bare = f"{lex.order_prefix}{ents.quantity}" if ents.quantity and ents.quantity >= MIN_ORDER_NUMBER else None
    order_id = ents.order_id or bare or ctx.order_id
    if order_id:
        return order_id
    return Decision(tool=tool, text=f"¿Cuál es el número del pedido (por ejemplo, {lex.order_prefix}1001)?")


# ----- get_order ----------------------------------------------------------------------------------------
def get_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    if ents.order_id is None and ents.order_status:
        return list_orders(utt, ents, ctx, lex)
    order_id = order_or_question("get_order", ents, ctx, lex)
    return order_id if isinstance(order_id, Decision) else Decision("get_order", {"order_id": order_id})


GET_ORDER = ToolRule(
    tool="get_order",
    keywords=(
        ("pedido=", 1.5), ("orden=", 1.5), ("estado", 1), ("mi compra", 1), ("detalle", 1), ("como va", 1.5),
        ("como vamos con", 1), ("que paso con", 1), ("informacion del pedido", 1.5), ("revisa", 0.5),
    ),
    cues=(Cue(_names_order, STRONG),),
    priority=30,
    build=get_order,
    then=policy_for_order,
)


# ----- list_orders --------------------------------------------------------------------------------------
def _status_of_my_orders(r: Reading) -> bool:
    """ "mis pedidos enviados": a status word next to the user's orders."""
    return bool(r.ents.order_status) and r.utt.has(*_MY_ORDERS)


def _orders_in_plural(r: Reading) -> bool:
    """ "¿qué pedidos tengo?": orders in the plural, with no order or product named."""
    return not r.ents.order_id and not r.ents.product.skus and bool(set(r.utt.tokens) & _PLURAL_ORDER_NOUNS)


def list_orders(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    return Decision("list_orders", optional(status=ents.order_status))


LIST_ORDERS = ToolRule(
    tool="list_orders",
    keywords=(
        ("pedidos=", 2), ("ordenes=", 2), ("mis compras", 2.5), ("mis pedidos", 1.5), ("mis ordenes", 1.5),
        ("lista", 1), ("listado", 1), ("cuales pedidos", 1), ("historial de pedidos", 1), ("compras=", 1),
    ),
    cues=(
        Cue(_names_order, -STRONG),  # one order named is that order, not the list
        Cue(_status_of_my_orders, CLEAR),
        Cue(_orders_in_plural, CLEAR),
    ),
    priority=40,
    build=list_orders,
)


# ----- track_shipment -----------------------------------------------------------------------------------
def _no_order_in_sight(r: Reading) -> bool:
    """ "¿cuánto se demora en llegar?" names no order, in the message or the thread: a delivery-time question."""
    return not r.ents.order_id and not r.ctx.order_id and not (set(r.utt.tokens) & _ORDER_NOUNS)


def track_shipment(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    order_id = order_or_question("track_shipment", ents, ctx, lex)
    return order_id if isinstance(order_id, Decision) else Decision("track_shipment", {"order_id": order_id})


TRACK_SHIPMENT = ToolRule(
    tool="track_shipment",
    keywords=(
        ("donde esta", 3), ("donde va", 3), ("donde viene", 3), ("rastre", 3.5), ("guia", 3), ("envio", 1.5),
        ("seguimiento", 3.5), ("tracking", 3.5), ("llega", 2.5), ("transportadora", 3), ("paquete", 1.5),
        ("despach", 1), ("entregan", 1.5), ("demora", 0.5), ("va en camino", 2), ("enviaron", 2),
        ("despacharon", 1.5), ("mandaron", 2), ("domicilio", 2), ("para cuando", 2.5),
    ),
    cues=(
        Cue(_names_order, CLEAR, scored_only=True),
        Cue(_no_order_in_sight, -CLEAR, scored_only=True),
    ),
    priority=130,
    build=track_shipment,
    then=policy_for_order,
)


# ----- cancel_order -------------------------------------------------------------------------------------
def _order_no_longer_wanted(r: Reading) -> bool:
    """ "ya no lo necesito", "no me interesa" about a named order: a wish withdrawn is a cancellation."""
    toks = r.utt.tokens
    return bool(r.ents.order_id) and any(tok == "no" and set(toks[i + 1 : i + 4]) & _WISH for i, tok in enumerate(toks))


def cancel_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    order_id = order_or_question("cancel_order", ents, ctx, lex)
    if isinstance(order_id, Decision):
        return order_id
    return Decision("cancel_order", {"order_id": order_id, "reason": reason(utt.text) or _DEFAULT_CANCEL_REASON})


CANCEL_ORDER = ToolRule(
    tool="cancel_order",
    keywords=(
        ("cancel", 3.5), ("anul", 3.5), ("ya no lo quiero", 3), ("no lo quiero", 2.5), ("ya no quiero", 2.5),
        ("desist", 3), ("para atras", 2.5), ("reversa", 2), ("deshac", 3), ("deshag", 3), ("deshaz", 3),
        ("no lo necesito", 2.5), ("ya no necesito", 2.5), ("arrepenti", 2),
    ),
    cues=(
        Cue(_names_order, CLEAR, scored_only=True),
        Cue(_order_no_longer_wanted, DECISIVE),
    ),
    priority=170,
    past_is_state=True,
    build=cancel_order,
)


# ----- create_order -------------------------------------------------------------------------------------
def _product_and_quantity(r: Reading) -> bool:
    return bool(r.ents.product.skus) and bool(r.ents.quantity)


def _product_without_quantity(r: Reading) -> bool:
    return bool(r.ents.product.skus) and not r.ents.quantity


def _wants_to_know(r: Reading) -> bool:
    """ "quiero saber…", "quiero ver…": the wish is to learn something, not to buy."""
    return phrase_at(r.utt, "quiero saber") >= 0 or phrase_at(r.utt, "quiero ver") >= 0


def _order_lines(utt: Utterance, lex: Lexicon) -> list[tuple[tuple[str, ...], int]]:
    """Split "2 cafés de Nariño y 1 panela" into (candidates, quantity) per product."""
    segments: list[list[str]] = [[]]
    for tok in utt.tokens:
        if tok in _LINE_BREAKS and segments[-1]:
            segments.append([])
        else:
            segments[-1].append(tok)
    lines = []
    for seg in segments:
        part = extract(Utterance(text=" ".join(seg), tokens=seg, money=set()), lex)
        if part.product.skus:
            lines.append((part.product.skus, part.quantity or 1))
    return lines


def create_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    lines = _order_lines(utt, lex)
    if not lines:
        sku = product_or_question("create_order", ents, ctx, lex, "¿Qué producto quieres pedir y cuántas unidades?")
        if isinstance(sku, Decision):
            return sku
        lines = [((sku,), ents.quantity or 1)]
    for skus, _ in lines:
        if len(skus) > 1:
            return Decision("create_order", text=which_product(skus, lex))
    merged: dict[str, int] = {}
    for skus, qty in lines:
        merged[skus[0]] = merged.get(skus[0], 0) + qty
    args: dict[str, object] = {"lines": [{"sku": s, "quantity": q} for s, q in merged.items()]}
    if ents.codes:
        args["warehouse"] = ents.codes[0]
    return Decision("create_order", args)


CREATE_ORDER = ToolRule(
    tool="create_order",
    keywords=(
        ("compr", 2), ("quiero pedir", 3), ("hazme", 2), ("haz=", 1), ("pideme", 2.5), ("pedir", 2),
        ("encarg", 2.5), ("ordenar", 2), ("quiero", 1), ("me llevo", 2.5), ("necesito", 0.5), ("carrito", 2.5),
        ("nuevo pedido", 3), ("crea", 1.5), ("realiza", 1), ("hacer 1 pedido", 3), ("mandame", 2),
        ("enviame", 2), ("traeme", 2), ("apartar", 1.5), ("apartame", 2.5), ("separame", 2.5), ("reserva", 1),
        ("pido=", 2), ("me regala", 1.5), ("me vend", 2.5),
    ),
    cues=(
        Cue(_names_order, -CLEAR, scored_only=True),  # an existing order is asked about, not bought again
        Cue(_product_and_quantity, LEAN, scored_only=True),
        Cue(_product_without_quantity, HINT, scored_only=True),
        Cue(_wants_to_know, -CLEAR, scored_only=True),
        Cue(hypothetical, -STRONG, scored_only=True),  # "si pido hoy, ¿cuándo llega?" buys nothing yet
    ),
    priority=70,
    build=create_order,
)

# ----- pay_order ----------------------------------------------------------------------------------------
_REASON_WORDS = frozenset({"porque", "pues", "ya", "debido"})
_HOW_TO_PAY = ("como puedo pagar", "como pago", "puedo pagar", "se puede pagar", "aceptan", "reciben")


def _order_in_sight(r: Reading) -> bool:
    return bool(r.ents.order_id or r.ctx.order_id)


def _asks_how_to_pay(r: Reading) -> bool:
    """ "¿puedo pagar con Nequi?" with no order in sight asks the payment policy, it pays nothing."""
    return not _order_in_sight(r) and any(phrase_at(r.utt, p) >= 0 for p in _HOW_TO_PAY)


def _order_out_of_sight(r: Reading) -> bool:
    return not _order_in_sight(r)


def _paying_is_the_reason(r: Reading) -> bool:
    """ "cancélalo porque me demoré en pagar": paying is why, not what the buyer asks."""
    toks = r.utt.tokens
    first_pay = next((i for i, tok in enumerate(toks) if tok.startswith("pag")), None)
    return first_pay is not None and any(tok in _REASON_WORDS for tok in toks[:first_pay])


def payment_words(utt: Utterance) -> str | None:
    """The way to pay the message names ("con Nequi", "por PSE", "con tarjeta"), as commerce's table spells it."""
    for words in sorted(PAYMENT_WORDS, key=len, reverse=True):  # "mercado pago" before "pago"-like words
        if phrase_at(utt, words) >= 0:
            return words
    return None


def pay_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    order_id = order_or_question("pay_order", ents, ctx, lex)
    if isinstance(order_id, Decision):
        return order_id
    return Decision("pay_order", {"order_id": order_id} | optional(method=payment_words(utt)))


PAY_ORDER = ToolRule(
    tool="pay_order",
    keywords=(
        ("pagar", 3), ("pagalo", 3), ("hacer el pago", 3), ("realizar el pago", 3), ("link de pago", 3.5),
        ("enlace de pago", 3.5), ("link para pagar", 3.5), ("cobrame", 2.5), ("cobra=", 2), ("quiero pagar", 1.5),
    ),
    cues=(
        Cue(_names_order, CLEAR, scored_only=True),  # paying a named order outweighs "nequi" as a policy word
        Cue(_order_in_sight, LEAN, scored_only=True),
        Cue(_order_out_of_sight, -STRONG, scored_only=True),  # "¿a qué hora tengo que pagar?" pays nothing
        Cue(_paying_is_the_reason, -DECISIVE, scored_only=True),
        Cue(_asks_how_to_pay, -OVERRIDE, scored_only=True),
        Cue(hypothetical, -STRONG, scored_only=True),  # "si no pago hoy, ¿qué pasa?"
    ),
    priority=165,
    past_is_state=True,  # "¿ya se pagó?" asks the order's state
    build=pay_order,
)

RULES = (GET_ORDER, LIST_ORDERS, TRACK_SHIPMENT, CANCEL_ORDER, CREATE_ORDER, PAY_ORDER)
