"""compute_atc_batch: inputs, late listings, per-symbol errors, output selections."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _helpers import assert_same_outputs, random_walks

import atc


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return random_walks(700, 15, seed=2)


@pytest.fixture(scope="module")
def result(frame: pd.DataFrame) -> atc.ATCResult:
    return atc.compute_atc_batch(frame, backend="cpu")


def test_frames_keep_index_columns_and_dtypes(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    assert list(result) == list(atc.STANDARD_OUTPUTS)
    for key, out in result.items():
        assert out.index.equals(frame.index) and out.columns.equals(frame.columns), key
        expected = np.int8 if key in atc.DISCRETE_OUTPUTS else np.float64
        assert (out.dtypes == expected).all(), key
    assert result.average_signal is result["Average_Signal"]
    assert result.kama_s is result["KAMA_S"]
    assert result.long_entry is result["long_entry"]
    with pytest.raises(AttributeError, match="no output 'hull_signal'"):
        result.hull_signal  # noqa: B018
    assert result.symbols.equals(frame.columns)
    assert result.errors.empty and (result.status["code"] == "ok").all()


def test_late_listed_symbols_equal_their_trimmed_series(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    late = [c for c in frame.columns if frame[c].isna().any()]
    assert len(late) == 3
    for symbol in late:
        first = frame[symbol].first_valid_index()
        alone = atc.compute_atc_signals(frame[symbol].loc[first:], backend="cpu")
        before = frame.index < first
        for key, series in alone.items():
            column = result[key][symbol]
            if key in atc.DISCRETE_OUTPUTS:
                assert (column[before] == 0).all(), key
            else:
                assert column[before].isna().all(), key
            pd.testing.assert_series_equal(column[~before], series, check_names=False)


def test_bad_symbols_come_back_as_data_with_one_warning(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    bad = frame.copy()
    bad.iloc[400, 2] = np.nan  # interior gap
    bad.iloc[10, 5] = 0.0  # non-positive price
    bad.iloc[:650, 9] = np.nan  # too short after listing
    bad.iloc[:, 11] = np.nan  # never listed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = atc.compute_atc_batch(bad, backend="cpu")
    assert len(caught) == 1 and issubclass(caught[0].category, atc.ATCWarning)
    assert "4 of 15 symbols could not be computed" in str(caught[0].message)
    assert "symbol 'S002', bar 400: close is NaN after the series started" in str(caught[0].message)

    errors = out.errors.set_index("symbol")
    assert list(errors.index) == ["S002", "S005", "S009", "S011"]
    assert list(errors["code"]) == ["non-finite", "non-positive-price", "too-short", "empty"]
    assert list(errors["bar"]) == [400, 10, -1, -1]
    assert errors.loc["S002", "label"] == frame.index[400]
    assert errors.loc["S005", "message"] == "symbol 'S005', bar 10: close is 0 (prices must be > 0)"
    assert errors.loc["S009", "message"].startswith("symbol 'S009': only 50 valid bars")
    for symbol in errors.index:
        assert out.average_signal[symbol].isna().all()
        assert (out.state[symbol] == 0).all()
    good = [c for c in frame.columns if c not in errors.index]
    for key in result:
        pd.testing.assert_frame_equal(out[key][good], result[key][good])


def test_ffill_policy_counts_filled_bars(frame: pd.DataFrame) -> None:
    gappy = frame.copy()
    gappy.iloc[[300, 301, 450], 1] = np.nan
    out = atc.compute_atc_batch(gappy, backend="cpu", gaps="ffill")
    assert out.errors.empty
    assert out.status.loc["S001", "filled_bars"] == 3
    assert out.status["filled_bars"].sum() == 3


def test_numpy_input_and_symbols(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    values = frame.to_numpy()
    out = atc.compute_atc_batch(values, backend="cpu")
    assert out.average_signal.index.equals(pd.RangeIndex(len(frame)))
    assert out.average_signal.columns.equals(pd.RangeIndex(frame.shape[1]))
    np.testing.assert_array_equal(out.average_signal.to_numpy(), result.average_signal.to_numpy())
    named = atc.compute_atc_batch(np.ascontiguousarray(values), symbols=list(frame.columns), backend="cpu")
    assert named.state.columns.equals(frame.columns)
    np.testing.assert_array_equal(named.state.to_numpy(), result.state.to_numpy())
    with pytest.raises(ValueError, match="2 symbols given for 15 columns"):
        atc.compute_atc_batch(values, symbols=["a", "b"])
    with pytest.raises(ValueError, match="2-D"):
        atc.compute_atc_batch(np.ones((2, 3, 4)))


def test_dict_input_same_and_different_calendars(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    same = atc.compute_atc_batch({c: frame[c] for c in frame.columns[:4]}, backend="cpu")
    pd.testing.assert_frame_equal(same.average_signal, result.average_signal.iloc[:, :4])

    # Different calendars: each symbol is computed on its own bars, aligned on the union.
    a = frame["S001"]
    b = frame["S002"].iloc[::2]
    mixed = atc.compute_atc_batch({"A": a, "B": b}, backend="cpu")
    assert mixed.average_signal.index.equals(a.index)
    alone_b = atc.compute_atc_signals(b, backend="cpu")["Average_Signal"]
    pd.testing.assert_series_equal(mixed.average_signal["B"].loc[b.index], alone_b, check_names=False)
    assert mixed.average_signal["B"].drop(b.index).isna().all()
    assert (mixed.state["B"].drop(b.index) == 0).all()
    pd.testing.assert_series_equal(mixed.average_signal["A"], result.average_signal["S001"], check_names=False)
    with pytest.raises(ValueError, match="unique and increasing"):
        atc.compute_atc_batch({"A": a, "B": b.iloc[::-1]})


def test_output_selections(frame: pd.DataFrame, result: atc.ATCResult) -> None:
    scan = atc.compute_atc_batch(frame, outputs="scan", backend="cpu")
    assert list(scan) == ["Average_Signal", *atc.DISCRETE_OUTPUTS]
    average = atc.compute_atc_batch(frame, outputs="average", backend="cpu")
    assert list(average) == ["Average_Signal"]
    assert_same_outputs({k: scan[k] for k in scan}, {k: result[k] for k in scan})
    pd.testing.assert_frame_equal(average.average_signal, result.average_signal)
    with pytest.raises(atc.ConfigError, match="outputs: unknown value 'all'"):
        atc.compute_atc_batch(frame, outputs="all")  # type: ignore[arg-type]


def test_compact_outputs_hold_the_standard_signals_as_hundredths(frame: pd.DataFrame) -> None:
    # A cutout leaves bars without a signal; a late listing (ragged calendars) leaves
    # bars outside a symbol's series: both read -128 in the hundredths frames.
    ragged = {"A": frame["S001"], "B": frame["S002"].iloc[40:]}
    for data in (frame, ragged):
        standard = atc.compute_atc_batch(data, backend="cpu", cutout=12)
        compact = atc.compute_atc_batch(data, backend="cpu", cutout=12, outputs="compact")
        names = [f"{f}_Signal" for f in atc.FAMILIES]
        assert list(compact) == ["Average_Signal", *(f"{n}_hundredths" for n in names),
                                 *(f"{f}_S" for f in atc.FAMILIES), *atc.DISCRETE_OUTPUTS]
        for name in names:
            hundredths = compact[f"{name}_hundredths"]
            assert (hundredths.dtypes == np.int8).all()
            widened = hundredths.replace(atc.HUNDREDTHS_NAN, np.nan) / 100
            pd.testing.assert_frame_equal(widened, standard[name], check_names=False, check_exact=True)
            assert (hundredths.to_numpy()[:12] == atc.HUNDREDTHS_NAN).all()
        assert_same_outputs({k: compact[k] for k in standard if k in compact},
                            {k: standard[k] for k in standard if k in compact})


def test_cuda_flags(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="contradicts"):
        atc.compute_atc_batch(frame, backend="reference", use_cuda_kernels=True)
    assert atc.compute_atc_batch(frame.iloc[:, :2], use_cuda_kernels=False).backend == "cpu"
    if not atc.cuda_available():
        with pytest.raises(atc.BackendUnavailable):
            atc.compute_atc_batch(frame, use_cuda_kernels=True, use_streams=True, num_streams=2)


def test_latest_and_config_params(frame: pd.DataFrame) -> None:
    out = atc.compute_atc_batch(frame, backend="cpu", outputs="scan", ema_len=14, robustness="Narrow")
    latest = out.latest()
    assert latest.index.equals(frame.columns)
    pd.testing.assert_series_equal(latest["state"], out.state.iloc[-1], check_names=False)
    with pytest.raises(atc.ConfigError):
        atc.compute_atc_batch(frame, ema_len=2)
