"""Local, measurable estimate of how much reasoning a turn needs — computed before anything leaves.

The score adds weights of the signals found in the latest user message (comparisons, analyses,
recommendations with a justification, multi-step plans, several questions at once) and of the
size of the whole context. A turn "needs cloud" when the score reaches the threshold from the
policy file. Simple look-ups ("¿hay café en Medellín?", "¿por qué no ha llegado mi pedido?")
stay well below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from router.nlp import fold

DEFAULT_THRESHOLD = 0.6
LONG_MESSAGE_WORDS = 80
LONG_CONTEXT_TOKENS = 3000

_SIGNALS: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    (
        "comparison",
        0.6,
        re.compile(
            r"\bcompar\w*|\bdiferencias?\s+entre\b|\bvs\.?\b|\bversus\b|\bcual\s+(?:es\s+)?(?:mejor|conviene|rinde)\b"
            r"|\bpros\s+y\s+contras\b|\bventajas\s+y\s+desventajas\b|\bfrente\s+a\b"
        ),
    ),
    (
        "analysis",
        0.6,
        re.compile(
            r"\banaliz\w*|\banalisis\b|\bevalu[ae]\w*|\btendencias?\b|\bproyect[ae]\w*|\bpronostic\w*|\bestrategi\w*"
            r"|\boptimiz\w*|\bescenarios?\b|\bsimul[ae]\w*|\bestacionalidad\b"
        ),
    ),
    (
        "recommendation",
        0.3,
        re.compile(r"\brecomi[ea]nd\w*|\bsugier\w*|\bsugerenci\w*|\baconsej\w*|\bque\s+me\s+conviene\b"),
    ),
    ("justification", 0.3, re.compile(r"\bpor\s*que\b|\bjustific\w*|\bargument\w*|\bexplic\w*|\brazones\b")),
    (
        "multi_step",
        0.6,
        re.compile(
            r"\bpaso\s+a\s+paso\b|\bplan\b|\bprimero\b.*\b(?:luego|despues|segundo|finalmente)\b"
            r"|(?:^|\n)\s*(?:\d+[.)]|-)\s+\w.*(?:\n\s*(?:\d+[.)]|-)\s+\w.*){2,}",
            re.DOTALL,
        ),
    ),
)


@dataclass(frozen=True)
class Complexity:
    score: float
    signals: tuple[str, ...]
    context_tokens: int
    needs_cloud: bool


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate (~4 characters per token for Spanish BPE vocabularies)."""
    return (len(text) + 3) // 4


def estimate_complexity(
    latest_user_text: str, *, context_tokens: int | None = None, threshold: float = DEFAULT_THRESHOLD
) -> Complexity:
    """Score the latest user message; `context_tokens` is the size of everything sent with it."""
    folded = fold(latest_user_text)
    signals = [name for name, _, pattern in _SIGNALS if pattern.search(folded)]
    score = sum(weight for name, weight, _ in _SIGNALS if name in signals)
    if folded.count("?") >= 2:
        signals.append("several_questions")
        score += 0.2
    if len(folded.split()) > LONG_MESSAGE_WORDS:
        signals.append("long_message")
        score += 0.2
    tokens = estimate_tokens(latest_user_text) if context_tokens is None else context_tokens
    if tokens > LONG_CONTEXT_TOKENS:
        signals.append("long_context")
        score += 0.6
    score = round(score, 2)
    return Complexity(score=score, signals=tuple(signals), context_tokens=tokens, needs_cloud=score >= threshold)
