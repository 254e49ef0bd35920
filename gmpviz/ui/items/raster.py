"""RasterItem: a pg.ImageItem for uint8 index images with a fixed LUT (no auto levels, no copies)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui


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

    def render(self) -> None:
        """pyqtgraph renders a uint8 image with a LUT as an Indexed8 QImage, which the raster paint engine
        converts to 32-bit on every scaled draw (~4 ms a frame for the timeline); convert once here."""
        super().render()
        q = self.qimage
        if q is not None and q.format() == QtGui.QImage.Format.Format_Indexed8:
            fmt = QtGui.QImage.Format
            self.qimage = q.convertToFormat(
                fmt.Format_ARGB32_Premultiplied if q.hasAlphaChannel() else fmt.Format_RGB32
            )

    def set_lut(self, lut: np.ndarray) -> None:
        self.setLookupTable(lut)
