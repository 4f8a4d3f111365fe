"""MeStocker's knowledge base: Spanish policy documents, offline embeddings, ChromaDB, cited retrieval.

This package takes plain parameters (a path or a URL); `infra.knowledge.build_knowledge(settings)`
turns settings into a `KnowledgeBase`. It never imports infra or agents.
"""

from knowledge.base import RELEVANCE_GATE, KnowledgeBase
from knowledge.catalog import CatalogItem, ProductIndex, ProductMatch
from knowledge.retrieval import Passage, RelevanceGate, RetrievalMode
from knowledge.store import StoreError, SyncReport, open_client

__all__ = ["RELEVANCE_GATE", "CatalogItem", "KnowledgeBase", "Passage", "ProductIndex", "ProductMatch",
           "RelevanceGate", "RetrievalMode", "StoreError", "SyncReport", "open_client"]
