"""Human-readable numbers (ORD-, PO-, TRF-, TCK-): unique under concurrency on both databases, continuing after the
seed; on PostgreSQL a sequence (no lock held until commit: a refused order leaves a gap), on SQLite a counter row
(no gaps). commerce/shared/sequences.py, migration 0018."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from commerce.marketplace.models import Order
from commerce.shared.sequences import next_value
from infra.bootstrap import Platform


def _next_in_own_transaction(platform: Platform, name: str, *, commit: bool = True) -> int:
    with platform.uow() as uow:
        value = next_value(uow, name)
        if commit:
            uow.commit()
        return value


def test_the_first_number_after_the_seed_follows_the_last_seeded_order(platform: Platform) -> None:
    with platform.read_uow() as uow:
        last = int(str(uow.session.scalar(select(func.max(Order.id)))).split("-")[1])
    assert _next_in_own_transaction(platform, "order") == last + 1


def test_concurrent_transactions_never_get_the_same_number(platform: Platform) -> None:
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            for _ in range(10):
                value = _next_in_own_transaction(platform, "purchase_order")
                with lock:
                    got.append(value)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(got) == 60 and len(set(got)) == 60


def test_a_rolled_back_number_is_reused_only_on_sqlite(platform: Platform) -> None:
    first = _next_in_own_transaction(platform, "transfer", commit=False)  # rolled back
    second = _next_in_own_transaction(platform, "transfer")
    if platform.settings.is_sqlite:
        assert second == first
    else:
        assert second == first + 1  # a sequence does not give numbers back
