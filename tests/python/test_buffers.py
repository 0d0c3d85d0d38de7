"""compute_atc_batch's reused result columns: a result never changes once returned, a
dropped one's columns serve the next call of its shape, and reused columns give the bits
of fresh ones; the NumPy fast path reads arrays as the frame path does."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc
from atc import _atc

OUTPUTS = ("standard", "compact", "scan", "average")


def _empty_pool() -> None:
    gc.collect()  # results of earlier tests go back to the pool first
    atc.release_buffers()


def _prices(seed: int, bars: int = 320, symbols: int = 9) -> np.ndarray:
    return np.round(random_walks(bars, symbols, seed=seed).to_numpy(), 2)


def _copies(result: atc.ATCResult) -> dict[str, np.ndarray]:
    return {key: frame.to_numpy().copy() for key, frame in result.items()}


def _assert_same(result: atc.ATCResult, expected: dict[str, np.ndarray]) -> None:
    assert list(result) == list(expected)
    for key, values in expected.items():
        np.testing.assert_array_equal(result[key].to_numpy(), values, err_msg=key)


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_a_result_does_not_change_when_the_next_call_runs(outputs: str) -> None:
    _empty_pool()
    first = atc.compute_atc_batch(_prices(1), backend="cpu", outputs=outputs)
    kept = _copies(first)
    view = first["Average_Signal"].to_numpy()
    for seed in (2, 3, 4):  # same shape, other prices: the pool must not hand out first's columns
        later = atc.compute_atc_batch(_prices(seed), backend="cpu", outputs=outputs)
        assert not np.shares_memory(view, later["Average_Signal"].to_numpy())
        _assert_same(first, kept)
        del later
        gc.collect()
    _assert_same(first, kept)


def test_an_array_taken_from_a_result_outlives_it() -> None:
    _empty_pool()
    result = atc.compute_atc_batch(_prices(5), backend="cpu", outputs="scan")
    average = result["Average_Signal"].to_numpy()
    trend = result["trend"][3]
    expected_average, expected_trend = average.copy(), trend.to_numpy().copy()
    del result
    gc.collect()
    assert _atc.kept_buffer_bytes() == 0  # still viewed: not back in the pool
    for seed in (6, 7):
        atc.compute_atc_batch(_prices(seed), backend="cpu", outputs="scan")
    np.testing.assert_array_equal(average, expected_average)
    np.testing.assert_array_equal(trend.to_numpy(), expected_trend)


@pytest.mark.parametrize("outputs", OUTPUTS)
def test_reused_columns_give_the_bits_of_fresh_ones(outputs: str) -> None:
    # The second call reuses the first's columns: rows it does not compute (late listings,
    # failed symbols) must be cleared, not left with the first call's values.
    _empty_pool()
    full = _prices(8)
    result = atc.compute_atc_batch(full, backend="cpu", outputs=outputs)
    del result
    gc.collect()
    assert _atc.kept_buffer_bytes() > 0
    holes = full.copy()
    holes[:150, 0] = np.nan  # listed late
    holes[200, 1] = np.nan  # an interior gap: fails
    holes[:, 2] = np.nan  # empty
    holes[:300, 3] = np.nan  # too short
    with pytest.warns(atc.ATCWarning, match="3 of 9 symbols"):
        reused = atc.compute_atc_batch(holes, backend="cpu", outputs=outputs)
    assert _atc.kept_buffer_bytes() == 0  # it took the kept columns
    expected = _copies(reused)
    _empty_pool()
    with pytest.warns(atc.ATCWarning):
        fresh = atc.compute_atc_batch(holes, backend="cpu", outputs=outputs)
    _assert_same(fresh, expected)
    pd.testing.assert_frame_equal(reused.status, fresh.status)


def test_release_buffers_frees_the_kept_columns() -> None:
    _empty_pool()
    atc.compute_atc_batch(_prices(9), backend="cpu", outputs="scan")
    gc.collect()
    held = _atc.kept_buffer_bytes()
    assert held == 320 * 9 * (8 + 5)  # Average_Signal and five int8 columns
    assert atc.release_buffers() == held
    assert _atc.kept_buffer_bytes() == 0


def test_the_pool_keeps_at_most_two_results() -> None:
    _empty_pool()
    results = [atc.compute_atc_batch(_prices(seed, bars=300 + seed), backend="cpu", outputs="scan")
               for seed in range(4)]
    while results:
        results.pop(0)  # given back oldest first
    gc.collect()
    assert _atc.kept_buffer_bytes() == sum(9 * (300 + seed) * 13 for seed in (2, 3))  # the last two given back
    _empty_pool()


def test_series_of_different_calendars_reuse_columns_too() -> None:
    _empty_pool()
    walks = random_walks(400, 3, seed=10)
    data = {"A": walks["S000"], "B": walks["S001"].iloc[50:], "C": walks["S002"].iloc[:380]}
    first = atc.compute_atc_batch(data, backend="cpu")
    kept = _copies(first)
    second = atc.compute_atc_batch(data, backend="cpu")
    _assert_same(second, kept)
    _assert_same(first, kept)


def test_the_status_frame_is_made_on_demand_with_the_same_contents() -> None:
    prices = _prices(11)
    clean = atc.compute_atc_batch(prices, backend="cpu", outputs="scan", symbols=list("ABCDEFGHI"))
    assert callable(clean._status)  # no error to warn about: no status frame made
    assert clean.symbols.equals(pd.Index(list("ABCDEFGHI"), name="symbol"))
    assert clean.errors.empty and list(clean.status["code"]) == ["ok"] * 9
    prices[:, 4] = np.nan
    with pytest.warns(atc.ATCWarning, match="1 of 9 symbols"):
        result = atc.compute_atc_batch(prices, backend="cpu", outputs="scan", symbols=list("ABCDEFGHI"))
    assert result.symbols.equals(pd.Index(list("ABCDEFGHI"), name="symbol"))
    assert result.symbols.name == "symbol"
    status = result.status
    assert status.index.equals(result.symbols)
    assert list(status["code"]) == ["ok"] * 4 + ["empty"] + ["ok"] * 4
    assert list(result.errors["symbol"]) == ["E"]


@pytest.mark.parametrize("layout", ["F", "C"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_a_numpy_table_reads_as_the_same_frame(layout: str, dtype: type) -> None:
    values = (np.round(random_walks(300, 5, seed=12, late=False).to_numpy(), 2) * (100 if dtype is np.int64 else 1)).astype(dtype)
    values = np.asfortranarray(values) if layout == "F" else np.ascontiguousarray(values)
    symbols = ["a", "b", "c", "d", "e"]
    from_array = atc.compute_atc_batch(values, backend="cpu", symbols=symbols)
    from_frame = atc.compute_atc_batch(pd.DataFrame(values, columns=symbols), backend="cpu")
    for key in from_frame:
        pd.testing.assert_frame_equal(from_array[key], from_frame[key], check_exact=True)
    pd.testing.assert_frame_equal(from_array.status, from_frame.status)
    with pytest.raises(ValueError, match="4 symbols given for 5 columns"):
        atc.compute_atc_batch(values, backend="cpu", symbols=symbols[:4])


def test_a_column_major_numpy_table_is_not_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.asfortranarray(_prices(13))
    seen = []
    real = _atc.compute_table

    def spy(close, *args, **kwargs):
        seen.append(close)
        return real(close, *args, **kwargs)

    monkeypatch.setattr(atc._compute._atc, "compute_table", spy)
    atc.compute_atc_batch(values, backend="cpu", outputs="scan")
    atc.compute_atc_batch(pd.DataFrame(values, copy=False), backend="cpu", outputs="scan")
    assert len(seen) == 2 and all(np.shares_memory(close, values) for close in seen)


def test_release_gpu_memory_without_a_gpu_run_frees_nothing() -> None:
    atc.compute_atc_batch(np.full((300, 2), 100.0), backend="cpu")
    atc.release_gpu_memory()
    assert atc.gpu_memory_kept() == {"pipelines": 0, "device_bytes": 0, "pinned_bytes": 0}
    assert atc.release_gpu_memory() == 0
