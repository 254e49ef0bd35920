"""The player: the window (`MainWindow`) driven by a `ReplayController` over a recording, with a
scrubber, speeds, steps, jumps to the next/previous GC, STW, steal, hand-off or preemption, and
bookmarks; offscreen PNG/video export.

The session's source is the recording (an `EventSource` that has nothing more to give): the
histories are folded by `Replay` in the background and the cursor state is restored from keyframes.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ..core.constants import GO_VERSION, MS
from ..model import ASSUMPTIONS as MODEL_ASSUMPTIONS
from ..record import ASSUMPTIONS as RECORD_ASSUMPTIONS
from ..record import RecordingError
from ..record.bookmarks import Bookmark, load_bookmarks, save_bookmarks
from ..record.outpath import PART_SUFFIX, check_output, write_bytes
from ..record.replay import MARK_NAMES, Replay
from ..session import Session
from . import ASSUMPTIONS as UI_ASSUMPTIONS
from .controls import DEFAULT_SPEED
from .main_window import MainWindow
from .theme import get_theme
from .views import fmt_bytes, fmt_ns

SCRUB_STEPS = 10_000  # scrubber positions over the whole run
SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)  # x DEFAULT_SPEED (the live default)
MARK_LABELS = {"gc": "GC", "stw": "STW", "steal": "steal", "handoff": "hand-off", "preempt": "preemption"}
LOAD_BUDGET_S = (0.008, 0.030)  # history folding per frame while loading (playing, paused)
PLAYER_SIZE = (1500, 950)
GC_PHASES = ("_GCoff", "_GCmark", "_GCmarktermination")  # mgc.go gcphase values
GC_PHASE_TEXT = ("GC off", "marking", "mark termination")
SHORTCUTS = {
    "play": "Space",
    "step_fwd": "Right",
    "step_back": "Left",
    "next_mark": "Ctrl+Right",
    "prev_mark": "Ctrl+Left",
    "bookmark": "Ctrl+B",
    "faster": "]",
    "slower": "[",
    "fit": "F",
    "reveal": "R",
}


def _icon(name: str) -> QtGui.QIcon:
    """A standard icon of the platform's style (QStyle.StandardPixmap.SP_<name>): drawn, never a
    font glyph (U+23F8 "⏸" is a missing-glyph box in DejaVu Sans, the default font on Linux)."""
    style = QtWidgets.QApplication.style()
    return style.standardIcon(getattr(QtWidgets.QStyle.StandardPixmap, f"SP_{name}"))


class RecordingSource:
    """A recording as an EventSource: everything is already there, so polling yields nothing."""

    def poll(self) -> list:
        return []


class ReplayController:
    """Drives the window with a Replay: a cursor over a recording, played at a speed or moved by the
    scrubber, steps, jumps and bookmarks. The session's source is the recording (nothing to poll)."""

    def __init__(self, replay: Replay, path: str) -> None:
        self.replay = replay
        self.path = os.fspath(path)
        self.win = None
        self.playing = False
        self.speed_x = 1.0
        self._last_wall = time.perf_counter()
        self._dirty = True
        self.session = Session(RecordingSource(), replay.model)
        self.session.done = True
        self.bookmarks: list[Bookmark] = []

    def add_toolbars(self, win) -> None:
        self.win = win
        try:
            self.bookmarks = load_bookmarks(self.path, self.replay.reader)
        except RecordingError as e:
            win.statusBar().showMessage(str(e), 10000)
        self._build_bar()

    def attach(self, win) -> None:
        replay = self.replay
        self._build_cursors()
        self._build_menu()
        h = replay.reader.header
        groups = replay.reader.groups
        win.timeline.set_groups(groups)
        win.timeline.fit()
        win.spans.fresh_layout = True
        win.assumptions.set_content(
            list(h.get("assumptions") or []),
            (*RECORD_ASSUMPTIONS, *MODEL_ASSUMPTIONS, *UI_ASSUMPTIONS),
            (h.get("scenario") or {}).get("name", "?"),
            str(h.get("notice", "")),
        )
        st = h.get("settings") or {}
        # recordings made before ncpu was modelled have none: their Ms never waited for a CPU
        win.timeline.set_ncpu(int(st.get("ncpu", 0) or 0))
        container = -1
        with contextlib.suppress(RecordingError):
            container = int(getattr(replay.reader.scenario(), "container_limit_bytes", -1))
        # SIMPLIFICATION: the player draws GOMEMLIMIT as the recording started with it; a limit set
        # by the program while it ran is not in the recording's events
        win.heap.set_limits(int(st.get("memlimit_bytes", -1)), container)
        name = (h.get("scenario") or {}).get("name", "?")
        win.scenario_view.set_scenario(name, toml_text=str((h.get("scenario") or {}).get("text") or ""))
        win.setWindowTitle(f"gmpviz — {os.path.basename(self.path)} ({name}) — Go runtime {GO_VERSION}")
        self._sync_controls()

    def close(self) -> None:
        self.playing = False

    def wakes_of(self, goid: int):
        """Who woke G `goid`, and when: every GoUnblock of it in the recording."""
        return self.replay.reader.wakes_of(goid)

    def resized(self) -> None:
        return

    # --- widgets --------------------------------------------------------------------------------
    def _build_bar(self) -> None:
        bar = QtWidgets.QToolBar("Playback", self.win)
        bar.setObjectName("playback")
        bar.setMovable(False)
        self.win.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, bar)
        self.play_btn = QtWidgets.QToolButton(text="Play")
        self.play_btn.setIcon(_icon("MediaPlay"))
        self.play_btn.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.play_btn.setCheckable(True)
        self.play_btn.setToolTip(f"Play/pause ({SHORTCUTS['play']})")
        self.play_btn.toggled.connect(self.set_playing)
        bar.addWidget(self.play_btn)
        for label, icon, tip, fn in (
            (
                "event",
                "MediaSeekBackward",
                f"Step back one event ({SHORTCUTS['step_back']})",
                lambda: self.step_events(-1),
            ),
            (
                "event",
                "MediaSeekForward",
                f"Step forward one event ({SHORTCUTS['step_fwd']})",
                lambda: self.step_events(1),
            ),
        ):
            b = QtWidgets.QToolButton(text=label)
            b.setIcon(_icon(icon))
            b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setToolTip(tip)
            b.clicked.connect(fn)
            bar.addWidget(b)
        bar.addSeparator()
        self.mark_box = QtWidgets.QComboBox()
        for k in MARK_NAMES:
            self.mark_box.addItem(MARK_LABELS[k], k)
        self.mark_box.setToolTip("What the jump buttons look for")
        prev_b = QtWidgets.QToolButton(text="prev")
        prev_b.setIcon(_icon("MediaSkipBackward"))
        prev_b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        prev_b.setToolTip(f"Previous one ({SHORTCUTS['prev_mark']})")
        prev_b.clicked.connect(lambda: self.jump(-1))
        next_b = QtWidgets.QToolButton(text="next")
        next_b.setIcon(_icon("MediaSkipForward"))
        next_b.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        next_b.setToolTip(f"Next one ({SHORTCUTS['next_mark']})")
        next_b.clicked.connect(lambda: self.jump(1))
        bar.addWidget(prev_b)
        bar.addWidget(self.mark_box)
        bar.addWidget(next_b)
        bar.addSeparator()
        bar.addWidget(QtWidgets.QLabel(" speed "))
        self.speed_box = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}x", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip(f"1x = {fmt_ns(DEFAULT_SPEED)} of virtual time per second (as live)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed_x(SPEEDS[i]))
        bar.addWidget(self.speed_box)
        bar.addSeparator()
        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.scrubber.setRange(0, SCRUB_STEPS)
        # it stretches over what is left; 200 px at least, so the whole bar fits a 1600 px window
        # with the time label's room for a long recording's text
        self.scrubber.setMinimumWidth(200)
        self.scrubber.setToolTip("Scrub over the whole run")
        self.scrubber.valueChanged.connect(self._scrubbed)
        bar.addWidget(self.scrubber)
        self.time_label = QtWidgets.QLabel()
        # as wide as the widest text it will show, reserved now: a full bar squeezed the label to a
        # fixed 230 px and cut its text ("event 70,400/70,4" at 1600 px)
        self.time_label.setMinimumWidth(self._time_label_px())
        bar.addWidget(self.time_label)
        bar.addSeparator()
        self.bm_btn = QtWidgets.QToolButton(text="+ bookmark")
        self.bm_btn.setToolTip(f"Bookmark this moment ({SHORTCUTS['bookmark']})")
        self.bm_btn.clicked.connect(lambda: self.add_bookmark())
        bar.addWidget(self.bm_btn)
        self.bm_box = QtWidgets.QComboBox()
        self.bm_box.setMinimumWidth(160)
        self.bm_box.setToolTip(f"Bookmarks (saved in {os.path.basename(self.path)} itself)")
        self.bm_box.activated.connect(self._bookmark_picked)
        bar.addWidget(self.bm_box)
        bar.addSeparator()
        self.reveal_box = QtWidgets.QCheckBox("reveal")
        self.reveal_box.setToolTip(
            f"Hide what happens after the cursor until playback reaches it ({SHORTCUTS['reveal']})"
        )
        self.reveal_box.toggled.connect(self.set_reveal)
        bar.addWidget(self.reveal_box)
        self.playback_bar = bar
        self.masks: list = []
        self._fill_bookmarks()
        for key, fn in (
            ("play", lambda: self.play_btn.toggle()),
            ("step_fwd", lambda: self.step_events(1)),
            ("step_back", lambda: self.step_events(-1)),
            ("next_mark", lambda: self.jump(1)),
            ("prev_mark", lambda: self.jump(-1)),
            ("bookmark", lambda: self.add_bookmark()),
            (
                "faster",
                lambda: self.speed_box.setCurrentIndex(
                    min(self.speed_box.currentIndex() + 1, len(SPEEDS) - 1)
                ),
            ),
            ("slower", lambda: self.speed_box.setCurrentIndex(max(self.speed_box.currentIndex() - 1, 0))),
            ("fit", self.fit),
            ("reveal", lambda: self.reveal_box.toggle()),
        ):
            sc = QtGui.QShortcut(QtGui.QKeySequence(SHORTCUTS[key]), self.win)
            sc.activated.connect(fn)

    def _build_cursors(self) -> None:
        pen = pg.mkPen(self.win.theme.foreground, width=1.5)
        self.tl_cursor = pg.InfiniteLine(angle=90, movable=True, pen=pen)
        self.tl_cursor.setZValue(20)
        self.tl_cursor.sigDragged.connect(lambda line: self.seek_time(int(line.value() * MS)))
        self.win.timeline.plot.addItem(self.tl_cursor)
        self.win.timeline.time_clicked.connect(lambda t: self.seek_time(int(t)))
        self.heap_cursor = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self.win.heap.heap.addItem(self.heap_cursor)
        self.win.events.time_clicked.connect(lambda t: self.seek_time(int(t)))

    def _build_menu(self) -> None:
        menu = self.win.file_menu
        menu.addAction("Open…", lambda: open_file_dialog(self.win))
        menu.addAction("Export PNG…", self._export_png_dialog)
        menu.addAction("Export video…", self._export_video_dialog)
        menu.addAction("Export Perfetto JSON…", self._export_perfetto_dialog)

    # --- cursor ---------------------------------------------------------------------------------
    def seek_time(self, t_ns: int) -> None:
        self.replay.seek_time(t_ns)
        self._dirty = True
        self._sync_controls()

    def seek_index(self, i: int) -> None:
        self.replay.seek_index(i)
        self._dirty = True
        self._sync_controls()

    def step_events(self, n: int) -> None:
        self.set_playing(False)
        self.seek_index(self.replay.index + n)
        ev = self.replay.current_event()
        if ev is not None:
            from ..core.trace.events import EV

            try:
                name = EV(int(ev["kind"])).name
            except ValueError:
                name = str(int(ev["kind"]))
            self.win.statusBar().showMessage(
                f"event {self.replay.index:,}: {name} P{int(ev['p'])} M{int(ev['m'])} G{int(ev['g'])}", 5000
            )

    def jump(self, direction: int, mark: str | None = None) -> bool:
        mark = mark or self.mark_box.currentData()
        self.set_playing(False)
        ok = self.replay.jump(mark, direction)
        if not ok:
            self.win.statusBar().showMessage(
                f"no {'next' if direction > 0 else 'previous'} {MARK_LABELS[mark]}", 3000
            )
        self._dirty = True
        self._sync_controls()
        return ok

    def set_playing(self, on: bool) -> None:
        self.playing = bool(on)
        self._last_wall = time.perf_counter()
        if self.play_btn.isChecked() != self.playing:
            self.play_btn.blockSignals(True)
            self.play_btn.setChecked(self.playing)
            self.play_btn.blockSignals(False)
        self.play_btn.setText("Pause" if self.playing else "Play")
        self.play_btn.setIcon(_icon("MediaPause" if self.playing else "MediaPlay"))
        if on and self.replay.t_ns >= self.replay.t_end_ns:
            self.seek_time(0)

    def set_reveal(self, on: bool) -> None:
        """Reveal mode: the recording's future stays hidden until the cursor reaches it."""
        from .items.reveal import RevealMask, time_viewboxes

        if on and not self.masks:
            self.masks = [RevealMask(vb, self.win.theme.background) for vb in time_viewboxes(self.win)]
        for m in self.masks:
            m.item.setVisible(on)
        self._dirty = True

    @property
    def revealing(self) -> bool:
        return self.reveal_box.isChecked()

    def fit(self) -> None:
        """F: the whole recording in the timeline and every time plot (as in the live window)."""
        self.win.fit()
        self._dirty = True

    def set_speed_x(self, x: float) -> None:
        self.speed_x = float(x)

    def _scrubbed(self, pos: int) -> None:
        self.seek_time(int(self.replay.t_end_ns * pos / SCRUB_STEPS))

    def _time_text(self, t_ns: int, index: int) -> str:
        rp = self.replay
        return f" {fmt_ns(t_ns)} / {fmt_ns(rp.t_end_ns)} · event {index:,}/{rp.n_events:,}"

    def _time_label_px(self) -> int:
        """The width of the widest text the time label shows over the whole recording: the cursor's
        time at the longest of its units' formats up to the end, the event index at its widest."""
        rp = self.replay
        fm = self.time_label.fontMetrics()
        times = [t for t in (rp.t_end_ns, 999, 999_990, 999_999_999, 999_999_999_999) if t <= rp.t_end_ns]
        index = int("8" * len(str(max(rp.n_events, 1))))  # the digits' widest (most fonts: all equal)
        return max(fm.horizontalAdvance(self._time_text(t, index)) for t in times) + 12

    def _sync_controls(self) -> None:
        rp = self.replay
        pos = int(round(rp.t_ns / max(rp.t_end_ns, 1) * SCRUB_STEPS))
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(pos)
        self.scrubber.blockSignals(False)
        self.time_label.setText(self._time_text(rp.t_ns, rp.index))
        x = rp.t_ns / MS
        self.tl_cursor.blockSignals(True)
        self.tl_cursor.setValue(x)
        self.tl_cursor.blockSignals(False)
        self.heap_cursor.setValue(x)

    # --- bookmarks ------------------------------------------------------------------------------
    def add_bookmark(self, label: str | None = None) -> Bookmark | None:
        rp = self.replay
        if label is None:
            default = f"{fmt_ns(rp.t_ns)}"
            if self.win.interactive:
                label, ok = QtWidgets.QInputDialog.getText(self.win, "Bookmark", "Label:", text=default)
                if not ok:
                    return None
            else:
                label = default
        bm = Bookmark(str(label), int(rp.t_ns), int(rp.index))
        self.bookmarks.append(bm)
        try:
            save_bookmarks(self.path, self.bookmarks)
        except RecordingError as e:
            self.win.statusBar().showMessage(str(e), 10000)
        self.bookmarks = sorted(self.bookmarks, key=lambda b: (b.index, b.t_ns, b.label))
        self._fill_bookmarks()
        return bm

    def _fill_bookmarks(self) -> None:
        self.bm_box.clear()
        for b in self.bookmarks:
            self.bm_box.addItem(f"{b.label} ({fmt_ns(b.t_ns)})", b.index)

    def _bookmark_picked(self, i: int) -> None:
        if 0 <= i < len(self.bookmarks):
            self.go_to_bookmark(self.bookmarks[i])

    def go_to_bookmark(self, b: Bookmark) -> None:
        self.set_playing(False)
        self.replay.seek_index(b.index)
        self.replay.t_ns = b.t_ns
        self._dirty = True
        self._sync_controls()

    # --- the frame ------------------------------------------------------------------------------
    def frame(self, t0: float) -> bool:
        rp = self.replay
        loading = not rp.loaded
        if loading:
            rp.load_step(LOAD_BUDGET_S[0] if self.playing else LOAD_BUDGET_S[1])
            self._dirty = True
        now_w = time.perf_counter()
        if self.playing:
            dt = now_w - self._last_wall
            t = rp.t_ns + int(dt * self.speed_x * DEFAULT_SPEED)
            if t >= rp.t_end_ns:
                t = rp.t_end_ns
                self.set_playing(False)
            self.seek_time(t)
        self._last_wall = now_w
        win = self.win
        win.frames += 1
        if self._dirty:
            self._dirty = False
            win.refresh_views(slow=win.frames % 6 == 0 or not self.playing, force=False)
        self._player_status(loading)
        return True

    def before_refresh(self, full: bool) -> None:
        reveal = self.replay.t_ns if self.revealing else float("inf")
        self.win.timeline.reveal_ns = reveal
        self.win.heap.reveal_ns = reveal
        if full:
            self.replay.sync_log()

    def after_refresh(self, full: bool) -> None:
        if full:
            # the histories end at the run's end, the inspector's "for how long" ends at the cursor
            m = self.session.model
            end, m.now_ns = m.now_ns, self.replay.t_ns
            try:
                self.win.inspector.refresh(m, force=True)
            finally:
                m.now_ns = end
            self._heap_summary_at_cursor()
        self._sync_controls()
        if self.revealing:
            for m in self.masks:
                m.at(self.replay.t_ns / MS)

    def _heap_summary_at_cursor(self) -> None:
        """The heap view's summary line reads the latest counters row: in the player, the cursor's."""
        r = self.replay.counters_now()[0]
        ph = int(r["gc_phase"])
        phase = f"{GC_PHASE_TEXT[ph]} ({GC_PHASES[ph]})" if 0 <= ph < len(GC_PHASES) else "?"
        p = self.session.model.gc.pauses
        n = int(np.searchsorted(p.col("start_ns"), self.replay.t_ns, side="right")) if p.n else 0
        stw = f" · STW pauses {n}, last {fmt_ns(p.col('duration_ns')[n - 1])}" if n else ""
        # a real program's trace has no HeapSys (gotrace/convert.py leaves it 0): unknown is not 0 B
        sys_ = f" · HeapSys {fmt_bytes(r['heap_sys'])}" if r["heap_sys"] > 0 else ""
        self.win.heap.summary.setText(
            f"at {fmt_ns(self.replay.t_ns)}: HeapAlloc {fmt_bytes(r['heap_alloc'])} · goal "
            f"{fmt_bytes(r['heap_goal'])}{sys_} · GC cycles "
            f"{int(r['gc_cycles'])} · {phase} · GC CPU {100 * float(r['gc_cpu_fraction']):.1f}%{stw}"
            f"{' · world stopped' if r['stw'] else ''}"
        )

    def _player_status(self, loading: bool) -> None:
        rp = self.replay
        load = f" · loading {100 * rp.loaded_events / max(rp.n_events, 1):.0f}%" if loading else ""
        cut = " · recording was cut short" if rp.reader.truncated else ""
        state = "playing" if self.playing else "paused"
        self.win.status_label.setText(
            f"{state} · t = {fmt_ns(rp.t_ns)} · {rp.n_events:,} events · speed {self.speed_x:g}x{load}{cut}"
        )

    def render_now(self) -> None:
        """Draw every view for the current cursor (export frames, screenshots)."""
        app = QtWidgets.QApplication.instance()
        self._player_status(False)  # the status line is set by the frame timer, which is stopped here
        self.win.refresh_views(slow=True, force=True)
        app.processEvents()
        self.win.refresh_views(slow=True, force=True)
        app.processEvents()

    # --- export from the window -----------------------------------------------------------------
    def _ask_path(self, title: str, filt: str, suffix: str) -> str | None:
        base = os.path.splitext(self.path)[0] + suffix
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.win, title, base, filt)
        return path or None

    def _progress_dialog(self, label: str) -> QtWidgets.QProgressDialog:
        dlg = QtWidgets.QProgressDialog(label, "Cancel", 0, 100, self.win)
        dlg.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        dlg.setMinimumDuration(0)
        return dlg

    def _export_png_dialog(self) -> None:
        path = self._ask_path("Export PNG", "PNG images (*.png)", ".png")
        if path:
            self.save_png(path)
            self.win.statusBar().showMessage(f"wrote {path}", 5000)

    def _export_perfetto_dialog(self) -> None:
        from ..record.perfetto import export_perfetto

        path = self._ask_path("Export Perfetto JSON", "Trace JSON (*.json)", ".json")
        if not path:
            return
        dlg = self._progress_dialog("Writing the trace…")
        try:
            export_perfetto(
                self.replay,
                path,
                lambda f: (dlg.setValue(int(f * 100)), QtWidgets.QApplication.processEvents()),
            )
            self.win.statusBar().showMessage(f"wrote {path}", 5000)
        except RecordingError as e:
            self.win.statusBar().showMessage(str(e), 10000)
        finally:
            dlg.close()

    def _export_video_dialog(self) -> None:
        from ..record.export import video_encoder_available

        if not video_encoder_available():
            self.win.statusBar().showMessage("video export needs PyAV: pip install 'gmpviz[video]'", 10000)
            return
        path = self._ask_path("Export video", "MP4 video (*.mp4)", ".mp4")
        if not path:
            return
        dlg = self._progress_dialog("Rendering the video…")

        def progress(f: float) -> None:
            dlg.setValue(int(f * 100))
            if dlg.wasCanceled():
                raise KeyboardInterrupt

        try:
            n = render_video(self.replay, path, 0, self.replay.t_end_ns, 30, (1920, 1080), progress)
            self.win.statusBar().showMessage(f"wrote {path}: {n} frames", 5000)
        except KeyboardInterrupt:
            self.win.statusBar().showMessage("video export cancelled", 5000)
        except RecordingError as e:
            self.win.statusBar().showMessage(str(e), 10000)
        finally:
            dlg.close()

    def save_png(self, path: str, size: tuple[int, int] | None = None) -> None:
        img = self.frame_image(size)
        _save_image_atomically(img, path)

    def frame_image(self, size: tuple[int, int] | None = None) -> QtGui.QImage:
        self.render_now()
        img = self.win.grab().toImage()
        if size is not None and (img.width(), img.height()) != tuple(size):
            img = img.scaled(
                size[0],
                size[1],
                QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation,
            )
        return img


