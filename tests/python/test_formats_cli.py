"""The CLI on data as people store it (Parquet, Feather, freqtrade's JSON, a freqtrade data
directory) and its --timeframes, against compute_atc_batch and pandas' resample().agg(),
bit for bit."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import atc

pytestmark = pytest.mark.skipif(
    not os.environ.get("ATC_CLI_PATH"), reason="ATC_CLI_PATH names no atc program"
)
pytest.importorskip("pyarrow", reason="Parquet and Feather files need pyarrow")

TIMEFRAMES = ("1h", "4h", "1D")  # spelled alike by the CLI and pandas


def hourly_bars(seed: int) -> pd.DataFrame:
    """freqtrade-like candles from 2024-01-01 03:00 UTC: 80 days and 10 hours (the last day
    still forming), with 6 hours missing (an empty 4h bucket)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-01-01 03:00", periods=24 * 80 + 10, freq="h", tz="UTC")
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, len(index))))
    open_ = np.concatenate([[close[0]], close[:-1]])
    frame = pd.DataFrame(
        {
            "date": index,
            "open": open_,
            "high": np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, len(index))),
            "low": np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, len(index))),
            "close": close,
            "volume": rng.uniform(1, 100, len(index)),
        }
    )
    return frame.drop(index=range(1000, 1006)).reset_index(drop=True)


@pytest.fixture(scope="module")
def pairs() -> dict[str, pd.DataFrame]:
    return {name: hourly_bars(seed) for seed, name in enumerate(("BTC_USDT", "ETH_USDT", "SOL_USDT", "ADA_USDT"))}


