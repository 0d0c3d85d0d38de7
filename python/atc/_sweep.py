"""Parameter sweeps and backtests: atc.sweep, atc.backtest, atc.rank_configs.

A sweep runs many configurations over a universe of symbols and reduces every
(configuration, symbol) pair to its last bar's outputs and its backtest metrics
(docs/SEMANTICS.md §12). Every row is the same bits as :func:`atc.compute_atc_batch`
with that configuration followed by :func:`atc.backtest` on that symbol.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from . import _atc
from ._compute import DISCRETE_OUTPUTS, ATCResult, BackendName, GapsName, _options, _prices, _Prices
from ._config import ATCConfig, _canonical, grid_configs
from ._inputs import NON_NUMERIC

SourceName = Literal["state", "direction"]
SideName = Literal["long-short", "long-only", "short-only"]

_METRIC_TABLE: tuple[dict[str, Any], ...] = tuple(_atc.metrics())
METRICS: tuple[str, ...] = tuple(m["name"] for m in _METRIC_TABLE)
"""The backtest metrics, in the engine's order (the columns of a sweep and a backtest)."""
HIGHER_IS_BETTER: dict[str, bool] = {m["name"]: bool(m["higher_is_better"]) for m in _METRIC_TABLE}
"""How :func:`rank_configs` orders each metric."""
_FLOAT_METRICS = tuple(m["name"] for m in _METRIC_TABLE if m["dtype"] == "float64")
_INT_METRICS = tuple(m["name"] for m in _METRIC_TABLE if m["dtype"] == "int64")
LAST_BAR_OUTPUTS: tuple[str, ...] = ("Average_Signal",) + DISCRETE_OUTPUTS
"""The last bar's outputs in a sweep's rows."""

_FIELDS = tuple(f.name for f in dataclasses.fields(ATCConfig))


# --------------------------------------------------------------------------- shared pieces


def infer_bars_per_year(index: pd.Index) -> float:
    """Bars a year of a time index: (bars - 1) / its span in years of 365.25 days."""
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(
            "bars_per_year: the prices have no DatetimeIndex to infer it from; give bars_per_year "
            "(e.g. 252 for daily equities, 365 for daily crypto, 8760 for hourly crypto)"
        )
    if len(index) < 2:
        raise ValueError("bars_per_year: a time index of fewer than 2 bars has no span; give bars_per_year")
    span = (index.max() - index.min()) / pd.Timedelta(days=365.25)
    if not span > 0:
        raise ValueError("bars_per_year: the time index spans no time; give bars_per_year")
    return (len(index) - 1) / span


def _backtest_options(source: str, side: str, fee_bps: float, bars_per_year: float | None,
                      prices: _Prices) -> _atc.BacktestOptions:
    if bars_per_year is None:
        bars_per_year = infer_bars_per_year(prices.index)
    return _atc.BacktestOptions(source=source, side=side, fee_bps=float(fee_bps), bars_per_year=float(bars_per_year))


def _metric_columns(values: Mapping[str, np.ndarray], ok: np.ndarray) -> dict[str, np.ndarray]:
    """The metric columns; float metrics are NaN where a row is not ok (the counts are 0)."""
    out = {}
    for name in METRICS:
        column = np.asarray(values[name])
        if name in _FLOAT_METRICS:
            column = np.where(ok, column, np.nan)
        out[name] = column
    return out


