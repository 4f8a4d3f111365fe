"""The forecaster on series small enough to follow by hand."""

from __future__ import annotations

import numpy as np
import pytest

from commerce.fulfillment.forecast import (
    Method,
    croston_sba_path,
    forecast_many,
    holdout_paths,
    ses_paths,
    tsb_path,
)

SPARSE = np.array([[0, 0, 3, 0, 0, 0, 6, 0]], dtype=float)


def test_ses_starts_at_the_first_week_mean_and_moves_by_alpha() -> None:
    y = np.array([[2, 2, 2, 2, 2, 2, 2, 9]], dtype=float)
    path = ses_paths(y, alphas=(0.5,))[0, 0]
    assert list(path[:8]) == [2.0] * 8
    assert path[8] == pytest.approx(2 + 0.5 * (9 - 2))


def test_croston_sba_by_hand() -> None:
    path = croston_sba_path(SPARSE, alpha=0.1)[0]
    # Nothing before the first demand; then size 3 over an interval of 3 days (the demand came on day 3).
    assert list(path[:3]) == [0.0, 0.0, 0.0]
    assert path[3] == pytest.approx(0.95 * 3 / 3)
    # Second demand: 6 units after 4 days → size 3 + 0.1·(6-3) = 3.3, interval 3 + 0.1·(4-3) = 3.1.
    assert path[7] == pytest.approx(0.95 * 3.3 / 3.1)
    assert path[8] == pytest.approx(0.95 * 3.3 / 3.1)


def test_tsb_by_hand() -> None:
    path = tsb_path(SPARSE, alpha=0.1, beta=0.1)[0]
    p, size = 2 / 7, 3.0  # demand on 2 of the first 7 days; the first size seen
    assert path[0] == pytest.approx(p * size)
    for day, units in enumerate(SPARSE[0]):
        p = p + 0.1 * ((units > 0) - p)
        size = size + 0.1 * (units - size) if units > 0 else size
        assert path[day + 1] == pytest.approx(p * size)
    assert size == pytest.approx(3.3)


def test_zero_demand_forecasts_zero() -> None:
    (forecast,) = forecast_many([np.zeros(90)])
    assert (forecast.method, forecast.daily, forecast.sigma) == (Method.NONE, 0.0, 0.0)


def test_one_sale_in_90_days_decays_instead_of_lingering() -> None:
    y = np.zeros(90)
    y[44] = 5
    (forecast,) = forecast_many([y])
    # 45 quiet days after the sale: TSB's probability fell from 0.1 to 0.1·0.9^45, while Croston would still
    # say 0.95·5/45 ≈ 0.106 a day; the backtest (28 days of zeros) sees that and picks TSB.
    assert forecast.method is Method.TSB
    assert forecast.daily == pytest.approx(0.1 * 0.9**45 * 5)
    assert forecast.backtest_rmse[Method.CROSTON_SBA] == pytest.approx(0.95 * 5 / 45)
    assert forecast.intermittent and forecast.adi == 90


def test_a_flat_series_is_steady_and_exact() -> None:
    (forecast,) = forecast_many([np.full(90, 5.0)])
    assert (forecast.method, forecast.intermittent) == (Method.SES, False)
    assert forecast.daily == pytest.approx(5.0)
    assert forecast.sigma == pytest.approx(0.0)


def test_every_tenth_day_is_intermittent_and_the_winner_has_the_smallest_backtest_error() -> None:
    y = np.zeros(90)
    y[9::10] = 10
    flat = np.full(90, 3.0)
    intermittent, steady = forecast_many([y, flat])
    assert intermittent.intermittent and intermittent.adi == pytest.approx(10.0)
    assert croston_sba_path(y[None, :])[0, -1] == pytest.approx(0.95 * 10 / 10)
    assert intermittent.sigma == min(intermittent.backtest_rmse.values())
    assert intermittent.backtest_rmse[intermittent.method] == intermittent.sigma
    assert not steady.intermittent and steady.daily == pytest.approx(3.0)


def test_series_of_different_lengths_keep_their_order() -> None:
    short, long = np.full(20, 2.0), np.full(90, 7.0)
    first, second = forecast_many([short, long])
    assert first.daily == pytest.approx(2.0) and second.daily == pytest.approx(7.0)


def test_holdout_forecasts_use_only_the_past() -> None:
    y = np.full((1, 90), 4.0)
    y[0, 70:] = 100.0  # a jump inside the holdout cannot be known before it happens
    forecasts, methods = holdout_paths(y, holdout=28)
    assert forecasts.shape == (1, 28) and len(methods) == 1
    assert forecasts[0, :8] == pytest.approx([4.0] * 8)  # days 62..69: before the jump
    assert forecasts[0, 8] == pytest.approx(4.0)  # day 70 is forecast from day 69
    assert forecasts[0, 9] > 4.0
