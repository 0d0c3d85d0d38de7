"""The same-run A/B tables of scripts/device_cuda.sh --baseline and device_ab.sh:
bench_cuda's fused rows per price kind, the baseline's and this tree's medians over the
rounds, and their ratio; with --streams, bench_streams' 1,000-symbol direct-transfer rows
(4 streams, and the entry/prepare rows), each round's ms.

    python3 scripts/bench_ab.py out/bench.log
    python3 scripts/bench_ab.py --streams out/streams.log
"""
import re
import statistics
import sys
from collections import defaultdict

if sys.argv[1] == "--streams":
    rows = defaultdict(list)
    side = None
    for line in open(sys.argv[2]):
        if m := re.match(r"^== round \d+, (.*) ==", line):
            side = m.group(1)
        elif side and (m := re.match(r"^ +(\d+)×(\d+) +(\w+) +(\d+) direct +on +(\w+) +([\d.]+)", line)):
            symbols, _, outputs, streams, call, ms = m.groups()
            if symbols == "1000" and (streams == "4" or call != "repeat"):
                rows[(outputs, streams, call)].append((side, float(ms)))
    print(f"{'outputs':9} {'streams':>7} {'call':8} {'baseline ms':>16} | this tree ms")
    for (outputs, streams, call), values in rows.items():
        base = " ".join(f"{ms:.3f}" for s, ms in values if s == "baseline")
        this = " ".join(f"{ms:.3f}" for s, ms in values if s == "this tree")
        print(f"{outputs:9} {streams:>7} {call:8} {base:>16} | {this}")
    sys.exit(0)

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
