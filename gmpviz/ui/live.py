"""The live controller: a scenario run by an engine thread, shown in the window as it goes.

It owns the run (engine, LiveSource, Session, File → Record's writer), the control bar (scenario,
play/step/speed, seed/restart, and the runtime settings bar: GOMAXPROCS, GOGC, GOMEMLIMIT, policy,
sent to the engine as typed commands), the status line and the crash dialog.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6 import QtWidgets

from .. import model as model_pkg
from ..core.constants import GO_VERSION
from ..core.process import make_engine, warm_up
from ..core.settings import (
    RunSettings,
    RuntimeCommand,
    SetGCPercent,
    SetGOMAXPROCS,
    SetMemoryLimit,
    SetPolicy,
)
from ..core.trace.events import format_event
from ..model import Model
from ..session import LiveSource, Session
from . import ASSUMPTIONS as UI_ASSUMPTIONS
from .controls import DEFAULT_SPEED, ControlBar, speed_text
from .views import fmt_ns

ENGINE_THREAD_ENV = "GMPVIZ_ENGINE_THREAD"  # =1: run the engine in a thread of the window's process


def _memlimit_of(engine) -> int:
    """The engine's GOMEMLIMIT in bytes, -1 when off (a stand-in engine has none)."""
    v = getattr(engine, "memlimit", None)
    return -1 if v is None else int(v)


