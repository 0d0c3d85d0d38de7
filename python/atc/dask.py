"""ATC beyond one machine, on a dask.distributed cluster (``pip install dask distributed``).

Symbols are independent, so a universe splits into partitions of columns, one task per
partition. Each worker runs the same engine with backend "auto" by default (its GPU when
it has one, else its CPU cores); results are bit-identical to a local run on the same
backend because every symbol is computed exactly as it would be locally. Parameter
sweeps split the other way: chunks of configurations, each task a local atc.sweep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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


def _sweep_chunk(frame: pd.DataFrame, configs: list[ATCConfig], kwargs: dict[str, Any]) -> pd.DataFrame:
    # Runs on a worker: atc.sweep of one chunk of the configurations, on every symbol.
    from . import _sweep

    return _sweep.sweep(frame, configs=configs, **kwargs)


def sweep_distributed(
    frame: pd.DataFrame,
    grid: Mapping[str, Sequence[Any]] | None,
    client: Client,
    configs_per_task: int | None = None,
    *,
    configs: Sequence[ATCConfig | Mapping[str, Any]] | None = None,
    base: ATCConfig | None = None,
    config: ATCConfig | None = None,
    source: str = "state",
    side: str = "long-short",
    fee_bps: float = 0.0,
    bars_per_year: float | None = None,
    backend: str = "auto",
    gaps: str = "error",
    threads: int = 0,
) -> pd.DataFrame:
    """:func:`atc.sweep` on a cluster: the configurations split into chunks, one task each.

    Every task runs ``atc.sweep`` of its chunk of configurations on the whole ``frame``
    (scattered once), so the result is the DataFrame a local ``atc.sweep`` gives, bit
    for bit: one row per (configuration, symbol) with ``config``, the parameter
    columns, ``symbol``, ``code``, ``message``, the last bar's outputs and the backtest
    metrics.

    Args:
        frame: closes, bars x symbols.
        grid: ATCConfig field -> values (every combination runs), or None with ``configs``.
        client: a connected ``distributed.Client``.
        configs_per_task: configurations per task (default: about two tasks per worker).
        configs, base, source, side, fee_bps, bars_per_year, backend, gaps, threads: as
            in :func:`atc.sweep` (``config`` is an older name of ``base``).
            ``bars_per_year`` is inferred here, once, when None.
    """
    from . import _sweep
    from ._compute import _prices

    if config is not None:
        if base is not None:
            raise TypeError("give base or config (its older name), not both")
        base = config
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a DataFrame (bars x symbols), not {type(frame).__name__}")
    cfgs, params = _sweep._configurations(grid, configs, base)
    prices = _prices(frame, None, None)
    backtest = _sweep._backtest_options(source, side, fee_bps, bars_per_year, prices)
    _options(backend, None, "scan", None, threads=threads, gaps=gaps)  # invalid options fail here
    if configs_per_task is None:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        configs_per_task = max(1, -(-len(cfgs) // (2 * workers)))
    if configs_per_task < 1:
        raise ValueError(f"configs_per_task must be >= 1, got {configs_per_task}")
    kwargs = {"source": source, "side": side, "fee_bps": fee_bps, "bars_per_year": backtest.bars_per_year,
              "backend": backend, "gaps": gaps, "threads": threads}
    [remote_frame] = client.scatter([frame], broadcast=True, hash=False)
    starts = range(0, len(cfgs), configs_per_task)
    futures = [client.submit(_sweep_chunk, remote_frame, cfgs[lo:lo + configs_per_task], kwargs, pure=False)
               for lo in starts]
    blocks, backends = [], set()
    for lo, block in zip(starts, client.gather(futures)):
        backends.add(block.attrs.get("backend", ""))
        rows = block.loc[:, "symbol":]  # the chunk's own parameter columns are replaced by the grid's
        rows.insert(0, "config", block["config"].to_numpy() + lo)
        blocks.append(rows)
    out = _sweep._with_params(pd.concat(blocks, ignore_index=True), params)
    out.attrs["backend"] = ",".join(sorted(backends))
    out.attrs["bars_per_year"] = backtest.bars_per_year
    return out
