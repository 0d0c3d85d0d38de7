"""Prices in GPU memory computed where they lie (``atc._device``), against host prices.

The GPU tests need a CUDA device and CuPy (fixture ``cupy``; PyTorch and JAX ones are
skipped with the reason when those are missing); the last test runs everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc


def _walks(bars: int, symbols: int, seed: int) -> np.ndarray:
    """Cent-grid walks (bars x symbols) with late listings and two bad symbols."""
    frame = random_walks(bars, symbols, seed=seed)
    values = np.round(frame.to_numpy(), 2)
    values[bars // 2, 1] = np.nan  # an interior gap: that symbol's error
    values[bars // 3, 2] = -1.0    # a non-positive close
    return values


def _assert_device_equals_host(device_result, host: atc.ATCResult) -> None:
    import cupy

    assert list(device_result) == list(host)
    for name in host:
        np.testing.assert_array_equal(cupy.asnumpy(device_result[name]), host[name].to_numpy(), strict=True,
                                      err_msg=name)
    np.testing.assert_array_equal(device_result.status["code"].to_numpy(), host.status["code"].to_numpy())
    np.testing.assert_array_equal(device_result.status["message"].to_numpy(), host.status["message"].to_numpy())


@pytest.mark.gpu
@pytest.mark.parametrize("outputs", ["standard", "compact", "scan"])
def test_column_major_cupy_in_device_out_has_the_host_bits(cupy, outputs: str) -> None:
    values = _walks(600, 40, seed=3)
    host = atc.compute_atc_batch(values, backend="cpu", outputs=outputs)
    on_device = cupy.asfortranarray(cupy.asarray(values))
    with pytest.warns(atc.ATCWarning):
        result = atc.compute_atc_batch(on_device, outputs=outputs, device=True)
    assert isinstance(result, atc.DeviceATCResult)
    assert isinstance(result["Average_Signal"], cupy.ndarray)
    _assert_device_equals_host(result, host)


@pytest.mark.gpu
def test_row_major_float32_and_strided_views_are_widened_on_the_device(cupy) -> None:
    values = _walks(500, 30, seed=5)
    # Row-major (CuPy's default), host output: the usual frames.
    host = atc.compute_atc_batch(values, backend="cpu")
    with pytest.warns(atc.ATCWarning):
        frames = atc.compute_atc_batch(cupy.asarray(values))
    for name in host:
        np.testing.assert_array_equal(frames[name].to_numpy(), host[name].to_numpy(), err_msg=name)
    # float32: the same as the floats widened on the host.
    narrow = values.astype(np.float32)
    host32 = atc.compute_atc_batch(narrow.astype(np.float64), backend="cpu")
    with pytest.warns(atc.ATCWarning):
        _assert_device_equals_host(atc.compute_atc_batch(cupy.asarray(narrow), device=True), host32)
    # Every other symbol of a wider table (a non-contiguous view).
    wide = cupy.asarray(np.repeat(values, 2, axis=1))
    view = wide[:, ::2]
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    with pytest.warns(atc.ATCWarning):
        _assert_device_equals_host(atc.compute_atc_batch(view, device=True), host)


@pytest.mark.gpu
def test_prices_made_on_a_non_default_stream_and_freed_after_the_call(cupy) -> None:
    values = _walks(400, 20, seed=9)
    host = atc.compute_atc_batch(values, backend="cpu")
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        prices = cupy.asfortranarray(cupy.asarray(values) * 1.0)  # produced on `stream`
        with pytest.warns(atc.ATCWarning):
            result = atc.compute_atc_batch(prices, device=True)
    del prices
    cupy.get_default_memory_pool().free_all_blocks()
    cupy.cuda.Device().synchronize()
    _assert_device_equals_host(result, host)  # the outputs own their memory


@pytest.mark.gpu
def test_outputs_and_workspace_come_from_cupys_pool_and_go_back_with_the_arrays(cupy) -> None:
    values = _walks(300, 12, seed=13)
    host = atc.compute_atc_batch(values, backend="cpu", outputs="scan")
    prices = cupy.asfortranarray(cupy.asarray(values))
    pool = cupy.get_default_memory_pool()

    def run():
        with pytest.warns(atc.ATCWarning):
            return atc.compute_atc_batch(prices, outputs="scan", device=True)

    before = pool.used_bytes()
    result = run()
    assert isinstance(result["Average_Signal"].data.mem, cupy.cuda.memory.PooledMemory)
    held = pool.used_bytes() - before  # the outputs' block; the workspace went back on return
    assert held >= 13 * values.size   # Average_Signal and five int8 columns
    kept = result["state"]
    del result
    assert pool.used_bytes() - before == held  # one column still holds the whole block
    pool.free_all_blocks()
    np.testing.assert_array_equal(cupy.asnumpy(kept), host["state"].to_numpy())
    del kept
    assert pool.used_bytes() == before
    # Repeated calls reuse the pool's cached blocks: no new device memory.
    _assert_device_equals_host(run(), host)
    cached = pool.total_bytes()
    for _ in range(3):
        _assert_device_equals_host(run(), host)
    assert pool.total_bytes() == cached
    assert pool.used_bytes() == before


@pytest.mark.gpu
def test_torch_and_jax_inputs_give_the_same_bits(cupy) -> None:
    values = _walks(400, 16, seed=11)
    host = atc.compute_atc_batch(values, backend="cpu")
    ran = 0
    try:
        import torch

        if torch.cuda.is_available():
            with pytest.warns(atc.ATCWarning):
                _assert_device_equals_host(atc.compute_atc_batch(torch.tensor(values, device="cuda"), device=True),
                                           host)
            ran += 1
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if gpus:
            with pytest.warns(atc.ATCWarning):
                _assert_device_equals_host(
                    atc.compute_atc_batch(jax.device_put(values, gpus[0]), device=True), host)
            ran += 1
    except ImportError:
        pass
    if ran == 0:
        pytest.skip("neither PyTorch nor JAX with a GPU is installed")


def test_device_output_needs_device_prices_and_the_cuda_backend() -> None:
    values = np.round(random_walks(300, 3, seed=2).to_numpy(), 2)
    with pytest.raises(ValueError, match="device=True needs prices in GPU memory"):
        atc.compute_atc_batch(values, device=True)
