"""bench_wrk's per-process CPU accounting: the API's child processes count as the API, the worker as the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bench.bench_wrk import cpu_by_kind

# The child burns CPU, then stays alive (as a uvicorn worker does): a finished process's ticks leave /proc.
BURN = "import time\nend = time.process_time() + 0.8\nwhile time.process_time() < end: pass\ntime.sleep(30)\n"


def test_cpu_of_a_child_counts_for_its_parent_and_an_idle_process_counts_nothing() -> None:
    # A parent that starts a CPU-burning child (as uvicorn's supervisor starts its workers), and an idle "worker".
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BURN!r}])"],
                              start_new_session=True)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)  # both started
        before = cpu_by_kind(parent.pid, idle.pid)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            after = cpu_by_kind(parent.pid, idle.pid)
            if after["api"] - before["api"] >= 0.3:
                break
            time.sleep(0.1)
        assert after["api"] - before["api"] >= 0.3, (before, after)
        assert after["worker"] - before["worker"] < 0.05
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        idle.kill()
        parent.wait()
        idle.wait()
