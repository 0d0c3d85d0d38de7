"""Live updates: ATC of a universe advanced one bar at a time (the C++ atc::LiveEngine).

After a history of k bars and m updates, every output of a symbol is the one that
``compute_atc_batch`` gives at bar k + m - 1 over the same bars, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from . import _atc
from ._config import ATCConfig

class LiveEngine:
    """ATC for many symbols, one new bar at a time, O(1) work per symbol and bar.

    ``LiveEngine(history)`` takes a DataFrame (bars x symbols, leading NaNs = listed
    later) or a mapping of symbol -> Series; ``update(closes)`` takes the new bar's
    closes as a Series or mapping keyed by symbol (a symbol left out has no bar this
    time and keeps its state) or an array in ``symbols`` order, and returns one row per
    symbol: ``Average_Signal``, ``EMA_Signal``..``KAMA_Signal``, ``EMA_S``..``KAMA_S``,
    the classification, ``bar`` (the symbol's bar index), ``updated`` and ``status``.
    ``peek`` gives the same without changing the state (the forming bar); ``save`` and
    ``LiveEngine.restore`` keep the state in a versioned file, which either backend
    continues. ``backend="cuda"`` keeps the states on the GPU and runs each update in
    one launch (the same bits as ``"cpu"``); ``"auto"`` picks cuda when a GPU is usable.
    """

    def __init__(self, history: Any = None, *, config: ATCConfig | None = None, threads: int = 0,
                 backend: str = "cpu", **params: Any) -> None:
        self._engine = _atc.LiveEngine(ATCConfig.from_params(config, **params).to_native(), threads, backend)
        self.errors: dict[str, str] = {}
        if history is not None:
            self.add(history)

    @classmethod
    def restore(cls, path: str | PathLike[str], threads: int = 0, backend: str = "cpu") -> LiveEngine:
        """The engine saved at ``path`` (raises InputError for a corrupt or foreign file),
        on either backend."""
        self = cls.__new__(cls)
        self._engine = _atc.LiveEngine.restore(str(path), threads, backend)
        self.errors = {}
        return self

    @property
    def backend(self) -> str:
        """The backend running the updates: "cpu" or "cuda"."""
        return str(self._engine.backend)

    @property
    def symbols(self) -> list[str]:
        return list(self._engine.symbols)

    def add(self, history: Any, src: Any = None) -> dict[str, str]:
        """Adds symbols initialised from their histories; returns {symbol: problem} for
        those that cannot be computed yet (too short) or at all (bad history)."""
        if isinstance(history, pd.DataFrame):
            series = {str(c): history[c] for c in history.columns}
        elif isinstance(history, Mapping):
            series = {str(k): v for k, v in history.items()}
        else:
            raise TypeError("history must be a DataFrame (bars x symbols) or a mapping symbol -> series")
        closes = [np.ascontiguousarray(np.asarray(v, dtype=np.float64)) for v in series.values()]
        srcs = None
        if src is not None:
            src_map = {str(c): src[c] for c in src.columns} if isinstance(src, pd.DataFrame) else dict(src)
            srcs = [np.ascontiguousarray(np.asarray(src_map[k], dtype=np.float64)) for k in series]
        messages = self._engine.add(closes, list(series), srcs)
        problems = {k: m for k, m in zip(series, messages) if m}
        self.errors.update(problems)
        return problems

    def remove(self, symbol: str) -> None:
        self._engine.remove(symbol)

    def _arrays(self, closes: Any, src: Any) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        symbols = self._engine.symbols
        if isinstance(closes, (pd.Series, Mapping)):
            given = {str(k): v for k, v in closes.items()}
            known = set(symbols)
            unknown = [k for k in given if k not in known]
            if unknown:
                raise _atc.InputError(f"live update: unknown symbols {unknown[:5]}")
            values = np.array([given.get(s, np.nan) for s in symbols], dtype=np.float64)
            has_bar = np.array([s in given for s in symbols], dtype=np.uint8)
            src_values = None
            if src is not None:
                src_given = {str(k): v for k, v in src.items()}
                src_values = np.array([src_given.get(s, np.nan) for s in symbols], dtype=np.float64)
            return values, src_values, has_bar
        values = np.ascontiguousarray(np.asarray(closes, dtype=np.float64))
        src_values = None if src is None else np.ascontiguousarray(np.asarray(src, dtype=np.float64))
        return values, src_values, None

    def _frame(self, native: dict) -> pd.DataFrame:
        status = native.pop("status_code")
        native.pop("status_bar")
        messages = native.pop("status_message")
        frame = pd.DataFrame(native, index=pd.Index(self._engine.symbols, name="symbol"))
        frame["status"] = status
        frame["message"] = messages
        return frame

    def update(self, closes: Any, src: Any = None) -> pd.DataFrame:
        """Commits one bar and returns every symbol's outputs of it."""
        values, src_values, has_bar = self._arrays(closes, src)
        return self._frame(self._engine.update(values, src_values, has_bar))

    def peek(self, closes: Any, src: Any = None) -> pd.DataFrame:
        """The outputs ``update`` would return for this bar; the state is left unchanged."""
        values, src_values, has_bar = self._arrays(closes, src)
        return self._frame(self._engine.peek(values, src_values, has_bar))

    def last(self) -> pd.DataFrame:
        """The outputs of the last update (or of the histories)."""
        return self._frame(self._engine.last())

    def save(self, path: str | PathLike[str]) -> None:
        """Writes the state file atomically (a versioned binary format)."""
        self._engine.save(str(path))

    @property
    def state_bytes_per_symbol(self) -> int:
        return int(self._engine.state_bytes_per_symbol)

    def __repr__(self) -> str:
        return f"atc.LiveEngine({len(self._engine.symbols)} symbols)"
