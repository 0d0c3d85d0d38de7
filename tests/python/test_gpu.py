"""GPU paths: the CUDA backend and CuPy input (marker ``gpu``; skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import assert_parity_with_calibration, assert_same_outputs, random_walks

import atc

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("use_streams", [False, True])
def test_cuda_backend_matches_cpu_on_random_walks(cuda_backend: str, use_streams: bool) -> None:
    frame = random_walks(2000, 300, seed=21)
    config = atc.ATCConfig(robustness="Wide", cutout=10, strategy_mode=True)
    gpu = atc.compute_atc_batch(frame, config=config, backend=cuda_backend, use_streams=use_streams,
                                num_streams=3, calibration="KAMA")
    cpu = atc.compute_atc_batch(frame, config=config, backend="cpu", calibration="KAMA")
    assert gpu.backend == "cuda"
    assert_same_outputs(gpu, cpu)


def test_cuda_backend_matches_reference_on_market_data(cuda_backend: str, market: dict[str, pd.DataFrame]) -> None:
    for symbol in ("GOOG", "EURUSD"):
        assert_parity_with_calibration(market[symbol]["Close"], atc.ATCConfig(), backend=cuda_backend)


def test_auto_uses_the_gpu(cuda_backend: str) -> None:
    assert atc.resolve_backend("auto") == cuda_backend
    assert atc.compute_atc_batch(random_walks(300, 3)).backend == cuda_backend


def test_cupy_input_equals_numpy_input(cupy) -> None:
    frame = random_walks(800, 50, seed=4)
    on_host = atc.compute_atc_batch(frame.to_numpy(), backend="cpu")
    on_device = atc.compute_atc_batch(cupy.asarray(frame.to_numpy()), backend="cpu")
    for key in on_host:
        pd.testing.assert_frame_equal(on_device[key], on_host[key])
    signals = atc.compute_atc_signals(cupy.asarray(frame["S001"].to_numpy()), backend="cpu")
    np.testing.assert_array_equal(signals["Average_Signal"].to_numpy(), on_host.average_signal[1].to_numpy())


def test_float32_precision_runs_the_float32_kernel_close_to_float64(cuda_backend: str) -> None:
    frame = random_walks(1500, 40, seed=9)
    f64 = atc.compute_atc_batch(frame, backend=cuda_backend, outputs="scan")
    f32 = atc.compute_atc_batch(frame, backend=cuda_backend, outputs="scan", precision="float32")
    a64, a32 = f64["Average_Signal"].to_numpy(), f32["Average_Signal"].to_numpy()
    assert np.array_equal(np.isnan(a64), np.isnan(a32))
    assert not np.array_equal(a64[~np.isnan(a64)], a32[~np.isnan(a32)]), "float32 gave the float64 bits"
    differing = (f64["state"].to_numpy() != f32["state"].to_numpy()).mean()
    assert differing < 0.01


def test_compact_outputs_on_the_gpu_hold_the_cpu_signals(cuda_backend: str) -> None:
    frame = random_walks(250, 3000, seed=5)  # enough symbols for the per-family kernels
    gpu = atc.compute_atc_batch(frame, backend=cuda_backend, outputs="compact", cutout=7)
    cpu = atc.compute_atc_batch(frame, backend="cpu", cutout=7)
    for family in atc.FAMILIES:
        widened = gpu[f"{family}_Signal_hundredths"].replace(atc.HUNDREDTHS_NAN, np.nan) / 100
        pd.testing.assert_frame_equal(widened, cpu[f"{family}_Signal"], check_exact=True)
    assert_same_outputs({k: gpu[k] for k in cpu if k in gpu}, {k: cpu[k] for k in cpu if k in gpu})


def test_a_pinned_batch_engine_on_the_gpu_equals_the_cpu(cuda_backend: str) -> None:
    engine = atc.BatchEngine(backend=cuda_backend, outputs="compact", pinned=True)
    table = engine.input_table(500, 40)
    for seed in (1, 2):  # the second call writes into the pinned columns of the first
        prices = np.round(random_walks(500, 40, seed=seed).to_numpy(), 2)
        table[:] = prices
        gpu = engine.compute(table)
        cpu = atc.compute_atc_batch(prices, backend="cpu", outputs="compact")
        for name in cpu:
            np.testing.assert_array_equal(gpu[name].to_numpy(), cpu[name].to_numpy(), err_msg=name)


def test_live_engine_on_the_gpu_equals_the_cpu_engine(cuda_backend: str, tmp_path) -> None:
    frame = random_walks(500, 40, seed=13)
    cpu = atc.LiveEngine(frame.iloc[:200], backend="cpu")
    gpu = atc.LiveEngine(frame.iloc[:200], backend=cuda_backend)
    assert gpu.backend == "cuda"
    for t in range(200, len(frame)):
        row = frame.iloc[t].dropna()
        if t == 350:  # the GPU's state continues on the host
            gpu.save(tmp_path / "gpu.state")
            gpu = atc.LiveEngine.restore(tmp_path / "gpu.state", backend="cpu")
        pd.testing.assert_frame_equal(cpu.peek(row), gpu.peek(row))
        pd.testing.assert_frame_equal(cpu.update(row), gpu.update(row))


def test_release_gpu_memory_frees_what_the_cuda_backend_keeps(cuda_backend: str) -> None:
    frame = random_walks(600, 40, seed=12)
    first = atc.compute_atc_batch(frame, backend=cuda_backend)
    kept = atc.gpu_memory_kept()
    assert kept["pipelines"] >= 1 and kept["device_bytes"] > 0
    assert atc.release_gpu_memory() == kept["device_bytes"] + kept["pinned_bytes"]
    assert atc.gpu_memory_kept() == {"pipelines": 0, "device_bytes": 0, "pinned_bytes": 0}
    again = atc.compute_atc_batch(frame, backend=cuda_backend)  # allocates anew, the same bits
    assert_same_outputs(again, first)
