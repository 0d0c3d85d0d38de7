"""The moving averages' source (the indicator's ``src``) from a frame of OHLC columns, and
the column names the package recognises (the CLI's CSV header names)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

# Source name -> the columns summed left to right in float64, then divided by their
# count: the same formulas and order as the CLI's --source (include/atc/io.hpp).
PRICE_SOURCES: dict[str, tuple[str, ...]] = {
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "hl2": ("high", "low"),
    "hlc3": ("high", "low", "close"),
    "ohlc4": ("open", "high", "low", "close"),
}

# Column names, trimmed and case-insensitive, as the CLI reads a CSV header
# (src/io/csv_reader.cpp): the time, the symbol of a long table, and the stand-ins for
# a missing close (an adjusted close, else a price).
TIME_NAMES: tuple[str, ...] = ("timestamp", "time", "date", "datetime", "date_time", "open_time")
SYMBOL_NAMES: tuple[str, ...] = ("symbol", "ticker")
ADJUSTED_CLOSE_NAMES: tuple[str, ...] = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")


def column_key(label: Any) -> str:
    """A column label as it is matched against names: trimmed, lower case."""
    return str(label).strip().lower()


def find_column(labels: Iterable[Any], names: Iterable[str]) -> Any | None:
    """The first of ``labels`` (in their order) whose key is one of ``names``, or None."""
    wanted = set(names)
    # iterating an Index (arrow strings) costs 1 µs a label, tolist() a fraction of it
    labels = labels.tolist() if isinstance(labels, pd.Index) else list(labels)
    # A label whose key is a name holds that name in its lower-case text, so one search of
    # all the labels' text rules out most frames (thousands of tickers, no time column)
    # without a Python call per label.
    text = "\n".join(map(str, labels)).lower()
    if not any(name in text for name in wanted):
        return None
    return next((label for label in labels if column_key(label) in wanted), None)


def close_label(labels: Iterable[Any], close_column: str | None = None) -> Any | None:
    """The label read as close: the one ``close_column`` names, else ``close``, else an
    adjusted close, else ``price`` (the CLI's order, --close-column included); None if none."""
    labels = list(labels)
    if close_column is not None:
        return find_column(labels, (column_key(close_column),))
    for names in (("close",), ADJUSTED_CLOSE_NAMES, ("price",)):
        found = find_column(labels, names)
        if found is not None:
            return found
    return None


def combine_source(parts: Sequence[np.ndarray]) -> np.ndarray:
    """The source from its columns' float64 values: added left to right, divided by the count."""
    total = parts[0]
    for values in parts[1:]:
        total = total + values
    return total / len(parts)


def price_source(frame: pd.DataFrame, source: str = "close") -> pd.Series:
    """The ``src`` series of ``source`` from ``frame``'s columns (matched case-insensitively).

    ``hl2`` is ``(high + low) / 2``, ``hlc3`` ``(high + low + close) / 3`` and ``ohlc4``
    ``(open + high + low + close) / 4``, added left to right in float64 as the CLI does;
    ``open``, ``high``, ``low`` and ``close`` are that column. Pass the result as ``src=``
    of :func:`atc.compute_atc_signals` with the close as ``prices``.

    Raises:
        ValueError: an unknown source, or a column the frame lacks (named).
    """
    if source not in PRICE_SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(PRICE_SOURCES)}")
    labels = [find_column(frame.columns, (name,)) for name in PRICE_SOURCES[source]]
    missing = [name for name, label in zip(PRICE_SOURCES[source], labels) if label is None]
    if missing:
        found = ", ".join(str(c) for c in frame.columns[:20])
        raise ValueError(f"no {missing[0]!r} column, which source {source!r} needs (columns: {found})")
    total = combine_source([frame[label].to_numpy(dtype=np.float64) for label in labels])
    return pd.Series(total, index=frame.index, name=source)
