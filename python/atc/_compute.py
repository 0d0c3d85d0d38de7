"""compute_atc_signals and compute_atc_batch: pandas/NumPy in, pandas out, C++ in between.

Data crosses into the engine as float64 NumPy buffers (no copy when a DataFrame already
holds one float64 block) and comes back as NumPy views of the engine's output columns.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _atc
from ._config import ATCConfig
from ._device import run_device
from ._inputs import (
    NON_NUMERIC,
    check_index,
    device_to_host,
    float64,
    is_device_array,
    normalize_input,
    series_values,
    table_values,
)
from ._outputs import DISCRETE_OUTPUTS, STANDARD_OUTPUTS

BackendName = Literal["auto", "reference", "cpu", "cuda"]
OutputsName = Literal["standard", "compact", "scan", "average"]
GapsName = Literal["error", "ffill"]

HUNDREDTHS_NAN = -128
"""In a compact result's ``X_Signal_hundredths`` frames: no value (bars before the cutout)."""


class ATCWarning(UserWarning):
    """Some symbols of a batch could not be computed (details in ``result.errors``)."""


def _options(
    backend: BackendName,
    use_cuda_kernels: bool | None,
    outputs: OutputsName,
    calibration: str | None,
    *,
    use_streams: bool | None = None,
    num_streams: int = 4,
    threads: int = 0,
    gaps: GapsName = "error",
    chunk_symbols: int = 0,
    device_memory_limit: int = 0,
    devices: Sequence[int] | None = None,
    precision: str = "float64",
) -> _atc.Options:
    if use_cuda_kernels is not None:
        wanted = "cuda" if use_cuda_kernels else "cpu"
        if backend not in ("auto", wanted):
            raise ValueError(
                f"use_cuda_kernels={use_cuda_kernels} contradicts backend={backend!r}"
            )
        backend = wanted  # type: ignore[assignment]
    if use_streams is None:
        streams = 4  # the engine's default pipeline
    else:
        streams = num_streams if use_streams else 1
    return _atc.Options(
        backend=backend,
        outputs=outputs,
        calibration=calibration,
        threads=threads,
        gaps=gaps,
        streams=streams,
        chunk_symbols=chunk_symbols,
        device_memory_limit=device_memory_limit,
        devices=list(devices or ()),
        precision=precision,
    )


# --------------------------------------------------------------------------- one series


def _as_series_values(values: Any, what: str) -> tuple[np.ndarray, pd.Index | None]:
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{what} must be one series (a Series, list or 1-D array), not a DataFrame")
    index = values.index if isinstance(values, pd.Series) else None
    if is_device_array(values):
        values = device_to_host(values)
    arr = np.ascontiguousarray(float64(values, what))
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {arr.shape}")
    return arr, index


def compute_atc_signals(
    prices: pd.Series | Sequence[float] | np.ndarray,
    src: pd.Series | Sequence[float] | np.ndarray | None = None,
    *,
    config: ATCConfig | None = None,
    backend: BackendName = "auto",
    calibration: str | None = None,
    **params: Any,
) -> pd.DataFrame:
    """ATC signals of one price series, as in the original ``compute_atc_signals``.

    Args:
        prices: closing prices, oldest first (Series, list or 1-D array). Leading NaNs
            mean "not listed yet".
        src: optional source of the moving averages (defaults to ``prices``).
        config: base parameters; keyword ``params`` (ATCConfig fields such as
            ``ema_len=20, robustness="Wide", lambda_param=0.5``) override it.
        backend: "auto", "reference", "cpu" or "cuda".
        calibration: a family ("EMA", ..., "KAMA") whose 9 MAs, per-MA signals and
            equities are added as ``EMA_MA_28``, ``EMA_Signal_28``, ``EMA_S_28``, ...

    Returns:
        A DataFrame indexed like ``prices`` with the columns ``Average_Signal``,
        ``EMA_Signal``..``KAMA_Signal``, ``EMA_S``..``KAMA_S``, ``trend``, ``state``,
        ``direction``, ``long_entry``, ``short_entry`` (discrete ones int8). Indexing it
        by name gives the Series the original returned in a dict (``out["Average_Signal"]``);
        ``dict(out.items())`` is that dict.

    Raises:
        ConfigError: invalid parameters. InputError: the series cannot be computed
        (interior NaN, price <= 0, too short...), message naming the bar.
    """
    cfg = ATCConfig.from_params(config, **params)
    close, index = _as_series_values(prices, "prices")
    src_values = None
    if src is not None:
        src_values, _ = _as_series_values(src, "src")
        if src_values.shape != close.shape:
            raise ValueError(f"src has {src_values.size} values but prices has {close.size}")
    name = prices.name if isinstance(prices, pd.Series) and prices.name is not None else "series"
    if index is not None:
        check_index(index, f"symbol '{name}': the index")
    native = _atc.compute(
        close, cfg.to_native(), _options(backend, None, "standard", calibration), src_values, str(name)
    )
    if index is None:
        index = pd.RangeIndex(close.size)
    return pd.DataFrame(
        {key: pd.Series(column, index=index, name=key, copy=False) for key, column in native["columns"].items()}
    )


