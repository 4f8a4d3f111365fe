"""Privacy-router latency: `python -m bench.bench_router [--quick]`.

Measures, in one run on one machine:
* classification latency p50/p95/p99 for ~30-word and ~300-word Spanish messages — the full
  `classify` (Presidio with our recognizers + overlap resolution + Ley 1581 topics), uncached;
* a bare Presidio `analyze` call on the same texts (our recognizers, and Presidio's stock ones);
* the router's added overhead per chat turn: RoutedChatModel over an instant fake model versus
  calling the fake model directly, with a 6-message history (history texts hit the cache, as in
  a real thread; the new message does not).
Prints a markdown table with the machine's facts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import spacy
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngine, SpacyNlpEngine
from presidio_analyzer.nlp_engine.no_op_nlp_engine import NoOpNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)

from bench.measure import percentile
from bench.sections import write_section
from router import classifier
from router.classifier import resolve_overlaps
from router.models import ModelRegistry, RegisteredModel
from router.nlp import LANGUAGE, SCORE_THRESHOLD, BlankSpanishNlpEngine, context_enhancer, get_analyzer
from router.policy import Policy
from router.recognizers import OfflineEmailRecognizer, build_recognizers, context_vocabulary
from router.routed_model import RoutedChatModel

SENTENCES = [
    "Hola, quiero saber si tienen café de origen Huila en la bodega de Medellín",
    "necesito {n} unidades del SKU CAF-00{d} para el pedido ORD-10{d}{d}",
    "el precio que vi en la página era de ${n}.900 pero en el carrito sale distinto",
    "me pueden llamar al 310 555 12{d}{d} cuando el domiciliario esté cerca",
    "la dirección de entrega es la Calle {n} # 12-3{d} Apto 50{d} en Bogotá",
    "mi correo es cliente{n}@gmail.com por si necesitan enviarme la factura",
    "el pedido llegó con una caja abierta y faltan {d} paquetes de chocolate",
    "¿cuánto se demora el envío a Barranquilla si lo pido hoy antes de las tres?",
    "quiero devolver el producto porque no era la talla que pedí",
    "para el reembolso mi cédula es 1.020.{n}.05{d}",
    "tengo diabetes y quiero saber si el endulzante sirve",
    "por favor confirmen si hay stock en Cali o si toca esperar a la próxima semana",
]


def message(words: int, rng: random.Random) -> str:
    parts: list[str] = []
    while sum(len(p.split()) for p in parts) < words:
        template = rng.choice(SENTENCES)
        parts.append(template.format(n=rng.randint(100, 999), d=rng.randint(1, 9)))
    return ". ".join(parts)


def percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds of samples in seconds (`bench.measure.percentile`)."""
    return percentile(samples, 50) * 1000, percentile(samples, 95) * 1000, percentile(samples, 99) * 1000


def timed(operation: Callable[[Any], object], inputs: Sequence[Any], warmup: int = 20) -> list[float]:
    for item in inputs[:warmup]:
        operation(item)
    samples = []
    for item in inputs:
        start = time.perf_counter()
        operation(item)
        samples.append(time.perf_counter() - start)
    return samples


class InstantModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "instant"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))])


def stock_analyzer() -> AnalyzerEngine:
    engine = BlankSpanishNlpEngine()
    engine.load()
    recognizers = [
        OfflineEmailRecognizer(),
        CreditCardRecognizer(supported_language=LANGUAGE),
        PhoneRecognizer(supported_language=LANGUAGE),
        IbanRecognizer(supported_language=LANGUAGE),
    ]
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE])


def classify_uncached(text: str) -> classifier.Classification:
    counts, topics = classifier._classify_cached.__wrapped__(text)
    return classifier.build_classification(dict(counts), topics)


def turns(count: int, rng: random.Random) -> list[list[BaseMessage]]:
    history: list[BaseMessage] = [SystemMessage("Eres el asistente de MeStocker.")]
    for _ in range(3):
        history += [HumanMessage(message(30, rng)), AIMessage("Claro, ya lo reviso.")]
    return [[*history, HumanMessage(message(30, rng))] for _ in range(count)]


