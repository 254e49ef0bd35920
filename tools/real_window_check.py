#!/usr/bin/env python3
"""The real window on a real X server (Xvfb), not Qt's offscreen platform: what CI runs once.

    tools/real_window_check.py OUT.png [--size 1920x1080] [-- COMMAND...]

Starts Xvfb, runs COMMAND (default: `.venv/bin/gmpviz run default`) with DISPLAY set and no
QT_QPA_PLATFORM (so Qt loads its xcb plugin and every shared library it links), grabs the X screen
(QScreen.grabWindow of the root window, through xcb too) until the timeline's lane colours show, saves
that screenshot, checks that the window fits the screen, then presses Ctrl-C (SIGINT) and checks
that the app closes cleanly: exit status 130, no traceback. Exit 0 when all of that holds; 1 with
one line saying what did not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINDOW_TIMEOUT_S = 90.0
EXIT_TIMEOUT_S = 20.0
MIN_LANE_PIXELS = 2000  # pixels of goroutine-group colours: lanes were drawn, not just a frame


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise SystemExit("real_window_check: no free X display number")


def start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SystemExit("real_window_check: Xvfb is not installed (Debian: apt-get install xvfb)")
    n = free_display()
    proc = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            return proc, f":{n}"
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("real_window_check: Xvfb did not start")


GRAB = r"""
import sys
import numpy as np
from PySide6 import QtGui
sys.path.insert(0, sys.argv[2])
from gmpviz.ui.theme import GROUP_COLOURS, rgb
app = QtGui.QGuiApplication(["grab"])
screen = app.primaryScreen()
img = screen.grabWindow(0).toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
w, h = img.width(), img.height()
px = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
px = px[:, : 3 * w].reshape(h, w, 3)
want = np.array([rgb(c) for c in GROUP_COLOURS[:4]], dtype=np.uint8)
lanes = int(sum((px == c).all(axis=2).sum() for c in want))
# the window's extent: the rows/columns that are not the X server's black background
fg = px.any(axis=2)
cols, rows = np.flatnonzero(fg.any(axis=0)), np.flatnonzero(fg.any(axis=1))
extent = (int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)) if len(cols) else (0, 0)
img.save(sys.argv[1])
print(app.platformName(), w, h, lanes, *extent)
"""


def grab(display: str, out: str, env: dict) -> tuple[str, int, int, int, int, int]:
    r = subprocess.run(
        [sys.executable, "-c", GRAB, out, str(ROOT)],
        env=dict(env, DISPLAY=display),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "grab failed")
    name, *nums = r.stdout.split()
    return (name, *(int(x) for x in nums))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1 :]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="where the screenshot goes, e.g. /tmp/window.png")
    ap.add_argument("--size", default="1920x1080", help="the X screen, e.g. --size 1280x720")
    ap.add_argument(
        "--timeout",
        type=float,
        default=WINDOW_TIMEOUT_S,
        help="seconds to wait for the lanes (a first ./dev run installs first), e.g. --timeout 600",
    )
    ap.add_argument("--cwd", default=None, help="where COMMAND runs, e.g. --cwd /tmp/fresh-clone")
    args = ap.parse_args(argv)
    cmd = cmd or [str(ROOT / ".venv" / "bin" / "gmpviz"), "run", "default"]
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="gmpviz-xdg-")  # no saved layout: the first start
    xvfb, display = start_xvfb(args.size)
    screen_w, screen_h = (int(v) for v in args.size.split("x"))
    app = None
    try:
        t0 = time.monotonic()
        # A first ./dev run says a lot (pip): files, not pipes, which could fill up and block it.
        log, errlog = tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        app = subprocess.Popen(cmd, env=dict(env, DISPLAY=display), stdout=log, stderr=errlog, cwd=args.cwd)

        def stderr_text() -> str:
            errlog.seek(0)
            return errlog.read()

        seen = None
        while time.monotonic() - t0 < args.timeout:
            time.sleep(1.0)
            if app.poll() is not None:
                log.seek(0)
                said = (stderr_text() or log.read()).strip().splitlines()[-1:] or [""]
                print(f"real_window_check: the app exited ({app.returncode}) before its window: {said[0]}")
                return 1
            try:
                seen = grab(display, args.out, env)
            except (RuntimeError, subprocess.TimeoutExpired):
                continue  # the grabber's own Qt may lack the libraries the app is installing right now
            if seen[3] >= MIN_LANE_PIXELS:
                break
        if seen is None or seen[3] < MIN_LANE_PIXELS:
            print(f"real_window_check: no lanes on the X screen after {args.timeout:.0f} s ({seen})")
            return 1
        platform, w, h, lanes, win_w, win_h = seen
        print(
            f"real_window_check: {platform} window on a {w}x{h} X screen after "
            f"{time.monotonic() - t0:.1f} s: {lanes:,} lane pixels, window extent {win_w}x{win_h}; "
            f"screenshot {args.out}"
        )
        if platform != "xcb" or (w, h) != (screen_w, screen_h):
            print(f"real_window_check: expected the xcb platform on {args.size}, got {platform} {w}x{h}")
            return 1
        if win_w > screen_w or win_h > screen_h:
            print(f"real_window_check: the window ({win_w}x{win_h}) is larger than the screen")
            return 1
        app.send_signal(signal.SIGINT)
        try:
            app.wait(timeout=EXIT_TIMEOUT_S)
            err = stderr_text()
        except subprocess.TimeoutExpired:
            print(f"real_window_check: Ctrl-C did not close the window within {EXIT_TIMEOUT_S:.0f} s")
            return 1
        if app.returncode != 130 or "Traceback" in err:
            print(f"real_window_check: Ctrl-C: exit {app.returncode}, stderr {err.strip()[-300:]!r}")
            return 1
        said = f"stderr: {err.strip()[-200:]}" if err.strip() else "nothing on stderr"
        print(f"real_window_check: Ctrl-C closed the window (exit 130, {said})")
        return 0
    finally:
        if app is not None and app.poll() is None:
            app.kill()
        xvfb.terminate()
        try:
            xvfb.wait(timeout=5)
        except subprocess.TimeoutExpired:
            xvfb.kill()


if __name__ == "__main__":
    sys.exit(main())
