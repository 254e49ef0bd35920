"""Heap and GC: HeapAlloc, goal, trigger, HeapSys, HeapReleased, stacks over time; GC cycles shaded
by phase (one raster band) and assist begin/end ticks; STW pauses as bars (one BarGraphItem); Green
Tea's span queues (per-P ring lengths, the shared list, steal ticks) once a run has them; GC CPU."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.constants import MS
from ...core.trace.events import STW_NAMES
from ...model.counters import thin_max
from ...model.gcwindow import GC_CPU_WINDOW_NS, gc_cpu_windowed
from ..items import timeaxis
from ..items.raster import RasterItem
from ..theme import OI_BLUE, OI_GREEN, OI_ORANGE, OI_PURPLE, OI_SKY, OI_VERMILLION, OI_YELLOW, Theme, rgb
from . import FollowX, fmt_bytes, fmt_ns, legend_html

MIB = 1 << 20
SERIES = (
    ("heap_alloc", "HeapAlloc", OI_SKY, 1.0),  # 1 px pens: wider ones cost ~10x to paint
    ("heap_goal", "heap goal", OI_VERMILLION, 1.0),
    ("heap_trigger", "trigger", "#999999", 1.0),  # grey, legible on both themes: orange merged with the goal
    ("heap_marked", "live heap", OI_ORANGE, 1.0),  # marked by the last GC: what the goal is computed from
    ("heap_sys", "HeapSys", OI_PURPLE, 1.0),
    ("heap_released", "HeapReleased", OI_GREEN, 1.0),
    ("stack_inuse", "stacks", OI_BLUE, 1.0),
)
# phase band colours (index 1 sweep termination, 2 mark, 3 mark termination)
PHASE_NAMES = ("off", "sweep termination", "mark", "mark termination")
#: the per-P ring curves' colours, cycled (the shared list is drawn in the foreground colour)
P_COLOURS = (OI_SKY, OI_ORANGE, OI_GREEN, OI_PURPLE, OI_BLUE, OI_YELLOW, OI_VERMILLION, "#999999")
MAX_POINTS = 1500  # a series' points after thinning (each bucket's maximum): ~1 per pixel column
TICK_PIXELS = 2000  # ticks (steals, assists) are thinned to one per pixel column of this many


def thin_ticks(t_ns: np.ndarray, now_ns: int, pixels: int = TICK_PIXELS) -> np.ndarray:
    """The distinct pixel columns (as times) of `t_ns` over 0..now: thousands of steals a cycle
    draw as one tick per column, not one point per event."""
    if len(t_ns) <= pixels or now_ns <= 0:
        return np.asarray(t_ns, dtype=np.float64)
    col = np.unique((np.asarray(t_ns, dtype=np.float64) * (pixels / now_ns)).astype(np.int64))
    return col * (now_ns / pixels)


class HeapGCView(QtWidgets.QWidget):
    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.theme = theme
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.summary = QtWidgets.QLabel(" ")
        lay.addWidget(self.summary)
        self.legend = QtWidgets.QLabel()
        self._legend_limits = None
        #: the SERIES with data (a real Go trace has no HeapSys, HeapReleased nor stacks: gotrace
        #: leaves them 0, and unknown is not 0 B): only these are drawn and named in the legend
        self._series_shown = tuple(field for field, _, _, _ in SERIES)
        self.legend_gc_cpu = True  # the GC CPU plot's entries (the stage drops them with the plot)
        self.legend_assists = True  # the assist ticks' entries (the stage drops them where none show)
        self._set_legend(False, False)
        lay.addWidget(self.legend)
        self.spanq_legend = QtWidgets.QLabel()  # the span-queue plot's, shown with it
        self.spanq_legend.hide()
        self._spanq_legend_n = -1
        lay.addWidget(self.spanq_legend)
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground(theme.background)
        lay.addWidget(self.glw, 1)
        self.heap = self.glw.addPlot(row=0, col=0)
        self.heap.setLabel("left", "MiB")
        self.heap.getAxis("left").enableAutoSIPrefix(False)
        # phases as an opaque band (colours pre-blended with the background): a translucent image
        # over the whole plot cost ~10 ms a paint; no grid for the same reason
        bg = np.array(rgb(theme.background), dtype=np.float64)
        lut = np.tile(bg.astype(np.uint8), (256, 1))
        for i, c in enumerate((OI_ORANGE, OI_GREEN, OI_VERMILLION), start=1):
            lut[i] = (bg + (np.array(rgb(c)) - bg) * 0.18).round().astype(np.uint8)
        self.phase = RasterItem(lut)
        self.phase.setZValue(-10)
        self.heap.addItem(self.phase)
        self.curves = {}
        for field, label, colour, width in SERIES:
            self.curves[field] = self.heap.plot(pen=pg.mkPen(colour, width=width), name=label)
        self.stw = self.glw.addPlot(row=1, col=0)
        self.stw.setLabel("left", "STW µs")
        self.stw.getAxis("left").enableAutoSIPrefix(False)
        self.stw.setXLink(self.heap)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.01, brush=theme.stw)
        self.stw.addItem(self.bars)
        # Green Tea's span queues (model/markqueue.py): hidden (zero height) until a run has them
        self.spanq = self.glw.addPlot(row=2, col=0)
        self.spanq.setLabel("left", "spans")
        self.spanq.getAxis("left").enableAutoSIPrefix(False)
        self.spanq.setXLink(self.heap)
        self.spanq.hideAxis("bottom")
        self.shared_curve = self.spanq.plot(pen=pg.mkPen(theme.foreground, width=1))
        self.ring_curves: list[pg.PlotDataItem] = []  # one per P, made as Ps appear
        self.steal_ticks = pg.ScatterPlotItem(
            symbol="|", size=9, pen=pg.mkPen(OI_VERMILLION, width=1), brush=None, pxMode=True
        )
        self.spanq.addItem(self.steal_ticks)
        self._spanq_shown = True
        self.spanq_enabled = True  # False: never shown (a stage scene that does not talk about it)
        self._show_spanq(False)
        # assists on the heap plot: where each starts (up) and stops (down), along the bottom
        self.assist_begin = pg.ScatterPlotItem(symbol="t1", size=7, pen=None, brush=pg.mkBrush(OI_VERMILLION))
        self.assist_end = pg.ScatterPlotItem(symbol="t", size=7, pen=None, brush=pg.mkBrush(OI_BLUE))
        for item in (self.assist_begin, self.assist_end):
            self.heap.addItem(item, ignoreBounds=True)
        self.cpu = self.glw.addPlot(row=3, col=0)
        self.cpu.setLabel("left", "GC CPU %")
        self.cpu.getAxis("left").enableAutoSIPrefix(False)
        timeaxis.install(self.cpu)
        self.cpu.setXLink(self.heap)
        self.cpu_window_curve = self.cpu.plot(
            pen=pg.mkPen(OI_VERMILLION, width=1), name=f"last {GC_CPU_WINDOW_NS // MS} ms"
        )
        self.cpu_curve = self.cpu.plot(pen=pg.mkPen(OI_GREEN, width=1), name="since start")
        # x-linked: one time axis, under the last plot (each axis redraw costs ~3 ms)
        self.heap.hideAxis("bottom")
        self.stw.hideAxis("bottom")
        self.follow = FollowX(self.heap)
        # from 0 before any data: auto-range showed GC CPU -0.4..0.4 % and crowded 0..1 µs STW labels
        self.follow.update_y(self.cpu.getViewBox(), 0.0, floor=5.0, cap=105.0)
        self.follow.update_y(self.stw.getViewBox(), 0.0, floor=10.0)
        self.glw.ci.layout.setRowStretchFactor(0, 4)
        self.glw.ci.layout.setRowStretchFactor(1, 1)
        self.glw.ci.layout.setRowStretchFactor(3, 1)
        self._key = None
        self.pause_count = 0
        # limits and verdicts, drawn where they happen: GOMEMLIMIT (steps over time, None = off),
        # the container's limit (the kernel's, not Go's), and the OOM kill
        self.memlimit_steps: list[tuple[int, int]] = []
        self.container_bytes = -1
        self.verdicts: list[tuple[int, str]] = []
        dash = QtCore.Qt.PenStyle.DashLine
        self.memlimit_curve = self.heap.plot(pen=pg.mkPen(theme.foreground, width=2, style=dash))
        self.container_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen(OI_VERMILLION, width=3, style=QtCore.Qt.PenStyle.DotLine),
            label="container limit",
            labelOpts={"position": 0.12, "color": theme.foreground, "anchors": [(0, 1), (0, 1)]},
        )
        self.container_line.hide()
        self.heap.addItem(self.container_line, ignoreBounds=True)
        self._verdict_lines: list[pg.InfiniteLine] = []
        self.mark_font: QtGui.QFont | None = None  # the labels' font (the stage's is larger)
        self.reveal_ns = float("inf")  # reveal mode: no verdict drawn before it happens

    def set_limits(
        self, memlimit_bytes: int | None = None, container_bytes: int | None = None, t_ns: int = 0
    ) -> None:
        """GOMEMLIMIT from `t_ns` on (-1 = off), the container limit (-1 = none)."""
        if memlimit_bytes is not None and (
            not self.memlimit_steps or self.memlimit_steps[-1][1] != memlimit_bytes
        ):
            self.memlimit_steps.append((int(t_ns), int(memlimit_bytes)))
            self._key = None
        if container_bytes is not None:
            self.container_bytes = int(container_bytes)
            self._key = None

    def _set_legend(self, memlimit: bool, container: bool) -> None:
        """The series that have data, and the limit lines only when there are limits to draw."""
        if self._legend_limits == (memlimit, container, self._series_shown):
            return
        self._legend_limits = (memlimit, container, self._series_shown)
        limits = [(self.theme.foreground, "GOMEMLIMIT (dashed)")] if memlimit else []
        limits += [(OI_VERMILLION, "container limit (dotted)")] if container else []
        series = [(colour, label) for field, label, colour, _ in SERIES if field in self._series_shown]
        self.legend.setText(
            legend_html(series)
            + ("&nbsp;&nbsp;" + legend_html(limits) if limits else "")
            + (
                "&nbsp;&nbsp; " + legend_html([(OI_VERMILLION, "assist start ▲"), (OI_BLUE, "assist end ▼")])
                if self.legend_assists
                else ""
            )
            + (
                "&nbsp;&nbsp; GC&nbsp;CPU: "
                + legend_html(
                    [(OI_VERMILLION, f"last {GC_CPU_WINDOW_NS // MS} ms"), (OI_GREEN, "since start")]
                )
                if self.legend_gc_cpu
                else ""
            )
        )

    def reset_limits(self) -> None:
        self.memlimit_steps, self.container_bytes = [], -1
        self.set_verdicts([])

    def set_verdicts(self, verdicts: list[tuple[int, str]]) -> None:
        """Vertical marks at (t_ns, text): the OOM kill, a deadlock."""
        for line in self._verdict_lines:
            self.heap.removeItem(line)
        self._verdict_lines = []
        self.verdicts = list(verdicts)
        for t_ns, text in self.verdicts:
            line = pg.InfiniteLine(
                pos=t_ns / MS,
                angle=90,
                movable=False,
                pen=pg.mkPen(OI_VERMILLION, width=3),
                label=text,
                labelOpts={"position": 0.9, "color": OI_VERMILLION, "anchors": [(1, 0), (1, 0)]},
            )
            if self.mark_font is not None:
                line.label.setFont(self.mark_font)
            self.heap.addItem(line, ignoreBounds=True)
            self._verdict_lines.append(line)

    def _draw_limits(self, now: int) -> float:
        """The GOMEMLIMIT step line to `now` and the container line; returns the highest in MiB."""
        top = 0.0
        xs, ys = [], []
        steps = self.memlimit_steps
        for k, (t, v) in enumerate(steps):
            t_next = steps[k + 1][0] if k + 1 < len(steps) else now
            y = v / MIB if v >= 0 else np.nan
            xs += [t / MS, t_next / MS]
            ys += [y, y]
            if v >= 0:
                top = max(top, v / MIB)
        if xs and not all(np.isnan(ys)):
            self.memlimit_curve.setData(np.array(xs), np.array(ys), connect="finite")
        else:
            self.memlimit_curve.setData([], [])
        self._set_legend(any(v >= 0 for _, v in steps), self.container_bytes >= 0)
        if self.container_bytes >= 0:
            self.container_line.setValue(self.container_bytes / MIB)
            self.container_line.show()
            top = max(top, self.container_bytes / MIB)
        else:
            self.container_line.hide()
        return top

    def refresh(self, model, force: bool = False) -> None:
        key = (
            model.counters.version,
            model.gc.version,
            getattr(getattr(model, "markq", None), "version", 0),
            getattr(getattr(model, "verdicts", None), "version", 0),
            self.reveal_ns,
        )
        if key == self._key and not force:
            return
        self._key = key
        verdicts = getattr(model, "verdicts", None)
        if verdicts is not None:
            shown = [(t, text) for t, text in verdicts.marks() if t <= self.reveal_ns]
            if shown != self.verdicts:
                self.set_verdicts(shown)
        c = model.counters
        if len(c) == 0:
            return
        top_mib = 0.0
        self._series_shown = tuple(field for field, _, _, _ in SERIES if c.col(field).max() > 0)
        for field, _, _, _ in SERIES:
            if field not in self._series_shown:
                self.curves[field].setData([], [])  # no data: no flat line at 0 B, no legend entry
                continue
            t, v = c.decimated(field, 1500)
            self.curves[field].setData(t / MS, v / MIB)
            top_mib = max(top_mib, float(v.max()) / MIB if len(v) else 0.0)
        top_mib = max(top_mib, self._draw_limits(model.now_ns))
        self.follow.update_y(self.heap.getViewBox(), top_mib)
        t, v = c.decimated("gc_cpu_fraction", 1500)
        self.cpu_curve.setData(t / MS, v * 100)
        t = c.col("t_ns")
        w = gc_cpu_windowed(t, c.col("gc_cpu_fraction"), c.col("gomaxprocs"))
        tw, w = thin_max(t, w, 1500)  # a bucket's peak: the limiter's cap stays visible
        self.cpu_window_curve.setData(tw / MS, w * 100)
        peak = 100 * max(float(w.max()) if len(w) else 0.0, float(v.max()) if len(v) else 0.0)
        self.follow.update_y(self.cpu.getViewBox(), peak, floor=5.0, cap=105.0)
        now = model.now_ns
        self.follow.update(now / MS, exact=force)
        self._phase_band(model, now)
        markq = getattr(model, "markq", None)
        if markq is not None:
            self._assists(markq, now, top_mib)
            self._span_queues(markq, now)
        p = model.gc.pauses
        self.pause_count = p.n
        if p.n:
            start, dur = p.col("start_ns"), p.col("duration_ns")
            width_ms = max(now / MS / 400, 1e-4)
            self.bars.setOpts(x=(start + dur / 2) / MS, height=dur / 1e3, width=width_ms)
            self.follow.update_y(self.stw.getViewBox(), float(dur.max()) / 1e3, floor=10.0)
        last = c.last()[0]
        pauses = ""
        if p.n:
            d = p.col("duration_ns")
            r = int(p.col("reason")[-1])
            pauses = f" · STW pauses {p.n}, max {fmt_ns(d.max())}, last {fmt_ns(d[-1])} ({STW_NAMES[r] if 0 <= r < len(STW_NAMES) else r})"  # noqa: E501
        sys_ = f"HeapSys {fmt_bytes(last['heap_sys'])} · " if "heap_sys" in self._series_shown else ""
        self.summary.setText(
            f"HeapAlloc {fmt_bytes(last['heap_alloc'])} · goal {fmt_bytes(last['heap_goal'])} · "
            f"{sys_}GC cycles {int(last['gc_cycles'])} · "
            f"GC CPU {100 * float(last['gc_cpu_fraction']):.1f}%{pauses}"
        )

    def _phase_band(self, model, now: int) -> None:
        cyc = model.gc.all_cycles(now)
        if len(cyc["begin_ns"]) == 0 or now <= 0:
            self.phase.clear()
            return
        width = 2000
        scale = width / now
        img = np.zeros(width, dtype=np.uint8)
        b, mk, md, e = (
            np.asarray(cyc[k], dtype=np.float64) for k in ("begin_ns", "mark_ns", "markdone_ns", "end_ns")
        )
        mk = np.where(mk < 0, e, mk)
        md = np.where(md < 0, e, md)
        covered = {}
        for lo, hi, code in ((b, mk, 1), (mk, md, 2), (md, e, 3)):
            lo_px = np.clip((lo * scale).astype(np.int64), 0, width - 1)
            hi_px = np.clip(np.maximum((hi * scale).astype(np.int64), lo_px + 1), 0, width)
            edges = np.zeros(width + 1, dtype=np.int64)  # +1 where a range starts, -1 past its end
            np.add.at(edges, lo_px, 1)
            np.add.at(edges, hi_px, -1)
            covered[code] = np.cumsum(edges[:-1]) > 0
        # a pixel shared by phases shows the short STW ones first: mark termination, sweep termination
        img[covered[2]] = 2
        img[covered[1]] = 1
        img[covered[3]] = 3
        top = max(
            float(model.counters.col("heap_sys").max()), float(model.counters.col("heap_goal").max()), 1.0
        )
        self.phase.show_image(img[None, :], 0, 0, now / MS, top / MIB * 1.05)

    def _assists(self, markq, now: int, top_mib: float) -> None:
        """Assist start/stop ticks just above the heap plot's floor (GCMarkAssistBegin/End): at 0 the
        axis cut their lower half off."""
        a = markq.assists
        begin = a.col("begin")
        t = a.col("t_ns")
        for item, sel in ((self.assist_begin, begin), (self.assist_end, ~begin)):
            x = thin_ticks(t[sel], now) / MS
            item.setData(x=x, y=np.full(len(x), top_mib * 0.04))

    def _show_spanq(self, on: bool) -> None:
        """The span-queue plot takes a row only when a run has Green Tea queues (a hidden item keeps
        its place in a QGraphicsGridLayout: its height is clamped to nothing instead)."""
        on = on and self.spanq_enabled
        if on == self._spanq_shown:
            return
        self._spanq_shown = on
        self.spanq.setVisible(on)
        self.spanq_legend.setVisible(on)
        self.spanq.setMaximumHeight(1e6 if on else 0)
        self.spanq.setMinimumHeight(0)
        self.glw.ci.layout.setRowStretchFactor(2, 2 if on else 0)

    def _span_queues(self, markq, now: int) -> None:
        """Per-P ring lengths (one curve per P), the shared list, and a tick per stealing drain."""
        if markq.nprocs == 0:
            self._show_spanq(False)
            return
        self._show_spanq(True)
        if self._spanq_legend_n != markq.nprocs:
            self._spanq_legend_n = markq.nprocs
            rings = [(P_COLOURS[p % len(P_COLOURS)], f"P{p}") for p in range(markq.nprocs)]
            self.spanq_legend.setText(
                "Green&nbsp;Tea span&nbsp;queues: "
                + legend_html([*rings, (self.theme.foreground, "shared list")])
                + f'&nbsp; <span style="color:{OI_VERMILLION}">|</span>&nbsp;steal'
            )
        while len(self.ring_curves) < markq.nprocs:
            colour = P_COLOURS[len(self.ring_curves) % len(P_COLOURS)]
            self.ring_curves.append(self.spanq.plot(pen=pg.mkPen(colour, width=1)))
        top = 0.0
        for p, curve in enumerate(self.ring_curves):
            t, n = thin_max(*markq.ring_series(p), MAX_POINTS)
            curve.setData(t / MS, n)
            top = max(top, float(n.max()) if len(n) else 0.0)
        t, n = thin_max(*markq.shared_series(), MAX_POINTS)
        self.shared_curve.setData(t / MS, n)
        top = max(top, float(n.max()) if len(n) else 0.0)
        x = thin_ticks(markq.steals.col("t_ns"), now) / MS
        self.steal_ticks.setData(x=x, y=np.full(len(x), top * 1.02))
        self.follow.update_y(self.spanq.getViewBox(), top * 1.08, floor=4.0)
