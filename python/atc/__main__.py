"""``python -m atc``: charts from CSV files.

    python -m atc plot GOOG.csv -o chart.png --family EMA
    python -m atc heatmap closes.csv -o heat.svg          # wide table: one column per symbol
    python -m atc heatmap AAPL.csv MSFT.csv -o heat.png    # one file per symbol (close column)

CSV files are read with pandas: first column = timestamps, then open/high/low/close
(any case) or, for a wide table, one column of closes per symbol.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import ATCConfig, Error, __version__, compute_atc_batch
from ._plot import plot, plot_heatmap


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, index_col=0, parse_dates=True)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"atc: cannot read {path}: {exc}") from None


def _close_column(frame: pd.DataFrame, path: Path) -> pd.Series:
    for column in frame.columns:
        if str(column).lower() == "close":
            return frame[column]
    raise SystemExit(f"atc: {path} has no 'close' column")


def _config(settings: Sequence[str]) -> ATCConfig:
    """ATCConfig from NAME=VALUE strings, each value converted to the field's type."""
    types = {f.name: type(f.default) for f in dataclasses.fields(ATCConfig)}
    params: dict[str, Any] = {}
    for item in settings:
        name, sep, text = item.partition("=")
        if not sep or name not in types:
            raise SystemExit(f"atc: --set expects NAME=VALUE with NAME one of {', '.join(types)}")
        kind = types[name]
        if kind is bool:
            params[name] = text.lower() in ("1", "true", "yes", "on")
        else:
            try:
                params[name] = kind(text)
            except ValueError:
                raise SystemExit(f"atc: --set {name}: {text!r} is not a valid {kind.__name__}") from None
    return ATCConfig(**params)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m atc", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"atc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-o", "--output", type=Path, required=True, help="image file (.png, .svg, .pdf)")
    common.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="ATC parameter, e.g. --set ema_len=20 --set robustness=Wide (repeatable)")
    common.add_argument("--backend", default="auto", choices=["auto", "reference", "cpu", "cuda"])
    common.add_argument("--width", type=int, default=1600, help="image width in pixels")
    common.add_argument("--height", type=int, default=900, help="image height in pixels")

    p = commands.add_parser("plot", parents=[common], help="price chart with ATC colouring, MAs and entries")
    p.add_argument("input", type=Path, help="CSV with a close column (and open/high/low for candles)")
    p.add_argument("--family", default="EMA", help="family whose 9 MAs are drawn (default EMA)")
    p.add_argument("--last", type=int, default=0, help="draw only the last N bars (computed on all)")

    h = commands.add_parser("heatmap", parents=[common], help="heat-map of Average_Signal")
    h.add_argument("inputs", type=Path, nargs="+",
                   help="one wide CSV (a column per symbol) or one CSV per symbol")
    h.add_argument("--sort", action="store_true", help="order symbols by their latest Average_Signal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m atc``."""
    args = _parser().parse_args(argv)
    try:
        config = _config(args.set)
        if args.command == "plot":
            frame = _read_csv(args.input)
            _close_column(frame, args.input)  # a clear message when it is missing
            plot(frame, family=args.family, config=config, backend=args.backend, last=args.last or None,
                 path=args.output, width=args.width, height=args.height, title=args.input.stem)
        else:
            frames = {path.stem: _read_csv(path) for path in args.inputs}
            first = next(iter(frames.values()))
            if len(frames) == 1 and not any(str(c).lower() == "close" for c in first.columns):
                data: Any = first  # a wide table of closes
            else:
                data = {name: _close_column(frame, path)
                        for (name, frame), path in zip(frames.items(), args.inputs)}
            result = compute_atc_batch(data, config=config, backend=args.backend)
            plot_heatmap(result, path=args.output, sort_by_latest=args.sort,
                         width=args.width, height=args.height)
    except Error as exc:
        print(f"atc: {exc}", file=sys.stderr)
        return 2
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
