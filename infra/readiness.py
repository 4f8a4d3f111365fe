"""Readiness: is every dependency this process was configured with reachable?

`/readyz` (the API) and the worker's health port answer from `check_dependencies`: the database and
the event bus always; Redis when a URL is configured (cache, web push, login counters); the Chroma
server in `http` mode; the Elasticsearch index when search uses it. Each check is short (a ping with
a one-to-two-second timeout) so an orchestrator's probe never hangs. The local model is not a
dependency: without it the router falls back (docs/privacy-router.md) and the process still serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from infra.settings import ChromaMode

if TYPE_CHECKING:
    from infra.bootstrap import Platform

PROBE_TIMEOUT_S = 1.5


def _redis_ready(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=PROBE_TIMEOUT_S)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _chroma_ready(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url.rstrip('/')}/api/v2/heartbeat", timeout=PROBE_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


def dependency_checks(platform: Platform) -> dict[str, Callable[[], bool]]:
    """name -> check for every dependency the settings configure."""
    settings = platform.settings
    checks: dict[str, Callable[[], bool]] = {"database": platform.database_ready, "bus": platform.publisher.ping}
    redis_urls = {settings.redis_url} | ({settings.rate_limit_storage_url}
                                         if settings.rate_limit_storage_url.startswith("redis") else set())
    for n, url in enumerate(sorted(u for u in redis_urls if u)):
        checks["redis" if n == 0 else f"redis-{n + 1}"] = lambda url=url: _redis_ready(url)  # type: ignore[misc]
    if settings.chroma_mode == ChromaMode.HTTP:
        checks["chroma"] = lambda: _chroma_ready(settings.chroma_url)
    if platform.search_index is not None:
        checks["search"] = platform.search_index.ping
    return checks


def check_dependencies(platform: Platform) -> dict[str, bool]:
    """name -> reachable, for every configured dependency."""
    results = {}
    for name, check in dependency_checks(platform).items():
        try:
            results[name] = bool(check())
        except Exception:
            results[name] = False
    return results
