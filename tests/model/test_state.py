"""Runtime state fold: G table, run queues, spans, counters, snapshot/restore."""

import numpy as np
import pytest

from gmpviz.core.constants import Grunnable, Grunning, Gwaiting, Pidle, Prunning
from gmpviz.core.trace.events import (
    EV,
    EVENT_DTYPE,
    PATH_SMALL,
    SRC_GLOBAL,
    SRC_LOCAL,
    SRC_RUNNEXT,
    WAIT_CHAN_RECV,
    WHERE_GLOBAL,
    WHERE_LOCAL,
    WHERE_RUNNEXT,
    alloc_code,
)
from gmpviz.core.trace.stats import COUNTERS_DTYPE
from gmpviz.model import Model
from gmpviz.model.eventlog import EventLog, kinds_matching
from gmpviz.model.goroutines import profile
from gmpviz.model.spans import LUT_LEVELS, SP_FULL, SP_MCACHE, SP_PARTIAL, SpanTable, nelems_of
from gmpviz.model.state import RuntimeState


def evs(*rows):
    out = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, r in enumerate(rows):
        t, kind, p, m, g = r[:5]
        a = list(r[5:]) + [0, 0, 0]
        out[i] = (t, kind, p, m, g, a[0], a[1], a[2])
    return out


def test_g_table_last_event_wins():
    st = RuntimeState()
    st.apply(
        evs(
            (0, EV.GoCreate, 0, 0, 5, 1, 2),
            (1, EV.GoCreate, 0, 0, 6, 1, 1),
            (2, EV.GoStart, 0, 0, 5),
            (3, EV.GoBlock, 0, 0, 5, WAIT_CHAN_RECV),
            (4, EV.GoStart, 1, 1, 6),
        )
    )
    assert st.g_status[5] == Gwaiting and st.g_reason[5] == WAIT_CHAN_RECV and st.g_group[5] == 2
    assert st.g_status[6] == Grunning and st.g_p[6] == 1 and st.g_group[6] == 1
    assert st.p_curg[0] == 0 and st.p_curg[1] == 6
    assert st.live_goids().tolist() == [5, 6]


def test_runq_reconstruction_with_runnext_kick_spill_and_steal():
    st = RuntimeState()
    rows = [(0, EV.ProcResize, -1, -1, 0, 0, 2)]
    for g in range(10, 14):
        rows.append((g, EV.RunqPut, 0, 0, g, WHERE_LOCAL, g - 9))
    rows.append((20, EV.RunqPut, 0, 0, 30, WHERE_RUNNEXT, 4))
    rows.append((21, EV.RunqPut, 0, 0, 31, WHERE_RUNNEXT, 4, 30))  # 30 kicked from runnext ...
    rows.append((21, EV.RunqPut, 0, 0, 30, WHERE_LOCAL, 5))  # ... and put on the tail
    st.apply(evs(*rows))
    assert st.runq_contents(0) == [10, 11, 12, 13, 30] and st.runnext[0] == 31
    st.apply(
        evs(
            (30, EV.RunqGet, 0, 0, 31, SRC_RUNNEXT, 5),
            (31, EV.RunqGet, 0, 0, 10, SRC_LOCAL, 4),
            (32, EV.ProcSteal, 1, 1, 0, 0, 2, 0),  # P1 steals 2 from P0's head
            (33, EV.RunqGet, 1, 1, 12, 4, 1),  # runs the last grabbed one
        )
    )
    assert st.runnext[0] == 0
    assert st.runq_contents(0) == [13, 30] and st.runq_contents(1) == [11]
    st.apply(evs((40, EV.RunqSpill, 0, 0, 40, 3, 3)))  # 2 from the head + 40 to the global queue
    assert list(st.globrunq) == [13, 30, 40] and st.runq_contents(0) == []
    st.apply(evs((41, EV.GlobRunqPut, -1, -1, 41, WHERE_GLOBAL, 4), (42, EV.GlobRunqGet, 1, 1, 13, 2, 2)))
    assert list(st.globrunq) == [40, 41] and st.runq_contents(1) == [11, 30]
    st.apply(evs((43, EV.RunqGet, 1, 1, 40, SRC_GLOBAL, 2)))
    assert list(st.globrunq) == [41]
    assert st.resyncs == 0
    snap = st.snapshot()
    st2 = RuntimeState()
    st2.restore(snap)
    assert st2.runq_contents(1) == [11, 30] and list(st2.globrunq) == [41]


