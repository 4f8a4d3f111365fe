"""Reorder benchmark and forecast accuracy: `python -m bench.bench_reorder [--series N] [--accuracy-only]`.

1. Speed: one cycle's forecasting + policy (`commerce.fulfillment.reorder.plan`, the code the cycle
   runs) over N generated SKU×warehouse series of 90 days, half steady and half intermittent, with
   three warehouses per SKU so the transfer search runs too. Wall time and peak memory (RSS), goal
   ≤ 30 s and ≤ 1 GB.
2. Accuracy on the demo world: the seeded ledger's daily demand; each of the last 28 days is forecast
   from the days before it (one step ahead, as a daily cycle sees it) by the chosen method, by the
   naive baseline (mean of the previous 28 days) and by seasonal-naive (same weekday last week).
   WAPE = Σ|y − ŷ| / Σy and bias = Σ(ŷ − y) / Σy, per SKU×warehouse and pooled.
3. `--statsforecast`: the same fit with Nixtla's statsforecast, where it is installed (it is not a
   project dependency; docs/reorder.md has the numbers and the decision).

Prints Markdown; docs/reorder.md holds a copy of the output.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from commerce.fulfillment.demand import DemandSeries
from commerce.fulfillment.forecast import BACKTEST_DAYS, holdout_paths
from commerce.fulfillment.reorder import StockRow, plan
from commerce.fulfillment.reorder_settings import ReorderSettings

DAYS = 90
WAREHOUSES = ("BOG", "MED", "BAQ")


def generate(series: int, seed: int = 7) -> tuple[list[StockRow], dict[tuple[str, str], DemandSeries | None]]:
    """Half steady (Poisson, weekend lift), half intermittent (sparse Poisson sizes); some stock low."""
    rng = np.random.default_rng(seed)
    steady = series // 2
    rates = rng.uniform(1.0, 15.0, size=(steady, 1)) * np.where(np.arange(DAYS) % 7 >= 5, 1.25, 1.0)
    y_steady = rng.poisson(rates)
    sizes = rng.poisson(rng.uniform(1.0, 4.0, size=(series - steady, 1)), size=(series - steady, DAYS)) + 1
    y_sparse = sizes * (rng.random((series - steady, DAYS)) < rng.uniform(0.05, 0.4, size=(series - steady, 1)))
    y = np.vstack([y_steady, y_sparse]).astype(np.float64)
    rows, demand = [], {}
    last_day = date(2026, 11, 30)
    for index in range(series):
        sku, warehouse = f"SKU-{index // len(WAREHOUSES):05d}", WAREHOUSES[index % len(WAREHOUSES)]
        mean = float(y[index].mean())
        available = int(rng.uniform(0.0, 40.0) * mean)
        rows.append(StockRow(sku=sku, warehouse=warehouse, seller_id=f"SEL-{index % 50:02d}", supplier_id="SUP-X",
                             supplier_name="Proveedor de prueba", lead_time_days=int(rng.integers(3, 22)),
                             moq=int(rng.choice([1, 5, 10, 24, 48])), unit_cost_cop=int(rng.integers(5, 200)) * 1000,
                             available=available))
        demand[(sku, warehouse)] = DemandSeries(sku=sku, warehouse=warehouse, last_day=last_day, units=y[index])
    return rows, demand


def bench_cycle(series: int) -> list[str]:
    rows, demand = generate(series)
    settings = {row.seller_id: ReorderSettings() for row in rows}
    prices = {row.sku: row.unit_cost_cop * 2 for row in rows}
    started = time.perf_counter()
    decisions, notes = plan(rows=rows, demand=demand, settings=settings, covered=set(), prices=prices,
                            today=date(2026, 12, 1))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    transfers = sum(1 for d in decisions if d.plan.uses_transfer)
    return [
        "## Benchmark: one cycle's forecasting + policy", "",
        "| series | wall time | peak RSS (whole process) | proposals | with transfer | goal |",
        "|---|---|---|---|---|---|",
        f"| {series:,} | {seconds:.2f} s | {peak_mb:.0f} MB | {len(decisions):,} | {transfers:,} | ≤ 30 s, ≤ 1 GB |",
        "", f"({len(notes)} notes; generated series, seed 7.)", "",
    ]


def _demo_demand() -> dict[tuple[str, str], DemandSeries | None]:
    """Seed the demo world into a throw-away SQLite database and read its ledger demand."""
    from commerce.fulfillment.demand import daily_demand
    from commerce.shared.clock import utcnow
    from infra.bootstrap import bootstrap
    from infra.seed.world import load_demo_world, seed_demo_world
    from infra.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-reorder-"))
    settings = Settings(_env_file=None, data_dir=folder, database_url=f"sqlite:///{folder}/bench.db",  # type: ignore[call-arg]
                        embedded_worker=False)
    platform = bootstrap(settings)
    try:
        with platform.session_factory() as session:
            seed_demo_world(session, settings)
        keys = [(row["sku"], row["warehouse"]) for row in load_demo_world()["stock"]]
        with platform.read_uow() as uow:
            return daily_demand(uow=uow, as_of=utcnow(), keys=keys)
    finally:
        platform.close()


def _metrics(actual: np.ndarray, forecast: np.ndarray) -> tuple[float, float]:
    total = actual.sum()
    return float(np.abs(actual - forecast).sum() / total), float((forecast - actual).sum() / total)


def accuracy() -> list[str]:
    demand = _demo_demand()
    keys = [k for k, s in demand.items() if s is not None and s.observed_days == DAYS]
    y = np.vstack([demand[k].units for k in keys])  # type: ignore[union-attr]
    ours, methods = holdout_paths(y, holdout=BACKTEST_DAYS)
    days = range(DAYS - BACKTEST_DAYS, DAYS)
    naive = np.stack([y[:, t - 28 : t].mean(axis=1) for t in days], axis=1)
    seasonal = np.stack([y[:, t - 7] for t in days], axis=1)
    actual = y[:, DAYS - BACKTEST_DAYS :]
    lines = ["## Accuracy on the demo world (last 28 days, one step ahead)", "",
             "| SKU | bodega | método elegido | unidades | WAPE | sesgo | WAPE naive | sesgo naive "
             "| WAPE estacional | sesgo estacional |", "|---|---|---|---|---|---|---|---|---|---|"]
    for i, (sku, warehouse) in enumerate(keys):
        cells = [_metrics(actual[i], f[i]) for f in (ours, naive, seasonal)]
        lines.append(f"| {sku} | {warehouse} | {methods[i]} | {actual[i].sum():.0f} | "
                     + " | ".join(f"{w:.0%} | {b:+.0%}" for w, b in cells) + " |")
    pooled = [_metrics(actual.ravel(), f.ravel()) for f in (ours, naive, seasonal)]
    lines.append("| **todas** | | | " + f"{actual.sum():.0f} | "
                 + " | ".join(f"**{w:.0%}** | **{b:+.0%}**" for w, b in pooled) + " |")
    return [*lines, ""]


def bench_statsforecast(series: int) -> list[str]:
    """Import, first fit and a one-step fit over many series with statsforecast (if installed)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "mestocker-numba"))
    started = time.perf_counter()
    try:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import TSB, CrostonSBA, SimpleExponentialSmoothingOptimized
    except ImportError:
        return ["statsforecast is not installed here: see docs/reorder.md for the numbers measured.", ""]
    imported = time.perf_counter() - started
    rows, demand = generate(series)
    y = np.vstack([demand[r.key].units for r in rows])  # type: ignore[union-attr]
    frame = pd.DataFrame({"unique_id": np.repeat(np.arange(series), DAYS),
                          "ds": np.tile(pd.date_range("2026-09-01", periods=DAYS, freq="D"), series), "y": y.ravel()})
    models = [SimpleExponentialSmoothingOptimized(), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1)]
    t0 = time.perf_counter()
    StatsForecast(models=models, freq="D").forecast(df=frame[frame.unique_id < 3], h=1)
    first = time.perf_counter() - t0
    t1 = time.perf_counter()
    StatsForecast(models=models, freq="D").forecast(df=frame, h=1)
    fit = time.perf_counter() - t1
    small = frame[frame.unique_id < series // 10]
    t2 = time.perf_counter()
    StatsForecast(models=models, freq="D").cross_validation(df=small, h=1, n_windows=BACKTEST_DAYS, step_size=1)
    backtest = time.perf_counter() - t2
    return ["## statsforecast", "", "| import | first fit (3 series) | fit, h=1 | 28-window backtest |",
            "|---|---|---|---|",
            f"| {imported:.2f} s | {first:.2f} s | {fit:.2f} s ({series:,} series) | {backtest:.2f} s "
            f"({series // 10:,} series) |", ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bench_reorder", description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--accuracy-only", action="store_true")
    parser.add_argument("--statsforecast", action="store_true", help="measure statsforecast instead")
    args = parser.parse_args(argv)
    if args.statsforecast:
        print("\n".join(bench_statsforecast(args.series)))
        return 0
    out = [] if args.accuracy_only else bench_cycle(args.series)
    out += accuracy()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
