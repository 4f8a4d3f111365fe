"""The local complexity estimate."""

from __future__ import annotations

import pytest

from router.complexity import LONG_CONTEXT_TOKENS, estimate_complexity


@pytest.mark.parametrize(
    "text",
    [
        "Compara el café de Huila con el de Nariño",
        "Analiza mis ventas de los últimos 90 días",
        "Recomiéndame una cafetera y explícame por qué",
        "¿Cuál conviene más, el plan básico o el pro?",
        "Primero revisa el stock, luego crea la orden y después avísame",
        "Hazme un plan de reabastecimiento para diciembre",
        "Dame los pros y contras de vender en la plataforma",
    ],
)
def test_complex_turns(text: str) -> None:
    assert estimate_complexity(text).needs_cloud


@pytest.mark.parametrize(
    "text",
    [
        "¿Hay café en Medellín?",
        "¿Por qué no ha llegado mi pedido?",
        "Recomiéndame un café",
        "Cancela el pedido ORD-1001",
        "hola",
        "",
    ],
)
def test_simple_turns(text: str) -> None:
    assert not estimate_complexity(text).needs_cloud


def test_long_context_needs_cloud() -> None:
    result = estimate_complexity("¿y el otro?", context_tokens=LONG_CONTEXT_TOKENS + 1)
    assert result.needs_cloud and "long_context" in result.signals


def test_threshold_is_a_parameter() -> None:
    assert not estimate_complexity("Recomiéndame un café", threshold=0.6).needs_cloud
    assert estimate_complexity("Recomiéndame un café", threshold=0.3).needs_cloud