def test_runq_resyncs_on_reported_length():
    st = RuntimeState()
    st.apply(evs((0, EV.RunqPut, 0, 0, 7, WHERE_LOCAL, 3)))  # we missed two puts
    assert len(st.runq[0]) == 3 and st.resyncs == 1


def test_p_status():
    st = RuntimeState()
    st.apply(evs((0, EV.ProcStart, 0, 2, 0), (0, EV.ProcStart, 1, 3, 0), (5, EV.ProcStop, 1, 3, 0)))
    assert st.p_status[0] == Prunning and st.p_m[0] == 2
    assert st.p_status[1] == Pidle and st.p_m[1] == -1


def test_nelems_follows_init_span():
    # class 1 (8 B): noscan 1024 objects, scan reserves 128 B for the heap bitmap -> 1008
    assert nelems_of(np.array([1 << 1 | 1]), np.array([1]))[0] == 1024
    assert nelems_of(np.array([1 << 1]), np.array([1]))[0] == 1008
    assert nelems_of(np.array([0]), np.array([5]))[0] == 1


def test_span_table_and_heatmap():
    sp = SpanTable()
    spc = 5 << 1 | 1  # class 5: 48 B, 170 objects per 8 KiB span
    sp.apply(
        evs(
            (0, EV.SpanAlloc, 0, 0, 0, 1, spc, 1 | 7 << 32),
            (1, EV.SpanCache, 2, 0, 0, 1, spc, 3),
            (2, EV.Alloc, 2, 0, 0, alloc_code(PATH_SMALL, 5, 1, 1), 100, 4800),
            (3, EV.SpanAlloc, 0, 0, 0, 2, spc, 1),
            (4, EV.SpanUncache, 0, 0, 0, 2, spc, 1),
            (5, EV.Alloc, 2, 0, 0, alloc_code(PATH_SMALL, 5, 1, 2), 170, 8160),
        )
    )
    i1, i2 = sp.info(1), sp.info(2)
    ne = int(
        nelems_of(np.array([spc]), np.array([1]))[0]
    )  # 170 by the size class table, fewer with Green Tea
    assert 160 <= ne <= 170
    assert (
        i1["state"] == "in mcache" and i1["owner_p"] == 2 and i1["alloc_count"] == 100 and i1["nelems"] == ne
    )
    assert i2["state"] == "mcentral full" and i2["alloc_count"] == 170
    # a sweep resets allocCount to the live objects; allocations before it in the batch do not count
    sp.apply(
        evs(
            (6, EV.Alloc, 2, 0, 0, alloc_code(PATH_SMALL, 5, 1, 2), 5, 0),
            (7, EV.SpanSweep, 0, 0, 0, 2, 120, 50),
        )
    )
    assert sp.info(2)["alloc_count"] == 50 and sp.state[2] == SP_PARTIAL
    img, ids = sp.heatmap(width=4)
    assert img.dtype == np.uint8 and ids[0, :2].tolist() == [1, 2]
    assert img[0, 0] == 1 + (SP_MCACHE - 1) * LUT_LEVELS + round(100 / ne * (LUT_LEVELS - 1))
    assert img[0, 2] == 0
    assert SP_FULL == 3


