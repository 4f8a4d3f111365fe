"""Privacy classification of chat text: level, entity type counts, Ley 1581 topics — never values.

Levels, lowest to highest (docs/privacy-router.md has the reasoning):

* ``confidential`` — identifiers that let someone take money or impersonate a person: payment
  cards, bank accounts, mobiles tied to a wallet (Nequi, Daviplata), cédulas (CC, CE) and the NIT
  of a natural person (which is their cédula plus a check digit).
* ``sensitive`` — any special category of Ley 1581 art. 5 (health, religion, politics, union,
  sex life, biometrics, ethnic origin), with or without identifiers.
* ``internal`` — contact and delivery data: names, emails, mobiles, landlines, addresses, and a
  company NIT.
* ``public`` — none of the above (stock questions, prices, SKUs, order numbers).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from presidio_analyzer import RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

from router import recognizers as r
from router.nlp import LANGUAGE, get_analyzer, normalize
from router.topics import detect_topics


class Level(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    SENSITIVE = "sensitive"
    CONFIDENTIAL = "confidential"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def local_only(self) -> bool:
        """Sensitive and confidential text never leaves our infrastructure."""
        return self.rank >= _RANK[Level.SENSITIVE]


_RANK = {Level.PUBLIC: 0, Level.INTERNAL: 1, Level.SENSITIVE: 2, Level.CONFIDENTIAL: 3}

ENTITY_LEVELS: dict[str, Level] = {
    r.CREDIT_CARD: Level.CONFIDENTIAL,
    r.CO_BANK_ACCOUNT: Level.CONFIDENTIAL,
    r.CO_WALLET_MOBILE: Level.CONFIDENTIAL,
    r.CO_CEDULA: Level.CONFIDENTIAL,
    r.CO_CEDULA_EXTRANJERIA: Level.CONFIDENTIAL,
    r.CO_NIT_PERSONA: Level.CONFIDENTIAL,
    r.CO_NIT: Level.INTERNAL,
    r.CO_MOBILE: Level.INTERNAL,
    r.CO_LANDLINE: Level.INTERNAL,
    r.CO_ADDRESS: Level.INTERNAL,
    r.EMAIL_ADDRESS: Level.INTERNAL,
    r.PERSON: Level.INTERNAL,
}

# When two recognizers claim overlapping text, the higher score wins; on a tie, the more
# protective reading wins (a 10-digit number near "cédula" and "cuenta" is kept as confidential).
_TIE_BREAK = {entity: -ENTITY_LEVELS[entity].rank for entity in ENTITY_LEVELS}


@dataclass(frozen=True)
class Classification:
    """What a text contains, by type and count only: safe to log and to show."""

    level: Level
    entities: dict[str, int] = field(default_factory=dict)
    topics: tuple[str, ...] = ()
    explanation: str = "no personal data found"

    @property
    def entity_types(self) -> list[str]:
        return sorted(self.entities)


def detect_entities(text: str) -> list[RecognizerResult]:
    """Presidio results for `text`, overlaps resolved, in text order (spans index `text` as given:
    callers that classify pass `normalize(text)`)."""
    if not text.strip():
        return []
    return resolve_overlaps(get_analyzer().analyze(text=text, language=LANGUAGE))


def resolve_overlaps(found: Iterable[RecognizerResult]) -> list[RecognizerResult]:
    """Keep one reading per stretch of text: highest score, then the more protective level."""
    ranked = sorted(found, key=lambda x: (-x.score, _TIE_BREAK.get(x.entity_type, 0), -(x.end - x.start)))
    kept: list[RecognizerResult] = []
    for candidate in ranked:
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda x: x.start)


def _level_of(entities: dict[str, int], topics: Iterable[str]) -> Level:
    levels = [ENTITY_LEVELS.get(entity, Level.INTERNAL) for entity in entities]
    if topics:
        levels.append(Level.SENSITIVE)
    return max(levels, key=lambda level: level.rank, default=Level.PUBLIC)


def _explain(level: Level, entities: dict[str, int], topics: tuple[str, ...]) -> str:
    if level is Level.PUBLIC:
        return "no personal data found"
    parts = []
    if entities:
        parts.append("entities " + ", ".join(f"{name}x{count}" for name, count in sorted(entities.items())))
    if topics:
        parts.append("Ley 1581 art. 5 topics " + ", ".join(topics))
    return f"{level.value}: " + "; ".join(parts)


def build_classification(entities: dict[str, int], topics: Iterable[str]) -> Classification:
    """A Classification from counts and topics (also used to merge several texts)."""
    ordered_topics = tuple(sorted(set(topics)))
    level = _level_of(entities, ordered_topics)
    explanation = _explain(level, entities, ordered_topics)
    return Classification(level, dict(sorted(entities.items())), ordered_topics, explanation)


@lru_cache(maxsize=8192)
def _classify_cached(text: str) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    # A thread's history is re-sent every turn: caching by text makes re-classifying it cheap.
    text = normalize(text)
    counts = Counter(result.entity_type for result in detect_entities(text))
    return tuple(sorted(counts.items())), detect_topics(text)


def classify(text: str) -> Classification:
    """Classify one text."""
    counts, topics = _classify_cached(text)
    return build_classification(dict(counts), topics)


def classify_messages(texts: Iterable[str]) -> Classification:
    """Classify several texts as one: highest level, summed counts, union of topics."""
    total: Counter[str] = Counter()
    topics: set[str] = set()
    for text in texts:
        counts, found = _classify_cached(text)
        total.update(dict(counts))
        topics.update(found)
    return build_classification(dict(total), topics)


_anonymizer = AnonymizerEngine()
_PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d+)>")


class Masker:
    """Replaces detected entities with placeholders like <CO_MOBILE_1>, consistently across texts.

    The same value gets the same placeholder in every text masked by one Masker, so a whole
    conversation can be masked and the answer unmasked with one mapping. The mapping holds raw
    values: keep it in memory for the turn only, never log it.
    """

    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._counters: dict[str, itertools.count[int]] = {}

    def _placeholder(self, entity: str, value: str) -> str:
        key = (entity, value)
        if key not in self._by_value:
            number = next(self._counters.setdefault(entity, itertools.count(1)))
            self._by_value[key] = f"<{entity}_{number}>"
            self.mapping[self._by_value[key]] = value
        return self._by_value[key]

    def mask(self, text: str) -> str:
        """Return `text` with every detected entity replaced (Presidio anonymizer, custom operator).

        The text is normalized first (`router.nlp.normalize`), like for classification, so a value hidden
        with zero-width characters is masked too; the returned text is the normalized one."""
        text = normalize(text)
        results = detect_entities(text)
        if not results:
            return text
        operators = {
            entity: OperatorConfig("custom", {"lambda": lambda value, e=entity: self._placeholder(e, value)})
            for entity in {x.entity_type for x in results}
        }
        spans = [AnonymizerResult(x.entity_type, x.start, x.end, x.score) for x in results]
        return _anonymizer.anonymize(text=text, analyzer_results=spans, operators=operators).text


def mask(text: str) -> tuple[str, dict[str, str]]:
    """Mask one text; returns the masked text and the placeholder → original value mapping."""
    masker = Masker()
    return masker.mask(text), masker.mapping


def unmask(text: str, mapping: dict[str, str]) -> str:
    """Put the original values back where the model echoed placeholders."""
    if not mapping:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
