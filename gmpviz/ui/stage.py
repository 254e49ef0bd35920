"""The stage: a deck of scenes presented full screen (`gmpviz present DECK`, F5 in the window).

Each scene plays a recording (built by `gmpviz deck build`, or on first use) in a player window
(`MainWindow` + `ReplayController`) whose menus, toolbars and status bar never show: the stage takes
the views the scene names out of their docks and lays them out to fill the screen, under a title and
over a caption, in a stage theme (body text >= STAGE_BODY_PX at 1080p, high contrast, Okabe-Ito).

Keys are what presentation clickers send: PageDown, Right, Space play to the next pause point (or
the next scene); PageUp, Left go back; B or . blank the screen; Esc leaves; G jumps to a scene
(digits then G, or a picker); Z and a drag zoom the timeline, Z again returns.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.constants import MS
from ..deck import Deck, Scene
from ..deck.build import build_pair, build_scene
from ..deck.predicates import Stop, pause_points
from ..record import RecordingError
from ..record.bookmarks import load_bookmarks
from ..record.replay import Replay
from .controls import DEFAULT_SPEED
from .theme import Theme, get_theme

REFERENCE_HEIGHT_PX = 1080  # the sizes below are for a 1080p screen, scaled to the real one
STAGE_BODY_PX = 28  # body text: readable from the back of a lecture hall
STAGE_TITLE_PX = 46
STAGE_CAPTION_PX = 34
STAGE_AXIS_PX = 28
STAGE_PEN_PX = 3  # curves: 1 px lines vanish on a projector
SCREENSHOT_SIZE = (1920, 1080)
FRAME_MS = 16
# the views a scene may name -> MainWindow attribute; time plots get the reveal mask
VIEW_ATTR = {
    "timeline": "timeline",
    "runq": "runq",
    "goroutines": "goroutines",
    "heap": "heap",
    "spans": "spans",
    "inspector": "inspector",
    "events": "events",
    "scenario": "scenario_view",
    "assumptions": "assumptions",
}
NEXT_KEYS = (QtCore.Qt.Key.Key_PageDown, QtCore.Qt.Key.Key_Right, QtCore.Qt.Key.Key_Space)
PREV_KEYS = (QtCore.Qt.Key.Key_PageUp, QtCore.Qt.Key.Key_Left)
BLANK_KEYS = (QtCore.Qt.Key.Key_B, QtCore.Qt.Key.Key_Period)


def stage_theme(name: str) -> Theme:
    """The window theme at full contrast: black on white or white on black, brighter idle lanes."""
    base = get_theme(name)
    if base.name == "dark":
        return dataclasses.replace(
            base, background="#000000", panel="#0d0d0d", foreground="#ffffff", grid="#5a5a5a", idle="#4d4d4d"
        )
    return dataclasses.replace(
        base, background="#ffffff", panel="#ffffff", foreground="#000000", grid="#9a9a9a", idle="#c4c4c4"
    )


def stage_stylesheet(theme: Theme, scale: float) -> str:
    px = lambda n: max(1, round(n * scale))  # noqa: E731
    bg, fg = theme.background, theme.foreground
    return f"""
    QWidget {{ background: {bg}; color: {fg}; font-size: {px(STAGE_BODY_PX)}px; }}
    QLabel#stageTitle {{ font-size: {px(STAGE_TITLE_PX)}px; font-weight: bold; }}
    QLabel#stageCaption {{ font-size: {px(STAGE_CAPTION_PX)}px; padding: {px(8)}px {px(24)}px; }}
    QLabel#stageCounter {{ font-size: {px(STAGE_BODY_PX)}px; }}
    QLabel#stageSide {{ font-size: {px(STAGE_BODY_PX)}px; padding: {px(2)}px {px(8)}px; }}
    QTableView, QTableWidget, QTextBrowser, QPlainTextEdit {{ background: {theme.panel}; color: {fg};
        font-size: {px(STAGE_BODY_PX)}px; border: none; }}
    QHeaderView::section {{ background: {theme.panel}; color: {fg}; font-size: {px(STAGE_BODY_PX)}px; }}
    QSplitter::handle {{ background: {theme.grid}; }}
    QWidget#stageBlank {{ background: #000000; }}
    """


LEFT_AXIS_PX = 150


def widget_of(gv, root) -> str:
    """'spans' when the graphics view `gv` belongs to the span heatmap."""
    from .views.span_heatmap import SpanHeatmapView

    w = gv.parentWidget()
    while w is not None and w is not root:
        if isinstance(w, SpanHeatmapView):
            return "spans"
        w = w.parentWidget()
    return ""


def style_plots(widget: QtWidgets.QWidget, theme: Theme, scale: float) -> None:
    """Stage fonts on every pyqtgraph axis under `widget`, and thicker pens."""
    font = QtGui.QFont()
    font.setPixelSize(max(1, round(STAGE_AXIS_PX * scale)))
    for gv in widget.findChildren(pg.GraphicsView):
        for item in gv.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setStyle(tickFont=font, tickTextOffset=max(4, round(8 * scale)))
                item.setTextPen(pg.mkPen(theme.foreground))
                item.setPen(pg.mkPen(theme.foreground))
                if item.labelText:
                    item.setLabel(
                        item.labelText,
                        units=item.labelUnits or None,
                        **{"font-size": f"{round(STAGE_AXIS_PX * scale)}px", "color": theme.foreground},
                    )
                if item.orientation in ("left", "right"):
                    # one width for the stacked, x-linked plots of a view (their x must line up),
                    # enough for "1000" or "global" at 28 px; the heatmap's class labels set their own
                    if widget_of(gv, widget) != "spans":
                        item.setWidth(round(LEFT_AXIS_PX * scale))
                else:
                    item.setHeight(round(80 * scale))
            elif isinstance(item, pg.PlotDataItem):
                pen = item.opts.get("pen")
                if pen is not None:
                    p = pg.mkPen(pen)
                    p.setWidthF(STAGE_PEN_PX * scale)
                    item.setPen(p)


def two_ticks(lo: float, hi: float, size: float) -> list:
    """An AxisItem.tickValues for a plot too short for more labels: 0 and the largest 1, 2 or 5
    times a power of ten in view (three 28 px labels on a 50 px plot ran into each other)."""
    if not hi > 0:
        return [(1.0, [0.0])]
    k = 10.0 ** np.floor(np.log10(hi))
    top = max(m * k for m in (1, 2, 5) if m * k <= hi)
    return [(top, [v for v in (0.0, top) if lo <= v <= hi])]


#: the lane image's width the legends are worked out for: about the timeline's on a 1920 px stage
LEGEND_WIDTH_PX = 1760


def shown_in(tl, model, t0_ns: float, t1_ns: float, m_lanes: bool) -> dict[str, frozenset]:
    """What timeline view `tl` draws of `model` over [t0, t1] (LEGEND_WIDTH_PX columns), for the
    scene's legends: "states" (lane states that colour a pixel of a P lane, or of an M lane when
    shown; STW when a band is in range), "markers" (marker kinds), "scans" (scan kinds drawn in GC
    worker and assist pixels) and "assists" ({True} when an assist starts or ends in the range).
    The same passes as `TimelineView.refresh`, painting nothing."""
    from ..model.timeline import ST_STW, band_raster
    from .views.timeline import DETAIL_SEGMENTS_MAX, SCAN_LUT0, SUBROWS

    width = LEGEND_WIDTH_PX
    ptl = model.ptl
    img = ptl.raster(t0_ns, t1_ns, width)
    segs = [(lane, ptl.segments_in(lane, t0_ns, t1_ns)) for lane in range(ptl.nlanes)]
    drawn = [img]
    if len(img) and sum(len(sg["state"]) for _, sg in segs) <= DETAIL_SEGMENTS_MAX:
        drawn.append(tl._keep_short(segs, img, t0_ns, t1_ns, width))  # short Gs get a pixel too
    if m_lanes and model.mtl.nlanes:
        drawn.append(model.mtl.raster(t0_ns, t1_ns, width))
    states = set().union(*(np.unique(d).tolist() for d in drawn))
    s, e = ptl.stw_bands()
    if band_raster(s, e, t0_ns, t1_ns, width).any():
        states.add(ST_STW)
    scans: set[int] = set()
    if len(img):
        rows = np.zeros((len(img), SUBROWS, width), dtype=np.uint8)
        tl._draw_scan_kinds(model, t0_ns, t1_ns, rows, img, width)
        scans = {int(v) - SCAN_LUT0 for v in np.unique(rows) if v >= SCAN_LUT0}
    markers = {int(k) for k in np.unique(ptl.markers_in(t0_ns, t1_ns)["kind"])}
    markq = getattr(model, "markq", None)
    assists = False
    if markq is not None:
        t = markq.assists.col("t_ns")
        assists = bool(((t >= t0_ns) & (t <= t1_ns)).any())
    return {
        "states": frozenset(int(v) for v in states),
        "markers": frozenset(markers),
        "scans": frozenset(scans),
        "assists": frozenset({True}) if assists else frozenset(),
    }


def us_tick_strings(values, _scale, _spacing) -> list[str]:
    """An AxisItem.tickStrings for a plot in µs whose label has no room for its unit: the unit goes
    on the ticks ("0", "50 µs", "2 ms")."""
    return ["0" if v == 0 else f"{v / 1000:g} ms" if v >= 1000 else f"{v:g} µs" for v in values]


def whole_rows_only(table: QtWidgets.QTableView) -> None:
    """Hide the rows that do not fit whole: a row cut in half at the bottom of a table reads as a
    glitch from the hall. Only for a table shown from its top (the event log scrolls with the
    cursor and keeps its rows)."""
    model = table.model()
    if model is None or table.verticalScrollBar().value() != 0:
        return
    fit = max(table.viewport().height() // max(table.verticalHeader().defaultSectionSize(), 1), 1)
    n = model.rowCount()
    if table.property("wholeRows") == (n, fit):
        return
    table.setProperty("wholeRows", (n, fit))
    for r in range(n):
        table.setRowHidden(r, r >= fit)


def highlighted_goid(reader, scene: Scene) -> int:
    """The G the scene highlights: its `g`, or the first G created in its group `g = "name"`
    (-1: none, or no such group in the recording)."""
    h = scene.highlight
    if not h.g_group:
        return h.g
    from ..core.trace.events import EV
    from ..model.markqueue import arg_column

    if h.g_group not in reader.groups:
        return -1
    want = reader.groups.index(h.g_group)
    col = arg_column(EV.GoCreate, "group")
    for ev in reader.iter_blocks():
        hit = np.flatnonzero((ev["kind"] == EV.GoCreate) & (ev[col] == want))
        if len(hit):
            return int(ev["g"][hit[0]])
    return -1


class SceneView:
    """One scene on the stage: its player window (never shown), the views taken from it, its stops.

    A `compare` scene has a second player window (side B) over the second run's recording: its views
    sit under side A's, x-linked to them (one time axis), and both follow the one cursor (A's stops,
    B seeks to the same virtual time)."""

    def __init__(
        self, scene: Scene, recording: Path, theme: Theme, scale: float, recording_b: Path | None = None
    ) -> None:
        self.scene = scene
        self.replay = Replay.open(str(recording))
        try:
            bookmarks = load_bookmarks(str(recording), self.replay.reader)
        except RecordingError:
            bookmarks = []
        self.stops, self.missing = pause_points(self.replay.reader, scene, bookmarks)
        self.highlight_g = highlighted_goid(self.replay.reader, scene)
        self.t0_ns = min(scene.t_from_ns, self.replay.t_end_ns)
        self.t1_ns = self.replay.t_end_ns if scene.t_to_ns < 0 else min(scene.t_to_ns, self.replay.t_end_ns)
        end = Stop(self.replay.reader.index_at(self.t1_ns), self.t1_ns, None)
        if not self.stops or self.stops[-1].t_ns < self.t1_ns:
            self.stops.append(end)  # the scene's end is its last stop
        self.win = self._player(self.replay, recording, theme)
        self.replay_b: Replay | None = None
        self.win_b = None
        if scene.compare is not None:
            if recording_b is None:
                recording_b = build_pair(scene)[1]
            self.replay_b = Replay.open(str(recording_b))
            self.win_b = self._player(self.replay_b, recording_b, theme)
        self.glanes: list = []  # (GoroutineLanesView, its window)
        self.tables: list[QtWidgets.QTableView] = []
        self.side_heads: list[QtWidgets.QLabel] = []
        self._master = None  # the view box every time plot of the stage is x-linked to
        self.legend_row = None  # a compare scene's lane legend, over both sides
        self.body = self._layout(scene, theme, scale)
        self._legends(scene)
        self._highlight(scene, scale)
        self.stop_k = -1  # the last stop reached; -1 = the scene's start
        self.target: Stop | None = None
        self._zoom_saved = None
        self._init_view(scene)
        self.seek_time(self.t0_ns)

    @property
    def windows(self) -> list:
        return [self.win] if self.win_b is None else [self.win, self.win_b]

    def _player(self, replay: Replay, recording: Path, theme: Theme):
        from .player import player_window

        win = player_window(theme, replay, str(recording), settings=None, interactive=False)
        win.timer.stop()  # the stage drives the frames
        for sc in win.findChildren(QtGui.QShortcut):
            sc.setEnabled(False)  # the player's Space/Left/Right are the clicker's here
        replay.load_all()
        # reveal mode is the player's (its masks and the views' reveal_ns follow the cursor)
        win.controller.set_reveal(self.scene.reveal)
        win.controller.reveal_box.setChecked(self.scene.reveal)
        return win

    def _side_views(self, win, scene: Scene, theme: Theme) -> list:
        """The widgets of the views `scene` names, taken from `win` (glanes made for it)."""
        tl = win.timeline
        tl.m_box.hide()
        tl.cpu_box.hide()  # a control, not a picture: its text alone read as a label "CPU lanes"
        tl.hover.hide()
        if scene.m_lanes:
            tl.m_box.setChecked(True)
        views = []
        for name in scene.views:
            if name == "glanes":  # the stage's own view: one lane per goroutine
                from .views.glanes import GoroutineLanesView

                w = GoroutineLanesView(theme)
                w.plot.setXLink(tl.plot)
                w.highlight_g = max(self.highlight_g, 0)
                self.glanes.append((w, win))
            else:
                w = getattr(win, VIEW_ATTR[name])
            if w not in views:
                views.append(w)
        for w in views:
            for label in w.findChildren(QtWidgets.QLabel):
                label.setWordWrap(label is not tl.ticks_legend)  # (one short line, kept whole)
        if "heap" in scene.views:
            win.heap.summary.hide()  # the numbers at the cursor: too small a thing for a hall
            self._trim_heap(scene, win)
        if "spans" in scene.views:  # its x numbers counted nothing a hall could name
            win.spans.plot.setLabel("bottom", f"spans, one cell each, {win.spans.cols} a row")
        if "spans" in scene.views and "span queues" not in scene.notice:
            # the "mark view" box is a control, not a picture: on stage it only shows in a scene about
            # marking (the heatmap still switches to the mark view by itself while a cycle marks)
            win.spans.mark_box.hide()
        if "runq" in scene.views:
            win.runq.info.hide()
            if self.ring_diagram(scene):
                # the ring diagram: a row per P and the global queue, 28 px labels
                win.runq.glw.ci.layout.setRowStretchFactor(0, 2)
                win.runq.glw.ci.layout.setRowStretchFactor(1, 3)
            else:
                win.runq.glw.removeItem(win.runq.diag)
        if "events" in scene.views:  # the log follows the cursor; its filter box is for a desk
            win.events.filter.hide()
            win.events.follow.hide()
        if "goroutines" in scene.views:  # a 28 px "goroutines" is longer than the plot is tall
            win.goroutines.plot.setLabel("left", "Gs")
            win.goroutines.filter.hide()
        return views

    def _legends(self, scene: Scene) -> None:
        """The timeline's and the heap plot's legends name only what the scene draws in the range it
        shows (both sides of a compare: side A's legend speaks for both): no GC scan kinds in a
        scene without a GC, no assist ticks where nobody assists."""
        z0, z1 = scene.zoom_ns or (self.t0_ns, self.t1_ns)
        t0, t1 = float(z0), float(max(min(z1, self.t1_ns), z0 + 1))
        seen = [shown_in(win.timeline, win.model, t0, t1, scene.m_lanes) for win in self.windows]
        union = {k: frozenset().union(*(s[k] for s in seen)) for k in seen[0]}
        for win in self.windows:
            win.timeline.set_legend_only(union["states"], union["markers"], union["scans"])
            if not union["assists"]:
                win.heap.legend_assists = False
                win.heap._legend_limits = None  # the legend again, without the assist ticks
        if "goroutines" in scene.views:  # the statuses some goroutine had in the range
            from ..model.goroutines import STATUS_SERIES

            counted = set()
            for win in self.windows:
                c = win.model.counters
                t = c.col("t_ns")
                sel = (t >= t0) & (t <= t1)
                counted |= {label for label, col in STATUS_SERIES if (c.col(col)[sel] > 0).any()}
            for win in self.windows:
                win.goroutines.set_legend_only(counted)
            union["statuses"] = frozenset(counted)
        self.legend_shown = union  # (tests ask)

    def ring_diagram(self, scene: Scene) -> bool:
        """The run queue view's ring diagram (a row per P) only where the scene talks about the
        rings, on a whole screen: else the queue lengths over time (7 rows of 28 px labels did not
        fit beside the lanes of GOMAXPROCS 6; half a screen of a compare has no room for them)."""
        return (
            self.win_b is None
            and scene.compare is None
            and bool({"runnext", "local run queues"} & set(scene.notice))
        )

    def _split(self, win, views: list, rows: bool, scale: float) -> QtWidgets.QSplitter:
        split = QtWidgets.QSplitter(
            QtCore.Qt.Orientation.Vertical if rows else QtCore.Qt.Orientation.Horizontal
        )
        split.setChildrenCollapsible(False)
        split.setHandleWidth(max(2, round(4 * scale)))
        for w in views:
            split.addWidget(w)  # out of its dock (or the window's centre) into the stage
            w.show()
        # lanes; the heap plots; a length plot over the ring diagram (5+ rows of 28 px labels)
        runq = 5 if self.ring_diagram(self.scene) else 2
        big = {id(win.timeline): 4, id(win.heap): 5, id(win.runq): runq, id(win.goroutines): 4}
        big.update({id(g): 5 for g, _ in self.glanes})
        split.setSizes([1000 * big.get(id(w), 3) for w in views])
        return split

    def _layout(self, scene: Scene, theme: Theme, scale: float) -> QtWidgets.QWidget:
        sides = [self._side_views(w, scene, theme) for w in self.windows]
        views = sides[0]
        if self.win_b is None:
            rows = scene.layout == "rows" or (
                scene.layout == "auto" and views[0] is self.win.timeline and len(views) > 1
            )
            body = self._split(self.win, views, rows, scale)
        else:
            # side by side on one time axis: A over B, each side's views in a row (columns unless
            # the deck says rows), a heading naming the run
            body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
            body.setChildrenCollapsible(False)
            body.setHandleWidth(max(2, round(6 * scale)))
            c = scene.compare
            for win, vs, who, label in zip(self.windows, sides, "AB", (c.a_label, c.b_label)):
                box = QtWidgets.QWidget()
                lay = QtWidgets.QVBoxLayout(box)
                lay.setContentsMargins(0, 0, 0, 0)
                lay.setSpacing(0)
                head = QtWidgets.QLabel(f"<b>{who}</b> · {html_escape(label)}")
                head.setObjectName("stageSide")
                head.setTextFormat(QtCore.Qt.TextFormat.RichText)
                self.side_heads.append(head)
                lay.addWidget(head)
                lay.addWidget(self._split(win, vs, scene.layout == "rows", scale), 1)
                body.addWidget(box)
            body.setSizes([1000, 1000])
            for w in (self.win_b.timeline.legend, self.win_b.timeline.ticks_legend):
                w.hide()  # the same colours as side A's, said once
            if "timeline" in scene.views:  # side A's lane legend across the whole stage, over both
                head = QtWidgets.QWidget()
                row = QtWidgets.QHBoxLayout(head)
                row.setContentsMargins(0, 0, 0, 0)
                row.addWidget(self.win.timeline.legend, 1)  # (out of the timeline's own head row)
                row.addWidget(self.win.timeline.ticks_legend)
                outer = QtWidgets.QWidget()
                col = QtWidgets.QVBoxLayout(outer)
                col.setContentsMargins(0, 0, 0, 0)
                col.setSpacing(0)
                col.addWidget(head)
                col.addWidget(body, 1)
                self.legend_row = head
                body = outer
        self._link(scene)
        style_plots(body, theme, scale)
        row_px = round(STAGE_BODY_PX * 1.45 * scale)
        font = QtGui.QFont()
        font.setPixelSize(max(1, round(STAGE_BODY_PX * scale)))
        for win, vs in zip(self.windows, sides):
            for w in vs:
                for table in w.findChildren(QtWidgets.QTableView):
                    table.verticalHeader().setDefaultSectionSize(row_px)
                    table.verticalHeader().setMinimumSectionSize(row_px)
                    # no scroll bars: their arrows are glyph boxes at 28 px, and nobody scrolls a stage
                    table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                    table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
                    table.horizontalHeader().setStretchLastSection(True)
                    # fit columns to the rows on screen only (Qt's default measures 1000 rows: with 28 px
                    # text the event log's fit cost 100 ms a frame)
                    table.horizontalHeader().setResizeContentsPrecision(0)
                    table.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
                    self.tables.append(table)
            win.heap.mark_font = win.timeline.mark_font = font
            win.runq.pen_px = STAGE_PEN_PX * scale
            win.runq.id_font = font
            win.heap.container_line.label.setFont(font)
        return body

    TIME_VIEWS = {  # the views with a time axis -> their x view box
        "timeline": lambda w: w.timeline.vb,
        "heap": lambda w: w.heap.follow.vb,
        "runq": lambda w: w.runq.follow.vb,
        "goroutines": lambda w: w.goroutines.follow.vb,
    }

    def _link(self, scene: Scene) -> None:
        """One time axis on the stage: every time plot shown (side B's too) follows the first one
        (side A's timeline when it is shown). Plots stacked over each other line up pixel for pixel
        (pyqtgraph's x-link); side by side they show the same range. Z's zoom moves them all."""
        shown = [f for name, f in self.TIME_VIEWS.items() if name in scene.views]
        if not shown:
            return
        self._master = master = shown[0](self.win)
        for win in self.windows:
            for f in shown:
                vb = f(win)
                if vb is not master:
                    vb.setXLink(master)

    def _highlight(self, scene: Scene, scale: float) -> None:
        """The scene's highlights: one G across the lanes with who-woke-whom arrows, one P's lane,
        one size class's spans, the STW bands drawn strong."""
        h = scene.highlight
        for win in self.windows:
            tl = win.timeline
            tl.id_font.setPixelSize(max(1, round(STAGE_BODY_PX * scale)))
            tl.highlight_px = max(2, round(STAGE_PEN_PX * scale * 1.5))
            tl.marker_px = max(2, round(STAGE_PEN_PX * scale * 1.5))  # ticks seen from the back
            tl.hl_curve.setPen(pg.mkPen(win.theme.foreground, width=tl.highlight_px))
            if self.highlight_g >= 0:
                tl.set_highlight(self.highlight_g, win.controller.wakes_of(self.highlight_g))
            if h.p >= 0:
                tl.highlight_p = h.p
                win.runq.highlight_p = h.p  # its queue too (curves made after this take it)
                if h.p < len(win.runq.local_curves):
                    pen = pg.mkPen(win.runq.local_curves[h.p].opts["pen"])
                    pen.setWidthF(win.runq.pen_px * 2.5)
                    win.runq.local_curves[h.p].setPen(pen)
                win.runq._key = None  # the marked ring row
            if h.stw:
                tl.set_stw_strong(True, min_px=max(3, round(4 * scale)))
            if h.size_class >= 0:
                win.spans.set_highlight_class(h.size_class, width_px=max(2, round(STAGE_PEN_PX * scale)))

    def _trim_heap(self, scene: Scene, win) -> None:
        """Only the heap plots the scene talks about: the STW bars and the GC CPU plot take a third
        of the height otherwise, and each is too short to read from the back of a hall."""
        from .items import timeaxis

        heap = win.heap
        keep_stw = "STW pauses" in scene.notice
        keep_spanq = "span queues" in scene.notice
        keep_cpu = "GC CPU" in scene.notice
        if not keep_cpu:
            heap.glw.removeItem(heap.cpu)
            heap.legend_gc_cpu = False
            heap._legend_limits = None  # the legend again, without the GC CPU entries
        if not keep_stw:
            heap.glw.removeItem(heap.stw)
        if not keep_spanq:  # Green Tea's span queues: a scene about the marker names them
            heap.spanq_enabled = False
            heap._show_spanq(False)
            heap.glw.removeItem(heap.spanq)
        kept = [p for p, on in ((heap.heap, True), (heap.stw, keep_stw), (heap.spanq, keep_spanq)) if on]
        last = heap.cpu if keep_cpu else kept[-1]
        if last is not heap.cpu:
            timeaxis.install(last)
            last.showAxis("bottom")
        if keep_cpu:  # a short plot: three 28 px ticks fit, six overlap; "GC CPU %" is taller than it
            heap.cpu.setLabel("left", "GC %")
            heap.cpu.getAxis("left").setTicks([[(0, "0"), (50, "50"), (100, "100")], []])
        if keep_stw:  # the same for the STW bars: a tick at 0 and one near the top, the unit on it
            heap.stw.setLabel("left", "STW")
            axis = heap.stw.getAxis("left")
            axis.tickValues = two_ticks
            axis.tickStrings = us_tick_strings
        if keep_spanq:
            heap.spanq.getAxis("left").tickValues = two_ticks
        lay = heap.glw.ci.layout
        for row, k in (
            (0, 4),
            (1, 1 if keep_stw else 0),
            (2, 3 if keep_spanq else 0),
            (3, 2 if keep_cpu else 0),
        ):
            lay.setRowStretchFactor(row, k)

    def _init_view(self, scene: Scene) -> None:
        """The scene's time range on every time plot. Called again once the stage has laid the
        views out: x-linked plots line up by their screen geometry, which is only right then."""
        z0, z1 = scene.zoom_ns or (self.t0_ns, self.t1_ns)
        x0, x1 = z0 / MS, max(z1, z0 + 1) / MS
        for win in self.windows:
            tl = win.timeline
            tl.follow = False
            tl.vb.setXRange(x0, x1, padding=0)
            for v in (win.heap, win.runq, win.goroutines):  # one time range on the stage
                v.follow.follow = False
                v.follow.vb.setXRange(x0, x1, padding=0)
        if self._master is not None:  # last: the linked plots follow it (a link goes both ways)
            self._master.setXRange(x0, x1, padding=0)

    def laid_out(self) -> None:
        """The stage has laid the views out: the time ranges again, with the real geometry."""
        self._init_view(self.scene)

    # --- the cursor -----------------------------------------------------------------------------
    @property
    def t_ns(self) -> int:
        return int(self.replay.t_ns)

    def current_stop(self) -> Stop | None:
        return self.stops[self.stop_k] if 0 <= self.stop_k < len(self.stops) else None

    def seek_time(self, t_ns: int) -> None:
        """Both sides' cursors at virtual time `t_ns`."""
        for win in self.windows:
            win.seek_time(t_ns)

    def go_to_stop(self, k: int) -> None:
        """At stop k at once (k = -1: the scene's start)."""
        self.target = None
        self.stop_k = max(-1, min(k, len(self.stops) - 1))
        s = self.current_stop()
        if s is None:
            self.seek_time(self.t0_ns)
        else:
            self.win.seek_index(s.index)
            self.replay.t_ns = s.t_ns
            self.win.controller._sync_controls()
            if self.win_b is not None:  # side B at the same instant (its own events up to it)
                self.win_b.seek_time(s.t_ns)
        self.draw()

    def play_to_next(self) -> bool:
        """Start playing to the next stop; False when there is none (the scene is over)."""
        if self.target is not None:  # a second press while playing: there at once
            self.go_to_stop(self.stop_k + 1)
            return True
        if self.stop_k + 1 >= len(self.stops):
            return False
        self.target = self.stops[self.stop_k + 1]
        return True

    def advance(self, dt_s: float) -> None:
        """Playback toward the target, at the scene's speed."""
        if self.target is None:
            return
        t = self.t_ns + max(1, int(dt_s * self.scene.speed_ns))
        if t >= self.target.t_ns:
            self.go_to_stop(self.stop_k + 1)
            return
        self.seek_time(t)
        self.draw()

    @property
    def masks(self) -> list:
        return self.win.controller.masks

    def draw(self, force: bool = False) -> None:
        for win in self.windows:
            win.refresh_views(slow=True, force=force)
        for view, win in self.glanes:
            view.reveal_ns = win.controller.replay.t_ns if self.scene.reveal else float("inf")
            view.refresh(win.model, force=force)
        for table in self.tables:  # columns as wide as the 28 px text in view, the last one the rest
            table.resizeColumnsToContents()
            head = table.horizontalHeader()
            if head.count():  # (stretched, its text elides with "…" instead of running off the edge)
                head.setSectionResizeMode(head.count() - 1, QtWidgets.QHeaderView.ResizeMode.Stretch)
            whole_rows_only(table)

    # --- zoom -----------------------------------------------------------------------------------
    def toggle_zoom(self) -> bool:
        """Z: the next drag on the timeline zooms to a region; Z again returns. True when zooming."""
        vb = self.win.timeline.vb
        if self._zoom_saved is None:
            self._zoom_saved = vb.viewRange()[0]
            vb.setMouseMode(pg.ViewBox.RectMode)
            vb.setMouseEnabled(x=True, y=True)
            return True
        vb.setMouseMode(pg.ViewBox.PanMode)
        vb.setMouseEnabled(x=True, y=False)
        vb.setXRange(*self._zoom_saved, padding=0)
        self.win.timeline._set_lane_axis(max(len(self.win.timeline._lane_map), 1))
        self._zoom_saved = None
        self.draw()
        return False

    def close(self) -> None:
        for win in self.windows:
            win.timer.stop()
            win.close()
        self.body.deleteLater()
        for win in self.windows:
            win.deleteLater()
        self.replay.reader.close()
        if self.replay_b is not None:
            self.replay_b.reader.close()


class PresenterView(QtWidgets.QWidget):
    """The speaker's screen: notes, the next scene, the elapsed time, the current pause point."""

    def __init__(self, stage: StageWindow) -> None:
        super().__init__()
        self.stage = stage
        self.setWindowTitle("gmpviz — presenter")
        lay = QtWidgets.QVBoxLayout(self)
        self.clock = QtWidgets.QLabel()
        self.clock.setObjectName("stageTitle")
        self.now = QtWidgets.QLabel()
        self.pause = QtWidgets.QLabel()
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(QtCore.Qt.TextFormat.MarkdownText)
        self.next = QtWidgets.QLabel()
        for w in (self.clock, self.now, self.pause, self.notes, self.next):
            lay.addWidget(w)
        lay.addStretch(1)
        self.t_start = time.monotonic()

    def update_from(self, stage: StageWindow) -> None:
        el = int(time.monotonic() - self.t_start)
        self.clock.setText(f"{el // 60:02d}:{el % 60:02d}")
        sv = stage.sv
        if sv is None:
            return
        sc = sv.scene
        self.now.setText(f"scene {sc.index + 1}/{len(stage.deck.scenes)}: {sc.title}")
        s = sv.current_stop()
        nxt = sv.stops[sv.stop_k + 1] if sv.stop_k + 1 < len(sv.stops) else None
        what = lambda st: "the end of the scene" if st.pause is None else st.pause.text  # noqa: E731
        self.pause.setText(
            f"at: {what(s) if s else 'the start'} · next stop: {what(nxt) if nxt else 'the next scene'}"
            + (f" · never reached: {', '.join(p.text for p in sv.missing)}" if sv.missing else "")
        )
        self.notes.setText(sc.notes or sc.caption)
        k = sc.index + 1
        self.next.setText(
            f"next scene: {stage.deck.scenes[k].title}" if k < len(stage.deck.scenes) else "last scene"
        )


class StageWindow(QtWidgets.QWidget):
    """The stage: title, the scene's views, caption; clicker keys; a blank screen."""

    left = QtCore.Signal()

    def __init__(
        self,
        deck: Deck,
        recordings: list[Path] | None = None,
        theme: str | None = None,
        size: tuple[int, int] | None = None,
        presenter: bool | None = None,
        interactive: bool = True,
    ) -> None:
        super().__init__()
        self.deck = deck
        self.recordings = recordings
        self.theme = stage_theme(theme or deck.theme)
        self.interactive = interactive
        self.setWindowTitle(f"gmpviz — {deck.title}")
        h = size[1] if size else (self.screen().geometry().height() if self.screen() else REFERENCE_HEIGHT_PX)
        self.scale = max(0.5, h / REFERENCE_HEIGHT_PX)
        self.setStyleSheet(stage_stylesheet(self.theme, self.scale))
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        lay = QtWidgets.QVBoxLayout(self)
        m = round(16 * self.scale)
        lay.setContentsMargins(m, m // 2, m, m // 2)
        lay.setSpacing(round(8 * self.scale))
        head = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel()
        self.title.setObjectName("stageTitle")
        self.counter = QtWidgets.QLabel()
        self.counter.setObjectName("stageCounter")
        self.counter.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.title, 1)
        head.addWidget(self.counter)
        lay.addLayout(head)
        self.holder = QtWidgets.QVBoxLayout()
        self.holder.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.holder, 1)
        self.caption = QtWidgets.QLabel()
        self.caption.setObjectName("stageCaption")
        self.caption.setTextFormat(QtCore.Qt.TextFormat.MarkdownText)
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.blank = QtWidgets.QWidget(self)
        self.blank.setObjectName("stageBlank")
        self.blank.setAttribute(QtCore.Qt.WidgetAttribute.WA_StyledBackground, True)
        self.blank.hide()
        self.sv: SceneView | None = None
        self.k = -1
        self._digits = ""
        self._last = time.perf_counter()
        if size:
            self.resize(*size)
        self.presenter = None
        screens = QtGui.QGuiApplication.screens()
        if presenter or (presenter is None and interactive and len(screens) > 1):
            self.presenter = PresenterView(self)
            self.presenter.setStyleSheet(stage_stylesheet(self.theme, 0.8))
            others = [s for s in screens if s is not self.screen()]
            if others:
                self.presenter.setGeometry(others[0].availableGeometry())
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._frame)
        QtWidgets.QApplication.instance().installEventFilter(self)

    # --- scenes ---------------------------------------------------------------------------------
    def recording(self, k: int) -> Path:
        if self.recordings is not None:
            return self.recordings[k]
        path, _ = build_scene(self.deck.scenes[k])  # on first use; cached afterwards
        return path

    def show_scene(self, k: int, at_stop: int = -1) -> None:
        k = max(0, min(k, len(self.deck.scenes) - 1))
        if self.sv is not None:
            self.holder.removeWidget(self.sv.body)
            self.sv.body.hide()  # (deleted later: until then it must not be drawn, nor found visible)
            self.sv.close()
            self.sv = None
        scene = self.deck.scenes[k]
        self.k = k
        self.sv = SceneView(scene, self.recording(k), self.theme, self.scale)
        self.holder.addWidget(self.sv.body)
        self.title.setText(scene.title)
        self.caption.setText(scene.caption)
        self.caption.setVisible(bool(scene.caption))
        QtWidgets.QApplication.instance().processEvents()  # lay out before the views draw at their size
        self.sv.laid_out()
        self.sv.go_to_stop(at_stop)
        self._update_counter()

    def next(self) -> None:
        if self.sv is None:
            return
        if not self.sv.play_to_next() and self.k + 1 < len(self.deck.scenes):
            self.show_scene(self.k + 1)
        self._last = time.perf_counter()
        self._update_counter()

    def prev(self) -> None:
        if self.sv is None:
            return
        if self.sv.target is not None:
            self.sv.go_to_stop(self.sv.stop_k)
        elif self.sv.stop_k >= 0:
            self.sv.go_to_stop(self.sv.stop_k - 1)
        elif self.k > 0:
            self.show_scene(self.k - 1)
        self._update_counter()

    def jump(self, number: int | None = None) -> None:
        """G: to scene `number` (1-based); without one, ask (interactive) or stay."""
        if number is None and self.interactive:
            n, ok = QtWidgets.QInputDialog.getInt(
                self, "Go to scene", "Scene:", self.k + 1, 1, len(self.deck.scenes)
            )
            number = n if ok else None
        if number is not None and 1 <= number <= len(self.deck.scenes):
            self.show_scene(number - 1)

    def toggle_blank(self) -> None:
        self.blank.setGeometry(self.rect())
        self.blank.setVisible(not self.blank.isVisible())
        self.blank.raise_()

    def _update_counter(self) -> None:
        sv = self.sv
        if sv is None:
            return
        s = sv.current_stop()
        where = "" if s is None or s.pause is None else f"{s.pause.label or s.pause.text} · "
        self.counter.setText(f"{where}{sv.scene.index + 1} / {len(self.deck.scenes)}")
        if self.presenter is not None:
            self.presenter.update_from(self)

    # --- the frame and the keys -----------------------------------------------------------------
    def start(self) -> None:
        self.timer.start(FRAME_MS)

    def _frame(self) -> None:
        now = time.perf_counter()
        dt, self._last = now - self._last, now
        if self.sv is not None and self.sv.target is not None:
            self.sv.advance(min(dt, 0.1))
            if self.sv.target is None:
                self._update_counter()
        elif self.presenter is not None and self.sv is not None:
            self.presenter.update_from(self)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 (Qt API)
        """The clicker's keys reach the stage whichever child has the focus (the plots eat arrows)."""
        if (
            ev.type() == QtCore.QEvent.Type.KeyPress
            and self.isVisible()
            and isinstance(obj, QtWidgets.QWidget)
        ) and (obj.window() is self or obj.window() is self.presenter):
            return self.key(ev.key(), ev.text())
        return False

    def key(self, key: int, text: str = "") -> bool:
        """One key press; True when the stage used it."""
        k = QtCore.Qt.Key
        if text.isdigit():
            self._digits = (self._digits + text)[-3:]
            return True
        digits, self._digits = self._digits, ""
        if key in NEXT_KEYS:
            self.next()
        elif key in PREV_KEYS:
            self.prev()
        elif key in BLANK_KEYS:
            self.toggle_blank()
        elif key == k.Key_Escape:
            self.leave()
        elif key in (k.Key_G, k.Key_Return, k.Key_Enter):
            self.jump(int(digits) if digits else None)
        elif key == k.Key_Z and self.sv is not None:
            self.sv.toggle_zoom()
        else:
            return False
        return True

    def leave(self) -> None:
        self.timer.stop()
        self.close()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.blank.setGeometry(self.rect())

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self.presenter is not None:
            self.presenter.close()
        if self.sv is not None:
            self.sv.close()
            self.sv = None
        self.left.emit()
        super().closeEvent(event)

    # --- pictures -------------------------------------------------------------------------------
    def render_now(self) -> None:
        app = QtWidgets.QApplication.instance()
        for _ in range(3):
            app.processEvents()
            if self.sv is not None:
                self.sv.draw(force=True)
        app.processEvents()

    def image(self) -> QtGui.QImage:
        self.render_now()
        return self.grab().toImage()


# --- entry points ----------------------------------------------------------------------------------
def _app(theme: str):
    from .app import ensure_app

    return ensure_app(theme)


def _parse_size(text: str) -> tuple[int, int]:
    from ..record.export import parse_size

    return parse_size(text)


def _build_all(deck: Deck, picks=None) -> list[Path] | None:
    """Every scene's recording built (a talk then never waits for the emulator); with `picks`
    (0-based), only those scenes' (an export of one scene), and None: the stage finds them again."""
    from ..deck.build import build_deck, build_pair

    def progress(k, n, scene, built):
        if built:
            print(f"gmpviz: built scene {k}/{n} ({scene.title})", file=sys.stderr)

    if picks is None:
        return build_deck(deck, progress=progress)
    for k in picks:
        progress(k + 1, len(deck.scenes), deck.scenes[k], build_pair(deck.scenes[k])[2])
    return None


def screenshot_scene(
    deck: Deck, k: int, path: str, size=SCREENSHOT_SIZE, theme: str | None = None
) -> tuple[str, list[str]]:
    """Scene k (0-based) at its first pause point, on a stage of `size`, saved as PNG (atomically).
    Returns where the picture is ("its first pause point", or "its end" when no pause point is
    reached) and the labels of the pause points the recording never reaches."""
    from .player import _save_image_atomically

    _app(theme or deck.theme)
    stage = StageWindow(deck, theme=theme, size=size, presenter=False, interactive=False)
    try:
        stage.show()
        stage.show_scene(k, at_stop=0)
        _save_image_atomically(stage.image(), path)
        first = stage.sv.stops[0] if stage.sv.stops else None
        where = "its first pause point" if first is not None and first.pause is not None else "its end"
        return where, [p.text for p in stage.sv.missing]
    finally:
        stage.close()


def run_present(deck: Deck, args) -> int:
    """`gmpviz present DECK [--scene N] [--screen S] [--theme T] [--window] [--screenshot PNG]`."""
    theme = args.theme or deck.theme
    try:
        if args.screenshot:
            where, missing = screenshot_scene(
                deck, args.scene - 1, args.screenshot, _parse_size(args.size), theme
            )
            from ..console import wrote

            if missing:  # the picture is not where the deck says: a rehearsal must hear it
                print(
                    f"gmpviz: warning: scene {args.scene}: pause point(s) never reached in its recording: "
                    + ", ".join(missing),
                    file=sys.stderr,
                )
            print(wrote(args.screenshot, f"scene {args.scene} at {where}"))
            return 0
        recordings = _build_all(deck)
    except (RecordingError, ValueError) as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    app = _app(theme)
    stage = StageWindow(deck, recordings, theme=theme)
    stage.show_scene(args.scene - 1)
    if args.window:
        place_on_screen(stage, deck.screen if args.screen is None else args.screen)
        stage.resize(1600, 900)
        stage.show()
    else:
        show_full_screen(stage, deck.screen if args.screen is None else args.screen)
    if stage.presenter is not None:
        stage.presenter.show()
    stage.start()
    stage.left.connect(app.quit)
    return app.exec()


def place_on_screen(stage: StageWindow, screen_k: int) -> None:
    """The stage on screen `screen_k` (the last one if there are fewer)."""
    screens = QtGui.QGuiApplication.screens()
    if screens:
        stage.setGeometry(screens[min(screen_k, len(screens) - 1)].geometry())


def show_full_screen(stage: StageWindow, screen_k: int) -> None:
    """Full screen on screen `screen_k`: the screen's geometry first, then the full-screen state (an X
    server without a window manager ignores the state: the window kept its 704x720)."""
    place_on_screen(stage, screen_k)
    stage.showFullScreen()


def present_from_window(win, deck: Deck | None = None) -> StageWindow:
    """F5 in the window: the built-in tour (or `deck`) full screen; Esc comes back."""
    from ..deck import load_deck

    deck = deck or load_deck("tour")
    stage = StageWindow(deck, theme=win.theme.name, interactive=win.interactive)
    stage.show_scene(0)
    show_full_screen(stage, deck.screen)
    stage.start()
    return stage


# --- gmpviz deck export ----------------------------------------------------------------------------
TITLE_CARD_S = 2.0
HOLD_AT_STOP_S = 1.5  # a video holds each pause point this long, as a speaker would


def _title_card(deck: Deck, scene: Scene, theme: Theme, size: tuple[int, int]) -> QtGui.QImage:
    w, h = size
    img = QtGui.QImage(w, h, QtGui.QImage.Format.Format_RGB888)
    img.fill(QtGui.QColor(theme.background))
    p = QtGui.QPainter(img)
    scale = h / REFERENCE_HEIGHT_PX
    p.setPen(QtGui.QColor(theme.foreground))
    f = QtGui.QFont()
    f.setPixelSize(round(STAGE_BODY_PX * 1.2 * scale))
    p.setFont(f)
    p.drawText(
        QtCore.QRect(0, round(h * 0.28), w, round(60 * scale)),
        QtCore.Qt.AlignmentFlag.AlignHCenter,
        f"{deck.title} · {scene.index + 1} / {len(deck.scenes)}",
    )
    f.setPixelSize(round(72 * scale))
    f.setBold(True)
    p.setFont(f)
    p.drawText(
        QtCore.QRect(round(w * 0.08), round(h * 0.38), round(w * 0.84), round(h * 0.4)),
        int(QtCore.Qt.AlignmentFlag.AlignHCenter | QtCore.Qt.TextFlag.TextWordWrap),
        scene.title,
    )
    p.end()
    return img


def _rgb32(img: QtGui.QImage, size: tuple[int, int]) -> QtGui.QImage:
    """`img` at `size` in Format_RGB32, what the video encoder takes."""
    w, h = size
    if (img.width(), img.height()) != (w, h):
        img = img.scaled(
            w,
            h,
            QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
            QtCore.Qt.TransformationMode.SmoothTransformation,
        )
    return img.convertToFormat(QtGui.QImage.Format.Format_RGB32)


def _scene_frames(stage: StageWindow, k: int, fps: int, size, cap_s: float | None):
    """The frames of scene k as the stage plays it: its title card, playback at the scene's speed to
    each stop (at most `cap_s` seconds in all), a hold at each stop."""
    from .video import Repeat

    card = _rgb32(_title_card(stage.deck, stage.deck.scenes[k], stage.theme, size), size)
    yield Repeat(card, round(TITLE_CARD_S * fps))  # encoded while the scene is set up
    stage.show_scene(k)
    # the previous scene's windows, deleted now: without an event loop Qt never gets to it, and a
    # 16-scene export held every player window to the end (880 MB). (Not on a key press: the
    # widget the key came from may be one of them.)
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    sv = stage.sv
    spent = 0.0
    step_ns = max(1, int(sv.scene.speed_ns / fps))
    for si, stop in enumerate(sv.stops):
        while sv.t_ns < stop.t_ns and (cap_s is None or spent < cap_s):
            t = min(stop.t_ns, sv.t_ns + step_ns)
            if t >= stop.t_ns:
                sv.go_to_stop(si)
            else:
                sv.seek_time(t)
                sv.draw()  # one refresh: only what the step changed is redrawn
            QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
            yield _rgb32(stage.grab().toImage(), size)
            spent += 1 / fps
        sv.go_to_stop(si)
        stage._update_counter()
        yield Repeat(_rgb32(stage.image(), size), round(HOLD_AT_STOP_S * fps))
        if cap_s is not None and spent >= cap_s:
            break


def _frames_estimate(stage: StageWindow, picks, fps: int, cap_s: float | None) -> int:
    """About how many frames the scenes make (for the progress bar only)."""
    n = 0
    for k in picks:
        sc = stage.deck.scenes[k]
        span_ns = (sc.t_to_ns if sc.t_to_ns > 0 else 1_000_000_000) - sc.t_from_ns
        play_s = span_ns / sc.speed_ns if cap_s is None else min(cap_s, span_ns / sc.speed_ns)
        n += round((TITLE_CARD_S + play_s + HOLD_AT_STOP_S * (len(sc.pauses) + 1)) * fps)
    return max(n, 1)


def export_deck_video(deck: Deck, args) -> int:
    """`gmpviz deck export DECK --video OUT.mp4`: every scene (or --scene ones) as the stage plays
    it, a title card before each, captions burnt in; encoded by the player's video encoder
    (`ui/video.py`: a second thread, x264 ultrafast) to OUT.mp4.part, renamed when done."""
    from ..console import Progress, wrote
    from ..record.export import parse_size, video_encoder_available
    from .player import _remove
    from .video import encode_video

    if not video_encoder_available():
        print("gmpviz: --video needs the PyAV encoder: pip install 'gmpviz[video]'", file=sys.stderr)
        return 2
    try:
        size = parse_size(args.size)
        picks = sorted({n - 1 for n in (args.scene or range(1, len(deck.scenes) + 1))})
        if picks and picks[-1] >= len(deck.scenes):
            raise RecordingError(f"--scene {picks[-1] + 1}: {deck.name} has {len(deck.scenes)} scenes")
        recordings = _build_all(deck, picks)
    except (RecordingError, ValueError) as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    fps = int(args.fps)
    cap_s = getattr(args, "max_seconds", None)
    _app(deck.theme)
    stage = StageWindow(deck, recordings, size=size, presenter=False, interactive=False)
    stage.show()
    out = args.video
    tmp = out + ".part"

    def frames():
        for k in picks:
            yield from _scene_frames(stage, k, fps, size, cap_s)

    try:
        with Progress("video") as progress:
            n = encode_video(tmp, frames(), _frames_estimate(stage, picks, fps, cap_s), fps, size, progress)
            progress(1.0)  # the estimate counts every pause point's hold: a capped scene stops short
        os.replace(tmp, out)
    except BaseException as e:
        _remove(tmp)
        if isinstance(e, OSError) or type(e).__module__.startswith("av"):
            print(f"gmpviz: cannot write the video {out}: {e}", file=sys.stderr)
            return 2
        raise
    finally:
        stage.close()
    print(wrote(out, f"{n} frames, {len(picks)} scene{'s' if len(picks) != 1 else ''}"))
    return 0


def default_speed_x(scene: Scene) -> float:
    """The scene's speed as the player's multiple of its 1x (DEFAULT_SPEED)."""
    return scene.speed_ns / DEFAULT_SPEED
