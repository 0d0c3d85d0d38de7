"""Multi-timeframe ATC: the same closes resampled to coarser bars (1h → 4h → 1d), ATC on
each, and their states aligned back to the base bars with a consensus, as traders confirm
a signal on higher timeframes (TradingView's ``request.security`` without look-ahead).
The rules (buckets, the forming last bucket, the consensus) are those of docs/SEMANTICS.md
§10 "Timeframes", which ``atc scan --timeframes`` follows too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._compute import ATCResult, compute_atc_batch


def resample_closes(closes: pd.DataFrame, timeframe: str, partial: str = "drop") -> pd.DataFrame:
    """Closes of coarser bars: the last close of each bucket (pandas ``resample(timeframe)
    .last()``, buckets labelled by their start), indexed by the time of that last close.

    ``partial="drop"`` leaves out a last bucket that is still forming (its end lies after
    the last base bar plus one base step), ``"keep"`` keeps it as the forming bar.
    """
    if not isinstance(closes.index, pd.DatetimeIndex):
        raise TypeError("multi-timeframe needs a DatetimeIndex (the bars' times)")
    if partial not in ("drop", "keep"):
        raise ValueError(f"partial: unknown value {partial!r} (expected 'drop' or 'keep')")
    buckets = closes.resample(timeframe)
    resampled = buckets.last()
    # When each bucket's last close became known: its last base bar (no look-ahead).
    known_at = closes.index.to_series().resample(timeframe).max()
    resampled = resampled[known_at.notna()]
    known_at = known_at[known_at.notna()]
    if partial == "drop" and len(resampled) > 0 and len(closes.index) > 1:
        step = pd.Series(closes.index).diff().median()
        bucket_end = resampled.index[-1] + pd.tseries.frequencies.to_offset(timeframe)
        if closes.index[-1] + step < bucket_end:
            resampled, known_at = resampled.iloc[:-1], known_at.iloc[:-1]
    resampled.index = pd.DatetimeIndex(known_at.to_numpy(), name=closes.index.name)
    return resampled


@dataclass
class MultiTimeframeResult:
    """``results[tf]``: ATC on that timeframe's own bars; ``state[tf]``: its state aligned
    to the base bars (the last known value, 0 before the first); ``consensus``: the mean of
    the timeframes' aligned states, in [-1, 1]; ``agree``: +1 / -1 where every timeframe
    is LONG / SHORT, else 0."""

    timeframes: tuple[str, ...]
    results: dict[str, ATCResult]
    state: dict[str, pd.DataFrame]
    consensus: pd.DataFrame
    agree: pd.DataFrame


def compute_multi_timeframe(
    closes: pd.DataFrame | pd.Series,
    timeframes: Sequence[str] = ("1h", "4h", "1D"),
    *,
    partial: str = "drop",
    **kwargs: Any,
) -> MultiTimeframeResult:
    """ATC on each timeframe of ``closes`` (bars x symbols, a DatetimeIndex; the first
    timeframe may be the base itself). ``kwargs`` go to compute_atc_batch (parameters,
    backend, ...); every timeframe uses the same parameters."""
    frame = closes.to_frame() if isinstance(closes, pd.Series) else closes
    if not timeframes:
        raise ValueError("timeframes: give at least one")
    results: dict[str, ATCResult] = {}
    state: dict[str, pd.DataFrame] = {}
    for tf in timeframes:
        resampled = resample_closes(frame, tf, partial)
        result = compute_atc_batch(resampled, **kwargs)
        results[tf] = result
        # Known from the bar that closed the bucket on; before a timeframe's first bar: 0.
        aligned = result["state"].astype(np.float64).reindex(frame.index, method="ffill")
        state[tf] = aligned.fillna(0.0).astype(np.int8)
    stacked = np.stack([state[tf].to_numpy(dtype=np.float64) for tf in timeframes])
    consensus = pd.DataFrame(stacked.mean(axis=0), index=frame.index, columns=frame.columns)
    agree = np.where((stacked == 1).all(axis=0), 1, np.where((stacked == -1).all(axis=0), -1, 0)).astype(np.int8)
    return MultiTimeframeResult(tuple(timeframes), results, state, consensus,
                                pd.DataFrame(agree, index=frame.index, columns=frame.columns))
