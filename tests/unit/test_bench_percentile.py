"""The one percentile function behind every published p50/p95/p99 in bench/."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from bench.measure import Measurement, percentile


def test_linear_interpolation_between_the_nearest_samples() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5) == statistics.median(values)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([10.0, 20.0], 95) == pytest.approx(19.5)


def test_agrees_with_numpy_linear_and_stays_within_the_samples() -> None:
    numpy = pytest.importorskip("numpy")
    rng = random.Random(8)
    for size in (2, 3, 7, 40, 1000):
        values = [rng.lognormvariate(0, 1) for _ in range(size)]
        for pct in (50, 95, 99):
            got = percentile(values, pct)
            assert got == pytest.approx(float(numpy.percentile(values, pct, method="linear")))
            assert min(values) <= got <= max(values)


def test_empty_single_and_bad_input() -> None:
    assert math.isnan(percentile([], 95))
    assert percentile([0.004], 99) == 0.004
    with pytest.raises(ValueError):
        percentile([1.0, 2.0], 100)


def test_measurement_reports_milliseconds_through_it() -> None:
    m = Measurement("x", 1, 4, 1.0, latencies=[0.001, 0.002, 0.003, 0.004])
    assert m.p50_ms == pytest.approx(2.5) and m.p95_ms == pytest.approx(3.85)
