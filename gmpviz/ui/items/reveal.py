"""Reveal mode: the future of a recording stays hidden until playback reaches it (the stage, and
the player's "reveal" toggle). A rectangle in the background colour covers every time plot from the
cursor on; the timeline also stops drawing its ids, outlines and verdicts there (`reveal_ns`)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

REVEAL_MARGIN_PX = 12


class RevealMask:
    """A rectangle in the background colour over the future of a time plot: the recording's future
    stays hidden until playback reaches it."""

    def __init__(self, vb: pg.ViewBox, colour: str) -> None:
        self.vb = vb
        self.item = QtWidgets.QGraphicsRectItem()
        self.item.setBrush(QtGui.QBrush(QtGui.QColor(colour)))
        self.item.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
        self.item.setZValue(15)  # over the data, under the cursor line (20)
        vb.addItem(self.item, ignoreBounds=True)

    def at(self, t_ms: float) -> None:
        (x0, x1), (y0, y1) = self.vb.viewRange()
        # a few pixels past the cursor: what happens at the cursor itself (the pause point's event,
        # its arrow) stays in view
        left = max(t_ms + REVEAL_MARGIN_PX * (x1 - x0) / max(self.vb.width(), 1), x0)
        if left >= x1:
            self.item.hide()
            return
        pad = (y1 - y0) * 0.05
        # past the right edge too: a 3 px curve's last point there peeked out beside a rect that
        # ended at the edge (the view box clips what lies beyond it)
        right_pad = (x1 - x0) * 0.05
        self.item.setRect(QtCore.QRectF(left, y0 - pad, x1 - left + right_pad, y1 - y0 + 2 * pad))
        self.item.show()


def time_viewboxes(
    win, views: tuple[str, ...] = ("timeline", "runq", "goroutines", "heap")
) -> list[pg.ViewBox]:
    """The time plots of the window's `views`."""
    out = []
    if "timeline" in views:
        out.append(win.timeline.vb)
    if "runq" in views:
        out.append(win.runq.lens.getViewBox())
    if "goroutines" in views:
        out.append(win.goroutines.plot.getViewBox())
    if "heap" in views:
        h = win.heap
        out += [h.heap.getViewBox(), h.stw.getViewBox(), h.spanq.getViewBox(), h.cpu.getViewBox()]
    return out
