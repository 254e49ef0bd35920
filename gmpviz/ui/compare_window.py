"""The compare window (`gmpviz compare ... --window`): two (or three) runs of one workload live, their
P timelines stacked with one linked time axis, a difference strip per P, and their metrics side by side.

Each side is its own engine thread, session and model (the same as the main window's); one timer
pumps them all, so neither run waits for the other. The time axes are x-linked: panning or zooming
any timeline moves them all and stops following the runs; F fits them again. The difference strip
has a row per P for each side after A: which of the two had that P busy (running a goroutine, a GC
worker or a syscall) in each pixel's time, from the lanes the timelines just drew.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.constants import MS
from ..core.thread import Batch
from ..model import Model
from ..model.timeline import ST_IDLE, ST_NONE, ST_SPIN
from ..session import LiveSource, Session
from .controls import DEFAULT_SPEED
from .items.raster import RasterItem
from .theme import OI_SKY, OI_VERMILLION, Theme, rgb
from .views import FOLLOW_HEADROOM, fmt_ns
from .views.metrics import histogram_steps
from .views.timeline import TimelineView

FRAME_MS = 16
AXIS_WIDTH_PX = 52  # every plot's left axis: the x-linked plots then map a time to the same pixel
TABLE_EVERY = 15  # frames between two refreshes of the metrics table
SIDE_COLOURS = (OI_SKY, OI_VERMILLION, "#CC79A7")
DIFF_SAME, DIFF_A, DIFF_OTHER = 0, 1, 2
ALIGN_RIGHT = QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter


def busy_rows(img: np.ndarray, nlanes: int) -> np.ndarray:
    """(nlanes, width) bool: the P lanes of a timeline raster whose pixel is not idle, spinning or
    without a P; lanes the raster does not have are not busy."""
    width = img.shape[1] if img.ndim == 2 else 0
    out = np.zeros((nlanes, width), dtype=bool)
    n = min(nlanes, img.shape[0]) if img.ndim == 2 else 0
    lanes = img[:n]
    out[:n] = (lanes != ST_NONE) & (lanes != ST_IDLE) & (lanes != ST_SPIN)
    return out


def difference_strip(a_img: np.ndarray, other_imgs: list[np.ndarray]) -> np.ndarray:
    """(rows, width) uint8: per P, DIFF_A where only A's P was busy, DIFF_OTHER where only the other
    side's was, DIFF_SAME otherwise; one block of rows per other side, a blank row between blocks."""
    if a_img.ndim != 2 or a_img.size == 0:
        return np.zeros((0, 0), np.uint8)
    width = a_img.shape[1]
    blocks = []
    for img in other_imgs:
        if img.ndim != 2 or img.shape[1] != width:
            continue
        n = max(a_img.shape[0], img.shape[0])
        a, b = busy_rows(a_img, n), busy_rows(img, n)
        d = np.full((n, width), DIFF_SAME, np.uint8)
        d[a & ~b] = DIFF_A
        d[b & ~a] = DIFF_OTHER
        blocks.append(d)
    if not blocks:
        return np.zeros((0, width), np.uint8)
    gap = np.zeros((1, width), np.uint8)
    out = [blocks[0]]
    for b in blocks[1:]:
        out += [gap, b]
    return np.concatenate(out)


class ArraySource:
    """Events already read (a real program's trace, converted: `gmpviz compare-real --window`) as an
    EventSource: handed out as virtual time passes at the window's speed, like a live run's, so both
    sides of the window move together on one time axis (all at once without a speed)."""

    def __init__(self, events: np.ndarray, counters: np.ndarray, end_ns: int | None = None) -> None:
        self.events, self.counters = events, counters
        self.end_ns = int(end_ns if end_ns is not None else (events["t_ns"][-1] if len(events) else 0))
        self.speed_ns_per_s: float | None = None
        self._t0 = 0.0
        self._i = self._j = 0
        self._done = False

    def start(self) -> None:
        self._t0 = time.perf_counter()

    def stop(self) -> None:
        pass

    def poll(self) -> list[Batch]:
        if self._done:
            return []
        upto = self.end_ns
        if self.speed_ns_per_s is not None:
            upto = min(upto, int((time.perf_counter() - self._t0) * self.speed_ns_per_s))
        i = int(np.searchsorted(self.events["t_ns"], upto, side="right"))
        j = int(np.searchsorted(self.counters["t_ns"], upto, side="right"))
        self._done = upto >= self.end_ns
        ev, rows = self.events[self._i : i], self.counters[self._j : j]
        self._i, self._j = i, j
        return [Batch(ev, rows, now_ns=upto, done=self._done)]


