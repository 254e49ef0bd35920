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


def test_a_hostile_scenario_is_one_line_in_the_window(make_win, tmp_path):
    """Nesting 200 deep was a RecursionError and a 3,000-line traceback in the window."""
    op = '{ compute = "1ms" }'
    for _ in range(200):
        op = f"{{ repeat = 2, body = [{op}] }}"
    p = tmp_path / "deep.toml"
    p.write_text(f"[programs.main]\nops = [{op}]\n")
    win = make_win()
    win._scenario_picked(str(p))
    msg = win.statusBar().currentMessage()
    assert "nested more than 64 deep" in msg and "\n" not in msg
