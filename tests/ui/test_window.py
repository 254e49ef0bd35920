"""The real main window, offscreen: presets, controls, threads, pixels, errors, layout."""

import sys

import numpy as np
import pytest
from _synthetic import SyntheticEngine
from _uihelp import engine_threads, run_until
from PySide6 import QtCore, QtGui, QtWidgets

from gmpviz.core.constants import MS
from gmpviz.core.workload.loader import list_presets, load_scenario
from gmpviz.model.timeline import ST_USER0
from gmpviz.ui.theme import GROUP_COLOURS, rgb

PRESETS = [name for name, _ in list_presets()]


@pytest.mark.parametrize("preset", PRESETS)
def test_window_opens_on_each_preset_and_views_get_data(make_win, preset):
    win = make_win()
    win.speed = None
    win.start(load_scenario(preset), preset, duration_ns=20 * MS)
    assert run_until(win, lambda: win.session.done or win.session.crash, timeout=60)
    assert win.session.crash is None, win.session.crash
    win.refresh_views(force=True)
    m = win.session.model
    assert m.events_total > 0 and m.now_ns > 0
    # timeline: one painted row per P with some non-background pixel
    img = win.timeline.last_image
    assert img.shape[0] == m.ptl.nlanes >= 1 and (img > 0).any()
    assert len(m.counters) > 0
    assert win.goroutines.table.rowCount() >= 1 or m.state.live_goids().size == 0
    assert win.events.model.rowCount() > 0
    assert win.assumptions.items and "go1.26" in win.assumptions.toHtml()
    assert "func main() {" in win.scenario_view.go_text  # the scenario as pseudo-Go
    assert win.heap.cpu_window_curve.getData()[0] is not None
    assert win.windowTitle().startswith(f"gmpviz — {preset}")


def test_gomaxprocs_control_changes_the_engine(make_win, qtbot):
    """Waits on the run's state, never on the clock: the run is far longer than the test (at 1 s/s a
    2 s run could end, on a loaded machine, before the new GOMAXPROCS reached it), and each step waits
    for what it needs (qtbot.waitUntil spins the window's own frame timer)."""
    win = make_win()
    win.start(load_scenario("default"), "default", procs=4, duration_ns=3_600_000 * MS)
    win.set_speed(1000 * MS)
    model = win.session.model
    qtbot.waitUntil(lambda: model.ptl.active_lanes() == 4, timeout=120_000)
    win.controls.procs.setValue(2)
    qtbot.waitUntil(lambda: model.ptl.active_lanes() == 2 and win.engine.gomaxprocs == 2, timeout=120_000)
    assert not win.session.done
    win.refresh_views(force=True)
    # lanes 2 and 3 are blank after the resize
    t_resize = model.now_ns
    qtbot.waitUntil(lambda: model.now_ns > t_resize + 5 * MS, timeout=120_000)
    r = model.ptl.raster(t_resize + 2 * MS, model.now_ns, 50)
    assert (r[2:] == 0).all() and (r[:2] > 0).any()


def test_keyboard_shortcuts_drive_the_controls(make_win, qtbot):
    win = make_win()
    win.start(load_scenario("gosched"), "gosched", duration_ns=500 * MS)
    acts = win.controls.actions_by_name
    assert acts["play"].shortcut().toString() == "Space"
    acts["play"].trigger()
    assert not win.playing
    assert run_until(win, lambda: win.source.thread.paused)
    before = win.session.model.events_total
    acts["step_event"].trigger()
    assert run_until(win, lambda: win.session.model.events_total > before)
    after_one = win.session.model.events_total
    assert after_one - before == 1  # exactly one event
    acts["step_sched"].trigger()
    assert run_until(win, lambda: win.session.model.events_total > after_one)
    ev = win.session.model.log.ordered()
    assert ev["kind"][-1] == 2 or (ev["kind"][after_one - before :] == 2).any()  # ends at a GoStart
    pos = win.controls.speed.value()
    acts["faster"].trigger()
    assert win.controls.speed.value() == pos + 1 and win.source.thread.speed is not None
    acts["max_speed"].trigger()
    run_until(win, lambda: win.source.thread.speed is None)
    seed = win.controls.seed.value()
    acts["new_seed"].trigger()
    assert win.controls.seed.value() == seed + 1 and win.engine.seed == seed + 1
    acts["play"].trigger()  # GOMAXPROCS changes under a stop-the-world: the engine must run
    acts["procs_down"].trigger()
    assert run_until(win, lambda: win.engine.gomaxprocs == win.controls.procs.value())


