"""``python -m atc``: charts from CSV files.

    python -m atc plot GOOG.csv -o chart.png --family EMA
    python -m atc heatmap closes.csv -o heat.svg          # wide table: one column per symbol
    python -m atc heatmap AAPL.csv MSFT.csv -o heat.png    # one file per symbol (close column)
    python -m atc heatmap data/ -o heat.png --ema-len 20   # every *.csv of a directory

The ATC parameters are the kebab-case flags of ``atc scan`` (--ema-len, --lambda,
--strategy/--no-strategy, ...); ``--set NAME=VALUE`` takes the ATCConfig field names.
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


def _flag(field: str) -> str:
    """The flag of ``atc scan`` for an ATCConfig field: lambda_param is --lambda."""
    return "--" + field.removesuffix("_param").removesuffix("_mode").replace("_", "-")


def _csv_files(inputs: Sequence[Path]) -> list[Path]:
    """The inputs, each directory replaced by its .csv files in name order (as `atc scan` reads it)."""
    files: list[Path] = []
    for path in inputs:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not found:
            raise SystemExit(f"atc: no .csv file in directory {path}")
        files.extend(found)
    return files


def _config(settings: Sequence[str], flags: argparse.Namespace) -> ATCConfig:
    """ATCConfig from NAME=VALUE strings, each value converted to the field's type, then the
    parameter flags given."""
    types = {f.name: type(f.default) for f in dataclasses.fields(ATCConfig)}
    params: dict[str, Any] = {name: value for name in types if (value := getattr(flags, name)) is not None}
    params = {**_settings(settings, types), **params}
    return ATCConfig(**params)


def _settings(settings: Sequence[str], types: dict[str, type]) -> dict[str, Any]:
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
    return params


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m atc", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"atc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-o", "--output", type=Path, required=True, help="image file (.png, .svg, .pdf)")
    common.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="ATC parameter, e.g. --set ema_len=20 --set robustness=Wide (repeatable)")
    parameters = common.add_argument_group("ATC parameters (as for atc scan)")
    for field in dataclasses.fields(ATCConfig):
        kind = type(field.default)
        if kind is bool:
            parameters.add_argument(_flag(field.name), dest=field.name, default=None,
                                    action=argparse.BooleanOptionalAction)
        else:
            parameters.add_argument(_flag(field.name), dest=field.name, default=None, type=kind,
                                    help=f"[default: {field.default}]")
    common.add_argument("--backend", default="auto", choices=["auto", "reference", "cpu", "cuda"])
    common.add_argument("--width", type=int, default=1600, help="image width in pixels")
    common.add_argument("--height", type=int, default=900, help="image height in pixels")

    p = commands.add_parser("plot", parents=[common], help="price chart with ATC colouring, MAs and entries")
    p.add_argument("input", type=Path, help="CSV with a close column (and open/high/low for candles)")
    p.add_argument("--family", default="EMA", help="family whose 9 MAs are drawn (default EMA)")
    p.add_argument("--last", type=int, default=0, help="draw only the last N bars (computed on all)")

    h = commands.add_parser("heatmap", parents=[common], help="heat-map of Average_Signal")
    h.add_argument("inputs", type=Path, nargs="+",
                   help="one wide CSV (a column per symbol), one CSV per symbol, or a directory of them")
    h.add_argument("--sort", action="store_true", help="order symbols by their latest Average_Signal")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m atc``."""
    args = _parser().parse_args(argv)
    try:
        config = _config(args.set, args)
        if args.command == "plot":
            frame = _read_csv(args.input)
            _close_column(frame, args.input)  # a clear message when it is missing
            plot(frame, family=args.family, config=config, backend=args.backend, last=args.last or None,
                 path=args.output, width=args.width, height=args.height, title=args.input.stem)
        else:
            inputs = _csv_files(args.inputs)
            frames = {path.stem: _read_csv(path) for path in inputs}
            first = next(iter(frames.values()))
            if len(frames) == 1 and not any(str(c).lower() == "close" for c in first.columns):
                data: Any = first  # a wide table of closes
            else:
                data = {name: _close_column(frame, path)
                        for (name, frame), path in zip(frames.items(), inputs)}
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
