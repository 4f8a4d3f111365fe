"""recommend_products as the offline model reads it: held-out phrasings written before tuning its keywords.

"Parecido a X" with a named product is a recommendation; a described need with no product to resemble
("recomiéndame algo para el frío") stays a catalog search; "algo parecido" alone asks which product.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.offline import Lexicon
from agents.offline.model import respond
from tests.agents.test_offline_heldout_v2 import ALL_TOOLS, WORLD, matches

DATA = Path(__file__).with_name("data") / "heldout_recommend.jsonl"
CASES = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
GATE = 0.85  # accuracy over the set, as the other held-out sets are gated


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    world = json.loads(WORLD.read_text(encoding="utf-8"))
    return Lexicon.from_rows(world["products"], world["warehouses"], [o["id"] for o in world["orders"]])


def _outcome(lexicon: Lexicon, case: dict[str, Any]) -> bool:
    message = respond([HumanMessage(case["text"])], ALL_TOOLS, lexicon)
    calls = [(c["name"], c["args"]) for c in message.tool_calls]
    return matches(case, calls, message.text)


def test_recommend_heldout_gate(lexicon: Lexicon) -> None:
    missed = [c["id"] for c in CASES if not _outcome(lexicon, c)]
    accuracy = 1 - len(missed) / len(CASES)
    assert accuracy >= GATE, f"{accuracy:.1%}; missed {missed}"


def test_a_named_product_with_a_likeness_word_is_a_recommendation(lexicon: Lexicon) -> None:
    message = respond([HumanMessage("tienen algo parecido a la ruana?")], ALL_TOOLS, lexicon)
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("recommend_products", {"sku": "MOD-101"})]