# --- offscreen rendering (gmpviz export) ------------------------------------------------------------
def png_bytes(img: QtGui.QImage) -> bytes:
    """The image as PNG bytes, encoded in memory: the file is then written by gmpviz.record.outpath
    (one error line naming the path; libpng never sees the disk, so it prints nothing)."""
    buf = QtCore.QBuffer()
    buf.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not img.save(buf, "PNG"):
        raise RecordingError("cannot encode the image as PNG")
    return bytes(buf.data())


def _save_image_atomically(img: QtGui.QImage, path: str) -> None:
    write_bytes(path, png_bytes(img), what="the image")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _offscreen_app(theme: str = "dark"):
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .app import ensure_app

    return ensure_app(theme)


def player_window(theme, replay: Replay, path: str, settings=None, interactive: bool = True) -> MainWindow:
    """The window driven by a ReplayController over `replay` (read from `path`)."""
    return MainWindow(
        theme, settings=settings, interactive=interactive, controller=ReplayController(replay, path)
    )


def _offscreen_window(replay: Replay, size: tuple[int, int], theme: str = "dark") -> MainWindow:
    _offscreen_app(theme)
    win = player_window(get_theme(theme), replay, replay.reader.path, settings=None, interactive=False)
    win.timer.stop()  # frames are driven by the exporter, not the clock
    win.resize(*size)
    win.show()
    replay.load_all()
    win.timeline.fit()
    return win