def test_closing_during_a_run_leaves_no_thread(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=60_000 * MS)
    assert run_until(win, lambda: win.session.model.events_total > 1000)
    assert engine_threads()
    win.close()
    assert engine_threads() == []


def test_engine_exception_shows_an_error_dialog(make_win):
    class Broken(SyntheticEngine):
        def run_until(self, t_ns, max_events=None):
            if self.now_ns > 2 * MS:
                raise KeyError("runq corrupted")
            return super().run_until(t_ns, max_events)

    win = make_win(engine_factory=lambda sc, **kw: Broken(duration_ns=100 * MS))
    win.speed = None
    win.start(load_scenario("default"), "default")
    assert run_until(win, lambda: win.error_box is not None)
    box = win.error_box
    assert "runq corrupted" in box.text() and "Traceback" in box.detailedText()
    assert "Last events before the crash" in box.detailedText()
    # the window keeps working: the timer still pumps, the user can restart
    win.tick()
    assert "runq corrupted" in win.statusBar().currentMessage()


def test_refused_command_shows_a_notice(make_win):
    win = make_win()
    win.start(load_scenario("default"), "default", duration_ns=200 * MS)
    win.command(("gomaxprocs", 0))
    assert run_until(win, lambda: bool(win.notices))
    assert "GOMAXPROCS" in win.notices[0]


