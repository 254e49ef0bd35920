"""RasterItem: a pg.ImageItem for uint8 index images with a fixed LUT (no auto levels, no copies)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui


def lut_to_argb32(lut: np.ndarray) -> tuple[np.ndarray, bool]:
    """(256,) uint32 premultiplied ARGB words for a (n, 3|4) uint8 LUT, and whether any is translucent."""
    lut = np.asarray(lut, dtype=np.uint32)
    out = np.zeros(256, dtype=np.uint32)
    n = min(len(lut), 256)
    r, g, b = lut[:n, 0], lut[:n, 1], lut[:n, 2]
    a = lut[:n, 3] if lut.shape[1] > 3 else np.full(n, 255, dtype=np.uint32)
    # premultiplied, as Format_ARGB32_Premultiplied wants (the raster engine's native format)
    r, g, b = (r * a + 127) // 255, (g * a + 127) // 255, (b * a + 127) // 255
    out[:n] = (a << 24) | (r << 16) | (g << 8) | b
    return out, bool((a < 255).any())


class RasterItem(pg.ImageItem):
    """Shows a (rows, cols) uint8 index image through a (256, 3|4) LUT over a data rect.

    The LUT is applied in numpy (one gather into a 32-bit buffer the QImage wraps without a copy):
    pyqtgraph would make an Indexed8 QImage, which Qt's raster engine converts to 32-bit again on
    every scaled draw (~4 ms a frame for the timeline)."""

    def __init__(self, lut: np.ndarray) -> None:
        super().__init__(axisOrder="row-major")
        self.setAutoDownsample(False)
        self.rows_cols = (0, 0)
        self._argb = np.zeros(0, dtype=np.uint32)
        self.set_lut(lut)

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut32, self._translucent = lut_to_argb32(lut)
        self.lut = np.asarray(lut, dtype=np.uint8)  # kept for pyqtgraph's own users of .lut (export, save)
        self._renderRequired = True
        self.update()

    def show_image(self, img: np.ndarray, x0: float, y0: float, w: float, h: float) -> None:
        if img.size == 0 or w <= 0 or h <= 0:
            self.clear()
            return
        self.setImage(img, autoLevels=False, levels=(0, 255))
        self.setRect(QtCore.QRectF(x0, y0, w, h))
        self.rows_cols = img.shape

    def render(self) -> None:
        img = self.image
        self._unrenderable = True
        if img is None or img.size == 0:
            return
        rows, cols = img.shape[:2]
        self._argb = np.take(self._lut32, np.ascontiguousarray(img, dtype=np.uint8))  # owns the pixels
        fmt = QtGui.QImage.Format
        self.qimage = QtGui.QImage(
            self._argb.data,
            cols,
            rows,
            cols * 4,
            fmt.Format_ARGB32_Premultiplied if self._translucent else fmt.Format_RGB32,
        )
        self._renderRequired = False
        self._unrenderable = False
