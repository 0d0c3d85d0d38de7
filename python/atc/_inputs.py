"""The input shapes of compute_atc_batch, in one place.

:func:`normalize_input` turns every accepted shape into what the engine's two entry
points take: a wide frame (index = time, columns = symbols, one calendar) or a dict
symbol -> Series (each symbol on its own calendar). Values are converted afterwards,
symbol by symbol (:func:`table_values`, :func:`series_values`), so that a column that is
not numeric fails its symbol only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Union

import numpy as np
import pandas as pd

from ._atc import InputError
from ._price_source import (
    PRICE_SOURCES,
    SYMBOL_NAMES,
    TIME_NAMES,
    close_label,
    column_key,
    combine_source,
    find_column,
)

Prices = Union[pd.DataFrame, dict[Any, pd.Series]]
"""A normalised input: a wide frame (one calendar) or symbol -> Series (own calendars)."""

NON_NUMERIC = "non-numeric"
"""Status code of a symbol whose column is not numeric (refused before the engine)."""


# --------------------------------------------------------------------------- arrays


def float64(values: Any, what: str) -> np.ndarray:
    """`values` as float64; complex numbers are an error (NumPy would drop their imaginary part)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "c":
        raise TypeError(f"{what}: complex values cannot be prices")
    return arr.astype(np.float64, copy=False)


def is_device_array(obj: Any) -> bool:
    if hasattr(obj, "__cuda_array_interface__"):
        return True
    device = getattr(obj, "__dlpack_device__", None)
    if device is None or isinstance(obj, np.ndarray):
        return False
    return device()[0] not in (1, 3)  # kDLCPU, kDLCUDAHost


def device_to_host(obj: Any) -> np.ndarray:
    """Copies a GPU array (CuPy, or anything with __cuda_array_interface__/DLPack) to host.

    Only where device prices cannot be computed where they lie (``gaps="ffill"``,
    ``calibration``, a host backend; see atc._device) do they take this copy.
    """
    try:
        import cupy
    except ImportError as exc:
        raise TypeError("GPU arrays are accepted through CuPy, which is not installed") from exc
    device_array = (
        cupy.asarray(obj) if hasattr(obj, "__cuda_array_interface__") else cupy.from_dlpack(obj)
    )
    return cupy.asnumpy(device_array)


# --------------------------------------------------------------------------- checks


def check_index(index: pd.Index, what: str) -> None:
    """InputError unless ``index`` is strictly increasing: rows are bars, oldest first, so
    a reversed or repeated time would compute wrong signals without a sound."""
    if index.is_monotonic_increasing and index.is_unique:
        return
    try:
        after = np.asarray(index[1:] > index[:-1], dtype=bool)
    except TypeError as exc:
        raise InputError(f"{what} must be unique and increasing, and its labels "
                         f"cannot be compared ({exc})") from None
    i = int(np.argmin(after)) + 1
    raise InputError(f"{what} must be unique and increasing, but position {i} "
                     f"({index[i]}) is not after position {i - 1} ({index[i - 1]})")


def _numeric(column: pd.Series) -> tuple[np.ndarray | None, str | None]:
    """The column as float64, or None and why it is not prices."""
    dtype = column.dtype
    if dtype.kind in "iuf" or (
        dtype.kind == "O"
        and pd.api.types.infer_dtype(column, skipna=True)
        in ("floating", "integer", "mixed-integer-float", "decimal", "empty")
    ):
        return column.to_numpy(dtype=np.float64, na_value=np.nan), None
    # The first value that is no number, to show what the column holds.
    numbers = (int, float, Decimal, np.number)
    odd = next((v for v in column.dropna() if isinstance(v, bool) or not isinstance(v, numbers)), None)
    example = "" if odd is None else f", e.g. {odd!r}"
    return None, f"not numeric (dtype {dtype}{example})"


def _refuse_complex(frame: pd.DataFrame, what: str, dtypes: set[Any]) -> None:
    if any(dtype.kind == "c" for dtype in dtypes):
        for name, dtype in zip(frame.columns, frame.dtypes.tolist()):
            if dtype.kind == "c":
                raise TypeError(f"{what} column {name!r}: complex values cannot be prices")


