"""python -m atc.bench at a small size: rows, cross-checks and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import atc
from atc.bench.__main__ import main, make_prices


def test_make_prices_is_seeded_with_late_listings() -> None:
    a, b = make_prices(30, 200, seed=3), make_prices(30, 200, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.flags.f_contiguous and a.shape == (200, 30)
    assert np.isnan(a[0, ::10]).sum() >= 1 and not np.isnan(a[:, 1]).any()


def test_bench_writes_rows_and_cross_checks(tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "bench.json"
    assert main(["--symbols", "12", "--bars", "300", "--repeats", "1", "--warmup", "0",
                 "--json", str(report_path)]) == 0
    printed = capsys.readouterr().out
    assert "12 symbols x 300 bars" in printed
    report = json.loads(report_path.read_text())
    assert report["atc_version"] == atc.__version__
    (run,) = report["runs"]
    rows = {row["name"]: row for row in run["rows"]}
    assert list(rows) == ["cpu", "cupy baseline", "reference", "cuda", "cuda + 4 streams"]
    for name in ("cpu", "reference"):
        assert rows[name]["skipped"] is None
        assert rows[name]["seconds"] > 0
        assert rows[name]["max_abs_diff_average"] <= 1e-9
        assert rows[name]["discrete_identical_pct"] == 100.0
    if not atc.cuda_available():
        assert rows["cuda"]["skipped"].startswith("no CUDA backend")
        assert "skipped: no CUDA backend" in printed
    else:
        assert rows["cuda"]["skipped"] == "pass --use-cuda-kernels"


def test_bench_skips_the_reference_above_its_size_limit(tmp_path: Path, capsys) -> None:
    assert main(["--symbols", "10", "--bars", "200", "--repeats", "1", "--reference-max-cells", "1000",
                 "--json", str(tmp_path / "b.json")]) == 0
    assert "reference            skipped: 10 x 200 cells > --reference-max-cells 1000" in capsys.readouterr().out


def test_param_sweep_times_the_sweep_against_the_loop_and_compares_rows(tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "sweep.json"
    assert main(["--param-sweep", "10", "--symbols", "6", "--bars", "300", "--repeats", "1", "--warmup", "0",
                 "--json", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["configs"] == 10 and report["rows_equal_loop"] is True
    assert report["sweep_seconds"] > 0 and report["loop_seconds_scaled"] > 0
    assert "atc.sweep 10 configurations x 6 symbols x 300 bars" in capsys.readouterr().out


def test_host_input_times_python_against_the_engine_in_the_same_run(tmp_path: Path, capsys) -> None:
    report_path = tmp_path / "host.json"
    assert main(["--host-input", "--host-sizes", "20:300:scan,30:250:compact", "--backend", "cpu", "--repeats", "2",
                 "--warmup", "1", "--json", str(report_path)]) == 0
    rows = json.loads(report_path.read_text())
    assert [(r["symbols"], r["outputs"]) for r in rows] == [(20, "scan")] * 5 + [(30, "compact")] * 5
    for row in rows:
        assert row["backend"] == "cpu"
        if "ratio" in row:
            assert row["ratio"] > 0 and row["outside_engine_ms"] > 0
        else:
            assert 0 < row["engine_ms"] <= row["ms"]
    printed = capsys.readouterr().out
    assert "NumPy in, frames out (compute_atc_batch)" in printed
    assert "C++ direct transfers (compute_batch, pinned in and out)" in printed
    assert "ratio: pandas in, frames out / C++ direct" in printed
