"""The single-series API, configuration and exceptions."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc


@pytest.fixture(scope="module")
def close() -> pd.Series:
    return random_walks(600, 1, seed=3, late=False)["S000"].rename("XYZ")


def test_config_defaults_follow_the_spec() -> None:
    c = atc.ATCConfig()
    assert [getattr(c, f"{f.lower()}_len") for f in atc.FAMILIES] == [28] * 6
    assert [getattr(c, f"{f.lower()}_w") for f in atc.FAMILIES] == [1.0] * 6
    assert (c.robustness, c.lambda_param, c.decay, c.cutout) == ("Medium", 0.02, 0.03, 0)
    assert (c.long_threshold, c.short_threshold, c.strategy_mode) == (0.1, -0.1, False)
    assert c.lengths("EMA") == (28, 29, 30, 32, 34, 27, 26, 24, 22)
    assert atc.ATCConfig(robustness="Wide").lengths("kama") == (28, 29, 31, 33, 35, 27, 25, 23, 21)
    assert c.min_bars == 2 * 34 - 1  # DEMA(34)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ema_len": 6}, "ema_len = 6"),
        ({"robustness": "Extreme"}, "robustness: unknown value 'Extreme'"),
        ({"decay": 100.0}, "decay"),
        ({"cutout": -1}, "cutout"),
        ({"long_threshold": -0.5}, "threshold"),
        ({"lambda_param": float("nan")}, "lambda"),
    ],
)
def test_invalid_config_raises_config_error_with_engine_message(params: dict, message: str) -> None:
    with pytest.raises(atc.ConfigError, match=message) as info:
        atc.ATCConfig(**params)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, atc.Error)


def test_config_is_frozen_and_replace_validates() -> None:
    c = atc.ATCConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ema_len = 10  # type: ignore[misc]
    assert c.replace(La=0.5, hull_len=14) == atc.ATCConfig(lambda_param=0.5, hma_len=14)
    with pytest.raises(atc.ConfigError):
        c.replace(wma_len=3)
    with pytest.raises(TypeError, match="unknown ATC parameter 'emalen'"):
        c.replace(emalen=3)
    with pytest.raises(TypeError, match="integers"):
        atc.ATCConfig(ema_len=20.5)  # type: ignore[arg-type]


def test_original_call_signature(close: pd.Series) -> None:
    out = atc.compute_atc_signals(close, ema_len=20, robustness="Medium", lambda_param=0.5,
                                  decay=0.1, cutout=5)
    assert list(out) == list(atc.STANDARD_OUTPUTS)
    for key, series in out.items():
        assert isinstance(series, pd.Series)
        assert series.index.equals(close.index), key
    assert out["Average_Signal"].iloc[:5].isna().all()  # cutout
    assert out["Average_Signal"].iloc[5:].notna().all()
    for key in atc.DISCRETE_OUTPUTS:
        assert out[key].dtype == np.int8
    assert set(np.unique(out["state"])) <= {-1, 0, 1}
    # The same call through a config object, and with the original module's older names.
    cfg = atc.ATCConfig(ema_len=20, lambda_param=0.5, decay=0.1, cutout=5)
    by_config = atc.compute_atc_signals(close, config=cfg)
    by_alias = atc.compute_atc_signals(close, ema_len=20, La=0.5, De=0.1, cutout=5)
    for key in out:
        pd.testing.assert_series_equal(by_config[key], out[key])
        pd.testing.assert_series_equal(by_alias[key], out[key])
    # The parameters matter: the defaults give another Average_Signal.
    default = atc.compute_atc_signals(close)
    assert not np.allclose(default["Average_Signal"].iloc[100:], out["Average_Signal"].iloc[100:])


def test_list_and_array_inputs_give_the_series_result(close: pd.Series) -> None:
    from_series = atc.compute_atc_signals(close)["Average_Signal"].to_numpy()
    from_list = atc.compute_atc_signals(close.tolist())["Average_Signal"]
    from_array = atc.compute_atc_signals(close.to_numpy())["Average_Signal"]
    assert from_list.index.equals(pd.RangeIndex(len(close)))
    np.testing.assert_array_equal(from_list.to_numpy(), from_series)
    np.testing.assert_array_equal(from_array.to_numpy(), from_series)


def test_src_changes_the_moving_averages_only(close: pd.Series) -> None:
    hl2 = close * 0.999
    with_src = atc.compute_atc_signals(close, src=hl2, calibration="EMA")
    plain = atc.compute_atc_signals(close, calibration="EMA")
    np.testing.assert_allclose(with_src["EMA_MA_28"], plain["EMA_MA_28"] * 0.999, rtol=1e-12)
    with pytest.raises(ValueError, match="src has 10 values"):
        atc.compute_atc_signals(close, src=hl2.iloc[:10])


def test_calibration_adds_the_nine_mas_signals_and_equities(close: pd.Series) -> None:
    out = atc.compute_atc_signals(close, calibration="dema", robustness="Narrow")
    lengths = atc.ATCConfig(robustness="Narrow").lengths("DEMA")
    expected = [f"DEMA_{kind}_{n}" for n in lengths for kind in ("MA", "Signal", "S")]  # per length
    assert list(out)[len(atc.STANDARD_OUTPUTS):] == expected
    for n in lengths:  # DEMA(n) has its first value at bar 2n-2
        ma = out[f"DEMA_MA_{n}"]
        assert ma.iloc[: 2 * n - 2].isna().all() and ma.iloc[2 * n - 2:].notna().all()
        assert out[f"DEMA_Signal_{n}"].dtype == np.int8
    with pytest.raises(atc.ConfigError, match="family: unknown value 'HULL'"):
        atc.compute_atc_signals(close, calibration="HULL")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x: x.__setitem__(300, np.nan), r"symbol 'XYZ', bar 300: close is NaN after the series started"),
        (lambda x: x.__setitem__(42, -3.0), r"symbol 'XYZ', bar 42: close is -3 \(prices must be > 0\)"),
        (lambda x: x.__setitem__(slice(0, 560), np.nan), r"symbol 'XYZ': only 40 valid bars; the slowest moving average needs 67"),
    ],
)
def test_bad_series_raise_input_error_naming_symbol_and_bar(close: pd.Series, mutate, message: str) -> None:
    values = close.to_numpy().copy()
    mutate(values)
    with pytest.raises(atc.InputError, match=message) as info:
        atc.compute_atc_signals(pd.Series(values, index=close.index, name="XYZ"))
    assert isinstance(info.value, ValueError)


def test_growth_overflow_is_an_input_error(close: pd.Series) -> None:
    with pytest.raises(atc.InputError, match="overflow the growth factor"):
        atc.compute_atc_signals(close, lambda_param=2000.0)


def test_backend_errors() -> None:
    with pytest.raises(atc.ConfigError, match="backend: unknown value 'gpu'"):
        atc.compute_atc_signals(np.linspace(10, 20, 200), backend="gpu")  # type: ignore[arg-type]
    if atc.cuda_available():
        pytest.skip("this machine has a usable CUDA backend")
    with pytest.raises(atc.BackendUnavailable, match="cuda") as info:
        atc.compute_atc_signals(np.linspace(10, 20, 200), backend="cuda")
    assert isinstance(info.value, RuntimeError)
    assert atc.resolve_backend("auto") == "cpu"


def test_version_and_exception_names() -> None:
    assert atc.__version__.count(".") == 2
    assert atc.ConfigError.__module__ == "atc"
    assert issubclass(atc.BackendUnavailable, atc.Error)
    assert not issubclass(atc.ConfigError, RuntimeError)


def test_precision_is_checked_and_leaves_the_cpu_backend_exact() -> None:
    frame = random_walks(400, 6, seed=5)
    f64 = atc.compute_atc_batch(frame, backend="cpu")
    f32 = atc.compute_atc_batch(frame, backend="cpu", precision="float32")
    pd.testing.assert_frame_equal(f64["Average_Signal"], f32["Average_Signal"])
    with pytest.raises(atc.ConfigError, match="precision"):
        atc.compute_atc_batch(frame, backend="cpu", precision="float16")


@pytest.mark.parametrize("params", [{"ema_len": 10**10}, {"kama_len": -(10**12)}, {"cutout": 2**40}])
def test_out_of_range_integers_are_config_errors(params: dict) -> None:
    with pytest.raises(atc.ConfigError, match="out of range|between"):
        atc.ATCConfig(**params)


def test_complex_prices_are_refused_naming_the_input() -> None:
    with pytest.raises(TypeError, match="complex"):
        atc.compute_atc_signals(np.linspace(10, 20, 200) + 1j)
    frame = random_walks(200, 3, late=False).astype(complex)
    with pytest.raises(TypeError, match="column 'S000': complex"):
        atc.compute_atc_batch(frame)
    with pytest.raises(TypeError, match=r"data\['A'\]: complex"):
        atc.compute_atc_batch({"A": np.full(200, 5 + 0j), "B": np.linspace(10, 20, 200)})


@pytest.mark.parametrize(("backend", "symbols"), [("reference", 60), ("cpu", 600)])
def test_ctrl_c_stops_a_long_computation_at_once(backend: str, symbols: int) -> None:
    """SIGINT during a computation of many seconds raises KeyboardInterrupt within a
    fraction of a second (the engine polls its stop between series / SIMD groups)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python delivers SIGINT to the main thread only")
    frame = random_walks(20_000, symbols, seed=9, late=False)  # ~10 s uninterrupted on 2 cores
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            atc.compute_atc_batch(frame, backend=backend, outputs="average", threads=2)
    finally:
        timer.join()
    latency = time.perf_counter() - sent[0]
    print(f"{backend}: KeyboardInterrupt {latency * 1000:.0f} ms after SIGINT")
    assert latency < 1.0


