"""The MMU and latency dock: fed from the model's live metrics, a click shows the worst window."""

import numpy as np
from _uihelp import run_until
from PySide6 import QtCore, QtWidgets

from gmpviz.core.constants import MS
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model.metrics import compute_metrics
from gmpviz.ui.views.metrics import histogram_steps


def test_metrics_dock_shows_the_runs_mmu_and_latency(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("gc-steady"), "gc-steady", duration_ns=200 * MS)
    assert run_until(win, lambda: win.session.done or win.session.crash, timeout=60)
    assert win.session.crash is None, win.session.crash
    win.docks["metrics"].raise_()
    QtWidgets.QApplication.processEvents()
    win.refresh_views(force=True)
    view, m = win.metrics, win.session.model.metrics
    x, y = view.mmu_curve.getData()
    assert len(x) == len(view.windows) > 10
    assert (y >= 0).all() and (y <= 1).all() and y.min() < 1  # the GC took something
    hx, hy = view.lat_curve.getData()
    assert hy.sum() == m.latency_hist.sum() > 0
    assert "MMU" in view.summary.text() and "p99" in view.summary.text()
    # a click on the MMU plot shows a worst window of that size on the timeline
    i = int(np.argmin(np.abs(view.windows - 10 * MS)))
    got = []
    view.window_clicked.connect(lambda t0, t1: got.append((t0, t1)))
    for _ in range(3):  # let the dock and the plot lay out before mapping a point into the scene
        QtWidgets.QApplication.processEvents()
    vb = view.mmu_plot.getViewBox()
    vb.updateMatrix()
    pos = vb.mapViewToScene(QtCore.QPointF(np.log10(view.windows[i] / 1e9), 0.5))

    class Click:  # what the scene's sigMouseClicked hands over (a real click needs a real pointer)
        def scenePos(self):
            return pos

    view._clicked(Click())
    assert got == [(float(view.worst[i]), float(view.worst[i] + view.windows[i]))]
    x0, x1 = win.timeline.vb.viewRange()[0]
    assert x0 <= got[0][0] / MS and got[0][1] / MS <= x1 and not win.timeline.follow


def test_histogram_steps_cover_the_non_empty_buckets():
    counts = np.zeros(162, np.int64)
    counts[[3, 10]] = (2, 5)
    x, y = histogram_steps(counts)
    assert len(x) == len(y) + 1 and y.tolist()[0] == 2 and y.tolist()[-1] == 5 and y.sum() == 7
    assert histogram_steps(np.zeros(162, np.int64))[0].size == 0


def test_dock_numbers_equal_the_whole_run_metrics(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=100 * MS)
    assert run_until(win, lambda: win.session.done or win.session.crash, timeout=60)
    m = win.session.model.metrics
    assert m.latency_hist.sum() > 0
    # the same run headless, whole stream
    from gmpviz.core.engine import Engine

    eng = Engine(load_scenario("default"), duration_ns=100 * MS)
    eng.run()
    whole = compute_metrics(eng.drain(), end_ns=eng.now)
    assert m.latency_hist.tolist() == whole.latency_hist.tolist()
    w, mmu, _ = m.mmu()
    assert mmu.tolist() == whole.mmu.tolist()
