"""Our calibration MAs against TA-Lib on real market data (GOOG daily, EURUSD hourly).

TA-Lib functions and families compared: EMA <-> talib.EMA, the "HMA" family (an SMA in
the indicator) <-> talib.SMA, WMA <-> talib.WMA, DEMA <-> talib.DEMA, LSMA <->
talib.LINEARREG. All nine lengths of each family, Wide robustness (lengths 21..35).

Warm-up and seeds. TA-Lib's EMA is seeded with the SMA of the first L values at bar
L-1, like the spec (ATC_SPEC §3), so EMA agrees from its first value. TA-Lib's DEMA runs
its second EMA over the first EMA's *valid* values, seeded with their first-L mean, so
its lookback is 2(L-1): with TA-Lib 0.8.2 that is exactly the spec's DEMA (first value at
bar 2L-2), and the test checks the warm-ups coincide rather than skipping any extra
bars. (Versions or settings that seed the inner EMA differently, e.g. TA-Lib's Metastock
compatibility mode, would move that first value; the comparable range would then start
where both have converged, which this test would report as a warm-up mismatch rather
than hide behind a looser tolerance.) SMA, WMA and LINEARREG have no seed: first value
at bar L-1 on both sides.

KAMA is not compared: the indicator's KAMA (fixed fast/slow constants 0.666/0.064 and a
start at 0) is not TA-Lib's textbook KAMA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import atc

talib = pytest.importorskip("talib")

PAIRS = {
    "EMA": talib.EMA,
    "HMA": talib.SMA,
    "WMA": talib.WMA,
    "DEMA": talib.DEMA,
    "LSMA": talib.LINEARREG,
}
CONFIG = atc.ATCConfig(robustness="Wide")


@pytest.mark.parametrize("symbol", ["GOOG", "EURUSD"])
@pytest.mark.parametrize("family", list(PAIRS))
def test_calibration_mas_match_talib(market: dict[str, pd.DataFrame], symbol: str, family: str) -> None:
    close = market[symbol]["Close"]
    ours = atc.compute_atc_signals(close, config=CONFIG, calibration=family, backend="cpu")
    values = close.to_numpy(dtype=np.float64)
    for length in CONFIG.lengths(family):
        ma = ours[f"{family}_MA_{length}"].to_numpy()
        expected = PAIRS[family](values, timeperiod=length)
        first = 2 * length - 2 if family == "DEMA" else length - 1
        # Same warm-up: NaN up to the first value, a value on every bar from there.
        assert np.isnan(ma[:first]).all() and np.isnan(expected[:first]).all(), length
        assert not np.isnan(ma[first:]).any() and not np.isnan(expected[first:]).any(), length
        np.testing.assert_allclose(ma[first:], expected[first:], rtol=1e-9, atol=0,
                                   err_msg=f"{symbol} {family}({length})")
