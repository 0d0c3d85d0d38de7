"""``atc.BatchEngine``: repeated batches of one universe without per-call allocations.

A scanner that recomputes its universe on every bar pays, with ``compute_atc_batch``,
for fresh result columns each call (and on some machines for first touching their
pages), for a float64 column-major copy of its prices, and, on the CUDA backend, for
copies through the pipeline's staging buffers. The engine keeps its result columns
between calls (pinned with ``pinned=True``, so that the GPU writes them directly) and
offers a price table of its own (:meth:`BatchEngine.input_table`, pinned too) that the
caller fills in place, which the GPU then reads directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _atc
from ._compute import ATCResult, BackendName, GapsName, OutputsName, _options, _prices, _table_result, _warn_errors
from ._config import ATCConfig


class BatchEngine:
    """:func:`atc.compute_atc_batch` for one universe again and again, its buffers reused.

    The frames a :meth:`compute` returns view the engine's result columns: they hold that
    call's values until the next call (``result[name].copy()`` keeps them longer).
    """

    def __init__(
        self,
        config: ATCConfig | None = None,
        *,
        backend: BackendName = "auto",
        outputs: OutputsName = "scan",
        gaps: GapsName = "error",
        threads: int = 0,
        num_streams: int = 4,
        devices: Sequence[int] | None = None,
        precision: str = "float64",
        pinned: bool = False,
        **params: Any,
    ) -> None:
        self.config = ATCConfig.from_params(config, **params)
        options = _options(backend, None, outputs, None, use_streams=True, num_streams=num_streams, threads=threads,
                           gaps=gaps, devices=devices, precision=precision)
        self._native = _atc.BatchEngine(self.config.to_native(), options, pinned)
        self._input: np.ndarray | None = None

    def input_table(self, bars: int, symbols: int) -> np.ndarray:
        """The engine's own (bars x symbols) column-major float64 price table, NaN at first
        (pinned with ``pinned=True``): fill it in place and pass it to :meth:`compute`."""
        self._input = self._native.input_table(bars, symbols)
        return self._input

    def compute(self, data: Any, src: Any = None, *, symbols: Sequence[Any] | None = None,
                index: pd.Index | None = None) -> ATCResult:
        """The batch of ``data`` (any table :func:`atc.compute_atc_batch` takes, or the
        engine's :meth:`input_table`, read in place; ``index`` labels its bars)."""
        if self._input is not None and data is self._input:
            if src is not None:
                raise ValueError("an input_table computes on close only")
            bars, n = data.shape
            columns = pd.Index(symbols) if symbols is not None else pd.RangeIndex(n)
            if len(columns) != n:
                raise ValueError(f"{len(columns)} symbols given for {n} columns")
            native = self._native.compute(data, [str(c) for c in columns], None)
            result = _table_result(native, index if index is not None else pd.RangeIndex(bars), columns, {})
        else:
            prices = _prices(data, src, symbols)
            if prices.series is not None:
                raise ValueError("BatchEngine computes tables (one calendar); compute_atc_batch takes series "
                                 "of different calendars")
            native = self._native.compute(prices.close, prices.names, prices.src)
            result = _table_result(native, prices.index, prices.columns, prices.refused)
        _warn_errors(result, stacklevel=2)
        return result
