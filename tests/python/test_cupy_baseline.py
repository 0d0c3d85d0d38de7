"""The array-operation baseline (python/atc/bench/cupy_baseline.py) against oracles.

Runs on the CPU with ``xp=numpy``. Oracles:

* ``_oracle``: a literal per-symbol implementation of ATC_SPEC.md written here, scalar
  loops for every recurrence and the O(L) window definitions for the moving averages;
* the C++ reference backend through the ``atc`` package, when the package is built.

The baseline is what a user would write in array operations: float64 window sums, not
the exact window arithmetic of the engine (docs/SEMANTICS.md §3a). So it is held to
1e-9 relative (1e-12 absolute near zero) on continuous outputs, NaN in the same places,
and identical discrete outputs where no close sits exactly on a window MA; where one
does, its float sums decide the crossover by rounding, and only there may it differ.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

_MODULE = Path(__file__).resolve().parents[2] / "python" / "atc" / "bench" / "cupy_baseline.py"


def _load_baseline():
    """The module of this working tree, whether or not the atc package is built."""
    spec = importlib.util.spec_from_file_location("atc_cupy_baseline_under_test", _MODULE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cb = _load_baseline()
Config = cb.ATCConfig

RTOL, ATOL = 1e-9, 1e-12
OFFSETS = {"Narrow": (1, 2, 3, 4), "Medium": (1, 2, 4, 6), "Wide": (1, 3, 5, 7)}
FAMILIES = ("EMA", "HMA", "WMA", "DEMA", "LSMA", "KAMA")


# --------------------------------------------------------------------------- literal oracle


def _lengths(cfg, family):
    base = getattr(cfg, f"{family.lower()}_len")
    o = OFFSETS[cfg.robustness]
    return [base] + [base + d for d in o] + [base - d for d in o]


def _mean_first(values, n):
    total = 0.0
    for v in values[:n]:
        total += v
    return total / n


def _ema(x, n):
    out = [math.nan] * len(x)
    if len(x) < n:
        return out
    alpha = 2.0 / (n + 1.0)
    out[n - 1] = _mean_first(x, n)
    for t in range(n, len(x)):
        out[t] = alpha * x[t] + (1.0 - alpha) * out[t - 1]
    return out


def _windows(x, n):
    """Rows t = n-1..end: the window x[t-n+1..t], oldest first."""
    return sliding_window_view(np.asarray(x), n)


def _nan_head(values, n):
    return [math.nan] * (n - 1) + list(values)


def _ma(family, x, n):
    if family == "EMA":
        return _ema(x, n)
    if family == "HMA":  # the indicator's "HMA" is an SMA
        return _nan_head(_windows(x, n).sum(axis=1) / n, n)
    if family == "WMA":
        w = np.arange(1.0, n + 1.0)
        return _nan_head(_windows(x, n) @ w / w.sum(), n)
    if family == "DEMA":
        e1 = _ema(x, n)
        e2 = _ema(e1[n - 1:], n)
        return [math.nan] * (n - 1) + [2.0 * a - b for a, b in zip(e1[n - 1:], e2)]
    if family == "LSMA":  # least-squares line through the window, at its newest point
        if n == 1:
            return list(x)
        win = _windows(x, n)
        sum_y, sum_xy = win.sum(axis=1), win @ np.arange(float(n))
        sum_x, sum_x2 = n * (n - 1.0) / 2.0, (n - 1.0) * n * (2.0 * n - 1.0) / 6.0
        slope = (n * sum_xy - sum_x * sum_y) / (n * sum_x2 - sum_x * sum_x)
        return _nan_head((sum_y - slope * sum_x) / n + slope * (n - 1.0), n)
    # KAMA with fast 0.666, slow 0.064, starting at 0
    steps = np.abs(np.diff(np.asarray(x)))
    noise = [0.0] * n + list(_windows(steps, n).sum(axis=1)) if len(x) > n else [0.0] * len(x)
    out, k = [], 0.0
    for t in range(len(x)):
        er = 0.0
        if t >= n and noise[t] != 0.0:
            er = abs(x[t] - x[t - n]) / noise[t]
        sc = (er * (0.666 - 0.064) + 0.064) ** 2
        k = k + sc * (x[t] - k)
        out.append(k)
    return out


def _signal(close, ma):
    s, out = 0, [0]
    for t in range(1, len(close)):
        if close[t] > ma[t] and close[t - 1] <= ma[t - 1]:
            s = 1
        elif close[t] < ma[t] and close[t - 1] >= ma[t - 1]:
            s = -1
        out.append(s)
    return out


def _equity(start, sig, close, la, de, cutout):
    out, a, e = [], 0.0, math.nan
    for t in range(len(close)):
        if t < cutout:
            out.append(math.nan)
            continue
        if t > 0:
            r = (close[t] - close[t - 1]) / close[t - 1] * math.exp(la * (t - cutout))
            if sig[t - 1] > 0:
                a = r
            elif sig[t - 1] < 0:
                a = -r
        e = start if t == cutout else e * (1.0 - de) * (1.0 + a)
        e = max(e, 0.25)
        out.append(e)
    return out


def _oracle_series(close, cfg):
    la, de, cutout = cfg.lambda_param / 1000.0, cfg.decay / 100.0, cfg.cutout
    n = len(close)
    out = {}
    for family in FAMILIES:
        sigs, eqs = [], []
        for length in _lengths(cfg, family):
            sigs.append(_signal(close, _ma(family, close, length)))
            eqs.append(_equity(1.0, sigs[-1], close, la, de, cutout))
        fam = []
        for t in range(n):
            if t < cutout:
                fam.append(math.nan)
                continue
            num = den = 0.0
            for s, e in zip(sigs, eqs):
                num += s[t] * e[t]
                den += e[t]
            fam.append(math.floor(100.0 * (num / den) + 0.5) / 100.0)
        out[f"{family}_Signal"] = fam
        out[f"{family}_S"] = _equity(getattr(cfg, f"{family.lower()}_w"), fam, close, la, de, cutout)
    avg = []
    for t in range(n):
        num = den = 0.0
        for family in FAMILIES:
            x, e = out[f"{family}_Signal"][t], out[f"{family}_S"][t]
            num += (1.0 if x > 0.49 else (-1.0 if x < -0.49 else 0.0)) * e
            den += e
        avg.append(num / den if t >= cutout else math.nan)
    out["Average_Signal"] = avg
    a = [math.nan] + avg[:-1] if cfg.strategy_mode else avg
    keys = ("trend", "state", "direction", "long_entry", "short_entry")
    cls = {k: [0] * n for k in keys}
    direction = 0
    for t in range(n):
        if math.isnan(a[t]):
            continue
        prev = a[t - 1] if t > 0 else math.nan
        cls["trend"][t] = (a[t] > 0) - (a[t] < 0)
        cls["state"][t] = (a[t] > cfg.long_threshold) - (a[t] < cfg.short_threshold)
        up = a[t] > cfg.long_threshold and prev <= cfg.long_threshold
        down = a[t] < cfg.short_threshold and prev >= cfg.short_threshold
        cls["long_entry"][t] = int(up and direction == -1)
        cls["short_entry"][t] = int(down and direction == 1)
        direction = 1 if up else (-1 if down else direction)
        cls["direction"][t] = direction
    out.update(cls)
    return out


def _oracle(table, cfg):
    """Column by column; a late listing's series starts at its first finite bar."""
    n_bars, n_sym = table.shape
    result = {k: np.full((n_bars, n_sym), np.nan) for k in cb.STANDARD_OUTPUTS}
    for k in cb.DISCRETE_OUTPUTS:
        result[k] = np.zeros((n_bars, n_sym), dtype=np.int8)
    for s in range(n_sym):
        start = int(np.argmax(np.isfinite(table[:, s])))
        for key, values in _oracle_series(table[start:, s].tolist(), cfg).items():
            result[key][start:, s] = values
    return result


