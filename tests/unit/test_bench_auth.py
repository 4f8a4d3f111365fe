"""bench_auth reads wrk's report: rate, median and p99 latency, and every kind of failed request."""

from __future__ import annotations

import pytest

from bench.bench_auth import _ms, parse_wrk

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:41234
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    34.61ms   20.12ms 161.30ms   70.00%
    Req/Sec    97.50     20.10   150.00     68.00%
  Latency Distribution
     50%   34.60ms
     75%   45.00ms
     90%   60.00ms
     99%  161.30ms
  1964 requests in 10.09s, 512.00KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 5
Requests/sec:    194.62
Transfer/sec:     50.74KB
"""


def test_parse_wrk_reads_rate_latency_and_failures() -> None:
    result = parse_wrk("GET /v1/auth/me", 8, WRK_OUTPUT)
    assert (result.requests_per_second, result.p50_ms, result.p99_ms, result.requests) == (194.62, 34.6, 161.3, 1964)
    assert result.bad == 10  # 5 non-2xx + 2 read errors + 3 timeouts


@pytest.mark.parametrize(("text", "ms"), [("850.00us", 0.85), ("34.60ms", 34.6), ("1.20s", 1200.0)])
def test_latency_units(text: str, ms: float) -> None:
    assert _ms(text) == pytest.approx(ms)


def test_a_run_without_a_distribution_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError, match="latency distribution"):
        parse_wrk("POST /v1/auth/token", 4, "Running 10s test\n  0 requests in 10.00s\nRequests/sec: 0.00\n")
