"""The whole ATC pipeline written with array operations only: the CuPy baseline.

This is the reference point the engine is measured against: what a careful CuPy port of
the indicator looks like. No custom kernels, no JIT: every step is an array operation of
the array module ``xp`` (``cupy`` on a GPU, ``numpy`` on the CPU, so the same code is
tested without a GPU). It computes the outputs of the scalar reference backend
(ATC_SPEC.md) for a time-aligned table ``close[bar, symbol]``.

How the work is laid out:

* Everything is vectorised across symbols and the 54 moving averages of a symbol; the
  arrays are shaped ``(bars, chains, symbols)``.
* Windowed averages (SMA, WMA, LSMA and the KAMA noise) come from cumulative sums that
  restart every block of a few hundred bars (:class:`_SlidingSums`), each block taken
  relative to its own anchor price, so their rounding error does not grow with the
  length of the series.
* Sequential recurrences (EMA, DEMA, KAMA, the persistent crossover signals, the equity
  curves with their persistent adjusted return, the direction state) are a Python loop
  over bars with a handful of array operations per bar across all symbols x chains.
* Late listings (leading NaNs) are shifted up so that every series starts at row 0 (a
  gather), computed, and shifted back.

The order of operations follows the reference where it is cheap (Layer-1 sums over the
nine lengths in the order L, L+o1..L+o4, L-o1..L-o4; Layer-2 sums in family order; the
EMA seeds as sequential sums; the growth factor from the C library's ``exp``); the
windowed averages differ from the reference's O(L) sums by rounding only: within
1.4e-14 relative over 100,000 bars of a random walk spanning five orders of magnitude.
On random walks every output has come out bit-identical to the reference backend (the
per-MA rounding differences vanish in Layer 1's round2); on prices that sit exactly on
an MA (flat tick-grid prices) rounding decides the crossover and may differ (ATC_SPEC §9).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from atc import ATCConfig


FAMILIES = ("EMA", "HMA", "WMA", "DEMA", "LSMA", "KAMA")
"""Layer-2 order of the six families ("HMA" is an SMA, as in the indicator)."""

DISCRETE_OUTPUTS = ("trend", "state", "direction", "long_entry", "short_entry")
STANDARD_OUTPUTS = (
    ("Average_Signal",)
    + tuple(f"{f}_Signal" for f in FAMILIES)
    + tuple(f"{f}_S" for f in FAMILIES)
    + DISCRETE_OUTPUTS
)
SCAN_OUTPUTS = ("Average_Signal",) + DISCRETE_OUTPUTS

_OFFSETS = {"narrow": (1, 2, 3, 4), "medium": (1, 2, 4, 6), "wide": (1, 3, 5, 7)}
_KAMA_FAST = 0.666
_KAMA_SLOW = 0.064
_EQUITY_FLOOR = 0.25
_CUT_LEVEL = 0.49
_MAX_GROWTH_EXPONENT = 700.0
_LENGTHS_PER_FAMILY = 9


@dataclasses.dataclass(frozen=True)
class _Params:
    """The engine's view of a configuration: nine lengths per family, La, De, ..."""

    lengths: dict[str, tuple[int, ...]]
    weights: tuple[float, ...]
    la: float
    de: float
    cutout: int
    long_threshold: float
    short_threshold: float
    strategy: bool

    @classmethod
    def from_config(cls, config: Any) -> _Params:
        """Read and validate an ATCConfig-like object (ATC_SPEC §1); ValueError if invalid."""
        robustness = str(getattr(config.robustness, "name", config.robustness))
        offsets = _OFFSETS.get(robustness.lower())
        if offsets is None:
            raise ValueError(f"robustness: unknown value {robustness!r} (expected Narrow, Medium or Wide)")
        lengths = {}
        for family in FAMILIES:
            base = int(getattr(config, f"{family.lower()}_len"))
            lengths[family] = (base,) + tuple(base + o for o in offsets) + tuple(base - o for o in offsets)
            if base - offsets[3] < 1:
                raise ValueError(f"{family.lower()}_len = {base} is too short for robustness {robustness}")
        weights = tuple(float(getattr(config, f"{f.lower()}_w")) for f in FAMILIES)
        lam, decay = float(config.lambda_param), float(config.decay)
        long_th, short_th = float(config.long_threshold), float(config.short_threshold)
        cutout = int(config.cutout)
        if not all(math.isfinite(v) for v in weights + (lam, decay, long_th, short_th)):
            raise ValueError("weights, lambda, decay and thresholds must be finite")
        if not 0.0 <= decay < 100.0:
            raise ValueError(f"decay must lie in [0, 100) percent, got {decay}")
        if cutout < 0:
            raise ValueError(f"cutout must be >= 0, got {cutout}")
        if long_th < short_th:
            raise ValueError(f"long_threshold ({long_th}) must be >= short_threshold ({short_th})")
        return cls(lengths, weights, lam / 1000.0, decay / 100.0, cutout, long_th, short_th,
                   bool(config.strategy_mode))

    @property
    def min_bars(self) -> int:
        """Bars before the slowest MA has its first value (2L-1 for DEMA, none for KAMA)."""
        need = {"DEMA": lambda n: 2 * n - 1, "KAMA": lambda n: 1}
        return max(need.get(f, lambda n: n)(n) for f in FAMILIES for n in self.lengths[f])