@pytest.fixture(scope="module")
def data_dir(pairs: dict[str, pd.DataFrame], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freqtrade data directory with one pair per format."""
    folder = tmp_path_factory.mktemp("binance")
    pairs["BTC_USDT"].to_feather(folder / "BTC_USDT-1h.feather")  # as freqtrade writes it
    pairs["ETH_USDT"].set_index("date").to_parquet(folder / "ETH_USDT-1h.parquet")  # time as the index
    sol = pairs["SOL_USDT"]
    milliseconds = sol["date"].dt.as_unit("ms").astype("int64")
    candles = np.column_stack([milliseconds, sol.drop(columns="date").to_numpy()])
    # freqtrade's json: [timestamp_ms, open, high, low, close, volume]; Python's repr round-trips.
    (folder / "SOL_USDT-1h.json").write_text(json.dumps([[int(c[0]), *map(float, c[1:])] for c in candles]))
    pairs["ADA_USDT"].to_csv(folder / "ADA_USDT-1h.csv", index=False, float_format="%.17g")
    return folder


def scan(*args: str) -> dict:
    """The --json document of `atc scan ARGS` (the reference backend)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "ranking.json"
        run = subprocess.run([os.environ["ATC_CLI_PATH"], "scan", *args, "--backend", "reference", "--json", str(out)],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return json.loads(out.read_text())


def last_bar(result: atc.ATCResult, output: str) -> float:
    return float(result[output].iloc[-1, 0])


def closes(frame: pd.DataFrame) -> pd.Series:
    return frame.set_index("date")["close"]


def test_every_format_ranks_as_compute_atc_batch_on_the_same_data(pairs: dict[str, pd.DataFrame], data_dir: Path) -> None:
    document = scan(str(data_dir))
    assert document["errors"] == 0, document["symbol_errors"]
    rows = {row["symbol"]: row for row in document["ranking"]}
    assert set(rows) == set(pairs)
    for name, frame in pairs.items():
        expected = atc.compute_atc_batch(closes(frame).to_frame(name), backend="reference")
        assert rows[name]["average_signal"] == last_bar(expected, "Average_Signal"), name
        assert rows[name]["bars"] == len(frame)
    assert rows["BTC_USDT"]["last_timestamp"] == "2024-03-21 12:00:00+00:00"
    assert rows["SOL_USDT"]["last_timestamp"] == str(pairs["SOL_USDT"]["date"].iloc[-1].value // 10**6)  # .value: ns


def test_a_long_format_parquet_and_the_source_come_through(pairs: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    long = pd.concat([frame.assign(symbol=name) for name, frame in pairs.items()], ignore_index=True)
    long.to_parquet(tmp_path / "universe.parquet", index=False)
    document = scan(str(tmp_path / "universe.parquet"), "--source", "hl2")
    rows = {row["symbol"]: row for row in document["ranking"]}
    for name, frame in pairs.items():
        close = closes(frame)
        src = (frame["high"] + frame["low"]).to_numpy() / 2
        expected = atc.compute_atc_signals(close, src=pd.Series(src, index=close.index), backend="reference")
        assert rows[name]["average_signal"] == float(expected["Average_Signal"].iloc[-1]), name


def resampled_by_pandas(frame: pd.DataFrame, timeframe: str, partial: str) -> pd.DataFrame:
    """OHLC bars of `timeframe` by pandas' resample().agg(), the empty buckets left out and,
    with partial="drop", a last bucket ending after the last bar plus its spacing."""
    bars = frame.set_index("date")
    agg = bars.resample(timeframe).agg({"open": "first", "high": "max", "low": "min", "close": "last"})
    counts = bars["close"].resample(timeframe).count()
    agg = agg[counts > 0]
    step = bars.index.to_series().diff().median()
    if partial == "drop" and bars.index[-1] + step < agg.index[-1] + pd.tseries.frequencies.to_offset(timeframe):
        agg = agg.iloc[:-1]
    return agg


@pytest.mark.parametrize("partial", ["drop", "keep"])
def test_timeframes_are_resample_agg_then_compute_atc_batch(
    pairs: dict[str, pd.DataFrame], data_dir: Path, partial: str
) -> None:
    document = scan(str(data_dir), "--timeframes", ",".join(TIMEFRAMES), "--partial", partial)
    assert document["timeframes"] == list(TIMEFRAMES) and document["partial"] == partial
    assert document["order"][0] == "timeframe_consensus descending"
    rows = {row["symbol"]: row for row in document["ranking"]}
    assert set(rows) == set(pairs)
    for name, frame in pairs.items():
        states = []
        for tf in TIMEFRAMES:
            bars = resampled_by_pandas(frame, tf, partial)
            # The closes are those of atc.resample_closes (the same buckets, the same partial rule).
            np.testing.assert_array_equal(
                bars["close"].to_numpy(), atc.resample_closes(closes(frame).to_frame(), tf, partial).iloc[:, 0].to_numpy()
            )
            expected = atc.compute_atc_batch(bars["close"].to_frame(name), backend="reference")
            cell = rows[name]["timeframes"][tf]
            assert cell["average_signal"] == last_bar(expected, "Average_Signal"), (name, tf)
            state = int(expected["state"].iloc[-1, 0])
            assert cell["state"] == {1: "LONG", -1: "SHORT", 0: "NEUTRAL"}[state]
            states.append(state)
        mtf = atc.compute_multi_timeframe(closes(frame).to_frame(name), TIMEFRAMES, partial=partial, backend="reference")
        assert rows[name]["timeframe_consensus"] == float(mtf.consensus.iloc[-1, 0]) == np.mean(states), name
        assert rows[name]["agree"] == int(mtf.agree.iloc[-1, 0])


def test_timeframes_resample_high_and_low_for_the_source(pairs: dict[str, pd.DataFrame], data_dir: Path) -> None:
    document = scan(str(data_dir), "--timeframes", "4h,1D", "--source", "hl2")
    rows = {row["symbol"]: row for row in document["ranking"]}
    for name, frame in pairs.items():
        for tf in ("4h", "1D"):
            bars = resampled_by_pandas(frame, tf, "drop")
            src = (bars["high"] + bars["low"]) / 2
            expected = atc.compute_atc_signals(bars["close"], src=src, backend="reference")
            assert rows[name]["timeframes"][tf]["average_signal"] == float(expected["Average_Signal"].iloc[-1])
