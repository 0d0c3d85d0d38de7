"""The moving averages' source (the indicator's ``src``) from a frame of OHLC columns."""

from __future__ import annotations

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
    by_name = {str(column).strip().lower(): column for column in frame.columns}
    missing = [name for name in PRICE_SOURCES[source] if name not in by_name]
    if missing:
        found = ", ".join(str(c) for c in frame.columns[:20])
        raise ValueError(f"no {missing[0]!r} column, which source {source!r} needs (columns: {found})")
    columns = [frame[by_name[name]].to_numpy(dtype=np.float64) for name in PRICE_SOURCES[source]]
    total = columns[0]
    for values in columns[1:]:
        total = total + values
    return pd.Series(total / len(columns), index=frame.index, name=source)
