"""Held-out set v2 (tests/agents/data/heldout_v2.jsonl): es-CO chat written before reading the keyword lists.

Single utterances go straight to the offline model with every tool bound (no thread, no principal); threads
("thread" key) run turn by turn through the whole chat service on the seeded demo world, as the principal
named in "as". A case is right when the model makes exactly the expected tool call with the expected
arguments ("clarify": no tool call, a reply ending in a question). Arguments are compared exactly, except
`query` (the expected text must appear, accent-free and case-folded, inside the model's query) and `lines`
(order-insensitive). The gate is an accuracy threshold, the way evals are gated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.chat import ChatService
from agents.offline import Lexicon
from agents.offline.model import respond
from agents.turns import TurnResult
from commerce.identity.principal import Principal, Role
from commerce.shared.text import fold
from tests.agents.conftest import ADMIN, ANDRES, CAFE, LAURA, TECH
from tools.registry import AGENT_TOOLS

ROOT = Path(__file__).resolve().parents[2]
WORLD = ROOT / "infra" / "seed" / "demo-world.json"
DATA = Path(__file__).with_name("data")
# v2: written before reading the keyword lists; its misses were fixed with general mechanisms (first run
# 77.6% single / 60.5% threads). v2b: written after those fixes and never tuned on — the honest estimate.
SETS = {"v2": (0.95, 0.92), "v2b": (0.85, 0.80)}  # (single-turn gate, thread-turn gate)
ALL_TOOLS: dict[str, dict[str, Any]] = {tool: {} for tools in AGENT_TOOLS.values() for tool in tools}
MODA = Principal.for_role(user_id=4, email="contacto@modaandina.example.co", role=Role.CLIENTE, seller_id="SEL-MODA")
PRINCIPALS = {"ADMIN": ADMIN, "ANDRES": ANDRES, "CAFE": CAFE, "LAURA": LAURA, "TECH": TECH, "MODA": MODA}

Case = dict[str, Any]


def load(name: str) -> tuple[list[Case], list[Case]]:
    text = (DATA / f"heldout_{name}.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r for r in rows if "thread" not in r], [r for r in rows if "thread" in r]


def _same(key: str, want: Any, got: Any) -> bool:
    if key == "query":
        return isinstance(got, str) and fold(str(want)) in fold(got)
    if key == "lines":
        order = sorted(want or [], key=lambda line: line["sku"])
        return isinstance(got, list) and sorted(got, key=lambda line: str(line.get("sku"))) == order
    return bool(got == want)


def matches(case: Case, calls: list[tuple[str, dict[str, Any]]], reply: str) -> bool:
    if case["tool"] == "clarify":
        return not calls and reply.strip().endswith("?")
    if len(calls) != 1 or calls[0][0] != case["tool"]:
        return False
    return all(_same(key, want, calls[0][1].get(key)) for key, want in case["args"].items())


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    world = json.loads(WORLD.read_text(encoding="utf-8"))
    return Lexicon.from_rows(world["products"], world["warehouses"], [o["id"] for o in world["orders"]])


def single_misses(lexicon: Lexicon, cases: list[Case]) -> list[tuple[Case, Any]]:
    misses = []
    for case in cases:
        message = respond([HumanMessage(case["text"])], ALL_TOOLS, lexicon)
        calls = [(c["name"], c["args"]) for c in message.tool_calls]
        if not matches(case, calls, str(message.content)):
            misses.append((case, calls or str(message.content)))
    return misses


def _turn_calls(turn: TurnResult) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.args) for c in turn.tool_calls if not c.name.startswith("transfer_to_")]


def thread_misses(chat: ChatService, threads: list[Case]) -> tuple[int, list[tuple[str, Case, Any]]]:
    total, misses = 0, []
    for row in threads:
        principal = PRINCIPALS[row["as"]]
        for case in row["thread"]:
            total += 1
            turn = chat.send(principal=principal, thread_id=f"heldout-{row['id']}", message=case["text"])
            calls = _turn_calls(turn)
            if not matches(case, calls, turn.reply):
                misses.append((row["id"], case, calls or turn.reply))
    return total, misses


@pytest.mark.parametrize("name", sorted(SETS))
def test_single_utterances(lexicon: Lexicon, name: str) -> None:
    singles, _ = load(name)
    assert name != "v2" or len(singles) >= 150
    misses = single_misses(lexicon, singles)
    accuracy = 1 - len(misses) / len(singles)
    print(f"\nheld-out {name} single-turn accuracy: {accuracy:.1%} ({len(singles) - len(misses)}/{len(singles)})")
    for case, got in misses:
        print(f"  miss {case['id']}: {case['text']!r} → want {case['tool']} {case['args']}; got {got}")
    assert accuracy >= SETS[name][0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", sorted(SETS))
def test_threads(chat: ChatService, name: str) -> None:
    _, threads = load(name)
    total, misses = thread_misses(chat, threads)
    accuracy = 1 - len(misses) / total
    print(f"\nheld-out {name} thread-turn accuracy: {accuracy:.1%} ({total - len(misses)}/{total})")
    for thread_id, case, got in misses:
        print(f"  miss {thread_id}: {case['text']!r} → want {case['tool']} {case['args']}; got {got}")
    assert accuracy >= SETS[name][1]
