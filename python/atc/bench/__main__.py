"""``python -m atc.bench``: the engine's backends against the CuPy baseline, same data.

    python -m atc.bench --symbols 1000 --bars 1000 --use-cuda-kernels --use-streams
    python -m atc.bench --sweep --json sweep.json

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m atc.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=1000)
    parser.add_argument("--use-cuda-kernels", action="store_true", help="run the CUDA backend (1 stream)")
    parser.add_argument("--use-streams", action="store_true", help="run the CUDA backend with --num-streams streams")
    parser.add_argument("--num-streams", type=int, default=4)
    parser.add_argument("--sweep", action="store_true",
                        help=f"run {', '.join(map(str, SWEEP_SYMBOLS))} symbols (ignores --symbols)")
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
