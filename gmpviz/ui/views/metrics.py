"""MMU and scheduling latency: the minimum mutator utilisation curve (as `go tool trace` plots it) and
the runnable -> running histogram (as /sched/latencies:seconds buckets it), from Model.metrics.

Each plot is one numpy-fed PlotDataItem. A click on the MMU plot emits the worst window of the
nearest window size (``window_clicked(t0_ns, t1_ns)``): the main window shows it on the timeline.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.constants import MS
from ...model.metrics import MMU_SUMMARY_WINDOWS_NS, TIME_HIST_EDGES_NS
from ..theme import OI_SKY, OI_VERMILLION, Theme
from . import fmt_ns

#: the histogram's first bucket [0, 64 ns) is drawn from here on the log axis
HIST_FLOOR_NS = 16


def histogram_steps(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(edges_ns, counts) of the non-empty span of the runtime's buckets, for a step plot on a log
    axis: the underflow (negative waits) is dropped, the overflow bucket gets one octave."""
    c = np.asarray(counts[1:], dtype=np.float64)  # [0] is the underflow
    nz = np.flatnonzero(c)
    if len(nz) == 0:
        return np.zeros(0), np.zeros(0)
    lo, hi = int(nz[0]), int(nz[-1])
    edges = np.r_[TIME_HIST_EDGES_NS, 2 * TIME_HIST_EDGES_NS[-1]].astype(np.float64)
    x = edges[lo : hi + 2].copy()
    x[0] = max(x[0], HIST_FLOOR_NS)
    return x, c[lo : hi + 1]


def show_on_timeline(timeline, t0_ns: float, t1_ns: float) -> None:
    """Stop the timeline following the run and show [t0, t1] with a margin."""
    timeline.follow = False
    pad = max((t1_ns - t0_ns) * 0.1, 1.0)
    timeline.vb.setXRange((t0_ns - pad) / MS, (t1_ns + pad) / MS, padding=0)


class MetricsView(QtWidgets.QWidget):
    window_clicked = QtCore.Signal(float, float)  # worst window [t0_ns, t1_ns]

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.theme = theme
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.summary = QtWidgets.QLabel(" ")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground(theme.background)
        lay.addWidget(self.glw, 1)
        self.mmu_plot = self.glw.addPlot(row=0, col=0)
        self.mmu_plot.setTitle("MMU (click: the worst window on the timeline)", size="9pt")
        self.mmu_plot.setLogMode(x=True, y=False)
        self.mmu_plot.setLabel("bottom", "window (s)")
        self.mmu_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.mmu_plot.setYRange(0, 1, padding=0.02)
        self.mmu_plot.setMouseEnabled(x=False, y=False)
        self.mmu_curve = self.mmu_plot.plot(pen=pg.mkPen(OI_SKY, width=1), symbol="o", symbolSize=3)
        self.lat_plot = self.glw.addPlot(row=0, col=1)
        self.lat_plot.setTitle("runnable → running", size="9pt")
        self.lat_plot.setLogMode(x=True, y=False)
        self.lat_plot.setLabel("bottom", "wait (s)")
        self.lat_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.lat_plot.setMouseEnabled(x=False, y=False)
        self.lat_curve = self.lat_plot.plot(
            stepMode="center", fillLevel=0, pen=pg.mkPen(OI_VERMILLION, width=1), brush=(213, 94, 0, 90)
        )
        self.mmu_plot.scene().sigMouseClicked.connect(self._clicked)
        self.windows = np.zeros(0, np.int64)
        self.mmu = np.zeros(0)
        self.worst = np.zeros(0, np.int64)
        self._key = None

    def refresh(self, model, force: bool = False) -> None:
        m = model.metrics
        key = (m.version, m.now_ns)
        if key == self._key and not force:
            return
        self._key = key
        self.windows, self.mmu, self.worst = m.mmu()
        if len(self.windows):
            self.mmu_curve.setData(self.windows / 1e9, self.mmu)
        else:
            self.mmu_curve.setData([], [])
        x, y = histogram_steps(m.latency_hist)
        if len(y):
            self.lat_curve.setData(x / 1e9, y)
        else:
            self.lat_curve.setData([], [])
        n = int(m.latency_hist.sum())
        shown = [(w, self._mmu_at(w)) for w in MMU_SUMMARY_WINDOWS_NS]
        mmu_text = " · ".join(f"{w / MS:g} ms {u:.2f}" for w, u in shown if u is not None)
        lat_text = (
            f"p50 ≤ {fmt_ns(m.latency_percentile_ns(50))} · p99 ≤ {fmt_ns(m.latency_percentile_ns(99))} · "
            f"max {fmt_ns(m.latency_max_ns)} ({n:,} starts)"
            if n
            else "no goroutine started yet"
        )
        self.summary.setText(f"MMU {mmu_text or '-'}    sched latency {lat_text}")

    def _mmu_at(self, window_ns: int) -> float | None:
        if len(self.windows) == 0 or window_ns > self.windows[-1]:
            return None
        return float(self.mmu[int(np.argmin(np.abs(np.log(self.windows / window_ns))))])

    def worst_window(self, window_ns: float) -> tuple[float, float] | None:
        """[t0, t1] of a worst window of the computed size nearest to window_ns."""
        if len(self.windows) == 0:
            return None
        i = int(np.argmin(np.abs(np.log(self.windows / max(window_ns, 1.0)))))
        t0 = float(self.worst[i])
        return t0, t0 + float(self.windows[i])

    def _clicked(self, ev) -> None:
        vb = self.mmu_plot.getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        x_log = vb.mapSceneToView(ev.scenePos()).x()  # log10 of the window in seconds
        w = self.worst_window(10**x_log * 1e9)
        if w is not None:
            self.window_clicked.emit(*w)