class CompareWindow(QtWidgets.QMainWindow):
    """`sides`: (label, title, scenario, RunSettings or an ArraySource) each, A first."""

    def __init__(self, theme: Theme, sides, engine_factory, speed_ns_per_s: float | None = None) -> None:
        super().__init__()
        self.theme = theme
        self.labels = [s[0] for s in sides]
        self.sessions: list[Session] = []
        self.sources: list[LiveSource | ArraySource] = []
        for _, _, scenario, settings in sides:
            model = Model(tuple(getattr(scenario, "groups", ("main",))))
            if isinstance(settings, ArraySource):  # a real run's events, already read
                src = settings
                src.speed_ns_per_s = speed_ns_per_s
            else:
                src = LiveSource.open(engine_factory, scenario, settings, speed_ns_per_s)
            self.sources.append(src)
            self.sessions.append(Session(src, model))
        self.follow = True
        self._follow_end_ms: float | None = None
        self.frames = 0
        self.setWindowTitle("gmpviz compare — " + " vs ".join(s[1] for s in sides))

        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.timelines: list[TimelineView] = []
        for (label, title, scenario, _), colour in zip(sides, SIDE_COLOURS):
            box = QtWidgets.QWidget()
            lay = QtWidgets.QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            head = QtWidgets.QLabel(f'<b style="color:{colour}">{label.upper()}</b>&nbsp; {title}')
            lay.addWidget(head)
            tl = TimelineView(theme)
            tl.set_groups(tuple(getattr(scenario, "groups", ("main",))))
            tl.follow = False  # the window follows for all of them (the runs' clocks differ)
            tl.vb.sigRangeChangedManually.connect(self._manual)
            tl.plot.getAxis("left").setWidth(AXIS_WIDTH_PX)  # same plot width: pixel columns line up
            if self.timelines:
                tl.plot.setXLink(self.timelines[0].plot)
            lay.addWidget(tl, 1)
            self.timelines.append(tl)
            split.addWidget(box)
        self.diff_plot = pg.PlotWidget(background=theme.background)
        # not x-linked (a linked view keeps the pixel scale, and the plots' widths differ by their
        # margins): it shows A's time range, set whenever that changes
        self.diff_plot.getViewBox().invertY(True)
        self.diff_plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.timelines[0].vb.sigXRangeChanged.connect(self._sync_diff_range)
        self.diff_plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
        self.diff_plot.setLabel("bottom", "virtual time (ms)")
        lut = np.tile(np.array(rgb(theme.background), np.uint8), (256, 1))
        lut[DIFF_A] = rgb(SIDE_COLOURS[0])
        lut[DIFF_OTHER] = rgb(SIDE_COLOURS[1])
        self.diff = RasterItem(lut)
        self.diff_plot.addItem(self.diff)
        self.diff_image = np.zeros((0, 0), np.uint8)
        self._diff_ticks: list = []
        diff_box = QtWidgets.QWidget()
        dl = QtWidgets.QVBoxLayout(diff_box)
        dl.setContentsMargins(0, 0, 0, 0)
        others = "/".join(self.labels[1:]).upper()
        dl.addWidget(
            QtWidgets.QLabel(
                "difference per P: "
                f'<span style="color:{SIDE_COLOURS[0]}">■</span> only A busy &nbsp; '
                f'<span style="color:{SIDE_COLOURS[1]}">■</span> only {others} busy'
            )
        )
        dl.addWidget(self.diff_plot, 1)
        split.addWidget(diff_box)
        for i in range(len(self.timelines)):
            split.setStretchFactor(i, 3)
        split.setStretchFactor(len(self.timelines), len(self.timelines) - 1)
        self.setCentralWidget(split)

        self.table = QtWidgets.QTableWidget(0, 2 * len(sides) - 1)
        heads = [label.upper() for label in self.labels] + [f"{lb.upper()}/A" for lb in self.labels[1:]]
        self.table.setHorizontalHeaderLabels(heads)
        self.table.verticalHeader().setDefaultSectionSize(20)
        dock = QtWidgets.QDockWidget("Metrics", self)
        dock.setObjectName("dock_compare_metrics")
        dock.setWidget(self.table)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [150 + 70 * (2 * len(sides) - 1)], QtCore.Qt.Orientation.Horizontal)
        self.curves = pg.GraphicsLayoutWidget()
        self.curves.setBackground(theme.background)
        self.mmu_plot = self.curves.addPlot(row=0, col=0, title="MMU")
        self.lat_plot = self.curves.addPlot(row=1, col=0, title="runnable → running")
        for plot, label in ((self.mmu_plot, "window (s)"), (self.lat_plot, "wait (s)")):
            plot.setLogMode(x=True, y=False)
            plot.setLabel("bottom", label)
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            plot.setMouseEnabled(x=False, y=False)
        self.mmu_plot.setYRange(0, 1, padding=0.02)
        self.mmu_curves = [self.mmu_plot.plot(pen=pg.mkPen(c, width=1)) for c in SIDE_COLOURS[: len(sides)]]
        self.lat_curves = [
            self.lat_plot.plot(stepMode="center", pen=pg.mkPen(c, width=1))
            for c in SIDE_COLOURS[: len(sides)]
        ]
        cdock = QtWidgets.QDockWidget("MMU and latency", self)
        cdock.setObjectName("dock_compare_curves")
        cdock.setWidget(self.curves)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, cdock)
        self.status = QtWidgets.QLabel(" ")
        self.statusBar().addPermanentWidget(self.status, 1)
        sc = QtGui.QShortcut(QtGui.QKeySequence("F"), self)
        sc.activated.connect(self.fit)
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.tick)

    # --- runs -----------------------------------------------------------------------------------
    def start(self) -> None:
        for src in self.sources:
            src.start()
        self.timer.start(FRAME_MS)

    def stop(self) -> None:
        self.timer.stop()
        for src in self.sources:
            src.stop()

    @property
    def done(self) -> bool:
        return all(s.done or s.crash for s in self.sessions)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.stop()
        super().closeEvent(event)

    # --- frames ---------------------------------------------------------------------------------
    def _manual(self, *_args) -> None:
        self.follow = False

    def fit(self) -> None:
        self.follow = True
        self._follow_end_ms = None
        self.refresh(force=True)

    def tick(self) -> None:
        for s in self.sessions:
            s.pump()
        self.frames += 1
        self.refresh(table=self.frames % TABLE_EVERY == 0 or self.done)

    def refresh(self, force: bool = False, table: bool = True) -> None:
        now_ms = max(s.model.now_ns for s in self.sessions) / MS
        if self.follow and (self._follow_end_ms is None or now_ms > self._follow_end_ms or force):
            self._follow_end_ms = max(now_ms * (1.01 if force or self.done else FOLLOW_HEADROOM), 1e-3)
            self.timelines[0].vb.setXRange(0, self._follow_end_ms, padding=0)
        for tl, s in zip(self.timelines, self.sessions):
            tl.refresh(s.model, force=force)
        self._refresh_diff()
        if table or force:
            self._refresh_table()
        states = [
            f"{lb.upper()} {fmt_ns(s.model.now_ns)}{' done' if s.done else ''}"
            for lb, s in zip(self.labels, self.sessions)
        ]
        self.status.setText(" · ".join(states))

    def _sync_diff_range(self, *_args) -> None:
        (x0, x1), _ = self.timelines[0].vb.viewRange()
        self.diff_plot.getViewBox().setXRange(x0, x1, padding=0)

    def _refresh_diff(self) -> None:
        imgs = [tl.last_image for tl in self.timelines]
        self.diff_image = difference_strip(imgs[0], imgs[1:])
        (x0, x1), _ = self.timelines[0].vb.viewRange()
        rows = self.diff_image.shape[0]
        if rows == 0:
            self.diff.clear()
            return
        self.diff.show_image(self.diff_image, x0, 0, x1 - x0, rows)
        self.diff_plot.getViewBox().setYRange(0, rows, padding=0)
        block = (rows + 1) // max(len(self.timelines) - 1, 1)  # rows per other side, with its gap
        ticks = [(i * block + (block - 1) / 2, f"{lb.upper()}−A") for i, lb in enumerate(self.labels[1:])]
        if ticks != self._diff_ticks:
            self._diff_ticks = ticks
            self.diff_plot.getAxis("left").setTicks([ticks, []])

    def metric_rows(self) -> list[tuple[str, list, Callable]]:
        """(label, one value per side, format) of what the live models know."""
        out = []
        ms = [s.model.metrics for s in self.sessions]
        for w in (1 * MS, 10 * MS, 100 * MS):
            vals = []
            for m in ms:
                _, mmu, _ = m.mmu(np.array([w]))
                vals.append(float(mmu[0]) if m.now_ns >= w and len(m.utilization()[0]) > 1 else None)
            out.append((f"MMU {w // MS} ms", vals, lambda v: f"{v:.3f}"))
        for q in (50, 99):
            out.append((f"sched latency p{q} ≤", [m.latency_percentile_ns(q) for m in ms], fmt_ns))
        out.append(("sched latency max", [m.latency_max_ns for m in ms], fmt_ns))
        gcs = [s.model.gc for s in self.sessions]
        out.append(("GC cycles", [g.cycles.n for g in gcs], lambda v: f"{v:,}"))
        pauses = [g.pauses.col("duration_ns") for g in gcs]
        out.append(("STW total", [int(p.sum()) for p in pauses], fmt_ns))
        out.append(("STW max", [int(p.max(initial=0)) for p in pauses], fmt_ns))
        out.append(("goroutine starts", [_starts(s.model) for s in self.sessions], lambda v: f"{v:,}"))
        return out

    def _refresh_curves(self) -> None:
        """Each side's MMU curve and latency histogram, in its colour (one PlotDataItem each)."""
        for s, mc, lc in zip(self.sessions, self.mmu_curves, self.lat_curves):
            m = s.model.metrics
            w, mmu, _ = m.mmu()
            mc.setData(w / 1e9, mmu) if len(w) else mc.setData([], [])
            x, y = histogram_steps(m.latency_hist)
            lc.setData(x / 1e9, y) if len(y) else lc.setData([], [])

    def _refresh_table(self) -> None:
        self._refresh_curves()
        rows = self.metric_rows()
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([r[0] for r in rows])
        n = len(self.sessions)
        for i, (_, vals, fmt) in enumerate(rows):
            cells = ["—" if v is None else fmt(v) for v in vals]
            a = vals[0]
            for v in vals[1:]:
                if a is None or v is None or (a == 0 and v != 0):
                    cells.append("—")
                else:
                    cells.append("=" if a == v else f"{v / a:.3g}×")
            for j, text in enumerate(cells[: 2 * n - 1]):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(ALIGN_RIGHT)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()


