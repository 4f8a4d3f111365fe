"""HTTP latency: a real uvicorn server in a background thread, 16 client threads with httpx."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from api.app import create_app
from bench.databases import ORDER_SKU, WAREHOUSE
from bench.measure import Measurement, run_concurrently
from infra.bootstrap import Platform
from tests.services import serve_app

DEMO_PASSWORD = "mestocker-demo"
ADMIN_EMAIL = "admin@mestocker.example.co"
BUYER_EMAIL = "laura.gomez@example.co"
ORDER_BODY = {"lines": [{"sku": ORDER_SKU, "quantity": 1}], "warehouse": WAREHOUSE}
START_TIMEOUT = 20.0

Request = Callable[[httpx.Client], httpx.Response]


@contextmanager
def serve(platform: Platform) -> Iterator[str]:
    """Serve `create_app(platform)` on a free loopback port; yield the base URL; stop the server after."""
    with serve_app(create_app(platform, background_worker=False), start_timeout=START_TIMEOUT) as url:
        yield url


def token(base_url: str, email: str, platform: Platform | None = None) -> str:
    """An access token; staff (second factor) send a TOTP code computed from their stored secret."""
    form = {"username": email, "password": DEMO_PASSWORD}
    response = httpx.post(f"{base_url}/v1/auth/token", data=form, timeout=30)
    if response.status_code == 401 and platform is not None and response.json().get("code") == "mfa_required":
        from tests.conftest import totp_code

        response = httpx.post(f"{base_url}/v1/auth/token", data={**form, "otp": totp_code(platform, email)},
                              timeout=30)
    response.raise_for_status()
    return str(response.json()["access_token"])


def get(path: str) -> Request:
    return lambda client: client.get(path)


def post_order(client: httpx.Client) -> httpx.Response:
    return client.post("/v1/orders", json=ORDER_BODY, headers={"Idempotency-Key": f"bench-{uuid.uuid4().hex}"})


def measure_endpoint(name: str, base_url: str, request: Request, *, expected_status: int, bearer: str | None,
                     requests: int, clients: int) -> Measurement:
    """`requests` requests from `clients` threads, each with its own keep-alive httpx.Client."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    # A pool of keep-alive clients, one per thread: each call borrows one and gives it back, so the
    # connections the warm-up opened are the ones the timed run uses.
    pool: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
    opened = [httpx.Client(base_url=base_url, headers=headers, timeout=60) for _ in range(clients)]
    for c in opened:
        pool.put(c)

    def call(_index: int) -> None:
        c = pool.get()
        try:
            response = request(c)
        finally:
            pool.put(c)
        if response.status_code != expected_status:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:120]}")

    try:
        warm = run_concurrently(f"{name} warm-up", call, operations=clients * 2, concurrency=clients)
        measurement = run_concurrently(name, call, operations=requests, concurrency=clients)
        measurement.untimed_ok = warm.succeeded
        return measurement
    finally:
        for c in opened:
            c.close()
