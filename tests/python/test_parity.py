"""cpu backend vs the scalar reference through the Python API: identical bits (§3a, §9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import assert_parity_with_calibration, assert_same_outputs, random_walks

import atc

CONFIGS = {
    "defaults": atc.ATCConfig(),
    "wide-cutout-strategy": atc.ATCConfig(robustness="Wide", cutout=30, strategy_mode=True,
                                          lambda_param=0.5, decay=0.5, ema_w=2.0, kama_w=0.5),
    "narrow-short": atc.ATCConfig(robustness="Narrow", ema_len=10, hma_len=12, wma_len=9,
                                  dema_len=14, lsma_len=20, kama_len=5),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_random_walks_cpu_matches_reference(name: str) -> None:
    frame = random_walks(1500, 40, seed=11)
    cpu = atc.compute_atc_batch(frame, config=CONFIGS[name], backend="cpu")
    ref = atc.compute_atc_batch(frame, config=CONFIGS[name], backend="reference")
    assert (cpu.backend, ref.backend) == ("cpu", "reference")
    assert cpu.errors.empty
    assert_same_outputs(cpu, ref)


@pytest.mark.parametrize("family", atc.FAMILIES)
def test_calibration_outputs_cpu_matches_reference(family: str) -> None:
    frame = random_walks(800, 12, seed=5)
    cpu = atc.compute_atc_batch(frame, backend="cpu", calibration=family)
    ref = atc.compute_atc_batch(frame, backend="reference", calibration=family)
    assert len(cpu) == len(atc.STANDARD_OUTPUTS) + 27
    assert_same_outputs(cpu, ref)


@pytest.mark.parametrize("symbol", ["GOOG", "EURUSD", "BTCUSD"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_market_data_cpu_matches_reference(
    market: dict[str, pd.DataFrame], symbol: str, name: str, record_property
) -> None:
    """Real tick prices can sit exactly on an MA: both backends decide those ties exactly."""
    record_property("exact_ties", assert_parity_with_calibration(market[symbol]["Close"], CONFIGS[name]))


def test_flat_and_cent_grid_prices_cpu_matches_reference() -> None:
    """Decimal prices with plateaus put close exactly on its SMA/WMA/LSMA often."""
    rng = np.random.default_rng(3)
    cents = np.maximum(1, 4500 + np.cumsum(np.where(rng.random(3000) < 0.4, 0, rng.integers(-9, 10, 3000))))
    close = pd.Series(cents / 100.0, index=pd.date_range("2020-01-01", periods=3000, freq="h"))
    close.iloc[1000:1200] = 22.1  # flat: never crosses its own window averages
    assert assert_parity_with_calibration(close, atc.ATCConfig()) > 1000


def test_market_table_with_src_cpu_matches_reference(market: dict[str, pd.DataFrame]) -> None:
    goog = market["GOOG"]
    table = goog[["Open", "High", "Low", "Close"]]
    hl2 = pd.DataFrame(np.repeat(((goog["High"] + goog["Low"]) / 2).to_numpy()[:, None], 4, axis=1),
                       index=goog.index, columns=table.columns)
    cpu = atc.compute_atc_batch(table, src=hl2, backend="cpu")
    ref = atc.compute_atc_batch(table, src=hl2, backend="reference")
    assert_same_outputs(cpu, ref)
