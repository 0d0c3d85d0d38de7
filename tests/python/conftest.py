"""Shared fixtures of the Python tests; GPU tests (marker ``gpu``) skip with a visible reason."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import atc
from atc._gpu import cupy_unavailable_reason


def _cuda_backend_reason() -> str | None:
    if atc.cuda_available():
        return None
    return "atc.cuda_available() is False (no CUDA build of atc or no usable GPU)"


CUPY_SKIP = cupy_unavailable_reason()
CUDA_SKIP = _cuda_backend_reason()
GPU_SKIP = CUDA_SKIP if CUPY_SKIP is not None and CUDA_SKIP is not None else None


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"atc {atc.__version__}, resolve_backend('auto') = {atc.resolve_backend('auto')}",
        f"GPU tests (-m gpu): CUDA backend {'available' if CUDA_SKIP is None else 'SKIPPED: ' + CUDA_SKIP}; "
        f"CuPy {'available' if CUPY_SKIP is None else 'SKIPPED: ' + CUPY_SKIP}",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if GPU_SKIP is None:
        return
    skip = pytest.mark.skip(reason=f"no GPU: {GPU_SKIP}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def cupy():
    """The cupy module, or a skip naming why it cannot be used."""
    if CUPY_SKIP is not None:
        pytest.skip(CUPY_SKIP)
    import cupy

    return cupy


@pytest.fixture
def cuda_backend() -> str:
    """"cuda", or a skip naming why the CUDA backend cannot run here."""
    if CUDA_SKIP is not None:
        pytest.skip(CUDA_SKIP)
    return "cuda"


@pytest.fixture(scope="session")
def market_dir() -> Path:
    """The market data (GOOG.csv, EURUSD.csv, BTCUSD.csv): $ATC_TEST_DATA_DIR, as the
    C++ tests use it, else the test folder of the backtesting package."""
    if os.environ.get("ATC_TEST_DATA_DIR"):
        return Path(os.environ["ATC_TEST_DATA_DIR"])
    backtesting = pytest.importorskip("backtesting", reason="the backtesting package holds the market data")
    return Path(os.path.dirname(backtesting.__file__)) / "test"


@pytest.fixture(scope="session")
def market(market_dir: Path) -> dict[str, pd.DataFrame]:
    """OHLC frames of GOOG (daily), EURUSD (hourly) and BTCUSD (daily)."""
    return {name: pd.read_csv(market_dir / f"{name}.csv", index_col=0, parse_dates=True)
            for name in ("GOOG", "EURUSD", "BTCUSD")}


@pytest.fixture(scope="module")
def dask_client():
    """A distributed.Client on a LocalCluster of 2 in-process workers (skipped without dask)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c
