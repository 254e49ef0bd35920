"""The player window, offscreen: opens a small recording, scrubbing moves the views, steps, jumps,
bookmarks persist, PNG/video export."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV
from gmpviz.core.workload.loader import load_scenario
from gmpviz.record.bookmarks import load_bookmarks
from gmpviz.record.writer import record_run
from gmpviz.ui.views import fmt_ns


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    path = tmp_path_factory.mktemp("play") / "gc.gmprec"
    eng = Engine(load_scenario("gc-steady"), duration_ns=400_000_000)
    _, ev = record_run(eng, str(path), keep_events=True)
    return str(path), ev


@pytest.fixture
def player(qtbot, rec, tmp_path):
    import shutil

    from gmpviz.ui.player import open_player

    path = str(tmp_path / "p.gmprec")
    shutil.copy(rec[0], path)
    settings = QtCore.QSettings(str(tmp_path / "p.ini"), QtCore.QSettings.Format.IniFormat)
    win = open_player(path, settings=settings, interactive=False)
    win.timer.stop()
    win.resize(1400, 900)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def _load(win):
    while not win.replay.loaded:
        win.tick()


def test_opens_with_whole_run_and_cursor_at_start(player, rec):
    _load(player)
    player.refresh_views(force=True)
    assert player.replay.n_events == len(rec[1])
    assert player.session.model.ptl.nlanes == int(rec[1]["p"].max()) + 1
    assert player.timeline.last_image.shape[0] >= 4 and player.timeline.last_image.any()
    assert player.replay.index == 0 and player.scrubber.value() == 0
    assert "gc-steady" in player.windowTitle()
    assert "func main() {" in player.scenario_view.go_text  # compiled again from the recorded TOML
    from gmpviz.ui.controls import ControlBar

    assert not [b for b in player.findChildren(ControlBar) if b.isVisible()]  # no live controls shown


def test_scrubbing_moves_the_views(player, rec):
    _load(player)
    player.scrubber.setValue(5000)  # half way
    half = player.replay.t_end_ns // 2
    assert player.replay.t_ns == half
    ev = rec[1]
    assert player.replay.index == int(np.searchsorted(ev["t_ns"], half, side="right"))
    st = player.session.model.state
    assert st.events == player.replay.index
    player.refresh_views(force=True)
    assert player.tl_cursor.value() == pytest.approx(half / 1e6)
    snap_half = st.snapshot()
    label_half = player.time_label.text()
    player.scrubber.setValue(10_000)
    assert player.replay.index == len(ev)
    end_state = player.session.model.state
    assert end_state.events == len(ev)
    player.refresh_views(force=True)
    assert player.time_label.text() != label_half
    snap_end = end_state.snapshot()
    assert any(not np.array_equal(snap_half[k], snap_end[k]) for k in ("g_status", "p_curg", "runq_g"))
    assert player.runq.info.text().startswith(f"global {len(end_state.globrunq)}")
    assert player.heap.summary.text().startswith(f"at {fmt_ns(player.replay.t_end_ns)}: HeapAlloc")
    assert " · HeapSys " in player.heap.summary.text()  # an emulation knows it (a real trace does not)
    assert player.tl_cursor.value() == pytest.approx(player.replay.t_end_ns / 1e6)


def test_step_and_jump(player, rec):
    ev = rec[1]
    player.seek_time(100_000_000)
    i = player.replay.index
    player.step_events(1)
    assert player.replay.index == i + 1
    player.step_events(-1)
    player.step_events(-1)
    assert player.replay.index == i - 1
    player.mark_box.setCurrentIndex(player.mark_box.findData("stw"))
    player.seek_index(0)
    stw = np.flatnonzero(ev["kind"] == EV.STWBegin)
    assert player.jump(1) and player.replay.index == stw[0] + 1
    assert player.jump(1) and player.replay.index == stw[1] + 1
    assert player.jump(-1) and player.replay.index == stw[0] + 1


def test_play_advances_at_speed(player, qtbot):
    import time

    player.speed_box.setCurrentIndex(player.speed_box.findData(100.0))
    player.set_playing(True)
    t0 = player.replay.t_ns
    deadline = time.monotonic() + 3
    while player.replay.t_ns == t0 and time.monotonic() < deadline:
        QtWidgets.QApplication.processEvents()
        player.tick()
        time.sleep(0.01)
    assert player.replay.t_ns > t0
    player.set_playing(False)
    assert not player.play_btn.isChecked()


def test_bookmarks_persist(player, tmp_path, qtbot):
    from gmpviz.ui.player import open_player

    player.seek_time(123_000_000)
    player.add_bookmark("before the GC")
    player.seek_time(300_000_000)
    player.add_bookmark("later")
    saved = load_bookmarks(player.path)
    assert [b.label for b in saved] == ["before the GC", "later"]
    again = open_player(player.path, interactive=False)
    qtbot.addWidget(again)
    try:
        assert [b.label for b in again.bookmarks] == ["before the GC", "later"]
        assert again.bm_box.count() == 2
        again.bm_box.activated.emit(0)
        assert again.replay.t_ns == 123_000_000
    finally:
        again.close()


def test_render_png(rec, tmp_path):
    from gmpviz.record.replay import Replay
    from gmpviz.ui.player import render_png

    out = tmp_path / "f.png"
    render_png(Replay.open(rec[0]), str(out), 200_000_000, (800, 500))
    from PySide6 import QtGui

    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == (800, 500)
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.skipif(
    importlib.util.find_spec("av") is None, reason="PyAV (the video encoder) is not installed"
)
def test_render_video(rec, tmp_path):
    import av

    from gmpviz.record.replay import Replay
    from gmpviz.ui.player import render_video

    out = tmp_path / "v.mp4"
    seen = []
    n = render_video(Replay.open(rec[0]), str(out), 100_000_000, 150_000_000, 10, (320, 200), seen.append)
    assert n == 5 and seen[-1] == 1.0
    with av.open(str(out)) as c:
        frames = list(c.decode(video=0))
    assert len(frames) == n and (frames[0].width, frames[0].height) == (320, 200)
    assert not list(tmp_path.glob("*.part"))


def test_cli_play_screenshot_and_errors(rec, tmp_path, capsys):
    from gmpviz.cli import main

    out = tmp_path / "s.png"
    assert main(["play", rec[0], "--screenshot", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["play", str(tmp_path / "missing.gmprec")]) == 2
    assert "cannot open the recording" in capsys.readouterr().err


def test_live_window_file_record(make_win, tmp_path):
    """File → Record restarts the run from t=0 and finalises the file when the run ends; the events
    are the headless recording's."""
    from _uihelp import run_until

    from gmpviz.record.reader import RecordingReader

    win = make_win()
    win.set_speed(None)
    sc = load_scenario("work-stealing")
    win.start(sc, "work-stealing", duration_ns=60_000_000)
    out = tmp_path / "live.gmprec"
    win.toggle_recording(str(out))
    assert win.record_action.isChecked() and win.session.writer is not None
    assert run_until(win, lambda: out.exists(), timeout=30)
    assert not win.record_action.isChecked()
    live = RecordingReader.open(str(out))
    eng = Engine(sc, duration_ns=60_000_000, seed=live.header["seed"])
    eng.run_until(60_000_000)
    want = eng.drain()
    np.testing.assert_array_equal(live.events(), want)


