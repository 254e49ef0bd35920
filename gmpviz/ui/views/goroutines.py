"""Goroutines: stacked counts per status over time and a goroutine-profile-like table."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.constants import MS
from ...model.goroutines import STATUS_SERIES, profile, status_series
from ..items import timeaxis
from ..theme import OI_BLUE, OI_ORANGE, OI_SKY, OI_VERMILLION, Theme, rgb
from . import FollowX, legend_html

STATUS_COLOURS = (OI_SKY, OI_ORANGE, OI_VERMILLION, OI_BLUE)


class GoroutinesView(QtWidgets.QWidget):
    selected = QtCore.Signal(str, int)

    def set_legend_only(self, labels) -> None:
        """Name only these statuses in the legend (None: all); the stage drops the ones never counted."""
        pairs = [(c, label) for (label, _), c in zip(STATUS_SERIES, STATUS_COLOURS)]
        self.legend.setText(legend_html([p for p in pairs if labels is None or p[1] in labels], fill=True))

    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.legend = QtWidgets.QLabel()
        self.set_legend_only(None)
        lay.addWidget(self.legend)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        lay.addWidget(split)
        self.plot = pg.PlotWidget(background=theme.background)
        self.plot.setLabel("left", "goroutines")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # counts: never "(x0.001)" at t = 0
        timeaxis.install(self.plot.getPlotItem())
        # stacked areas as curves filled down to 0, the top band drawn first and each lower band over
        # it, in opaque colours pre-blended with the background: FillBetweenItem rebuilt each band's
        # polygon in Python (~9 ms a refresh), a fillLevel curve is one path
        bg = np.array(rgb(theme.background), dtype=np.float64)
        self.follow = FollowX(self.plot)
        self.curves = []
        for i, ((label, _), colour) in enumerate(zip(STATUS_SERIES, STATUS_COLOURS)):
            fill = (bg + (np.array(rgb(colour)) - bg) * 0.55).round().astype(int)
            c = self.plot.plot(
                pen=pg.mkPen(colour, width=1), name=label, fillLevel=0, brush=pg.mkBrush(*fill.tolist())
            )
            c.setZValue(len(STATUS_SERIES) - i)
            self.curves.append(c)
        split.addWidget(self.plot)
        box = QtWidgets.QWidget()
        bl = QtWidgets.QVBoxLayout(box)
        bl.setContentsMargins(0, 0, 0, 0)
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("filter: status, wait reason or group (e.g. 'chan receive')")
        self.filter.textChanged.connect(lambda _t: self._table_refresh(force=True))
        bl.addWidget(self.filter)
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["status", "wait reason", "group", "count", "goroutines"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.cellClicked.connect(self._clicked)
        bl.addWidget(self.table)
        split.addWidget(box)
        split.setStretchFactor(0, 1)  # the table as tall as the plot: it showed one row
        split.setStretchFactor(1, 1)
        split.setSizes([300, 300])
        self.table.setColumnWidth(0, 80)
        self.table.setColumnWidth(1, 120)
        self.table.setColumnWidth(2, 90)
        self.table.setColumnWidth(3, 50)
        self._key = None
        self._model = None
        self.rows: list[tuple] = []

    def refresh(self, model, force: bool = False) -> None:
        self._model = model
        key = (model.counters.version, model.state.events)
        if key == self._key and not force:
            return
        # the curves only follow the counters: a player seek changes the state, not the counters
        curves_stale = force or self._key is None or self._key[0] != model.counters.version
        self._key = key
        t, counts = status_series(model.counters, 800) if curves_stale else ((), None)  # ~2 points a pixel
        if len(t):
            x = t / MS
            acc = np.cumsum(counts, axis=0)
            for c, y in zip(self.curves, acc):
                c.setData(x, y)
            self.follow.update_y(self.plot.getViewBox(), float(acc[-1].max()) if len(x) else 0.0, floor=4.0)
            self.follow.update(model.now_ns / MS, exact=force)
        self._table_refresh()

    def _table_refresh(self, force: bool = False) -> None:
        if self._model is None:
            return
        rows = profile(self._model.state, self._model.groups, self.filter.text())
        if rows == self.rows and not force:
            return
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, (status, reason, group, count, sample) in enumerate(rows):
            more = " …" if count > len(sample) else ""
            for j, v in enumerate(
                (status, reason, group, str(count), " ".join(f"G{g}" for g in sample) + more)
            ):
                item = QtWidgets.QTableWidgetItem(v)
                if j == 3:
                    item.setTextAlignment(
                        QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, j, item)

    def _clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.rows) and self.rows[row][4]:
            self.selected.emit("g", int(self.rows[row][4][0]))
