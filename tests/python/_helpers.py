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
) -> None:
    """The spec's accuracy contract (§3a, §9): every output bit-identical, NaN in the same
    places, ties included."""
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
            differ = ~np.isnan(ev) & (av != ev)
            assert not differ.any(), f"{key}: {np.count_nonzero(differ)} values differ, first at {np.argmax(differ)}"


def assert_parity_with_calibration(close: pd.Series, config: atc.ATCConfig, backend: str = "cpu") -> int:
    """``backend`` against the reference on one series with every family calibrated in
    turn: every output, the 54 MAs and their signals included, bit for bit. Returns the
    bars where close equals a window MA exactly (the ties the data exercised)."""
    ties = 0
    x = close.to_numpy(dtype=np.float64)
    for family in atc.FAMILIES:
        fast = atc.compute_atc_signals(close, config=config, backend=backend, calibration=family)
        ref = atc.compute_atc_signals(close, config=config, backend="reference", calibration=family)
        assert_same_outputs(fast, ref)
        if family in ("HMA", "WMA", "LSMA"):
            ties += sum(int(np.count_nonzero(ref[f"{family}_MA_{n}"].to_numpy() == x)) for n in config.lengths(family))
    return ties
