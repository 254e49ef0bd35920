"""The first minutes: missing Qt libraries are named before Qt starts, Ctrl-C closes the window."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import gmpviz.qtcheck as qtcheck
from gmpviz.cli import main

MISSING = ["libxcb-icccm4", "libxcb-keysyms1"]


@pytest.mark.parametrize("argv", [["run", "default"], [], ["bench", "--video"]])
def test_missing_xcb_libraries_are_one_line_before_qt(argv, monkeypatch, capsys):
    monkeypatch.setattr(qtcheck, "missing_xcb_packages", lambda: list(MISSING))
    monkeypatch.setenv("DISPLAY", ":99")
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.strip().splitlines()) == 1
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in cap.err


def test_missing_libraries_come_from_ldd(monkeypatch, tmp_path):
    """`ldd` output with "not found" lines -> Debian package names (the real plugin, a fake ldd)."""
    if qtcheck.qt_dir() is None:
        pytest.skip("PySide6 not installed")
    fake = tmp_path / "ldd"
    fake.write_text(
        "#!/bin/sh\necho '\tlibxcb-icccm.so.4 => not found'\necho '\tlibxkbcommon-x11.so.0 => not found'\n"
        "echo '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(qtcheck.shutil, "which", lambda name: str(fake))
    monkeypatch.setattr(qtcheck, "fonts_installed", lambda: True)
    assert qtcheck.missing_packages("xcb") == ["libxcb-icccm4", "libxkbcommon-x11-0"]


def _start(argv: list[str], tmp_path) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    return subprocess.Popen(
        [sys.executable, "-m", "gmpviz", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
@pytest.mark.parametrize(("sig", "rc"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_closes_the_run_window_and_finalises_its_recording(tmp_path, sig, rc):
    rec = tmp_path / "w.gmprec"
    app = _start(["run", "default", "--record", str(rec)], tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (rec.exists() or (tmp_path / "w.gmprec.part").exists()) and time.monotonic() < deadline:
            assert app.poll() is None, app.communicate()
            time.sleep(0.2)
        time.sleep(1.5)  # the window is up (the recorder opens in win.start) and running
        app.send_signal(sig)
        out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == rc and "Traceback" not in err, err
    assert out.startswith(f"wrote {rec}: recording of the window's run of default (")
    from gmpviz.record.reader import RecordingReader

    r = RecordingReader.open(str(rec))
    assert r.cut_short() is None and r.n_events > 0
