"""The CPU lanes (View > CPU lanes): a lane per CPU under the P (and M) lanes, live and in the player."""

import numpy as np
from _uihelp import run_until

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model.timeline import ST_NONE
from gmpviz.record.writer import record_run
from gmpviz.ui.main_window import CPU_LANES_SHORTCUT

MS = 1_000_000


def test_cpu_lanes_appear_and_draw_which_m_holds_each_cpu(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=20 * MS, procs=4, ncpu=2)
    assert run_until(win, lambda: win.session.done)
    win.refresh_views(force=True)
    tl = win.timeline
    p_rows = tl.last_image.shape[0]
    assert not tl.show_cpu and tl.cpu_lanes_drawn == 0
    act = win.cpu_lanes_action
    assert act.shortcut().toString() == CPU_LANES_SHORTCUT and act.isCheckable()
    act.trigger()
    assert tl.show_cpu and tl.cpu_box.isChecked()
    win.refresh_views(force=True)
    img = tl.last_image
    assert tl.cpu_lanes_drawn == 2
    assert img.shape[0] == p_rows + 1 + 2
    cpu_rows = img[-2:]
    # 4 Ps on 2 CPUs: both CPUs are busy most of the run
    assert ((cpu_rows != ST_NONE).mean(axis=1) > 0.8).all()
    assert [k for k, _ in tl._lane_map[-2:]] == ["cpu", "cpu"]
    ticks = [t for _, t in tl.plot.getAxis("left")._tickLevels[0]]
    assert "CPU0" in ticks and "CPU1" in ticks
    # hovering a CPU lane names the M that holds it; the widest runs carry "M<id>" labels
    row = len(tl._lane_map) - 2
    text = tl.describe(10 * MS, row + 0.1)
    assert text.startswith("CPU0") and " · M" in text
    labels = [it.textItem.toPlainText() for it in tl._id_items if it.isVisible()]
    assert any(s.startswith("M") for s in labels)
    assert "numbering reconstructed" in tl.legend.text()
    # the M lanes too: P lanes, blank, M lanes, blank, CPU lanes
    tl.m_box.setChecked(True)
    win.refresh_views(force=True)
    m = win.session.model
    assert tl.last_image.shape[0] == p_rows + 1 + m.mtl.nlanes + 1 + 2
    act.trigger()
    assert not tl.show_cpu
    win.refresh_views(force=True)
    assert tl.cpu_lanes_drawn == 0


def test_player_draws_cpu_lanes_of_the_recorded_machine(qtbot, tmp_path):
    from gmpviz.ui.player import open_player

    path = str(tmp_path / "c.gmprec")
    record_run(Engine(load_scenario("cpu-bound"), duration_ns=30 * MS, procs=3, ncpu=2), path)
    win = open_player(path, interactive=False)
    win.timer.stop()
    win.resize(1400, 900)
    qtbot.addWidget(win)
    win.show()
    while not win.replay.loaded:  # the whole-run lanes fold in over frames
        win.tick()
    win.seek_time(30 * MS)
    win.cpu_lanes_action.trigger()
    win.refresh_views(force=True)
    tl = win.timeline
    assert tl.ncpu == 2 and tl.cpu_lanes_drawn == 2
    assert (np.asarray(tl.last_image[-2:]) != ST_NONE).any()
    win.close()
