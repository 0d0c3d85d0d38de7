"""compute_atc_batch on the inputs people have: a time column, long frames, yfinance
(field, ticker) columns, polars and pyarrow tables; unordered indexes and text columns.

Every accepted shape must give the outputs of the same prices as a plain wide frame,
bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import atc

BARS = 300
SYMBOLS = ("AAPL", "MSFT", "NVDA", "XOM")


def _walk(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A random walk on a cent grid, as quoted prices are."""
    return np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, size=shape), axis=0)), 2)


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    rng = np.random.default_rng(16)
    frame = pd.DataFrame(_walk(rng, (BARS, len(SYMBOLS))), columns=list(SYMBOLS),
                         index=pd.date_range("2023-01-02", periods=BARS, freq="B", name="Date"))
    frame.iloc[:40, 2] = np.nan  # listed late
    return frame


@pytest.fixture(scope="module")
def ohlc(wide: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per field, bars x symbols: the close is ``wide``; the other fields wiggle around it."""
    rng = np.random.default_rng(17)
    close = wide.to_numpy()
    open_ = np.round(close * (1 + rng.normal(0, 0.004, close.shape)), 2)
    fields = {
        "Open": open_,
        "High": np.round(np.maximum(open_, close) * 1.01, 2),
        "Low": np.round(np.minimum(open_, close) * 0.99, 2),
        "Close": close,
        "Adj Close": np.round(close * 0.98, 2),
        "Volume": rng.integers(1_000, 100_000, close.shape).astype(float),
    }
    return {name: pd.DataFrame(v, index=wide.index, columns=wide.columns) for name, v in fields.items()}


@pytest.fixture(scope="module")
def expected(wide: pd.DataFrame) -> atc.ATCResult:
    return atc.compute_atc_batch(wide, backend="cpu")


def _long(ohlc: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> pd.DataFrame:
    """The OHLC fields as a long table, (time, symbol) rows, symbol by symbol; listed-late
    bars have no row."""
    stacked = pd.DataFrame({field: frame.stack() for field, frame in ohlc.items()})
    stacked = stacked[stacked.iloc[:, 0].notna()]
    stacked.index.names = ["time", "symbol"]
    frame = stacked.reset_index().sort_values(["symbol", "time"], kind="stable").reset_index(drop=True)
    return frame.rename(columns=names or {})


def assert_same(
    actual: atc.ATCResult, expected: atc.ATCResult, index: pd.Index | None = None, any_order: bool = False
) -> None:
    """Every output bit for bit, with the symbols as columns (in the same order unless
    ``any_order``) and the time axis kept."""
    assert list(actual) == list(expected)
    if any_order:
        assert sorted(actual.symbols) == sorted(expected.symbols)
    else:
        assert list(actual.symbols) == list(expected.symbols)
    for key in expected:
        a, e = actual[key], expected[key][actual.symbols]
        assert list(a.columns) == list(e.columns), key
        assert a.index.equals(e.index if index is None else index), key
        np.testing.assert_array_equal(a.to_numpy(), e.to_numpy(), err_msg=key, strict=True)
    assert list(actual.status["code"]) == list(expected.status.loc[actual.symbols, "code"])


# --------------------------------------------------------------------------- time as a column


def test_a_datetime_column_is_the_time(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    flat = wide.reset_index().rename(columns={"Date": "when"})  # datetime-typed, any name
    assert isinstance(flat.index, pd.RangeIndex)
    assert_same(atc.compute_atc_batch(flat, backend="cpu"), expected)


@pytest.mark.parametrize("name", ["time", "Timestamp", "DATE", "datetime"])
def test_a_column_named_as_a_time_is_the_time(wide: pd.DataFrame, expected: atc.ATCResult, name: str) -> None:
    # Text dates (as read_csv leaves them) are kept as they are, in their order.
    flat = wide.reset_index()
    flat.insert(0, name, flat.pop("Date").dt.strftime("%Y-%m-%d"))
    out = atc.compute_atc_batch(flat, backend="cpu")
    assert_same(out, expected, index=pd.Index(flat[name]))


def test_time_column_names_the_time(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    flat = wide.reset_index().rename(columns={"Date": "bar_open"})
    flat["bar_open"] = flat["bar_open"].astype("int64") // 10**9  # epoch seconds, not datetime-typed
    out = atc.compute_atc_batch(flat, time_column="BAR_OPEN", backend="cpu")
    assert_same(out, expected, index=pd.Index(flat["bar_open"]))
    with pytest.raises(atc.InputError, match="no column 'stamp' \\(time_column\\)"):
        atc.compute_atc_batch(flat, time_column="stamp")


def test_src_with_a_time_column_and_wide_frames_have_no_fields(wide: pd.DataFrame) -> None:
    src = wide * 1.001
    out = atc.compute_atc_batch(wide.reset_index(), src=src.reset_index(), backend="cpu")
    assert_same(out, atc.compute_atc_batch(wide, src=src, backend="cpu"))
    with pytest.raises(ValueError, match="close_column='Adj Close' picks a field of a long or \\(field, ticker"):
        atc.compute_atc_batch(wide, close_column="Adj Close")


def test_two_datetime_columns_ask_for_time_column(wide: pd.DataFrame) -> None:
    flat = wide.reset_index().rename(columns={"Date": "opened"})
    flat["closed"] = flat["opened"] + pd.Timedelta(hours=8)
    with pytest.raises(atc.InputError, match="several datetime columns \\(opened, closed\\).*time_column="):
        atc.compute_atc_batch(flat)
    with pytest.warns(atc.ATCWarning, match="symbol 'closed': the column is not numeric"):
        out = atc.compute_atc_batch(flat, time_column="opened", backend="cpu")
    assert out.errors.set_index("symbol").loc["closed", "code"] == "non-numeric"


# --------------------------------------------------------------------------- long frames


def test_a_long_frame_is_pivoted(ohlc: dict[str, pd.DataFrame], expected: atc.ATCResult) -> None:
    long = _long(ohlc)
    assert len(long) < BARS * len(SYMBOLS)  # NVDA's first 40 bars have no row
    out = atc.compute_atc_batch(long, backend="cpu")
    assert list(out.symbols) == list(SYMBOLS)
    assert_same(out, expected)
    # Rows in any order: the time orders each symbol's bars, as a pivot would; the
    # symbols come in order of first appearance, as the CLI reads a long file.
    shuffled = long.sample(frac=1.0, random_state=3)
    out = atc.compute_atc_batch(shuffled, backend="cpu")
    assert list(out.symbols) == list(pd.unique(shuffled["symbol"]))
    assert_same(out, expected, any_order=True)


def test_a_long_frame_with_every_symbol_on_every_time(wide: pd.DataFrame) -> None:
    listed = wide.iloc[40:]  # no symbol listed late: the pivot is one reshape
    long = _long({"Close": listed})
    shuffled = long.sample(frac=1.0, random_state=5)
    out = atc.compute_atc_batch(shuffled, backend="cpu")
    assert out.average_signal.index.name == "time"
    assert_same(out, atc.compute_atc_batch(listed, backend="cpu"), any_order=True)
    text = long.astype({"Close": object})
    text.loc[text["symbol"] == "MSFT", "Close"] = "?"
    with pytest.warns(atc.ATCWarning, match="symbol 'MSFT': the column is not numeric"):
        assert atc.compute_atc_batch(text, backend="cpu").status.loc["MSFT", "code"] == "non-numeric"


@pytest.mark.parametrize(
    "names",
    [
        {"time": "Timestamp", "symbol": "Ticker", "Close": "close"},
        {"time": "date", "symbol": "SYMBOL", "Close": "Price"},
        {"time": "Date", "symbol": "ticker", "Close": "CLOSE"},
    ],
)
def test_long_frame_column_names_are_case_insensitive(
    ohlc: dict[str, pd.DataFrame], expected: atc.ATCResult, names: dict[str, str]
) -> None:
    long = _long({"Close": ohlc["Close"]}, names)
    assert_same(atc.compute_atc_batch(long, backend="cpu"), expected)


def test_a_long_frame_with_a_time_index_or_row_multiindex(
    ohlc: dict[str, pd.DataFrame], expected: atc.ATCResult
) -> None:
    long = _long(ohlc)
    assert_same(atc.compute_atc_batch(long.set_index("time"), backend="cpu"), expected)
    assert_same(atc.compute_atc_batch(long.set_index(["time", "symbol"]), backend="cpu"), expected)


def test_a_long_frame_on_different_calendars_is_computed_per_symbol(
    ohlc: dict[str, pd.DataFrame], wide: pd.DataFrame
) -> None:
    long = _long({"Close": ohlc["Close"]})
    dropped = long[~((long["symbol"] == "MSFT") & (long.index % 9 == 4))]  # MSFT misses some days
    out = atc.compute_atc_batch(dropped, backend="cpu")
    alone = {s: g.set_index("time")["Close"] for s, g in dropped.groupby("symbol", sort=False)}
    assert_same(out, atc.compute_atc_batch(alone, backend="cpu"))
    assert out.errors.empty and list(out.symbols) == list(SYMBOLS)


def test_close_column_and_src_pick_the_fields_of_a_long_frame(
    ohlc: dict[str, pd.DataFrame], wide: pd.DataFrame
) -> None:
    long = _long(ohlc)
    adjusted = atc.compute_atc_batch(long, close_column="adj close", backend="cpu")
    assert_same(adjusted, atc.compute_atc_batch(ohlc["Adj Close"], backend="cpu"))
    # src="hlc3" is atc.price_source's formula on each symbol's fields.
    src = (ohlc["High"] + ohlc["Low"] + ohlc["Close"]) / 3
    hlc3 = atc.compute_atc_batch(long, src="hlc3", backend="cpu")
    assert_same(hlc3, atc.compute_atc_batch(wide, src=src, backend="cpu"))
    with pytest.raises(atc.InputError, match="no 'Close Price' column \\(close_column\\)"):
        atc.compute_atc_batch(long, close_column="Close Price")


def test_a_repeated_time_of_a_long_frame_names_symbol_and_time(ohlc: dict[str, pd.DataFrame]) -> None:
    long = _long({"Close": ohlc["Close"]})
    repeated = pd.concat([long, long[(long["symbol"] == "XOM")].iloc[[100]]], ignore_index=True)
    when = long[(long["symbol"] == "XOM")].iloc[100]["time"]
    with pytest.raises(atc.InputError, match=f"symbol 'XOM' has more than one row at {when}"):
        atc.compute_atc_batch(repeated)


def test_a_long_frame_needs_a_time_and_symbols(ohlc: dict[str, pd.DataFrame]) -> None:
    long = _long({"Close": ohlc["Close"]})
    with pytest.raises(atc.InputError, match="needs a time column"):
        atc.compute_atc_batch(long.drop(columns="time"))
    nameless = long.copy()
    nameless.loc[5, "symbol"] = None
    with pytest.raises(atc.InputError, match="row 5 has no symbol"):
        atc.compute_atc_batch(nameless)
    missing = "no close column \\(close, an adjusted close or price\\) \\(columns: last\\)"
    with pytest.raises(atc.InputError, match=missing):
        atc.compute_atc_batch(long.rename(columns={"Close": "last"}))


# --------------------------------------------------------------------------- yfinance


def _yfinance(ohlc: dict[str, pd.DataFrame], group_by_ticker: bool) -> pd.DataFrame:
    """``yf.download(SYMBOLS)``'s layout: (Price, Ticker) columns, or (Ticker, Price)."""
    frame = pd.concat(ohlc, axis=1, names=["Price", "Ticker"])
    if group_by_ticker:
        frame = frame.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
    return frame


@pytest.mark.parametrize("group_by_ticker", [False, True])
def test_yfinance_columns_use_the_close(
    ohlc: dict[str, pd.DataFrame], expected: atc.ATCResult, group_by_ticker: bool
) -> None:
    frame = _yfinance(ohlc, group_by_ticker)
    assert_same(atc.compute_atc_batch(frame, backend="cpu"), expected)
    # Unnamed levels: the one holding a Close is the field level.
    frame.columns.names = [None, None]
    assert_same(atc.compute_atc_batch(frame, backend="cpu"), expected)


def test_yfinance_adj_close_and_src(ohlc: dict[str, pd.DataFrame], wide: pd.DataFrame) -> None:
    frame = _yfinance(ohlc, group_by_ticker=True)
    adjusted = atc.compute_atc_batch(frame, close_column="Adj Close", backend="cpu")
    assert_same(adjusted, atc.compute_atc_batch(ohlc["Adj Close"], backend="cpu"))
    src = (ohlc["Open"] + ohlc["High"] + ohlc["Low"] + ohlc["Close"]) / 4
    out = atc.compute_atc_batch(frame, src="ohlc4", backend="cpu")
    assert_same(out, atc.compute_atc_batch(wide, src=src, backend="cpu"))
    # Without a Close field (auto_adjust=False dropped?), the adjusted close stands in, as in the CLI.
    no_close = pd.concat({k: v for k, v in ohlc.items() if k != "Close"}, axis=1, names=["Price", "Ticker"])
    assert_same(atc.compute_atc_batch(no_close, backend="cpu"), adjusted)
    with pytest.raises(ValueError, match="src='hlc3' combines the fields"):
        atc.compute_atc_batch(wide, src="hlc3")


# --------------------------------------------------------------------------- polars, pyarrow


def test_a_polars_frame_keeps_symbols_and_time(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    pl = pytest.importorskip("polars")
    table = pl.from_pandas(wide.reset_index())
    assert table.columns[0] == "Date"
    out = atc.compute_atc_batch(table, backend="cpu")
    assert_same(out, expected)
    assert_same(atc.compute_atc_batch(table.lazy(), backend="cpu"), expected)


def test_a_polars_long_frame(ohlc: dict[str, pd.DataFrame], expected: atc.ATCResult) -> None:
    pl = pytest.importorskip("polars")
    assert_same(atc.compute_atc_batch(pl.from_pandas(_long(ohlc)), backend="cpu"), expected)


def test_a_pyarrow_table_keeps_symbols_and_time(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(wide.reset_index(), preserve_index=False)
    assert_same(atc.compute_atc_batch(table, backend="cpu"), expected)


# --------------------------------------------------------------------------- unordered indexes


def test_a_reversed_or_repeated_index_is_an_error(wide: pd.DataFrame) -> None:
    with pytest.raises(atc.InputError, match="data: the index \\(shared by every symbol\\) must be unique and "
                                             "increasing, but position 1 "
                                             "\\(2024-02-22 00:00:00\\) is not after position 0 \\(2024-02-23"):
        atc.compute_atc_batch(wide.iloc[::-1])
    repeated = wide.copy()
    repeated.index = repeated.index.where(np.arange(BARS) != 120, repeated.index[119])
    with pytest.raises(atc.InputError, match=f"position 120 \\({repeated.index[119]}\\) is not after "
                                             "position 119"):
        atc.compute_atc_batch(repeated)
    flat = repeated.reset_index()  # the same through a time column
    with pytest.raises(atc.InputError, match="position 120"):
        atc.compute_atc_batch(flat)
    assert issubclass(atc.InputError, ValueError)


def test_an_unordered_series_is_an_error_naming_the_symbol(wide: pd.DataFrame) -> None:
    swapped = wide["MSFT"].iloc[[*range(50), 51, 50, *range(52, BARS)]]
    unordered = "symbol 'MSFT': the index must be unique and increasing, but position 51"
    with pytest.raises(atc.InputError, match=unordered):
        atc.compute_atc_batch({"AAPL": wide["AAPL"], "MSFT": swapped})
    with pytest.raises(atc.InputError, match="symbol 'MSFT'"):
        atc.compute_atc_batch(swapped)
    with pytest.raises(atc.InputError, match="symbol 'MSFT'"):
        atc.compute_atc_signals(swapped)


def test_the_ragged_path_names_the_symbol_too(wide: pd.DataFrame) -> None:
    with pytest.raises(atc.InputError, match="symbol 'B': the index must be unique and increasing"):
        atc.compute_atc_batch({"A": wide["AAPL"], "B": wide["MSFT"].iloc[::-2]})


# --------------------------------------------------------------------------- text columns


def _assert_refused(out: atc.ATCResult, symbol: str, expected: atc.ATCResult, start: str | None = None) -> None:
    """``symbol`` failed as any failed symbol does (NaN / 0 outputs), the others computed."""
    errors = out.errors.set_index("symbol")
    assert list(errors.index) == [symbol]
    assert errors.loc[symbol, "code"] == "non-numeric"
    assert errors.loc[symbol, "bar"] == -1 and out.status.loc[symbol, "filled_bars"] == 0
    message = errors.loc[symbol, "message"]
    assert message.startswith(start or f"symbol '{symbol}': the column is not numeric"), message
    assert out.average_signal[symbol].isna().all() and (out.state[symbol] == 0).all()
    good = [s for s in out.symbols if s != symbol]
    for key in expected:
        np.testing.assert_array_equal(out[key][good].to_numpy(), expected[key][good].to_numpy(), err_msg=key)


def test_a_text_column_fails_its_symbol_only(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    text = wide.copy()
    text["MSFT"] = text["MSFT"].map(lambda v: f"{v:.2f}")  # prices as text, e.g. from a scrape
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = atc.compute_atc_batch(text, backend="cpu")
    assert len(caught) == 1 and "symbol 'MSFT': the column is not numeric" in str(caught[0].message)
    _assert_refused(out, "MSFT", expected)
    assert "dtype" in out.errors["message"][0] and repr(text["MSFT"].iloc[0]) in out.errors["message"][0]
    assert list(out.symbols) == list(SYMBOLS)


def test_a_text_series_of_a_dict_or_array_fails_alone(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    mixed = {s: wide[s] for s in SYMBOLS}
    mixed["XOM"] = wide["XOM"].astype(object).where(np.arange(BARS) != 7, "n/a")
    with pytest.warns(atc.ATCWarning, match="e.g. 'n/a'"):
        _assert_refused(atc.compute_atc_batch(mixed, backend="cpu"), "XOM", expected)
    ragged = {**mixed, "AAPL": wide["AAPL"].iloc[1:]}  # different calendars: the series path
    with pytest.warns(atc.ATCWarning, match="symbol 'XOM'"):
        out = atc.compute_atc_batch(ragged, backend="cpu")
    assert out.errors.set_index("symbol").loc["XOM", "code"] == "non-numeric"
    assert out.status.loc["MSFT", "code"] == "ok"


def test_numeric_object_and_nullable_columns_are_prices(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    frame = wide.astype(object)
    frame["AAPL"] = wide["AAPL"].astype("Float64")
    assert_same(atc.compute_atc_batch(frame, backend="cpu"), expected)


def test_a_polars_text_column_fails_its_symbol(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    pl = pytest.importorskip("polars")
    table = pl.from_pandas(wide.reset_index()).with_columns(pl.col("NVDA").cast(pl.Utf8))
    with pytest.warns(atc.ATCWarning, match="symbol 'NVDA'"):
        _assert_refused(atc.compute_atc_batch(table, backend="cpu"), "NVDA", expected)


def test_a_text_src_column_fails_its_symbol(wide: pd.DataFrame, expected: atc.ATCResult) -> None:
    src = wide.astype(object)
    src["AAPL"] = "x"
    with pytest.warns(atc.ATCWarning, match="symbol 'AAPL': its src column is not numeric"):
        out = atc.compute_atc_batch(wide, src=src, backend="cpu")
    _assert_refused(out, "AAPL", atc.compute_atc_batch(wide, src=wide, backend="cpu"),
                    "symbol 'AAPL': its src column is not numeric")
    assert pd.isna(out.status.loc["AAPL", "label"])
