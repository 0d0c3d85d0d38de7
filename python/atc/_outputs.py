"""The output columns' names, from the engine's one output table (atc::for_each_output_field)."""

from __future__ import annotations

from . import _atc

DISCRETE_OUTPUTS: tuple[str, ...] = tuple(
    name for name, kind, group in _atc.OUTPUT_COLUMNS if kind == "discrete" and group == "classification"
)
"""Classification outputs (int8: -1, 0, +1; entries 0/1)."""
STANDARD_OUTPUTS: tuple[str, ...] = tuple(
    name for name, _, group in _atc.OUTPUT_COLUMNS if group in ("always", "families", "family_signals", "classification")
)
"""Keys of a standard result, in order."""
