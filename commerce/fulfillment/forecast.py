"""Daily demand forecasts: exponential smoothing for steady series, Croston-SBA and TSB for intermittent ones.

The method of each series is chosen by a rolling backtest: every day of the last `BACKTEST_DAYS` is
forecast from the days before it (one step ahead, the way a cycle that runs every day sees it) and
the method with the smallest RMSE wins. RMSE, not MAE: on a series that sells on one day in five
the MAE-optimal forecast is zero, which would never reorder. The winner's backtest residuals give
the σ the safety stock covers.

Written in numpy, vectorised across series, instead of statsforecast: docs/reorder.md has the
measurements (import and numba compilation cost seconds per process, while 10,000 series here take
well under a second). The formulas are statsforecast's (SimpleExponentialSmoothingOptimized,
CrostonSBA, TSB), so switching is a local change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

BACKTEST_DAYS = 28
WARM_UP_DAYS = 7  # initial levels use the first week; its one-step errors are not scored
SES_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
CROSTON_ALPHA = 0.1  # statsforecast's CrostonSBA default
TSB_ALPHA = 0.1  # demand size
TSB_BETA = 0.1  # demand probability
INTERMITTENT_ADI = 1.32  # Syntetos-Boylan: more than 1.32 days per demand on average is intermittent


class Method(StrEnum):
    SES = "ses"
    CROSTON_SBA = "croston_sba"
    TSB = "tsb"
    NONE = "sin_demanda"


METHOD_LABELS: dict[Method, str] = {
    Method.SES: "suavización exponencial simple",
    Method.CROSTON_SBA: "Croston-SBA",
    Method.TSB: "TSB",
    Method.NONE: "sin ventas en el periodo",
}
CANDIDATES = (Method.SES, Method.CROSTON_SBA, Method.TSB)


@dataclass(frozen=True)
class Forecast:
    """Units per day expected from tomorrow on, with the one-step error σ of the chosen method."""

    method: Method
    daily: float
    sigma: float
    intermittent: bool
    adi: float  # average days between days with demand
    backtest_rmse: dict[Method, float]
    alpha: float | None = None


# --- one-step-ahead paths: F[:, t] forecasts day t from days < t; F[:, T] forecasts tomorrow ---------


def ses_paths(y: Array, alphas: Sequence[float] = SES_ALPHAS) -> NDArray[np.float64]:
    """Simple exponential smoothing for every alpha: shape (series, alphas, days + 1)."""
    series, days = y.shape
    alpha = np.asarray(alphas, dtype=np.float64)[None, :]
    level = np.repeat(y[:, :WARM_UP_DAYS].mean(axis=1, keepdims=True), alpha.shape[1], axis=1)
    paths = np.empty((series, alpha.shape[1], days + 1))
    for t in range(days):
        paths[:, :, t] = level
        level = level + alpha * (y[:, t : t + 1] - level)
    paths[:, :, days] = level
    return paths


def croston_sba_path(y: Array, alpha: float = CROSTON_ALPHA) -> Array:
    """Croston with the Syntetos-Boylan bias correction: (1 - α/2) · size / interval."""
    series, days = y.shape
    size, interval = np.zeros(series), np.ones(series)
    since_last = np.ones(series)  # days since the previous demand, counting the current one
    seen = np.zeros(series, dtype=bool)
    path = np.empty((series, days + 1))
    for t in range(days):
        path[:, t] = np.where(seen, (1 - alpha / 2) * size / interval, 0.0)
        demand = y[:, t] > 0
        first, later = demand & ~seen, demand & seen
        size = np.where(first, y[:, t], np.where(later, size + alpha * (y[:, t] - size), size))
        interval = np.where(first, since_last, np.where(later, interval + alpha * (since_last - interval), interval))
        seen |= demand
        since_last = np.where(demand, 1.0, since_last + 1)
    path[:, days] = np.where(seen, (1 - alpha / 2) * size / interval, 0.0)
    return path


def tsb_path(y: Array, alpha: float = TSB_ALPHA, beta: float = TSB_BETA) -> Array:
    """Teunter-Syntetos-Babai: probability of demand × size, the probability decays on empty days."""
    series, days = y.shape
    probability = (y[:, :WARM_UP_DAYS] > 0).mean(axis=1)
    first_nonzero = np.argmax(y > 0, axis=1)
    size = np.where((y > 0).any(axis=1), y[np.arange(series), first_nonzero], 0.0)
    path = np.empty((series, days + 1))
    for t in range(days):
        path[:, t] = probability * size
        demand = y[:, t] > 0
        probability = probability + beta * (demand - probability)
        size = np.where(demand, size + alpha * (y[:, t] - size), size)
    path[:, days] = probability * size
    return path


def _rmse(errors: Array) -> Array:
    return np.sqrt(np.mean(errors**2, axis=-1))


@dataclass(frozen=True)
class _Fit:
    paths: dict[Method, Array]  # (series, days + 1) each
    alpha: Array  # SES alpha per series
    chosen: NDArray[np.int64]  # index into CANDIDATES
    rmse: Array  # (series, candidates) over the backtest window


def _fit(y: Array, backtest_days: int) -> _Fit:
    """Fit every candidate on equal-length series and pick one per series by backtest RMSE."""
    days = y.shape[1]
    scored = slice(min(WARM_UP_DAYS, days - 1), days)
    ses = ses_paths(y)
    # Alpha by in-sample one-step SSE after the warm-up, as statsforecast's optimised SES does.
    sse = ((ses[:, :, scored] - y[:, None, scored]) ** 2).sum(axis=2)
    best_alpha = sse.argmin(axis=1)
    rows = np.arange(y.shape[0])
    paths = {Method.SES: ses[rows, best_alpha, :], Method.CROSTON_SBA: croston_sba_path(y), Method.TSB: tsb_path(y)}
    window = slice(max(scored.start, days - backtest_days), days)
    rmse = np.stack([_rmse(paths[m][:, window] - y[:, window]) for m in CANDIDATES], axis=1)
    return _Fit(paths=paths, alpha=np.asarray(SES_ALPHAS)[best_alpha], chosen=rmse.argmin(axis=1), rmse=rmse)


def forecast_many(series: Sequence[Array], *, backtest_days: int = BACKTEST_DAYS) -> list[Forecast]:
    """Forecast each daily series (any lengths ≥ 1); series of equal length are fitted together."""
    results: list[Forecast | None] = [None] * len(series)
    by_length: dict[int, list[int]] = {}
    for index, values in enumerate(series):
        by_length.setdefault(int(values.size), []).append(index)
    for length, indices in by_length.items():
        y = np.vstack([np.asarray(series[i], dtype=np.float64) for i in indices]).reshape(len(indices), length)
        fit = _fit(y, backtest_days) if length >= 2 else None
        for row, index in enumerate(indices):
            results[index] = _one(y[row], fit, row)
    return [r for r in results if r is not None]


def _one(y: Array, fit: _Fit | None, row: int) -> Forecast:
    demand_days = int((y > 0).sum())
    adi = y.size / demand_days if demand_days else float("inf")
    if demand_days == 0 or fit is None:
        mean = float(y.mean()) if y.size else 0.0
        return Forecast(method=Method.NONE if demand_days == 0 else Method.SES, daily=mean, sigma=mean,
                        intermittent=adi > INTERMITTENT_ADI, adi=adi, backtest_rmse={})
    method = CANDIDATES[int(fit.chosen[row])]
    return Forecast(
        method=method,
        daily=float(fit.paths[method][row, -1]),
        sigma=float(fit.rmse[row, int(fit.chosen[row])]),
        intermittent=adi > INTERMITTENT_ADI,
        adi=adi,
        backtest_rmse={m: float(fit.rmse[row, i]) for i, m in enumerate(CANDIDATES)},
        alpha=float(fit.alpha[row]) if method is Method.SES else None,
    )


def holdout_paths(y: Array, *, holdout: int = BACKTEST_DAYS) -> tuple[Array, list[Method]]:
    """One-step forecasts of the last `holdout` days, the method chosen on the days before them only."""
    train = y[:, :-holdout]
    chosen = _fit(train, BACKTEST_DAYS)
    methods = [CANDIDATES[int(i)] for i in chosen.chosen]
    full = _refit_paths(y, chosen.alpha)
    forecasts = np.stack([full[m][row, -holdout - 1 : -1] for row, m in enumerate(methods)])
    return forecasts, methods


def _refit_paths(y: Array, alpha: Array) -> dict[Method, Array]:
    """Every candidate's one-step path over the whole series, SES with the alpha fitted on training days."""
    ses = ses_paths(y)
    index = np.searchsorted(np.asarray(SES_ALPHAS), alpha)
    return {Method.SES: ses[np.arange(y.shape[0]), index, :], Method.CROSTON_SBA: croston_sba_path(y),
            Method.TSB: tsb_path(y)}