def _configurations(
    grid: Mapping[str, Sequence[Any]] | None,
    configs: Sequence[ATCConfig | Mapping[str, Any]] | None,
    base: ATCConfig | None,
) -> tuple[list[ATCConfig], pd.DataFrame]:
    """The validated configurations and their parameter columns (one row each)."""
    if base is None:
        base = ATCConfig()
    elif not isinstance(base, ATCConfig):
        raise TypeError(f"base must be an ATCConfig, not {type(base).__name__}")
    if (grid is None) == (configs is None):
        raise ValueError("give either grid (a dict {parameter: [values]}) or configs (a list), not both or neither")
    if grid is not None:
        combos = grid_configs(grid, base)
        names = list(combos[0][0])
        cfgs = [cfg for _, cfg in combos]
    else:
        if isinstance(configs, (ATCConfig, Mapping)):
            raise TypeError("configs must be a list of ATCConfig or dicts")
        cfgs, given = [], set()
        for i, c in enumerate(configs):
            if isinstance(c, ATCConfig):
                cfgs.append(c)
            elif isinstance(c, Mapping):
                params = _canonical(c)
                given.update(params)
                try:
                    cfgs.append(base.replace(**params))
                except (_atc.ConfigError, TypeError) as exc:
                    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
                    kind = _atc.ConfigError if isinstance(exc, _atc.ConfigError) else TypeError
                    raise kind(f"configuration {i} ({shown}): {exc}") from None
            else:
                raise TypeError(f"configs[{i}] must be an ATCConfig or a dict, not {type(c).__name__}")
        if not cfgs:
            raise ValueError("configs is empty: give at least one configuration")
        # The fields some configuration sets or changes from base.
        names = [f for f in _FIELDS if f in given or any(getattr(c, f) != getattr(base, f) for c in cfgs)]
    params = pd.DataFrame({name: [getattr(c, name) for c in cfgs] for name in names}, index=pd.RangeIndex(len(cfgs)))
    return cfgs, params


def _describe(params: pd.DataFrame, config: int) -> str:
    row = params.iloc[config]
    shown = ", ".join(f"{k}={v!r}" for k, v in row.items())
    return f"configuration {config}" + (f" ({shown})" if shown else "")


