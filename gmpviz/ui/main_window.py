"""The main window: docks around the timeline, a ~60 Hz pump of the session, controls to commands."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from .. import model as model_pkg
from ..core.constants import GO_VERSION
from ..core.trace.events import format_event
from ..model import Model
from ..session import LiveSource, Session
from . import ASSUMPTIONS as UI_ASSUMPTIONS
from .controls import DEFAULT_SPEED, ControlBar, speed_text
from .theme import RESOURCES, Theme
from .views import fmt_ns
from .views.assumptions import AssumptionsView
from .views.event_log import EventLogView
from .views.goroutines import GoroutinesView
from .views.heap_gc import HeapGCView
from .views.inspector import InspectorView
from .views.runq import RunqView
from .views.scenario_source import ScenarioView
from .views.span_heatmap import SpanHeatmapView
from .views.timeline import TimelineView

FRAME_MS = 16  # ~60 Hz pump
OTHER_VIEW_EVERY = 2  # every 2nd frame one of them refreshes, in turn: each at ~5 Hz, no frame pays for all
# a dock's turn waits for the next frame when this frame has already spent this much (pumping a large
# batch, a timeline re-raster), at most DOCK_MAX_DEFERRALS frames in a row so no dock goes stale
DOCK_BUDGET_MS = 8.0
DOCK_MAX_DEFERRALS = 3
SETTINGS_VERSION = 1


class MainWindow(QtWidgets.QMainWindow):
    """Owns one Session at a time; `start(scenario, ...)` (re)starts the engine thread."""

    def __init__(
        self,
        theme: Theme,
        engine_factory: Callable,
        scenario_loader: Callable[[str], object],
        presets: list[tuple[str, str]],
        settings: QtCore.QSettings | None = None,
        interactive: bool = True,
    ) -> None:
        super().__init__()
        self.theme = theme
        self.engine_factory = engine_factory
        self.scenario_loader = scenario_loader
        self.settings = settings
        self.interactive = interactive  # False: no modal dialogs (screenshots, tests)
        self.session: Session | None = None
        self.source: LiveSource | None = None
        self.engine = None
        self.scenario = None
        self.scenario_name = ""
        self.speed: float | None = DEFAULT_SPEED
        self.playing = True
        self.frames = 0
        self._dock_turn = 0  # which dock refreshes next
        self._dock_deferrals = 0
        self.frame_ms: list[float] = []
        self.error_box: QtWidgets.QMessageBox | None = None
        self.last_crash: str | None = None
        self.notices: list[str] = []
        self._ev_rate = (time.perf_counter(), 0)
        self.setWindowTitle("gmpviz")
        icon = RESOURCES / "icons" / "gmpviz.svg"
        if icon.is_file():
            self.setWindowIcon(QtGui.QIcon(str(icon)))
        self.setDockNestingEnabled(True)

        self.controls = ControlBar(presets, self)
        self.addToolBar(self.controls)
        self.addToolBar(self.controls.runtime_bar)
        self.timeline = TimelineView(theme)
        self.setCentralWidget(self.timeline)
        self.runq = RunqView(theme)
        self.goroutines = GoroutinesView(theme)
        self.heap = HeapGCView(theme)
        self.spans = SpanHeatmapView(theme)
        self.inspector = InspectorView()
        self.events = EventLogView()
        self.assumptions = AssumptionsView()
        self.scenario_view = ScenarioView()
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        area = QtCore.Qt.DockWidgetArea
        self._dock("runq", "Run queues", self.runq, area.RightDockWidgetArea)
        self._dock("goroutines", "Goroutines", self.goroutines, area.RightDockWidgetArea)
        self._dock("inspector", "Inspector", self.inspector, area.RightDockWidgetArea)
        self._dock("assumptions", "Assumptions", self.assumptions, area.RightDockWidgetArea)
        self._dock("scenario", "Scenario", self.scenario_view, area.RightDockWidgetArea)
        self._dock("heap", "Heap and GC", self.heap, area.BottomDockWidgetArea)
        self._dock("spans", "Span heatmap", self.spans, area.BottomDockWidgetArea)
        self._dock("events", "Event log", self.events, area.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["runq"], self.docks["goroutines"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["assumptions"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["events"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["scenario"])
        self.docks["runq"].raise_()
        self.docks["inspector"].raise_()
        self.splitDockWidget(self.docks["heap"], self.docks["spans"], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["runq"]], [460], QtCore.Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["heap"]], [330], QtCore.Qt.Orientation.Vertical)
        view_menu = self.menuBar().addMenu("&View")
        for d in self.docks.values():
            view_menu.addAction(d.toggleViewAction())
        self.record_path: str | None = None  # File → Record: the next start() records into it
        self.file_menu = QtWidgets.QMenu("&File", self)
        self.menuBar().insertMenu(view_menu.menuAction(), self.file_menu)
        self.record_action = self.file_menu.addAction("Record…", lambda: self.toggle_recording())
        self.record_action.setCheckable(True)
        self.record_action.setToolTip("Restart this run from t=0 recording it to a .gmprec file")
        self.status_label = QtWidgets.QLabel(" ")
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self._wire()
        self._restore_layout()
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.start(FRAME_MS)

    def _dock(self, name: str, title: str, widget, area) -> None:
        d = QtWidgets.QDockWidget(title, self)
        d.setObjectName(f"dock_{name}")
        d.setWidget(widget)
        self.addDockWidget(area, d)
        self.docks[name] = d

    def _wire(self) -> None:
        c = self.controls
        c.scenario_changed.connect(self._scenario_picked)
        c.play_toggled.connect(self.set_playing)
        c.step_requested.connect(self.step)
        c.speed_changed.connect(self.set_speed)
        c.restart_requested.connect(lambda seed: self.restart(seed=seed))
        c.gomaxprocs_changed.connect(lambda n: self.command(("gomaxprocs", n)))
        c.gogc_changed.connect(lambda n: self.command(("gogc", n)))
        c.memlimit_changed.connect(lambda b: self.command(("memlimit", b)))
        c.policy_changed.connect(lambda p: self.command(("policy", p)))
        c.fit_requested.connect(self.fit)
        c.m_lanes_toggled.connect(self.timeline.m_box.toggle)
        for v in (self.timeline, self.runq, self.goroutines, self.spans, self.events):
            v.selected.connect(self.select)
        self.events.time_clicked.connect(self.timeline.center_on)

    # --- runs -----------------------------------------------------------------------------------
    def start(self, scenario, name: str, **engine_kw) -> None:
        """Stop the current run (if any) and start `scenario` with engine_kw (seed, procs, ...)."""
        self.stop()
        self.scenario, self.scenario_name = scenario, name
        self.engine_kw = dict(engine_kw)
        self.engine = self.engine_factory(scenario, **engine_kw)
        groups = tuple(getattr(scenario, "groups", ("main",)))
        model = Model(groups)
        model.compact_history = True  # bounded memory however long the run (model/compact.py)
        self.source = LiveSource(self.engine, speed_ns_per_s=self.speed, paused=not self.playing)
        self.session = Session(self.source, model, self._open_recorder())
        self.last_crash = None
        self.timeline.set_groups(groups)
        self.fit()  # every time axis starts over with the new run
        self.inspector.what = None
        self.inspector.clear()
        eng_assumptions = list(self.engine.assumptions()) if hasattr(self.engine, "assumptions") else []
        self.assumptions.set_content(
            eng_assumptions, (*model_pkg.ASSUMPTIONS, *UI_ASSUMPTIONS), name, getattr(scenario, "notice", "")
        )
        self.scenario_view.set_scenario(name, scenario)
        self.controls.set_values(
            scenario=name,
            seed=int(getattr(self.engine, "seed", engine_kw.get("seed") or 0)),
            procs=int(self.engine.gomaxprocs),
            gogc=int(getattr(self.engine, "gogc", getattr(scenario, "gogc", 100))),
            memlimit_bytes=int(getattr(self.engine, "memlimit", getattr(scenario, "memlimit_bytes", -1))),
            policy=str(getattr(self.engine, "policy", getattr(scenario, "policy", "go"))),
        )
        self.controls.show_speed(self.speed)
        self.controls.set_playing(self.playing)
        self._ev_rate = (time.perf_counter(), 0)  # the event rate starts over with the run
        self._last_rate = None
        self.setWindowTitle(f"gmpviz — {name} — Go runtime {GO_VERSION}")
        self.source.start()

    def restart(self, seed: int | None = None) -> None:
        if self.scenario is None:
            return
        kw = dict(self.engine_kw)
        kw.update(
            seed=seed,
            procs=self.controls.procs.value(),
            gogc=self.controls.gogc.value(),
            policy=self.controls.policy.currentText(),
        )
        mem = self.controls.memlimit.value()
        kw["memlimit_bytes"] = -1 if mem < 0 else mem << 20
        self.start(self.scenario, self.scenario_name, **kw)

    def fit(self) -> None:
        """Show the whole run in the timeline and every time plot, and follow it as it grows."""
        self.timeline.fit()
        for v in (self.heap, self.runq, self.goroutines):
            v.follow.fit()

    def _scenario_picked(self, name: str) -> None:
        try:
            sc = self.scenario_loader(name)
        except ValueError as e:  # ScenarioError is a ValueError
            self.statusBar().showMessage(str(e), 10000)
            return
        kw = {k: v for k, v in self.engine_kw.items() if k == "duration_ns"}
        self.start(sc, name, **kw)

    # --- File → Record (gmpviz/record) ----------------------------------------------------------
    def toggle_recording(self, path: str | None = None) -> None:
        """Stop and finalise the recording, or restart the run (same seed) recording into `path`:
        a recording starts at t=0 so that its keyframes and replay are exact."""
        if self.session is not None and self.session.writer is not None:
            self._close_recorder()
            return
        if path is None and self.interactive and self.scenario is not None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Record to", f"{self.scenario_name}.gmprec", "gmpviz recordings (*.gmprec)"
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
            self.statusBar().showMessage(str(e), 10000)
            self.record_action.setChecked(False)
            return None

    def _close_recorder(self) -> None:
        s = self.session
        if s is None or s.writer is None:
            return
        w, s.writer = s.writer, None
        self.record_action.setChecked(False)
        try:
            self.statusBar().showMessage(f"recorded {w.close()}", 8000)
        except ValueError as e:
            self.statusBar().showMessage(str(e), 10000)

    def stop(self) -> None:
        self._close_recorder()
        if self.source is not None:
            self.source.stop()
            self.source = None

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

    def command(self, cmd: tuple) -> None:
        if self.source is not None:
            self.source.thread.apply(cmd)

    def select(self, kind: str, ident: int) -> None:
        self.inspector.select(kind, ident)
        # show the inspector, unless that would hide the view the click came from (the event log
        # shares its tab group by default: raising the inspector hid the log being read)
        src = self.sender()
        tabbed = self.tabifiedDockWidgets(self.docks["inspector"])
        if not any(d.widget() is src for d in tabbed):
            self.docks["inspector"].raise_()
        if self.session is not None:
            self.inspector.refresh(self.session.model, force=True)

    # --- the frame ------------------------------------------------------------------------------
    def tick(self) -> None:
        if self.session is None:
            return
        t0 = time.perf_counter()
        res = self.session.pump()
        m = self.session.model
        if res.done and self.session.writer is not None:
            self._close_recorder()
        self.frames += 1
        self.refresh_views(frame_t0=t0)
        for n in res.notices:
            self.notices.append(n)
            self.statusBar().showMessage(n, 8000)
        if res.crash and self.last_crash is None:
            self.last_crash = res.crash
            self._show_crash(res.crash)
        self._status(m, res)
        self.frame_ms.append((time.perf_counter() - t0) * 1e3)
        if len(self.frame_ms) > 600:
            del self.frame_ms[:300]

    def refresh_views(self, slow: bool = True, force: bool = False, frame_t0: float | None = None) -> None:
        """The timeline every frame; the other docks in turn, one every OTHER_VIEW_EVERY frames (so no
        frame pays for all of them), later when the frame that began at perf_counter() ``frame_t0``
        is over budget; all of them when `force`d."""
        m = self.session.model
        self.timeline.refresh(m, force=force)
        others = (self.runq, self.goroutines, self.heap, self.spans, self.events, self.inspector)
        if force:
            for v in others:
                v.refresh(m, force=True)
            return
        if slow is False or (self.frames % OTHER_VIEW_EVERY and not self._dock_deferrals):
            return
        spent_ms = (time.perf_counter() - frame_t0) * 1e3 if frame_t0 is not None else 0.0
        if spent_ms > DOCK_BUDGET_MS and self._dock_deferrals < DOCK_MAX_DEFERRALS:
            self._dock_deferrals += 1
            return
        self._dock_deferrals = 0
        v = others[self._dock_turn % len(others)]
        self._dock_turn += 1
        if v.isVisible():
            v.refresh(m)

    def _status(self, m, res) -> None:
        now_w = time.perf_counter()
        t_prev, n_prev = self._ev_rate
        rate = ""
        if now_w - t_prev >= 1.0:
            self._ev_rate = (now_w, m.events_total)
            self._last_rate = (m.events_total - n_prev) / (now_w - t_prev)
        if getattr(self, "_last_rate", None) is not None:
            rate = f" · {self._last_rate / 1e3:.0f}k ev/s"
        state = (
            "error"
            if self.session.error
            else "done"
            if self.session.done
            else "running"
            if self.playing
            else "paused"
        )
        err = f" · {self.session.error.splitlines()[-1]}" if self.session.error else ""
        if self.session.done and self.controls.play.isChecked():
            self.controls.set_playing(False)  # nothing left to play: the button offers Play (again)
        if len(m.counters):
            self.controls.show_procs(int(m.counters.col("gomaxprocs")[-1]))
        self.status_label.setText(
            f"{state} · t = {fmt_ns(m.now_ns)} · {m.events_total:,} events{rate} · "
            f"speed {speed_text(self.speed)} · GOMAXPROCS {m.ptl.active_lanes()}{err}"
        )

    def _show_crash(self, text: str) -> None:
        last = text.strip().splitlines()[-1] if text.strip() else "engine error"
        self.statusBar().showMessage(f"engine crashed: {last}")
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Critical)
        box.setWindowTitle("gmpviz: the engine stopped")
        box.setText(f"The emulator raised an exception and stopped:\n{last}")
        log = ""
        if self.session is not None:
            log = "\n".join(format_event(r) for r in self.session.model.log.query(limit=30))
        box.setDetailedText(f"{text}\nLast events before the crash:\n{log}")
        box.setModal(False)
        self.error_box = box
        if self.interactive:
            box.show()

    # --- layout persistence ---------------------------------------------------------------------
    def _restore_layout(self) -> None:
        if self.settings is None:
            return
        geo = self.settings.value("geometry")
        state = self.settings.value("windowState")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state, SETTINGS_VERSION)

    def save_layout(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState(SETTINGS_VERSION))
        self.settings.sync()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """The runtime settings bar goes to a second row when both bars do not fit in one (Qt would
        hide the last controls behind a » menu)."""
        super().resizeEvent(event)
        bar = self.controls.runtime_bar
        need = self.controls.sizeHint().width() + bar.sizeHint().width() + 16
        wrapped = self.toolBarBreak(bar)
        if self.width() < need and not wrapped:
            self.insertToolBarBreak(bar)
        elif self.width() >= need and wrapped:
            self.removeToolBarBreak(bar)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        self.stop()
        self.save_layout()
        super().closeEvent(event)
