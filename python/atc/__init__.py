"""Adaptive Trend Classification (ATC) signals for one or thousands of symbols.

A thin layer over the C++ engine (reference, cpu and cuda backends)::

    import atc
    signals = atc.compute_atc_signals(close, ema_len=28, robustness="Medium")
    result = atc.compute_atc_batch(prices_frame, backend="auto")
    result.average_signal        # DataFrame, bars x symbols
    result.errors                # symbols that could not be computed
    rows = atc.sweep(prices_frame, grid={"ema_len": [14, 28], "robustness": ["Narrow", "Wide"]})
    atc.rank_configs(rows, metric="sharpe")   # configurations, best first

Charts: :func:`atc.plot`, :func:`atc.plot_heatmap` (matplotlib). Clusters:
:mod:`atc.dask` (dask.distributed). Benchmark: ``python -m atc.bench``.
"""

from __future__ import annotations

from typing import Any

from ._atc import BackendUnavailable, Cancelled, ConfigError, Error, InputError, __version__
from ._atc import cuda_available as _cuda_available
from ._atc import gpu_memory_kept as _gpu_memory_kept
from ._atc import release_buffers as _release_buffers
from ._atc import release_gpu_memory as _release_gpu_memory
from ._atc import resolve_backend as _resolve_backend
from ._compute import (
    DeviceATCResult,
    DISCRETE_OUTPUTS,
    HUNDREDTHS_NAN,
    STANDARD_OUTPUTS,
    ATCResult,
    ATCWarning,
    compute_atc_batch,
    compute_atc_signals,
)
from ._config import FAMILIES, ATCConfig
from ._engine import BatchEngine
from ._live import LiveEngine
from ._sweep import HIGHER_IS_BETTER, LAST_BAR_OUTPUTS, METRICS, backtest, rank_configs, sweep
from ._timeframes import MultiTimeframeResult, compute_multi_timeframe, resample_closes
from . import _accessor  # noqa: F401  (registers series.atc and frame.atc)
from ._price_source import PRICE_SOURCES, price_source

for _exc in (Error, ConfigError, InputError, BackendUnavailable, Cancelled):
    _exc.__module__ = __name__


def cuda_available() -> bool:
    """True when this build has the CUDA backend and a usable GPU is present."""
    return _cuda_available()


def resolve_backend(backend: str = "auto") -> str:
    """The backend a request runs on here: "auto" becomes "cuda" or "cpu"."""
    return _resolve_backend(backend)


def release_buffers() -> int:
    """Frees the result columns that :func:`compute_atc_batch` keeps for its next calls.

    A batch's result columns go back to a small pool once nothing views them any more
    (no frame, Series or array of that result is alive), and the next batch of the same
    shape writes into them: no fresh pages to fault in and, on the cuda backend, memory
    pinned once that the GPU writes directly. The pool keeps at most two results and
    1 GiB. Returns the bytes freed.
    """
    return _release_buffers()


def release_gpu_memory() -> int:
    """Frees what the cuda backend keeps between calls and returns its bytes.

    After a call on the cuda backend its CUDA streams, device buffers, pinned staging
    slots and captured graphs stay allocated, so that the next call of the same shape
    allocates nothing (see :func:`gpu_memory_kept`). This gives them back to the device
    and the OS; the next call allocates anew. Without CUDA it frees nothing.
    """
    return _release_gpu_memory()


def gpu_memory_kept() -> dict[str, int]:
    """What the cuda backend keeps between calls: ``pipelines``, ``device_bytes``, ``pinned_bytes``."""
    return dict(_gpu_memory_kept())


def _require(module: str, extra: str, feature: str) -> None:
    """A clear ImportError naming the extra to install when an optional dependency is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(f"atc.{feature.removeprefix('atc.')} needs {module}: pip install 'atc[{extra}]' "
                          f"(or pip install {module})")


def __getattr__(name: str) -> Any:
    # matplotlib is only imported when a chart is asked for.
    if name in ("plot", "plot_heatmap"):
        _require("matplotlib", "plot", name)
        from . import _plot

        return getattr(_plot, name)
    if name == "dask":  # needs dask.distributed, imported on first use
        import importlib

        _require("distributed", "dask", "atc.dask")
        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'atc' has no attribute {name!r}")


__all__ = [
    "BatchEngine",
    "DeviceATCResult",
    "ATCConfig",
    "ATCResult",
    "ATCWarning",
    "BackendUnavailable",
    "Cancelled",
    "ConfigError",
    "DISCRETE_OUTPUTS",
    "Error",
    "FAMILIES",
    "HIGHER_IS_BETTER",
    "HUNDREDTHS_NAN",
    "InputError",
    "LAST_BAR_OUTPUTS",
    "LiveEngine",
    "METRICS",
    "MultiTimeframeResult",
    "PRICE_SOURCES",
    "STANDARD_OUTPUTS",
    "__version__",
    "backtest",
    "compute_atc_batch",
    "compute_atc_signals",
    "compute_multi_timeframe",
    "cuda_available",
    "gpu_memory_kept",
    "plot",
    "plot_heatmap",
    "price_source",
    "rank_configs",
    "release_buffers",
    "release_gpu_memory",
    "resample_closes",
    "resolve_backend",
    "sweep",
]
