"""The same-run A/B table of scripts/device_cuda.sh --baseline: bench_cuda's fused rows
per price kind, the baseline's and this tree's medians over the rounds, and their ratio.

    python3 scripts/bench_ab.py out/bench.log
"""
import re
import statistics
import sys
from collections import defaultdict

section = re.compile(r"^== round (\d+), (\w+) prices, (baseline|this tree) ==")
row = re.compile(r"^(fused\w*)\s+(\d+)\s+(\d+)\s+([\d.]+)\s")
times = defaultdict(list)  # (prices, kernel, symbols, bars, side) -> [ms]
current = None
for line in open(sys.argv[1]):
    if m := section.match(line):
        current = (m.group(2), m.group(3))
    elif current and (m := row.match(line)):
        kernel, symbols, bars, ms = m.group(1), int(m.group(2)), int(m.group(3)), float(m.group(4))
        times[(current[0], kernel, symbols, bars, current[1])].append(ms)

print(f"{'prices':6} {'kernel':24} {'symbols x bars':>15} {'baseline ms':>12} {'this ms':>10} {'ratio':>7}")
keys = sorted({k[:4] for k in times}, key=lambda k: (k[0], k[1], -k[2], -k[3]))
for prices, kernel, symbols, bars in keys:
    if symbols * bars < 1_000_000 or kernel.endswith("_f32") and symbols * bars < 10_000_000:
        continue
    a = times.get((prices, kernel, symbols, bars, "baseline"))
    b = times.get((prices, kernel, symbols, bars, "this tree"))
    if not a or not b:
        continue
    ma, mb = statistics.median(a), statistics.median(b)
    print(f"{prices:6} {kernel:24} {symbols:>7} x {bars:<6} {ma:12.4f} {mb:10.4f} {mb / ma:7.3f}")
