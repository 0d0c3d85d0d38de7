"""atc.price_source: the moving averages' source from OHLC columns, as the CLI's --source."""

from __future__ import annotations

import io
import os
import subprocess

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    close = random_walks(300, 1, seed=11, late=False)["S000"].to_numpy()
    wiggle = random_walks(300, 1, seed=12, late=False)["S000"].to_numpy()
    open_ = close * (1 + (wiggle - wiggle[0]) * 1e-3)
    return pd.DataFrame(
        {
            "Date": pd.date_range("2020-01-01", periods=close.size).strftime("%Y-%m-%d"),
            "Open": open_,
            "HIGH": np.maximum(open_, close) * 1.01,
            "low": np.minimum(open_, close) * 0.985,
            "Close": close,
        }
    )


def test_every_source_is_its_formula_added_left_to_right(bars: pd.DataFrame) -> None:
    o, h, l, c = (bars[name].to_numpy() for name in ("Open", "HIGH", "low", "Close"))
    expected = {
        "open": o,
        "high": h,
        "low": l,
        "close": c,
        "hl2": (h + l) / 2,
        "hlc3": (h + l + c) / 3,
        "ohlc4": (o + h + l + c) / 4,
    }
    assert list(expected) == list(atc.PRICE_SOURCES)
    for name, values in expected.items():
        src = atc.price_source(bars, name)
        assert src.name == name
        assert src.index.equals(bars.index)
        np.testing.assert_array_equal(src.to_numpy(), values, strict=True)


def test_a_missing_column_or_an_unknown_source_is_named(bars: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="no 'open' column, which source 'ohlc4' needs"):
        atc.price_source(bars.drop(columns="Open"), "ohlc4")
    with pytest.raises(ValueError, match="unknown source 'hl3'"):
        atc.price_source(bars, "hl3")


@pytest.mark.skipif(not os.environ.get("ATC_CLI_PATH"), reason="ATC_CLI_PATH names no atc program")
def test_the_cli_source_flag_gives_the_same_signals(bars: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "OHLC.csv"
    bars.to_csv(path, index=False, float_format="%.17g")
    # The doubles the CLI reads: pandas' default float parser may miss the nearest double
    # by an ulp (it did on the GPU machine's pandas), the round-trip one does not.
    read_back = pd.read_csv(path, float_precision="round_trip")
    for name in ("hl2", "ohlc4"):
        run = subprocess.run(
            [os.environ["ATC_CLI_PATH"], "compute", str(path), "--source", name, "--backend", "reference"],
            capture_output=True, text=True, check=True,
        )
        cli = pd.read_csv(io.StringIO(run.stdout), float_precision="round_trip")
        ours = atc.compute_atc_signals(
            read_back["Close"], src=atc.price_source(read_back, name), backend="reference"
        )
        np.testing.assert_array_equal(cli["Average_Signal"].to_numpy(), ours["Average_Signal"].to_numpy())
