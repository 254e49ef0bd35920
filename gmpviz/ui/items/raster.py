"""RasterItem: a pg.ImageItem for uint8 index images with a fixed LUT (no auto levels, no copies)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore


class RasterItem(pg.ImageItem):
    """Shows a (rows, cols) uint8 index image through a (256, 4) RGBA LUT over a data rect."""

    def __init__(self, lut: np.ndarray) -> None:
        super().__init__(axisOrder="row-major")
        self.setLookupTable(lut)
        self.setLevels((0, 255))
        self.setAutoDownsample(False)
        self.rows_cols = (0, 0)

    def show_image(self, img: np.ndarray, x0: float, y0: float, w: float, h: float) -> None:
        if img.size == 0 or w <= 0 or h <= 0:
            self.clear()
            return
        self.setImage(img, autoLevels=False, levels=(0, 255))
        self.setRect(QtCore.QRectF(x0, y0, w, h))
        self.rows_cols = img.shape

    def set_lut(self, lut: np.ndarray) -> None:
        self.setLookupTable(lut)