def test_the_cli_csv_and_python_name_and_order_the_columns_alike(close: pd.Series, tmp_path) -> None:
    """One naming scheme (atc::for_each_named_column) in every front end."""
    import subprocess
    from pathlib import Path

    cli = os.environ.get("ATC_CLI_PATH", str(Path(__file__).parents[2] / "build" / "cli" / "atc"))
    if not Path(cli).is_file():
        pytest.fail(f"no `atc` program at {cli}: build it (scripts/test.sh does) or set ATC_CLI_PATH")
    path = tmp_path / "XYZ.csv"
    pd.DataFrame({"close": close.to_numpy()}).to_csv(path, index=False)
    run = subprocess.run([cli, "compute", str(path), "--calibration", "KAMA", "--backend", "reference"],
                         capture_output=True, text=True, check=True)
    header = run.stdout.splitlines()[0].split(",")
    python_names = list(atc.compute_atc_signals(close, calibration="KAMA", backend="reference").keys())
    assert header[0] == "close"
    assert header[1:] == python_names
    assert "KAMA_MA_28" in python_names and "KAMA_Signal_28" in python_names and "KAMA_S_22" in python_names


def test_a_missing_optional_dependency_names_the_extra(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install 'atc\[plot\]'"):
        atc.plot  # noqa: B018


def test_signals_come_as_a_dataframe_that_still_reads_like_the_dict(close: pd.Series) -> None:
    out = atc.compute_atc_signals(close)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(atc.STANDARD_OUTPUTS)
    assert out.index.equals(close.index)
    legacy = dict(out.items())  # the original's dict of Series
    assert set(legacy) == set(atc.STANDARD_OUTPUTS) and legacy["state"].dtype == np.int8


def test_pandas_accessors(close: pd.Series) -> None:
    expected = atc.compute_atc_signals(close, ema_len=20)
    pd.testing.assert_frame_equal(close.atc.signals(ema_len=20), expected)
    ohlc = pd.DataFrame({"Open": close, "Close": close})
    pd.testing.assert_frame_equal(ohlc.atc.signals(ema_len=20), expected)
    frame = random_walks(300, 3, late=False)
    pd.testing.assert_frame_equal(frame.atc.batch(backend="cpu")["Average_Signal"],
                                  atc.compute_atc_batch(frame, backend="cpu")["Average_Signal"])
    with pytest.raises(KeyError, match="no 'close' column"):
        frame.atc.signals()


def test_the_python_names_follow_the_engines_tables() -> None:
    """A family added to the engine's table must appear in ATCConfig, the CLI and the outputs."""
    assert atc.FAMILIES == atc._atc.FAMILIES
    fields = [f.name for f in dataclasses.fields(atc.ATCConfig)]
    per_family = [f"{f.lower()}{suffix}" for suffix in ("_len", "_w") for f in atc.FAMILIES]
    assert fields == [*per_family, "robustness", "lambda_param", "decay", "cutout", "long_threshold",
                      "short_threshold", "strategy_mode"]
    frame = random_walks(200, 2, seed=3)
    outputs = set(atc.compute_atc_batch(frame, backend="cpu"))
    for family in atc.FAMILIES:
        assert {f"{family}_Signal", f"{family}_S"} <= outputs


def test_every_front_end_names_the_outputs_from_the_engines_output_table() -> None:
    """STANDARD_OUTPUTS, a batch, a live bar and a sweep's rows take their names from one table."""
    table = atc._atc.OUTPUT_COLUMNS
    assert atc.STANDARD_OUTPUTS == tuple(
        name for name, _, group in table if group in ("always", "families", "family_signals", "classification"))
    assert atc.DISCRETE_OUTPUTS == tuple(name for name, kind, _ in table if kind == "discrete")
    frame = random_walks(300, 2, seed=5)
    assert list(atc.compute_atc_batch(frame, backend="cpu")) == list(atc.STANDARD_OUTPUTS)
    compact = atc.compute_atc_batch(frame, backend="cpu", outputs="compact")
    hundredths = [name for name, kind, _ in table if kind == "hundredths"]
    assert [f"{name}_hundredths" for name in hundredths] == [k for k in compact if k.endswith("_hundredths")]
    live = atc.LiveEngine(frame.iloc[:250])
    bar = live.update(frame.iloc[250])
    assert list(bar.columns[: len(atc.STANDARD_OUTPUTS)]) == list(atc.STANDARD_OUTPUTS)
    rows = atc.sweep(frame, {"ema_len": [14, 20]}, backend="cpu", bars_per_year=252)
    assert [c for c in rows.columns if c in atc.LAST_BAR_OUTPUTS] == list(atc.LAST_BAR_OUTPUTS)
