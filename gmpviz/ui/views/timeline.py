"""Per-P (and optionally per-M) timeline: one RasterItem for all lanes, one for STW bands,
line-pair items for steal/hand-off/preempt ticks. Pan and zoom on x; hover describes a span.
A GC worker's or an assist's segment carries a band in its lower rows saying what it scans (markroot
jobs, the Green Tea span queue, the object queue: GCMarkScan)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.constants import MS
from ...core.trace.events import EV, STOP_NAMES, WAIT_REASONS
from ...model.markqueue import SCAN_NAMES
from ...model.timeline import (
    MARKER_NAMES,
    MK_HANDOFF,
    MK_PREEMPT,
    MK_STEAL,
    ST_ASSIST,
    ST_CPUWAIT,
    ST_GC,
    ST_IDLE,
    ST_NONE,
    ST_RUNTIME,
    ST_SPIN,
    ST_STW,
    ST_SYSCALL,
    ST_USER0,
    STATE_NAMES,
    band_raster,
)
from ...ui.items import timeaxis
from ...ui.items.raster import RasterItem
from ..theme import Theme, rgb
from . import FOLLOW_HEADROOM, fmt_ns
from .timeline_detail import TimelineDetail

SUBROWS = 8  # image rows per lane: LANE_ROWS painted, the rest the gap to the next lane
LANE_ROWS = 6
GAP_ROWS = SUBROWS - LANE_ROWS
# steal / hand-off / preempt ticks fill the gap above their lane (inside a lane their colours would
# read as lane states), 2 px wide, in LUT slots no lane state uses; later kinds (rarer) drawn on top
MARKER_PX = 2
MARKER_LUT0 = 253

# what a mark worker or an assist scans (MarkQueueFold's GCMarkScan rows: roots, span queue, object
# queue), a band in the lower SCAN_ROWS rows of its GC worker / GC assist segment, in LUT slots no
# lane state uses
SCAN_ROWS = 2
SCAN_LUT0 = 248
SCAN_COLOURS = ("#56B4E9", "#F0E442", "#CC79A7")  # roots sky, span queue yellow, object queue pink
SCAN_LOOKBACK_ROWS = 4096  # scan rows before the view searched for each P's kind at its left edge

MARKERS_SHOWN = 800  # ticks drawn at most (evenly thinned): more is noise and costs paint time
GAP_STW = 252  # LUT index (no lane state uses it) of the STW band drawn in the gaps between lanes
STW_STRONG = 251  # LUT index of the STW band drawn strong (a scene's `highlight.stw`): full colour
DETAIL_SEGMENTS_MAX = 50_000  # segments in view above which no G ids nor minimum-width marks are drawn
ID_LABELS_SHOWN = 150  # G id labels drawn at most (the widest segments first come first)
ID_FONT_PX = 12
WAKE_ARROWS_SHOWN = 40
STEAL_ARROWS_SHOWN = 8  # victim -> thief arrows drawn when at most this many steals are in view
MIN_X_RANGE_MS = 1e-5  # 10 ns across the whole plot: single events are wide


# steal / hand-off / preempt tick colours, per theme: none repeats a lane state's colour (steal was
# white like STW, preempt yellow like spinning, hand-off vermillion like syscall); each is at least
# 60 RGB units from every state and group colour and reads on the theme's gap colour
MARKER_COLOURS = {
    "dark": ("#FF00C8", "#00E5FF", "#00FFB0"),  # magenta, cyan, aquamarine
    "light": ("#FF00C8", "#7B2CFF", "#9B0000"),  # magenta, violet, dark red
}


VERDICT_COLOUR = "#D55E00"  # Okabe-Ito vermillion: the run's end, drawn as a line over every lane


def marker_colours(theme: Theme) -> tuple[str, str, str]:
    return MARKER_COLOURS["light" if theme.name == "light" else "dark"]


def state_label(state: int, groups: tuple[str, ...]) -> str:
    if state >= ST_USER0:
        g = state - ST_USER0
        return f"G running ({groups[g] if g < len(groups) else f'group {g}'})"
    return STATE_NAMES.get(state, str(state))


def end_reason(kind: int, arg: int) -> str:
    if kind == 0:
        return "still running"
    try:
        name = EV(kind).name
    except ValueError:
        return str(kind)
    if kind == EV.GoBlock and 0 <= arg < len(WAIT_REASONS):
        return f"{name}: {WAIT_REASONS[arg]}"
    if kind == EV.GoStop and 0 <= arg < len(STOP_NAMES):
        return f"{name}: {STOP_NAMES[arg]}"
    return name


class TimelineView(QtWidgets.QWidget):
    """Lanes of what each P (M) runs over virtual time (x axis in ms)."""

    time_clicked = QtCore.Signal(float)  # t_ns
    selected = QtCore.Signal(str, int)  # ("g", goid) / ("p", id) / ("m", id)

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.groups: tuple[str, ...] = ("main",)
        self.follow = True
        self.show_m = False
        self.show_cpu = False  # CPU lanes (model/cpus.py), below the M lanes
        self.ncpu = 0  # the machine's CPUs (0: as many as P lanes, the default ncpu = GOMAXPROCS)
        self.cpu_lanes_drawn = 0  # CPU lanes in the last image (tests ask)
        self._model = None
        self._drawn_key = None
        self._lane_map: list[tuple[str, int]] = []  # row -> ("p"|"m"|"cpu", id)
        self.last_image = np.zeros((0, 0), dtype=np.uint8)
        self._follow_end_ms: float | None = None
        self._geom = None
        self._prev_rasters: list = []
        self._detail = TimelineDetail()  # short marks and G ids over the P lanes
        self.mark_font: QtGui.QFont | None = None  # verdict labels' font (the stage's is larger)
        self.id_font = QtGui.QFont()
        self.id_font.setPixelSize(ID_FONT_PX)
        self._id_items: list[pg.TextItem] = []
        self._id_drawn: list[tuple | None] = []  # what each of them shows (None: hidden)
        self.highlight_g = 0
        self.highlight_p = -1
        # reveal mode (the stage, the player): nothing after this time is drawn over the lanes
        self.reveal_ns = float("inf")  # a P whose lane label is marked (the stage's highlight)
        self.highlight_px = 3
        self.marker_px = MARKER_PX  # a tick's width in columns (the stage's are wider, for a projector)
        # the stage's STW highlight: bands through every lane in full colour, at least stw_min_px wide
        # (a pause of microseconds is a single pixel of a 40 ms view)
        self.stw_strong = False
        self.stw_min_px = 1
        self.stw_columns = 0
        self.scan_columns = 0  # pixel columns of GC lanes banded with what they scan (tests ask)
        self._lane_axis_key = None
        self._lane_y = None
        self.wakes = np.zeros((0, 2), dtype=np.int64)
        self._arrows: list = []
        self._steal_arrows: list = []
        self._steals_key = None  # what the steal arrows were drawn for
        self._arrows_key = None  # what the wake arrows were drawn for

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        head = QtWidgets.QHBoxLayout()
        self.legend = QtWidgets.QLabel()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.m_box = QtWidgets.QCheckBox("M lanes")
        self.m_box.setToolTip("Also show a lane per M (OS thread)")
        self.m_box.toggled.connect(self._toggle_m)
        self.ticks_legend = QtWidgets.QLabel()  # its own label: a wrapped legend broke "hand-off"
        self.ticks_legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        # the state legend may wrap (at its items' plain spaces): the ticks and scans legends beside
        # it must keep the head within the window's width
        self.legend.setWordWrap(True)
        # (lane states, marker kinds, scan kinds) to name, None: all. The stage names only what its
        # scene draws: a legend entry for something never on screen is a question from the hall
        self.legend_only: tuple[frozenset, frozenset, frozenset] | None = None
        head.addWidget(self.legend, 1)
        head.addWidget(self.ticks_legend)
        head.addWidget(self.m_box)
        self.cpu_box = QtWidgets.QCheckBox("CPU lanes")
        self.cpu_box.setToolTip(
            "Also show a lane per CPU: which M (and G) holds it, gaps are idle CPU time; the CPU "
            "numbers are reconstructed (the OS model is symmetric: only occupancy is meaningful)"
        )
        self.cpu_box.toggled.connect(self._toggle_cpu)
        head.addWidget(self.cpu_box)
        lay.addLayout(head)
        self.hover = QtWidgets.QLabel(" ")
        self.hover.setObjectName("timelineHover")
        lay.addWidget(self.hover)

        self.plot = pg.PlotWidget(background=theme.background)
        timeaxis.install(self.plot.getPlotItem())
        # no grid: it costs more to paint than the lanes themselves (measured 3.6 ms a frame)
        self.vb = self.plot.getViewBox()
        self.vb.setMouseEnabled(x=True, y=False)
        self.vb.invertY(True)
        self.vb.setLimits(minXRange=MIN_X_RANGE_MS, xMin=-1.0)
        self.vb.sigRangeChangedManually.connect(self._manual_range)
        self.vb.sigXRangeChanged.connect(self._range_changed)
        # opaque RGB LUT: Qt draws an image without alpha several times faster
        lut = theme.lane_lut()[:, :3].copy()
        bg = np.array(rgb(theme.background), dtype=np.float64)
        lut[ST_NONE] = bg
        lut[GAP_STW] = (bg + (lut[ST_STW] - bg) * 0.4).round()  # STW band through the gaps between lanes
        lut[STW_STRONG] = lut[ST_STW]
        self.image = RasterItem(lut)
        self.plot.addItem(self.image)
        # markers are short vertical ticks painted into the lane image: as QPainter lines they cost
        # more than the lanes (2 px pens go through the stroker)
        for k, colour in enumerate(self._marker_colours()):
            lut[MARKER_LUT0 + k] = rgb(colour)
        for k, colour in enumerate(SCAN_COLOURS):
            lut[SCAN_LUT0 + k] = rgb(colour)
        self.image.set_lut(lut)
        self.hl_curve = self.plot.plot(pen=pg.mkPen(theme.foreground, width=3))
        self.hl_curve.setZValue(14)
        self._hl_drawn = True  # the highlight curve or its arrows may hold something
        lay.addWidget(self.plot, 1)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._mouse_clicked)
        self._update_legend()

    # --- configuration --------------------------------------------------------------------------
    def set_groups(self, groups: tuple[str, ...]) -> None:
        self.groups = tuple(groups)
        self._update_legend()
        self._drawn_key = None

    def set_legend_only(self, states, markers, scans) -> None:
        """Name only these lane states, marker kinds and scan kinds in the legends (the stage)."""
        self.legend_only = (frozenset(states), frozenset(markers), frozenset(scans))
        self._update_legend()

    def _marker_colours(self) -> tuple[str, str, str]:
        return marker_colours(self.theme)

    def _update_legend(self) -> None:
        items = [
            (ST_IDLE, "idle"),
            (ST_SPIN, "spinning"),
            (ST_SYSCALL, "syscall"),
            (ST_STW, "STW"),
            (ST_GC, "GC worker"),
            (ST_ASSIST, "GC assist"),
            (ST_RUNTIME, "runtime G"),
            (ST_CPUWAIT, "no CPU"),
        ]  # noqa: E501
        items += [(ST_USER0 + i, name) for i, name in enumerate(self.groups[:12])]
        ticks = list(zip(self._marker_colours(), MARKER_NAMES))
        scans = list(zip(SCAN_COLOURS, SCAN_NAMES))
        if self.legend_only is not None:
            states, marks, kinds = self.legend_only
            items = [(s, name) for s, name in items if s in states]
            ticks = [t for k, t in enumerate(ticks) if k in marks]
            scans = [c for k, c in enumerate(scans) if k in kinds]
        sw = "".join(
            f'<span style="color:{self.theme.state_colour(s)}">■</span>&nbsp;{name.replace(" ", "&nbsp;")}'
            "&nbsp;&nbsp; "
            for s, name in items
        )
        parts = []
        if ticks:
            parts.append("ticks: " + "&nbsp;".join(f'<b style="color:{c}">|</b>&nbsp;{n}' for c, n in ticks))
        if scans:
            parts.append(
                "scans: "
                + "&nbsp;".join(
                    f'<span style="color:{c}">▂</span>&nbsp;{n.replace(" ", "&nbsp;")}' for c, n in scans
                )
            )
        self.ticks_legend.setText("&nbsp;&nbsp; ".join(parts))
        if not parts:
            self.ticks_legend.hide()  # (never shown again here: a compare stage hides side B's)
        if self.show_cpu:  # the CPU lanes take the colours of what their M runs
            sw += (
                "&nbsp;|&nbsp; CPU lanes: which M holds each CPU (numbering reconstructed), a gap = idle CPU"
            )
        self.legend.setText(sw)

    def set_ncpu(self, ncpu: int) -> None:
        """The machine's CPUs, for the CPU lanes."""
        self.ncpu = max(int(ncpu), 0)
        self._drawn_key = None

    def _toggle_cpu(self, on: bool) -> None:
        self.show_cpu = on
        self._drawn_key = None
        self._update_legend()
        if self._model is not None:
            self.refresh(self._model, force=True)

    def _cpu_count(self, model) -> int:
        return self.ncpu or max(model.ptl.nlanes, 1)

    def _toggle_m(self, on: bool) -> None:
        self.show_m = on
        self._drawn_key = None
        if self._model is not None:
            self.refresh(self._model, force=True)

    def fit(self) -> None:
        """Show the whole run and follow it as it grows."""
        self.follow = True
        self._follow_end_ms = None
        self._drawn_key = None

    def center_on(self, t_ns: float) -> None:
        self.follow = False
        x0, x1 = self.vb.viewRange()[0]
        half = max((x1 - x0) / 2, 0.05)
        self.vb.setXRange(t_ns / MS - half, t_ns / MS + half, padding=0)

    def _manual_range(self, *args) -> None:
        self.follow = False

    def _range_changed(self, *args) -> None:
        self._drawn_key = None

    # --- drawing --------------------------------------------------------------------------------
    def refresh(self, model, force: bool = False) -> None:
        self._model = model
        now = max(model.now_ns, 1)
        # following keeps headroom on the right: the scale stays put for many frames, so only the
        # pixels the new events touch are re-rasterised; the view jumps when the run fills it (a
        # forced refresh, e.g. the final one of a screenshot, fits the run exactly)
        if self.follow and (self._follow_end_ms is None or now / MS > self._follow_end_ms or force):
            self._follow_end_ms = max(now / MS * (1.01 if force else FOLLOW_HEADROOM), 1e-3)
            self.vb.setXRange(0, self._follow_end_ms, padding=0)
        (x0, x1), _ = self.vb.viewRange()
        width = max(int(self.vb.width()), 16)
        key = (
            model.ptl.version,
            model.mtl.version if self.show_m or self.show_cpu else 0,
            self.show_cpu,
            self.ncpu,
            x0,
            x1,
            width,
            self.show_m,
            self.reveal_ns,
        )
        if not force and key == self._drawn_key:
            return
        self._drawn_key = key
        t0, t1 = x0 * MS, x1 * MS
        geom = (x0, x1, width, self.show_m, self.show_cpu, id(model))
        self.last_image = self._raster(model, t0, t1, width, incremental=not force and geom == self._geom)
        self._geom = geom
        img = self.last_image
        nl = img.shape[0]
        if nl == 0:
            self.image.clear()
            return
        s, e = model.ptl.stw_bands()
        on = band_raster(s, e, t0, t1, width) > 0
        if self.stw_strong and self.stw_min_px > 1 and on.any():
            on = np.convolve(on, np.ones(self.stw_min_px), mode="same") > 0
        band = np.where(on, STW_STRONG if self.stw_strong else GAP_STW, ST_NONE).astype(np.uint8)
        self.stw_columns = int(on.sum())  # what a test asks: how many pixel columns the bands cover
        # rows: GAP_ROWS of band above lane 0, then per lane LANE_ROWS of state and GAP_ROWS of band
        big = np.empty((nl * SUBROWS + GAP_ROWS, width), dtype=np.uint8)
        big[:] = band
        lanes = big[GAP_ROWS:].reshape(nl, SUBROWS, width)
        # the segments in view, for the detail drawn over the raster (skipped when so many share the
        # plot that every one is shorter than a pixel: the raster is the whole story then, and the
        # pass would cost more than the raster's incremental update)
        t_hi = min(t1, self.reveal_ns)
        n_in_view = sum(model.ptl.count_in(lane, t0, t_hi) for lane in range(model.ptl.nlanes))
        detail = n_in_view <= DETAIL_SEGMENTS_MAX
        # the short marks and G ids (incremental: only the segments closed since the last frame are
        # looked at while the view stays put); each lane's columns only for a highlighted G
        segs = list(self._p_segments(model, t0, t_hi)) if self.highlight_g > 0 else []
        labels: list[tuple] = []
        if detail:
            kept, labels = self._detail.update(
                model.ptl, img, t0, t1, width, t_hi, self._id_char_px(), ID_LABELS_SHOWN
            )
        else:
            kept = img
            self._detail.reset()
        lanes[:, :LANE_ROWS] = kept[:, None, :]
        self._draw_scan_kinds(model, t0, t1, lanes, img, width)
        if self.stw_strong:
            big[:, on] = STW_STRONG  # through the lanes too: the world stopped, every P with it
        self._draw_markers(model, t0, t1, big, width)
        per_ns, room = width / max(t1 - t0, 1), ID_LABELS_SHOWN - len(labels)
        self._show_ids(labels + self._cpu_ids(t0, t1, per_ns, self._id_char_px(), room))
        self._draw_highlight(model, segs, t0, t1)
        self._draw_steals(model, t0, min(t1, self.reveal_ns + 1))  # the steal at the cursor too
        self._draw_verdicts(model)
        self.image.show_image(big, x0, -GAP_ROWS / SUBROWS, x1 - x0, nl + GAP_ROWS / SUBROWS)
        self._set_lane_axis(nl)

    # --- goroutine identity ---------------------------------------------------------------------
    def _p_segments(self, model, t0: float, t1: float):
        """(lane, segments) of every P lane over [t0, t1)."""
        for lane in range(model.ptl.nlanes):
            yield lane, model.ptl.segments_in(lane, t0, t1)

    def _keep_short(self, segs, img: np.ndarray, t0: float, t1: float, width: int) -> np.ndarray:
        """A minimum-width mark: a goroutine that ran for less than a pixel colours the pixel it
        started in, whatever dominates there (the raster shows one state per pixel, so a short G
        between long ones vanished: chan-pingpong's "ping" behind "pong", cpu-bound's 8 Gs as one
        bar). Where several short ones share a pixel, the first one shows."""
        out = None
        scale = width / max(t1 - t0, 1)
        for lane, seg in segs:
            if lane >= img.shape[0]:
                break
            short = (seg["state"] >= ST_USER0) & ((seg["end_ns"] - seg["start_ns"]) * scale < 1.0)
            if not short.any():
                continue
            px = np.clip(((seg["start_ns"][short] - t0) * scale).astype(np.int64), 0, width - 1)
            st = seg["state"][short]
            first = np.unique(px, return_index=True)[1]
            if out is None:
                out = img.copy()
            out[lane, px[first]] = st[first]
        return img if out is None else out

    def _id_char_px(self) -> float:
        return (self.id_font.pixelSize() if self.id_font.pixelSize() > 0 else 12) * 0.62

    def _draw_ids(self, segs, t0: float, t1: float, width: int) -> None:
        """G ids on the segments wide enough to hold them (at most ID_LABELS_SHOWN). The window's
        frame draws the same from TimelineDetail (timeline_detail.py), incrementally."""
        per_ns = width / max(t1 - t0, 1)
        char_px = self._id_char_px()
        shown = []
        for lane, seg in segs:
            user = seg["state"] >= ST_USER0
            lo, hi = np.maximum(seg["start_ns"], t0), np.minimum(seg["end_ns"], min(t1, self.reveal_ns))
            px = (hi - lo) * per_ns
            goid = seg["goid"]
            need = (np.floor(np.log10(np.maximum(goid, 1))) + 2) * char_px + 8  # "G" + digits + margin
            ok = np.flatnonzero(user & (px >= need))
            for i in ok[: ID_LABELS_SHOWN - len(shown)]:
                shown.append(((lo[i] + hi[i]) / 2 / MS, lane, f"G{int(goid[i])}", int(seg["state"][i])))
            if len(shown) >= ID_LABELS_SHOWN:
                break
        shown += self._cpu_ids(t0, t1, per_ns, char_px, ID_LABELS_SHOWN - len(shown))
        self._show_ids(shown)

    def _show_ids(self, shown: list[tuple]) -> None:
        """The labels `shown` ((x_ms, lane, text, state) each) on the plot."""
        while len(self._id_items) < len(shown):
            item = pg.TextItem(anchor=(0.5, 0.5))
            item.setFont(self.id_font)
            item.setZValue(13)  # under the stage's reveal mask (15)
            self.plot.addItem(item, ignoreBounds=True)
            self._id_items.append(item)
        lut = self.theme.lane_lut()
        drawn = self._id_drawn
        drawn += [None] * (len(self._id_items) - len(drawn))
        # only the labels that changed are touched: a following view at a steady scale keeps nearly all
        # of them from frame to frame, and each Qt call (colour, text, position) costs ~10 µs and a repaint
        for k, (item, label) in enumerate(zip(self._id_items, shown)):
            if drawn[k] == label:
                continue
            x, lane, goid, state = label
            r, g, b = (int(v) for v in lut[state][:3])
            dark_text = 0.299 * r + 0.587 * g + 0.114 * b > 140
            item.setColor("#000000" if dark_text else "#ffffff")
            item.setText(goid)
            item.setPos(x, lane + LANE_ROWS / SUBROWS / 2)
            if drawn[k] is None:
                item.show()
            drawn[k] = label
        for k in range(len(shown), len(self._id_items)):
            if drawn[k] is not None:
                self._id_items[k].hide()
                drawn[k] = None

    def _cpu_ids(self, t0: float, t1: float, per_ns: float, char_px: float, room: int) -> list:
        """The M on each CPU run wide enough to hold "M<id>" (the CPU lanes' labels)."""
        if not self.show_cpu or room <= 0 or self._model is None or ("cpu", 0) not in self._lane_map:
            return []
        cpus = self._model.cpus(self._cpu_count(self._model))
        r = cpus.runs
        row0 = self._lane_map.index(("cpu", 0))
        lo = np.maximum(r["start_ns"], t0)
        hi = np.minimum(r["end_ns"], min(t1, self.reveal_ns))
        need = (np.floor(np.log10(np.maximum(r["m"], 1))) + 2) * char_px + 8
        ok = np.flatnonzero((r["slot"] >= 0) & ((hi - lo) * per_ns >= need))[:room]
        out = []
        for i in ok.tolist():
            mid = (lo[i] + hi[i]) / 2
            seg = cpus.timeline.segment_at(int(r["slot"][i]), int(mid))
            state = seg["state"] if seg is not None else ST_IDLE
            out.append((mid / MS, row0 + int(r["slot"][i]), f"M{int(r['m'][i])}", state))
        return out

    def set_stw_strong(self, on: bool, min_px: int = 3) -> None:
        """The STW bands drawn strong: full colour, through every lane, at least `min_px` wide."""
        self.stw_strong = bool(on)
        self.stw_min_px = max(1, int(min_px))
        self._drawn_key = None

    def set_highlight(self, goid: int, wakes: np.ndarray | None = None) -> None:
        """Draw G `goid` across every lane (0 = none), with who-woke-whom arrows: `wakes` rows are
        (t_ns, waker goid) of its GoUnblock events (ready's caller)."""
        self.highlight_g = int(goid)
        self.wakes = np.zeros((0, 2), dtype=np.int64) if wakes is None else np.asarray(wakes, dtype=np.int64)
        self._drawn_key = None

    def _lane_of(self, model, goid: int, t_ns: int) -> tuple[int, int] | None:
        """(lane, start) of the segment in which `goid` runs at or first after `t_ns`."""
        best = None
        for lane in range(model.ptl.nlanes):
            seg = model.ptl.segments_in(lane, t_ns, np.iinfo(np.int64).max)
            hit = np.flatnonzero((seg["goid"] == goid) & (seg["state"] >= ST_USER0))
            if len(hit):
                start = int(seg["start_ns"][hit[0]])
                if best is None or start < best[1]:
                    best = (lane, start)
        return best

    def _draw_highlight(self, model, segs, t0: float, t1: float) -> None:
        g = self.highlight_g
        if g <= 0:
            if self._hl_drawn:  # setData([], []) on every frame cost ~0.3 ms: it re-laid out the plot
                self._clear_arrows()
                self.hl_curve.setData([], [])
                self._hl_drawn = False
            return
        self._hl_drawn = True
        xs, ys = [], []
        h = LANE_ROWS / SUBROWS
        for lane, seg in segs:
            for i in np.flatnonzero(seg["goid"] == g):
                a, b = max(seg["start_ns"][i], t0) / MS, min(seg["end_ns"][i], t1, self.reveal_ns) / MS
                xs += [a, b, b, a, a, np.nan]
                ys += [lane, lane, lane + h, lane + h, lane, np.nan]
        self.hl_curve.setData(np.array(xs, dtype=float), np.array(ys, dtype=float), connect="finite")
        t_hi = min(t1, self.reveal_ns)
        near = self.wakes[(self.wakes[:, 0] >= t0) & (self.wakes[:, 0] <= t_hi)]
        # the same wake-ups as the last frame (a playing cursor, the view still): the arrows stand
        key = (g, len(near), near[:1].tobytes(), near[-1:].tobytes(), self.highlight_px, model.ptl.nlanes)
        if key == self._arrows_key:
            return
        self._clear_arrows()
        self._arrows_key = key
        pen = pg.mkPen(self.theme.foreground, width=self.highlight_px)
        for t_ns, waker in near[:WAKE_ARROWS_SHOWN]:
            src = self._lane_of(model, int(waker), int(t_ns)) if waker > 0 else None
            dst = self._lane_of(model, g, int(t_ns))
            if dst is None:
                continue
            y0 = (src[0] if src else dst[0]) + h / 2
            x1, y1 = dst[1] / MS, dst[0] + h / 2
            line = pg.PlotCurveItem([t_ns / MS, x1], [y0, y1], pen=pen)
            head = pg.ArrowItem(
                pos=(x1, y1),
                angle=180 - np.degrees(np.arctan2(y1 - y0, 1e-9 + x1 - t_ns / MS)),
                headLen=14,
                brush=self.theme.foreground,
                pen=pen,
            )
            for it in (line, head):
                it.setZValue(14)
                self.plot.addItem(it, ignoreBounds=True)
                self._arrows.append(it)

    def _clear_arrows(self) -> None:
        for a in self._arrows:
            self.plot.removeItem(a)
        self._arrows = []
        self._arrows_key = None

    def _draw_steals(self, model, t0: float, t1: float) -> None:
        """An arrow from the victim's lane to the thief's at each steal, when few enough are in view
        to tell apart (the ticks say where steals are at any zoom). Rebuilt only when the steals in
        view change: a playing cursor in a still view added and removed every arrow each frame."""
        mk = model.ptl.markers
        lo, hi = np.searchsorted(mk.col("t_ns"), [t0, t1])
        key = (int(lo), int(hi), len(mk), self.highlight_px, id(mk))
        if key == self._steals_key:
            return
        self._steals_key = key
        for a in self._steal_arrows:
            self.plot.removeItem(a)
        self._steal_arrows = []
        steals = lo + np.flatnonzero(mk.col("kind")[lo:hi] == MK_STEAL)  # every one, not a sample
        if len(steals) == 0 or len(steals) > STEAL_ARROWS_SHOWN:
            return
        m = {k: mk.col(k)[steals] for k in ("t_ns", "lane", "arg")}
        sel = range(len(steals))
        colour = marker_colours(self.theme)[MK_STEAL]
        pen = pg.mkPen(colour, width=self.highlight_px)
        h = LANE_ROWS / SUBROWS
        for i in sel:
            x = m["t_ns"][i] / MS
            thief, victim = int(m["lane"][i]), int(m["arg"][i])
            if victim < 0 or victim == thief:
                continue
            y0, y1 = victim + h / 2, thief + h / 2
            line = pg.PlotCurveItem([x, x], [y0, y1], pen=pen)
            head = pg.ArrowItem(pos=(x, y1), angle=-90 if y1 > y0 else 90, headLen=14, brush=colour, pen=pen)
            for it in (line, head):
                it.setZValue(14)
                self.plot.addItem(it, ignoreBounds=True)
                self._steal_arrows.append(it)

    def _draw_verdicts(self, model) -> None:
        """A labelled line where the run died: the deadlock ("all goroutines are asleep"), the OOM kill."""
        marks = model.verdicts.marks() if hasattr(model, "verdicts") else []
        marks = [(t, text) for t, text in marks if t <= self.reveal_ns]  # not before it happens
        if marks == getattr(self, "_verdicts_drawn", []):
            return
        for line in getattr(self, "_verdict_lines", []):
            self.plot.removeItem(line)
        self._verdict_lines = []
        for t_ns, text in marks:
            line = pg.InfiniteLine(
                pos=t_ns / MS,
                angle=90,
                movable=False,
                pen=pg.mkPen(VERDICT_COLOUR, width=3),
                label=text,
                labelOpts={"position": 0.06, "color": VERDICT_COLOUR, "anchors": [(1, 0), (1, 0)]},
            )
            line.setZValue(18)
            if self.mark_font is not None:
                line.label.setFont(self.mark_font)
            self.plot.addItem(line, ignoreBounds=True)
            self._verdict_lines.append(line)
        self._verdicts_drawn = marks

    def _raster(self, model, t0: float, t1: float, width: int, incremental: bool) -> np.ndarray:
        """P lanes (+ a blank row and M lanes): only the changed pixels when the window is the same."""
        tls = [model.ptl] + ([model.mtl] if self.show_m and model.mtl.nlanes else [])
        kinds = ["p"] + (["m"] if len(tls) > 1 else [])
        if self.show_cpu:
            # rebuilt from the M lanes (its last segments grow in place): drawn whole every time
            tls.append(model.cpus(self._cpu_count(model)).timeline)
            kinds.append("cpu")
        parts = []
        for j, tl in enumerate(tls):
            prev = self._prev_rasters[j] if incremental and j < len(self._prev_rasters) else None
            if kinds[j] == "cpu":
                prev = None
            if prev is not None and prev[0].shape == (tl.nlanes, width):
                img, marks, marks_now = prev
                px = tl.dirty_from_px(marks, marks_now, t0, t1, width)
                new = tl.raster(t0, t1, width, from_px=px)
                for li, p in enumerate(px):
                    new[li, :p] = img[li, :p]
            else:
                new = tl.raster(t0, t1, width)
            parts.append((new, tl.raster_marks(), tl.now_ns))
        self._prev_rasters = parts
        self._lane_map = [("p", i) for i in range(model.ptl.nlanes)]
        self.cpu_lanes_drawn = tls[-1].nlanes if self.show_cpu else 0
        if len(parts) > 1:
            blank = np.zeros((1, width), dtype=np.uint8)
            imgs = [parts[0][0]]
            for k, tl, part in zip(kinds[1:], tls[1:], parts[1:]):
                self._lane_map += [("", -1)] + [(k, i) for i in range(tl.nlanes)]
                imgs += [blank, part[0]]
            return np.concatenate(imgs)
        return parts[0][0]

    def _timeline_of(self, kind: str):
        if kind == "p":
            return self._model.ptl
        if kind == "cpu":
            return self._model.cpus(self._cpu_count(self._model)).timeline
        return self._model.mtl

    def _set_lane_axis(self, nl: int) -> None:
        hp = self.highlight_p
        ticks = [
            (i + 0.375, f"» {k.upper()}{j}" if (k, j) == ("p", hp) else f"{k.upper()}{j}")
            for i, (k, j) in enumerate(self._lane_map)
            if k
        ]
        key = (tuple(ticks), nl)
        if key == self._lane_axis_key and self.vb.viewRange()[1] == self._lane_y:
            return  # unchanged: setTicks would make the axis draw itself again on every frame
        self._lane_axis_key = key
        self.plot.getAxis("left").setTicks([ticks, []])
        self.vb.setYRange(-0.3, nl + 0.05, padding=0)
        self._lane_y = self.vb.viewRange()[1]

    def _draw_scan_kinds(self, model, t0: float, t1: float, lanes: np.ndarray, img: np.ndarray, width: int):
        """The lower SCAN_ROWS rows of each P lane's GC worker and GC assist pixels: what that P
        scanned last (roots, the span queue, the object queue), from MarkQueueFold's GCMarkScan rows."""
        markq = getattr(model, "markq", None)
        if markq is None or len(markq.scans) == 0:
            return
        self.scan_columns = 0
        t = markq.scans.col("t_ns")
        lo = max(int(np.searchsorted(t, t0, side="left")) - SCAN_LOOKBACK_ROWS, 0)
        hi = int(np.searchsorted(t, t1, side="right"))
        if hi <= lo:
            return
        t, p, what = t[lo:hi], markq.scans.col("p")[lo:hi], markq.scans.col("what")[lo:hi]
        centre = t0 + (np.arange(width) + 0.5) * ((t1 - t0) / width)
        for li in range(min(model.ptl.nlanes, img.shape[0])):
            gc = (img[li] == ST_GC) | (img[li] == ST_ASSIST)
            if not gc.any():
                continue
            sel = p == li
            ts, ws = t[sel], what[sel]
            if not len(ts):
                continue
            k = np.searchsorted(ts, centre, side="right") - 1
            draw = gc & (k >= 0)
            kind = ws[np.clip(k, 0, None)].astype(np.int64)
            draw &= (kind >= 0) & (kind < len(SCAN_COLOURS))
            rows = lanes[li, LANE_ROWS - SCAN_ROWS : LANE_ROWS]  # (SCAN_ROWS, width), a view
            rows[:, draw] = (SCAN_LUT0 + kind[draw]).astype(np.uint8)
            self.scan_columns += int(draw.sum())

    def _draw_markers(self, model, t0: float, t1: float, big: np.ndarray, width: int) -> None:
        """Ticks into the gap rows above each P lane of the image, `marker_px` columns each."""
        m = model.ptl.markers_in(t0, t1, limit=MARKERS_SHOWN)
        px = ((m["t_ns"] - t0) * (width / max(t1 - t0, 1))).astype(np.int64)
        lane, kind = m["lane"].astype(np.int64), m["kind"].astype(np.int64)
        ok = (px >= 0) & (px < width) & (lane >= 0) & (lane < model.ptl.nlanes) & (kind < len(MARKER_NAMES))
        px, lane, kind = px[ok], lane[ok], kind[ok]
        for k in range(len(MARKER_NAMES)):
            sel = kind == k
            for dx in range(self.marker_px):
                cols = np.minimum(px[sel] + dx, width - 1)
                for r in range(GAP_ROWS):  # the gap above lane i: image rows i*SUBROWS ..
                    big[lane[sel] * SUBROWS + r, cols] = MARKER_LUT0 + k

    # --- interaction ----------------------------------------------------------------------------
    def _lane_at(self, y: float) -> tuple[str, int]:
        row = int(np.floor(y))
        if row < 0 or row >= len(self._lane_map) or y - row >= LANE_ROWS / SUBROWS:
            return ("", -1)
        return self._lane_map[row]

    def describe(self, t_ns: float, y: float) -> str:
        kind, lane = self._lane_at(y)
        if not kind or self._model is None:
            return ""
        tl = self._timeline_of(kind)
        seg = tl.segment_at(lane, int(t_ns))
        if seg is None:
            return f"{kind.upper()}{lane} at {fmt_ns(t_ns)}" + (" · idle CPU" if kind == "cpu" else "")
        parts = [f"{kind.upper()}{lane}", state_label(seg["state"], self.groups)]
        if seg["goid"]:
            parts.append(f"G{seg['goid']}")
        if seg["other"] >= 0:
            parts.append(f"{'P' if kind == 'm' else 'M'}{seg['other']}")
        if kind == "cpu":  # a CPU segment ends where its M's lane changed state, or lost the CPU
            parts.append(f"{fmt_ns(seg['end_ns'] - seg['start_ns'])} from {fmt_ns(seg['start_ns'])}")
            return " · ".join(parts)
        parts.append(f"{fmt_ns(seg['end_ns'] - seg['start_ns'])} from {fmt_ns(seg['start_ns'])}")
        parts.append(f"ended by {end_reason(seg['end_kind'], seg['end_arg'])}")
        return " · ".join(parts)

    def _mouse_moved(self, pos) -> None:
        if not self.vb.sceneBoundingRect().contains(pos):
            self.hover.setText(" ")  # off the lanes: no stale description
            return
        pt = self.vb.mapSceneToView(pos)
        text = self.describe(pt.x() * MS, pt.y())
        mk = self._marker_near(pt.x(), pt.y())
        self.hover.setText(text + (f"   [{mk}]" if mk else "") or " ")

    def _marker_near(self, x_ms: float, y: float) -> str:
        if self._model is None:
            return ""
        (x0, x1), _ = self.vb.viewRange()
        tol = (x1 - x0) / max(self.vb.width(), 1) * 5 * MS
        m = self._model.ptl.markers_in(x_ms * MS - tol, x_ms * MS + tol, limit=50)
        row = int(np.floor(y + GAP_ROWS / SUBROWS))  # a lane, or the gap above it where its ticks are
        kind, lane = self._lane_map[row] if 0 <= row < len(self._lane_map) else ("", -1)
        hit = np.flatnonzero(m["lane"] == lane) if kind == "p" else []
        if len(hit) == 0:
            return ""
        # the nearest tick; among ticks in one pixel column the one drawn on top (the rarer kind)
        dist = np.abs(m["t_ns"][hit] - x_ms * MS) // max(tol / 5, 1)
        i = hit[np.lexsort((-m["kind"][hit].astype(np.int64), dist))[0]]
        k = int(m["kind"][i])
        what = MARKER_NAMES[k]
        if k == MK_STEAL:
            what += f" from P{int(m['arg'][i])}"
        elif k in (MK_HANDOFF, MK_PREEMPT) and m["goid"][i]:
            what += f" G{int(m['goid'][i])}"
        return what

    def _mouse_clicked(self, ev) -> None:
        pt = self.vb.mapSceneToView(ev.scenePos())
        t_ns = pt.x() * MS
        self.time_clicked.emit(t_ns)
        kind, lane = self._lane_at(pt.y())
        if not kind or self._model is None:
            return
        seg = self._timeline_of(kind).segment_at(lane, int(t_ns))
        if seg is not None and seg["goid"]:
            self.selected.emit("g", seg["goid"])
        elif kind == "cpu":
            if seg is not None:
                self.selected.emit("m", seg["other"])
        else:
            self.selected.emit(kind, lane)
