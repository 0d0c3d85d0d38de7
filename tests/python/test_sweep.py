"""atc.sweep, atc.backtest and atc.rank_configs (docs/SEMANTICS.md §12).

The contract: every row of a sweep is the same bits as compute_atc_batch with the row's
configuration followed by atc.backtest on the row's symbol; the metrics themselves are
checked against the plain formulas written out here in pandas.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import atc

# Grids that between them vary every parameter: all six lengths, robustness, lambda,
# decay, cutout, both thresholds, the strategy mode and weights.
GRIDS = {
    "lengths": {"ema_len": [14, 28], "hma_len": [10, 40], "wma_len": [9], "dema_len": [20, 250],
                "lsma_len": [16], "kama_len": [12, 60], "robustness": ["Narrow", "Wide"]},
    "growth": {"lambda_param": [0.02, 0.5], "decay": [0.0, 0.1], "cutout": [0, 40], "robustness": ["Medium"]},
    "classification": {"long_threshold": [0.1, 0.3], "short_threshold": [-0.1, -0.05],
                       "strategy_mode": [False, True], "kama_w": [1.0, 2.5], "hma_w": [0.5]},
}
BACKTESTS = [
    {"source": "state", "side": "long-short", "fee_bps": 5.0, "bars_per_year": None},
    {"source": "direction", "side": "long-only", "fee_bps": 0.0, "bars_per_year": 252.0},
    {"source": "state", "side": "short-only", "fee_bps": 25.0, "bars_per_year": 8760.0},
]


def tick_walks(bars: int = 600, symbols: int = 7, seed: int = 5) -> pd.DataFrame:
    """Random walks on a 0.01 tick grid (prices tie their window MAs), daily dates; one
    listed late, one too short for any configuration, one with an interior gap."""
    rng = np.random.default_rng(seed)
    ticks = 2000 + np.cumsum(rng.integers(-3, 4, size=(bars, symbols)), axis=0)
    close = np.maximum(ticks, 50) * 0.01
    frame = pd.DataFrame(close, index=pd.date_range("2018-01-01", periods=bars, freq="D"),
                         columns=[f"T{i}" for i in range(symbols - 3)] + ["LATE", "SHORT", "GAP"])
    frame.iloc[:170, symbols - 3] = np.nan
    frame.iloc[:-12, symbols - 2] = np.nan
    frame.iloc[300, symbols - 1] = np.nan
    return frame


@pytest.fixture(scope="module")
def walks() -> pd.DataFrame:
    return tick_walks()


@pytest.fixture(scope="module")
def real(market: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """GOOG (daily), EURUSD (hourly), BTCUSD (monthly): three calendars, a ragged input."""
    return {name: frame["Close"] for name, frame in market.items()}


def _batch(prices, cfg: atc.ATCConfig, **kwargs) -> atc.ATCResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", atc.ATCWarning)
        return atc.compute_atc_batch(prices, config=cfg, backend="cpu", **kwargs)


def _last_bars(prices, result: atc.ATCResult) -> pd.DataFrame:
    """Each symbol's last-bar outputs (its own last bar when the calendars differ)."""
    out = {}
    for name in atc.LAST_BAR_OUTPUTS:
        frame = result[name]
        if isinstance(prices, dict):
            out[name] = [frame[s].loc[prices[s].index[-1]] for s in frame.columns]
        else:
            out[name] = frame.iloc[-1].to_numpy()
    return pd.DataFrame(out, index=result.symbols)