class LiveController:
    """Drives the window with a live run; `start(scenario, ...)` (re)starts the engine thread."""

    def __init__(
        self,
        engine_factory: Callable,
        scenario_loader: Callable[[str], object],
        presets: list[tuple[str, str]],
    ) -> None:
        self.engine_factory = engine_factory
        # The app's engine runs in its own process (core/process.py): at max speed it keeps up with
        # headless and the UI keeps its frames. Other factories (the tests' stand-ins) run in a thread,
        # and so does everything with GMPVIZ_ENGINE_THREAD=1.
        self.engine_process = engine_factory is make_engine and os.environ.get(ENGINE_THREAD_ENV, "") in (
            "",
            "0",
        )
        if self.engine_process:
            warm_up()
        self.scenario_loader = scenario_loader
        self.presets = presets
        self.win = None
        self.session: Session | None = None
        self.source: LiveSource | None = None
        self.engine = None
        self.scenario = None
        self.scenario_name = ""
        self.run_settings = RunSettings()
        self.speed: float | None = DEFAULT_SPEED
        self.playing = True
        self.error_box: QtWidgets.QMessageBox | None = None
        self.last_crash: str | None = None
        self.notices: list[str] = []
        self.record_path: str | None = None  # File → Record: the next start() records into it
        self._ev_rate = (time.perf_counter(), 0)
        self._last_rate: float | None = None

    def add_toolbars(self, win) -> None:
        self.win = win
        self.controls = ControlBar(self.presets, win)
        win.addToolBar(self.controls)
        win.addToolBar(self.controls.runtime_bar)

    def attach(self, win) -> None:
        from .player import open_file_dialog

        win.file_menu.addAction("Open…", lambda: open_file_dialog(win))
        self.record_action = win.file_menu.addAction("Record…", lambda: self.toggle_recording())
        self.record_action.setCheckable(True)
        self.record_action.setToolTip("Restart this run from t=0 recording it to a .gmprec file")
        c = self.controls
        c.scenario_changed.connect(self._scenario_picked)
        c.play_toggled.connect(self.set_playing)
        c.step_requested.connect(self.step)
        c.speed_changed.connect(self.set_speed)
        c.restart_requested.connect(lambda seed: self.restart(seed=seed))
        c.gomaxprocs_changed.connect(lambda n: self.command(SetGOMAXPROCS(n)))
        c.gogc_changed.connect(lambda n: self.command(SetGCPercent(n)))
        c.memlimit_changed.connect(lambda b: self.command(SetMemoryLimit(b)))
        c.policy_changed.connect(lambda p: self.command(SetPolicy(p)))
        c.fit_requested.connect(win.fit)
        c.m_lanes_toggled.connect(win.timeline.m_box.toggle)

    # --- runs -----------------------------------------------------------------------------------
    def start(self, scenario, name: str, run_settings: RunSettings | None = None, **overrides) -> None:
        """Stop the current run (if any) and start `scenario` with `run_settings` (keywords such as
        duration_ns=... override single ones)."""
        win = self.win
        self.stop()
        self.scenario, self.scenario_name = scenario, name
        self.run_settings = (run_settings or RunSettings()).replace(**overrides)
        self.source = LiveSource.open(
            self.engine_factory,
            scenario,
            self.run_settings,
            self.speed,
            paused=not self.playing,
            process=self.engine_process,
        )
        self.engine = self.source.engine
        groups = tuple(getattr(scenario, "groups", ("main",)))
        model = Model(groups)
        model.compact_history = True  # bounded memory however long the run (model/compact.py)
        self.session = Session(self.source, model, self._open_recorder())
        self.last_crash = None
        win.timeline.set_groups(groups)
        win.timeline.set_ncpu(int(getattr(self.engine, "ncpu", 0) or 0))
        win.heap.reset_limits()
        win.heap.set_limits(
            _memlimit_of(self.engine),
            int(getattr(scenario, "container_limit_bytes", -1)),
        )
        win.fit()  # every time axis starts over with the new run
        win.inspector.what = None
        win.inspector.clear()
        eng_assumptions = list(self.engine.assumptions()) if hasattr(self.engine, "assumptions") else []
        win.assumptions.set_content(
            eng_assumptions, (*model_pkg.ASSUMPTIONS, *UI_ASSUMPTIONS), name, getattr(scenario, "notice", "")
        )
        win.scenario_view.set_scenario(name, scenario)
        self.controls.set_values(name, RunSettings.of_run(self.engine, scenario))
        self.controls.show_speed(self.speed)
        self.controls.set_playing(self.playing)
        self._ev_rate = (time.perf_counter(), 0)  # the event rate starts over with the run
        self._last_rate = None
        win.setWindowTitle(f"gmpviz — {name} — Go runtime {GO_VERSION}")
        if self.source.notice:
            win.statusBar().showMessage(self.source.notice, 10000)
        self.source.start()

    def restart(self, seed: int | None = None) -> None:
        if self.scenario is None:
            return
        shown = self.controls.settings()
        self.start(
            self.scenario,
            self.scenario_name,
            self.run_settings.replace(
                seed=seed,
                procs=shown.procs,
                gogc=shown.gogc,
                policy=shown.policy,
                memlimit_bytes=shown.memlimit_bytes,
            ),
        )

    def _scenario_picked(self, name: str) -> None:
        try:
            sc = self.scenario_loader(name)
        except ValueError as e:  # ScenarioError is a ValueError
            self.win.statusBar().showMessage(str(e), 10000)
            return
        self.start(sc, name, RunSettings(duration_ns=self.run_settings.duration_ns))

    # --- File → Record (gmpviz/record) ----------------------------------------------------------
    def toggle_recording(self, path: str | None = None) -> None:
        """Stop and finalise the recording, or restart the run (same seed) recording into `path`:
        a recording starts at t=0 so that its keyframes and replay are exact."""
        if self.session is not None and self.session.writer is not None:
            self._close_recorder()
            return
        if path is None and self.win.interactive and self.scenario is not None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self.win, "Record to", f"{self.scenario_name}.gmprec", "gmpviz recordings (*.gmprec)"
            )
        if not path or self.scenario is None:
            self.record_action.setChecked(False)
            return
        self.record_path = path
        self.restart(seed=int(getattr(self.engine, "seed", 0)))

    def _open_recorder(self):
        path, self.record_path = self.record_path, None
        self.record_action.setChecked(bool(path))
        if not path:
            return None
        from ..record.writer import RecordingWriter

        try:
            return RecordingWriter.create(path, self.engine)
        except ValueError as e:  # RecordingError: one line
            self.win.statusBar().showMessage(str(e), 10000)
            self.record_action.setChecked(False)
            return None

    def _close_recorder(self) -> None:
        s = self.session
        if s is None or s.writer is None:
            return
        w, s.writer = s.writer, None
        self.record_action.setChecked(False)
        try:
            self.win.statusBar().showMessage(f"recorded {w.close()}", 8000)
        except ValueError as e:
            self.win.statusBar().showMessage(str(e), 10000)

    def stop(self) -> None:
        self._close_recorder()
        if self.source is not None:
            self.source.stop()
            self.source = None

    def close(self) -> None:
        self.stop()

    # --- the controls ---------------------------------------------------------------------------
    def set_playing(self, on: bool) -> None:
        if on and self.session is not None and self.session.done and self.scenario is not None:
            self.restart(seed=self.controls.seed.value())  # Play on a finished run plays it again
            return
        self.playing = on
        self.controls.set_playing(on)
        if self.source is not None:
            (self.source.thread.resume if on else self.source.thread.pause)()

    def step(self, what: str) -> None:
        self.set_playing(False)
        if self.source is not None:
            self.source.thread.step(what)

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        if self.source is not None:
            self.source.thread.set_speed(speed)

    def command(self, cmd: RuntimeCommand | tuple) -> None:
        if self.source is not None:
            self.source.thread.apply(cmd)

    # --- the frame ------------------------------------------------------------------------------
    def frame(self, t0: float) -> bool:
        if self.session is None:
            return False
        win = self.win
        res = self.session.pump()
        m = self.session.model
        # GOMEMLIMIT as the engine holds it now (debug.SetMemoryLimit from the program or the bar);
        # a read of one int, appended only when it changed
        win.heap.set_limits(_memlimit_of(self.engine), t_ns=m.now_ns)
        if res.done and self.session.writer is not None:
            self._close_recorder()
        win.frames += 1
        win.refresh_views(frame_t0=t0)
        for n in res.notices:
            self.notices.append(n)
            win.statusBar().showMessage(n, 8000)
        if res.crash and self.last_crash is None:
            self.last_crash = res.crash
            self._show_crash(res.crash)
        self._status(m)
        return True

    def before_refresh(self, full: bool) -> None:
        return

    def after_refresh(self, full: bool) -> None:
        return

    def _status(self, m) -> None:
        now_w = time.perf_counter()
        t_prev, n_prev = self._ev_rate
        rate = ""
        if now_w - t_prev >= 1.0:
            self._ev_rate = (now_w, m.events_total)
            self._last_rate = (m.events_total - n_prev) / (now_w - t_prev)
        if self._last_rate is not None:
            rate = f" · {self._last_rate / 1e3:.0f}k ev/s"
        s = self.session
        state = "error" if s.error else "done" if s.done else "running" if self.playing else "paused"
        err = f" · {s.error.splitlines()[-1]}" if s.error else ""
        if s.done and self.controls.play.isChecked():
            self.controls.set_playing(False)  # nothing left to play: the button offers Play (again)
        if len(m.counters):
            self.controls.show_procs(int(m.counters.col("gomaxprocs")[-1]))
        self.win.status_label.setText(
            f"{state} · t = {fmt_ns(m.now_ns)} · {m.events_total:,} events{rate} · "
            f"speed {speed_text(self.speed)} · GOMAXPROCS {m.ptl.active_lanes()}{err}"
        )

    def _show_crash(self, text: str) -> None:
        win = self.win
        last = text.strip().splitlines()[-1] if text.strip() else "engine error"
        win.statusBar().showMessage(f"engine crashed: {last}")
        box = QtWidgets.QMessageBox(win)
        box.setIcon(QtWidgets.QMessageBox.Icon.Critical)
        box.setWindowTitle("gmpviz: the engine stopped")
        box.setText(f"The emulator raised an exception and stopped:\n{last}")
        log = ""
        if self.session is not None:
            log = "\n".join(format_event(r) for r in self.session.model.log.query(limit=30))
        box.setDetailedText(f"{text}\nLast events before the crash:\n{log}")
        box.setModal(False)
        self.error_box = box
        if win.interactive:
            box.show()

    def wakes_of(self, goid: int):
        """None: a live run keeps no history of wake-ups (the model folds GoUnblock away); the
        selected G is outlined without arrows. A recording of the run has them (the player)."""
        return None

    def resized(self) -> None:
        """The runtime settings bar goes to a second row when both bars do not fit in one (Qt would
        hide the last controls behind a » menu)."""
        win = self.win
        bar = self.controls.runtime_bar
        need = self.controls.sizeHint().width() + bar.sizeHint().width() + 16
        wrapped = win.toolBarBreak(bar)
        if win.width() < need and not wrapped:
            win.insertToolBarBreak(bar)
        elif win.width() >= need and wrapped:
            win.removeToolBarBreak(bar)