def default_xp():
    """``cupy`` when it is installed, otherwise ``numpy``."""
    try:
        import cupy
    except ImportError:
        return np
    return cupy


def run_baseline(close, config: Any = None, xp=None, outputs: str = "standard",
                 symbols_per_chunk: int | None = None) -> dict:
    """Compute ATC for every column of ``close`` with array operations of ``xp``.

    Args:
        close: 2-D array, bars x symbols (converted to float64 on ``xp``'s device).
            Leading NaNs mean the symbol was listed late: its series starts at its first
            finite bar, and its bar index, growth factor and cutout count from there.
        config: an :class:`ATCConfig` (or any object with its attributes); defaults if None.
        xp: the array module, ``cupy`` or ``numpy``; :func:`default_xp` if None.
        outputs: ``"standard"`` (Average_Signal, the six X_Signal and X_S, and the
            classification) or ``"scan"`` (Average_Signal and the classification).
        symbols_per_chunk: compute at most this many symbols at a time (bounds memory:
            about 30 bytes per bar x symbol x chain, 54 chains, are alive at the peak).

    Returns:
        A dict of 2-D arrays (bars x symbols) on ``xp``'s device: float64 for the continuous
        outputs (NaN before a series' first bar and its cutout), int8 for the discrete
        ones (0 there).

    Raises:
        ValueError: an invalid configuration, or a symbol whose series cannot be computed
            (no finite bar, an interior NaN/inf or a close <= 0, too few bars, or a growth
            factor that would overflow); the message names the symbol's column and bar.
    """
    if outputs not in ("standard", "scan"):
        raise ValueError(f"outputs: unknown value {outputs!r} (expected 'standard' or 'scan')")
    xp = default_xp() if xp is None else xp
    params = _Params.from_config(ATCConfig() if config is None else config)
    close = xp.asarray(close, dtype=xp.float64)
    if close.ndim != 2 or close.shape[1] == 0:
        raise ValueError(f"close must be 2-D (bars x symbols, >= 1 symbol), got shape {close.shape}")
    starts = _series_starts(close, params, xp)
    names = STANDARD_OUTPUTS if outputs == "standard" else SCAN_OUTPUTS
    n_symbols = close.shape[1]
    step = max(1, int(symbols_per_chunk or n_symbols))
    parts = [_run_chunk(close[:, lo:lo + step], starts[lo:lo + step], params, names, xp)
             for lo in range(0, n_symbols, step)]
    return {name: xp.concatenate([p[name] for p in parts], axis=1) for name in names}


def _to_host(a) -> np.ndarray:
    return a.get() if hasattr(a, "get") else np.asarray(a)


