"""Offline Spanish NLP engine for Presidio: a blank spaCy pipeline, no model download, ever.

Presidio's default engine wants an English spaCy model and downloads it when missing; no current
Spanish spaCy model installs from PyPI (see docs/privacy-router.md for the options measured).
Our recognizers are pattern based, so the pipeline only has to tokenize and give each token a
"lemma" that Presidio's context enhancer can compare with our Spanish context words. A tiny
component sets the lemma to the lower-cased, accent-free text, so "Cédula", "cedula" and
"CÉDULA" all match the context word "cedula".
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

# The one folding rule lives in commerce.shared.text; re-exported for the router's modules.
from commerce.shared.text import fold as fold

LANGUAGE = "es"
# A candidate needs this score to count; weak (context-only) candidates start far below it.
SCORE_THRESHOLD = 0.5
CONTEXT_BOOST = 0.4

# Presidio logs the words around every match at DEBUG ("Context list is: … 1020345678 …"): the
# personal values themselves. Its logger never goes below INFO, whatever the root level.
logging.getLogger("presidio-analyzer").setLevel(logging.INFO)
CONTEXT_PREFIX_WORDS = 6
CONTEXT_SUFFIX_WORDS = 3


def normalize(text: str) -> str:
    """NFKC and no invisible format characters: what the classifier reads.

    Defeats cheap evasions that keep a text readable for people: zero-width spaces or joiners
    inside a number or a word ("310\u200b456\u200b7890", "diabe\u200btes"), full-width digits
    ("３１０…"), non-breaking spaces between digit groups.
    """
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@Language.component("mestocker_fold_lemma")
def _fold_lemma(doc: Doc) -> Doc:
    for token in doc:
        token.lemma_ = fold(token.text)
    return doc


def blank_spanish_pipeline(keep_words: Iterable[str] = ()) -> Language:
    """A blank Spanish spaCy pipeline whose lemmas are folded words.

    `keep_words` are context words that spaCy lists as Spanish stop words ("cuenta", "número")
    and that Presidio would otherwise skip when it collects the words around a match.
    """
    nlp = spacy.blank(LANGUAGE)
    nlp.add_pipe("mestocker_fold_lemma")
    for word in keep_words:
        for variant in {word, word.capitalize(), word.upper()}:
            nlp.vocab[variant].is_stop = False
    return nlp


class BlankSpanishNlpEngine(SpacyNlpEngine):
    """SpacyNlpEngine whose `load` builds a blank pipeline instead of loading a model."""

    def __init__(self, keep_words: Iterable[str] = ()) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": "blank"}],
            ner_model_configuration=NerModelConfiguration(labels_to_ignore=[]),
        )
        self._keep_words = tuple(keep_words)

    def load(self) -> None:
        self.nlp = {LANGUAGE: blank_spanish_pipeline(self._keep_words)}  # type: ignore[assignment]

    def is_stopword(self, word: str, language: str) -> bool:
        return bool(self.nlp[language].vocab[word].is_stop)  # type: ignore[index]


def context_enhancer() -> LemmaContextAwareEnhancer:
    """Whole-word context matching: a substring match would let "cc" fire inside "acceso"."""
    return LemmaContextAwareEnhancer(
        context_similarity_factor=CONTEXT_BOOST,
        min_score_with_context_similarity=SCORE_THRESHOLD,
        context_prefix_count=CONTEXT_PREFIX_WORDS,
        context_suffix_count=CONTEXT_SUFFIX_WORDS,
        context_matching_mode="whole_word",
    )


_lock = threading.Lock()
_analyzer: AnalyzerEngine | None = None


def build_analyzer() -> AnalyzerEngine:
    """A fresh AnalyzerEngine with MeStocker's recognizers (use `get_analyzer` in app code)."""
    from router.recognizers import build_recognizers, context_vocabulary

    recognizers = build_recognizers()
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    engine = BlankSpanishNlpEngine(keep_words=context_vocabulary(recognizers))
    engine.load()
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=[LANGUAGE],
        default_score_threshold=SCORE_THRESHOLD,
        context_aware_enhancer=context_enhancer(),
    )


def get_analyzer() -> AnalyzerEngine:
    """The process-wide analyzer, built once (about 50 ms) and shared by every thread."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = build_analyzer()
    return _analyzer
