"""Runtime state fold: G table, run queues, spans, counters, snapshot/restore."""

import numpy as np

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
