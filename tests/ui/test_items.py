"""Small view parts on their own: the raster item's colours and the time axis follower."""

import numpy as np
import pyqtgraph as pg
from PySide6 import QtGui

from gmpviz.ui.items.raster import RasterItem, lut_to_argb32
from gmpviz.ui.views import FOLLOW_HEADROOM, FollowX


def test_lut_to_argb32_is_premultiplied():
    lut = np.array([[255, 0, 0, 255], [200, 100, 50, 128]], dtype=np.uint8)
    words, translucent = lut_to_argb32(lut)
    assert translucent and words[0] == 0xFFFF0000
    a, r, g, b = words[1] >> 24, (words[1] >> 16) & 255, (words[1] >> 8) & 255, words[1] & 255
    assert (a, r, g, b) == (128, 100, 50, 25)
    assert not lut_to_argb32(lut[:, :3])[1]


def test_raster_item_paints_lut_colours(qtbot):
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[1], lut[2] = (230, 159, 0), (0, 114, 178)
    item = RasterItem(lut)
    item.show_image(np.array([[1, 2], [2, 1]], dtype=np.uint8), 0, 0, 2, 2)
    out = QtGui.QImage(20, 20, QtGui.QImage.Format.Format_RGB32)
    out.fill(0)
    p = QtGui.QPainter(out)
    p.scale(10, 10)
    item.paint(p)
    p.end()
    assert QtGui.QColor(out.pixel(5, 5)).getRgb()[:3] == (230, 159, 0)
    assert QtGui.QColor(out.pixel(15, 5)).getRgb()[:3] == (0, 114, 178)
    assert QtGui.QColor(out.pixel(5, 15)).getRgb()[:3] == (0, 114, 178)


def test_follow_x_keeps_headroom_stops_on_manual_pan_and_fits_again(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    f = FollowX(w.getPlotItem())
    vb = w.getViewBox()
    f.update(10.0)
    assert np.allclose(vb.viewRange()[0], (0, 10 * FOLLOW_HEADROOM))
    f.update(11.0)  # inside the headroom: the axis stays put
    assert np.allclose(vb.viewRange()[0], (0, 10 * FOLLOW_HEADROOM))
    f.update(20.0)
    assert np.allclose(vb.viewRange()[0], (0, 20 * FOLLOW_HEADROOM))
    vb.sigRangeChangedManually.emit([True, False])  # the user panned
    vb.setXRange(3, 4, padding=0)
    f.update(50.0)
    assert np.allclose(vb.viewRange()[0], (3, 4))
    f.fit()
    f.update(50.0, exact=True)
    assert np.allclose(vb.viewRange()[0], (0, 50 * 1.01))


def test_nice_ceiling():
    from gmpviz.ui.views import nice_ceiling

    assert [nice_ceiling(x) for x in (0.7, 1, 1.2, 2.1, 3, 7, 12, 260)] == [1, 1, 2, 2.5, 5, 10, 20, 500]


def test_follow_y_moves_only_when_outgrown_or_far_too_big(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    f = FollowX(w.getPlotItem())
    vb = w.getViewBox()
    f.update_y(vb, 7.0)
    assert np.allclose(vb.viewRange()[1], (0, 10))
    f.update_y(vb, 9.0)  # still fits: the axis stays (no regeneration)
    assert np.allclose(vb.viewRange()[1], (0, 10))
    f.update_y(vb, 11.0)
    assert np.allclose(vb.viewRange()[1], (0, 20))
    f.update_y(vb, 2.0)  # under a third of the range: shrink
    assert np.allclose(vb.viewRange()[1], (0, 2.5))
    vb.sigRangeChangedManually.emit([True, True])  # the user zoomed: pyqtgraph's auto-range again
    f.update_y(vb, 50.0)
    assert vb.autoRangeEnabled()[1]
