"""MarkQueueFold: Green Tea's span queues and the workers' scan modes, from a real gc-greentea run."""

from __future__ import annotations

import numpy as np
import pytest

from gmpviz.core.constants import MS
from gmpviz.core.gc.mgcmark import SCAN_OBJQ, SCAN_ROOTS, SCAN_SPANQ
from gmpviz.core.trace.events import EV, MARK_SCAN, empty
from gmpviz.model import Model
from gmpviz.model.markqueue import NO_MODE, MarkQueueFold, arg_column


def _ev(rows):
    ev = empty(len(rows))
    for i, (t, kind, p, g, a0, a1, a2) in enumerate(rows):
        ev[i] = (t, int(kind), p, 0, g, a0, a1, a2)
    return ev


def test_arg_columns_come_from_spec():
    assert arg_column(EV.GCSpanQueue, "ring") == "a0"
    assert arg_column(EV.GCSpanQueue, "shared") == "a1"
    assert arg_column(EV.GCSpanQueue, "stolen") == "a2"
    with pytest.raises(KeyError):
        arg_column(EV.GCSpanQueue, "nope")


def test_fold_splits_rings_by_p_and_keeps_steals_and_modes():
    f = MarkQueueFold()
    f.apply(
        _ev(
            [
                (10, EV.GCMarkScan, 0, 7, MARK_SCAN.encode(SCAN_ROOTS, 0), 3, 100),
                (10, EV.GCSpanQueue, 0, 7, 4, 9, 0),
                (20, EV.GCMarkScan, 1, 8, MARK_SCAN.encode(SCAN_SPANQ, 5), 40, 4000),
                (20, EV.GCSpanQueue, 1, 8, 2, 7, 3),
                (30, EV.GCMarkScan, 0, 7, MARK_SCAN.encode(SCAN_OBJQ, 0), 6, 600),
                (30, EV.GCSpanQueue, 0, 7, 1, 6, 0),
                (40, EV.GCMarkAssistBegin, 1, 9, 1024, 0, 0),
                (50, EV.GCMarkAssistEnd, 1, 9, 900, 0, 0),
            ]
        )
    )
    t, n = f.ring_series(0)
    assert t.tolist() == [10, 30] and n.tolist() == [4, 1]
    t, n = f.ring_series(1)
    assert t.tolist() == [20] and n.tolist() == [2]
    assert f.ring_series(5)[0].size == 0
    assert f.shared_series()[1].tolist() == [9, 7, 6]
    assert f.nprocs == 2
    assert f.steals.col("t_ns").tolist() == [20] and f.steals.col("stolen").tolist() == [3]
    assert f.mode_of(7) == SCAN_OBJQ and f.mode_of(8) == SCAN_SPANQ and f.mode_of(9) == NO_MODE
    assert f.modes() == {7: "object queue", 8: "span queue"}
    assert f.scans.col("dequeues").tolist() == [0, 5, 0]
    assert f.scan_totals()["span queue"] == (40, 4000)
    assert f.assists.col("begin").tolist() == [True, False]
    assert f.mode_at(7, 29) == (SCAN_ROOTS, 10) and f.mode_at(7, 30) == (SCAN_OBJQ, 30)
    assert f.mode_at(7, 5) == (NO_MODE, -1) and f.mode_at(9, 100) == (NO_MODE, -1)
    v = f.version
    f.apply(_ev([(60, EV.GoCreate, 0, 10, 0, 0, 0)]))
    assert f.version == v  # nothing of ours: no redraw


def test_gc_greentea_run_fills_the_fold():
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario

    eng = Engine(load_scenario("gc-greentea"), duration_ns=300 * MS)
    m = Model()
    t = 0
    while not eng.done:
        t += 20 * MS
        eng.run_until(t)
        m.apply(eng.drain())
    q = m.markq
    assert q.nprocs >= 2 and len(q.shared) > 0
    for p in range(q.nprocs):
        t_ns, n = q.ring_series(p)
        assert np.all(np.diff(t_ns) >= 0) and np.all(n >= 0)
    assert len(q.steals) > 0  # Green Tea Ps steal spans from each other
    assert {SCAN_ROOTS, SCAN_SPANQ} <= set(np.unique(q.scans.col("what")).tolist())
    assert set(q.modes().values()) <= {"roots", "span queue", "object queue"} and q.modes()
    assert len(q.assists) > 0 and q.assists.col("begin").any()


def test_compact_bounds_the_span_queue_history():
    from gmpviz.model.compact import ROWS_COARSE, ROWS_KEEP, compact

    m = Model()
    n = 3 * ROWS_KEEP
    ev = empty(n)
    ev["t_ns"] = np.arange(n)
    ev["kind"] = int(EV.GCSpanQueue)
    ev["p"] = 0
    ev["a0"] = np.arange(n) % 50  # ring
    ev["a1"] = 7  # shared
    m.apply(ev)
    v = m.markq.version
    compact(m)
    t, ring = m.markq.ring_series(0)
    assert len(t) <= ROWS_KEEP + ROWS_COARSE and len(m.markq.shared) <= ROWS_KEEP + ROWS_COARSE
    assert ring.max() == 49 and np.all(np.diff(t) >= 0) and m.markq.version > v
