"""Entry point of the window: `run_window(scenario, ...)` -> exit code."""

from __future__ import annotations

import os
import signal
import sys
import time

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.process import make_engine
from ..core.settings import RunSettings
from .theme import get_theme

DEFAULT_SCENARIO = "default"
SCREENSHOT_TIMEOUT_S = 300.0  # a screenshot run gives up waiting for the end after this long
SCREENSHOT_SIZE = (1600, 1000)
WINDOW_SIZE = (1500, 950)  # the first start's size (then the saved layout), both shrunk to the screen
SCREEN_MARGIN = (16, 48)  # left for the window manager's frame and title bar (logical pixels)
SIGINT_POLL_MS = 200  # Qt's loop runs no Python: a timer lets the SIGINT handler run this often
SELF_TEST_SCENARIO = "default"
SELF_TEST_VIRTUAL_NS = 200_000_000  # `gmpviz --self-test` runs the preset for 200 ms of virtual time
SELF_TEST_TIMEOUT_S = 120.0
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


# Engine(scenario, **RunSettings.engine_kw()); the live controller runs this one in its own process
_engine_factory = make_engine


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
    record: str | None = None,
    **overrides,
) -> int:
    """Open the window on `scenario` (preset name or path; None = the default preset) with
    `run_settings` (keywords such as duration_ns=... override single ones).

    With `screenshot`: run the scenario to its end at full speed in the real window, render every
    view, save a PNG there and return. With `record`: the window's first run (from t=0, as the window
    shows it, until its end or until the window closes) is recorded to that file. Errors come back as
    one line on stderr and exit code 2; Ctrl-C in the terminal closes the window (exit 130)."""
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
    else:
        if settings is None or settings.value("geometry") is None:
            win.resize(*WINDOW_SIZE)
        fit_to_screen(win)
    win.controller.record_path = record  # the LiveController's File → Record: the first start records
    try:
        win.start(sc, name, (run_settings or RunSettings()).replace(**overrides))
    except (ValueError, RuntimeError) as e:  # EngineError and friends: bad arguments
        print(f"gmpviz: {e}", file=sys.stderr)
        win.close()
        return 2
    if record and (win.session is None or win.session.writer is None):
        print(f"gmpviz: {win.statusBar().currentMessage() or f'cannot record to {record}'}", file=sys.stderr)
        win.close()
        return 2
    win.show()
    if screenshot is None:
        with sigint_closes(app, win) as interrupted:
            rc = app.exec()
        rc = 128 + interrupted() if interrupted() else rc
    else:
        rc = _screenshot(app, win, screenshot)
    win.close()  # finalises the recording (if the window did not)
    if record and os.path.exists(record):
        from ..console import wrote

        print(wrote(record, f"recording of the window's run of {name}"))
    return rc


