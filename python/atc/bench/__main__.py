"""``python -m atc.bench``: the engine's backends against the CuPy baseline, same data.

    python -m atc.bench --symbols 1000 --bars 1000 --use-cuda-kernels --use-streams
    python -m atc.bench --sweep --json sweep.json
    python -m atc.bench --param-sweep 1000 --symbols 500 --bars 1000

``--device-input``: prices already in GPU memory (CuPy, PyTorch) computed where they lie
(scan outputs, kept on the GPU or returned as frames), against the path that copies them to
the host first; 1,000 x 1,000 and 10,000 x 10,000 (or --symbols x --bars).

``--host-input``: NumPy and pandas prices on the host, frames out (issue 16's targets:
1,000 x 1,000 scan and 10,000 x 1,000 compact, or --host-sizes), each whole
``compute_atc_batch`` call next to the engine's own time measured in the same process:
``compute_batch`` inside that call (the bindings' timer) and the C++ direct-transfer path,
``compute_batch`` on a pinned input table into pinned, reused result columns (the
prices and results the GPU reads and writes directly, as bench_streams' "direct" case).

``--param-sweep N``: atc.sweep of a grid of N (10, 100, 1000 or 10000) configurations
against a loop of compute_atc_batch + atc.backtest per configuration (timed on the
first configurations and scaled), each host to host; the rows of both are compared.

Rows: the CuPy baseline (atc.bench.cupy_baseline on the GPU), the cpu backend, the
scalar reference (small sizes only), the CUDA backend with one stream
(--use-cuda-kernels) and with several (--use-streams). A row whose requirement is
missing prints "skipped: reason". Every row is timed host to host (input on the host,
outputs back on the host) after warm-up runs, as the median of several repeats, and
cross-checked against the cpu backend: the largest absolute difference of
Average_Signal, and the share of identical discrete outputs (trend, state, direction,
long/short entries).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import atc
from atc._gpu import cupy_unavailable_reason
from atc import ATCConfig, compute_atc_batch

SWEEP_SYMBOLS = (10, 50, 100, 500, 1000, 5000)
COMPARED = ("Average_Signal",) + atc.DISCRETE_OUTPUTS

Outputs = dict[str, np.ndarray]


@dataclasses.dataclass
class Row:
    """One backend's measurement at one size."""

    name: str
    skipped: str | None = None  # the reason, when the row did not run
    seconds: float | None = None
    symbols_per_second: float | None = None
    speedup_vs_cupy: float | None = None
    max_abs_diff_average: float | None = None  # vs the cpu backend
    discrete_identical_pct: float | None = None  # vs the cpu backend


