"""Marking (gc/mgcmark.py): the invariants of the mark work and the span queues, checked after every
drain of a real run, and at mark termination what the mark found against the reachable set."""

from __future__ import annotations

import numpy as np
import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.gc.mgcmark import RUNTIME_BSS_BYTES, RUNTIME_DATA_BYTES, SPAN_RING_SLOTS, MarkWork
from gmpviz.core.trace.events import EV
from gmpviz.core.workload.loader import load_scenario

MS = 1_000_000


def _instrumented(name: str, duration_ns: int, **kw):
    """An engine whose GC checks the queue invariants after every drain and records, at every mark
    termination, what was marked against the reachable set when marking began."""
    eng = Engine(load_scenario(name), duration_ns=duration_ns, **kw)
    gc = eng.gc
    drains = []
    cycles = []
    real_drain = gc.gcDrain
    real_term = gc.gcMarkTermination
    real_start = gc.gcStart_marking
    snap = {}

    def gcStart_marking(*args):
        real_start(*args)
        sp = eng.allocator.spans
        snap["grey"] = sp.slot_mark[: sp.slot_top].copy()  # the snapshot the mark must cover

    def gcDrain(m, gp, budget_ns):
        out = real_drain(m, gp, budget_ns)
        q = gc.work.queues
        # a span is in at most one queue: every seen, unscanned span is queued exactly once
        assert sum(q.ring) + q.shared == q.seen - q.scanned
        assert 0 <= q.scanned <= q.seen <= q.total  # scanned ⊆ seen
        assert all(0 <= r <= SPAN_RING_SLOTS for r in q.ring)
        assert q.shared >= 0
        drains.append(out)
        return out

    def gcMarkTermination():
        a = eng.allocator
        sp = a.spans
        n = sp.slot_top
        assert gc.work.empty()  # gcMarkDone only once every job is drained
        grey = np.zeros(n, bool)
        grey[: len(snap["grey"])] = snap["grey"]
        reach = grey & sp.slot_alloc[:n] & (sp.slot_elem[:n] > 0)
        mark = sp.slot_mark[:n].copy()
        # every object reachable when marking began is marked at mark termination
        assert not (reach & ~mark).any()
        # the rest of what is marked was allocated during the mark phase (allocate black)
        black = mark & ~reach & sp.slot_alloc[:n] & (sp.slot_elem[:n] > 0)
        kept_b = int(sp.slot_elem[:n][reach].sum())
        black_b = int(sp.slot_elem[:n][black].sum())
        real_term()
        cycles.append((kept_b, black_b, gc.heap2))

    gc.gcDrain = gcDrain
    gc.gcMarkTermination = gcMarkTermination
    gc.gcStart_marking = gcStart_marking
    eng.run_until(duration_ns)
    return eng, drains, cycles


@pytest.mark.parametrize("greentea", [True, False])
def test_mark_invariants_hold_after_every_drain(greentea):
    eng, drains, cycles = _instrumented("gc-greentea", 120 * MS, greentea=greentea)
    assert len(cycles) >= 2 and len(drains) > 50
    for kept_b, black_b, heap2 in cycles:
        # marked bytes = the kept set + what was allocated black during the cycle
        assert heap2 == kept_b + black_b
        assert heap2 >= kept_b
    assert any(black_b > 0 for _, black_b, _ in cycles)  # allocate-black: garbage made while marking survives


