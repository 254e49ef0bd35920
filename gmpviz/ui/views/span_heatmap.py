"""Span heatmap: a cell per span (per run of spans when the heap is large), grouped by size class,
coloured by state and occupancy (allocCount/nelems) through a fixed LUT (uint8, autoLevels off).

While Green Tea marks, the same cells switch to the mark view (model/spans.py mark_heatmap): each
span is unseen, queued on a P's ring, on the shared list, being scanned or scanned, shaded by the
share of its slots seen; spans allocated during marking are black. Hovering or clicking a span
shows its spanScanOwnership (Unowned, OneMark, ManyMark) and the P that holds or scans it. The
"mark view" box keeps the last cycle's mark picture after marking ends."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...model.spans import CLASS_BYTES, LUT_LEVELS, MARK_DRAW_NAMES, MARK_LEVELS, SPAN_STATE_NAMES
from ..items.raster import RasterItem
from ..theme import Theme

COLS = 64


def mark_text(mi: dict) -> str:
    """One line of a span's Green Tea state (SpanTable.mark_info)."""
    who = ""
    if mi["p"] >= 0:
        verb = {"on a P's ring": "queued on", "being scanned": "scanned by", "scanned": "scanned by"}
        who = f" · {verb.get(mi['mark_state'], 'P')} P{mi['p']}"
    return (
        f"mark: {mi['mark_state']} · {mi['ownership']}{who} · seen {mi['seen']}/{mi['nelems']}, "
        f"scanned {mi['scanned']}"
    )


