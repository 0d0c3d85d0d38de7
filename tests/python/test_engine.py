"""atc.BatchEngine: repeated batches with reused buffers, the same bits as compute_atc_batch."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import random_walks

import atc


@pytest.mark.parametrize("pinned", [False, True])
def test_repeated_batches_reuse_the_columns_and_equal_compute_atc_batch(pinned: bool) -> None:
    engine = atc.BatchEngine(backend="auto", outputs="standard", pinned=pinned)
    first_frame = random_walks(400, 12, seed=1)
    first = engine.compute(first_frame)
    expected = atc.compute_atc_batch(first_frame, outputs="standard")
    for name in expected:
        np.testing.assert_array_equal(first[name].to_numpy(), expected[name].to_numpy(), err_msg=name)
    kept = first["Average_Signal"].copy()
    second_frame = random_walks(400, 12, seed=2)
    second = engine.compute(second_frame)
    expected2 = atc.compute_atc_batch(second_frame, outputs="standard")
    for name in expected2:
        np.testing.assert_array_equal(second[name].to_numpy(), expected2[name].to_numpy(), err_msg=name)
    # The same memory, now holding the second call's values; the copy kept the first's.
    assert np.shares_memory(first["Average_Signal"].to_numpy(), second["Average_Signal"].to_numpy())
    np.testing.assert_array_equal(kept.to_numpy(), expected["Average_Signal"].to_numpy())
    # Another shape: new columns.
    third = engine.compute(random_walks(300, 5, seed=3))
    assert third["Average_Signal"].shape == (300, 5)


def test_an_input_table_filled_in_place_is_read_where_it_is() -> None:
    engine = atc.BatchEngine(outputs="scan", pinned=True)
    prices = np.round(random_walks(350, 8, seed=4).to_numpy(), 2)
    table = engine.input_table(350, 8)
    assert table.flags.f_contiguous and np.isnan(table).all()
    table[:] = prices
    result = engine.compute(table, symbols=list("ABCDEFGH"))
    expected = atc.compute_atc_batch(prices, outputs="scan", symbols=list("ABCDEFGH"))
    for name in expected:
        np.testing.assert_array_equal(result[name].to_numpy(), expected[name].to_numpy(), err_msg=name)
    assert list(result.symbols) == list("ABCDEFGH")
    with pytest.raises(ValueError, match="different calendars"):
        engine.compute({"A": random_walks(300, 1)["S000"], "B": random_walks(200, 1)["S000"]})
