"""ATCConfig: the indicator's parameters, with the names of the original Python module."""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

from . import _atc

FAMILIES: tuple[str, ...] = tuple(_atc.FAMILIES)
"""The six moving-average families, in Layer-2 order ("HMA" is an SMA, as in the indicator),
from the engine's family table."""

# Parameter names used by older versions of the original module.
_ALIASES: dict[str, str] = {
    "hull_len": "hma_len",
    "La": "lambda_param",
    "De": "decay",
    "decay_rate": "decay",
    "strategy": "strategy_mode",
}


@dataclasses.dataclass(frozen=True)
class ATCConfig:
    """Parameters of Adaptive Trend Classification (ATC_SPEC §1), validated on creation.

    ``lambda_param`` and ``decay`` are given as the user types them in the indicator
    (the engine uses ``lambda_param / 1000`` and ``decay / 100``). An invalid value
    raises :class:`atc.ConfigError` with the engine's message.
    """

    ema_len: int = 28
    hma_len: int = 28
    wma_len: int = 28
    dema_len: int = 28
    lsma_len: int = 28
    kama_len: int = 28
    ema_w: float = 1.0
    hma_w: float = 1.0
    wma_w: float = 1.0
    dema_w: float = 1.0
    lsma_w: float = 1.0
    kama_w: float = 1.0
    robustness: str = "Medium"
    lambda_param: float = 0.02
    decay: float = 0.03
    cutout: int = 0
    long_threshold: float = 0.1
    short_threshold: float = -0.1
    strategy_mode: bool = False

    def __post_init__(self) -> None:
        self.to_native()

    def to_native(self) -> _atc.Config:
        """The validated engine configuration (raises ConfigError / TypeError)."""
        try:
            lengths = [operator.index(getattr(self, f"{f.lower()}_len")) for f in FAMILIES]
            cutout = operator.index(self.cutout)
        except TypeError as exc:
            raise TypeError(f"MA lengths and cutout must be integers: {exc}") from None
        # Beyond a C int the engine could not even receive them: the same ConfigError as
        # its own range checks, not the binding's conversion error.
        int_max = 2**31 - 1
        for family, length in zip(FAMILIES, lengths):
            if not -int_max - 1 <= length <= int_max:
                raise _atc.ConfigError(f"{family.lower()}_len = {length} is out of range")
        if not 0 <= cutout <= int_max:
            raise _atc.ConfigError(f"cutout must be between 0 and {int_max}, got {cutout}")
        return _atc.Config(
            length=lengths,
            weight=[float(getattr(self, f"{f.lower()}_w")) for f in FAMILIES],
            robustness=str(self.robustness),
            lambda_=float(self.lambda_param),
            decay=float(self.decay),
            cutout=cutout,
            long_threshold=float(self.long_threshold),
            short_threshold=float(self.short_threshold),
            strategy=bool(self.strategy_mode),
        )

    @property
    def min_bars(self) -> int:
        """Bars a series needs before its slowest moving average has a value."""
        return self.to_native().min_bars

    def lengths(self, family: str) -> tuple[int, ...]:
        """The nine MA lengths of ``family`` (L, L+o1..L+o4, L-o1..L-o4)."""
        return tuple(self.to_native().lengths(family))

    def replace(self, **changes: Any) -> ATCConfig:
        """A copy with some fields changed (aliases such as ``La`` accepted)."""
        return dataclasses.replace(self, **_canonical(changes))

    @classmethod
    def from_params(cls, config: ATCConfig | None = None, **params: Any) -> ATCConfig:
        """``config`` (or the defaults) updated with keyword parameters.

        Unknown names raise TypeError; the original module's older names (``hull_len``,
        ``La``, ``De``, ``decay_rate``) are accepted.
        """
        base = config if config is not None else cls()
        if not isinstance(base, ATCConfig):
            raise TypeError(f"config must be an ATCConfig, not {type(base).__name__}")
        return base.replace(**params) if params else base


_FIELDS = frozenset(f.name for f in dataclasses.fields(ATCConfig))


def _canonical(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = _ALIASES.get(key, key)
        if name not in _FIELDS:
            raise TypeError(f"unknown ATC parameter {key!r}; valid: {', '.join(sorted(_FIELDS))}")
        if name in out:
            raise TypeError(f"parameter {name!r} given twice (as {key!r} and an alias)")
        out[name] = value
    return out


def _with_value(error: Exception, where: str) -> Exception:
    """``error`` (ConfigError or TypeError) with ``where`` in front of its message."""
    kind = _atc.ConfigError if isinstance(error, _atc.ConfigError) else type(error)
    return kind(f"{where}: {error}")


def grid_configs(grid: Mapping[str, Sequence[Any]], base: ATCConfig) -> list[tuple[dict[str, Any], ATCConfig]]:
    """Every combination of a parameter grid over ``base``, as (params, validated config).

    ``grid`` maps ATCConfig fields (or their older aliases) to lists of values; the
    combinations come in ``itertools.product`` order (the last parameter varies fastest)
    and ``params`` uses the canonical field names. Each value is validated on its own
    first, so that an invalid one raises ConfigError (a ValueError) or TypeError naming
    the parameter and the value; a combination that is invalid only as a whole (a short
    threshold above the long one, say) names the combination.
    """
    if not isinstance(grid, Mapping):
        raise TypeError(f"grid must be a dict {{parameter: [values]}}, not {type(grid).__name__}")
    if not grid:
        raise ValueError("grid is empty: give at least one parameter and its values")
    canonical = _canonical({name: None for name in grid})
    names = list(canonical)
    columns: list[list[Any]] = []
    for key, name in zip(grid, names):
        values = grid[key]
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{key!r}] must be a list of values, not {type(values).__name__} {values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"grid[{key!r}] has no values")
        for value in values:
            try:
                base.replace(**{name: value})
            except (_atc.ConfigError, TypeError) as exc:
                raise _with_value(exc, f"grid value {name}={value!r}") from None
        columns.append(values)
    combos = []
    for values in itertools.product(*columns):
        params = dict(zip(names, values))
        try:
            combos.append((params, base.replace(**params)))
        except (_atc.ConfigError, TypeError) as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise _with_value(exc, f"grid combination {shown}") from None
    return combos