# --------------------------------------------------------------------------- batches


class ATCResult(Mapping[str, pd.DataFrame]):
    """Outputs of a batch: one DataFrame (bars x symbols) per output name.

    ``result["Average_Signal"]`` or ``result.average_signal``; ``result.errors`` lists
    the symbols that could not be computed (their columns are NaN / 0).
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame], status: pd.DataFrame | Callable[[], pd.DataFrame],
                 backend: str, error_count: int | None = None, symbols: pd.Index | None = None):
        self._frames = dict(frames)
        # A callable makes the status frame when first asked for: a run of 10,000 symbols
        # returns in about the engine's time, and building the frame costs ms (50 ms for
        # 10,000 symbols on the CI VM). error_count and symbols, when given, let the
        # warning and ``symbols`` do without it.
        self._status = status
        self._error_count = error_count
        self._symbols = symbols
        # The engine's own time of the call (compute_batch, measured in the bindings), for
        # python -m atc.bench; None where unknown.
        self._engine_seconds: float | None = None
        self.backend = backend
        """The backend that ran ("reference", "cpu", "cuda"; comma-joined when mixed)."""

    @property
    def status(self) -> pd.DataFrame:
        """Per symbol: code ("ok" or the reason), bar, label, message, filled_bars."""
        if callable(self._status):
            self._status = self._status()
        return self._status

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self._frames[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __getattr__(self, name: str) -> pd.DataFrame:
        # result.average_signal, result.ema_signal, result.kama_s, result.trend, ...
        frames = self.__dict__.get("_frames", {})
        for key, frame in frames.items():
            if key.lower() == name:
                return frame
        raise AttributeError(f"{type(self).__name__} has no output {name!r}")

    def __repr__(self) -> str:
        bars, symbols = next(iter(self._frames.values())).shape if self._frames else (0, 0)
        return (
            f"<ATCResult {bars} bars x {symbols} symbols, {len(self._frames)} outputs, "
            f"backend={self.backend}, errors={len(self.errors)}>"
        )

    @property
    def symbols(self) -> pd.Index:
        """The symbols (columns of every output frame)."""
        if self._symbols is not None and callable(self._status):
            return self._symbols.rename("symbol")
        return self.status.index

    @property
    def errors(self) -> pd.DataFrame:
        """Symbols that could not be computed: symbol, bar, label, code, message."""
        bad = self.status[self.status["code"] != "ok"]
        return bad[["bar", "label", "code", "message"]].reset_index()

    def latest(self) -> pd.DataFrame:
        """The last bar's value of every output, one row per symbol."""
        return pd.DataFrame({key: frame.iloc[-1] for key, frame in self._frames.items()})


class DeviceATCResult(ATCResult):
    """Outputs in GPU memory (``compute_atc_batch(..., device=True)``): output name ->
    (bars x symbols) column-major device array (CuPy when installed, else a DLPack array
    for ``torch.from_dlpack`` / ``jax.dlpack.from_dlpack``); ``status`` on the host."""

    def latest(self) -> pd.DataFrame:
        """The last bar's value of every output, one row per symbol (copied to the host)."""
        import cupy

        return pd.DataFrame({key: cupy.asnumpy(array[-1]) for key, array in self._frames.items()},
                            index=self.symbols)