def _qimage_rgb(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def test_rendered_window_shows_lane_colours(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=100 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    win.refresh_views(force=True)
    QtWidgets.QApplication.instance().processEvents()
    px = _qimage_rgb(win.grab().toImage())
    colours = {tuple(int(v) for v in c) for c in px.reshape(-1, 3)[::3]}
    groups_seen = {int(s) - ST_USER0 for s in np.unique(win.timeline.last_image) if s >= ST_USER0}
    assert groups_seen
    for g in groups_seen:
        want = rgb(GROUP_COLOURS[g % len(GROUP_COLOURS)])
        assert want in colours, (g, want)
    # hovering a lane describes it
    text = win.timeline.describe(50 * MS, 0.3)
    assert text.startswith("P0")


def test_span_heatmap_and_runq_views_hold_data(make_win):
    win = make_win(engine_factory=lambda sc, **kw: SyntheticEngine(duration_ns=120 * MS, procs=4))
    win.speed = None
    win.start(load_scenario("default"), "default")
    assert run_until(win, lambda: win.session.done)
    win.refresh_views(force=True)
    assert (win.spans.img > 0).sum() >= 100
    span = int(win.spans.ids[win.spans.ids >= 0][0])
    assert "objects" in win.spans.describe(span)
    assert win.runq.local_curves and win.heap.pause_count > 0
    win.select("span", span)
    assert f"span {span}" in win.inspector.toPlainText()
    win.select("g", 3)
    assert "goroutine 3" in win.inspector.toPlainText()


def test_layout_is_remembered(make_win, settings):
    win = make_win()
    win.docks["events"].hide()
    win.close()
    assert settings.value("windowState") is not None
    win2 = make_win()
    assert not win2.docks["events"].isVisible()


def test_refcount_of_none_is_stable_across_qt_calls(qtbot):
    """PySide6 6.12.0 on Python 3.11 leaked references to None on void calls until it aborted."""
    w = QtWidgets.QLabel()
    qtbot.addWidget(w)
    timer = QtCore.QTimer()
    before = sys.getrefcount(None)
    for i in range(20000):
        w.setText("x")
        w.setVisible(False)
        w.update()
        timer.setInterval(i % 50 + 1)
    after = sys.getrefcount(None)
    assert after >= before - 100, (before, after)


def test_light_theme_window(make_win):
    win = make_win(theme="light")
    win.start(load_scenario("gosched"), "gosched", duration_ns=10 * MS)
    win.speed = None
    win.set_speed(None)
    assert run_until(win, lambda: win.session.done)
    assert win.theme.name == "light"


def test_m_lanes_scenario_picker_and_event_log_click(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("syscall-handoff"), "syscall-handoff", duration_ns=30 * MS)
    assert run_until(win, lambda: win.session.done)
    win.refresh_views(force=True)
    p_rows = win.timeline.last_image.shape[0]
    win.controls.actions_by_name["m_lanes"].trigger()
    assert win.timeline.show_m
    m = win.session.model
    assert win.timeline.last_image.shape[0] == p_rows + 1 + m.mtl.nlanes > p_rows + 1
    # clicking an event log row centres the timeline on that event's time
    win.events.refresh(m, force=True)
    idx = win.events.model.index(0, 0)
    t_ns = float(win.events.model.ev[0]["t_ns"])
    win.events._clicked(idx)
    (x0, x1), _ = win.timeline.vb.viewRange()
    assert not win.timeline.follow and x0 <= t_ns / MS <= x1
    # the scenario picker restarts on another preset
    win.controls.scenario_changed.emit("gosched")
    assert win.scenario_name == "gosched" and "gosched" in win.windowTitle()
    assert run_until(win, lambda: win.session.model.events_total > 0)


def test_dock_refresh_waits_for_a_frame_under_budget(make_win, monkeypatch):
    """An over-budget frame defers the dock's turn, but never more than DOCK_MAX_DEFERRALS frames."""
    import time

    from gmpviz.ui import main_window
    from gmpviz.ui.main_window import DOCK_MAX_DEFERRALS

    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=5 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    win.timer.stop()
    win.frames, turn = 0, win._dock_turn
    for i in range(DOCK_MAX_DEFERRALS):
        win.refresh_views(frame_t0=time.perf_counter() - 1.0)  # a frame that already took 1 s
        assert win._dock_turn == turn and win._dock_deferrals == i + 1
    win.refresh_views(frame_t0=time.perf_counter() - 1.0)
    assert win._dock_turn == turn + 1 and win._dock_deferrals == 0
    win.frames = 2
    # within budget: the next dock's turn (a budget no frame's own views can use up, so that a loaded
    # machine's slow timeline refresh cannot make this frame over budget)
    monkeypatch.setattr(main_window, "DOCK_BUDGET_MS", 1e9)
    win.refresh_views(frame_t0=time.perf_counter())
    assert win._dock_turn == turn + 2


def test_screenshot_run_neither_reads_nor_writes_the_saved_layout(tmp_path, qtbot):
    """A screenshot is reproducible: the user's saved layout is not applied, and not overwritten."""
    from gmpviz.ui.app import SCREENSHOT_SIZE, run_window

    fmt, scope = QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Scope.UserScope
    QtCore.QSettings.setPath(fmt, scope, str(tmp_path / "cfg"))
    user = QtCore.QSettings("gmpviz", "gmpviz")
    user.setValue("marker", "the user's")
    user.sync()
    before = {p: p.read_bytes() for p in (tmp_path / "cfg").rglob("*") if p.is_file()}
    assert before
    out = tmp_path / "shot.png"
    assert run_window("cpu-bound", duration_ns=2 * MS, screenshot=str(out)) == 0
    after = {p: p.read_bytes() for p in (tmp_path / "cfg").rglob("*") if p.is_file()}
    assert after == before
    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == SCREENSHOT_SIZE


def test_steal_ticks_sit_in_the_gap_above_their_lane(make_win):
    """Ticks never paint over lane states (their colours would read as states); they fill the gaps."""
    from gmpviz.ui.views.timeline import GAP_ROWS, MARKER_LUT0, SUBROWS

    win = make_win()
    win.speed = None
    win.start(load_scenario("work-stealing"), "work-stealing", duration_ns=20 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    win.refresh_views(force=True)
    big = win.timeline.image.image
    nl = win.timeline.last_image.shape[0]
    rows = np.arange(big.shape[0])
    in_gap = (rows % SUBROWS) < GAP_ROWS  # the gap rows above each lane (and above lane 0)
    ticks = big >= MARKER_LUT0
    assert win.session.model.ptl.markers.n > 0 and ticks[in_gap].any()
    assert not ticks[~in_gap].any()
    assert big.shape[0] == nl * SUBROWS + GAP_ROWS


def test_toolbar_follows_the_run_and_play_after_the_end_replays(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("gomaxprocs"), "gomaxprocs", duration_ns=400 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    for _ in range(3):
        win.tick()
    last = int(win.session.model.counters.col("gomaxprocs")[-1])
    assert last != int(load_scenario("gomaxprocs").gomaxprocs)  # the scenario changed it
    assert win.controls.procs.value() == last
    assert not win.controls.play.isChecked() and win.controls.play.text() == "Play"
    win.refresh_views(force=True)
    assert win.heap.follow.end_ms >= 400
    first = win.session
    win.controls.play.trigger()  # Play on a finished run: the same run again
    assert win.session is not first and not win.session.done
    assert win.heap.follow.end_ms is None  # every time axis starts over with the new run
    assert win.controls.play.isChecked()


def test_event_log_click_keeps_the_log_in_view_and_stops_following(make_win, qtbot):
    from PySide6.QtTest import QTest

    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=20 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    win.docks["events"].raise_()
    win.refresh_views(force=True)
    QtWidgets.QApplication.processEvents()
    view = win.events.table
    row = next(r for r in range(win.events.model.rowCount()) if int(win.events.model.ev[r]["g"]) > 0)
    rect = view.visualRect(win.events.model.index(row, 0))
    QTest.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    QtWidgets.QApplication.processEvents()
    assert not win.events.follow.isChecked()
    assert win.inspector.what == ("g", int(win.events.model.ev[row]["g"]))
    tabs = [(b, [b.tabText(i) for i in range(b.count())]) for b in win.findChildren(QtWidgets.QTabBar)]
    bar = next(b for b, t in tabs if "Inspector" in t and "Event log" in t)  # (Qt keeps stale bars too)
    assert bar.tabText(bar.currentIndex()) == "Event log"  # the log stays on top


def test_runtime_settings_wrap_to_a_second_row_when_narrow(make_win):
    win = make_win()
    win.resize(1000, 800)
    QtWidgets.QApplication.processEvents()
    assert win.toolBarBreak(win.controls.runtime_bar)
    assert win.controls.runtime_bar.isVisible() and win.controls.policy.isVisible()
    win.resize(2400, 900)
    QtWidgets.QApplication.processEvents()
    assert not win.toolBarBreak(win.controls.runtime_bar)


def test_a_dock_behind_another_tab_waits_until_it_is_raised(make_win, qtbot):
    """The docks refresh in turn, but one behind another dock's tab skips its turn (it said
    isVisible() and cost as much as a shown one); raising its tab draws it at once."""
    from gmpviz.ui.main_window import shown

    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=30 * MS)
    assert run_until(win, lambda: win.session.done, timeout=60)
    qtbot.waitUntil(lambda: shown(win.spans), timeout=10_000)
    assert not shown(win.metrics)  # "MMU and latency" is tabbed behind the span heatmap
    calls = []
    real = win.metrics.refresh
    win.metrics.refresh = lambda m, force=False: calls.append(force) or real(m, force=force)
    for _ in range(3 * 2 * 7):  # every dock's turn three times over
        win.frames += 1
        win.refresh_views()
    assert calls == []
    win.docks["metrics"].raise_()
    qtbot.waitUntil(lambda: shown(win.metrics) and len(calls) > 0, timeout=10_000)