def test_greentea_scans_spans_the_classic_marker_scans_objects():
    eng_gt, _, _ = _instrumented("gc-greentea", 120 * MS)
    eng_cl, _, _ = _instrumented("gc-greentea", 120 * MS, greentea=False)
    ev_gt, ev_cl = eng_gt.drain(), eng_cl.drain()
    what = {}
    for label, ev in (("gt", ev_gt), ("cl", ev_cl)):
        scan = ev[ev["kind"] == int(EV.GCMarkScan)]
        what[label] = np.bincount(scan["a0"] & 0xFF, weights=scan["a1"], minlength=3)
    assert what["gt"][1] > what["gt"][2]  # Green Tea: small objects through the span queue
    assert what["cl"][1] == 0 and what["cl"][2] > 0  # classic: the object queue only
    assert (ev_gt["kind"] == int(EV.GCSpanQueue)).any() and not (ev_cl["kind"] == int(EV.GCSpanQueue)).any()
    # the same heap costs the classic marker more mark CPU (measured per-object costs)
    cpu = {}
    for label, eng in (("gt", eng_gt), ("cl", eng_cl)):
        c = eng.gc.gcController
        cpu[label] = eng.gc.gc_cycles and (c.dedicatedMarkTime + c.fractionalMarkTime + c.idleMarkTime)
    st = eng_gt.gc.work.stats()
    assert 0 < st["spans_per_object"] < 1 and st["bytes_per_dequeue"] > 64


def test_mark_work_scales_with_spans_not_objects():
    """A span's objects are counted with numpy: the job list has one entry per span with marks."""
    eng = Engine(load_scenario("gc-greentea"), duration_ns=30 * MS)
    eng.run_until(30 * MS)
    w = MarkWork(True, eng.gomaxprocs)
    a = eng.allocator
    a.mark(eng.now)
    w.prepare(a.spans, 0, 0, [])
    n_heap = len(w.kind) - w.n_root_jobs
    assert n_heap > 0 and int(w.objs.sum()) > 20 * n_heap  # many objects per job
    assert int(w.scan_bytes.sum()) == int(w.cum_bytes[-1])


def test_drain_budget_and_bytes_to_ns_agree():
    eng = Engine(load_scenario("gc-greentea"), duration_ns=30 * MS)
    eng.run_until(30 * MS)
    a = eng.allocator
    a.mark(eng.now)
    w = MarkWork(True, 4)
    w.prepare(a.spans, 64, 600 << 10, [4096, 2048])
    # fixed, 3 data/BSS blocks of 256 KiB, one arena's 16 span-root shards (gcPrepareMarkRoots:
    # len(mheap_.markArenas) * (pagesPerArena / pagesPerSpanRoot)), 2 stacks
    assert w.n_root_jobs == 2 + 3 + 16 + 2
    total = w.left_ns()
    spent = 0
    while not w.empty():
        segs = w.drain(0, 50_000)
        assert segs
        spent += sum(s[1] for s in segs)
    assert spent == pytest.approx(total, rel=1e-6, abs=len(w.kind))
    assert w.left_ns() == pytest.approx(0, abs=1e-3)


def test_runtime_roots_and_suspendg_waits_cost_their_time():
    """The runtime's own roots are two more data jobs (its data and BSS) sharing the given CPU by size,
    with their bytes of scan work; a stack job whose G is running costs its suspendG wait on top."""
    eng = Engine(load_scenario("gc-greentea"), duration_ns=30 * MS)
    eng.run_until(30 * MS)
    a = eng.allocator
    a.mark(eng.now)
    plain = MarkWork(True, 4)
    plain.prepare(a.spans, 64, 0, [4096, 2048])
    w = MarkWork(True, 4)
    w.prepare(a.spans, 64, 0, [4096, 2048], runtime_roots_ns=20_000, stacks_wait_ns=[0, 7_000])
    assert w.n_root_jobs == plain.n_root_jobs + 2
    assert w.cost_ns[2] + w.cost_ns[3] == pytest.approx(20_000)  # after the two fixed jobs
    assert w.cost_ns[2] / w.cost_ns[3] == pytest.approx(RUNTIME_DATA_BYTES / RUNTIME_BSS_BYTES)
    assert list(w.scan_bytes[2:4]) == [RUNTIME_DATA_BYTES, RUNTIME_BSS_BYTES]
    assert w.globals_bytes == RUNTIME_DATA_BYTES + RUNTIME_BSS_BYTES
    assert w.cost_ns[w.n_root_jobs - 2] == plain.cost_ns[plain.n_root_jobs - 2]
    assert w.cost_ns[w.n_root_jobs - 1] == plain.cost_ns[plain.n_root_jobs - 1] + 7_000
    assert w.total_ns == pytest.approx(plain.total_ns + 20_000 + 7_000)