def _series_starts(close, params: _Params, xp) -> np.ndarray:
    """First finite bar of every column (host int64); ValueError for a bad series (§10)."""
    n_bars = close.shape[0]
    finite = xp.isfinite(close)
    starts = _to_host(xp.argmax(finite, axis=0)).astype(np.int64)
    has_bar = _to_host(finite.any(axis=0))
    started = xp.arange(n_bars)[:, None] >= xp.asarray(starts)[None, :]
    bad = started & ~(finite & (close > 0.0))
    bad_any, first_bad = _to_host(bad.any(axis=0)), _to_host(xp.argmax(bad, axis=0))
    for s in range(close.shape[1]):
        if not has_bar[s]:
            raise ValueError(f"symbol {s}: no bar with a finite close")
        if bad_any[s]:
            bar = int(first_bad[s])
            raise ValueError(f"symbol {s}, bar {bar}: close is {_to_host(close[bar, s])} "
                             "after the series started (must be finite and > 0)")
        n = n_bars - int(starts[s])
        if n < params.min_bars:
            raise ValueError(f"symbol {s}: {n} bars, fewer than the {params.min_bars} needed")
        if params.la * (n - 1 - params.cutout) > _MAX_GROWTH_EXPONENT:
            raise ValueError(f"symbol {s}: the growth factor exp(La*(n-1-cutout)) would overflow")
    return starts


def _shift_rows(a, shift, fill, xp):
    """``out[t, s] = a[t + shift[s], s]``, ``fill`` where that row lies outside ``a``."""
    n_bars = a.shape[0]
    rows = xp.arange(n_bars)[:, None] + xp.asarray(shift)[None, :]
    inside = (rows >= 0) & (rows < n_bars)
    gathered = a[xp.clip(rows, 0, n_bars - 1), xp.arange(a.shape[1])[None, :]]
    return xp.where(inside, gathered, xp.asarray(fill, dtype=a.dtype))


def _run_chunk(close, starts, params: _Params, names, xp) -> dict:
    """The pipeline for one group of symbols: align, compute, shift back."""
    x = _shift_rows(close, starts, np.nan, xp)  # every series starts at row 0
    ma = _moving_averages(x, params, xp)  # (bars, 54, symbols)
    signals = _hold_last(_crossings(x[:, None, :], ma, xp), xp)
    del ma
    r = _adjusted_returns(x, params, xp)
    keep = 1.0 - params.de
    equity = _equity(signals, r, xp.ones((signals.shape[1], 1)), keep, params.cutout, xp)
    family_signal = _layer1(signals, equity, xp)  # (bars, 6, symbols)
    del signals, equity
    family_sign = ((family_signal > 0).astype(xp.int8) - (family_signal < 0).astype(xp.int8))
    weights = xp.asarray(params.weights)[:, None]
    family_equity = _equity(family_sign, r, weights, keep, params.cutout, xp)
    average = _average_signal(family_signal, family_equity, xp)
    result = {"Average_Signal": average}
    result.update(_classify(average, params, xp))
    for i, family in enumerate(FAMILIES):
        result[f"{family}_Signal"] = family_signal[:, i]
        result[f"{family}_S"] = family_equity[:, i]
    back = -xp.asarray(starts)
    return {name: _shift_rows(result[name], back, 0 if name in DISCRETE_OUTPUTS else np.nan, xp)
            for name in names}


# --------------------------------------------------------------------------- moving averages


def _moving_averages(x, params: _Params, xp):
    """All 54 MAs of ``x`` (bars x symbols): shape (bars, 54, symbols), families in order."""
    n_bars = x.shape[0]
    rows = xp.arange(n_bars)[:, None]
    windowed = params.lengths["HMA"] + params.lengths["WMA"] + params.lengths["LSMA"]
    sums = _SlidingSums(x, max(windowed), xp, anchored=True)
    index_sums = sums.index_sums(n for n in windowed if n > 1)

    def warm(values, length):  # NaN before the first full window
        return xp.where(rows >= length - 1, values, np.nan)

    sma, wma, lsma = [], [], []
    for n in params.lengths["HMA"]:
        sma.append(x if n == 1 else warm(sums.anchor + sums.sum(n) / n, n))
    for n in params.lengths["WMA"]:
        norm = n * (n + 1.0) / 2.0  # weights 1..n, oldest 1
        wma.append(x if n == 1 else warm(sums.anchor + (index_sums[n] + sums.sum(n)) / norm, n))
    for n in params.lengths["LSMA"]:
        lsma.append(_short_lsma(x, n, xp) if n <= 2
                    else warm(sums.anchor + _linreg_end(sums.sum(n), index_sums[n], n), n))
    del sums
    ema, dema, kama = _recurrent_mas(x, params, xp)
    stack = [ema, xp.stack(sma, axis=1), xp.stack(wma, axis=1), dema, xp.stack(lsma, axis=1), kama]
    return xp.concatenate(stack, axis=1)


