"""The offline model's vocabulary (catalog and warehouses), read from the database and cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import select

from agents.offline import Lexicon
from commerce.fulfillment.models import Warehouse
from commerce.marketplace.models import Product
from commerce.shared.messagebus import MessageBus


def lexicon_provider(bus: MessageBus, ttl_seconds: float = 60.0) -> Callable[[], Lexicon]:
    """A provider that reloads the catalog at most every `ttl_seconds` (new products, new prices)."""
    lock = threading.Lock()
    cached: list[tuple[float, Lexicon]] = []

    def load() -> Lexicon:
        with lock:
            if cached and time.monotonic() - cached[0][0] < ttl_seconds:
                return cached[0][1]
            with bus.read() as uow:
                products = list(uow.session.scalars(select(Product).where(Product.active.is_(True))))
                warehouses = list(uow.session.scalars(select(Warehouse)))
                lexicon = Lexicon.from_rows(products, warehouses)
            cached[:] = [(time.monotonic(), lexicon)]
            return lexicon

    return load
