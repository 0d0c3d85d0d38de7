"""atc.LiveEngine: bar-by-bar updates with the bits of compute_atc_batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import random_walks

import atc

OUTPUTS = ["Average_Signal", *[f"{f}_Signal" for f in atc.FAMILIES], *[f"{f}_S" for f in atc.FAMILIES],
           "trend", "state", "direction", "long_entry", "short_entry"]


def test_updates_match_the_batch_bit_for_bit(tmp_path) -> None:
    frame = random_walks(400, 8, seed=4)  # every 7th symbol listed late
    history = 150
    live = atc.LiveEngine(frame.iloc[:history], robustness="Wide", cutout=20)
    batch = atc.compute_atc_batch(frame, backend="cpu", robustness="Wide", cutout=20)
    for t in range(history, len(frame)):
        row = frame.iloc[t]
        if t == 300:  # save, restore and go on with the restored engine
            live.save(tmp_path / "live.state")
            live = atc.LiveEngine.restore(tmp_path / "live.state")
        peeked = live.peek(row.dropna())
        out = live.update(row.dropna())  # a symbol not listed yet has no bar
        pd.testing.assert_frame_equal(peeked, out)
        for name in OUTPUTS:
            expected = batch[name].iloc[t]
            got = out[name].reindex(expected.index)
            listed = row.notna()
            np.testing.assert_array_equal(got[listed].to_numpy(), expected[listed].to_numpy(), err_msg=f"{name} bar {t}")
    assert (out["status"] == "ok").all()


def test_a_bad_close_fails_only_its_symbol_and_keeps_its_state() -> None:
    frame = random_walks(300, 3, seed=8, late=False)
    live = atc.LiveEngine(frame.iloc[:200])
    bad = frame.iloc[200].copy()
    bad.iloc[1] = -5.0
    out = live.update(bad)
    assert out["status"].tolist() == ["ok", "non-positive-price", "ok"]
    assert out["updated"].tolist() == [1, 0, 1]
    assert "bar 200" in out["message"].iloc[1]
    # The refused bar is not part of that symbol's series: its next bar is its bar 200.
    out = live.update(frame.iloc[201])
    assert out["bar"].tolist() == [201, 200, 201]
    with pytest.raises(atc.InputError, match="unknown symbols"):
        live.update({"NOPE": 1.0})
    with pytest.raises(atc.InputError):
        live.update(np.ones(2))


def test_symbols_are_added_and_removed() -> None:
    frame = random_walks(300, 4, seed=2, late=False)
    live = atc.LiveEngine(frame.iloc[:250, :2])
    problems = live.add({"NEW": frame.iloc[:20, 2]})
    assert "NEW" in problems and "valid bars" in problems["NEW"]  # too short for now
    live.remove("S000")
    assert live.symbols == ["S001", "NEW"]
    assert live.state_bytes_per_symbol > 1000
    assert "LiveEngine(2 symbols)" in repr(live)


def test_backend_choice() -> None:
    assert atc.LiveEngine().backend == "cpu"
    with pytest.raises(atc.ConfigError, match="backend"):
        atc.LiveEngine(backend="reference")
    if atc.resolve_backend("auto") != "cuda":
        assert atc.LiveEngine(backend="auto").backend == "cpu"
        with pytest.raises(atc.BackendUnavailable):
            atc.LiveEngine(backend="cuda")
