"""ATC beyond one machine, on a dask.distributed cluster (``pip install dask distributed``).

Symbols are independent, so a universe splits into partitions of columns, one task per
partition. Each worker runs the same engine with backend "auto" by default (its GPU when
it has one, else its CPU cores); results are bit-identical to a local run on the same
backend because every symbol is computed exactly as it would be locally.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from distributed import Client

from ._compute import ATCResult, _options, _run, _warn_errors
from ._config import ATCConfig


def _partitions(frame: pd.DataFrame, partition_size: int) -> list[pd.DataFrame]:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a DataFrame (bars x symbols), not {type(frame).__name__}")
    if frame.shape[1] == 0:
        raise ValueError("frame has no symbols (columns)")
    if partition_size < 1:
        raise ValueError(f"partition_size must be >= 1, got {partition_size}")
    return [frame.iloc[:, lo:lo + partition_size] for lo in range(0, frame.shape[1], partition_size)]


def _compute_partition(frame: pd.DataFrame, config: ATCConfig, options: dict[str, Any]) -> ATCResult:
    # Runs on a worker; no warning there; the client summarises the errors once.
    return _run(frame, None, config, _options(**options), None)


def _latest_partition(frame: pd.DataFrame, config: ATCConfig, options: dict[str, Any]) -> pd.DataFrame:
    result = _compute_partition(frame, config, options)
    latest = result.latest()
    latest["code"] = result.status["code"].to_numpy()
    return latest


def scan_distributed(
    frame: pd.DataFrame,
    client: Client,
    partition_size: int = 500,
    *,
    config: ATCConfig | None = None,
    backend: str = "auto",
    outputs: str = "standard",
    calibration: str | None = None,
    **params: Any,
) -> ATCResult:
    """:func:`atc.compute_atc_batch` of ``frame`` on a cluster, one task per partition.

    Args:
        frame: closes, bars x symbols (leading NaNs = listed late).
        client: a connected ``distributed.Client``.
        partition_size: symbols per task.
        config, params: ATC parameters; backend, outputs, calibration as in
            :func:`atc.compute_atc_batch` (each worker resolves "auto" itself).

    Returns:
        One :class:`atc.ATCResult` with the partitions concatenated in column order;
        symbols that failed are in ``result.errors`` (one warning, as locally).
    """
    cfg = ATCConfig.from_params(config, **params)
    options = {"backend": backend, "use_cuda_kernels": None, "outputs": outputs, "calibration": calibration}
    _options(**options)  # invalid options fail here, before anything is sent
    parts = client.scatter(_partitions(frame, partition_size))
    results: list[ATCResult] = client.gather(
        client.map(_compute_partition, parts, config=cfg, options=options, pure=False)
    )
    frames = {key: pd.concat([r[key] for r in results], axis=1) for key in results[0]}
    status = pd.concat([r.status for r in results])
    backends = ",".join(sorted({r.backend for r in results}))
    result = ATCResult(frames, status, backends)
    _warn_errors(result, stacklevel=2)
    return result


def _grid_configs(grid: Mapping[str, Sequence[Any]], base: ATCConfig) -> list[tuple[dict[str, Any], ATCConfig]]:
    """Every combination of the grid as (params, validated config); errors raised here."""
    if not grid:
        raise ValueError("grid is empty: give at least one parameter and its values")
    names = list(grid)
    combos = []
    for values in itertools.product(*(list(grid[n]) for n in names)):
        params = dict(zip(names, values))
        combos.append((params, base.replace(**params)))
    return combos


def sweep_distributed(
    frame: pd.DataFrame,
    grid: Mapping[str, Sequence[Any]],
    client: Client,
    partition_size: int = 500,
    *,
    config: ATCConfig | None = None,
    backend: str = "auto",
) -> pd.DataFrame:
    """Scans ``frame`` once per combination of a parameter grid, on a cluster.

    Args:
        frame: closes, bars x symbols.
        grid: ATCConfig field -> values, e.g. ``{"ema_len": [14, 28], "lambda_param":
            [0.02, 0.5], "robustness": ["Narrow", "Wide"]}``; every combination runs.
        client: a connected ``distributed.Client``.
        partition_size: symbols per task (tasks = combinations x partitions).
        config: base parameters the grid overrides.
        backend: engine backend on the workers.

    Returns:
        A tidy DataFrame, one row per (combination, symbol): the grid's parameters,
        ``symbol``, the last bar's ``Average_Signal``, ``trend``, ``state``,
        ``direction``, ``long_entry``, ``short_entry`` and ``code`` ("ok" or why the
        symbol could not be computed).
    """
    base = ATCConfig() if config is None else config
    combos = _grid_configs(grid, base)
    options = {"backend": backend, "use_cuda_kernels": None, "outputs": "scan", "calibration": None}
    _options(**options)
    parts = client.scatter(_partitions(frame, partition_size))  # sent once, reused by every combination
    futures = [
        client.submit(_latest_partition, part, cfg, options, pure=False)
        for _, cfg in combos
        for part in parts
    ]
    latest = client.gather(futures)
    rows = []
    per_combo = len(parts)
    for k, (params, _) in enumerate(combos):
        block = pd.concat(latest[k * per_combo:(k + 1) * per_combo]).rename_axis("symbol").reset_index()
        for name, value in reversed(params.items()):
            block.insert(0, name, value)
        rows.append(block)
    out = pd.concat(rows, ignore_index=True)
    for name in ("trend", "state", "direction", "long_entry", "short_entry"):
        out[name] = out[name].astype(np.int8)
    return out
