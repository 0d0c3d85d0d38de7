"""Whether CuPy can reach a GPU here, shared by the benchmark and the tests."""

from __future__ import annotations


def cupy_unavailable_reason() -> str | None:
    """None when CuPy is installed and sees a GPU, else the reason it cannot be used."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no GPU"
    except cupy.cuda.runtime.CUDARuntimeError as exc:
        return f"CuPy sees no GPU ({exc})"
    return None
