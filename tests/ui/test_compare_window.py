"""The compare window: two live runs, one linked time axis, a difference strip per P, a metrics table."""

import numpy as np
import pytest
from _uihelp import run_until  # noqa: F401  (the helpers' path is set up by conftest)
from PySide6 import QtWidgets

from gmpviz.core.constants import MS
from gmpviz.core.settings import RunSettings
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model.timeline import ST_IDLE, ST_USER0
from gmpviz.ui.compare_window import DIFF_A, DIFF_OTHER, DIFF_SAME, CompareWindow, difference_strip


@pytest.fixture
def compare_win(qtbot):
    from gmpviz.ui.app import _engine_factory, ensure_app
    from gmpviz.ui.theme import get_theme

    made = []

    def make(sides):
        ensure_app("dark")
        win = CompareWindow(get_theme("dark"), sides, _engine_factory, speed_ns_per_s=None)
        win.resize(1400, 900)
        qtbot.addWidget(win)
        win.show()
        win.start()
        made.append(win)
        return win

    yield make
    for w in made:
        w.close()


def drive(win, timeout=60.0):
    import time

    app = QtWidgets.QApplication.instance()
    deadline = time.monotonic() + timeout
    while not win.done and time.monotonic() < deadline:
        app.processEvents()
        win.tick()
        time.sleep(0.002)
    win.tick()
    win.refresh(force=True)
    app.processEvents()
    return win.done


def test_two_runs_share_one_time_axis_and_a_difference_strip(compare_win):
    sc = load_scenario("cpu-bound")
    win = compare_win(
        [
            ("a", "cpu-bound procs=2", sc, RunSettings(procs=2, duration_ns=60 * MS)),
            ("b", "cpu-bound procs=4", sc, RunSettings(procs=4, duration_ns=60 * MS)),
        ]
    )
    assert drive(win)
    a, b = win.timelines
    assert [s.model.ptl.active_lanes() for s in win.sessions] == [2, 4]
    assert a.vb.viewRange()[0] == pytest.approx(b.vb.viewRange()[0])
    assert a.vb.viewRange()[0][1] == pytest.approx(60 * 1.01, rel=1e-6)  # fitted to the longer run
    # a pan or zoom on B moves A (and the strip) and stops following
    b.vb.setXRange(10, 20, padding=0)
    b.vb.sigRangeChangedManually.emit([True, False])
    win.tick()
    assert a.vb.viewRange()[0] == pytest.approx([10, 20])
    assert win.diff_plot.getViewBox().viewRange()[0] == pytest.approx([10, 20])
    assert not win.follow
    win.fit()
    assert a.vb.viewRange()[0][0] == pytest.approx(0)
    # cpu-bound keeps every P busy: Ps 2 and 3 exist only on B, so the strip says B there
    strip = win.diff_image
    assert strip.shape[0] == 4 and strip.shape[1] == a.last_image.shape[1]
    assert (strip[2:] == DIFF_OTHER).mean() > 0.9
    assert (strip[:2] == DIFF_SAME).mean() > 0.9
    # the table: one row per metric, A, B and B/A
    t = win.table
    assert t.columnCount() == 3 and t.rowCount() >= 8
    heads = [t.verticalHeaderItem(i).text() for i in range(t.rowCount())]
    assert "MMU 10 ms" in heads and "sched latency max" in heads
    # and each side's MMU curve and latency histogram, overlaid
    for sess, mc, lc in zip(win.sessions, win.mmu_curves, win.lat_curves):
        assert len(mc.getData()[0]) == len(sess.model.metrics.mmu()[0]) > 5
        assert lc.getData()[1].sum() == sess.model.metrics.latency_hist.sum() > 0


def test_difference_strip_marks_which_side_was_busy():
    a = np.array([[ST_USER0, ST_IDLE, ST_USER0, ST_IDLE]], np.uint8)
    b = np.array([[ST_USER0, ST_USER0, ST_IDLE, ST_IDLE], [ST_USER0, 0, 0, 0]], np.uint8)
    d = difference_strip(a, [b])
    assert d.tolist() == [
        [DIFF_SAME, DIFF_OTHER, DIFF_A, DIFF_SAME],
        [DIFF_OTHER, DIFF_SAME, DIFF_SAME, DIFF_SAME],
    ]
    d3 = difference_strip(a, [b, a])
    assert d3.shape == (2 + 1 + 1, 4) and (d3[3] == DIFF_SAME).all()
    assert difference_strip(np.zeros((0, 0), np.uint8), [b]).size == 0


def test_compare_window_screenshot_from_the_cli(tmp_path):
    from gmpviz.cli import main

    out = tmp_path / "cmp.png"
    argv = ["compare", "cpu-bound", "--a", "procs=1", "--b", "procs=2", "--duration", "20ms"]
    assert main([*argv, "--window", "--screenshot", str(out)]) == 0
    assert out.stat().st_size > 1000