def _status_frame(
    native: dict, symbols: pd.Index, index: pd.Index, rows: np.ndarray, refused: Mapping[int, str]
) -> pd.DataFrame:
    """Per-symbol status; ``rows[i]`` is the row of ``index`` where symbol i failed, or -1.

    ``refused``: symbols refused before the engine (position -> message), whose values went
    in as NaN so that their outputs are those of any failed symbol; their code says why.
    """
    status = native["status"]
    frame = pd.DataFrame(
        {
            "code": status["code"],
            "bar": np.asarray(status["bar"], dtype=np.int64),
            # The index label of the failing bar (NaN/NaT where the failure has no bar).
            "label": index.take(rows, allow_fill=True, fill_value=None),
            "message": status["message"],
            "filled_bars": np.asarray(status["filled_bars"], dtype=np.int64),
        },
        index=symbols.rename("symbol"),
    )
    if refused:
        # No bar is at fault: the whole column is (and a refused src may have failed at bar 0).
        positions = list(refused)
        for name, value in (("code", NON_NUMERIC), ("bar", -1), ("label", None), ("filled_bars", 0)):
            frame.iloc[positions, frame.columns.get_loc(name)] = value
        frame.iloc[positions, frame.columns.get_loc("message")] = list(refused.values())
    return frame


def _error_count(native: dict) -> int:
    """Symbols of a native result that failed (the engine's count where it gives one)."""
    count = native.get("error_count")
    if count is None:
        codes = native["status"]["code"]
        count = len(codes) - codes.count("ok")
    return int(count)


def _table_result(native: dict, index: pd.Index, columns: pd.Index, refused: Mapping[int, str]) -> ATCResult:
    bars, symbols = len(index), len(columns)
    frames = {
        # Symbol-major flat column -> (bars x symbols) Fortran view, no copy.
        key: pd.DataFrame(flat.reshape(symbols, bars).T, index=index, columns=columns, copy=False)
        for key, flat in native["columns"].items()
    }
    # The status frame is made when first asked for, from the statuses alone (not the columns).
    status = functools.partial(_status_frame, {"status": native["status"]}, columns, index,
                               np.asarray(native["status"]["bar"], dtype=np.int64), dict(refused))
    result = ATCResult(frames, status, native["backend"], error_count=_error_count(native), symbols=columns)
    result._engine_seconds = native.get("engine_seconds")
    return result


def _ragged_result(
    native: dict, series: Sequence[pd.Series], columns: pd.Index, refused: Mapping[int, str]
) -> ATCResult:
    union = series[0].index
    for s in series[1:]:
        union = union.union(s.index)
    rows = np.concatenate([union.get_indexer(s.index) for s in series]) if series else np.empty(0, int)
    cols = np.repeat(np.arange(len(series)), [len(s) for s in series])
    frames = {}
    for key, flat in native["columns"].items():
        if flat.dtype.kind == "f":
            missing = np.nan
        else:
            missing = HUNDREDTHS_NAN if key.endswith("_hundredths") else 0
        out = np.full((len(union), len(series)), missing, flat.dtype, order="F")
        out[rows, cols] = flat
        frames[key] = pd.DataFrame(out, index=union, columns=columns, copy=False)
    bars = np.asarray(native["status"]["bar"], dtype=np.int64)
    starts = np.asarray(native["offsets"][:-1], dtype=np.int64)
    failed = bars >= 0
    failed_rows = np.full(len(bars), -1, dtype=np.int64)
    failed_rows[failed] = rows[starts[failed] + bars[failed]]
    status = functools.partial(_status_frame, {"status": native["status"]}, columns, union, failed_rows,
                               dict(refused))
    result = ATCResult(frames, status, native["backend"], error_count=_error_count(native), symbols=columns)
    result._engine_seconds = native.get("engine_seconds")
    return result


@functools.lru_cache(maxsize=8)
def _range_names(start: int, stop: int, step: int) -> tuple[str, ...]:
    """The names of an array's symbols (a RangeIndex), made once per shape: a scanner
    calling every bar would otherwise make the same thousands of strings each time."""
    return tuple(map(str, range(start, stop, step)))


