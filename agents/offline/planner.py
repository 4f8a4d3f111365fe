"""From the last human message (and the thread before it) to one tool call or one short question."""

from __future__ import annotations

import re

from agents.confirmations import NO_WORDS, YES_WORDS
from agents.offline.arguments import which_product
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities, extract
from agents.offline.keywords import BYES, GREETINGS, THANKS, phrase_at
from agents.offline.lexicon import Lexicon, ProductMatch
from agents.offline.normalize import Utterance, parse
from agents.offline.rules import THRESHOLD
from agents.offline.scoring import best, keyword_scores, scores
from agents.offline.tools import RULES
from tools.registry import WRITE_TOOLS

# "no, mejor a 10.900" / "más bien 5": what follows the correction is the request (a follow-up).
_CORRECTION = re.compile(r"^\W*(no\b\W*)?(mejor|m[aá]s bien|en vez de eso|en cambio|prefiero)\b\W*", re.IGNORECASE)
# "a -5000", "menos 3 unidades" is not a typo to silently fix: the sign is lost when text is folded.
_NEGATIVE = re.compile(r"(?:^|[\s(:=])[-−]\s*\$?\s*\d")
FOLLOW_UP_STARTS = ("y", "tambien", "ahora", "igual", "lo", "la", "mismo", "pero", "entonces", "otra")
# Length cut-offs, in tokens: a value stated in a short message answers our question ("el 1004", "doce");
# a bare continuation ("¿y ahora?") repeats the last tool; a "sí"/"no" of up to three words is small talk.
ANSWER_MAX_TOKENS = 8
FOLLOW_UP_MAX_TOKENS = 6
SHORT_REPLY_MAX_TOKENS = 3


def decide(text: str, ctx: ThreadContext, lexicon: Lexicon) -> Decision:
    """The one action the offline model takes for this message."""
    if _NEGATIVE.search(text):
        return Decision(text="Los precios y las cantidades deben ser números positivos. ¿Qué valor quieres usar?")
    utt = parse(_CORRECTION.sub("", text, count=1) or text)
    ents = extract(utt, lexicon)
    _focus_product(utt, ents, lexicon)
    tool = best(scores(utt, ents, ctx))
    if ctx.asked and _answers(utt, ents) and max(keyword_scores(utt).values(), default=0.0) < THRESHOLD:
        tool = ctx.asked  # the reply to our own question: "¿cuántas unidades?" → "doce", "¿qué pedido?" → "el 1004"
    if ctx.offered and ctx.asked and tool is None and _accepts(utt):
        return Decision(ctx.asked, dict(ctx.args))  # "sí" to our offer runs what we offered
    small_talk = _small_talk(utt, tool)
    if small_talk:
        return Decision(text=small_talk)
    if tool is None:
        tool = _follow_up_tool(utt, ents, ctx)
    if tool is None:
        return _no_intent(ents, lexicon)
    return RULES[tool].build(utt, ents, ctx, lexicon)


def _focus_product(utt: Utterance, ents: Entities, lexicon: Lexicon) -> None:
    """In a message of several clauses ("soy de Café Origen, ¿cuántas panelas hay?") the product is the one
    of the clause that carries the request."""
    spans = utt.clause_spans()
    if len(ents.product.skus) < 2 or len(spans) < 2:
        return
    strongest, focus = 0.0, None
    for a, b in spans:
        clause = Utterance(text="", tokens=utt.tokens[a:b], money={i - a for i in utt.money if a <= i < b})
        top = max(keyword_scores(clause).values(), default=0.0)
        if top > strongest:
            strongest, focus = top, (a, clause)
    if focus is None:
        return
    offset, clause = focus
    match = lexicon.match_products(clause)
    if match.sku:
        ents.product = ProductMatch(skus=match.skus, tokens=frozenset(i + offset for i in match.tokens),
                                    explicit=match.explicit)


def companion(text: str, done: list[str], ctx: ThreadContext, lexicon: Lexicon) -> Decision | None:
    """The one other tool the answer to `text` needs: the `then` of the turn's first tool (the request
    itself), unless that tool already ran. One step, never a chain."""
    rule = RULES.get(done[0]) if done else None
    if rule is None or rule.then is None:
        return None
    utt = parse(text)
    follow = rule.then(utt, extract(utt, lexicon), ctx, lexicon)
    return follow if follow is not None and follow.tool and follow.tool not in done else None


def _accepts(utt: Utterance) -> bool:
    """A short yes ("sí", "sí, porfa", "dale"), the answer to an offer."""
    return bool(utt.tokens) and len(utt.tokens) <= SHORT_REPLY_MAX_TOKENS and utt.tokens[0] in YES_WORDS


def _answers(utt: Utterance, ents: Entities) -> bool:
    """A short message that states a value (a number, a product, a place, an id) answers a question."""
    stated = (ents.product.skus or ents.codes or ents.order_id or ents.proposal_id or ents.quantity or ents.price
              or ents.days)
    return bool(stated) and len(utt.tokens) <= ANSWER_MAX_TOKENS


def _small_talk(utt: Utterance, tool: str | None) -> str | None:
    toks = set(utt.tokens)
    if tool is not None or not toks:
        return None if toks else "¿En qué te puedo ayudar?"
    if toks & THANKS:
        return "¡Con gusto! ¿Te ayudo con algo más?"
    if toks & BYES:
        return "¡Hasta pronto! Aquí estaré cuando me necesites."
    if toks & GREETINGS or phrase_at(utt, "que mas") == 0 or phrase_at(utt, "que tal") == 0:
        return ("¡Hola! Soy el asistente de MeStocker. Puedo ayudarte con inventario, pedidos, ventas, "
                "precios y dudas sobre envíos o devoluciones. ¿Qué necesitas?")
    short = len(utt.tokens) <= SHORT_REPLY_MAX_TOKENS
    if short and utt.tokens[0] in NO_WORDS:
        return "Entendido, no haré nada. ¿Te ayudo con algo más?"
    if short and (utt.tokens[0] in YES_WORDS or " ".join(utt.tokens) == "de acuerdo"):
        return "No tengo ninguna acción pendiente de confirmar. ¿En qué te ayudo?"
    return None


def _follow_up_tool(utt: Utterance, ents: Entities, ctx: ThreadContext) -> str | None:
    """ "¿y en Bogotá?" repeats the last tool with what changed."""
    if ctx.tool is None:
        return None
    stated = (ents.product.skus or ents.codes or ents.order_id or ents.quantity or ents.days or ents.price
              or ents.all_warehouses or ents.order_status or ents.limit)
    starts_like_follow_up = bool(utt.tokens) and utt.tokens[0] in FOLLOW_UP_STARTS
    if ctx.tool in WRITE_TOOLS and not (starts_like_follow_up or ents.price or ents.quantity):
        return None  # a write is repeated only when the message clearly continues it ("y 10 más a Medellín")
    return ctx.tool if stated or (starts_like_follow_up and len(utt.tokens) <= FOLLOW_UP_MAX_TOKENS) else None


def _no_intent(ents: Entities, lexicon: Lexicon) -> Decision:
    if ents.order_id:
        return Decision(tool="get_order", args={"order_id": ents.order_id})
    if ents.product.sku:
        product = lexicon.product(ents.product.sku)
        name = product.name if product else ents.product.sku
        return Decision(text=f"¿Qué quieres saber de {name}: inventario, precio o hacer un pedido?")
    if ents.product.skus:
        return Decision(text=which_product(ents.product.skus, lexicon))
    return Decision(
        text="Puedo consultar inventario, pedidos, envíos, ventas y precios. ¿En qué te ayudo?"
    )


