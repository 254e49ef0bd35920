"""Heap and GC: HeapAlloc, goal, trigger, HeapSys, HeapReleased, stacks over time; GC cycles shaded
by phase (one raster band); STW pauses as bars (one BarGraphItem); GC CPU fraction."""

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
from ..theme import OI_BLUE, OI_GREEN, OI_ORANGE, OI_PURPLE, OI_SKY, OI_VERMILLION, Theme, rgb
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
        self._set_legend(False, False)
        lay.addWidget(self.legend)
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
        self.cpu = self.glw.addPlot(row=2, col=0)
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
        self.glw.ci.layout.setRowStretchFactor(2, 1)
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
        """The series, and the limit lines only when there are limits to draw."""
        if self._legend_limits == (memlimit, container):
            return
        self._legend_limits = (memlimit, container)
        limits = [(self.theme.foreground, "GOMEMLIMIT (dashed)")] if memlimit else []
        limits += [(OI_VERMILLION, "container limit (dotted)")] if container else []
        self.legend.setText(
            legend_html([(colour, label) for _, label, colour, _ in SERIES])
            + ("&nbsp;&nbsp;" + legend_html(limits) if limits else "")
            + "&nbsp;&nbsp; GC&nbsp;CPU: "
            + legend_html([(OI_VERMILLION, f"last {GC_CPU_WINDOW_NS // MS} ms"), (OI_GREEN, "since start")])
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
        for field, _, _, _ in SERIES:
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
        self.summary.setText(
            f"HeapAlloc {fmt_bytes(last['heap_alloc'])} · goal {fmt_bytes(last['heap_goal'])} · "
            f"HeapSys {fmt_bytes(last['heap_sys'])} · GC cycles {int(last['gc_cycles'])} · "
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