def table_values(frame: pd.DataFrame, what: str, noun: str = "the column") -> tuple[np.ndarray, dict[int, str]]:
    """Bars x symbols as float64 in Fortran order (each symbol's bars contiguous), and the
    columns that are not numeric (position -> message naming the symbol), left NaN there
    so that the engine fails them as it fails any empty symbol."""
    dtypes = set(frame.dtypes.tolist())  # the distinct dtypes (iterating the Series costs µs a column)
    _refuse_complex(frame, what, dtypes)
    if all(isinstance(d, np.dtype) and d.kind in "iuf" for d in dtypes):
        # No copy when the frame holds one float64 block (frames built from a Fortran
        # array, or by pandas from columns): its (symbols x bars) block read as is.
        return np.asfortranarray(frame.to_numpy(dtype=np.float64)), {}
    out = np.empty(frame.shape, dtype=np.float64, order="F")
    refused: dict[int, str] = {}
    for j in range(frame.shape[1]):
        values, reason = _numeric(frame.iloc[:, j])
        if values is None:
            refused[j] = f"symbol '{frame.columns[j]}': {noun} is {reason}"
            out[:, j] = np.nan
        else:
            out[:, j] = values
    return out, refused


def series_values(
    series: pd.Series, symbol: Any, what: str, noun: str = "the column"
) -> tuple[np.ndarray, str | None]:
    """One symbol's values as contiguous float64 (all NaN, with the message, when not numeric)."""
    if series.dtype.kind == "c":
        raise TypeError(f"{what}: complex values cannot be prices")
    values, reason = _numeric(series)
    if values is None:
        return np.full(len(series), np.nan), f"symbol '{symbol}': {noun} is {reason}"
    return np.ascontiguousarray(values), None


# --------------------------------------------------------------------------- shapes


def normalize_input(
    data: Any,
    *,
    symbols: Sequence[Any] | None = None,
    time_column: str | None = None,
    close_column: str | None = None,
    source: str = "close",
    what: str = "data",
) -> Prices:
    """Every accepted input shape as a wide frame or a dict of Series (see the module).

    ``source`` picks what a table of OHLC fields (long or (field, ticker)) gives: the close
    (``close_column``, else close / an adjusted close / price) or a PRICE_SOURCES formula.
    Indexes must be unique and increasing (InputError naming the symbol or position).
    """
    data = _to_pandas(data)
    if isinstance(data, Mapping) and not isinstance(data, pd.DataFrame):
        _only_fields(close_column, source, what, "a dict")
        return _from_mapping(data, what)
    if isinstance(data, pd.DataFrame):
        return _from_frame(data, time_column=time_column, close_column=close_column, source=source, what=what)
    _only_fields(close_column, source, what, "a Series or an array")
    if isinstance(data, pd.Series):
        name = data.name if data.name is not None else "series"
        check_index(data.index, f"symbol '{name}': the index")
        return data.to_frame(name=name)
    arr = device_to_host(data) if is_device_array(data) else np.asarray(data)
    if arr.dtype.kind == "c":
        raise TypeError(f"{what}: complex values cannot be prices")
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 2-D (bars x symbols), got shape {arr.shape}")
    columns = pd.Index(symbols) if symbols is not None else pd.RangeIndex(arr.shape[1])
    if len(columns) != arr.shape[1]:
        raise ValueError(f"{len(columns)} symbols given for {arr.shape[1]} columns")
    return pd.DataFrame(arr, columns=columns, copy=False)


def _to_pandas(data: Any) -> Any:
    """A polars or pyarrow table (or series) as pandas, names kept; anything else as is."""
    if type(data).__module__.split(".")[0] not in ("polars", "pyarrow"):
        return data
    if not hasattr(data, "to_pandas") and hasattr(data, "collect"):
        data = data.collect()  # a polars LazyFrame
    return data.to_pandas() if hasattr(data, "to_pandas") else data


def _only_fields(close_column: str | None, source: str, what: str, shape: str) -> None:
    """close_column and a source other than close choose among OHLC fields, which a table
    of closes does not have."""
    if close_column is not None:
        raise ValueError(f"close_column={close_column!r} picks a field of a long or (field, ticker) "
                         f"table; {what} is {shape} of closes")
    if source != "close":
        raise ValueError(f"src={source!r} combines the fields of a long or (field, ticker) table; "
                         f"{what} is {shape} of closes")