def make_prices(symbols: int, bars: int, seed: int = 7) -> np.ndarray:
    """Geometric random walks (bars x symbols, Fortran order); every 10th symbol listed late."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0002, 0.015, size=(bars, symbols))
    close = 100.0 * np.exp(np.cumsum(returns, axis=0))
    late = np.arange(0, symbols, 10)
    listing = rng.integers(0, max(bars // 4, 1), size=late.size)
    for column, first_bar in zip(late, listing):
        close[:first_bar, column] = np.nan
    return np.asfortranarray(close)


def _median_time(run: Callable[[], Outputs], warmup: int, repeats: int) -> tuple[float, Outputs]:
    for _ in range(warmup):
        run()
    times, out = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _engine(close: np.ndarray, config: ATCConfig, **options: Any) -> Callable[[], Outputs]:
    def run() -> Outputs:
        result = compute_atc_batch(close, config=config, **options)
        return {key: result[key].to_numpy() for key in COMPARED}

    return run


def _cupy_requirement() -> tuple[Any, Any] | str:
    """(cupy, run_baseline) or the reason the CuPy row cannot run."""
    reason = cupy_unavailable_reason()
    if reason is not None:
        return reason
    import cupy

    try:
        from atc.bench.cupy_baseline import run_baseline
    except ImportError as exc:
        return f"atc.bench.cupy_baseline.run_baseline is not available ({exc})"
    return cupy, run_baseline


def _cupy(close: np.ndarray, config: ATCConfig, cupy: Any, run_baseline: Any) -> Callable[[], Outputs]:
    def run() -> Outputs:
        out = run_baseline(cupy.asarray(close), config, cupy)
        host = {key: cupy.asnumpy(out[key]) for key in COMPARED}
        cupy.cuda.Device().synchronize()
        return host

    return run


def _compare(out: Outputs, base: Outputs) -> tuple[float, float]:
    """(max |ΔAverage_Signal|, % identical discrete values); NaN placement must match."""
    a, b = out["Average_Signal"], base["Average_Signal"]
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        max_diff = float("inf")
    else:
        finite = ~np.isnan(a)
        max_diff = float(np.max(np.abs(a[finite] - b[finite]), initial=0.0))
    same = sum(int(np.count_nonzero(out[k] == base[k])) for k in atc.DISCRETE_OUTPUTS)
    total = sum(base[k].size for k in atc.DISCRETE_OUTPUTS)
    return max_diff, 100.0 * same / total if total else 100.0


def bench_size(symbols: int, bars: int, args: argparse.Namespace) -> list[Row]:
    """Every row at one size; the cpu row runs first as the cross-check base."""
    config = ATCConfig()
    close = make_prices(symbols, bars, args.seed)
    cuda_reason = None if atc.cuda_available() else "no CUDA backend/device in this build (atc.cuda_available() is False)"
    cupy_req = _cupy_requirement()

    plans: list[tuple[str, str | None, Callable[[], Callable[[], Outputs]]]] = [
        ("cpu", None, lambda: _engine(close, config, backend="cpu")),
        ("cupy baseline", cupy_req if isinstance(cupy_req, str) else None,
         lambda: _cupy(close, config, *cupy_req)),
        ("reference",
         None if symbols * bars <= args.reference_max_cells
         else f"{symbols} x {bars} cells > --reference-max-cells {args.reference_max_cells}",
         lambda: _engine(close, config, backend="reference")),
        ("cuda",
         cuda_reason or (None if args.use_cuda_kernels else "pass --use-cuda-kernels"),
         lambda: _engine(close, config, backend="cuda", use_streams=False)),
        (f"cuda + {args.num_streams} streams",
         cuda_reason or (None if args.use_streams else "pass --use-streams"),
         lambda: _engine(close, config, backend="cuda", use_streams=True, num_streams=args.num_streams)),
    ]
    rows: list[Row] = []
    base: Outputs = {}
    cupy_seconds = None
    for name, skipped, make in plans:
        row = Row(name, skipped)
        rows.append(row)
        if skipped:
            continue
        row.seconds, out = _median_time(make(), args.warmup, args.repeats)
        row.symbols_per_second = symbols / row.seconds
        if name == "cpu":
            base = out
        row.max_abs_diff_average, row.discrete_identical_pct = _compare(out, base)
        if name == "cupy baseline":
            cupy_seconds = row.seconds
    for row in rows:
        if cupy_seconds is not None and row.seconds is not None:
            row.speedup_vs_cupy = cupy_seconds / row.seconds
    return rows


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(symbols: int, bars: int, rows: Sequence[Row]) -> None:
    print(f"\n{symbols} symbols x {bars} bars")
    header = f"{'backend':<20} {'time (ms)':>10} {'symbols/s':>12} {'vs CuPy':>8} {'max|dAvg| vs cpu':>17} {'discrete same':>14}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.skipped:
            print(f"{r.name:<20} skipped: {r.skipped}")
            continue
        print(
            f"{r.name:<20} {_fmt(r.seconds * 1e3, '10.2f')} {_fmt(r.symbols_per_second, '12.0f')} "
            f"{_fmt(r.speedup_vs_cupy, '7.2f') + ('x' if r.speedup_vs_cupy else ''):>8} "
            f"{_fmt(r.max_abs_diff_average, '17.3g')} {_fmt(r.discrete_identical_pct, '13.4f')}%"
        )


def _jsonable(row: Row) -> dict[str, Any]:
    """The row as a dict, non-finite numbers (a NaN placement mismatch) as strings."""
    return {k: str(v) if isinstance(v, float) and not np.isfinite(v) else v
            for k, v in dataclasses.asdict(row).items()}


def param_grid(configs: int) -> dict[str, list[Any]]:
    """A product grid of `configs` configurations (10, 100, 1000 or 10000)."""
    grid: dict[str, list[Any]] = {"ema_len": [10 + 4 * k for k in range(10)]}
    if configs >= 100:
        grid |= {"robustness": ["Medium", "Wide"], "lambda_param": [0.01, 0.02, 0.05, 0.1, 0.2]}
    if configs >= 1000:
        grid |= {"decay": [0.01, 0.03, 0.05, 0.07, 0.09], "cutout": [0, 10]}
    if configs >= 10000:
        grid |= {"long_threshold": [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]}
    return grid


def bench_param_sweep(configs: int, symbols: int, bars: int, args: argparse.Namespace) -> dict[str, Any]:
    """atc.sweep against the per-configuration loop a user would write without it."""
    grid = param_grid(configs)
    prices = np.round(make_prices(symbols, bars, args.seed), 2)
    import pandas as pd
    frame = pd.DataFrame(prices, columns=[f"S{i}" for i in range(symbols)])
    kwargs = {"fee_bps": 5.0, "bars_per_year": 365.0}
    sweep_s, rows = _median_time(lambda: atc.sweep(frame, grid, **kwargs), args.warmup, args.repeats)
    looped = max(1, min(len(rows) // symbols, 20))
    first = rows[rows["config"] < looped]
    params = [c for c in grid]
    start = time.perf_counter()
    loop_rows = []
    for c in range(looped):
        values = first[first["config"] == c].iloc[0]
        cfg = {name: values[name] for name in params}
        result = compute_atc_batch(frame, outputs="scan", **cfg)
        metrics = atc.backtest(frame, result, **kwargs)
        loop_rows.append(metrics)
    loop_s = (time.perf_counter() - start) * (len(rows) // symbols) / looped
    same = all(np.array_equal(first[first["config"] == c]["sharpe"].to_numpy(), m["sharpe"].to_numpy(),
                              equal_nan=True) for c, m in enumerate(loop_rows))
    return {"configs": len(rows) // symbols, "symbols": symbols, "bars": bars, "backend": rows.attrs["backend"],
            "sweep_seconds": sweep_s, "loop_seconds_scaled": loop_s, "loop_configs_timed": looped,
            "speedup": loop_s / sweep_s, "rows_equal_loop": bool(same),
            "config_symbol_bars_per_second": len(rows) * bars / sweep_s}


def bench_device_input(symbols: int, bars: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Device prices: host-clock medians of whole calls (each returns with its outputs done)."""
    import cupy

    prices = np.round(make_prices(symbols, bars, args.seed), 2)
    column_major = cupy.asfortranarray(cupy.asarray(prices))
    row_major = cupy.ascontiguousarray(column_major)
    narrow = column_major.astype(cupy.float32)
    rows = []

    def measure(name: str, run: Callable[[], Any]) -> None:
        def timed() -> Any:
            out = run()
            cupy.cuda.Device().synchronize()
            return out
        seconds, _ = _median_time(timed, args.warmup, args.repeats)
        rows.append({"case": name, "symbols": symbols, "bars": bars, "ms": seconds * 1e3})

    scan = {"outputs": "scan"}
    measure("CuPy column-major in, device out", lambda: atc.compute_atc_batch(column_major, device=True, **scan))
    measure("CuPy row-major in, device out", lambda: atc.compute_atc_batch(row_major, device=True, **scan))
    measure("CuPy float32 in, device out", lambda: atc.compute_atc_batch(narrow, device=True, **scan))
    measure("CuPy column-major in, frames out", lambda: atc.compute_atc_batch(column_major, **scan))
    measure("CuPy copied to the host first (the old path)",
            lambda: atc.compute_atc_batch(cupy.asnumpy(column_major), backend="cuda", **scan))
    measure("NumPy in, frames out", lambda: atc.compute_atc_batch(prices, backend="cuda", **scan))
    try:
        import torch

        if torch.cuda.is_available():
            tensor = torch.as_tensor(prices, device="cuda")
            measure("PyTorch row-major in, device out", lambda: atc.compute_atc_batch(tensor, device=True, **scan))
    except ImportError:
        pass
    return rows


