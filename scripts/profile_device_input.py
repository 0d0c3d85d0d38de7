"""Where a Python call on device prices spends its time (run on a GPU machine).

    python3 scripts/profile_device_input.py [--symbols 10000] [--bars 10000] [--repeats 7]

Times, as host-clock medians after a warm-up, on the cent-grid walks of
``python -m atc.bench``: the whole ``compute_atc_batch(cupy_array, device=True,
outputs="scan")``; the binding ``_atc.compute_device`` alone with the arguments the
package passes (CuPy's pool as allocator); the same with the engine's own cudaMalloc;
then prints a cProfile of the whole calls (top functions by cumulative time). Compare with
``bench_cuda --prices grid --size S:B`` (fused kernel alone, compute_device in C++) run in
the same device call.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import atc
from atc import _atc
from atc._compute import _options
from atc._device import _cupy_allocator, table_info
from atc.bench.__main__ import make_prices


def median_ms(run: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=10_000)
    parser.add_argument("--bars", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import cupy

    sync = cupy.cuda.Device().synchronize
    prices = np.round(make_prices(args.symbols, args.bars, 7), 2)
    column_major = cupy.asfortranarray(cupy.asarray(prices))
    del prices
    whole = median_ms(lambda: atc.compute_atc_batch(column_major, device=True, outputs="scan"), args.repeats, sync)
    info, _, stream = table_info(column_major, "data")
    names = list(map(str, range(args.symbols)))
    native_cfg = atc.ATCConfig().to_native()
    options = _options("auto", None, "scan", None)
    pooled = median_ms(lambda: _atc.compute_device(info, None, names, native_cfg, options, stream, False,
                                                   _cupy_allocator(stream)), args.repeats, sync)
    own = median_ms(lambda: _atc.compute_device(info, None, names, native_cfg, options, stream, False, None),
                    args.repeats, sync)
    names_ms = median_ms(lambda: list(map(str, range(args.symbols))), args.repeats, lambda: None)
    print(f"{args.symbols} x {args.bars}, CuPy column-major in, device out, scan outputs (median ms):")
    print(f"  compute_atc_batch(device=True)            {whole:9.2f}")
    print(f"  _atc.compute_device, CuPy pool allocator  {pooled:9.2f}")
    print(f"  _atc.compute_device, engine cudaMalloc    {own:9.2f}")
    print(f"  the symbol names alone                    {names_ms:9.2f}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.repeats):
        atc.compute_atc_batch(column_major, device=True, outputs="scan")
        sync()
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
    print(text.getvalue())


if __name__ == "__main__":
    main()