def _from_mapping(data: Mapping[Any, Any], what: str) -> Prices:
    series: dict[Any, pd.Series] = {}
    for key, values in data.items():
        if not isinstance(values, pd.Series):
            values = device_to_host(values) if is_device_array(values) else np.asarray(values)
            if values.ndim != 1:
                raise ValueError(f"{what}[{key!r}] must be 1-D, got shape {values.shape}")
            values = pd.Series(values)
        if values.dtype.kind == "c":
            raise TypeError(f"{what}[{key!r}]: complex values cannot be prices")
        check_index(values.index, f"symbol '{key}': the index")
        series[key] = values
    first = next(iter(series.values()), None)
    if first is not None and not all(s.index.equals(first.index) for s in series.values()):
        return series  # different calendars: each symbol is computed on its own bars
    frame = pd.DataFrame(dict(enumerate(series.values())), index=None if first is None else first.index)
    frame.columns = pd.Index(list(series))
    return frame


def _holds_dates(column: pd.Series) -> bool:
    return pd.api.types.infer_dtype(column, skipna=True) in ("datetime", "datetime64", "date")


def _time_label(frame: pd.DataFrame, time_column: str | None, what: str) -> Any | None:
    """The column holding the time, or None when the index is the time."""
    if time_column is not None:
        label = find_column(frame.columns, (column_key(time_column),))
        if label is None:
            found = ", ".join(str(c) for c in frame.columns[:20])
            raise InputError(f"{what}: no column {time_column!r} (time_column) (columns: {found})")
        return label
    if isinstance(frame.index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return None
    named = find_column(frame.columns, TIME_NAMES)
    if named is not None:
        return named
    # By dtype first: building a Series per column would cost more than the engine on a
    # frame of many symbols; only object columns are looked into.
    typed = [
        label for j, (label, dtype) in enumerate(frame.dtypes.items())
        if pd.api.types.is_datetime64_any_dtype(dtype) or (dtype.kind == "O" and _holds_dates(frame.iloc[:, j]))
    ]
    if len(typed) > 1:
        raise InputError(f"{what}: several datetime columns ({', '.join(map(str, typed[:5]))}); "
                         f"pass time_column= to say which is the time")
    return typed[0] if typed else None


def _from_frame(
    frame: pd.DataFrame, *, time_column: str | None, close_column: str | None, source: str, what: str
) -> Prices:
    if isinstance(frame.columns, pd.MultiIndex):
        if time_column is not None:
            raise ValueError(f"time_column={time_column!r}: the time of a (field, ticker) frame is its index")
        return _from_fields(frame, close_column, source, what)
    if isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()  # rows keyed by (time, symbol): a long table
    symbol = find_column(frame.columns, SYMBOL_NAMES)
    if symbol is not None:
        return _from_long(frame, symbol, time_column, close_column, source, what)
    _only_fields(close_column, source, what, "a wide frame")
    time = _time_label(frame, time_column, what)
    if time is not None:
        frame = frame.set_index(time)
    check_index(frame.index, f"{what}: the index (shared by every symbol)")
    return frame


def _field_labels(labels: Sequence[Any], close_column: str | None, source: str, noun: str, what: str) -> list[Any]:
    """The labels of the fields ``source`` needs; its close is the one close_label picks."""
    if source not in PRICE_SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(PRICE_SOURCES)}")
    found = []
    for field in PRICE_SOURCES[source]:
        label = close_label(labels, close_column) if field == "close" else find_column(labels, (field,))
        if label is None:
            if field != "close":
                missing = f"no {field!r} {noun}, which source {source!r} needs"
            elif close_column is not None:
                missing = f"no {close_column!r} {noun} (close_column)"
            else:
                missing = f"no close {noun} (close, an adjusted close or price)"
            names = ", ".join(str(c) for c in list(labels)[:20])
            raise InputError(f"{what}: {missing} ({noun}s: {names})")
        found.append(label)
    return found


