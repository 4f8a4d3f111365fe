"""Chat benchmark: turns per second and turn latency with the offline model, and what the graph adds.

    .venv/bin/python -m bench.bench_chat [--turns 200] [--no-write]

Three timings over the same stock question, on a seeded SQLite platform:
- a whole turn through ChatService (privacy router on every model call, supervisor graph, checkpointer,
  two or three model calls, the tool);
- the work a turn cannot avoid, called directly: the commerce view behind `get_stock` plus the two
  offline-model calls (choose the tool, compose the answer);
- the difference is the LangGraph + chat-service overhead per turn.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from bench.databases import sqlite_database
from bench.measure import percentile
from bench.report import machine_facts
from bench.sections import write_section
from commerce.fulfillment import views as fviews
from commerce.identity.principal import Principal, Role
from infra.bootstrap import build_chat_service, offline_model
from tools.registry import tools_for

ROOT = Path(__file__).resolve().parent.parent
SELLER = Principal.for_role(user_id=3, email="ventas@cafeorigen.example.co", role=Role.CLIENTE, seller_id="SEL-CAFE")
SCRIPT = [
    "¿Cuántas unidades hay de café huila?",
    "¿y en Medellín?",
    "¿qué productos tienen poco stock en bogotá?",
    "¿cuánto vendí este mes?",
]


def _timed(fn: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with sqlite_database() as db:
        platform = db.platform
        chat = build_chat_service(platform, InMemorySaver(), record_routing=False)
        counter = iter(range(10**9))

        def turn() -> None:
            i = next(counter)
            chat.send(principal=SELLER, thread_id=f"b{i // len(SCRIPT)}", message=SCRIPT[i % len(SCRIPT)])

        _timed(turn, 20)  # warm-up: imports, caches, the catalog lexicon
        started = time.perf_counter()
        turns = _timed(turn, args.turns)
        elapsed = time.perf_counter() - started

        model = offline_model(platform.bus).bind_tools(tools_for("inventory"))
        question = [HumanMessage("¿Cuántas unidades hay de CAF-001 en Bogotá?")]
        call = model.invoke(question)
        result = ToolMessage(content='{"status": "ok", "message": "CAF-001 en BOG: 134 disponibles.", "data": null}',
                             tool_call_id=call.tool_calls[0]["id"])

        def direct() -> None:
            model.invoke(question)
            with platform.bus.read() as uow:
                fviews.get_stock(uow=uow, principal=SELLER, sku="CAF-001", warehouse="BOG")
            model.invoke([*question, AIMessage(content="", tool_calls=call.tool_calls), result])

        direct_ms = _timed(direct, args.turns)
        single = _timed(lambda: chat.send(principal=SELLER, thread_id=f"s{next(counter)}",
                                          message="¿Cuántas unidades hay de CAF-001 en Bogotá?"), args.turns)
    p50_turn, p50_direct, p50_single = (percentile(x, 50) for x in (turns, direct_ms, single))
    rows = [
        ("Mixed script turn (4 questions, threads of 4 turns)", turns),
        ("Single stock question, new thread", single),
        ("Direct: view + 2 offline-model calls (no graph)", direct_ms),
    ]
    now = datetime.now(UTC)
    facts = dict(machine_facts(None))
    lines = [
        "## Chat turns (offline model)",
        "",
        f"Run `.venv/bin/python -m bench.bench_chat` on {now:%Y-%m-%d %H:%M} UTC; {facts['CPUs (`nproc`)']} CPUs "
        f"({facts['CPU model']}), {facts['RAM']}, Python {facts['Python']}, commit {facts['Git commit']}. "
        f"SQLite platform, in-memory checkpointer, {args.turns} timed turns after 20 warm-up turns.",
        "",
        "| what | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|",
        *[f"| {name} | {percentile(v, 50):.1f} | {percentile(v, 95):.1f} | {percentile(v, 99):.1f} |"
          for name, v in rows],
        "",
        f"Throughput: **{args.turns / elapsed:.1f} turns/s** on one thread (mixed script). "
        f"LangGraph + chat-service overhead per turn ≈ single-question p50 − direct p50 = "
        f"**{p50_single - p50_direct:.1f} ms** (privacy classification of each model call, supervisor/agent nodes, "
        "tools node, checkpoint writes, state "
        "reads for the turn summary). The mixed script's p50 is "
        f"{p50_turn:.1f} ms.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", "chat", text)


if __name__ == "__main__":
    main()
