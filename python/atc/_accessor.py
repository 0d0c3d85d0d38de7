"""pandas accessors: ``series.atc.signals(...)`` and ``frame.atc.signals(...)`` /
``frame.atc.batch(...)``, registered when ``atc`` is imported (the pandas-ta style)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._compute import ATCResult, compute_atc_batch, compute_atc_signals


@pd.api.extensions.register_series_accessor("atc")
class SeriesAccessor:
    """``close.atc.signals(ema_len=20)``: compute_atc_signals of this series."""

    def __init__(self, series: pd.Series) -> None:
        self._series = series

    def signals(self, src: Any = None, **params: Any) -> pd.DataFrame:
        return compute_atc_signals(self._series, src, **params)


@pd.api.extensions.register_dataframe_accessor("atc")
class FrameAccessor:
    """On an OHLC frame, ``df.atc.signals()`` computes its close column (any case);
    on a frame of closes (bars x symbols), ``df.atc.batch()`` computes every column."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    def signals(self, close: str = "close", src: Any = None, **params: Any) -> pd.DataFrame:
        by_lower = {str(c).lower(): c for c in self._frame.columns}
        if close.lower() not in by_lower:
            raise KeyError(f"no {close!r} column (columns: {list(self._frame.columns)[:10]})")
        return compute_atc_signals(self._frame[by_lower[close.lower()]], src, **params)

    def batch(self, **kwargs: Any) -> ATCResult:
        return compute_atc_batch(self._frame, **kwargs)
