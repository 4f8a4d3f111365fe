"""The PostgreSQL checkpoint store is set up safely by several processes starting at once (`serve --workers N`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    def open_one(_: int) -> tuple[object, Callable[[], None]]:
        start.wait(timeout=30)
        return open_checkpointer(settings)

    with ThreadPoolExecutor(max_workers=4) as pool:
        opened = list(pool.map(open_one, range(4)))  # a start that fails raises here
    for _saver, close in opened:
        close()
    assert len(opened) == 4