@dataclasses.dataclass
class _Prices:
    """Price input as the engine takes it: one conversion for batches, sweeps and backtests.

    A table: ``close`` is a (bars x symbols) Fortran float64 array on ``index``. Ragged
    (different calendars): ``close`` is one 1-D array per symbol, ``series`` the Series
    themselves and ``index`` the union of their indexes. ``refused``: symbols refused
    before the engine (position -> message; their values go in as NaN).
    """

    close: np.ndarray | list[np.ndarray]
    src: np.ndarray | list[np.ndarray] | None
    columns: pd.Index
    index: pd.Index
    series: list[pd.Series] | None = None
    refused: dict[int, str] = dataclasses.field(default_factory=dict)

    @property
    def names(self) -> Sequence[str]:
        """Symbol names as the engine reports them."""
        columns = self.columns
        if isinstance(columns, pd.RangeIndex):
            return _range_names(columns.start, columns.stop, columns.step)
        if columns.dtype.kind in "iu" or isinstance(columns.dtype, pd.StringDtype):
            # The same strings, from Python ints / strs (iterating the Index costs 1 µs a label).
            return list(map(str, columns.tolist()))
        return [str(c) for c in columns]

    def bars(self, i: int) -> pd.Index:
        """The index of symbol ``i``'s bars."""
        return self.index if self.series is None else self.series[i].index

    def close_of(self, i: int) -> np.ndarray:
        return np.ascontiguousarray(self.close[:, i]) if self.series is None else self.close[i]

    def src_of(self, i: int) -> np.ndarray | None:
        if self.src is None:
            return None
        return np.ascontiguousarray(self.src[:, i]) if self.series is None else self.src[i]


def _prices(
    data: Any,
    src: Any,
    symbols: Sequence[Any] | None,
    *,
    time_column: str | None = None,
    close_column: str | None = None,
) -> _Prices:
    """Normalises every accepted input shape (and src) into what the engine takes."""
    if (src is None and close_column is None and isinstance(data, np.ndarray) and data.ndim == 2
            and data.dtype.kind in "iuf"):
        # A numeric 2-D array, as normalize_input + table_values would read it, without the
        # frame in between (no copy when it is float64 in Fortran order).
        columns = pd.Index(symbols) if symbols is not None else pd.RangeIndex(data.shape[1])
        if len(columns) != data.shape[1]:
            raise ValueError(f"{len(columns)} symbols given for {data.shape[1]} columns")
        return _Prices(close=np.asfortranarray(data, dtype=np.float64), src=None, columns=columns,
                       index=pd.RangeIndex(data.shape[0]))
    shape = {"symbols": symbols, "time_column": time_column, "close_column": close_column}
    prices = normalize_input(data, **shape)
    if isinstance(src, str):  # a source formula over the input's own OHLC fields
        src_prices = normalize_input(data, **shape, source=src)
    else:
        src_prices = (
            None if src is None else normalize_input(src, symbols=symbols, time_column=time_column, what="src")
        )

    if isinstance(prices, dict):
        # Different calendars: each symbol is computed on its own bars, then aligned.
        keys = list(prices)
        series = list(prices.values())
        refused: dict[int, str] = {}
        closes = []
        for i, (key, s) in enumerate(prices.items()):
            values, reason = series_values(s, key, f"data[{key!r}]")
            closes.append(values)
            if reason is not None:
                refused[i] = reason
        src_list = None
        if src_prices is not None:
            src_series = dict(src_prices.items()) if isinstance(src_prices, pd.DataFrame) else src_prices
            if list(src_series) != keys:
                raise ValueError("src must be a dict with the same keys as data")
            src_list = []
            for i, (key, s) in enumerate(src_series.items()):
                values, reason = series_values(s, key, f"src[{key!r}]", "its src column")
                src_list.append(values)
                if reason is not None:
                    refused.setdefault(i, reason)
        union = series[0].index
        for s in series[1:]:
            union = union.union(s.index)
        return _Prices(close=closes, src=src_list, columns=pd.Index(keys), index=union, series=series,
                       refused=refused)

    values, refused = table_values(prices, "data")
    src_values = None
    if src_prices is not None:
        if not isinstance(src_prices, pd.DataFrame) or src_prices.shape != prices.shape:
            shape_of = src_prices.shape if isinstance(src_prices, pd.DataFrame) else "several calendars"
            raise ValueError(f"src has shape {shape_of} but data has {prices.shape}")
        src_values, src_refused = table_values(src_prices, "src", "its src column")
        refused = src_refused | refused  # a symbol refused twice: its close's reason
    return _Prices(close=values, src=src_values, columns=prices.columns, index=prices.index, refused=refused)


