"""Each ATC stage in CuPy array operations against the project's CUDA stage kernels.

``python -m atc.bench.stages --cuda-json bench_cuda.json [--json out.json]`` times the
stages of the CuPy baseline (:mod:`atc.bench.cupy_baseline`) on random walks with CUDA
events (median after a warm-up) and, given the JSON that ``bench/cuda/bench_cuda``
wrote in the same session, prints the kernel time beside each stage. Like for like:
the CuPy stages run on all 54 chains (or 6 families) at once, the CUDA stage kernels on
one family's 9 chains, so their times are multiplied by 6 where the CuPy stage covers
six families.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from atc import ATCConfig
from atc._gpu import cupy_unavailable_reason
from atc.bench import cupy_baseline as cb

SIZES = [(s, b) for s in (100, 1000, 10000) for b in (100, 1000, 10000)]
# (bars x 54 chains x symbols) float64 arrays above this do not fit beside each other.
MAX_CHAIN_CELLS = 2_000_000_000

# CuPy stage -> (CUDA stage kernels it corresponds to, how many of each).
KERNELS = {
    "moving averages (54)": [("ma_EMA", 1), ("ma_HMA", 1), ("ma_WMA", 1), ("ma_DEMA", 1),
                             ("ma_LSMA", 1), ("ma_KAMA", 1)],
    "signals (54)": [("signals", 6)],
    "returns": [("returns", 1)],
    "per-MA equities (54)": [("ma_equities", 6)],
    "layer 1 (6)": [("layer1", 6)],
    "family equities (6)": [("family_equities", 1)],
    "average signal": [("average", 1)],
    "classification": [("classify", 1)],
    "whole pipeline": [("fused_standard", 1)],
}


def _time(cupy: Any, fn: Callable[[], Any], repeats: int) -> float:
    """Median milliseconds of ``fn`` on the current stream after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, stop))
    return statistics.median(times)


def time_stages(cupy: Any, symbols: int, bars: int, repeats: int) -> dict[str, float]:
    """Milliseconds of each CuPy stage on a (bars x symbols) random walk."""
    rng = np.random.default_rng(symbols * 100003 + bars)
    x = cupy.asarray(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, (bars, symbols)), axis=0)))
    params = cb._Params.from_config(ATCConfig())
    keep = 1.0 - params.de
    ma = cb._moving_averages(x, params, cupy)
    signals = cb._hold_last(cb._crossings(x[:, None, :], ma, cupy), cupy)
    r = cb._adjusted_returns(x, params, cupy)
    ones = cupy.ones((signals.shape[1], 1))
    equity = cb._equity(signals, r, ones, keep, params.cutout, cupy)
    family_signal = cb._layer1(signals, equity, cupy)
    family_sign = (family_signal > 0).astype(cupy.int8) - (family_signal < 0).astype(cupy.int8)
    weights = cupy.asarray(params.weights)[:, None]
    family_equity = cb._equity(family_sign, r, weights, keep, params.cutout, cupy)
    average = cb._average_signal(family_signal, family_equity, cupy)
    stages = {
        "moving averages (54)": lambda: cb._moving_averages(x, params, cupy),
        "signals (54)": lambda: cb._hold_last(cb._crossings(x[:, None, :], ma, cupy), cupy),
        "returns": lambda: cb._adjusted_returns(x, params, cupy),
        "per-MA equities (54)": lambda: cb._equity(signals, r, ones, keep, params.cutout, cupy),
        "layer 1 (6)": lambda: cb._layer1(signals, equity, cupy),
        "family equities (6)": lambda: cb._equity(family_sign, r, weights, keep, params.cutout, cupy),
        "average signal": lambda: cb._average_signal(family_signal, family_equity, cupy),
        "classification": lambda: cb._classify(average, params, cupy),
        "whole pipeline": lambda: cb.run_baseline(x, ATCConfig(), cupy),
    }
    return {name: _time(cupy, fn, repeats) for name, fn in stages.items()}


def cuda_times(path: Path) -> dict[tuple[str, int, int], float]:
    """(kernel, symbols, bars) -> median ms from bench_cuda's JSON."""
    data = json.loads(path.read_text())
    return {(r["kernel"], r["symbols"], r["bars"]): r["median_ms"] for r in data["results"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m atc.bench.stages", description=__doc__.splitlines()[0])
    parser.add_argument("--cuda-json", type=Path, help="bench_cuda --json output of the same session")
    parser.add_argument("--json", type=Path, default=Path("atc_stages.json"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    reason = cupy_unavailable_reason()
    if reason is not None:
        print(f"skipped: {reason}")
        return 0
    import cupy

    kernels = cuda_times(args.cuda_json) if args.cuda_json else {}
    rows = []
    print(f"{'stage':<22} {'symbols':>7} {'bars':>6} {'CuPy ms':>10} {'CUDA ms':>9} {'speed-up':>9}")
    for symbols, bars in SIZES:
        if symbols * bars * cb._LENGTHS_PER_FAMILY * len(cb.FAMILIES) > MAX_CHAIN_CELLS:
            print(f"{'(all stages)':<22} {symbols:>7} {bars:>6}   skipped: CuPy's chain arrays exceed GPU memory")
            continue
        for stage, ms in time_stages(cupy, symbols, bars, args.repeats).items():
            parts = [kernels.get((k, symbols, bars)) for k, _ in KERNELS[stage]]
            cuda_ms = (sum(t * n for t, (_, n) in zip(parts, KERNELS[stage])) if parts and None not in parts
                       else None)
            speedup = ms / cuda_ms if cuda_ms else None
            rows.append({"stage": stage, "symbols": symbols, "bars": bars, "cupy_ms": ms,
                         "cuda_ms": cuda_ms, "speedup": speedup})
            cuda_text = f"{cuda_ms:9.3f}" if cuda_ms is not None else f"{'-':>9}"
            speed_text = f"{speedup:8.0f}x" if speedup is not None else f"{'-':>9}"
            print(f"{stage:<22} {symbols:>7} {bars:>6} {ms:10.3f} {cuda_text} {speed_text}", flush=True)
        cupy.get_default_memory_pool().free_all_blocks()
    args.json.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=1))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
