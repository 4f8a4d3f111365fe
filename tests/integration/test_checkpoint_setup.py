"""The PostgreSQL checkpoint store is set up safely by several processes starting at once (`serve --workers N`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.checkpoints import open_checkpointer
from tests.conftest import make_settings


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_first_opens_of_the_checkpoint_store_all_succeed(database_url: str, tmp_path: Path) -> None:
    # Before the advisory lock, two starting workers both ran LangGraph's migrations and one failed its startup
    # with a duplicate `checkpoint_migrations` row.
    settings = make_settings(tmp_path, database_url)
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    closers: list[Callable[[], None]] = []
    lock = threading.Lock()

    def open_one() -> None:
        start.wait(timeout=30)
        try:
            _saver, close = open_checkpointer(settings)
        except BaseException as exc:
            with lock:
                errors.append(exc)
            return
        with lock:
            closers.append(close)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for close in closers:
        close()
    assert errors == [] and len(closers) == 4, errors
