"""Bounded live history (model/compact.py): exact recent past, coarse older past, whole run kept."""

from __future__ import annotations

import numpy as np
import pytest
from _synthetic import synth_events

from gmpviz.model import Model
from gmpviz.model import compact as C


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(C, "LANE_KEEP", 500)
    monkeypatch.setattr(C, "LANE_COARSE", 100)
    monkeypatch.setattr(C, "ROWS_KEEP", 500)
    monkeypatch.setattr(C, "ROWS_COARSE", 100)


def _model(compact: bool) -> Model:
    ev = synth_events(100_000_000, seed=3)  # 100 ms: ~5,000 segments per P lane
    m = Model(("main", "a", "b", "c"))
    m.compact_history = compact
    import gmpviz.model as M

    every = M.COMPACT_EVERY_EVENTS
    M.COMPACT_EVERY_EVENTS = 20_000
    try:
        for i in range(0, len(ev), 10_000):
            m.apply(ev[i : i + 10_000])
    finally:
        M.COMPACT_EVERY_EVENTS = every
    return m


def test_lanes_stay_bounded_and_cover_the_whole_run(small_limits):
    full, small = _model(False), _model(True)
    for a, b in zip(full.ptl.lanes, small.ptl.lanes):
        assert a.seg.n > 2 * C.LANE_KEEP  # the test reaches compaction
        assert b.seg.n <= 2 * C.LANE_KEEP + C.LANE_COARSE
        s, e = b.seg.col("start_ns"), b.seg.col("end_ns")
        assert s[0] == a.seg.col("start_ns")[0] and e[-1] == a.seg.col("end_ns")[-1]
        assert (s[1:] >= e[:-1]).all() and (e > s).all()  # ordered, never overlapping
        # the newest segments are exact
        k = C.LANE_KEEP
        for col in ("start_ns", "end_ns", "state", "goid"):
            np.testing.assert_array_equal(b.seg.col(col)[-k:], a.seg.col(col)[-k:])
        assert (b.o_start, b.o_state, b.o_goid) == (a.o_start, a.o_state, a.o_goid)
    # the raster of the recent past is the same; of the whole run it still has every lane drawn
    now = full.now_ns
    t0 = int(small.ptl.lanes[0].seg.col("start_ns")[-C.LANE_KEEP // 2])
    np.testing.assert_array_equal(full.ptl.raster(t0, now, 200), small.ptl.raster(t0, now, 200))
    whole = small.ptl.raster(0, now, 400)
    assert whole.shape == full.ptl.raster(0, now, 400).shape and (whole != 0).mean() > 0.5


def test_counter_and_runq_rows_stay_bounded(small_limits):
    m = Model()
    for i in range(40):
        rows = np.zeros(
            100,
            dtype=m.counters.cols.dtypes
            and __import__("gmpviz.core.trace.stats", fromlist=["x"]).COUNTERS_DTYPE,
        )
        rows["t_ns"] = np.arange(i * 100, (i + 1) * 100)
        m.add_counters(rows)
    C.compact(m)
    assert len(m.counters) <= 2 * C.ROWS_KEEP + C.ROWS_COARSE
    t = m.counters.col("t_ns")
    assert t[-1] == 3999 and (np.diff(t) > 0).all()


def test_the_live_window_bounds_its_model():
    import inspect

    import gmpviz.ui.live as mw  # the flag is set where the live model is made

    assert "compact_history = True" in inspect.getsource(mw)
