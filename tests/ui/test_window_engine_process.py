"""The window's engine runs in its own process: same recording bytes as headless, gone with the window."""

import os

from _uihelp import run_until

from gmpviz.core.engine import Engine
from gmpviz.core.process import EngineProcess
from gmpviz.core.workload.loader import load_scenario


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except OSError:
        return True


def test_window_recording_is_byte_identical_to_headless(make_win, tmp_path):
    from gmpviz.record.writer import record_run

    win = make_win()
    win.set_speed(None)
    sc = load_scenario("work-stealing")
    win.start(sc, "work-stealing", duration_ns=60_000_000)
    assert isinstance(win.source.thread, EngineProcess)
    out = tmp_path / "live.gmprec"
    win.toggle_recording(str(out))
    assert run_until(win, lambda: out.exists(), timeout=60)
    head = tmp_path / "headless.gmprec"
    record_run(Engine(sc, duration_ns=60_000_000, seed=win.engine.seed), str(head))
    assert out.read_bytes() == head.read_bytes()


def test_closing_the_window_ends_the_engine_process(make_win):
    win = make_win()
    win.speed = None
    win.start(load_scenario("default"), "default", duration_ns=60_000 * 1_000_000)
    assert run_until(win, lambda: win.session.model.events_total > 1000, timeout=60)
    pid = win.source.thread._proc.pid
    assert not _gone(pid)
    win.close()
    assert _gone(pid)


def test_engine_thread_on_request(make_win, monkeypatch):
    from gmpviz.core.thread import EngineThread

    monkeypatch.setenv("GMPVIZ_ENGINE_THREAD", "1")
    win = make_win()
    win.start(load_scenario("default"), "default", duration_ns=10_000_000)
    assert isinstance(win.source.thread, EngineThread)
    assert os.environ["GMPVIZ_ENGINE_THREAD"] == "1"