def render_png(replay: Replay, out: str, at_ns: int, size: tuple[int, int]) -> None:
    """The player window at virtual time `at_ns`, drawn offscreen, saved as PNG (atomically)."""
    win = _offscreen_window(replay, size)
    try:
        win.seek_time(at_ns)
        win.save_png(out, size)
    finally:
        win.close()


def render_video(replay: Replay, out: str, t0_ns: int, t1_ns: int, fps: int, size, progress=None) -> int:
    """Frames from t0 to t1 at `fps`, each drawn offscreen, encoded H.264 into `out` (via temp);
    see `gmpviz.ui.video` for how it keeps up with real time."""
    try:
        import av
    except ImportError:
        raise RecordingError("--video needs the PyAV encoder: pip install 'gmpviz[video]'") from None
    from .video import FrameRenderer, encode_video

    speed = DEFAULT_SPEED  # the video runs at the player's 1x
    nframes = max(1, int(np.ceil((t1_ns - t0_ns) / speed * fps)))
    tmp = check_output(out, (replay.reader.path,), "the video") + PART_SUFFIX
    win = _offscreen_window(replay, size)

    def frames():
        renderer = FrameRenderer(win, size)
        for k in range(nframes):
            win.seek_time(min(t1_ns, t0_ns + int(k * speed / fps)))
            yield renderer.frame()

    try:
        n = encode_video(tmp, frames(), nframes, fps, size, progress)
        os.replace(tmp, tmp[: -len(PART_SUFFIX)])  # a symlink's target, written through
    except BaseException as e:
        _remove(tmp)
        if isinstance(e, OSError | av.FFmpegError):
            raise RecordingError(f"cannot write the video {out}: {e}") from None
        raise
    finally:
        win.close()
    return n