def assert_rows_are_batches(rows: pd.DataFrame, prices, grid_params: list[str], backtest: dict,
                            src=None, gaps: str = "error") -> int:
    """Every row of ``rows`` against compute_atc_batch + atc.backtest, bit for bit;
    returns the number of ok rows."""
    ok_rows = 0
    symbols = list(prices) if isinstance(prices, dict) else list(prices.columns)
    assert len(rows) == rows["config"].nunique() * len(symbols)
    for c, block in rows.groupby("config", sort=True):
        params = block.iloc[0][grid_params].to_dict()
        cfg = atc.ATCConfig(**params)
        result = _batch(prices, cfg, src=src, gaps=gaps, outputs="scan")
        expected = atc.backtest(prices, result, src=src, **backtest)
        last = _last_bars(prices, result)
        block = block.set_index("symbol")
        assert list(block.index) == symbols
        np.testing.assert_array_equal(block["code"].to_numpy(), expected["code"].to_numpy(), err_msg=f"config {c}")
        np.testing.assert_array_equal(block["message"].to_numpy(), expected["message"].to_numpy())
        for name in atc.LAST_BAR_OUTPUTS:
            np.testing.assert_array_equal(block[name].to_numpy(), last[name].to_numpy(), err_msg=f"{c} {name}")
            assert block[name].dtype == last[name].dtype
        for name in atc.METRICS:
            np.testing.assert_array_equal(block[name].to_numpy(), expected[name].to_numpy(), err_msg=f"{c} {name}")
            assert block[name].dtype == expected[name].dtype
        ok_rows += int((block["code"] == "ok").sum())
    return ok_rows


# --------------------------------------------------------------------------- (a) exactness


@pytest.mark.parametrize("grid", GRIDS.values(), ids=GRIDS.keys())
@pytest.mark.parametrize("backtest", BACKTESTS, ids=["state-ls-fee", "direction-long", "state-short"])
def test_rows_equal_batch_and_backtest_on_tick_walks(walks: pd.DataFrame, grid: dict, backtest: dict) -> None:
    rows = atc.sweep(walks, grid, backend="cpu", **backtest)
    assert list(rows.columns) == (["config", *grid, "symbol", "code", "message", *atc.LAST_BAR_OUTPUTS,
                                   *atc.METRICS])
    assert (rows.loc[rows["symbol"] == "GAP", "code"] == "non-finite").all()
    assert assert_rows_are_batches(rows, walks, list(grid), backtest) > len(rows) // 2


@pytest.mark.parametrize("gaps", ["error", "ffill"])
def test_rows_equal_batches_with_src_and_gaps(walks: pd.DataFrame, gaps: str) -> None:
    src = walks.shift(1) * 1.001  # starts a bar after close
    grid = {"ema_len": [20, 28], "decay": [0.0, 0.05]}
    backtest = BACKTESTS[0]
    rows = atc.sweep(walks, grid, src=src, gaps=gaps, backend="cpu", **backtest)
    if gaps == "ffill":
        assert (rows.loc[rows["symbol"] == "GAP", "code"] == "ok").all()
    assert assert_rows_are_batches(rows, walks, list(grid), backtest, src=src, gaps=gaps) > 0


def test_reference_and_cpu_rows_are_the_same_bits(walks: pd.DataFrame) -> None:
    grid = {"robustness": ["Narrow", "Wide"], "lambda_param": [0.02, 0.7]}
    cpu = atc.sweep(walks, grid, backend="cpu", fee_bps=3.0)
    reference = atc.sweep(walks, grid, backend="reference", fee_bps=3.0)
    pd.testing.assert_frame_equal(cpu, reference, check_exact=True)


def test_rows_equal_batches_on_real_data(real: dict[str, pd.Series]) -> None:
    grid = {"ema_len": [20, 28], "robustness": ["Narrow", "Wide"], "lambda_param": [0.02, 1.0],
            "decay": [0.03, 0.0], "cutout": [0, 60], "long_threshold": [0.1, 0.25],
            "strategy_mode": [False, True], "lsma_w": [1.0, 0.5], "dema_len": [28, 80]}
    for backtest in BACKTESTS[:2]:
        rows = atc.sweep(real, grid, backend="cpu", **backtest)
        assert len(rows) == 2**9 * 3
        assert set(rows["code"]) == {"ok", "too-short"}  # BTCUSD's 156 months are too few for some
        assert assert_rows_are_batches(rows, real, list(grid), backtest) > 2 * 2**9