def run_compare_window(sides, screenshot: str | None = None, theme: str = "dark") -> int:
    """Open the compare window on `sides` ((label, title, scenario, RunSettings) each); with
    `screenshot`, run both to their end at full speed, save a PNG there and return."""
    import sys
    import time

    from .app import SCREENSHOT_SIZE, SCREENSHOT_TIMEOUT_S, _engine_factory, ensure_app
    from .theme import get_theme

    app = ensure_app(theme)
    speed = None if screenshot else DEFAULT_SPEED
    win = CompareWindow(get_theme(theme), sides, _engine_factory, speed_ns_per_s=speed)
    win.resize(*(SCREENSHOT_SIZE if screenshot else (1500, 950)))
    win.show()
    win.start()
    if screenshot is None:
        return app.exec()
    deadline = time.monotonic() + SCREENSHOT_TIMEOUT_S
    while not win.done and time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        win.tick()
        time.sleep(0.005)
    win.tick()
    win.refresh(force=True)
    for _ in range(5):
        app.processEvents()
    win.refresh(force=True)
    app.processEvents()
    ok = win.grab().save(screenshot)
    win.close()
    if not ok:
        print(f"gmpviz: cannot write the screenshot to {screenshot}", file=sys.stderr)
        return 2
    return 0


def _starts(model) -> int:
    """GoStart events so far (context switches): the latency histogram counts one per start."""
    return int(model.metrics.latency_hist.sum())