# --- gmpviz play ------------------------------------------------------------------------------------
OPEN_FILTER = "Recordings and Go traces (*.gmprec *.trace *.out);;All files (*)"
_OPEN_WINDOWS: list = []  # players opened from File → Open (kept alive until closed)


def open_path(path: str, theme: str = "dark") -> MainWindow:
    """A player window on a .gmprec, or on a Go execution trace (converted once into the cache);
    RecordingError (one line) if it is neither or cannot be read."""
    from ..gotrace.cli import is_go_trace
    from ..record.fromtrace import cached_recording

    if is_go_trace(path):
        path, _warning = cached_recording(path)
    win = open_player(path, theme)
    _OPEN_WINDOWS.append(win)
    win.destroyed.connect(lambda *_: _OPEN_WINDOWS.remove(win) if win in _OPEN_WINDOWS else None)
    win.resize(*PLAYER_SIZE)
    win.show()
    return win


def open_file_dialog(parent) -> None:
    """File → Open: pick a recording or a Go trace; it opens in a player window of its own."""
    path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, "Open a recording or a Go trace", "", OPEN_FILTER)
    if not path:
        return
    try:
        open_path(path, getattr(getattr(parent, "theme", None), "name", "dark"))
    except (RecordingError, ValueError, OSError) as e:
        QtWidgets.QMessageBox.warning(parent, "gmpviz", str(e))


