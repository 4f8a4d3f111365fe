"""One turn at a time per thread: two messages of the same thread never run the graph together."""

from __future__ import annotations

import threading


class ThreadLocks:
    """A lock per checkpoint thread, created on first use."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: str) -> threading.Lock:
        """The lock of thread `key` (the same object for every caller)."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())