def run(quick: bool) -> list[tuple[str, int, tuple[float, float, float], float]]:
    rng = random.Random(1581)
    n_short, n_long, n_turns = (200, 60, 200) if quick else (2000, 400, 1000)
    short = [message(30, rng) for _ in range(n_short)]
    long = [message(300, rng) for _ in range(n_long)]
    ours, stock = get_analyzer(), stock_analyzer()
    rows = []
    for label, texts in (("~30 words", short), ("~300 words", long)):
        for name, operation in (
            ("bare Presidio analyze, stock recognizers", lambda t: stock.analyze(text=t, language=LANGUAGE)),
            ("bare Presidio analyze, our recognizers", lambda t: ours.analyze(text=t, language=LANGUAGE)),
            ("classify (analyze + overlaps + topics), uncached", classify_uncached),
        ):
            samples = timed(operation, texts)
            rows.append((f"{name} — {label}", len(samples), percentiles(samples), statistics.fmean(samples) * 1000))
    fake = InstantModel()
    registry = ModelRegistry(
        [RegisteredModel("local:bench", "local", fake), RegisteredModel("offline", "offline", fake)]
    )
    routed = RoutedChatModel(registry=registry, policy=Policy.load(), sink=lambda record: None)
    direct = timed(fake.invoke, turns(n_turns, rng))
    via_router = timed(routed.invoke, turns(n_turns, rng))
    rows.append(
        ("fake model called directly, per turn", len(direct), percentiles(direct), statistics.fmean(direct) * 1000)
    )
    rows.append(
        ("RoutedChatModel over the same fake, per turn", len(via_router), percentiles(via_router),
         statistics.fmean(via_router) * 1000)
    )  # fmt: skip
    (d50, d95, d99), (v50, v95, v99) = percentiles(direct), percentiles(via_router)
    difference = statistics.fmean(via_router) * 1000 - statistics.fmean(direct) * 1000
    rows.append(
        ("router overhead per turn (percentile differences)", n_turns, (v50 - d50, v95 - d95, v99 - d99), difference)
    )
    return rows


LABELLED = Path(__file__).resolve().parents[1] / "tests" / "router" / "data" / "labelled_messages.jsonl"


def _engine_variants() -> dict[str, tuple[NlpEngine, list[EntityRecognizer]]]:
    """NLP engines that run offline here, each with our recognizers (+ spaCy NER where it exists)."""
    variants: dict[str, tuple[NlpEngine, list[EntityRecognizer]]] = {}
    ours = BlankSpanishNlpEngine(keep_words=context_vocabulary(build_recognizers()))
    ours.load()
    variants["blank es + folded lemma (chosen)"] = (ours, build_recognizers())
    plain = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "blank"}])
    plain.nlp = {LANGUAGE: spacy.blank(LANGUAGE)}  # type: ignore[assignment]
    variants["blank es, no lemma component"] = (plain, build_recognizers())
    noop = NoOpNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "noop"}])
    noop.load()
    variants["NoOp engine (no tokens)"] = (noop, build_recognizers())
    if spacy.util.is_package("es_core_news_sm"):
        ner = SpacyNlpEngine(models=[{"lang_code": LANGUAGE, "model_name": "es_core_news_sm"}])
        ner.load()
        person = SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["PERSON"])
        variants["es_core_news_sm 3.1.0 + NER PERSON"] = (ner, [*build_recognizers(), person])
    return variants


def compare_engines(samples: int) -> None:
    """Latency on ~30-word messages and micro precision/recall on the labelled set, per engine."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(7)
    texts = [message(30, rng) for _ in range(samples)]
    print("| NLP engine | p50 ms | p95 ms | micro P | micro R | PERSON P | PERSON R |")
    print("|---|---|---|---|---|---|---|")
    for name, (engine, recognizers) in _engine_variants().items():
        registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
        analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=engine, supported_languages=[LANGUAGE],
            default_score_threshold=SCORE_THRESHOLD, context_aware_enhancer=context_enhancer(),
        )  # fmt: skip

        def analyze(text: str, a: AnalyzerEngine = analyzer) -> object:
            return a.analyze(text=text, language=LANGUAGE)

        p50, p95, _ = percentiles(timed(analyze, texts))
        tp: Counter[str] = Counter()
        fp: Counter[str] = Counter()
        fn: Counter[str] = Counter()
        for row in rows:
            want = Counter(row["entities"])
            got = Counter(
                r.entity_type for r in resolve_overlaps(analyzer.analyze(text=row["text"], language=LANGUAGE))
            )
            for key in want | got:
                hit = min(want[key], got[key])
                tp[key], fp[key], fn[key] = tp[key] + hit, fp[key] + got[key] - hit, fn[key] + want[key] - hit

        def ratio(a: int, b: int) -> float:
            return a / (a + b) if a + b else 1.0

        micro_p = ratio(sum(tp.values()), sum(fp.values()))
        micro_r = ratio(sum(tp.values()), sum(fn.values()))
        print(
            f"| {name} | {p50:.2f} | {p95:.2f} | {micro_p:.2f} | {micro_r:.2f} | "
            f"{ratio(tp['PERSON'], fp['PERSON']):.2f} | {ratio(tp['PERSON'], fn['PERSON']):.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    parser.add_argument("--engines", action="store_true", help="compare the offline NLP engines instead")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.engines:
        compare_engines(200 if args.quick else 1000)
        return
    rows = run(args.quick)
    lines = [
        "## Privacy router (classification latency and overhead per turn)",
        "",
        f"`.venv/bin/python -m bench.bench_router` — {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Target: p95 ≤ 5 ms for a 30-word message. "
        "Details and the NLP-engine comparison: docs/privacy-router.md.",
        "",
        "| measurement | n | p50 ms | p95 ms | p99 ms | mean ms |",
        "|---|---|---|---|---|---|",
        *[f"| {name} | {count} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {mean:.2f} |"
          for name, count, (p50, p95, p99), mean in rows],
    ]
    print("\n".join(lines))
    if not args.quick and not args.no_write:
        write_section(Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md", "router", "\n".join(lines))


if __name__ == "__main__":
    main()
