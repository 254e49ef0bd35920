"""Event log: the newest events (filterable by kind names, G and P); a click moves the timeline there."""

from __future__ import annotations

import re

import numpy as np
from PySide6 import QtCore, QtWidgets

from ...core.trace.events import EV, format_args
from ...model.eventlog import kinds_matching

SHOWN = 5000


class EventTableModel(QtCore.QAbstractTableModel):
    """A Qt model over one EVENT_DTYPE array (rows formatted lazily, only when painted)."""

    HEADERS = ("time (ms)", "event", "P", "M", "G", "arguments")

    def __init__(self) -> None:
        super().__init__()
        self.ev = np.zeros(0)

    def set_events(self, ev: np.ndarray) -> None:
        self.beginResetModel()
        self.ev = ev
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ev)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
        if role != QtCore.Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        r = self.ev[index.row()]
        col = index.column()
        if col == 0:
            return f"{int(r['t_ns']) / 1e6:.6f}"
        if col == 1:
            try:
                return EV(int(r["kind"])).name
            except ValueError:
                return str(int(r["kind"]))
        if col in (2, 3, 4):
            v = int(r[("p", "m", "g")[col - 2]])
            return "" if v < 0 or (col == 4 and v == 0) else str(v)
        try:
            return format_args(int(r["kind"]), r["a0"], r["a1"], r["a2"])
        except (ValueError, KeyError):
            return ""


_G_RE = re.compile(r"\bg\s*=?\s*(\d+)\b", re.I)
_P_RE = re.compile(r"\bp\s*=?\s*(\d+)\b", re.I)


def parse_filter(text: str) -> tuple[set[int] | None, int | None, int | None]:
    """'block, steal g=12 p=1' -> (kinds, goid, p). Words that are not g=/p= match event names."""
    g = _G_RE.search(text)
    p = _P_RE.search(text)
    rest = _P_RE.sub(" ", _G_RE.sub(" ", text))
    words = ",".join(w for w in re.split(r"[,\s]+", rest) if w)
    kinds = kinds_matching(words) if words else None
    return kinds, int(g.group(1)) if g else None, int(p.group(1)) if p else None


class EventLogView(QtWidgets.QWidget):
    time_clicked = QtCore.Signal(float)
    selected = QtCore.Signal(str, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QtWidgets.QHBoxLayout()
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("filter: event names (e.g. 'steal, block'), g=12, p=1")
        self.filter.textChanged.connect(
            lambda _t: self.refresh(self._model, force=True) if self._model else None
        )
        self.follow = QtWidgets.QCheckBox("follow")
        self.follow.setChecked(True)
        row.addWidget(self.filter, 1)
        row.addWidget(self.follow)
        lay.addLayout(row)
        self.table = QtWidgets.QTableView()
        self.model = EventTableModel()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.clicked.connect(self._clicked)
        # a row being read or clicked must not move: no follow updates under the mouse, and a press
        # stops following (the selection stays where it was made)
        self.table.pressed.connect(lambda _i: self.follow.setChecked(False))
        self._hovered = False
        self.table.viewport().installEventFilter(self)
        for col, w in enumerate((95, 130, 32, 32, 48)):
            self.table.setColumnWidth(col, w)
        self.table.verticalHeader().setDefaultSectionSize(20)
        lay.addWidget(self.table)
        self._model = None
        self._key = None

    def refresh(self, model, force: bool = False) -> None:
        self._model = model
        if model is None:
            return
        key = (model.log.version, self.filter.text())
        if key == self._key and not force:
            return
        if not force and self._key is not None and (not self.follow.isChecked() or self._hovered):
            return
        self._key = key
        kinds, g, p = parse_filter(self.filter.text())
        self.model.set_events(model.log.query(kinds=kinds, goid=g, p=p, limit=SHOWN))
        if self.follow.isChecked():
            self.table.scrollToBottom()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        t = event.type()
        if t == QtCore.QEvent.Type.Enter:
            self._hovered = True
        elif t == QtCore.QEvent.Type.Leave:
            self._hovered = False
        return False

    def _clicked(self, index) -> None:
        r = self.model.ev[index.row()]
        self.time_clicked.emit(float(r["t_ns"]))
        if int(r["g"]) > 0:
            self.selected.emit("g", int(r["g"]))
        elif int(r["p"]) >= 0:
            self.selected.emit("p", int(r["p"]))
