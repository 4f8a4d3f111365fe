"""The catalog tools as the offline model reads them: the search every agent has, and similar products."""

from __future__ import annotations

from agents.offline.arguments import optional, product_or_question
from agents.offline.cues import hypothetical, names_product
from agents.offline.decision import Decision, ThreadContext
from agents.offline.extract import Entities, search_query
from agents.offline.lexicon import Lexicon
from agents.offline.normalize import Utterance
from agents.offline.rules import CLEAR, DECISIVE, HINT, STRONG, Cue, Reading, ToolRule


def _price_ceiling(r: Reading) -> bool:
    """ "algo por menos de 50 mil": a budget is a shopping question."""
    return bool(r.ents.max_price)


def _prices_a_service(r: Reading) -> bool:
    """ "¿cuánto cuesta el envío?": a price question with no product, next to a knowledge question, prices a
    service, not the catalog."""
    asks_knowledge = "search_knowledge" in r.keywords or hypothetical(r)
    return not r.ents.product.skus and not r.ents.max_price and asks_knowledge


def search_products(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    query = search_query(utt, lex, ents, skip={i for i, _ in ents.warehouses})
    return Decision("search_products", optional(query=query, max_price_cop=ents.max_price))


SEARCH_PRODUCTS = ToolRule(
    tool="search_products",
    keywords=(
        ("busc", 2.5), ("tienen", 2), ("tienes", 1), ("venden", 2.5), ("vendes", 2.5), ("recomiend", 3),
        ("recomend", 3), ("muestr", 1.5), ("catalog", 3), ("ofrec", 2.5), ("opciones", 2), ("algo para", 2),
        ("regalo", 2), ("regalar", 2), ("productos=", 1), ("cuanto cuesta", 2.5), ("cuanto vale", 2.5),
        ("cuanto valen", 2.5),
        ("cuanto cuestan", 2.5), ("precio actual", 2.5), ("cual es el precio", 2.5), ("que precio", 2),
        ("a como", 4),  # "¿a cómo está el café?": the everyday way to ask a price, worth two keywords
        ("cuesta", 1.5), ("que hay", 1.5), ("barat", 2.5), ("economic", 2.5), ("consigo", 2),
        ("consigue", 2), ("quiero ver", 1.5), ("me interesa", 2), ("manejan", 2), ("hay algo", 2),
        ("sugiere", 2), ("sugieres", 2), ("precio de", 1),
    ),
    cues=(
        Cue(_price_ceiling, STRONG),
        Cue(_prices_a_service, -CLEAR, scored_only=True),
    ),
    priority=10,
    build=search_products,
)



# ----- recommend_products -------------------------------------------------------------------------------
def _no_product_to_resemble(r: Reading) -> bool:
    """ "recomiéndame algo para el frío": nothing named to resemble, so it is a search, not "similar to"."""
    return not r.ents.product.skus and not r.ctx.sku


def recommend_products(utt: Utterance, ents: Entities, ctx: ThreadContext, lex: Lexicon) -> Decision:
    sku = product_or_question("recommend_products", ents, ctx, lex, "¿Parecido a cuál producto? Dime su nombre.")
    if isinstance(sku, Decision):
        return sku
    return Decision("recommend_products", {"sku": sku})


RECOMMEND_PRODUCTS = ToolRule(
    tool="recommend_products",
    keywords=(
        ("parecid", 3), ("similar", 3), ("algo como", 2.5), ("otro como", 2.5), ("otra como", 2.5),
        ("del estilo", 2.5), ("del mismo estilo", 1), ("alternativ", 2),
        # Alone, "recomiéndame un café" is a search (search_products weighs it 3); next to a named product
        # and a likeness word it tips the request to "similar to".
        ("recomiend", 1), ("recomend", 1),
    ),
    cues=(
        Cue(names_product, HINT, scored_only=True),
        Cue(_no_product_to_resemble, -DECISIVE, scored_only=True),
    ),
    priority=75,
    build=recommend_products,
)

RULES = (SEARCH_PRODUCTS, RECOMMEND_PRODUCTS)