def test_live_window_file_record_refuses_the_scenario_file(make_win, tmp_path):
    """File → Record onto the scenario the run came from: one line in the status bar, the scenario
    untouched, no recording started (issue 12: never onto an input)."""
    src = tmp_path / "mine.toml"
    text = load_scenario("work-stealing").text
    src.write_text(text)
    win = make_win()
    sc = load_scenario(str(src))
    win.start(sc, "mine", duration_ns=20_000_000)
    win.toggle_recording(str(src))
    from _uihelp import run_until

    assert run_until(win, lambda: "input" in win.statusBar().currentMessage(), timeout=20)
    assert not win.record_action.isChecked()
    assert win.session is None or win.session.writer is None
    assert src.read_text() == text
    assert not (tmp_path / "mine.toml.part").exists()


@pytest.mark.parametrize("width", [1600, 1920])
def test_playback_bar_fits_and_its_time_text_is_never_cut(qtbot, tmp_path_factory, width):
    """Every control of the playback bar stays on it (none in Qt's » overflow menu) at 1600 and 1920
    px, and the time label holds its whole text wherever the cursor is, also before Qt lays the bar
    out again (a video export grabs frames without an event loop): it was 230 px, sized for the text
    at the start, and a later text was cut ("event 70,400/70,4")."""
    from gmpviz.ui.player import open_player

    path = tmp_path_factory.mktemp("bar") / "long.gmprec"
    record_run(Engine(load_scenario("default"), duration_ns=3_000_000_000), str(path))
    win = open_player(str(path), interactive=False)
    win.timer.stop()
    qtbot.addWidget(win)
    win.resize(width, 1000)
    win.show()
    _load(win)
    try:
        bar = win.playback_bar
        label = win.time_label
        for frac in (0.0, 0.01, 0.1, 0.33, 0.5, 0.999, 1.0):
            win.seek_time(int(win.replay.t_end_ns * frac))
            assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
        for frac in (0.0, 0.1, 1.0):
            win.seek_time(int(win.replay.t_end_ns * frac))
            QtWidgets.QApplication.processEvents()
            assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()), label.text()
        for act in bar.actions():
            w = bar.widgetForAction(act)
            if w is None or act.isSeparator():
                continue
            assert w.isVisible() and bar.rect().contains(w.geometry()), (type(w).__name__, w.geometry())
    finally:
        win.close()