def _from_long(
    frame: pd.DataFrame, symbol: Any, time_column: str | None, close_column: str | None, source: str, what: str
) -> Prices:
    """A long table, one row per (time, symbol): each symbol's rows in time order (the rows
    may come in any order, as for a pivot), on its own calendar."""
    time = _time_label(frame.drop(columns=symbol), time_column, what)
    if time is None and not isinstance(frame.index, (pd.DatetimeIndex, pd.PeriodIndex)):
        raise InputError(f"{what}: a long table (symbol column {symbol!r}) needs a time column "
                         f"({', '.join(TIME_NAMES)}) or a datetime index")
    times = frame.index if time is None else pd.Index(frame[time])
    labels = [c for c in frame.columns if c != symbol and c != time]
    fields = _field_labels(labels, close_column, source, "column", what)
    if len(fields) == 1:
        values: Any = frame[fields[0]].array  # its own dtype: a nullable or text column stays one
    else:
        values = combine_source([frame[f].to_numpy(dtype=np.float64) for f in fields])
    # Codes instead of the labels: symbols numbered in order of first appearance (the
    # CLI's order for a long file), times in any order.
    codes, keys = pd.factorize(frame[symbol])
    if (codes < 0).any():
        raise InputError(f"{what}: row {int(np.argmax(codes < 0))} has no symbol")
    time_codes, distinct_times = pd.factorize(times)
    pairs = codes.astype(np.int64) * (len(distinct_times) + 1) + time_codes
    repeated = pd.Index(pairs).duplicated()
    if repeated.any():
        i = int(np.argmax(repeated))
        raise InputError(f"{what}: symbol '{keys[codes[i]]}' has more than one row at {times[i]}")
    order = np.asarray(times.argsort(kind="stable"))
    order = order[np.argsort(codes[order], kind="stable")]  # by symbol, each in time order
    counts = np.bincount(codes, minlength=len(keys))
    numpy_values = isinstance(values, (np.ndarray, pd.arrays.NumpyExtensionArray))
    if len(keys) and numpy_values and (counts == len(distinct_times)).all() and (time_codes >= 0).all():
        # Every symbol on every time (the usual case): the pivot is one reshape.
        block = np.asarray(values)[order].reshape(len(keys), -1).T
        return pd.DataFrame(block, index=times[order[: counts[0]]], columns=keys)
    series = {}
    for key, taken in zip(keys, np.split(order, np.cumsum(counts)[:-1])):
        series[key] = pd.Series(values.take(taken), index=times[taken], name=key)
    return _from_mapping(series, what)


def _from_fields(frame: pd.DataFrame, close_column: str | None, source: str, what: str) -> pd.DataFrame:
    """A (field, ticker) or (ticker, field) column frame, as ``yf.download`` gives."""
    columns = frame.columns
    if columns.nlevels != 2:
        raise InputError(f"{what}: columns with {columns.nlevels} levels; expected (field, ticker) "
                         f"or (ticker, field)")
    level = _field_level(columns, close_column, what)
    fields = list(columns.unique(level=level))
    labels = _field_labels(fields, close_column, source, "field", what)
    parts = [frame.xs(label, axis=1, level=level) for label in labels]
    if len(parts) == 1:
        wide = parts[0]
    else:
        tickers = parts[0].columns
        values = combine_source([p.reindex(columns=tickers).to_numpy(dtype=np.float64) for p in parts])
        wide = pd.DataFrame(values, index=frame.index, columns=tickers)
    check_index(wide.index, f"{what}: the index (shared by every symbol)")
    return wide


def _field_level(columns: pd.MultiIndex, close_column: str | None, what: str) -> int:
    """Which level of two holds the fields (Close, High, ...): the other one's name says
    ticker/symbol (yfinance names them Price and Ticker), else the one with a close."""
    for level, name in enumerate(columns.names):
        if name is not None and column_key(name) in SYMBOL_NAMES:
            return 1 - level
    has_close = [close_label(columns.unique(level=level), close_column) is not None for level in (0, 1)]
    if has_close.count(True) == 1:
        return has_close.index(True)
    raise InputError(f"{what}: cannot tell which column level holds the fields (both or neither has a "
                     f"close); name the ticker level 'Ticker' (columns.names)")
