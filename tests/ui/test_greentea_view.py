"""The Green Tea part of the heap/GC dock, offscreen on the gc-greentea preset: span-queue curves,
steal ticks, assist ticks; a classic-marker run keeps the span-queue plot out of the way."""

import dataclasses
import os

import numpy as np
from _uihelp import run_until

from gmpviz.core.constants import MS
from gmpviz.core.workload.loader import load_scenario


def _run(make_win, preset, duration_ns=300 * MS, **changes):
    win = make_win()
    win.speed = None
    win.start(dataclasses.replace(load_scenario(preset), **changes), preset, duration_ns=duration_ns)
    assert run_until(win, lambda: win.session.done or win.session.crash, timeout=120)
    assert win.session.crash is None, win.session.crash
    win.refresh_views(force=True)
    return win


def test_gc_greentea_fills_the_span_queue_plot(make_win):
    win = _run(make_win, "gc-greentea")
    heap, q = win.heap, win.session.model.markq
    assert heap.spanq.isVisible() and heap.spanq_legend.isVisible()
    assert len(heap.ring_curves) == q.nprocs >= 2  # one item per P, not per event
    points = 0
    for curve in heap.ring_curves:
        x, y = curve.getData()
        assert x is not None and len(x) <= 1600 and np.all(y >= 0)
        points += len(x)
    assert points > 0
    x, y = heap.shared_curve.getData()
    assert x is not None and len(x) > 0 and y.max() > 0
    assert len(heap.steal_ticks.data) > 0
    assert len(heap.assist_begin.data) > 0 and len(heap.assist_end.data) > 0
    legend = heap.spanq_legend.text().replace("&nbsp;", " ")
    assert "P0" in legend and "shared list" in legend
    worker = next(iter(q.modes()))
    win.select("g", worker)
    win.refresh_views(force=True)
    assert "last mark work" in win.inspector.toPlainText()
    out = os.environ.get("GMPVIZ_GREENTEA_PNG")  # a 1920x1080 look at the view, on request
    if out:
        win.resize(1920, 1080)
        run_until(win, lambda: False, timeout=0.5)
        win.refresh_views(force=True)
        win.grab().save(out)


def test_classic_marker_run_hides_the_span_queue_plot(make_win):
    win = _run(make_win, "gc-greentea", 100 * MS, greentea=False)  # GOEXPERIMENT=nogreenteagc
    assert len(win.heap.assist_begin.data) > 0  # assists are the classic marker's too
    assert not win.heap.spanq.isVisible() and not win.heap.spanq_legend.isVisible()
    assert win.heap.spanq.maximumHeight() == 0


def _mark_cells(view, state_names):
    """Cells of the heatmap drawn in the given mark states (MARK_DRAW_NAMES)."""
    from gmpviz.model.spans import MARK_DRAW_NAMES, MARK_LEVELS

    st = (view.img.astype(np.int64) - 1) // MARK_LEVELS
    want = [MARK_DRAW_NAMES.index(n) for n in state_names]
    return np.isin(st, want) & (view.img > 0)


def test_mark_view_shows_green_tea_live(make_win):
    """Stopped in the middle of gc-greentea's first mark (1.5-2.6 ms): the heatmap is the mark view,
    with spans on P rings, scanned and still unseen; a queued span's inspector names its ownership
    and its P; after marking the heap view comes back unless the box keeps the mark picture."""
    from gmpviz.model.spans import MS_RING

    win = _run(make_win, "gc-greentea", 1_900_000)
    view, sp = win.spans, win.session.model.spans
    assert sp.marking == 1 and view.showing_marks
    legend = view.legend.text().replace("&nbsp;", " ")
    assert "on a P's ring" in legend and "being scanned" in legend and "shared list" in legend
    assert _mark_cells(view, ["on a P's ring"]).sum() > 10
    assert _mark_cells(view, ["scanned", "being scanned"]).sum() > 10
    assert _mark_cells(view, ["unseen"]).sum() > 10
    assert view.image.lut.tolist() == view.mark_lut.tolist()  # one item, its LUT swapped
    queued = int(np.flatnonzero(sp.mark_state[: sp.max_id + 1] == MS_RING)[0])
    assert "mark: on a P's ring" in view.describe(queued) and "queued on P" in view.describe(queued)
    win.select("span", queued)
    win.refresh_views(force=True)
    text = win.inspector.toPlainText()
    assert "ownership" in text and ("ManyMark" in text or "OneMark" in text)
    out = os.environ.get("GMPVIZ_MARKVIEW_PNG")  # a 1920x1080 look at the view, on request
    if out:
        win.resize(1920, 1080)
        run_until(win, lambda: False, timeout=0.5)
        win.refresh_views(force=True)
        win.grab().save(out)
    # the cycle ends: the heap view again, or the mark picture kept by the box
    win2 = _run(make_win, "gc-greentea", 4 * MS)
    assert win2.session.model.spans.marking == 2 and not win2.spans.showing_marks
    win2.spans.mark_box.setChecked(True)
    assert win2.spans.showing_marks and _mark_cells(win2.spans, ["scanned"]).sum() > 10


def test_worker_lanes_show_what_they_scan(make_win):
    """gc-greentea's mark workers: their lanes carry a band of the scan kinds (roots, then the span
    queue), drawn into the one lane image in the scan LUT slots; the legend names them."""
    from gmpviz.ui.views.timeline import LANE_ROWS, SCAN_LUT0, SUBROWS

    win = _run(make_win, "gc-greentea", 40 * MS)
    tl = win.timeline
    win.refresh_views(force=True)
    assert tl.scan_columns > 0
    legend = tl.ticks_legend.text().replace("&nbsp;", " ")
    assert "scans:" in legend and "span queue" in legend and "roots" in legend
    big = tl.image.image
    band = big[2 + LANE_ROWS - 1 :: SUBROWS]  # each P lane's last lane row
    kinds = set(np.unique(band[(band >= SCAN_LUT0) & (band < SCAN_LUT0 + 3)]).tolist())
    assert SCAN_LUT0 + 1 in kinds  # the span queue, Green Tea's
    out = os.environ.get("GMPVIZ_SCANLANES_PNG")  # a 1920x1080 look at the first mark phase, on request
    if out:
        win.resize(1920, 1080)
        run_until(win, lambda: False, timeout=0.5)
        tl.follow = False
        tl.vb.setXRange(1.4, 3.0, padding=0)  # ms: gc-greentea's first mark
        win.refresh_views(force=True)
        win.grab().save(out)
