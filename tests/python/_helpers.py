"""Data and comparisons shared by the Python tests."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

import atc


def random_walks(bars: int, symbols: int, seed: int = 1, late: bool = True) -> pd.DataFrame:
    """Geometric random walks (bars x symbols) on daily dates; every 7th symbol listed late."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, size=(bars, symbols)), axis=0))
    frame = pd.DataFrame(close, index=pd.date_range("2015-01-01", periods=bars, freq="D"),
                         columns=[f"S{i:03d}" for i in range(symbols)])
    if late:
        for column in range(0, symbols, 7):
            frame.iloc[: int(rng.integers(1, bars // 3)), column] = np.nan
    return frame


def assert_same_outputs(
    actual: Mapping[str, pd.DataFrame | pd.Series],
    expected: Mapping[str, pd.DataFrame | pd.Series],
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> None:
    """The spec's accuracy contract (§9): continuous outputs within ``rtol`` relative
    (``atol`` absolute near zero) with NaN in the same places; discrete outputs identical."""
    assert list(actual) == list(expected)
    for key in expected:
        a, e = actual[key], expected[key]
        assert a.shape == e.shape, key
        assert a.index.equals(e.index), key
        av, ev = a.to_numpy(), e.to_numpy()
        if key in atc.DISCRETE_OUTPUTS or ev.dtype == np.int8:
            assert av.dtype == np.int8, key
            mismatches = np.count_nonzero(av != ev)
            assert mismatches == 0, f"{key}: {mismatches} discrete values differ"
        else:
            np.testing.assert_array_equal(np.isnan(av), np.isnan(ev), err_msg=f"{key}: NaN placement")
            np.testing.assert_allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True, err_msg=key)


def _run_starts(mask: np.ndarray) -> np.ndarray:
    """Indices where a run of True values begins."""
    return np.flatnonzero(mask & ~np.concatenate(([False], mask[:-1])))


def assert_parity_allowing_ties(close: pd.Series, config: atc.ATCConfig, backend: str = "cpu") -> int:
    """``backend`` vs the reference on one series, with the spec's allowance for ties (§9).

    Every moving average must agree within 1e-9. A per-MA crossover signal may differ
    only where a disagreement starts at a near-tie: |close - ma| below 1e-9 * close at
    that bar or the bar before, in either backend (a fast backend that sums in another
    order can land on the other side of an exact tie, e.g. a tick price equal to its
    WMA). Such a flip legitimately changes everything downstream of that MA, so a
    series with one is checked up to the MAs; every other series must match the
    reference fully (continuous within 1e-9 relative, discrete identical).
    Returns the number of tie flips found.
    """
    x = close.to_numpy(dtype=np.float64)
    flips = 0
    for family in atc.FAMILIES:
        family_flips = 0
        fast = atc.compute_atc_signals(close, config=config, backend=backend, calibration=family)
        ref = atc.compute_atc_signals(close, config=config, backend="reference", calibration=family)
        for n in config.lengths(family):
            ma_fast, ma_ref = fast[f"{family}_MA_{n}"].to_numpy(), ref[f"{family}_MA_{n}"].to_numpy()
            np.testing.assert_allclose(ma_fast, ma_ref, rtol=1e-9, atol=1e-12, equal_nan=True,
                                       err_msg=f"{family}_MA_{n}")
            differ = fast[f"{family}_Signal_{n}"].to_numpy() != ref[f"{family}_Signal_{n}"].to_numpy()
            for t in _run_starts(differ):
                near = [
                    abs(x[b] - ma[b]) <= 1e-9 * abs(x[b])
                    for b in (t - 1, t) if b >= 0
                    for ma in (ma_fast, ma_ref)
                ]
                assert any(near), f"{family}_Signal_{n} differs from bar {t} without a near-tie"
                family_flips += 1
        flips += family_flips
        if family_flips == 0:  # this family's outputs, then (below) everything else
            assert_same_outputs({k: fast[k] for k in fast if k.startswith(f"{family}_")},
                                {k: ref[k] for k in ref if k.startswith(f"{family}_")})
    if flips == 0:
        assert_same_outputs(fast, ref)
    return flips