def open_player(
    path: str, theme: str = "dark", settings=None, interactive: bool = True, replay: Replay | None = None
) -> MainWindow:
    from .app import ensure_app

    replay = replay or Replay.open(path)
    ensure_app(theme)
    return player_window(get_theme(theme), replay, path, settings=settings, interactive=interactive)


def run_player(path: str, screenshot: str | None = None, theme: str = "dark") -> int:
    """`gmpviz play FILE [--screenshot PNG]`; errors are one line on stderr and exit code 2."""
    try:
        get_theme(theme)
        replay = Replay.open(path)  # before any window: a bad file is one line, not a Qt start-up
        if screenshot is not None:
            _offscreen_app(theme)
            settings = None
        else:
            from .app import ensure_app

            ensure_app(theme)
            settings = QtCore.QSettings("gmpviz", "gmpviz-player")
        win = open_player(path, theme, settings=settings, interactive=screenshot is None, replay=replay)
    except (RecordingError, ValueError) as e:
        print(f"gmpviz: {e}", file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance()
    if screenshot is not None:
        from .app import SCREENSHOT_SIZE

        win.timer.stop()
        win.resize(*SCREENSHOT_SIZE)  # the same size as `gmpviz run --screenshot`
        win.show()
        win.replay.load_all()
        win.timeline.fit()
        win.seek_time(win.replay.t_end_ns)
        try:
            win.save_png(screenshot)
        except RecordingError as e:
            print(f"gmpviz: {e}", file=sys.stderr)
            return 2
        finally:
            win.close()
        from ..console import wrote

        w, h = SCREENSHOT_SIZE
        print(wrote(screenshot, f"PNG screenshot of the player, {w}x{h}, at {win.replay.t_ns / 1e9:g} s"))
        return 0
    from .app import fit_to_screen, sigint_closes

    if settings is None or settings.value("geometry") is None:
        win.resize(*PLAYER_SIZE)
    fit_to_screen(win)
    win.show()
    with sigint_closes(app, win) as interrupted:
        rc = app.exec()
    return 128 + interrupted() if interrupted() else rc
