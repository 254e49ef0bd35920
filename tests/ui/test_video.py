"""Video frames: the cheap frames between full redraws show what a full redraw shows."""

from __future__ import annotations

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.record.replay import Replay

SIZE = (1920, 1080)


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "v.gmprec"
    assert main(["run", "default", "--headless", "--duration", "300ms", "--record", str(path)]) == 0
    return str(path)


def _pixels(img) -> np.ndarray:
    w, h = img.width(), img.height()
    return np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, w, 4)[..., :3].copy()


def test_cursor_frames_match_a_full_redraw_where_the_cursor_moves(rec, qapp):
    from gmpviz.ui import player, video

    win = player._offscreen_window(Replay.open(rec), SIZE)
    try:
        r = video.FrameRenderer(win, SIZE)
        assert r._fast_ok(), "a 1920x1080 offscreen window takes the fast path"
        t0 = 100_000_000
        win.seek_time(t0)
        r.frame()  # the base
        win.seek_time(t0 + 3_333_333)
        cheap = _pixels(r.frame())
        full = _pixels(video.grab_frame(win, SIZE))
        tl = win.timeline
        p = tl.mapTo(win, tl.rect().topLeft())
        box = (slice(p.y(), p.y() + tl.height()), slice(p.x(), p.x() + tl.width()))
        differ = (cheap[box] != full[box]).any(axis=2)
        cols = np.unique(np.nonzero(differ)[1])
        assert len(cols) <= 2, cols  # at most the cursor line's rounding
        # and the cursor did move: the frame before it differs from this one in the timeline
        win.seek_time(t0 + 6_666_666)
        later = _pixels(r.frame())
        assert (later[box] != cheap[box]).any()
    finally:
        win.close()


def test_a_held_picture_is_encoded_once_per_frame_it_is_held(tmp_path, qapp):
    """Repeat(image, n): n frames of one picture (title cards, pauses), each with its own time stamp."""
    av = pytest.importorskip("av")
    from PySide6 import QtGui

    from gmpviz.ui.video import Repeat, encode_video

    def solid(colour: str) -> QtGui.QImage:
        img = QtGui.QImage(64, 48, QtGui.QImage.Format.Format_RGB32)
        img.fill(QtGui.QColor(colour))
        return img

    out = str(tmp_path / "r.mp4")
    n = encode_video(
        out, [Repeat(solid("#ff0000"), 5), solid("#00ff00"), Repeat(solid("#0000ff"), 3)], 9, 30, (64, 48)
    )
    assert n == 9
    with av.open(out) as f:
        frames = [fr.to_ndarray(format="rgb24")[24, 32] for fr in f.decode(video=0)]
    assert len(frames) == 9
    dominant = [int(np.argmax(px)) for px in frames]
    assert dominant == [0] * 5 + [1] + [2] * 3