def _with_params(rows: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (config index first) with the parameter columns of each row's configuration."""
    taken = params.take(rows["config"].to_numpy())
    front = {"config": rows["config"].to_numpy()}
    for name in params.columns:
        front[name] = taken[name].to_numpy()
    out = pd.DataFrame(front)
    return pd.concat([out, rows.drop(columns="config")], axis=1)


# --------------------------------------------------------------------------- atc.sweep


def _sweep_rows(
    prices: _Prices,
    cfgs: Sequence[ATCConfig],
    params: pd.DataFrame,
    options: _atc.Options,
    backtest: _atc.BacktestOptions,
    keep: Sequence[tuple[int, Any]],
) -> tuple[pd.DataFrame, dict[tuple[int, Any], pd.DataFrame], str]:
    """The engine's rows (config, symbol, code, message, last bar, metrics), kept series, backend."""
    pairs = []
    for pair in keep:
        try:
            c, label = pair
        except (TypeError, ValueError):
            raise TypeError(f"keep: {pair!r} is not a (configuration index, symbol) pair") from None
        if not 0 <= int(c) < len(cfgs):
            raise ValueError(f"keep: configuration {c} is out of range ({len(cfgs)} configurations)")
        matches = np.flatnonzero(prices.columns == label)
        if len(matches) != 1:
            raise ValueError(f"keep: symbol {label!r} is {'not in the prices' if not len(matches) else 'not unique'}")
        pairs.append((int(c), int(matches[0])))
    native_cfgs = [c.to_native() for c in cfgs]
    try:
        native = _atc.sweep(prices.close, prices.names, native_cfgs, options, backtest, prices.src, pairs)
    except _atc.ConfigError as exc:
        found = re.match(r"configuration (\d+): (.*)", str(exc), re.S)
        if found is None:
            raise
        raise _atc.ConfigError(f"{_describe(params, int(found[1]))}: {found[2]}") from None
    columns = native["columns"]
    code = np.asarray(native["code_names"], dtype=object)[columns["code"]]
    message = np.full(len(code), "", dtype=object)
    message[columns["failed"]] = columns["failed_message"]
    for i, reason in prices.refused.items():  # went in as NaN: say why, as a batch does
        refused = np.asarray(columns["symbol"]) == i
        code[refused] = NON_NUMERIC
        message[refused] = reason
    ok = code == "ok"
    rows = {
        "config": columns["config"],
        "symbol": prices.columns.take(columns["symbol"]),
        "code": code,
        "message": message,
    }
    for name in LAST_BAR_OUTPUTS:
        rows[name] = columns[name]
    rows.update(_metric_columns(columns, ok))
    frame = pd.DataFrame(rows)
    kept = {}
    for (c, label), k in zip(keep, native["kept"]):
        bars = prices.bars(k["symbol"])
        kept[(c, label)] = pd.DataFrame({"Average_Signal": k["Average_Signal"], "position": k["position"]},
                                        index=bars)
    return frame, kept, native["backend"]


def sweep(
    prices: pd.DataFrame | Mapping[Any, Any] | np.ndarray | Any,
    grid: Mapping[str, Sequence[Any]] | None = None,
    configs: Sequence[ATCConfig | Mapping[str, Any]] | None = None,
    *,
    base: ATCConfig | None = None,
    src: Any = None,
    symbols: Sequence[Any] | None = None,
    source: SourceName = "state",
    side: SideName = "long-short",
    fee_bps: float = 0.0,
    bars_per_year: float | None = None,
    backend: BackendName = "auto",
    keep: Sequence[tuple[int, Any]] | None = None,
    gaps: GapsName = "error",
    threads: int = 0,
    streams: int = 4,
    devices: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Every configuration of a grid (or list) on every symbol: last bar and backtest metrics.

    Args:
        prices: closes as :func:`atc.compute_atc_batch` takes them (a DataFrame with
            symbols as columns, a dict of Series, a 2-D array with ``symbols``).
        grid: ATCConfig field -> values, e.g. ``{"ema_len": [14, 28], "robustness":
            ["Narrow", "Wide"]}``; every combination runs (``itertools.product`` order).
        configs: instead of a grid, a list of ATCConfig or dicts of fields (over ``base``).
        base: the parameters the grid or the dicts override (default ATCConfig()).
        src: optional MA source, as in compute_atc_batch.
        source: the position a backtest takes: "state" (+1 above the long threshold, -1
            below the short one, else flat) or "direction" (the last crossing's side).
        side: "long-short", "long-only" or "short-only".
        fee_bps: cost of a change of position in basis points (a flip costs twice).
        bars_per_year: for the annualised metrics; None infers it from the prices'
            DatetimeIndex as (bars - 1) / span in years of 365.25 days (required
            without a DatetimeIndex).
        backend: "auto", "reference", "cpu" or "cuda".
        keep: (configuration index, symbol) pairs whose whole ``Average_Signal`` and
            backtest ``position`` series are returned in ``frame.attrs["kept"]``, a
            dict {(configuration, symbol): DataFrame on the symbol's bars}.
        gaps, threads, streams, devices: as in compute_atc_batch.

    Returns:
        A DataFrame, one row per (configuration, symbol), configuration-major:
        ``config`` (index into the combinations), the parameter columns (the grid's
        fields; for ``configs``, the fields some configuration sets or changes from
        ``base``), ``symbol``, ``code`` ("ok" or why the pair was not computed, e.g.
        "too-short"), ``message``, the last bar's ``Average_Signal``, ``trend``,
        ``state``, ``direction``, ``long_entry``, ``short_entry``, and one column per
        metric of :data:`atc.METRICS` (float metrics NaN and counts 0 where ``code`` is
        not "ok").

    Raises:
        ConfigError (a ValueError): an invalid grid value (the message names parameter
        and value) or backtest option, raised before anything runs.
    """
    cfgs, params = _configurations(grid, configs, base)
    data = _prices(prices, src, symbols)
    options = _options(backend, None, "scan", None, use_streams=True, num_streams=streams, threads=threads,
                       gaps=gaps, devices=devices)
    backtest_options = _backtest_options(source, side, fee_bps, bars_per_year, data)
    rows, kept, backend_name = _sweep_rows(data, cfgs, params, options, backtest_options, list(keep or ()))
    out = _with_params(rows, params)
    out.attrs["backend"] = backend_name
    out.attrs["bars_per_year"] = backtest_options.bars_per_year
    if keep:
        out.attrs["kept"] = kept
    return out


# --------------------------------------------------------------------------- rankings


def rank_configs(frame: pd.DataFrame, metric: str = "sharpe", aggregate: Literal["mean", "median"] = "mean") -> pd.DataFrame:
    """The configurations of a sweep, best first, by one metric aggregated over symbols.

    Args:
        frame: a DataFrame from :func:`atc.sweep` (or ``atc.dask.sweep_distributed``).
        metric: one of :data:`atc.METRICS`; the engine says whether higher is better
            (``max_drawdown`` and ``annual_volatility``: lower is).
        aggregate: "mean" or "median" over the configuration's ok rows.

    Returns:
        One row per configuration: ``config``, its parameter columns, ``score`` (NaN
        when no row of the configuration is ok) and ``rows`` (ok rows aggregated);
        configurations without ok rows last, ties in configuration order.
    """
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"metric: unknown {metric!r} (expected one of {', '.join(METRICS)})")
    if aggregate not in ("mean", "median"):
        raise ValueError(f"aggregate: unknown {aggregate!r} (expected mean or median)")
    if "config" not in frame.columns or "symbol" not in frame.columns:
        raise ValueError("frame must be a sweep's DataFrame (with 'config' and 'symbol' columns)")
    param_names = list(frame.columns[1:frame.columns.get_loc("symbol")])
    per_config = frame.drop_duplicates("config").set_index("config")[param_names].sort_index()
    ok = frame[frame["code"] == "ok"]
    grouped = ok.groupby("config")[metric]
    values = (grouped.mean() if aggregate == "mean" else grouped.median()).astype(np.float64)
    out = per_config.copy()
    out["score"] = values.reindex(out.index)
    out["rows"] = ok.groupby("config").size().reindex(out.index, fill_value=0).astype(np.int64)
    out = out.reset_index()
    out = out.sort_values("score", ascending=not HIGHER_IS_BETTER[metric], na_position="last", kind="stable")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- atc.backtest


def backtest(
    prices: pd.DataFrame | Mapping[Any, Any] | np.ndarray | Any,
    result: ATCResult,
    *,
    src: Any = None,
    source: SourceName = "state",
    side: SideName = "long-short",
    fee_bps: float = 0.0,
    bars_per_year: float | None = None,
) -> pd.DataFrame:
    """Backtest metrics of a batch result, per symbol.

    ``atc.backtest(prices, atc.compute_atc_batch(prices, ...))``: ``prices`` (and
    ``src``) are the inputs the batch was computed from; ``result`` gives the positions
    (its ``state`` or ``direction`` frames, by ``source``). The position at a bar is
    held over the next one; ``side``, ``fee_bps`` and ``bars_per_year`` (None: inferred
    from the DatetimeIndex) as in :func:`atc.sweep`, whose rows these are for one
    configuration.

    Returns:
        A DataFrame indexed by symbol: ``code`` and ``message`` (the batch's status, or
        "equity-overflow" when the backtest's equity is no longer finite) and one
        column per metric of :data:`atc.METRICS` (float metrics NaN and counts 0 where
        ``code`` is not "ok").
    """
    if not isinstance(result, ATCResult):
        raise TypeError(f"result must be an ATCResult from compute_atc_batch, not {type(result).__name__}")
    if source not in result:
        raise ValueError(f"result has no {source!r} output (computed with outputs='average'?); "
                         "compute it with outputs='standard', 'compact' or 'scan'")
    data = _prices(prices, src, list(result.symbols))
    if not data.columns.equals(result.symbols):
        raise ValueError("prices and result have different symbols")
    options = _backtest_options(source, side, fee_bps, bars_per_year, data)
    positions = result[source]
    if data.series is None and not positions.index.equals(data.index):
        raise ValueError("prices and result have different bars")
    n = len(data.columns)
    codes = result.status["code"].to_numpy(dtype=object).copy()
    messages = result.status["message"].to_numpy(dtype=object).copy()
    values = {name: np.zeros(n, dtype=np.float64 if name in _FLOAT_METRICS else np.int64) for name in METRICS}
    for i in range(n):
        if codes[i] != "ok":
            continue
        if data.series is None:
            position = positions.iloc[:, i].to_numpy()
        else:
            rows = positions.index.get_indexer(data.series[i].index)
            if (rows < 0).any():
                raise ValueError(f"symbol {data.columns[i]!r}: its bars are not in the result")
            position = positions.iloc[rows, i].to_numpy()
        position = np.ascontiguousarray(position, dtype=np.int8)
        if side == "long-only":
            position = np.maximum(position, 0).astype(np.int8)
        elif side == "short-only":
            position = np.minimum(position, 0).astype(np.int8)
        try:
            metrics = _atc.backtest(data.close_of(i), position, options, data.src_of(i))
        except _atc.InputError as exc:  # an equity beyond the doubles, as a sweep reports it
            codes[i] = "equity-overflow"
            messages[i] = f"symbol '{data.names[i]}': {exc}"
            continue
        for name in METRICS:
            values[name][i] = metrics[name]
    ok = codes == "ok"
    out = pd.DataFrame({"code": codes, "message": messages, **_metric_columns(values, ok)},
                       index=pd.Index(data.columns, name="symbol"))
    return out