def test_heatmap_aggregates_many_spans():
    sp = SpanTable()
    n = 5000
    rows = [(i, EV.SpanAlloc, 0, 0, 0, i + 1, 3 << 1 | 1, 1) for i in range(n)]
    sp.apply(evs(*rows))
    img, ids = sp.heatmap(width=32, max_cells=1024)
    assert img.size <= 2 * 1024 and (img > 0).sum() >= n // 8


def test_model_counters_goroutine_profile_and_log():
    m = Model(groups=("main", "worker"))
    m.apply(
        evs(
            (0, EV.GoCreate, 0, 0, 1, 0, 0),
            (0, EV.GoCreate, 0, 0, 2, 1, 1),
            (0, EV.GoCreate, 0, 0, 3, 1, 1),
            (5, EV.GoStart, 0, 0, 2),
            (6, EV.GoBlock, 0, 0, 2, WAIT_CHAN_RECV),
            (7, EV.GoBlock, 0, 0, 3, WAIT_CHAN_RECV),
        )
    )
    rows = profile(m.state, m.groups)
    assert rows[0][:4] == ("waiting", "chan receive", "worker", 2)
    assert rows[1][:4] == ("runnable", "", "main", 1)
    assert profile(m.state, m.groups, "main")[0][2] == "main"
    c = np.zeros(3, dtype=COUNTERS_DTYPE)
    c["t_ns"] = [10, 20, 30]
    c["heap_alloc"] = [1, 5, 3]
    m.add_counters(c)
    assert m.counters.col("heap_alloc").tolist() == [1, 5, 3] and m.now_ns == 30
    log = EventLog(capacity=4)
    log.append(m.log.ordered())
    assert len(log) == 4 and log.ordered()["t_ns"].tolist() == [0, 5, 6, 7]
    assert log.query(kinds=kinds_matching("block"))["g"].tolist() == [2, 3]
    assert Grunnable == 1


def test_event_log_ring_wraps_and_queries_in_order():
    log = EventLog(capacity=8)
    for start in range(0, 21, 3):  # 21 events in batches of 3, ring of 8
        log.append(
            evs(*[(t, EV.GoStart if t % 2 else EV.GoBlock, t % 3, 0, t) for t in range(start, start + 3)])
        )
    assert log.total == 21 and len(log) == 8
    assert log.ordered()["t_ns"].tolist() == list(range(13, 21))
    assert log.query(limit=3)["t_ns"].tolist() == [18, 19, 20]
    assert log.query(kinds=kinds_matching("start"))["t_ns"].tolist() == [13, 15, 17, 19]
    assert log.query(p=0)["t_ns"].tolist() == [15, 18]
    big = EventLog(capacity=4)
    big.append(evs(*[(t, EV.GoStart, 0, 0, t) for t in range(10)]))
    assert big.ordered()["t_ns"].tolist() == [6, 7, 8, 9]
    assert big.query(limit=2)["t_ns"].tolist() == [8, 9]


@pytest.mark.parametrize("max_cells", [4096, 256])  # one span a cell, and runs of spans a cell
def test_heatmap_incremental_equals_full(max_cells):
    """Redoing only the dirty cells gives the same image as folding from scratch, batch after batch."""
    rng = np.random.default_rng(3)
    n = 600
    sp = SpanTable()
    sp.apply(
        evs(*[(i, EV.SpanAlloc, 0, 0, 0, i + 1, int(rng.integers(1, 30)) << 1 | 1, 1) for i in range(n)])
    )
    sp.heatmap(width=32, max_cells=max_cells)
    for batch in range(6):
        rows = []
        for j in range(40):
            span = int(rng.integers(1, n + 1))
            t = batch * 100 + j
            k = int(rng.integers(0, 4))
            if k == 0:
                rows.append((t, EV.SpanCache, int(rng.integers(0, 4)), 0, 0, span, 0, 0))
            elif k == 1:
                rows.append((t, EV.SpanUncache, 0, 0, 0, span, 0, int(rng.integers(0, 2))))
            elif k == 2:
                rows.append((t, EV.SpanSweep, 0, 0, 0, span, 0, int(rng.integers(0, 100))))
            else:
                rows.append(
                    (t, EV.Alloc, 0, 0, 0, alloc_code(PATH_SMALL, 3, 1, span), int(rng.integers(1, 50)), 0)
                )
        sp.apply(evs(*rows))
        img, ids = sp.heatmap(width=32, max_cells=max_cells)
        sp._hm = None  # force the full fold
        img_full, ids_full = sp.heatmap(width=32, max_cells=max_cells)
        assert np.array_equal(img, img_full) and np.array_equal(ids, ids_full)


