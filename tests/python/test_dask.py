"""atc.dask on a LocalCluster of 2 workers: identical to a local run."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc

distributed = pytest.importorskip("distributed")
atc_dask = pytest.importorskip("atc.dask")


@pytest.fixture(scope="module")
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    frame = random_walks(600, 23, seed=8)
    frame.iloc[250, 4] = np.nan  # one symbol fails, as data
    return frame


def test_scan_distributed_equals_local_run(client, frame: pd.DataFrame) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        remote = atc_dask.scan_distributed(frame, client, partition_size=5, ema_len=20, robustness="Wide",
                                           calibration="LSMA")
        local = atc.compute_atc_batch(frame, ema_len=20, robustness="Wide", calibration="LSMA")
    assert len(caught) == 2  # one summary each, none from the workers
    assert all("1 of 23 symbols" in str(w.message) for w in caught)
    assert list(remote) == list(local)
    for key in local:
        pd.testing.assert_frame_equal(remote[key], local[key])
    pd.testing.assert_frame_equal(remote.status, local.status)
    assert remote.backend == local.backend
    assert list(remote.errors["symbol"]) == ["S004"]


def test_sweep_distributed_is_tidy_and_matches_local_scans(client, frame: pd.DataFrame) -> None:
    grid = {"ema_len": [14, 28], "lambda_param": [0.02, 0.5], "robustness": ["Narrow", "Wide"]}
    out = atc_dask.sweep_distributed(frame, grid, client, configs_per_task=3)
    assert len(out) == 8 * frame.shape[1]
    assert list(out.columns[:5]) == ["config", "ema_len", "lambda_param", "robustness", "symbol"]
    for (ema_len, lam, rob), block in out.groupby(["ema_len", "lambda_param", "robustness"], sort=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", atc.ATCWarning)
            local = atc.compute_atc_batch(frame, outputs="scan", ema_len=ema_len, lambda_param=lam, robustness=rob)
        block = block.set_index("symbol")
        pd.testing.assert_series_equal(block["Average_Signal"], local.average_signal.iloc[-1], check_names=False)
        assert (block["state"].to_numpy() == local.state.iloc[-1].to_numpy()).all()
        assert (block["code"] == local.status["code"]).all()
    assert out["state"].dtype == np.int8


def test_sweep_rejects_bad_grids_before_submitting(client, frame: pd.DataFrame) -> None:
    with pytest.raises(atc.ConfigError):
        atc_dask.sweep_distributed(frame, {"ema_len": [28, 3]}, client)
    with pytest.raises(TypeError, match="unknown ATC parameter"):
        atc_dask.sweep_distributed(frame, {"speed": [1]}, client)
    with pytest.raises(ValueError, match="grid is empty"):
        atc_dask.sweep_distributed(frame, {}, client)
    with pytest.raises(ValueError, match="partition_size"):
        atc_dask.scan_distributed(frame, client, partition_size=0)
    with pytest.raises(ValueError, match="configs_per_task"):
        atc_dask.sweep_distributed(frame, {"ema_len": [28]}, client, configs_per_task=0)
