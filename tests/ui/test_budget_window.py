"""Issue 12: the emulated program's out-of-memory death is shown in the window, not a crash."""

from _uihelp import run_until

from gmpviz.core.workload.loader import loads_scenario

ALLOC_1TIB = """
[programs.main]
ops = [{ repeat = "forever", body = [{ alloc = "1TiB", lifetime = "forever" }, { compute = "1ms" }] }]
"""


def test_the_window_shows_the_fatal_error(make_win):
    win = make_win()
    win.speed = None
    win.start(loads_scenario(ALLOC_1TIB), "oom", duration_ns=100_000_000)
    assert run_until(win, lambda: win.session.done or win.session.crash, timeout=60)
    win.tick()
    assert win.session.crash is None
    assert "fatal error: runtime: out of memory" in win.session.error
    assert "out of memory" in win.status_label.text()