def test_runq_history_series_per_p_matches_a_filter():
    """series(p) indexes rows per P as batches arrive; it must equal filtering all rows by P."""
    from gmpviz.model.counters import RunqHistory

    rng = np.random.default_rng(5)
    h = RunqHistory()
    t = 0
    for _batch in range(5):
        rows = []
        for _ in range(300):
            t += int(rng.integers(1, 50))
            k = [EV.RunqPut, EV.RunqGet, EV.GlobRunqPut, EV.GlobRunqGet][int(rng.integers(0, 4))]
            rows.append((t, k, int(rng.integers(0, 4)), 0, 0, 0, int(rng.integers(0, 256))))
        h.apply(evs(*rows))
        for p in (-1, 0, 1, 2, 3, 7):
            tt, v = h.series(p, max_points=10**9)
            sel = h.cols.col("p") == p
            assert np.array_equal(tt, h.cols.col("t_ns")[sel]) and np.array_equal(v, h.cols.col("len")[sel])
            # thinned incrementally (cached buckets) == thinned from scratch
            t_all, v_all = h.cols.col("t_ns")[sel], h.cols.col("len")[sel]
            tt, v = h.series(p, max_points=64)
            if len(t_all) > 64:
                step = 1 << int(np.ceil(np.log2(len(t_all) / 64)))
                m = len(t_all) // step * step
                assert np.array_equal(tt, np.r_[t_all[:m:step], t_all[m:]])
                assert np.array_equal(v, np.r_[v_all[:m].reshape(-1, step).max(axis=1), v_all[m:]])
    tt, v = h.series(0, max_points=50)
    assert len(tt) <= 60 and v.max() == h.cols.col("len")[h.cols.col("p") == 0].max()


def _check_heatmap(sp, img, ids):
    """Every live span in exactly one cell, in its class's rows (classes in order), coloured by itself."""
    live = np.flatnonzero(sp.state[: sp.max_id + 1] != 0)
    shown = ids[ids >= 0]
    assert sorted(shown.tolist()) == live.tolist()
    assert (img[ids < 0] == 0).all()
    assert np.array_equal(img[ids >= 0], sp._cell_value(sp.state[shown], sp.occupancy(shown)))
    row_cls = []
    for r in range(ids.shape[0]):
        c = np.unique(sp.spanclass[ids[r][ids[r] >= 0]] >> 1)
        assert len(c) <= 1  # a class starts a new row
        if len(c):
            assert sp.row_classes()[r] == c[0]  # the axis labels rows by the layout
        row_cls += c.tolist()
    assert row_cls == sorted(row_cls)