# --------------------------------------------------------------------------- helpers


def _random_walks(n_bars, n_sym, seed, late=()):
    """Geometric random walks; ``late`` = leading NaN bars of the first columns."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0003, 0.015, size=(n_bars, n_sym))
    table = 50.0 * rng.uniform(0.5, 2.0, n_sym) * np.exp(np.cumsum(steps, axis=0))
    for s, lead in enumerate(late):
        table[:lead, s] = np.nan
    return table


def _compare(got, want, keys=cb.STANDARD_OUTPUTS):
    """Assert the accuracy contract; return the worst relative error of continuous outputs."""
    worst = 0.0
    for key in keys:
        g, w = np.asarray(got[key]), np.asarray(want[key])
        assert g.shape == w.shape, key
        if key in cb.DISCRETE_OUTPUTS:
            assert g.dtype == np.int8, key
            bad = np.argwhere(g != w)
            assert bad.size == 0, f"{key}: {len(bad)} bars differ, first (bar, symbol) {bad[:5].tolist()}"
            continue
        assert np.array_equal(np.isnan(g), np.isnan(w)), f"{key}: NaN in different places"
        ok = ~np.isnan(w)
        err = np.abs(g[ok] - w[ok])
        assert np.all(err <= RTOL * np.abs(w[ok]) + ATOL), f"{key}: max abs error {err.max()}"
        if ok.any():
            worst = max(worst, float(np.max(err / np.maximum(np.abs(w[ok]), 1e-3))))
    return worst


# --------------------------------------------------------------------------- tests


def test_default_config_with_late_listings_matches_oracle():
    table = _random_walks(2500, 20, seed=1, late=(0, 1, 300, 1234))
    got = cb.run_baseline(table, Config(), xp=np)
    assert set(got) == set(cb.STANDARD_OUTPUTS)
    want = _oracle(table, Config())
    _compare(got, want)
    # a late listing is NaN / 0 before its first bar and then a series of its own
    assert np.isnan(got["Average_Signal"][:1234, 3]).all()
    assert (got["direction"][:1234, 3] == 0).all()
    alone = cb.run_baseline(table[1234:, 3:4], Config(), xp=np)
    np.testing.assert_array_equal(got["Average_Signal"][1234:, 3:4], alone["Average_Signal"])
    # the classification is not trivially constant
    assert set(np.unique(got["direction"])) == {-1, 0, 1}
    assert got["long_entry"].sum() > 0 and got["short_entry"].sum() > 0


@pytest.mark.parametrize(
    "cfg",
    [
        Config(robustness="Narrow", cutout=37, strategy_mode=True),
        # base 5 with Narrow gives lengths 1..9: L = 1 must give the price itself
        Config(robustness="Narrow", hma_len=5, wma_len=5, lsma_len=5, ema_len=5, dema_len=5,
               kama_len=5, lambda_param=0.5, decay=0.5),
        Config(robustness="Wide", ema_len=12, hma_len=40, wma_len=20, dema_len=9, lsma_len=31,
               kama_len=15, ema_w=2.0, hma_w=0.5, wma_w=1.5, dema_w=0.2, lsma_w=3.0, kama_w=1.0,
               lambda_param=0.3, decay=0.1, cutout=5, long_threshold=0.3, short_threshold=-0.05),
        Config(robustness="Medium", cutout=120, long_threshold=0.0, short_threshold=0.0,
               strategy_mode=True),
    ],
    ids=["narrow-cutout-strategy", "shortest-lengths", "wide-custom", "medium-zero-thresholds"],
)
def test_configurations_match_oracle(cfg):
    table = _random_walks(900, 6, seed=7, late=(0, 250))
    got = cb.run_baseline(table, cfg, xp=np)
    _compare(got, _oracle(table, cfg))
    if cfg.cutout:
        assert np.isnan(got["EMA_Signal"][: cfg.cutout]).all()
        assert not np.isnan(got["EMA_Signal"][cfg.cutout, 0])
        assert got["EMA_S"][cfg.cutout, 0] == max(cfg.ema_w, 0.25)


def test_scan_outputs_and_symbol_chunks_give_the_same_values():
    table = _random_walks(400, 7, seed=3, late=(0, 0, 90))
    full = cb.run_baseline(table, Config(), xp=np)
    plain = SimpleNamespace(**dataclasses.asdict(Config()))  # any object with the attributes
    scan = cb.run_baseline(table, plain, xp=np, outputs="scan", symbols_per_chunk=3)
    assert set(scan) == set(cb.SCAN_OUTPUTS)
    for key in cb.SCAN_OUTPUTS:
        np.testing.assert_array_equal(scan[key], full[key])


def test_windowed_averages_stay_accurate_over_100k_bars():
    """The blocked cumulative sums against O(L) window sums on a long, trending series."""
    rng = np.random.default_rng(11)
    steps = rng.normal(0.00005, 0.02, size=(100_000, 2))
    x = 10.0 * np.exp(np.cumsum(steps, axis=0))  # spans several orders of magnitude
    cfg = Config()
    params = cb._Params.from_config(cfg)
    ma = cb._moving_averages(x, params, np)
    worst = 0.0
    for f, family in enumerate(FAMILIES):
        if family not in ("HMA", "WMA", "LSMA"):
            continue
        for i, length in enumerate(_lengths(cfg, family)):
            for s in range(x.shape[1]):
                want = np.asarray(_ma(family, x[:, s].tolist(), length))
                got = ma[:, 9 * f + i, s]
                assert np.array_equal(np.isnan(got), np.isnan(want))
                ok = ~np.isnan(want)
                worst = max(worst, float(np.max(np.abs(got[ok] - want[ok]) / np.abs(want[ok]))))
    assert worst < 1e-13, worst  # 1.4e-14 measured


def test_kama_and_emas_over_long_series():
    """EMA, DEMA and KAMA (recurrences and the KAMA noise sums) over 30,000 bars."""
    x = _random_walks(30_000, 1, seed=5)
    cfg = Config(robustness="Wide")
    ma = cb._moving_averages(x, cb._Params.from_config(cfg), np)
    for f, family in enumerate(FAMILIES):
        if family not in ("EMA", "DEMA", "KAMA"):
            continue
        for i, length in enumerate(_lengths(cfg, family)):
            want = np.asarray(_ma(family, x[:, 0].tolist(), length))
            got = ma[:, 9 * f + i, 0]
            assert np.array_equal(np.isnan(got), np.isnan(want)), (family, length)
            ok = ~np.isnan(want)
            np.testing.assert_allclose(got[ok], want[ok], rtol=1e-12, atol=0, err_msg=family)


def _exact_ties(ticks: np.ndarray, family: str, length: int) -> np.ndarray:
    """Bars where close equals the window MA exactly: c·D == N on integer ticks (§3a)."""
    n = ticks.size
    tie = np.zeros(n, dtype=bool)
    j = np.arange(length, dtype=np.int64)
    for t in range(length - 1, n):
        w = ticks[t + 1 - length : t + 1]
        if family == "HMA":
            num, den = w.sum(), length
        elif family == "WMA":
            num, den = ((j + 1) * w).sum(), length * (length + 1) // 2
        else:  # LSMA at x = L - 1
            num, den = 6 * (j * w).sum() - 2 * (length - 2) * w.sum(), length * (length + 1)
        tie[t] = ticks[t] * den == num
    return tie


def test_float_crossings_on_tick_prices_differ_only_at_exact_ties():
    """Prices on a 0.01 grid stay flat for many bars, so a close often equals an SMA, WMA
    or LSMA exactly; float sums then decide the crossover by rounding. Every crossing
    event of the float baseline that differs from the float oracle's sits at such an
    exact tie (decided on integer cents) at that bar or the bar before."""
    rng = np.random.default_rng(5)
    cents = 500 + np.cumsum(rng.choice([-1, 0, 0, 0, 1], size=(3000, 4)), axis=0)
    table = cents / 100.0
    cfg = Config(robustness="Narrow", hma_len=5, wma_len=5, lsma_len=5)
    ma = cb._moving_averages(table, cb._Params.from_config(cfg), np)
    events = cb._crossings(table[:, None, :], ma, np)
    mismatches = 0
    for f, family in enumerate(FAMILIES):
        for i, length in enumerate(_lengths(cfg, family)):
            for s in range(table.shape[1]):
                close = table[:, s]
                want = cb._crossings(close, np.asarray(_ma(family, close.tolist(), length)), np)
                differ = np.flatnonzero(events[:, 9 * f + i, s] != want)
                if family in ("EMA", "DEMA", "KAMA"):
                    assert differ.size == 0, (family, length, s, differ[:5])
                    continue
                tie = _exact_ties(cents[:, s].astype(np.int64), family, length)
                assert np.all(tie[differ] | tie[differ - 1]), (family, length, s, differ[:5])
                mismatches += differ.size
    assert mismatches > 0  # the data does produce ties


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: t.__setitem__((50, 1), np.nan), "symbol 1, bar 50"),
        (lambda t: t.__setitem__((60, 2), -1.0), "symbol 2, bar 60"),
        (lambda t: t.__setitem__((slice(None), 0), np.nan), "symbol 0: no bar"),
        (lambda t: t.__setitem__((slice(0, 250), 3), np.nan), "symbol 3: 50 bars"),
    ],
    ids=["interior-nan", "non-positive", "empty", "too-short"],
)
def test_bad_series_are_reported(mutate, message):
    table = _random_walks(300, 4, seed=2)
    mutate(table)
    with pytest.raises(ValueError, match=message):
        cb.run_baseline(table, Config(), xp=np)


@pytest.mark.parametrize(
    "changes",
    [dict(robustness="Huge"), dict(ema_len=6), dict(decay=100.0), dict(cutout=-1),
     dict(long_threshold=-0.2), dict(lambda_param=math.inf)],
)
def test_invalid_configuration_is_rejected(changes):
    bad = SimpleNamespace(**{**dataclasses.asdict(Config()), **changes})  # not validated
    with pytest.raises(ValueError):
        cb.run_baseline(_random_walks(200, 1, seed=0), bad, xp=np)


def test_growth_overflow_is_reported():
    with pytest.raises(ValueError, match="overflow"):
        cb.run_baseline(_random_walks(2000, 1, seed=0), Config(lambda_param=500.0), xp=np)


def test_matches_the_reference_backend():
    atc = pytest.importorskip("atc", reason="the atc package (native module) is not built")
    pd = pytest.importorskip("pandas")
    table = _random_walks(3000, 20, seed=21, late=(0, 700, 1500))
    for cfg in (atc.ATCConfig(), atc.ATCConfig(robustness="Wide", cutout=50, strategy_mode=True)):
        result = atc.compute_atc_batch(pd.DataFrame(table), config=cfg, backend="reference")
        want = {key: result[key].to_numpy() for key in cb.STANDARD_OUTPUTS}
        _compare(cb.run_baseline(table, cfg, xp=np), want)
