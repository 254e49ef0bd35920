"""The span table's Green Tea mark state (the heatmap's mark view), from synthetic events and a run."""

from __future__ import annotations

import numpy as np

from gmpviz.core.constants import MS
from gmpviz.core.trace.events import EV, empty, span_pages_code
from gmpviz.model.spans import (
    MARK_DRAW_NAMES,
    MS_BLACK,
    MS_OTHER,
    MS_RING,
    MS_SCANNED,
    MS_SHARED,
    MS_UNSEEN,
    SpanTable,
)

SC64 = 6 << 1  # size class 6 (64 B), with pointers: a Green Tea span
SC64_NOSCAN = SC64 | 1


def _ev(rows):
    ev = empty(len(rows))
    for i, (t, kind, p, a0, a1, a2) in enumerate(rows):
        ev[i] = (t, int(kind), p, 0, 0, a0, a1, a2)
    return ev


def _heap(n_gt: int = 10) -> SpanTable:
    """Spans 0..n_gt-1 Green Tea with 5 objects each, span n_gt noscan."""
    sp = SpanTable()
    rows = []
    for s in range(n_gt + 1):
        rows.append((1, EV.SpanAlloc, 0, s, SC64 if s < n_gt else SC64_NOSCAN, span_pages_code(1, s)))
        rows.append((1, EV.SpanSweep, 0, s, 0, 5))
    sp.apply(_ev(rows))
    return sp


def test_scan_ranges_and_queue_lengths_give_each_span_its_state():
    sp = _heap()
    sp.apply(_ev([(10, EV.GCMarkBegin, -1, 1, 0, 250000)]))
    assert sp.marking == 0 and sp.mark_pending  # Green Tea shows at its first span event
    assert (sp.mark_state[:10] == MS_UNSEEN).all() and sp.mark_state[10] == MS_OTHER
    sp.apply(
        _ev(
            [
                (20, EV.GCSpanScan, 0, 2, 3, 100),  # P0 scans spans 2..3 for 100 ns (0..1 passed over)
                (20, EV.GCSpanQueue, 0, 2, 1, 0),  # then 2 spans on P0's ring, 1 on the shared list
                (30, EV.GCSpanQueue, 1, 1, 1, 0),  # P1's ring: 1
            ]
        )
    )
    assert sp.marking == 1
    assert sp.mark_state[:2].tolist() == [MS_OTHER] * 2  # the core found nothing marked there
    assert sp.mark_state[2:4].tolist() == [MS_SCANNED] * 2 and sp.mark_p[2] == 0
    assert sp.mark_state[4:8].tolist() == [MS_RING, MS_RING, MS_RING, MS_SHARED]
    assert sp.mark_p[4:7].tolist() == [0, 0, 1]
    assert sp.mark_state[8:10].tolist() == [MS_UNSEEN] * 2
    # the scan window: being scanned at 50, scanned at 120
    assert sp.mark_info(2, 50)["mark_state"] == "being scanned"
    assert sp.mark_info(2, 120)["mark_state"] == "scanned" and sp.mark_info(2, 120)["ownership"] == "Unowned"
    q = sp.mark_info(6, 120)
    assert q["mark_state"] == "on a P's ring" and q["ownership"] == "ManyMark" and q["p"] == 1
    assert q["seen"] == 5 and q["scanned"] == 0
    counts = dict(zip(MARK_DRAW_NAMES, sp.mark_counts(50).tolist()))
    assert counts["being scanned"] == 2 and counts["on a P's ring"] == 3 and counts["on the shared list"] == 1
    # a span allocated while marking is black; the snapshot keeps the whole mark state
    sp.apply(_ev([(40, EV.SpanAlloc, 1, 11, SC64, span_pages_code(1, 11))]))
    assert sp.mark_state[11] == MS_BLACK
    snap = sp.snapshot()
    again = SpanTable()
    again.restore(snap)
    n = sp.max_id + 1
    assert again.mark_state[:n].tolist() == sp.mark_state[:n].tolist()
    assert again.mark_rings == sp.mark_rings and again.marking == 1 and again.mark_front == 3
    sp.heatmap(16)
    img = sp.mark_heatmap(50)
    assert img.shape[1] == 16 and (img > 0).sum() == 12
    sp.apply(_ev([(90, EV.GCMarkDone, -1, 1, 0, 0)]))
    assert sp.marking == 2


def test_old_keyframes_without_mark_columns_restore():
    sp = _heap()
    snap = {k: v for k, v in sp.snapshot().items() if "mark" not in k}
    again = SpanTable()
    again.restore(snap)
    assert again.marking == 0 and again.mark_info(0, 0) is None


def test_gc_greentea_run_scans_every_grey_span_by_mark_termination():
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.model import Model

    eng = Engine(load_scenario("gc-greentea"), duration_ns=40 * MS)
    m = Model()
    queued_seen = False
    t = 0
    while not eng.done:
        t += 100_000
        eng.run_until(t)
        ev = eng.drain()
        done = np.flatnonzero(ev["kind"] == int(EV.GCMarkDone))
        m.apply(ev[: done[0]] if len(done) else ev)
        sp = m.spans
        if sp.marking == 1:
            ms = sp.mark_state[: sp.max_id + 1]
            queued_seen |= bool(((ms == MS_RING) | (ms == MS_SHARED)).any())
        if len(done):
            ms = sp.mark_state[: sp.max_id + 1]
            assert not ((ms == MS_UNSEEN) | (ms == MS_RING) | (ms == MS_SHARED)).any()
            m.apply(ev[done[0] :])
    assert queued_seen and m.spans.mark_cycle >= 2
