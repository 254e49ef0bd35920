"""Helpers for the window tests."""

import threading
import time


def run_until(win, cond, timeout=20.0):
    """Drive the window's frame until cond() holds (the timer also runs under qtbot)."""
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        win.tick()
        if cond():
            return True
        time.sleep(0.002)
    return False


def engine_threads():
    return [t for t in threading.enumerate() if t.name == "gmpviz-engine" and t.is_alive()]
