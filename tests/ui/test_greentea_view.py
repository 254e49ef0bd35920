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