def test_explicit_configs_and_kept_series(walks: pd.DataFrame) -> None:
    configs = [atc.ATCConfig(), {"ema_len": 14, "robustness": "Wide"}, atc.ATCConfig(decay=0.0, cutout=30)]
    rows = atc.sweep(walks, configs=configs, source="direction", keep=[(1, "T2"), (2, "LATE"), (0, "SHORT")],
                     bars_per_year=365)
    # Parameter columns: the fields some configuration sets or changes.
    assert list(rows.columns[:6]) == ["config", "ema_len", "robustness", "decay", "cutout", "symbol"]
    assert list(rows["robustness"].iloc[:: len(walks.columns)]) == ["Medium", "Wide", "Medium"]
    kept = rows.attrs["kept"]
    assert list(kept) == [(1, "T2"), (2, "LATE"), (0, "SHORT")]
    for (c, symbol), series in kept.items():
        cfg = configs[c] if isinstance(configs[c], atc.ATCConfig) else atc.ATCConfig(**configs[c])
        result = _batch(walks, cfg)
        assert series.index.equals(walks.index)
        np.testing.assert_array_equal(series["Average_Signal"].to_numpy(), result.average_signal[symbol].to_numpy())
        np.testing.assert_array_equal(series["position"].to_numpy(), result.direction[symbol].to_numpy())
        assert series["position"].dtype == np.int8
    assert (kept[(0, "SHORT")]["position"] == 0).all()  # a pair that failed keeps NaN / 0
    with pytest.raises(ValueError, match="symbol 'NOPE' is not in the prices"):
        atc.sweep(walks, configs=configs, keep=[(0, "NOPE")])
    with pytest.raises(ValueError, match="configuration 3 is out of range"):
        atc.sweep(walks, configs=configs, keep=[(3, "T0")])


# --------------------------------------------------------------------------- (b) the formulas


def plain_metrics(close: pd.Series, position: pd.Series, fee_bps: float, bars_per_year: float) -> dict:
    """The metrics by their definitions: p[t] held over the next bar, p[-1] = 0."""
    p = position.to_numpy(dtype=np.int64)[:-1]  # the last bar's position is not traded
    before = np.concatenate([[0], p[:-1]])
    returns = close.to_numpy()[1:] / close.to_numpy()[:-1] - 1.0
    net = pd.Series(p * returns - fee_bps / 1e4 * np.abs(p - before))
    equity = (1.0 + net).cumprod()
    peak = np.maximum(equity.cummax(), 1.0)
    periods = len(net)
    total = equity.iloc[-1] - 1.0
    sd = net.std(ddof=1)
    entries = (p != before) & (p != 0)
    trade = np.where(p != 0, np.cumsum(entries) - 1, -1)
    trade_returns = [(1.0 + net[trade == k]).prod() - 1.0 for k in range(int(entries.sum()))]
    return {
        "total_return": total,
        "annual_return": (1.0 + total) ** (bars_per_year / periods) - 1.0,
        "annual_volatility": sd * np.sqrt(bars_per_year),
        "sharpe": net.mean() / sd * np.sqrt(bars_per_year) if sd > 0 else 0.0,
        "max_drawdown": max(0.0, float((1.0 - equity / peak).max())),
        "exposure": float(np.count_nonzero(p)) / periods,
        "hit_rate": sum(r > 0 for r in trade_returns) / len(trade_returns) if trade_returns else 0.0,
        "trades": int(entries.sum()),
        "periods": periods,
    }


@pytest.mark.parametrize("backtest", BACKTESTS, ids=["state-ls-fee", "direction-long", "state-short"])
def test_metrics_follow_their_formulas(walks: pd.DataFrame, backtest: dict) -> None:
    configs = [{"ema_len": 14, "robustness": "Narrow"}, {"lambda_param": 0.5, "long_threshold": 0.2}]
    rows = atc.sweep(walks, configs=configs, **backtest,
                     keep=[(c, s) for c in range(2) for s in ("T0", "T3", "LATE")])
    bars_per_year = rows.attrs["bars_per_year"]
    if backtest["bars_per_year"] is None:
        assert bars_per_year == pytest.approx(365.25)
    checked = 0
    for (c, symbol), series in rows.attrs["kept"].items():
        start = walks[symbol].first_valid_index()
        close = walks[symbol].loc[start:]
        position = series["position"].loc[start:]
        expected = plain_metrics(close, position, backtest["fee_bps"], bars_per_year)
        row = rows[(rows["config"] == c) & (rows["symbol"] == symbol)].iloc[0]
        assert row["code"] == "ok"
        assert row["trades"] > 3
        for name in atc.METRICS:
            if name in ("trades", "periods"):
                assert row[name] == expected[name], name
            else:
                np.testing.assert_allclose(row[name], expected[name], rtol=1e-9, atol=1e-15, err_msg=name)
        checked += 1
    assert checked == 6


