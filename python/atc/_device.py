"""Prices already in GPU memory (CuPy, PyTorch, JAX, Numba): computed where they lie.

An array with ``__cuda_array_interface__`` (or DLPack, read through CuPy) is described to
the engine by its pointer, dtype and strides; the engine validates the prices, finds
their tick scales and computes on the device, in the stream the array's producer named
(CAI ``stream``), and only per-symbol metadata crosses to the host. The outputs stay on
the device (``device=True``: CuPy arrays, or DLPack arrays without CuPy) or come back
as the usual pandas frames. With CuPy, the output columns and the engine's workspace
come from CuPy's memory pool, so repeated calls allocate and free no device memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _atc
from ._outputs import DISCRETE_OUTPUTS
_DTYPES = {"<f8": "f8", "<f4": "f4", "=f8": "f8", "=f4": "f4"}


def _interface(obj: Any, what: str) -> tuple[dict, Any]:
    """The CUDA array interface of `obj` (reading a DLPack-only array through CuPy), and
    the object that keeps its memory alive."""
    # JAX dispatches asynchronously and its interface names no stream to wait on: its
    # documented way to wait for the array's producer is block_until_ready().
    if callable(getattr(obj, "block_until_ready", None)):
        obj.block_until_ready()
    cai = getattr(obj, "__cuda_array_interface__", None)
    if cai is not None:
        return cai, obj
    if hasattr(obj, "__dlpack__"):
        try:
            import cupy
        except ImportError as exc:
            raise TypeError(f"{what}: a GPU array without __cuda_array_interface__ is read through its DLPack "
                            "capsule by CuPy, which is not installed") from exc
        view = cupy.from_dlpack(obj)
        return view.__cuda_array_interface__, view
    raise TypeError(f"{what}: not a GPU array (no __cuda_array_interface__ or __dlpack__)")


def table_info(obj: Any, what: str) -> tuple[tuple, Any, int]:
    """(pointer, dtype, bars, symbols, bar stride, symbol stride), the owner, the stream."""
    cai, owner = _interface(obj, what)
    typestr = cai["typestr"]
    if typestr not in _DTYPES:
        raise TypeError(f"{what}: device prices must be float64 or float32, not {typestr!r}")
    itemsize = int(typestr[2:])
    shape = tuple(cai["shape"])
    if len(shape) == 1:
        shape = (shape[0], 1)
        strides = (cai["strides"] or (itemsize,))[0], shape[0] * itemsize
    elif len(shape) == 2:
        strides = cai.get("strides") or (shape[1] * itemsize, itemsize)  # None: C-contiguous
    else:
        raise ValueError(f"{what} must be 1-D or 2-D (bars x symbols), got shape {shape}")
    if any(s % itemsize for s in strides):
        raise ValueError(f"{what}: strides {strides} are not whole elements")
    info = (int(cai["data"][0]), _DTYPES[typestr], shape[0], shape[1], strides[0] // itemsize,
            strides[1] // itemsize)
    # CAI v3: None = nothing to wait for, 1 = the legacy default stream, 2 = the per-thread
    # one, else a cudaStream_t; the engine runs in that stream, after its producer's work.
    stream = cai.get("stream")
    return info, owner, 0 if stream is None else int(stream)


def _cupy_allocator(stream: int) -> Callable[[int, int], tuple[int, Any]] | None:
    """The engine's device memory from CuPy's memory pool (None without CuPy: the engine
    then calls cudaMalloc and cudaFree itself): ``allocate(bytes, device) -> (pointer,
    owner)`` on the device that holds the prices and in the stream the engine runs in. The
    pool caches blocks across calls, and hands a block out again only in the stream it was
    taken in, after the work queued there."""
    try:
        import cupy
    except ImportError:
        return None

    def allocate(nbytes: int, device: int) -> tuple[int, Any]:
        with cupy.cuda.Device(device):
            # CAI 0 (no stream) and 1 run in the legacy default stream, CuPy's null stream.
            engine_stream = cupy.cuda.Stream.null if stream in (0, 1) else cupy.cuda.ExternalStream(stream)
            with engine_stream:
                memory = cupy.cuda.alloc(nbytes)
        return memory.ptr, memory

    return allocate


def _cupy_column(block: Any, pointer: int, shape: tuple[int, int], dtype: np.dtype) -> Any:
    """A CuPy view of an engine column in `block` (a CuPy MemoryPointer): zero copy, it
    keeps the block alive."""
    import cupy

    return cupy.ndarray(shape, dtype=dtype, memptr=block + (pointer - block.ptr),
                        strides=(dtype.itemsize, shape[0] * dtype.itemsize))


def run_device(data: Any, src: Any, native_cfg: Any, options: Any, symbols: Sequence[Any] | None,
               device: bool) -> tuple[dict, pd.Index, pd.Index, dict[str, Any] | None]:
    """Runs the engine on device prices: its native result (host columns, or device ones
    with ``device``), the bars' index, the symbols, and the device columns as CuPy arrays
    (DLPack arrays without CuPy), or None."""
    info, owner, stream = table_info(data, "data")
    src_info = None
    src_owner = None
    if src is not None:
        src_info, src_owner, _ = table_info(src, "src")
    bars, n = info[2], info[3]
    columns = pd.Index(symbols) if symbols is not None else pd.RangeIndex(n)
    if len(columns) != n:
        raise ValueError(f"{len(columns)} symbols given for {n} columns")
    names = list(map(str, range(n))) if symbols is None else [str(c) for c in columns]
    allocate = _cupy_allocator(stream)
    native = _atc.compute_device(info, src_info, names, native_cfg, options, stream, not device, allocate)
    del owner, src_owner  # the engine has finished with the prices: they may be freed
    if not device:
        return native, pd.RangeIndex(bars), columns, None
    # Taken out of `native` so that the columns alone keep the block: it goes back to the
    # pool with the last of them.
    arrays, pointers, block = native.pop("columns"), native.pop("pointers"), native.pop("owner")
    if allocate is None:
        return native, pd.RangeIndex(bars), columns, arrays
    out = {}
    for name in arrays:
        discrete = name.endswith("_hundredths") or name in DISCRETE_OUTPUTS
        dtype = np.dtype(np.int8 if discrete else np.float64)
        out[name] = _cupy_column(block, pointers[name], (bars, n), dtype)
    return native, pd.RangeIndex(bars), columns, out
