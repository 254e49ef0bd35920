"""Goroutine lanes: one lane per G, coloured by its group where it runs (like `go tool trace`'s
goroutine view), for scenes about goroutine identity: cpu-bound's 8 goroutines, ping and pong.

Built from the P timeline's segments in view (`Timeline.segments_in`): a G runs where one of its
segments is, whichever P ran it. At most MAX_G_LANES lanes: the highlighted G first, then by id."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from ...core.constants import MS
from ...model.timeline import ST_NONE, ST_USER0
from ..items import timeaxis
from ..items.raster import RasterItem
from ..theme import Theme, rgb

MAX_G_LANES = 24
ROW_FILL = 0.8  # of a lane's height painted; the rest is the gap to the next lane


class GoroutineLanesView(QtWidgets.QWidget):
    def __init__(self, theme: Theme, parent=None) -> None:
        super().__init__(parent)
        self.theme = theme
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        self.plot = pg.PlotWidget(background=theme.background)
        timeaxis.install(self.plot.getPlotItem())
        self.vb = self.plot.getViewBox()
        self.vb.invertY(True)
        self.vb.setMouseEnabled(x=True, y=False)
        lut = theme.lane_lut()[:, :3].copy()
        lut[ST_NONE] = rgb(theme.background)
        self.image = RasterItem(lut)
        self.plot.addItem(self.image)
        lay.addWidget(self.plot, 1)
        self.highlight_g = 0
        self.reveal_ns = float("inf")
        self.goids = np.zeros(0, dtype=np.int64)
        self._key = None

    def refresh(self, model, force: bool = False) -> None:
        (x0, x1), _ = self.vb.viewRange()
        width = max(int(self.vb.width()), 16)
        key = (model.ptl.version, x0, x1, width, self.reveal_ns, self.highlight_g)
        if key == self._key and not force:
            return
        self._key = key
        t0, t1 = x0 * MS, min(x1 * MS, self.reveal_ns)
        parts = [model.ptl.segments_in(lane, t0, t1) for lane in range(model.ptl.nlanes)]
        cols = {
            k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0)
            for k in ("start_ns", "end_ns", "state", "goid")
        }
        user = cols["state"] >= ST_USER0
        start, end = cols["start_ns"][user], cols["end_ns"][user]
        state, goid = cols["state"][user], cols["goid"][user].astype(np.int64)
        ids = np.unique(goid)
        if self.highlight_g in ids:
            ids = np.r_[self.highlight_g, ids[ids != self.highlight_g]]
        ids = ids[:MAX_G_LANES]
        self.goids = ids
        if len(ids) == 0:
            self.image.clear()
            return
        order = np.argsort(ids)
        pos = np.searchsorted(ids[order], goid)
        pos = np.clip(pos, 0, len(ids) - 1)
        row = np.where(ids[order][pos] == goid, order[pos], -1)
        keep = row >= 0
        scale = width / max(x1 * MS - t0, 1)
        p0 = np.clip(((start[keep] - t0) * scale).astype(np.int64), 0, width - 1)
        p1 = np.clip(
            np.ceil((end[keep] - t0) * scale).astype(np.int64), p0 + 1, width
        )  # >= 1 px: stays visible
        r = row[keep]
        diff = np.zeros((len(ids), width + 1), dtype=np.int64)
        np.add.at(diff, (r, p0), 1)
        np.add.at(diff, (r, p1), -1)
        running = np.cumsum(diff[:, :-1], axis=1) > 0
        colour = np.full(len(ids), ST_NONE, dtype=np.uint8)
        colour[r] = state[keep]
        lanes = np.where(running, colour[:, None], ST_NONE).astype(np.uint8)
        sub = 5
        big = np.full((len(ids) * sub, width), ST_NONE, dtype=np.uint8)
        big.reshape(len(ids), sub, width)[:, : int(sub * ROW_FILL)] = lanes[:, None, :]
        self.image.show_image(big, x0, 0, x1 - x0, len(ids))
        self.plot.getAxis("left").setTicks(
            [[(i + ROW_FILL / 2, f"G{g}") for i, g in enumerate(ids.tolist())], []]
        )
        self.vb.setYRange(-0.1, len(ids), padding=0)