def test_a_hand_worked_backtest() -> None:
    # Long over 100 -> 110, flip short over 110 -> 99, flat over 99 -> 99, fee 1%.
    close = np.array([100.0, 110.0, 99.0, 99.0])
    m = atc._atc.backtest(close, np.array([1, -1, 0, 1], dtype=np.int8),
                          atc._atc.BacktestOptions(fee_bps=100.0, bars_per_year=3.0))
    e = (1.0 + (0.1 - 0.01)) * (1.0 + (0.1 - 0.02)) * (1.0 - 0.01)
    assert m["total_return"] == pytest.approx(e - 1.0, abs=1e-15)
    assert (m["trades"], m["periods"]) == (2, 3)
    assert m["exposure"] == pytest.approx(2 / 3) and m["hit_rate"] == 1.0
    assert list(m) == list(atc.METRICS)


def test_metric_table_comes_from_the_engine() -> None:
    table = atc._atc.metrics()
    assert tuple(m["name"] for m in table) == atc.METRICS
    assert "sharpe" in atc.METRICS and "max_drawdown" in atc.METRICS
    assert atc.HIGHER_IS_BETTER["sharpe"] and not atc.HIGHER_IS_BETTER["max_drawdown"]
    assert {m["dtype"] for m in table} == {"float64", "int64"}


# --------------------------------------------------------------------------- (c) per-row failures


def test_a_too_short_symbol_fails_only_its_rows(walks: pd.DataFrame) -> None:
    rows = atc.sweep(walks, {"ema_len": [14, 28], "cutout": [0, 5]}, backend="cpu")
    short = rows[rows["symbol"] == "SHORT"]
    assert len(short) == 4 and (short["code"] == "too-short").all()
    assert short["message"].str.contains("symbol 'SHORT'").all()
    assert short["Average_Signal"].isna().all() and short["sharpe"].isna().all()
    assert (short[["trend", "state", "trades", "periods"]] == 0).all().all()
    others = rows[~rows["symbol"].isin(["SHORT", "GAP"])]
    assert (others["code"] == "ok").all() and others["sharpe"].notna().all()
    assert (others["message"] == "").all()


def test_a_configuration_too_long_for_some_symbols(walks: pd.DataFrame) -> None:
    rows = atc.sweep(walks, {"dema_len": [28, 250]}, backend="cpu")  # DEMA: 2L-1 = 499+ bars
    long = rows[rows["config"] == 1].set_index("symbol")["code"]
    assert long["T0"] == "ok" and long["LATE"] == "too-short"  # LATE has 430 bars
    assert (rows[rows["config"] == 0].set_index("symbol")["code"].drop(["SHORT", "GAP"]) == "ok").all()


# --------------------------------------------------------------------------- (d) invalid input


