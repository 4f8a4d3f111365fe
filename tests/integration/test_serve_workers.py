"""`mestocker serve --workers N`: refused while state is per process; with Redis and PostgreSQL, several
uvicorn processes answer and share the read cache (a write through one is seen through every other)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD, TEST_KEY_FILE, seeded_database
from tests.services import free_port

MESTOCKER = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_several_workers_are_refused_while_state_is_per_process(tmp_path: Path) -> None:
    env = {**os.environ, "MESTOCKER_DATA_DIR": str(tmp_path), "MESTOCKER_PROFILE": "embedded"}
    for name in ("MESTOCKER_DATABASE_URL", "MESTOCKER_REDIS_URL", "MESTOCKER_BUS", "MESTOCKER_CACHE"):
        env.pop(name, None)
    result = subprocess.run([*MESTOCKER, "serve", "--workers", "2", "--port", str(free_port())], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    for needed in ("MESTOCKER_CACHE", "MESTOCKER_BUS", "MESTOCKER_REDIS_URL", "MESTOCKER_RATE_LIMIT_STORAGE_URL"):
        assert needed in result.stderr


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def postgres_copy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from seeded_database(request, tmp_path)


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_share_the_cache(postgres_copy: str, redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MESTOCKER_DATA_DIR": str(tmp_path), "MESTOCKER_PROFILE": "embedded",
           "MESTOCKER_DATABASE_URL": postgres_copy, "MESTOCKER_BUS": "redis", "MESTOCKER_REDIS_URL": redis_url,
           "MESTOCKER_REDIS_STREAM": f"workers-{port}", "MESTOCKER_RATE_LIMIT_STORAGE_URL": redis_url,
           "MESTOCKER_JWT_SECRET": "x" * 40,
           # the keys the PostgreSQL template was seeded with (personal columns are encrypted)
           "MESTOCKER_ENCRYPTION_KEY_FILE": str(TEST_KEY_FILE)}
    # The output goes to a file, not a pipe nobody reads while the test runs (a full pipe blocks the server).
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    server = subprocess.Popen([*MESTOCKER, "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # two full imports at once on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200 and len(_children(server.pid)) >= 2:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.5)
        assert len(_children(server.pid)) >= 2
        with httpx.Client(base_url=base, timeout=10) as http:
            def token(email: str) -> dict[str, str]:
                body = http.post("/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD}).json()
                return {"Authorization": f"Bearer {body['access_token']}"}

            seller, buyer = token("ventas@cafeorigen.example.co"), token("laura.gomez@example.co")

            def reserved() -> set[int]:
                # New connections spread over the workers; each read fills or hits the shared cache.
                seen = set()
                for _ in range(8):
                    with httpx.Client(base_url=base, timeout=10) as fresh:
                        stock = fresh.get("/v1/inventory/CAF-001?warehouse=BOG", headers=seller).json()
                    seen.add(stock["warehouses"][0]["reserved"])
                return seen

            before = reserved()
            assert len(before) == 1
            placed = http.post("/v1/orders", headers=buyer,
                               json={"lines": [{"sku": "CAF-001", "quantity": 3}], "warehouse": "BOG"})
            assert placed.status_code == 201, placed.text
            assert reserved() == {before.pop() + 3}
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)  # a graceful stop of both workers, on a machine busy with other tests
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            pytest.fail("`serve --workers 2` did not stop within 60 s of SIGTERM; its output:\n"
                        + log_path.read_text()[-4000:])
        finally:
            log.close()
