"""Multi-timeframe ATC against a plain pandas resample().agg() computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import atc


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    index = pd.date_range("2025-01-01", periods=24 * 120 + 5, freq="h")  # the last day is partial
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, size=(len(index), 3)), axis=0))
    return pd.DataFrame(np.round(close, 2), index=index, columns=["BTC", "ETH", "SOL"])


def test_resampled_closes_are_the_last_close_of_each_complete_bucket(hourly: pd.DataFrame) -> None:
    daily = atc.resample_closes(hourly, "1D")
    by_pandas = hourly.resample("1D").agg("last")
    assert len(daily) == len(by_pandas) - 1  # the forming day is dropped
    np.testing.assert_array_equal(daily.to_numpy(), by_pandas.iloc[:-1].to_numpy())
    # Each bar is stamped when its close was known: the bucket's last hour.
    assert (daily.index == by_pandas.index[:-1] + pd.Timedelta(hours=23)).all()
    kept = atc.resample_closes(hourly, "1D", partial="keep")
    assert len(kept) == len(by_pandas) and kept.index[-1] == hourly.index[-1]
    with pytest.raises(TypeError, match="DatetimeIndex"):
        atc.resample_closes(hourly.reset_index(drop=True), "1D")


def test_each_timeframe_is_the_batch_of_its_bars_and_the_consensus_their_mean(hourly: pd.DataFrame) -> None:
    mtf = atc.compute_multi_timeframe(hourly, ("1h", "4h", "1D"), backend="cpu", ema_len=20)
    for tf in mtf.timeframes:
        expected = atc.compute_atc_batch(atc.resample_closes(hourly, tf), backend="cpu", ema_len=20)
        pd.testing.assert_frame_equal(mtf.results[tf]["Average_Signal"], expected["Average_Signal"])
    # The 4h state seen at each hour is the one of the last 4h bar closed by then.
    four = mtf.results["4h"]["state"]
    for t in (hourly.index[500], hourly.index[1001], hourly.index[-1]):
        closed = four.index[four.index <= t]
        assert (mtf.state["4h"].loc[t].to_numpy() == four.loc[closed[-1]].to_numpy()).all()
    by_hand = sum(mtf.state[tf].astype(float) for tf in mtf.timeframes) / 3.0
    pd.testing.assert_frame_equal(mtf.consensus, by_hand)
    all_long = (pd.concat([mtf.state[tf] for tf in mtf.timeframes]).groupby(level=0).min() == 1)
    assert ((mtf.agree == 1) == all_long.reindex(hourly.index)).all().all()