def test_an_invalid_grid_value_names_parameter_and_value(walks: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"grid value ema_len=3: ema_len = 3 is too short") as info:
        atc.sweep(walks, {"robustness": ["Wide"], "ema_len": [28, 3]})
    assert isinstance(info.value, atc.ConfigError)
    with pytest.raises(ValueError, match=r"grid value decay=-1\.0"):
        atc.sweep(walks, {"lambda_param": [0.02], "decay": [0.03, -1.0]})
    with pytest.raises(ValueError, match=r"grid value cutout=-2"):
        atc.sweep(walks, {"cutout": [0, -2]})
    # Valid one by one, invalid together: the combination is named.
    with pytest.raises(ValueError, match=r"grid combination long_threshold=0\.05, short_threshold=0\.08"):
        atc.sweep(walks, {"long_threshold": [0.05, 0.2], "short_threshold": [0.08]})
    with pytest.raises(ValueError, match=r"configuration 1 \(ema_len=2\)"):
        atc.sweep(walks, configs=[{}, {"ema_len": 2}])
    with pytest.raises(TypeError, match=r"grid value ema_len=2\.5"):
        atc.sweep(walks, {"ema_len": [2.5]})
    with pytest.raises(TypeError, match="unknown ATC parameter 'speed'"):
        atc.sweep(walks, {"speed": [1]})
    with pytest.raises(TypeError, match="must be a list of values"):
        atc.sweep(walks, {"robustness": "Wide"})
    with pytest.raises(ValueError, match="has no values"):
        atc.sweep(walks, {"ema_len": []})
    with pytest.raises(ValueError, match="grid is empty"):
        atc.sweep(walks, {})
    with pytest.raises(ValueError, match="either grid"):
        atc.sweep(walks)
    with pytest.raises(ValueError, match="side: unknown value 'both'"):
        atc.sweep(walks, {"ema_len": [28]}, side="both")
    with pytest.raises(ValueError, match="source: unknown value 'trend'"):
        atc.sweep(walks, {"ema_len": [28]}, source="trend")
    with pytest.raises(ValueError, match="fee_bps"):
        atc.sweep(walks, {"ema_len": [28]}, fee_bps=-1.0)


# --------------------------------------------------------------------------- (e) bars per year


@pytest.mark.parametrize(("freq", "bars", "expected"), [("D", 800, 365.25), ("B", 800, None), ("h", 3000, 8766.0)])
def test_bars_per_year_is_inferred_from_the_time_index(freq: str, bars: int, expected: float | None) -> None:
    frame = tick_walks(bars, 4, seed=3).iloc[:, :2]
    frame.index = pd.date_range("2020-01-01", periods=bars, freq=freq)
    span_years = (frame.index[-1] - frame.index[0]) / pd.Timedelta(days=365.25)
    inferred = (bars - 1) / span_years
    if expected is not None:
        assert inferred == pytest.approx(expected)
    else:
        assert 255 < inferred < 265  # business days
    rows = atc.sweep(frame, {"ema_len": [20]}, fee_bps=2.0)
    assert rows.attrs["bars_per_year"] == inferred
    given = atc.sweep(frame, {"ema_len": [20]}, fee_bps=2.0, bars_per_year=inferred)
    pd.testing.assert_frame_equal(rows, given, check_exact=True)
    other = atc.sweep(frame, {"ema_len": [20]}, fee_bps=2.0, bars_per_year=inferred / 2)
    assert not np.array_equal(rows["annual_return"], other["annual_return"])
    result = _batch(frame, atc.ATCConfig(ema_len=20))
    pd.testing.assert_frame_equal(atc.backtest(frame, result, fee_bps=2.0),
                                  atc.backtest(frame, result, fee_bps=2.0, bars_per_year=inferred))


def test_bars_per_year_must_be_given_without_a_time_index(walks: pd.DataFrame) -> None:
    frame = walks.reset_index(drop=True)
    with pytest.raises(ValueError, match="no DatetimeIndex.*give bars_per_year"):
        atc.sweep(frame, {"ema_len": [28]})
    with pytest.raises(ValueError, match="no DatetimeIndex"):
        atc.backtest(frame, _batch(frame, atc.ATCConfig()))
    assert len(atc.sweep(frame, {"ema_len": [28]}, bars_per_year=252)) == frame.shape[1]
    with pytest.raises(ValueError, match="bars_per_year"):
        atc.sweep(walks, {"ema_len": [28]}, bars_per_year=0.0)


# --------------------------------------------------------------------------- (f) rankings


@pytest.mark.parametrize(("metric", "aggregate"), [("sharpe", "mean"), ("max_drawdown", "median"),
                                                   ("trades", "mean"), ("total_return", "median")])
