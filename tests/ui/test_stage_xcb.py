"""The stage on a real X server (Xvfb, Qt's xcb platform), not the offscreen one: it opens full screen
on the screen, the clicker keys walk the deck, B blanks what the X screen shows. Skipped without Xvfb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")

CHILD = r"""
import json, sys, time
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest
sys.path.insert(0, sys.argv[1])
from gmpviz.deck import loads_deck
from gmpviz.deck.build import build_deck
from gmpviz.ui.app import ensure_app
from gmpviz.ui.stage import StageWindow, show_full_screen
from tests.ui.test_stage import DECK

app = ensure_app("dark")
deck = loads_deck(DECK, "xcb.toml")
st = StageWindow(deck, build_deck(deck), interactive=False)
st.show_scene(0)
show_full_screen(st, 0)  # what `gmpviz present` and F5 do
QTest.qWaitForWindowExposed(st, 10000)
K = QtCore.Qt.Key
out = {"platform": app.platformName(), "screen": list(st.screen().geometry().getRect())}

def settle():
    for _ in range(5):
        app.processEvents()
        QTest.qWait(20)

def press(key):
    QTest.keyClick(st.focusWidget() or st, key)
    settle()

settle()
out["full_screen"] = bool(st.windowState() & QtCore.Qt.WindowState.WindowFullScreen)
out["geometry"] = list(st.geometry().getRect())
out["title0"] = st.title.text()
press(K.Key_PageDown)
press(K.Key_PageDown)  # pressed again while playing: there at once
out["stop_after_two"] = st.sv.stop_k
for _ in range(5):  # to stop 1, there, to the scene's end, there, on to the next scene
    press(K.Key_Right)
out["title_after"] = st.title.text()
def screen_mean():
    img = st.screen().grabWindow(0).toImage().convertToFormat(QtGui.QImage.Format.Format_Grayscale8)
    b = img.constBits()
    data = bytes(b)[: img.sizeInBytes()]
    return sum(data[::97]) / len(data[::97])
out["lit_before_blank"] = screen_mean()
press(K.Key_B)
out["lit_blank"] = screen_mean()
press(K.Key_Escape)
out["visible_after_esc"] = st.isVisible()
print(json.dumps(out))
"""


def test_the_stage_on_a_real_x_server(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from real_window_check import start_xvfb
    finally:
        sys.path.pop(0)
    xvfb, display = start_xvfb("1920x1080")
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", GMPVIZ_CACHE=str(tmp_path / "cache"))
        env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
        r = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=str(ROOT),
        )
        assert r.returncode == 0, r.stderr[-2000:]
        out = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    assert out["platform"] == "xcb"
    assert out["full_screen"] and out["geometry"] == out["screen"] == [0, 0, 1920, 1080]
    assert out["title0"] == "one" and out["stop_after_two"] == 0
    assert out["title_after"] == "two"
    assert out["lit_before_blank"] > 2 * out["lit_blank"] and out["lit_blank"] < 5  # B: a black screen
    assert out["visible_after_esc"] is False
