"""Money is integer Colombian pesos (COP)."""

from __future__ import annotations


def format_cop(amount: int) -> str:
    """Format integer pesos the Colombian way: 38900 -> '$38.900', -1500 -> '-$1.500'."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,}".replace(",", ".")