def test_rank_configs(walks: pd.DataFrame, metric: str, aggregate: str) -> None:
    grid = {"ema_len": [14, 28], "robustness": ["Narrow", "Wide"], "dema_len": [28, 400]}
    rows = atc.sweep(walks, grid, backend="cpu", fee_bps=5.0)
    ranking = atc.rank_configs(rows, metric, aggregate)
    assert list(ranking.columns) == ["config", "ema_len", "robustness", "dema_len", "score", "rows"]
    assert sorted(ranking["config"]) == list(range(8))
    ok = rows[rows["code"] == "ok"]
    for _, r in ranking.iterrows():
        values = ok.loc[ok["config"] == r["config"], metric].to_numpy(dtype=np.float64)
        assert r["rows"] == len(values)
        params = rows.loc[rows["config"] == r["config"], list(grid)].iloc[0]
        assert (r[list(grid)] == params).all()
        if len(values) == 0:
            assert np.isnan(r["score"])
        else:
            expected = values.mean() if aggregate == "mean" else np.median(values)
            assert r["score"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # dema_len = 400 needs 799+ bars: those four configurations have no ok row and come last.
    assert list(ranking["dema_len"].iloc[4:]) == [400] * 4 and ranking["score"].iloc[4:].isna().all()
    assert list(ranking["config"].iloc[4:]) == sorted(ranking["config"].iloc[4:])
    scores = ranking["score"].iloc[:4].to_numpy()
    if atc.HIGHER_IS_BETTER[metric]:
        assert (np.diff(scores) <= 0).all()
    else:
        assert (np.diff(scores) >= 0).all()


def test_rank_configs_rejects_unknown_names(walks: pd.DataFrame) -> None:
    rows = atc.sweep(walks, {"ema_len": [28]})
    with pytest.raises(ValueError, match="unknown 'sortino'.*sharpe"):
        atc.rank_configs(rows, "sortino")
    with pytest.raises(ValueError, match="aggregate"):
        atc.rank_configs(rows, "sharpe", "max")


# --------------------------------------------------------------------------- atc.backtest


def test_backtest_of_a_batch(walks: pd.DataFrame) -> None:
    result = _batch(walks, atc.ATCConfig(ema_len=20))
    out = atc.backtest(walks, result, fee_bps=5.0, side="long-only")
    assert out.index.equals(pd.Index(walks.columns, name="symbol"))
    assert list(out.columns) == ["code", "message", *atc.METRICS]
    assert out.loc["SHORT", "code"] == "too-short" and np.isnan(out.loc["SHORT", "sharpe"])
    assert out.loc["T0", "code"] == "ok" and out.loc["T0", "trades"] > 0
    with pytest.raises(ValueError, match="no 'state' output"):
        atc.backtest(walks, _batch(walks, atc.ATCConfig(), outputs="average"))
    with pytest.raises(TypeError, match="ATCResult"):
        atc.backtest(walks, result.average_signal)
    with pytest.raises(ValueError, match="different bars"):
        atc.backtest(walks.iloc[:-1], result)


# --------------------------------------------------------------------------- (g) Dask


def test_dask_sweep_equals_the_local_sweep(dask_client, walks: pd.DataFrame) -> None:
    atc_dask = pytest.importorskip("atc.dask")
    grid = {"ema_len": [14, 28], "lambda_param": [0.02, 0.5], "robustness": ["Narrow", "Medium", "Wide"]}
    local = atc.sweep(walks, grid, fee_bps=5.0, source="direction")
    for per_task in (None, 1, 5, 100):
        remote = atc_dask.sweep_distributed(walks, grid, dask_client, per_task, fee_bps=5.0, source="direction")
        pd.testing.assert_frame_equal(remote, local, check_exact=True)
    configs = [{"decay": 0.0}, {"cutout": 10, "ema_len": 20}, {}]
    remote = atc_dask.sweep_distributed(walks, None, dask_client, 2, configs=configs, bars_per_year=252)
    pd.testing.assert_frame_equal(remote, atc.sweep(walks, configs=configs, bars_per_year=252), check_exact=True)
    with pytest.raises(ValueError, match="grid value ema_len=3"):
        atc_dask.sweep_distributed(walks, {"ema_len": [3]}, dask_client)