def _short_lsma(x, n: int, xp):
    """LSMA for n <= 2 from the raw prices, as the reference computes it.

    LSMA(1) is the price; LSMA(2), the line through two points evaluated at the newer
    one, equals the price in exact arithmetic, so its crossovers with the close are
    decided by rounding alone: only the reference's own operations reproduce them.
    """
    if n == 1:
        return x
    out = xp.full_like(x, np.nan)
    out[1:] = _linreg_end(x[:-1] + x[1:], x[1:], 2)
    return out


def _linreg_end(sum_y, sum_xy, n: int):
    """LSMA(n) at x = n-1 from the window sums Σy and Σx·y (x = 0 oldest), n > 1."""
    sum_x = n * (n - 1.0) / 2.0
    sum_x2 = (n - 1.0) * n * (2.0 * n - 1.0) / 6.0
    slope = (n * sum_xy - sum_x * sum_y) / (n * sum_x2 - sum_x * sum_x)
    return (sum_y - slope * sum_x) / n + slope * (n - 1.0)


class _SlidingSums:
    """Window sums over the last ``n`` rows (any ``n <= max_len``) of a (bars, ...) array.

    One cumulative sum over a long series loses precision as its magnitude grows, and a
    window sum taken as the difference of two such values inherits that error. Here the
    cumulative sums restart at every block of ``block`` rows; each block also carries the
    ``max_len`` rows before it, so every window lies inside one block. With
    ``anchored=True`` the values are taken relative to the block's first output row (the
    ``anchor``, broadcast to every row), so the sums see price changes, not price levels.
    """

    def __init__(self, y, max_len: int, xp, anchored: bool):
        n_bars = y.shape[0]
        self._xp, self._pad, self._bars = xp, max_len, n_bars
        self._block = block = max(256, 2 * max_len)
        n_blocks = -(-n_bars // block)
        padded = xp.concatenate([
            xp.broadcast_to(y[:1], (max_len,) + y.shape[1:]),  # before bar 0: bar 0 repeated
            y,
            xp.broadcast_to(y[-1:], (n_blocks * block - n_bars,) + y.shape[1:]),
        ])
        index = xp.arange(n_blocks)[:, None] * block + xp.arange(block + max_len)[None, :]
        blocks = padded[index]  # (blocks, pad + block, ...)
        anchor = blocks[:, max_len:max_len + 1] if anchored else xp.zeros_like(blocks[:, :1])
        self._c = xp.cumsum(blocks - anchor, axis=1)
        self.anchor = self._rows(xp.broadcast_to(anchor, (n_blocks, block) + y.shape[1:]))

    def _rows(self, per_block):
        """(blocks, block, ...) -> (bars, ...)."""
        return per_block.reshape((-1,) + per_block.shape[2:])[:self._bars]

    def sum(self, n: int):
        """Σ (y − anchor) over rows t-n+1..t, for every row t (garbage for t < n-1)."""
        p, b = self._pad, self._block
        return self._rows(self._c[:, p:p + b] - self._c[:, p - n:p - n + b])

    def index_sums(self, lengths) -> dict:
        """{n: Σ i·(y − anchor) over rows t-n+1..t with i = 0 at row t-n+1}.

        The row i places from the oldest lies in exactly i of the windows of the last
        1..n-1 rows, so the weighted sum is Σ_{m<n} sum(m): no index-weighted cumulative
        sum, whose magnitude (and rounding error) would grow with the square of the block.
        """
        wanted, out = set(lengths), {}
        acc = self._xp.zeros_like(self.anchor)
        for m in range(1, max(wanted)):
            acc = acc + self.sum(m)
            if m + 1 in wanted:
                out[m + 1] = acc
        return out


def _kama_smoothing(x, lengths, xp):
    """KAMA's sc[t] for each length: (bars, 9, symbols) (ATC_SPEC §3)."""
    n_bars = x.shape[0]
    step = xp.zeros_like(x)  # |src[t] - src[t-1]|, 0 at t = 0
    step[1:] = xp.abs(x[1:] - x[:-1])
    noise_sums = _SlidingSums(step, max(lengths), xp, anchored=False)
    rows = xp.arange(n_bars)[:, None]
    out = []
    for n in lengths:
        noise = noise_sums.sum(n)
        signal = xp.zeros_like(x)
        signal[n:] = xp.abs(x[n:] - x[:-n])
        defined = (rows >= n) & (noise != 0.0)
        er = xp.where(defined, signal / xp.where(defined, noise, 1.0), 0.0)
        base = er * (_KAMA_FAST - _KAMA_SLOW) + _KAMA_SLOW
        out.append(base * base)
    return xp.stack(out, axis=1)


def _recurrent_mas(x, params: _Params, xp):
    """EMA, DEMA and KAMA (9 lengths each) in one loop over bars.

    Per bar: the 18 EMA chains (the EMA family and DEMA's e1), DEMA's e2 over its valid e1
    values and KAMA, each one fused multiply-add across chains x symbols. EMA chains are
    NaN until their seed (the mean of the first L values, as a sequential sum) is written
    at bar L-1; e2 is seeded at bar 2L-2 with the mean of e1[L-1..2L-2]. KAMA starts at 0.
    """
    n_bars, n_sym = x.shape
    ema_lens, dema_lens, kama_lens = (params.lengths[f] for f in ("EMA", "DEMA", "KAMA"))
    lens1 = ema_lens + dema_lens
    alpha1 = [2.0 / (n + 1.0) for n in lens1]
    a1 = xp.asarray(alpha1)[:, None]
    b1 = xp.asarray([1.0 - a for a in alpha1])[:, None]
    a2, b2 = a1[_LENGTHS_PER_FAMILY:], b1[_LENGTHS_PER_FAMILY:]
    prefix = xp.cumsum(x[:max(lens1)], axis=0)  # sequential sums for the EMA seeds
    seed1, seed2 = {}, {}
    for c, n in enumerate(lens1):
        seed1.setdefault(n - 1, []).append((c, n))
    for c, n in enumerate(dema_lens):
        seed2.setdefault(2 * n - 2, []).append((c, n))
    sc = _kama_smoothing(x, kama_lens, xp)

    ema1 = xp.full((n_bars, len(lens1), n_sym), np.nan)
    ema2 = xp.full((n_bars, len(dema_lens), n_sym), np.nan)
    kama = xp.empty((n_bars, len(kama_lens), n_sym))
    y1, y2, k = ema1[0].copy(), ema2[0].copy(), xp.zeros((len(kama_lens), n_sym))
    for t in range(n_bars):
        xt = x[t]
        y1 = xp.add(a1 * xt, b1 * y1, out=ema1[t])
        for c, n in seed1.get(t, ()):
            y1[c] = prefix[n - 1] / n
        y2 = xp.add(a2 * y1[_LENGTHS_PER_FAMILY:], b2 * y2, out=ema2[t])
        for c, n in seed2.get(t, ()):
            y2[c] = xp.cumsum(ema1[n - 1:2 * n - 1, _LENGTHS_PER_FAMILY + c], axis=0)[-1] / n
        k = xp.add(k, sc[t] * (xt - k), out=kama[t])
    dema = 2.0 * ema1[:, _LENGTHS_PER_FAMILY:] - ema2
    return ema1[:, :_LENGTHS_PER_FAMILY], dema, kama


# --------------------------------------------------------------------------- signals, equity


def _crossings(c, m, xp):
    """+1 where ``c`` crosses over ``m``, -1 where it crosses under, else 0 (int8).

    Crossover at t: c[t] > m[t] and c[t-1] <= m[t-1]; any NaN operand makes it false.
    ``c`` and ``m`` broadcast against each other, bars first.
    """
    up = (c[1:] > m[1:]) & (c[:-1] <= m[:-1])
    down = (c[1:] < m[1:]) & (c[:-1] >= m[:-1])
    out = xp.zeros((up.shape[0] + 1,) + up.shape[1:], dtype=xp.int8)
    out[1:] = up.astype(xp.int8) - down.astype(xp.int8)
    return out


def _hold_last(events, xp):
    """Persistent state: the last non-zero event up to each bar (0 before the first)."""
    out = xp.empty_like(events)
    state = xp.zeros_like(events[0])
    for t in range(events.shape[0]):
        state = xp.where(events[t] != 0, events[t], state)
        out[t] = state
    return out


def _adjusted_returns(x, params: _Params, xp):
    """r[t] = R[t]·g[t] with R the close-to-close return (NaN at t = 0) and
    g[t] = exp(La·(t − cutout)) (the C library's exp, as the reference)."""
    n_bars = x.shape[0]
    ret = xp.full(x.shape, np.nan)
    ret[1:] = (x[1:] - x[:-1]) / x[:-1]
    growth = np.array([math.exp(params.la * (t - params.cutout)) for t in range(n_bars)])
    return ret * xp.asarray(growth)[:, None]


def _equity(sign, r, start, keep: float, cutout: int, xp):
    """Equity curves eq(start, sign, R) of ATC_SPEC §5 for many chains at once.

    ``sign``: (bars, chains, symbols) of -1/0/+1 (the previous bar's sign drives the
    adjusted return ``a``, which persists while that sign is 0); ``r``: (bars, symbols)
    adjusted returns; ``start``: (chains, 1). NaN before ``cutout``.
    """
    n_bars = sign.shape[0]
    out = xp.full(sign.shape, np.nan)
    a = xp.zeros(sign.shape[1:])
    e = xp.broadcast_to(start, sign.shape[1:])
    for t in range(cutout, n_bars):
        if t > 0:
            prev = sign[t - 1]
            a = xp.where(prev != 0, prev * r[t], a)
        if t > cutout:
            e = e * keep * (1.0 + a)
        e = xp.maximum(e, _EQUITY_FLOOR, out=out[t])
    return out


def _layer1(signals, equity, xp):
    """Family signals round2(Σ s_i·E_i / Σ E_i) over each family's nine chains (bars, 6, syms)."""
    shape = (signals.shape[0], len(FAMILIES), _LENGTHS_PER_FAMILY, signals.shape[2])
    s, e = signals.reshape(shape), equity.reshape(shape)
    num, den = s[:, :, 0] * e[:, :, 0], e[:, :, 0]
    for i in range(1, _LENGTHS_PER_FAMILY):  # order L, L+o1..L+o4, L-o1..L-o4
        num = num + s[:, :, i] * e[:, :, i]
        den = den + e[:, :, i]
    return xp.floor(100.0 * (num / den) + 0.5) / 100.0


def _average_signal(family_signal, family_equity, xp):
    """Σ Cut(X_Signal)·X_S / Σ X_S over the families in order (NaN before cutout)."""
    cut = xp.where(family_signal > _CUT_LEVEL, 1.0, xp.where(family_signal < -_CUT_LEVEL, -1.0, 0.0))
    num, den = cut[:, 0] * family_equity[:, 0], family_equity[:, 0]
    for f in range(1, len(FAMILIES)):
        num = num + cut[:, f] * family_equity[:, f]
        den = den + family_equity[:, f]
    return num / den


def _classify(average, params: _Params, xp) -> dict:
    """trend, state, direction and entries of ATC_SPEC §8 (int8, 0 where A is NaN)."""
    nan_row = xp.full_like(average[:1], np.nan)
    a = xp.concatenate([nan_row, average[:-1]]) if params.strategy else average
    prev = xp.concatenate([nan_row, a[:-1]])
    long_th, short_th = params.long_threshold, params.short_threshold
    i8 = xp.int8
    up = (a > long_th) & (prev <= long_th)
    down = (a < short_th) & (prev >= short_th)
    held = _hold_last(up.astype(i8) - down.astype(i8), xp)
    held_before = xp.concatenate([xp.zeros_like(held[:1]), held[:-1]])
    return {
        "trend": (a > 0).astype(i8) - (a < 0).astype(i8),
        "state": (a > long_th).astype(i8) - (a < short_th).astype(i8),
        "direction": xp.where(xp.isnan(a), 0, held).astype(i8),
        "long_entry": (up & (held_before == -1)).astype(i8),
        "short_entry": (down & (held_before == 1)).astype(i8),
    }
