"""Charts render to images of the requested pixel size."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc

image = pytest.importorskip("matplotlib.image")
from atc.__main__ import main  # noqa: E402  (needs matplotlib)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path: Path, width: int, height: int) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels[..., :3].std() > 0.05  # something was drawn


def test_plot_ohlc_png(market: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    out = atc.plot(market["GOOG"].iloc[-500:], family="WMA", path=tmp_path / "goog.png", width=1200, height=700)
    assert out == tmp_path / "goog.png"
    _assert_png(out, 1200, 700)


def test_plot_close_series_svg_and_figure(tmp_path: Path) -> None:
    close = random_walks(400, 1, late=False)["S000"]
    svg = atc.plot(close, path=tmp_path / "chart.svg", family="KAMA", robustness="Narrow")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    figure = atc.plot(close, last=100)
    price_axis = figure.axes[0]
    labels = [line.get_label() for line in price_axis.get_lines()]
    assert labels == [f"EMA({n})" for n in atc.ATCConfig().lengths("EMA")]
    assert len(price_axis.get_lines()[0].get_xdata()) == 100
    with pytest.raises(ValueError, match="last must be >= 1"):
        atc.plot(close, last=0)


def test_plot_heatmap_png(tmp_path: Path) -> None:
    frame = random_walks(500, 30)
    result = atc.compute_atc_batch(frame)
    _assert_png(atc.plot_heatmap(result, path=tmp_path / "h.png", width=800, height=600, dpi=80), 800, 600)
    figure = atc.plot_heatmap(result.average_signal, sort_by_latest=True)
    shown = figure.axes[0].get_images()[0].get_array()
    assert shown.shape == (30, 500)
    latest = result.average_signal.iloc[-1].sort_values(ascending=False).to_numpy()
    np.testing.assert_array_equal(shown[:, -1], latest)
    with pytest.raises(TypeError):
        atc.plot_heatmap([1, 2, 3])  # type: ignore[arg-type]


def test_cli_plot_and_heatmap(market_dir: Path, tmp_path: Path, capsys) -> None:
    chart = tmp_path / "chart.png"
    assert main(["plot", str(market_dir / "GOOG.csv"), "-o", str(chart), "--family", "DEMA",
                 "--width", "640", "--height", "480", "--last", "200"]) == 0
    _assert_png(chart, 640, 480)
    heat = tmp_path / "heat.png"
    assert main(["heatmap", str(market_dir / "GOOG.csv"), str(market_dir / "BTCUSD.csv"), "-o", str(heat),
                 "--width", "500", "--height", "300"]) == 0
    _assert_png(heat, 500, 300)
    assert main(["plot", str(market_dir / "GOOG.csv"), "-o", str(chart), "--set", "ema_len=3"]) == 2
    assert "ema_len = 3 is too short" in capsys.readouterr().err


def test_cpp_cli_forwards_plot_to_the_package(market_dir: Path, tmp_path: Path) -> None:
    """`atc plot` of the C++ program runs `python3 -m atc plot` with the same arguments."""
    cli = os.environ.get("ATC_CLI_PATH", str(Path(__file__).parents[2] / "build" / "cli" / "atc"))
    if not Path(cli).is_file():
        pytest.fail(f"no `atc` program at {cli}: build it (scripts/test.sh does) or set ATC_CLI_PATH")
    chart = tmp_path / "cli.png"
    done = subprocess.run([cli, "plot", str(market_dir / "BTCUSD.csv"), "-o", str(chart),
                           "--width", "400", "--height", "300"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    _assert_png(chart, 400, 300)
    bad = subprocess.run([cli, "plot", str(market_dir / "BTCUSD.csv"), "-o", str(chart), "--set", "ema_len=3"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "ema_len = 3 is too short" in bad.stderr
