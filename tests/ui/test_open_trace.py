"""File → Open: a recording or a real Go trace opens in a player window of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gotrace"))
from gotrace_synth import simple_trace  # noqa: E402

from gmpviz.record import RecordingError  # noqa: E402


def test_file_open_shows_a_go_trace(qapp, tmp_path, monkeypatch):
    from gmpviz.ui import player

    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "prog.trace"
    path.write_bytes(simple_trace())
    win = player.open_path(str(path))
    try:
        assert "prog.trace" in win.windowTitle()
        assert [a.text() for a in win.file_menu.actions()][0] == "Open…"
        assert win.replay.n_events == 8
        assert any("Real trace" in a for a in win.replay.reader.header["assumptions"])
    finally:
        win.close()
    with pytest.raises(RecordingError):
        player.open_path(str(tmp_path / "nothing.gmprec"))


def test_a_go_trace_heap_legend_names_only_the_curves_it_has(qapp, tmp_path, monkeypatch):
    """A real program's trace knows HeapAlloc (and the goal when it has one) but not HeapSys,
    HeapReleased or the stacks (gotrace leaves them 0): the heap plot draws and names only the
    series with data; an emulation, which knows them all, still shows them (below)."""
    from gmpviz.ui import player

    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "prog.trace"
    path.write_bytes(simple_trace())
    win = player.open_path(str(path))
    try:
        win.seek_time(win.replay.t_end_ns)
        win.heap.refresh(win.model, force=True)
        legend = win.heap.legend.text().replace("&nbsp;", " ")
        assert "HeapAlloc" in legend
        for absent in ("HeapSys", "HeapReleased", "stacks"):
            assert absent not in legend, legend
            assert absent not in win.heap.summary.text()
        no_sys = win.heap.curves["heap_sys"].getData()[0]
        assert no_sys is None or len(no_sys) == 0  # no flat line at 0 B either
        assert len(win.heap.curves["heap_alloc"].getData()[0]) > 0
    finally:
        win.close()


def test_an_emulation_heap_legend_names_every_series(qapp):
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.model import Model
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.theme import get_theme
    from gmpviz.ui.views.heap_gc import HeapGCView

    ensure_app("dark")
    view = HeapGCView(get_theme("dark"))
    eng = Engine(load_scenario("gc-steady"), duration_ns=300_000_000)
    m = Model(("main",))
    while not eng.done:
        eng.run_until(eng.now_ns + 10_000_000)
        m.apply(eng.drain())
        m.add_counters(eng.drain_counters())
    view.refresh(m, force=True)
    legend = view.legend.text().replace("&nbsp;", " ")
    for name in ("HeapAlloc", "heap goal", "live heap", "HeapSys", "HeapReleased", "stacks"):
        assert name in legend, name
    assert "HeapSys" in view.summary.text()