def test_heatmap_places_new_spans_without_relaying_out():
    rng = np.random.default_rng(11)
    sp = SpanTable()
    sp.apply(
        evs(*[(i, EV.SpanAlloc, 0, 0, 0, i + 1, int(rng.integers(1, 6)) << 1 | 1, 1) for i in range(400)])
    )
    _check_heatmap(sp, *sp.heatmap(width=16, max_cells=4096))
    serial = sp.layout_serial
    next_id, placed = 401, 0
    for batch in range(8):
        rows = []
        for j in range(12):
            t = 1000 + batch * 100 + j
            if j % 3 == 0:  # a brand-new span of a known class
                rows.append((t, EV.SpanAlloc, 0, 0, 0, next_id, int(rng.integers(1, 6)) << 1 | 1, 1))
                next_id += 1
                placed += 1
            elif j % 3 == 1:  # an id recycled, maybe into another class
                span = int(rng.integers(1, next_id))
                rows.append((t, EV.SpanFree, 0, 0, 0, span, 0, 0))
                rows.append((t, EV.SpanAlloc, 0, 0, 0, span, int(rng.integers(1, 6)) << 1 | 1, 1))
            else:
                span = int(rng.integers(1, next_id))
                rows.append((t, EV.SpanSweep, 0, 0, 0, span, 0, int(rng.integers(0, 60))))
        sp.apply(evs(*rows))
        _check_heatmap(sp, *sp.heatmap(width=16, max_cells=4096))
    assert placed == 32 and sp.layout_serial == serial  # all placed into the slack
    # a class never seen before forces a new layout, still consistent
    sp.apply(evs((5000, EV.SpanAlloc, 0, 0, 0, next_id, 40 << 1 | 1, 1)))
    _check_heatmap(sp, *sp.heatmap(width=16, max_cells=4096))
    assert sp.layout_serial == serial + 1


def test_gc_cpu_windowed_share():
    """2 of 4 Ps in GC from 40 to 60 ms: the 10 ms window reads 50% inside, 25% half in, 0 outside."""
    from gmpviz.model.gcwindow import gc_cpu_windowed

    t = np.arange(1, 101) * 1_000_000
    procs = np.full(100, 4)
    gc_ns = np.clip(np.minimum(t, 60_000_000) - 40_000_000, 0, None) * 2
    w = gc_cpu_windowed(t, gc_ns / (t * procs), procs, 10_000_000)
    assert np.allclose(w[[5, 39, 44, 49, 55, 59, 64, 69, 75]], [0, 0, 0.25, 0.5, 0.5, 0.5, 0.25, 0, 0])
    # a resize counts capacity by the GOMAXPROCS of each interval
    procs2 = np.where(t > 50_000_000, 2, 4)
    gc2 = np.where(t > 50_000_000, 10_000_000 * 2 + (np.minimum(t, 60_000_000) - 50_000_000) * 2, gc_ns)
    w2 = gc_cpu_windowed(t, gc2 / (t * procs2), procs2, 10_000_000)
    assert np.isclose(w2[59], 1.0)  # 50..60 ms: both of the 2 Ps in GC


def test_profile_rows_show_only_their_goroutines_and_name_the_runtime_group():
    from gmpviz.model.timeline import ST_RUNTIME

    m = Model(groups=("main", "worker"))
    m.apply(
        evs(
            (0, EV.GoCreate, 0, 0, 1, 0, 0),
            (0, EV.GoCreate, 0, 0, 2, 1, 1),
            (0, EV.GoCreate, 0, 0, 3, 1, 1),
            (0, EV.GoCreate, 0, 0, 4, 1, -1),  # the runtime's own goroutine (bgsweep ...)
            (5, EV.GoStart, 0, 0, 4),
            (6, EV.GoBlock, 0, 0, 4, WAIT_CHAN_RECV),
            (7, EV.GoStart, 0, 0, 2),
            (8, EV.GoBlock, 0, 0, 2, WAIT_CHAN_RECV),
        )
    )
    rows = {(r[0], r[1], r[2]): (r[3], r[4]) for r in profile(m.state, m.groups)}
    assert rows[("waiting", "chan receive", "worker")] == (1, [2])  # a row's sample: its own Gs only
    assert rows[("waiting", "chan receive", "runtime")] == (1, [4])
    assert rows[("runnable", "", "main")] == (1, [1]) and rows[("runnable", "", "worker")] == (1, [3])
    m.advance(10)
    seg = m.ptl.segment_at(0, 5)
    assert seg is not None and seg["state"] == ST_RUNTIME and seg["goid"] == 4