def _run(
    data: Any,
    src: Any,
    cfg: ATCConfig,
    options: _atc.Options,
    symbols: Sequence[Any] | None,
    *,
    time_column: str | None = None,
    close_column: str | None = None,
) -> ATCResult:
    """Normalises the input, runs the engine, and wraps the outputs (no warning)."""
    native_cfg = cfg.to_native()
    prices = _prices(data, src, symbols, time_column=time_column, close_column=close_column)
    if prices.series is not None:
        native = _atc.compute_series(prices.close, prices.names, native_cfg, options, prices.src)
        return _ragged_result(native, prices.series, prices.columns, prices.refused)
    native = _atc.compute_table(prices.close, prices.names, native_cfg, options, prices.src)
    return _table_result(native, prices.index, prices.columns, prices.refused)


def _warn_errors(result: ATCResult, stacklevel: int) -> None:
    if result._error_count == 0:
        return
    errors = result.errors
    if errors.empty:
        return
    shown = "; ".join(errors["message"].head(3))
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    warnings.warn(
        f"{len(errors)} of {len(result.symbols)} symbols could not be computed and have no "
        f"outputs (see result.errors): {shown}{more}",
        ATCWarning,
        stacklevel=stacklevel + 1,
    )


def compute_atc_batch(
    data: pd.DataFrame | Mapping[Any, Any] | np.ndarray | Any,
    src: Any = None,
    *,
    config: ATCConfig | None = None,
    symbols: Sequence[Any] | None = None,
    time_column: str | None = None,
    close_column: str | None = None,
    backend: BackendName = "auto",
    use_cuda_kernels: bool | None = None,
    use_streams: bool | None = None,
    num_streams: int = 4,
    outputs: OutputsName = "standard",
    calibration: str | None = None,
    gaps: GapsName = "error",
    threads: int = 0,
    chunk_symbols: int = 0,
    device_memory_limit: int = 0,
    devices: Sequence[int] | None = None,
    precision: str = "float64",
    device: bool | None = None,
    **params: Any,
) -> ATCResult:
    """ATC for many symbols at once.

    Args:
        data: the closes, oldest first (leading NaNs = listed late), as

            - a wide DataFrame: index = time, columns = symbols; or with the time as a
              column (a datetime column, or one named time/timestamp/date/datetime/
              date_time/open_time, any case; ``time_column`` names it explicitly);
            - a long DataFrame: one row per (time, symbol) with a symbol (or ticker)
              column, a time column (or a datetime index) and a close column (close,
              else Adj Close / adj_close..., else price; ``close_column`` names it).
              Rows may come in any order; two rows of one (time, symbol) are an error.
              Each symbol is one Series of the dict form below;
            - a DataFrame with (field, ticker) or (ticker, field) columns, as
              ``yf.download([...])`` gives (``group_by="ticker"`` too): its Close field
              (same choice as for a long frame);
            - a polars DataFrame/LazyFrame or a pyarrow Table: converted with
              ``to_pandas()``, then one of the above (column names are the symbols);
            - a dict of Series (different calendars are computed per symbol, then
              aligned on the union of the indexes), a Series, a 2-D array (bars x
              symbols), or a GPU array (CuPy, PyTorch, JAX, Numba: read where it lies,
              see ``device``).

            Every index must be unique and increasing (InputError naming the symbol, or
            for a shared index its first bad position). A column that is not numeric
            (text, dates...) fails its symbol only: code "non-numeric" in
            ``result.errors``.
        src: optional MA source of the same shape (or a dict with the same keys), or
            for an input with OHLC fields (long or (field, ticker)) a name of
            :data:`atc.PRICE_SOURCES` ("hl2", "hlc3", "ohlc4"...) computed from them.
        config, params: ATCConfig, and/or its fields as keywords.
        symbols: column names for array input.
        time_column: the time column of a wide or long DataFrame (case-insensitive).
        close_column: the close column of a long frame, or the field of a (field,
            ticker) frame, e.g. "Adj Close" (case-insensitive).
        backend: "auto" (CUDA when available, else cpu), "reference", "cpu", "cuda".
        use_cuda_kernels: True selects "cuda", False "cpu" (the original flag).
        use_streams, num_streams: CUDA pipeline streams (False = 1 stream; None = the
            engine default of 4).
        outputs: "standard" (all), "compact" (all, with the six Layer-1 signals as int8
            hundredths in ``EMA_Signal_hundredths``.. frames instead of ``EMA_Signal``..:
            exact, 1 byte a bar instead of 8, -128 = no value; ``frame / 100`` after
            ``frame.replace(-128, np.nan)`` gives the doubles), "scan"
            (Average_Signal + classification) or "average" (Average_Signal only).
        calibration: also the 9 MAs, signals and equities of this family.
        gaps: "error" (interior NaN fails the symbol) or "ffill" (forward-filled, R = 0).
        threads, chunk_symbols, device_memory_limit, devices: engine tuning.
        device: for prices in GPU memory (an array with ``__cuda_array_interface__`` or
            DLPack: CuPy, PyTorch, JAX, Numba; float64 or float32, bars x symbols in either
            order, strided views too), which the engine reads where they lie, in the
            stream their producer names: True keeps the outputs on the GPU (an
            :class:`atc.DeviceATCResult` of CuPy arrays, or DLPack arrays without CuPy);
            None/False returns the usual frames. With ``gaps="ffill"``, ``calibration`` or
            a non-CUDA backend device prices are copied to the host first (and ``device``
            must not be True).
        precision: "float64" (exact) or "float32": the CUDA kernel's float32 variant,
            ~1.1x faster and not exact (a few hundredths of a percent of the discrete
            outputs differ); the other backends always compute in float64.

    Returns:
        An :class:`ATCResult`. Symbols that cannot be computed do not raise: they are
        listed in ``result.errors`` and summarised in one :class:`ATCWarning`.

    Raises:
        ConfigError: invalid parameters. BackendUnavailable: "cuda" requested without
        a usable device. InputError: an input that cannot be read as bars x symbols
        (an index not increasing, a repeated (time, symbol), a missing column...).
    """
    cfg = ATCConfig.from_params(config, **params)
    options = _options(
        backend, use_cuda_kernels, outputs, calibration,
        use_streams=use_streams, num_streams=num_streams, threads=threads, gaps=gaps,
        chunk_symbols=chunk_symbols, device_memory_limit=device_memory_limit, devices=devices,
        precision=precision,
    )
    on_device = _device_path(data, src, backend, use_cuda_kernels, gaps, calibration)
    if device and not on_device:
        raise ValueError("device=True needs prices in GPU memory, the cuda backend (available here), "
                         "gaps='error' and no calibration")
    if on_device:
        native, index, columns, on_gpu = run_device(data, src, cfg.to_native(), options, symbols, bool(device))
        if on_gpu is None:
            result = _table_result(native, index, columns, {})
        else:
            codes = native["status"]["code"]
            status = functools.partial(_status_frame, native, columns, index,
                                       np.asarray(native["status"]["bar"], dtype=np.int64), {})
            result = DeviceATCResult(on_gpu, status, native["backend"], error_count=len(codes) - codes.count("ok"),
                                     symbols=columns)
    else:
        result = _run(data, src, cfg, options, symbols, time_column=time_column, close_column=close_column)
    _warn_errors(result, stacklevel=2)
    return result


def _device_path(data: Any, src: Any, backend: str, use_cuda_kernels: bool | None, gaps: str,
                 calibration: str | None) -> bool:
    """Whether device prices go to the engine where they lie (else through the host)."""
    if not is_device_array(data) or (src is not None and not is_device_array(src)):
        return False
    if use_cuda_kernels is False or backend not in ("auto", "cuda") or gaps != "error" or calibration:
        return False
    return _atc.cuda_available()
