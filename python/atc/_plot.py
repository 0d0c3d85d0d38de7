"""Charts: the indicator's price chart and a heat-map of Average_Signal (matplotlib, Agg).

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state, no
display needed) and saved at exactly ``width`` x ``height`` pixels.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ._compute import ATCResult, BackendName, compute_atc_signals
from ._config import ATCConfig

LONG_COLOR = "#26a69a"
SHORT_COLOR = "#ef5350"
NEUTRAL_COLOR = "#9e9e9e"


def _state_colors(state: np.ndarray) -> np.ndarray:
    return np.where(state > 0, LONG_COLOR, np.where(state < 0, SHORT_COLOR, NEUTRAL_COLOR))


def _ohlc(prices: pd.Series | pd.DataFrame) -> tuple[pd.Series, pd.DataFrame | None]:
    """The close series and, when the input has open/high/low/close columns, the bars."""
    if isinstance(prices, pd.Series):
        return prices.astype(np.float64), None
    if not isinstance(prices, pd.DataFrame):
        values = np.asarray(prices, dtype=np.float64)
        return pd.Series(values), None
    columns = {str(c).lower(): c for c in prices.columns}
    if "close" not in columns:
        raise ValueError("a price DataFrame needs a 'close' column (and optionally open/high/low)")
    close = prices[columns["close"]].astype(np.float64)
    if all(k in columns for k in ("open", "high", "low")):
        bars = pd.DataFrame({k: prices[columns[k]].astype(np.float64) for k in ("open", "high", "low", "close")})
        return close, bars
    return close, None


def _index_formatter(index: pd.Index) -> FuncFormatter:
    def label(x: float, _pos: int) -> str:
        i = int(round(x))
        if not 0 <= i < len(index):
            return ""
        value = index[i]
        return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)

    return FuncFormatter(label)


def _save(fig: Figure, path: str | PathLike[str] | None) -> Figure | Path:
    if path is None:
        return fig
    out = Path(path)
    fig.savefig(out, dpi=fig.dpi)
    return out


def plot(
    prices: pd.Series | pd.DataFrame | Any,
    src: pd.Series | None = None,
    *,
    family: str = "EMA",
    path: str | PathLike[str] | None = None,
    config: ATCConfig | None = None,
    backend: BackendName = "auto",
    title: str | None = None,
    last: int | None = None,
    width: int = 1600,
    height: int = 900,
    dpi: int = 100,
    **params: Any,
) -> Figure | Path:
    """Price chart with the ATC colouring, like the TradingView indicator.

    Bars (candles when ``prices`` is a DataFrame with open/high/low/close columns,
    otherwise a line) are coloured by state: long (Average_Signal above the long
    threshold) green, short red, neutral grey. The chosen family's nine MAs are drawn
    over the price, long/short entries as triangles; a lower panel shows Average_Signal
    with the thresholds.

    Args:
        prices: closes (Series/array) or an OHLC DataFrame.
        src: optional MA source.
        family: the family whose nine MAs are drawn ("EMA", ..., "KAMA").
        path: file to write (format from its suffix: .png, .svg, .pdf); None returns
            the Figure.
        config, params: ATC parameters (see :func:`atc.compute_atc_signals`).
        last: draw only the last ``last`` bars; the indicator is still computed on the
            whole history (its values depend on where the history starts).
        width, height, dpi: size of the image in pixels and its resolution.

    Returns:
        The path written, or the Figure when ``path`` is None.
    """
    cfg = ATCConfig.from_params(config, **params)
    close, bars = _ohlc(prices)
    signals = compute_atc_signals(close, src, config=cfg, backend=backend, calibration=family)
    family = family.upper()
    if last is not None:
        if last < 1:
            raise ValueError(f"last must be >= 1, got {last}")
        close = close.iloc[-last:]
        bars = bars.iloc[-last:] if bars is not None else None
        signals = {key: series.iloc[-last:] for key, series in signals.items()}
    n = len(close)
    x = np.arange(n)
    state = signals["state"].to_numpy()
    colors = _state_colors(state)

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    price_ax, signal_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])

    if bars is not None:
        price_ax.vlines(x, bars["low"], bars["high"], colors=colors, linewidth=0.8)
        body = (bars["close"] - bars["open"]).to_numpy()
        price_ax.bar(x, np.where(body == 0, 1e-12, body), bottom=bars["open"], color=colors, width=0.7)
        low, high = bars["low"].to_numpy(), bars["high"].to_numpy()
    else:
        y = close.to_numpy()
        segments = np.stack([np.column_stack([x[:-1], y[:-1]]), np.column_stack([x[1:], y[1:]])], axis=1)
        price_ax.add_collection(LineCollection(segments, colors=colors[1:], linewidths=1.5))
        price_ax.autoscale_view()
        low = high = y

    lengths = cfg.lengths(family)
    shades = np.linspace(0.15, 0.85, len(lengths))
    for shade, length in zip(shades, lengths):
        price_ax.plot(x, signals[f"{family}_MA_{length}"].to_numpy(), linewidth=0.7,
                      color=(shade, 0.35, 1.0 - shade), alpha=0.8, label=f"{family}({length})")

    long_at = np.flatnonzero(signals["long_entry"].to_numpy())
    short_at = np.flatnonzero(signals["short_entry"].to_numpy())
    pad = 0.01 * np.nanmax(high) if n else 0.0
    price_ax.scatter(long_at, low[long_at] - pad, marker="^", s=60, color=LONG_COLOR,
                     edgecolors="black", linewidths=0.5, zorder=3, label="long entry")
    price_ax.scatter(short_at, high[short_at] + pad, marker="v", s=60, color=SHORT_COLOR,
                     edgecolors="black", linewidths=0.5, zorder=3, label="short entry")
    price_ax.legend(loc="upper left", fontsize="x-small", ncol=6)
    price_ax.set_title(title or f"Adaptive Trend Classification ({family} family shown)")
    price_ax.grid(alpha=0.2)

    average = signals["Average_Signal"].to_numpy()
    signal_ax.bar(x, np.nan_to_num(average), color=colors, width=1.0)
    signal_ax.axhline(cfg.long_threshold, color=LONG_COLOR, linestyle="--", linewidth=0.8)
    signal_ax.axhline(cfg.short_threshold, color=SHORT_COLOR, linestyle="--", linewidth=0.8)
    signal_ax.set_ylim(-1.05, 1.05)
    signal_ax.set_ylabel("Average_Signal")
    signal_ax.grid(alpha=0.2)
    signal_ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    signal_ax.xaxis.set_major_formatter(_index_formatter(close.index))
    signal_ax.set_xlim(-1, n)
    return _save(fig, path)


def plot_heatmap(
    result_or_frame: ATCResult | pd.DataFrame,
    *,
    path: str | PathLike[str] | None = None,
    title: str = "Average_Signal",
    sort_by_latest: bool = False,
    width: int = 1600,
    height: int = 900,
    dpi: int = 100,
) -> Figure | Path:
    """Heat-map of Average_Signal: one row per symbol, one column per bar.

    Args:
        result_or_frame: an :class:`atc.ATCResult` or a (bars x symbols) DataFrame of
            Average_Signal values in [-1, 1]. NaN (not listed yet / not computed) is grey.
        path: file to write; None returns the Figure.
        sort_by_latest: order the rows by the last bar's value (strongest long first).
        width, height, dpi: size of the image in pixels and its resolution.
    """
    frame = result_or_frame["Average_Signal"] if isinstance(result_or_frame, ATCResult) else result_or_frame
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("plot_heatmap needs an ATCResult or a DataFrame (bars x symbols)")
    if sort_by_latest:
        frame = frame[frame.iloc[-1].sort_values(ascending=False, na_position="last").index]
    values = np.ma.masked_invalid(frame.to_numpy(dtype=np.float64).T)

    cmap = LinearSegmentedColormap.from_list("atc", [SHORT_COLOR, "#eeeeee", LONG_COLOR])
    cmap = cmap.with_extremes(bad="#cfcfcf")
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, label="Average_Signal")
    symbols = frame.columns
    if len(symbols) <= 60:
        ax.set_yticks(np.arange(len(symbols)), [str(s) for s in symbols], fontsize="x-small")
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=20, integer=True))
        ax.yaxis.set_major_formatter(_index_formatter(pd.Index([str(s) for s in symbols])))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.xaxis.set_major_formatter(_index_formatter(frame.index))
    ax.set_title(f"{title} ({len(symbols)} symbols x {len(frame.index)} bars)")
    return _save(fig, path)