def _parse_host_sizes(text: str) -> list[tuple[int, int, str]]:
    """'1000:1000:scan,10000:1000:compact' -> [(symbols, bars, outputs), ...]."""
    sizes = []
    for part in text.split(","):
        symbols, bars, outputs = part.split(":")
        sizes.append((int(symbols), int(bars), outputs))
    return sizes


def bench_host_input(symbols: int, bars: int, outputs: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Host prices, frames out: whole calls against the engine's own time in the same process.

    Each row: the host-clock median of the whole Python call ("ms") and, where the row has
    one, the median of the engine's own ``compute_batch`` time in those calls
    ("engine_ms"). "ratio" rows divide a Python time by the C++ direct-transfer time.
    """
    import pandas as pd

    prices = np.round(make_prices(symbols, bars, args.seed), 2)
    frame = pd.DataFrame(prices, index=pd.date_range("2020-01-01", periods=bars, freq="D"),
                         columns=[f"S{i}" for i in range(symbols)], copy=False)
    backend = args.backend
    resolved = atc.resolve_backend(backend)
    rows: list[dict[str, Any]] = []

    def record(case: str, seconds: float, engine: list[float]) -> dict[str, Any]:
        row = {"case": case, "symbols": symbols, "bars": bars, "outputs": outputs, "backend": resolved,
               "ms": seconds * 1e3, "engine_ms": statistics.median(engine) * 1e3 if engine else None}
        rows.append(row)
        return row

    def python_call(data: Any) -> tuple[float, list[float]]:
        engine: list[float] = []

        def run() -> Any:
            result = compute_atc_batch(data, backend=backend, outputs=outputs)
            engine.append(result._engine_seconds)
            return result  # kept until the next call returns, as a loop over bars keeps it

        seconds, _ = _median_time(run, args.warmup, args.repeats)
        return seconds, engine[args.warmup:]

    numpy_row = record("NumPy in, frames out (compute_atc_batch)", *python_call(prices))
    pandas_row = record("pandas in, frames out (compute_atc_batch)", *python_call(frame))

    # The C++ direct-transfer path: prices in the engine's pinned input table, results in
    # its pinned columns, reused; timed in the bindings around compute_batch alone.
    engine = atc.BatchEngine(backend=backend, outputs=outputs, pinned=True)
    table = engine.input_table(bars, symbols)
    table[:] = prices
    names = [str(i) for i in range(symbols)]
    direct: list[float] = []

    def run_direct() -> None:
        direct.append(engine._native.compute(table, names, None)["engine_seconds"])

    _median_time(run_direct, args.warmup, args.repeats)
    direct_ms = statistics.median(direct[args.warmup:]) * 1e3
    rows.append({"case": "C++ direct transfers (compute_batch, pinned in and out)", "symbols": symbols,
                 "bars": bars, "outputs": outputs, "backend": resolved, "ms": direct_ms, "engine_ms": direct_ms})
    for row in (numpy_row, pandas_row):
        rows.append({"case": f"ratio: {row['case'].split(' (')[0]} / C++ direct", "symbols": symbols, "bars": bars,
                     "outputs": outputs, "backend": resolved, "ratio": row["ms"] / direct_ms,
                     "outside_engine_ms": row["ms"] - row["engine_ms"]})
    return rows


def _print_host_row(row: dict[str, Any]) -> None:
    head = f"{row['symbols']:>6} x {row['bars']:<6} {row['outputs']:<8} {row['case']:<56}"
    if "ratio" in row:
        print(f"{head} {row['ratio']:9.2f}x  ({row['outside_engine_ms']:.3f} ms outside compute_batch)")
    elif row["engine_ms"] is not None and row["engine_ms"] != row["ms"]:
        print(f"{head} {row['ms']:9.2f} ms  (compute_batch in it {row['engine_ms']:.2f} ms)")
    else:
        print(f"{head} {row['ms']:9.2f} ms")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m atc.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=1000)
    parser.add_argument("--use-cuda-kernels", action="store_true", help="run the CUDA backend (1 stream)")
    parser.add_argument("--use-streams", action="store_true", help="run the CUDA backend with --num-streams streams")
    parser.add_argument("--num-streams", type=int, default=4)
    parser.add_argument("--sweep", action="store_true",
                        help=f"run {', '.join(map(str, SWEEP_SYMBOLS))} symbols (ignores --symbols)")
    parser.add_argument("--device-input", action="store_true",
                        help="time prices already in GPU memory (CuPy, PyTorch) at 1,000 x 1,000 and 10,000 x 10,000")
    parser.add_argument("--host-input", action="store_true",
                        help="time NumPy/pandas prices in, frames out, against the engine's own time in the same run")
    parser.add_argument("--host-sizes", type=_parse_host_sizes, default=_parse_host_sizes("1000:1000:scan,10000:1000:compact"),
                        metavar="S:B:OUTPUTS,...", help="workloads of --host-input (default: 1000:1000:scan,10000:1000:compact)")
    parser.add_argument("--backend", default="auto", choices=("auto", "cpu", "cuda"),
                        help="backend of --host-input (default: auto)")
    parser.add_argument("--param-sweep", type=int, metavar="N", choices=(10, 100, 1000, 10000),
                        help="time atc.sweep of N configurations on --symbols x --bars against a loop")
    parser.add_argument("--json", type=Path, default=Path("atc_bench.json"), metavar="FILE",
                        help="where to write the results (default: atc_bench.json)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per row")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per row (median reported)")
    parser.add_argument("--reference-max-cells", type=int, default=1_000_000,
                        help="largest symbols x bars the scalar reference runs at")
    parser.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m atc.bench``."""
    args = _parser().parse_args(argv)
    if min(args.symbols, args.bars, args.repeats, args.num_streams) < 1 or args.warmup < 0:
        print("atc.bench: sizes, --repeats and --num-streams must be >= 1", file=sys.stderr)
        return 2
    if args.device_input:
        sizes = [(1000, 1000), (10000, 10000)] if args.sweep else [(args.symbols, args.bars)]
        results = []
        for symbols, bars in sizes:
            for row in bench_device_input(symbols, bars, args):
                print(f"{row['symbols']:>6} x {row['bars']:<6} {row['case']:<48} {row['ms']:10.2f} ms")
                results.append(row)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        return 0
    if args.host_input:
        results = []
        for symbols, bars, outputs in args.host_sizes:
            for row in bench_host_input(symbols, bars, outputs, args):
                _print_host_row(row)
                results.append(row)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        return 0
    if args.param_sweep:
        r = bench_param_sweep(args.param_sweep, args.symbols, args.bars, args)
        print(f"atc.sweep {r['configs']} configurations x {r['symbols']} symbols x {r['bars']} bars "
              f"({r['backend']}): {r['sweep_seconds'] * 1e3:.1f} ms "
              f"({r['config_symbol_bars_per_second']:.3g} configuration-symbol-bars/s); loop of "
              f"compute_atc_batch + atc.backtest: {r['loop_seconds_scaled'] * 1e3:.0f} ms "
              f"(timed on {r['loop_configs_timed']}, scaled); speed-up {r['speedup']:.1f}x; "
              f"rows equal: {r['rows_equal_loop']}")
        args.json.write_text(json.dumps(r, indent=2) + "\n")
        return 0 if r["rows_equal_loop"] else 1
    sizes = SWEEP_SYMBOLS if args.sweep else (args.symbols,)
    runs = []
    for symbols in sizes:
        rows = bench_size(symbols, args.bars, args)
        print_table(symbols, args.bars, rows)
        runs.append({"symbols": symbols, "bars": args.bars, "rows": [_jsonable(r) for r in rows]})
    report = {
        "atc_version": atc.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cuda_available": atc.cuda_available(),
        "timing": f"host to host, median of {args.repeats} after {args.warmup} warm-up run(s)",
        "config": dataclasses.asdict(ATCConfig()),
        "runs": runs,
    }
    args.json.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
