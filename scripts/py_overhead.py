"""Where the host time of compute_atc_batch goes (issue 16; bench/RESULTS.md, tenth session).

    python scripts/py_overhead.py overhead 1000:1000:scan:numpy:9 1000:1000:scan:frame:9
    python scripts/py_overhead.py sections 1000:1000:scan:numpy:7
    python scripts/py_overhead.py pool 10000:1000:compact:3

overhead: the whole call against the engine's own compute_batch time in it (the bindings'
"engine_seconds"), medians; sections: perf_counter sections of the steps of
compute_atc_batch (input, names, native call, frames, status frame, warning) run one by
one; pool: compute_batch with the result columns fresh (pool emptied before each call) and
reused, interleaved. A spec is SYMBOLS:BARS:OUTPUTS:numpy|frame:RUNS (pool: without the
input kind). The cpu backend unless ATC_BENCH_BACKEND names another; prices from atc.bench
(cent-rounded random walks).
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import types

import numpy as np
import pandas as pd

import atc
from atc import _atc, _compute
from atc.bench.__main__ import make_prices

BACKEND = os.environ.get("ATC_BENCH_BACKEND", "cpu")


def _data(symbols: int, bars: int, kind: str) -> tuple[np.ndarray, object]:
    prices = np.round(make_prices(symbols, bars, 7), 2)
    if kind == "numpy":
        return prices, prices
    frame = pd.DataFrame(prices, index=pd.date_range("2020", periods=bars, freq="D"),
                         columns=[f"S{i}" for i in range(symbols)])
    return prices, frame


def overhead(spec: str) -> None:
    symbols, bars, outputs, kind, runs = spec.split(":")
    s, b, n = int(symbols), int(bars), int(runs)
    _, data = _data(s, b, kind)
    real, seen = _compute._atc, []

    class Timed(types.ModuleType):  # the bindings module, recording compute_table's engine time
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def compute_table(self, *args: object, **kwargs: object) -> dict:
            native = real.compute_table(*args, **kwargs)
            seen.append(native["engine_seconds"])
            return native

    _compute._atc = Timed("timed")
    try:
        whole, engine, outside = [], [], []
        kept = None
        for rep in range(n + 1):
            start = time.perf_counter()
            result = atc.compute_atc_batch(data, backend=BACKEND, outputs=outputs)
            seconds = time.perf_counter() - start
            kept = {key: result[key].to_numpy() for key in result}  # views, kept until the next call
            if rep == 0:
                continue
            whole.append(seconds * 1e3)
            engine.append(seen[-1] * 1e3)
            outside.append((seconds - seen[-1]) * 1e3)
        del kept
    finally:
        _compute._atc = real
    med = statistics.median
    print(f"{s} x {b} {outputs} {kind}-in (median of {n}): whole {med(whole):8.2f} ms, compute_batch "
          f"{med(engine):8.2f} ms, outside compute_batch {med(outside):6.3f} ms (min {min(outside):.3f})")


def sections(spec: str) -> None:
    symbols, bars, outputs, kind, runs = spec.split(":")
    s, b, n = int(symbols), int(bars), int(runs)
    _, data = _data(s, b, kind)
    secs: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        secs.setdefault(key, []).append(value * 1e3)

    for rep in range(n + 1):
        clock = time.perf_counter
        t0 = clock()
        cfg = atc.ATCConfig.from_params(None)
        opts = _compute._options(BACKEND, None, outputs, None)
        _compute._device_path(data, None, BACKEND, None, "error", None)
        native_cfg = cfg.to_native()
        t1 = clock()
        p = _compute._prices(data, None, None)
        t2 = clock()
        names = p.names
        t3 = clock()
        native = _atc.compute_table(p.close, names, native_cfg, opts, p.src)
        t4 = clock()
        frames = {k: pd.DataFrame(f.reshape(s, b).T, index=p.index, columns=p.columns, copy=False)
                  for k, f in native["columns"].items()}
        t5 = clock()
        status = _compute._status_frame(native, p.columns, p.index,
                                        np.asarray(native["status"]["bar"], dtype=np.int64), p.refused)
        result = _compute.ATCResult(frames, status, native["backend"])
        t6 = clock()
        _compute._warn_errors(result, 1)
        t7 = clock()
        if rep == 0:
            continue
        add("config+options", t1 - t0)
        add("_prices (normalize, table_values)", t2 - t1)
        add("symbol names", t3 - t2)
        add("native call", t4 - t3)
        add("  of which compute_batch", native["engine_seconds"])
        add("  of which binding (args, to_python, thread)", (t4 - t3) - native["engine_seconds"])
        add("output frames", t5 - t4)
        add("status frame (eager)", t6 - t5)
        add("_warn_errors (eager status)", t7 - t6)
        add("sum of sections outside compute_batch", (t7 - t0) - native["engine_seconds"])
    print(f"\n{s} x {b}, {outputs}, {kind} in (median of {n}):")
    for key, values in secs.items():
        print(f"  {key:<48} {statistics.median(values):9.3f} ms")


def pool(spec: str) -> None:
    symbols, bars, outputs, runs = spec.split(":")
    s, b, n = int(symbols), int(bars), int(runs)
    prices, _ = _data(s, b, "numpy")
    engine: dict[str, list[float]] = {"fresh": [], "reused": []}
    result = atc.compute_atc_batch(prices, backend=BACKEND, outputs=outputs)
    for _ in range(n):
        for mode in ("fresh", "reused"):
            result = None
            gc.collect()  # the previous result's columns back in the pool
            if mode == "fresh":
                atc.release_buffers()
            result = atc.compute_atc_batch(prices, backend=BACKEND, outputs=outputs)
            engine[mode].append(result._engine_seconds * 1e3)
    for mode, values in engine.items():
        print(f"{s} x {b} {outputs}, columns {mode:<6}: compute_batch median {statistics.median(values):8.2f} ms "
              f"(runs {', '.join(f'{x:.1f}' for x in values)})")


if __name__ == "__main__":
    command, *specs = sys.argv[1:]
    for spec in specs:
        {"overhead": overhead, "sections": sections, "pool": pool}[command](spec)
