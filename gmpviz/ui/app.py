"""Entry point of the window: `run_window(scenario, ...)` -> exit code."""

from __future__ import annotations

import sys
import time

from PySide6 import QtCore, QtWidgets

from ..core.settings import RunSettings
from .theme import get_theme

DEFAULT_SCENARIO = "default"
SCREENSHOT_TIMEOUT_S = 300.0  # a screenshot run gives up waiting for the end after this long
SCREENSHOT_SIZE = (1600, 1000)
# The engine thread and the UI share the GIL. Python's default switch interval (5 ms) lets the engine
# keep it that long each time a paint callback needs it back; 0.5 ms keeps frames short (measured).
GIL_SWITCH_INTERVAL_S = 0.0005


class WindowError(ValueError):
    """Bad window arguments (one line)."""


def ensure_app(theme_name: str = "dark") -> QtWidgets.QApplication:
    """The QApplication (created once), with the theme's style and pyqtgraph options."""
    import pyqtgraph as pg

    theme = get_theme(theme_name)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("gmpviz")
    app.setOrganizationName("gmpviz")
    pg.setConfigOptions(
        imageAxisOrder="row-major", antialias=False, background=theme.background, foreground=theme.foreground
    )
    sheet = theme.stylesheet()
    if app.styleSheet() != sheet:  # re-polishing every live widget is slow: only on a real change
        app.setStyleSheet(sheet)
    return app


def _engine_factory(scenario, **kw):
    """Engine(scenario, **RunSettings.engine_kw())."""
    from ..core.engine import Engine

    return Engine(scenario, **{k: v for k, v in kw.items() if v is not None})


def make_window(
    theme_name: str = "dark",
    settings: QtCore.QSettings | None = None,
    interactive: bool = True,
    remember_layout: bool = True,
):
    """The main window; its layout is loaded from and saved to `settings` (the user's QSettings by
    default), or nowhere when not `remember_layout` (screenshots must not depend on the user's layout,
    nor change it)."""
    from ..core.workload.loader import list_presets, load_scenario
    from .main_window import MainWindow

    ensure_app(theme_name)
    if settings is None and remember_layout:
        settings = QtCore.QSettings("gmpviz", "gmpviz")
    return MainWindow(
        get_theme(theme_name), _engine_factory, load_scenario, list_presets(), settings, interactive
    )


def run_window(
    scenario: str | None,
    run_settings: RunSettings | None = None,
    *,
    screenshot: str | None = None,
    theme: str = "dark",
    **overrides,
) -> int:
    """Open the window on `scenario` (preset name or path; None = the default preset) with
    `run_settings` (keywords such as duration_ns=... override single ones).

    With `screenshot`: run the scenario to its end at full speed in the real window, render every
    view, save a PNG there and return. Errors come back as one line on stderr and exit code 2."""
    from ..core.workload.loader import ScenarioError, load_scenario

    name = scenario or DEFAULT_SCENARIO
    try:
        get_theme(theme)
        sc = load_scenario(name)
    except (ScenarioError, ValueError) as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    app = ensure_app(theme)
    settings = QtCore.QSettings("gmpviz", "gmpviz") if screenshot is None else None
    win = make_window(
        theme, settings=settings, interactive=screenshot is None, remember_layout=screenshot is None
    )
    if screenshot is not None:
        win.speed = None
        win.resize(*SCREENSHOT_SIZE)
    elif settings is None or settings.value("geometry") is None:
        win.resize(1500, 950)
    try:
        win.start(sc, name, (run_settings or RunSettings()).replace(**overrides))
    except (ValueError, RuntimeError) as e:  # EngineError and friends: bad arguments
        print(f"gmpviz: {e}", file=sys.stderr)
        win.close()
        return 2
    win.show()
    if screenshot is None:
        return app.exec()
    return _screenshot(app, win, screenshot)


def wait_until_done(app, win, timeout_s: float = SCREENSHOT_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        win.tick()
        if win.session is not None and (win.session.done or win.session.crash):
            win.tick()
            return True
        time.sleep(0.005)
    return False


def _screenshot(app, win, path: str) -> int:
    finished = wait_until_done(app, win)
    win.refresh_views(force=True)
    for _ in range(5):
        app.processEvents()
    win.refresh_views(force=True)
    app.processEvents()
    ok = win.grab().save(path)
    crash = win.session.crash if win.session else None
    win.close()
    if not ok:
        print(f"gmpviz: cannot write the screenshot to {path}", file=sys.stderr)
        return 2
    if crash:
        print(f"gmpviz: the engine crashed: {crash.strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    if not finished:
        print(
            f"gmpviz: the run did not finish within {SCREENSHOT_TIMEOUT_S:.0f} s; saved what was shown",
            file=sys.stderr,
        )  # noqa: E501
    return 0
