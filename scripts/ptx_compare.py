"""Whether a change leaves the CUDA kernels' code as it was, without a GPU.

    python3 scripts/ptx_compare.py BASE_TREE [FILE.cu ...]

Compiles each .cu file (default: the two fused kernels) of this tree and of BASE_TREE
(e.g. `git archive <commit> | tar -x -C /tmp/base`) to PTX for sm_90 with the build's
flags, then compares them kernel by kernel, after renaming what differs between any two
compilations (the anonymous namespace's hash, labels, local depots, call sequence
numbers). Per file it prints how many kernels are identical, and for the others whether
they hold the same instructions with other register numbers or order. Needs nvcc only.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FILES = ["src/cuda/fused_per_family.cu", "src/cuda/fused_per_symbol.cu"]
# Older trees took the fused kernels' launch policy as CMake definitions.
OLD_DEFINES = ["-DATC_CUDA_FAMILY_MIN_WARPS=27", "-DATC_CUDA_FAMILY_TILE=16", "-DATC_CUDA_SYMBOL_MIN_WARPS=18",
               "-DATC_CUDA_SYMBOL_TILE=32", "-DATC_CUDA_STEADY_UNROLL=1"]


def ptx(tree: Path, source: str, out: Path) -> str:
    subprocess.run(["nvcc", "-std=c++20", "-O3", "--fmad=false", "--expt-relaxed-constexpr", *OLD_DEFINES,
                    "-I", "include", "-I", "src", "-arch=sm_90", "-ptx", source, "-o", str(out)],
                   cwd=tree, check=True)
    return out.read_text()


def functions(text: str) -> dict[str, str]:
    for pattern, name in ((r"_GLOBAL__N__[0-9a-f]+_", "_G_"), (r"_INTERNAL_[0-9a-f]+_", "_I_"),
                          (r"__local_depot\d+", "__local_depot"), (r"\$L__BB\d+_", "$L__BB_"),
                          (r"callseq \d+", "callseq")):
        text = re.sub(pattern, name, text)
    out = {}
    for part in re.split(r"(?=\n\.visible \.entry|\n\.entry|\n\.func|\n\.visible \.func)", text):
        found = re.search(r"\.(?:entry|func)\s+(?:\([^)]*\)\s*)?(\S+)\(", part)
        if found:
            out[found.group(1)] = part.strip()
    return out


def instructions(body: str) -> collections.Counter:
    return collections.Counter(re.sub(r"%\w+|\d+", "", line).strip() for line in body.splitlines())


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    base, files = Path(sys.argv[1]), sys.argv[2:] or FILES
    here = Path(__file__).resolve().parents[1]
    changed = False
    with tempfile.TemporaryDirectory() as tmp:
        for source in files:
            old = functions(ptx(base, source, Path(tmp) / "base.ptx"))
            new = functions(ptx(here, source, Path(tmp) / "new.ptx"))
            same = [k for k in old if old[k] == new.get(k)]
            reordered = [k for k in old if k in new and k not in same and instructions(old[k]) == instructions(new[k])]
            other = sorted(set(old) ^ set(new)) + [k for k in old if k in new and k not in same and k not in reordered]
            print(f"{source}: {len(old)} functions; identical {len(same)}, "
                  f"same instructions in another order or registers {len(reordered)}, different {len(other)}")
            for name in other:
                print(f"  different: {name}")
            changed = changed or bool(other)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