def fit_to_screen(win) -> None:
    """Shrink `win` to the available geometry of the screen it opens on (logical pixels, so a HiDPI
    scale is respected) less the window manager's frame, and keep it on that screen."""
    from PySide6 import QtGui

    screen = win.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    w = min(win.width(), max(avail.width() - SCREEN_MARGIN[0], 320))
    h = min(win.height(), max(avail.height() - SCREEN_MARGIN[1], 240))
    if win.minimumWidth() > w or win.minimumHeight() > h:
        win.setMinimumSize(min(win.minimumWidth(), w), min(win.minimumHeight(), h))
    win.resize(w, h)
    x = min(max(win.x(), avail.x()), avail.x() + avail.width() - w - SCREEN_MARGIN[0] // 2)
    y = min(max(win.y(), avail.y()), avail.y() + avail.height() - h - SCREEN_MARGIN[1] + 8)
    win.move(max(x, avail.x()), max(y, avail.y()))


class sigint_closes:  # noqa: N801 (a context manager used like a function)
    """While the window runs: Ctrl-C (SIGINT) or SIGTERM closes every top-level window and quits the
    loop, as closing them does (the engine process stops, a recording is finalised).

    Qt's event loop runs no Python code by itself, so Python's signal handler would wait for the next
    Python callback; a timer gives it one every SIGINT_POLL_MS. The previous handler comes back on exit.
    `with sigint_closes(app, win) as interrupted:` ... `interrupted()` is the signal's number (0: none),
    and the exit code after one is 128 + that number (130 for Ctrl-C, 143 for SIGTERM)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, app, win) -> None:
        self.app, self.win = app, win
        self.hit = 0
        self.previous: dict = {}
        self.timer = None

    def _handler(self, signum, frame) -> None:
        # Python runs the handler between two bytecodes, which may be inside a paint event (pyqtgraph
        # paints in Python): closing there makes Qt flush a window it has just destroyed. Close from
        # the event loop instead.
        self.hit = self.hit or int(signum)
        QtCore.QTimer.singleShot(0, self._close)

    def _close(self) -> None:
        self.app.closeAllWindows()  # the windows' closeEvent: stop the engine, finalise a recording
        self.app.quit()

    def __enter__(self):
        if threading_is_main():
            self.previous = {sig: signal.signal(sig, self._handler) for sig in self.SIGNALS}
            self.timer = QtCore.QTimer()
            self.timer.timeout.connect(lambda: None)
            self.timer.start(SIGINT_POLL_MS)
        return lambda: self.hit

    def __exit__(self, *exc) -> None:
        if self.timer is not None:
            self.timer.stop()
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def threading_is_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def self_test() -> tuple[bool, str]:
    """`gmpviz --self-test`: open the window (offscreen), run SELF_TEST_SCENARIO for 200 ms of virtual
    time at full speed and check that the timeline's lanes were drawn in the window's pixels (each
    goroutine group's colour is on screen). Returns (ok, one line saying what was checked)."""
    import numpy as np

    from ..core.workload.loader import load_scenario
    from ..model.timeline import ST_USER0
    from .theme import GROUP_COLOURS, rgb

    t0 = time.perf_counter()
    app = ensure_app("dark")
    win = make_window("dark", interactive=False, remember_layout=False)
    try:
        win.speed = None
        win.resize(*SCREENSHOT_SIZE)
        win.start(load_scenario(SELF_TEST_SCENARIO), SELF_TEST_SCENARIO, duration_ns=SELF_TEST_VIRTUAL_NS)
        win.show()
        if not wait_until_done(app, win, SELF_TEST_TIMEOUT_S):
            return False, f"the {SELF_TEST_SCENARIO} run did not finish in {SELF_TEST_TIMEOUT_S:.0f} s"
        if win.session.crash:
            return False, f"the engine crashed: {win.session.crash.strip().splitlines()[-1]}"
        win.refresh_views(force=True)
        app.processEvents()
        img = win.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        w, h = img.width(), img.height()
        px = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
        colours = {tuple(c) for c in px[:, : 3 * w].reshape(-1, 3)[::3].tolist()}
        lanes = win.timeline.last_image
        groups = sorted({int(s) - ST_USER0 for s in np.unique(lanes) if s >= ST_USER0})
        drawn = [g for g in groups if rgb(GROUP_COLOURS[g % len(GROUP_COLOURS)]) in colours]
        m = win.session.model
        detail = (
            f"{SELF_TEST_SCENARIO} ran {SELF_TEST_VIRTUAL_NS / 1e6:g} ms virtual, {m.events_total:,} events, "
            f"{lanes.shape[0]} P lanes, {len(drawn)}/{len(groups)} goroutine groups drawn "
            f"in a {w}x{h} window "
            f"({QtGui.QGuiApplication.platformName()}), {time.perf_counter() - t0:.1f} s"
        )
        return bool(groups) and len(drawn) == len(groups) and m.events_total > 0, detail
    finally:
        win.close()


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


def image_bytes(img, path: str) -> bytes:
    """`img` encoded in memory in the format `path`'s suffix names (PNG by default): the file is
    written by gmpviz.record.outpath, so a full disk is one line naming the path."""
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}.get(os.path.splitext(path)[1].lower(), "PNG")
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, fmt)
    return bytes(buf.data())


def _screenshot(app, win, path: str) -> int:
    finished = wait_until_done(app, win)
    win.refresh_views(force=True)
    for _ in range(5):
        app.processEvents()
    win.refresh_views(force=True)
    app.processEvents()
    from ..record import RecordingError
    from ..record.outpath import write_bytes

    img = win.grab()
    crash = win.session.crash if win.session else None
    t_ns = win.session.model.now_ns if win.session else 0
    try:
        write_bytes(path, image_bytes(img.toImage(), path), what="the screenshot")
    except RecordingError as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    finally:
        win.close()
    from ..console import wrote

    print(wrote(path, f"PNG screenshot of the window, {img.width()}x{img.height()}, at {t_ns / 1e9:g} s"))
    if crash:
        print(f"gmpviz: the engine crashed: {crash.strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    if not finished:
        print(
            f"gmpviz: the run did not finish within {SCREENSHOT_TIMEOUT_S:.0f} s; saved what was shown",
            file=sys.stderr,
        )  # noqa: E501
    return 0
