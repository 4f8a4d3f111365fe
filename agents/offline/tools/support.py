"""Support tools as the offline model reads them: the knowledge base and a human."""

from __future__ import annotations

import re
from itertools import pairwise

from agents.offline.cues import hypothetical
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities
from agents.offline.keywords import phrase_at
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import ABBREVIATIONS, Utterance
from agents.offline.rules import DECISIVE, STRONG, Builder, Cue, Reading, ToolRule

_MAX_QUERY = 300  # the knowledge search reads a question, not a transcript
_MAX_QUOTE = 240  # how much of the user's words a ticket summary quotes


# ----- search_knowledge ---------------------------------------------------------------------------------
def search_knowledge(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    query = _spelled_out(" ".join(utt.text.split()))
    if ents.order_id:
        query = _about_an_order(query)
    return Decision("search_knowledge", {"query": query[:_MAX_QUERY]})


_WORD = re.compile(r"\b\w+\b")
_GENERAL = frozenset({"un", "una", "1", "cualquier"})  # normalize reads "un"/"una" as the number 1
_HOW_MUCH = ("cuant", "cuand", "tard", "demor", "vale", "cuesta")
_ORDER_NOUNS = frozenset({"pedido", "pedidos", "orden", "ordenes", "compra", "compras", "paquete", "paquetes",
                          "envio", "envios"})
# "el pedido 1003", "mi orden #ORD-1003", "la compra número 1003": the words that point at the order.
_ORDER_REFERENCE = re.compile(r"\b(?:(?:el|la|mi|mis|del|de)\s+)?(?:pedido|orden|compra)?\s*(?:n[uú]mero|no\.?|#)?\s*"
                              r"(?:ord-?)?\d{3,}\b", re.IGNORECASE)


def _spelled_out(text: str) -> str:
    """The question with WhatsApp abbreviations written out ("si no pago q pasa" → "… que pasa"), the rest as
    typed: the embedding model reads whole words better, and the relevance gate was measured on them."""
    return _WORD.sub(lambda m: ABBREVIATIONS.get(m.group(0).lower(), m.group(0)), text)


def _any_order(r: Reading) -> bool:
    """ "¿cuánto tarda un pedido a Medellín?", "¿cuánto vale el envío de un paquete?": how long or how much
    for an order in general (an indefinite article, no order named) asks the policies, not about one order."""
    if r.ents.order_id:
        return False
    toks = r.utt.tokens
    general = any(a in _GENERAL and b in _ORDER_NOUNS for a, b in pairwise(toks))
    return general and any(t.startswith(_HOW_MUCH) for t in toks)


def _about_an_order(question: str) -> str:
    """What the policy is asked about one order: its time limit, since the order's dates are what the order
    adds ("¿puedo devolver el pedido 1003?" → "plazo: puedo devolver el producto"). The words pointing at the
    order become "el producto": they would match the policy's how-to sentences ("el número del pedido")."""
    rest = " ".join(_ORDER_REFERENCE.sub(" el producto ", question).split())
    return f"plazo: {rest}" if rest else question


def order_for_policy(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision | None:
    """A policy question that names an order ("¿puedo devolver el pedido 1003?") also needs where that order
    is: its delivery date is what the policy's window counts from. The tool checks the caller may see it."""
    return Decision("track_shipment", {"order_id": ents.order_id}) if ents.order_id else None


def policy_for_order(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision | None:
    """An order question that clearly asks a policy too ("quiero devolver el pedido 1003": a policy keyword as
    heavy as a decisive one) also needs the policy. Declared here, used by the order rules' `then`."""
    policy = sum(w for phrase, w in SEARCH_KNOWLEDGE.keywords if phrase_at(utt, phrase) >= 0)
    return search_knowledge(utt, ents, ctx, lex) if policy >= DECISIVE else None


SEARCH_KNOWLEDGE = ToolRule(
    tool="search_knowledge",
    keywords=(
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
        # the payment providers and carriers the policies name, and the sellers' settlement
        ("efecty", 3), ("mercadopago", 3), ("payu", 3), ("transportadora", 3.5), ("internacional", 3),
        ("otros paises", 3), ("liquid", 2.5), ("pagan=", 2),
    ),
    cues=(
        Cue(hypothetical, STRONG),  # "si pido hoy, ¿cuándo llega?" asks about the rules
        Cue(_any_order, DECISIVE),  # "¿cuánto tarda un pedido a Medellín?": orders in general
    ),
    priority=50,
    build=search_knowledge,
    then=order_for_policy,
)


# ----- escalate_to_human --------------------------------------------------------------------------------
def escalate_to_human(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    summary = f"El usuario pide atención de una persona: «{' '.join(utt.text.split())[:_MAX_QUOTE]}»"
    if ctx.order_id:
        summary += f" (pedido {ctx.order_id})"
    return Decision("escalate_to_human", {"summary": summary})


ESCALATE_TO_HUMAN = ToolRule(
    tool="escalate_to_human",
    keywords=(
        ("persona=", 3), ("humano", 3.5), ("asesor", 3.5), ("agente", 2), ("alguien", 2), ("operador", 3.5),
        ("hablar con", 2), ("comunicar", 1.5), ("queja", 2.5), ("reclamo", 2.5), ("supervisor", 3),
        ("gerente", 3), ("llamen", 2.5), ("llamada", 2), ("no me sirve", 2), ("no entiendes", 2.5),
        ("de verdad", 0.5), ("ser humano", 2), ("pqr", 3.5), ("radic", 2), ("llamar", 2.5),
        ("problema", 1.5),
    ),
    priority=60,
    build=escalate_to_human,
)



# ----- the data subject's rights (Ley 1581): export, erase, revoke -------------------------------------
# "¿en cuánto tiempo responden?", "¿cómo hago para…?": a question about how a right is exercised is
# answered from the policies; only a plain request runs the (confirmed) write.
_PROCESS_QUESTIONS = ("cuanto tiempo", "en cuanto", "cuantos dias", "plazo", "cuanto se demora", "cuanto tarda",
                      "cuando responden", "como hago", "como puedo", "que pasa si", "que pasa con")


def _no_args(tool: str) -> Builder:
    def build(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
        if any(question in utt.text.lower() for question in _PROCESS_QUESTIONS):
            return search_knowledge(utt, ents, ctx, lex)
        return Decision(tool, {})

    return build


def revoke_consent(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    text = utt.text.lower()
    if any(word in text for word in ("nube", "internacional", "extranjero", "fuera del pais", "fuera de colombia")):
        return Decision("revoke_consent", {"withdraw": "international_transfer"})
    if "sensible" in text:
        return Decision("revoke_consent", {"withdraw": "sensitive_data"})
    return Decision("revoke_consent", {"withdraw": "all"})


_MY_DATA = ("mis datos", "mi informacion", "mi cuenta")
_ERASE_VERBS = ("borren", "borrar", "borra", "eliminen", "eliminar", "elimina", "supriman", "suprimir", "cierren",
                "cerrar")
EXPORT_MY_DATA = ToolRule(
    tool="export_my_data",
    keywords=(
        ("descargar mis datos", 4.5), ("descarga de mis datos", 4.5), ("copia de mis datos", 4.5),
        ("exportar mis datos", 4.5), ("que datos tienen de mi", 4.5), ("que datos tienen mios", 4.5),
        ("ver mis datos", 4), ("descargar mi informacion", 4.5), ("mis datos personales", 1.0),
    ),
    priority=64,
    build=_no_args("export_my_data"),
)
ERASE_MY_DATA = ToolRule(
    tool="erase_my_data",
    keywords=(*((f"{verb} {what}", 4.5) for verb in _ERASE_VERBS for what in _MY_DATA),
              ("derecho al olvido", 4.5), ("olvidenme", 4.5)),
    priority=66,
    build=_no_args("erase_my_data"),
)
REVOKE_CONSENT = ToolRule(
    tool="revoke_consent",
    keywords=(
        ("ya no quiero que usen mis datos", 5), ("no quiero que usen mis datos", 5), ("revoco", 4.5),
        ("revocar mi autorizacion", 5), ("revocar la autorizacion", 5), ("retiro mi autorizacion", 5),
        ("no autorizo", 4), ("no usen mis datos", 5), ("dejen de usar mis datos", 5),
    ),
    priority=68,
    build=revoke_consent,
)

RULES = (SEARCH_KNOWLEDGE, ESCALATE_TO_HUMAN, EXPORT_MY_DATA, ERASE_MY_DATA, REVOKE_CONSENT)
