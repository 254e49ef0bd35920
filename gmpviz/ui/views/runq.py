"""Run queues: global and per-P local lengths over time, and the current contents of each P's
256-slot ring plus runnext as a small diagram (one RasterItem, cells coloured by goroutine group)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.constants import MS, RUNQ_SIZE
from ...model.timeline import ST_USER0
from ..items import timeaxis
from ..items.raster import RasterItem
from ..theme import GROUP_COLOURS, Theme
from . import FollowX, legend_html

DIAGRAM_GLOBAL_COLS = RUNQ_SIZE + 1  # runnext + ring
CELL_IDS_SHOWN = 256  # G ids drawn in the diagram's cells, when the cells are wide enough


class RunqView(QtWidgets.QWidget):
    selected = QtCore.Signal(str, int)

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.theme = theme
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.legend = QtWidgets.QLabel(" ")
        lay.addWidget(self.legend)
        self.glw = pg.GraphicsLayoutWidget()
        self.glw.setBackground(theme.background)
        lay.addWidget(self.glw, 1)
        self.lens = self.glw.addPlot(row=0, col=0)
        self.lens.setLabel("left", "length")
        timeaxis.install(self.lens)
        self.follow = FollowX(self.lens)
        # the global queue in the foreground colour: the Ps take the group palette (vermillion is P2's
        # neighbour there)
        self.global_colour = theme.foreground
        self.global_curve = self.lens.plot(pen=pg.mkPen(self.global_colour, width=1), name="global")
        self.local_curves: list[pg.PlotDataItem] = []
        self.pen_px = 1  # the per-P curves' width (1 px: wider costs paint time; the stage's are wider)
        self.highlight_p = -1  # one P's queue stands out: its curve 2.5x as wide, its ring row marked
        self.diag = self.glw.addPlot(row=1, col=0)
        self.diag.setLabel("bottom", "runnext | ring slots from head (256)")
        for side in ("left", "bottom"):
            self.diag.getAxis(side).enableAutoSIPrefix(False)
        self.diag.getViewBox().invertY(True)
        self.diag.getViewBox().setMouseEnabled(x=False, y=False)
        self.diag.hideButtons()
        lut = theme.lane_lut().copy()
        lut[0] = (60, 60, 60, 60) if theme.name == "dark" else (220, 220, 220, 255)
        lut[1] = lut[ST_USER0] * 0 + np.array([128, 128, 128, 255], dtype=np.uint8)  # unknown G
        self.cells = RasterItem(lut)
        self.diag.addItem(self.cells)
        # runnext is not a ring slot: a line between them
        self.runnext_line = pg.InfiniteLine(
            pos=1, angle=90, movable=False, pen=pg.mkPen(theme.foreground, width=2)
        )
        self.diag.addItem(self.runnext_line, ignoreBounds=True)
        self.id_font = QtGui.QFont()
        self.id_font.setPixelSize(11)
        self._id_items: list[pg.TextItem] = []
        self._lut = lut
        self.glw.ci.layout.setRowStretchFactor(0, 3)
        self.glw.ci.layout.setRowStretchFactor(1, 2)
        self.info = QtWidgets.QLabel(" ")
        lay.addWidget(self.info)
        self._key = None
        self._rows_g = np.zeros((0, DIAGRAM_GLOBAL_COLS), dtype=np.int64)
        self._row_names: list[str] = []
        self.glw.scene().sigMouseMoved.connect(self._hover)
        self.glw.scene().sigMouseClicked.connect(self._click)
        self._model = None

    def refresh(self, model, force: bool = False) -> None:
        self._model = model
        h = model.runq_hist
        key = (h.version, model.state.events)
        if key == self._key and not force:
            return
        # the curves only follow the history: a player seek changes the state, not the history
        curves_stale = force or self._key is None or self._key[0] != h.version
        self._key = key
        if curves_stale:
            self._curves(h)
            self.follow.update(model.now_ns / MS, exact=force)
        self._diagram(model)

    def _curves(self, h) -> None:
        pts = max(200, 2 * int(self.lens.getViewBox().width()))  # a peak or two per pixel column
        t, v = h.series(-1, pts)
        self.global_curve.setData(t / MS, v)
        if len(self.local_curves) < h.nprocs or not self.legend.text().strip():
            while len(self.local_curves) < h.nprocs:
                i = len(self.local_curves)
                wide = 2.5 if i == self.highlight_p else 1.0
                pen = pg.mkPen(GROUP_COLOURS[i % len(GROUP_COLOURS)], width=self.pen_px * wide)
                self.local_curves.append(self.lens.plot(pen=pen, name=f"P{i}"))
            self.legend.setText(
                legend_html(
                    [(self.global_colour, "global")]
                    + [
                        (GROUP_COLOURS[i % len(GROUP_COLOURS)], f"P{i}")
                        for i in range(len(self.local_curves))
                    ]
                )
            )
        top = float(v.max()) if len(v) else 0.0
        for i, c in enumerate(self.local_curves):
            t, v = h.series(i, pts)
            c.setData(t / MS, v)
            top = max(top, float(v.max()) if len(v) else 0.0)
        self.follow.update_y(self.lens.getViewBox(), top, floor=4.0)

    def _diagram(self, model) -> None:
        st = model.state
        np_ = max(st.gomaxprocs, len(st.runq)) if st.gomaxprocs == 0 else min(st.gomaxprocs, len(st.runq))
        rows = np.zeros((np_ + 1, DIAGRAM_GLOBAL_COLS), dtype=np.int64)
        for p in range(np_):
            rows[p, 0] = st.runnext[p]
            ring = st.runq_contents(p)[:RUNQ_SIZE]
            rows[p, 1 : 1 + len(ring)] = ring
        glob = list(st.globrunq)[:RUNQ_SIZE]
        rows[np_, 1 : 1 + len(glob)] = glob
        self._rows_g = rows
        self._row_names = [f"» P{p}" if p == self.highlight_p else f"P{p}" for p in range(np_)] + ["global"]
        grp = st.g_group[np.clip(rows, 0, len(st.g_group) - 1)].astype(np.int64)
        img = np.where(rows > 0, ST_USER0 + grp, np.where(rows < 0, 1, 0)).astype(np.uint8)
        img[rows == 0] = 0
        big = np.repeat(img, 4, axis=0)
        big[3::4] = 0
        self.cells.show_image(big, 0, 0, DIAGRAM_GLOBAL_COLS, np_ + 1)
        self.diag.getAxis("left").setTicks([[(i + 0.375, n) for i, n in enumerate(self._row_names)], []])
        self.diag.setXRange(
            0, min(DIAGRAM_GLOBAL_COLS, max(16, int(np.count_nonzero(rows.any(axis=0))) + 8)), padding=0
        )  # noqa: E501
        self.diag.setYRange(0, np_ + 1, padding=0.02)
        self._cell_ids(rows, img)
        lens = st.runq_lengths()
        self.info.setText(
            f"global {len(st.globrunq)} · local "
            + " ".join(f"P{p}:{int(lens[p])}{'+1' if st.runnext[p] else ''}" for p in range(np_))
        )

    def _cell_ids(self, rows: np.ndarray, img: np.ndarray) -> None:
        """G ids in the cells wide enough to hold them: which goroutine is in runnext, which next in
        the ring (a stage's 28 px text, or the window's 11 px when zoomed in)."""
        vb = self.diag.getViewBox()
        (x0, x1), _ = vb.viewRange()
        cell_px = vb.width() / max(x1 - x0, 1e-9)
        char_px = max(self.id_font.pixelSize(), 1) * 0.62
        shown = []
        if vb.width() > 0:
            r, c = np.nonzero(rows[:, : int(np.ceil(x1))] > 0)
            for i, j in zip(r.tolist(), c.tolist()):
                g = int(rows[i, j])
                if (len(str(g)) + 1) * char_px + 4 <= cell_px:
                    shown.append((i, j, g, int(img[i, j])))
                if len(shown) >= CELL_IDS_SHOWN:
                    break
        while len(self._id_items) < len(shown):
            item = pg.TextItem(anchor=(0.5, 0.5))
            item.setFont(self.id_font)
            self.diag.addItem(item, ignoreBounds=True)
            self._id_items.append(item)
        for item, (i, j, g, state) in zip(self._id_items, shown):
            rr, gg, bb = (int(v) for v in self._lut[state][:3])
            item.setColor("#000000" if 0.299 * rr + 0.587 * gg + 0.114 * bb > 140 else "#ffffff")
            item.setFont(self.id_font)
            item.setText(f"G{g}")
            item.setPos(j + 0.5, i + 0.375)
            item.show()
        for item in self._id_items[len(shown) :]:
            item.hide()

    def _cell_at(self, pos) -> tuple[int, int] | None:
        vb = self.diag.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return None
        pt = vb.mapSceneToView(pos)
        r, c = int(np.floor(pt.y())), int(np.floor(pt.x()))
        if 0 <= r < len(self._rows_g) and 0 <= c < DIAGRAM_GLOBAL_COLS:
            return r, c
        return None

    def _hover(self, pos) -> None:
        rc = self._cell_at(pos)
        if rc is None:
            return
        r, c = rc
        g = int(self._rows_g[r, c])
        where = "runnext" if c == 0 else f"slot {c - 1} from head"
        self.info.setText(f"{self._row_names[r]} {where}: {'G' + str(g) if g else 'empty'}")

    def _click(self, ev) -> None:
        rc = self._cell_at(ev.scenePos())
        if rc is not None and self._rows_g[rc] > 0:
            self.selected.emit("g", int(self._rows_g[rc]))