class SpanHeatmapView(QtWidgets.QWidget):
    selected = QtCore.Signal(str, int)

    def __init__(self, theme: Theme, parent=None, cols: int = COLS, max_cells: int = 512 * 512) -> None:
        super().__init__(parent)
        self.theme = theme
        self.cols = cols
        self.max_cells = max_cells
        # the player's: the layout is redone from the span table at every refresh, so the picture
        # at an instant is the same however the cursor got there (the live window keeps cells put)
        self.fresh_layout = False
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lut = theme.heatmap_lut()
        legend = []
        for st in range(1, len(SPAN_STATE_NAMES)):
            r, g, b, _ = lut[1 + (st - 1) * LUT_LEVELS + LUT_LEVELS - 1]
            name = SPAN_STATE_NAMES[st].replace(" ", "&nbsp;")  # wrapped between names, never inside
            legend.append(f'<span style="color:#{r:02x}{g:02x}{b:02x}">■</span>&nbsp;{name}')
        self.heap_legend = "&nbsp;&nbsp;".join(legend) + " &nbsp; (brighter = fuller)"
        mlut = theme.mark_lut()
        self.mark_lut = mlut[:, :3].copy()
        self.heap_lut = lut[:, :3].copy()
        marks = []
        for st in range(1, len(MARK_DRAW_NAMES)):
            r, g, b, _ = mlut[1 + st * MARK_LEVELS + MARK_LEVELS - 1]
            name = MARK_DRAW_NAMES[st].replace(" ", "&nbsp;")
            marks.append(f'<span style="color:#{r:02x}{g:02x}{b:02x}">■</span>&nbsp;{name}')
        self.mark_legend = (
            "<b>Green Tea mark</b>: " + "&nbsp;&nbsp;".join(marks) + " &nbsp; (brighter = more seen)"
        )
        top = QtWidgets.QHBoxLayout()
        self.legend = QtWidgets.QLabel(self.heap_legend)
        self.legend.setWordWrap(True)
        top.addWidget(self.legend, 1)
        self.mark_box = QtWidgets.QCheckBox("mark view")
        self.mark_box.setToolTip(
            "Green Tea marking, span by span: shown by itself while a cycle marks; checked, the last "
            "cycle's mark picture stays after marking ends"
        )
        self.mark_box.toggled.connect(lambda _on: self._model is not None and self.refresh(self._model, True))
        top.addWidget(self.mark_box)
        lay.addLayout(top)
        self.showing_marks = False
        self.plot = pg.PlotWidget(background=theme.background)
        self.plot.getViewBox().invertY(True)
        self.plot.getViewBox().setAspectLocked(False)
        self.plot.setLabel("left", "size class")
        for side in ("left", "bottom"):  # before any span: "size class (x0.001)" over a -0.5..0.5 range
            self.plot.getAxis(side).enableAutoSIPrefix(False)
        self.image = RasterItem(lut[:, :3].copy())  # opaque: faster to draw
        self.plot.addItem(self.image)
        lay.addWidget(self.plot, 1)
        self.info = QtWidgets.QLabel(" ")
        lay.addWidget(self.info)
        self.ids = np.full((1, cols), -1, dtype=np.int64)
        self.img = np.zeros((1, cols), dtype=np.uint8)
        self._key = None
        self._hovering = False
        self.counts_text = " "
        self._layout_key = None
        self._model = None
        # the stage's highlight of one size class: its rows outlined, the others dimmed
        self.highlight_class = -1
        self.hl_rows = (0, 0)  # [first, last) row of the highlighted class in the last picture
        self.hl_rect = QtWidgets.QGraphicsRectItem()
        self.hl_rect.setZValue(20)
        self.hl_dim = [QtWidgets.QGraphicsRectItem() for _ in range(2)]  # above and below the class
        dim = QtGui.QColor(theme.background)
        dim.setAlpha(170)
        for it in self.hl_dim:
            it.setBrush(QtGui.QBrush(dim))
            it.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
            it.setZValue(19)
        for it in (self.hl_rect, *self.hl_dim):
            it.hide()
            self.plot.addItem(it)
        self.set_highlight_class(-1)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._click)

    def mark_view_on(self, model) -> bool:
        """Marking now (Green Tea), or the box asks for the last cycle's picture."""
        sp = model.spans
        return sp.marking == 1 or (sp.marking == 2 and self.mark_box.isChecked())

    def refresh(self, model, force: bool = False) -> None:
        self._model = model
        marks = self.mark_view_on(model)
        # while marking, scan windows open and close with time alone
        key = (model.spans.version, id(model.spans), marks, model.now_ns if marks else 0)
        if key == self._key and not force:
            return
        self._key = key
        self.img, ids = model.spans.heatmap(self.cols, self.max_cells, fresh_layout=self.fresh_layout)
        if marks != self.showing_marks:
            self.showing_marks = marks
            self.image.set_lut(self.mark_lut if marks else self.heap_lut)
            self.legend.setText(self.mark_legend if marks else self.heap_legend)
        if marks:
            self.img = model.spans.mark_heatmap(model.now_ns)
        rows = self.img.shape[0]
        self.image.show_image(self.img, 0, 0, self.cols, rows)
        # (the view's height too: which labels fit depends on it)
        layout = (model.spans.layout_serial, self.cols, self.max_cells, id(model.spans), self._axis_px())
        if force or layout != self._layout_key or ids.shape != self.ids.shape:
            self._layout_key = layout
            self.ids = ids
            self._axis(model, rows)
        self._draw_highlight(model, rows)
        counts = model.spans.counts_by_state()
        if counts[1:].sum() == 0:
            self.counts_text = "no heap spans yet: nothing in this run has allocated"
        elif marks:
            mc = model.spans.mark_counts(model.now_ns)
            self.counts_text = f"GC {model.spans.mark_cycle} mark: " + " · ".join(
                f"{MARK_DRAW_NAMES[i]} {int(mc[i])}" for i in (1, 2, 3, 6, 4, 5)
            )
        else:
            self.counts_text = " · ".join(
                f"{SPAN_STATE_NAMES[i]} {int(counts[i])}" for i in range(1, len(SPAN_STATE_NAMES))
            )
        if not self._hovering:
            self.info.setText(self.counts_text)

    def set_highlight_class(self, size_class: int, width_px: float = 3) -> None:
        """Outline size class `size_class`'s rows and dim the others (-1: none)."""
        self.highlight_class = int(size_class)
        pen = QtGui.QPen(QtGui.QColor(self.theme.foreground))
        pen.setWidthF(width_px)
        pen.setCosmetic(True)
        self.hl_rect.setPen(pen)
        self._layout_key = None  # the axis keeps the class's label
        if self._model is not None:
            self.refresh(self._model, force=True)

    def _draw_highlight(self, model, rows: int) -> None:
        hit = (
            np.flatnonzero(model.spans.row_classes() == self.highlight_class)
            if self.highlight_class >= 0
            else []
        )
        if not len(hit):
            self.hl_rows = (0, 0)
            for it in (self.hl_rect, *self.hl_dim):
                it.hide()
            return
        lo, hi = int(hit[0]), int(hit[-1]) + 1
        self.hl_rows = (lo, hi)
        self.hl_rect.setRect(QtCore.QRectF(0, lo, self.cols, hi - lo))
        self.hl_dim[0].setRect(QtCore.QRectF(0, -1, self.cols, lo + 1))
        self.hl_dim[1].setRect(QtCore.QRectF(0, hi, self.cols, max(rows, 8) - hi + 1))
        for it in (self.hl_rect, *self.hl_dim):
            it.show()

    def _axis(self, model, rows: int) -> None:
        """A tick at the first row of every size class; the ranges. Only when the layout changes."""
        sc = model.spans.row_classes()
        ticks, last = [], -2
        for r, c in enumerate(sc.tolist()):
            if c != last and c >= 0:
                ticks.append(
                    (r + 0.5, f"{c} ({CLASS_BYTES[c] if c < len(CLASS_BYTES) else '?'} B)" if c else "large")
                )
                last = c
        # labels a line apart at the view's height: a class of one row beside a class of many put
        # "9 (112 B)" over "35 (1152 B)"; the highlighted class keeps its label, thinned or not
        top = max(rows, 8)
        height_px, line_px = self._axis_px()
        gap_rows = 1.15 * line_px * (1.04 * top) / max(height_px, 1)
        mine = []
        if self.highlight_class >= 0:
            name = str(self.highlight_class) if self.highlight_class else "large"
            mine = [t for t in ticks if t[1].split(" ")[0] == name]
        shown = list(mine)
        for t in ticks:
            if t not in mine and all(abs(t[0] - u[0]) >= gap_rows for u in shown):
                shown.append(t)
        self.plot.getAxis("left").setTicks([sorted(shown), []])
        self.plot.setXRange(0, self.cols, padding=0)
        # room above the first row: the first class's label is centred on it and was cut in half
        self.plot.setYRange(-0.04 * top, top, padding=0)

    def _axis_px(self) -> tuple[int, int]:
        """(the plot's height, a tick label's line height) in pixels."""
        axis = self.plot.getAxis("left")
        font = axis.style.get("tickFont") or self.plot.font()
        return int(self.plot.getViewBox().height()), QtGui.QFontMetrics(font).height()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        # the labels that fit at the new height, once the plot inside has its new size
        QtCore.QTimer.singleShot(0, self, self._relabel)  # (none once the view is gone)

    def _relabel(self) -> None:
        if (
            self._model is not None
            and self._layout_key is not None
            and self._layout_key[-1] != self._axis_px()
        ):
            self._axis(self._model, self.img.shape[0])
            self._layout_key = (*self._layout_key[:-1], self._axis_px())

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._hovering = False
        self.info.setText(self.counts_text)
        super().leaveEvent(event)

    def _span_at(self, pos) -> int:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return -1
        pt = vb.mapSceneToView(pos)
        r, c = int(np.floor(pt.y())), int(np.floor(pt.x()))
        if 0 <= r < self.ids.shape[0] and 0 <= c < self.ids.shape[1]:
            return int(self.ids[r, c])
        return -1

    def describe(self, span: int) -> str:
        if self._model is None:
            return ""
        i = self._model.spans.info(span)
        if i is None:
            return ""
        owner = f" · owner P{i['owner_p']}" if i["owner_p"] >= 0 else ""
        text = (
            f"span {span} · class {i['sizeclass']} ({i['elemsize']} B{', noscan' if i['noscan'] else ''}) · "
            f"{i['npages']} pages · {i['alloc_count']}/{i['nelems']} objects · {i['state']}{owner}"
        )
        if self.showing_marks:
            mi = self._model.spans.mark_info(span, self._model.now_ns)
            if mi is not None:
                text += " · " + mark_text(mi)
        return text

    def _hover(self, pos) -> None:
        s = self._span_at(pos)
        self._hovering = s >= 0
        self.info.setText(self.describe(s) if s >= 0 else self.counts_text)  # an empty cell: the totals

    def _click(self, ev) -> None:
        s = self._span_at(ev.scenePos())
        if s >= 0:
            self.selected.emit("span", s)
