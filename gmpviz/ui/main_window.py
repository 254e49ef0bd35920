"""The one window: docks around the timeline, a ~60 Hz frame, layout persistence. What drives it is a
controller: `LiveController` (ui/live.py: an engine thread, the control bar, File → Record) or
`ReplayController` (ui/player.py: a recording, the playback bar, exports).

The window owns the views and the frame; the controller owns the session (source → model), its
toolbars and menu entries, and says what a frame does. The controller's API reads as the window's
(`win.start(...)`, `win.seek_time(...)`): attributes the window does not have are the controller's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6 import QtCore, QtGui, QtWidgets

if TYPE_CHECKING:
    import numpy as np

from ..model import Model
from ..session import Session
from .theme import RESOURCES, Theme
from .views.assumptions import AssumptionsView
from .views.event_log import EventLogView
from .views.goroutines import GoroutinesView
from .views.heap_gc import HeapGCView
from .views.inspector import InspectorView
from .views.metrics import MetricsView, show_on_timeline
from .views.runq import RunqView
from .views.scenario_source import ScenarioView
from .views.span_heatmap import SpanHeatmapView
from .views.timeline import TimelineView

CPU_LANES_SHORTCUT = "Ctrl+U"  # View ▸ CPU lanes (Ctrl+M is the M lanes, controls.py)
FRAME_MS = 16  # ~60 Hz pump
OTHER_VIEW_EVERY = 2  # every 2nd frame one of them refreshes, in turn: each at ~5 Hz, no frame pays for all
# a dock's turn waits for the next frame when this frame has already spent this much (pumping a large
# batch, a timeline re-raster), at most DOCK_MAX_DEFERRALS frames in a row so no dock goes stale
DOCK_BUDGET_MS = 8.0
DOCK_MAX_DEFERRALS = 3
SETTINGS_VERSION = 1
PRESENT_KEY = "F5"  # the stage (gmpviz present), as in slide software


def shown(view: QtWidgets.QWidget) -> bool:
    """The view can be seen: visible and not behind another dock's tab. A tabbed dock's widget that
    is not the current tab can still say isVisible() (offscreen, before the first layout), but it
    has no visible region; refreshing it cost as much as a visible dock (the MMU plot ~3.5 ms)."""
    return view.isVisible() and not view.visibleRegion().isEmpty()


class StatusLine(QtWidgets.QWidget):
    """The status line's text (``setText``/``text`` as a QLabel's), painted by itself: a QLabel's
    setText asks its layout for a new geometry every time, and the status bar's request went up to
    the window's layout, which measured every dock again on each frame (the live status changes on
    every frame: ~1.5 ms of a 60 Hz frame). One line, elided at the right when it does not fit."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.fontMetrics().height() + 4)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name)
        if text != self._text:
            self._text = text
            self.setToolTip(text)
            self.update()

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt API)
        return QtCore.QSize(200, self.fontMetrics().height() + 4)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        p = QtGui.QPainter(self)
        r = self.contentsRect().adjusted(2, 0, -2, 0)
        text = self.fontMetrics().elidedText(self._text, QtCore.Qt.TextElideMode.ElideRight, r.width())
        p.drawText(r, int(QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignLeft), text)
        p.end()


class Controller(Protocol):
    """What drives the window. Inside the window's constructor, `add_toolbars` runs before the views
    and docks exist (the docks are laid out under the toolbars), `attach` after them; both before the
    saved layout is restored (so the controller's toolbars take their saved places)."""

    session: Session | None  # what the views show: session.model

    def add_toolbars(self, win: MainWindow) -> None: ...

    def attach(self, win: MainWindow) -> None: ...

    def frame(self, t0: float) -> bool:
        """One frame (the window's timer, or a caller driving it); False when there was nothing to
        show. ``t0``: perf_counter() at the frame's start (the dock budget counts from it)."""
        ...

    def before_refresh(self, full: bool) -> None:
        """Before the views refresh (``full``: the slow docks too, not only the timeline)."""
        ...

    def after_refresh(self, full: bool) -> None: ...

    def resized(self) -> None: ...

    def wakes_of(self, goid: int) -> np.ndarray | None:
        """(t_ns, waker goid) of every wake-up of `goid` the source knows (None: it keeps none)."""
        ...

    def close(self) -> None:
        """The window closes: stop whatever runs (threads, recordings)."""
        ...


class MainWindow(QtWidgets.QMainWindow):
    """The window of `gmpviz run` and `gmpviz play`, driven by `controller`; without one, a live
    window: `LiveController(engine_factory, scenario_loader, presets)`."""

    def __init__(
        self,
        theme: Theme,
        engine_factory: Callable | None = None,
        scenario_loader: Callable[[str], object] | None = None,
        presets: list[tuple[str, str]] = (),
        settings: QtCore.QSettings | None = None,
        interactive: bool = True,
        *,
        controller: Controller | None = None,
    ) -> None:
        super().__init__()
        if controller is None:
            from .live import LiveController

            controller = LiveController(engine_factory, scenario_loader, list(presets))
        self.theme = theme
        self.settings = settings
        self.interactive = interactive  # False: no modal dialogs (screenshots, tests)
        self.frames = 0
        self._dock_turn = 0  # which dock refreshes next
        self._dock_deferrals = 0
        self.frame_ms: list[float] = []
        self.setWindowTitle("gmpviz")
        icon = RESOURCES / "icons" / "gmpviz.svg"
        if icon.is_file():
            self.setWindowIcon(QtGui.QIcon(str(icon)))
        self.setDockNestingEnabled(True)
        self.controller = controller
        controller.add_toolbars(self)
        self._build_views()
        self._wire()
        controller.attach(self)
        self._restore_layout()
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.tick)
        self.timer.start(FRAME_MS)

    def __getattr__(self, name: str):
        """The controller's attributes read as the window's (only called when the window has none)."""
        ctl = self.__dict__.get("controller")
        if ctl is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(ctl, name)

    @property
    def speed(self):
        """The controller's speed (the live one's: virtual ns per wall second, None = as fast as
        possible), settable before a start."""
        return self.controller.speed

    @speed.setter
    def speed(self, value) -> None:
        self.controller.speed = value

    @property
    def model(self) -> Model | None:
        s = self.controller.session
        return None if s is None else s.model

    def _build_views(self) -> None:
        theme = self.theme
        self.timeline = TimelineView(theme)
        self.setCentralWidget(self.timeline)
        self.runq = RunqView(theme)
        self.goroutines = GoroutinesView(theme)
        self.heap = HeapGCView(theme)
        self.spans = SpanHeatmapView(theme)
        self.metrics = MetricsView(theme)
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
        self._dock("metrics", "MMU and latency", self.metrics, area.BottomDockWidgetArea)
        self._dock("events", "Event log", self.events, area.RightDockWidgetArea)
        self.tabifyDockWidget(self.docks["runq"], self.docks["goroutines"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["assumptions"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["events"])
        self.tabifyDockWidget(self.docks["inspector"], self.docks["scenario"])
        self.docks["runq"].raise_()
        self.docks["inspector"].raise_()
        self.splitDockWidget(self.docks["heap"], self.docks["spans"], QtCore.Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.docks["spans"], self.docks["metrics"])
        self.docks["spans"].raise_()
        self.resizeDocks([self.docks["runq"]], [460], QtCore.Qt.Orientation.Horizontal)
        # the queue lengths over the ring diagram (a row per P): the inspector's few lines need less
        self.resizeDocks(
            [self.docks["runq"], self.docks["inspector"]], [480, 220], QtCore.Qt.Orientation.Vertical
        )
        # the heap dock stacks four plots (heap, STW, span queues, GC CPU): at 330 px each was ~45 px
        # high and their axis titles ran into each other
        self.resizeDocks([self.docks["heap"]], [440], QtCore.Qt.Orientation.Vertical)
        view_menu = self.menuBar().addMenu("&View")
        for d in self.docks.values():
            view_menu.addAction(d.toggleViewAction())
        view_menu.addSeparator()
        # the CPU lanes (model/cpus.py): the live window and the player both draw them
        self.cpu_lanes_action = view_menu.addAction("CPU lanes")
        self.cpu_lanes_action.setCheckable(True)
        self.cpu_lanes_action.setShortcut(QtGui.QKeySequence(CPU_LANES_SHORTCUT))
        self.cpu_lanes_action.setToolTip(f"Show a lane per CPU ({CPU_LANES_SHORTCUT})")
        self.cpu_lanes_action.toggled.connect(self.timeline.cpu_box.setChecked)
        self.timeline.cpu_box.toggled.connect(self.cpu_lanes_action.setChecked)
        self.file_menu = QtWidgets.QMenu("&File", self)  # the controller fills it
        self.menuBar().insertMenu(view_menu.menuAction(), self.file_menu)
        self.status_label = StatusLine()
        self.statusBar().addPermanentWidget(self.status_label, 1)

    def _dock(self, name: str, title: str, widget, area) -> None:
        d = QtWidgets.QDockWidget(title, self)
        d.setObjectName(f"dock_{name}")
        d.setWidget(widget)
        self.addDockWidget(area, d)
        self.docks[name] = d
        d.visibilityChanged.connect(lambda on, v=widget: self._raised(v, on))

    def _raised(self, view, on: bool) -> None:
        """A dock came into view (its tab was picked, it was shown): draw it now, not at its turn."""
        if on and hasattr(view, "refresh"):
            QtCore.QTimer.singleShot(0, self, lambda: self._refresh_shown(view))

    def _refresh_shown(self, view) -> None:
        m = self.model
        if m is not None and shown(view):
            view.refresh(m)

    def _wire(self) -> None:
        for v in (self.timeline, self.runq, self.goroutines, self.spans, self.events):
            v.selected.connect(self.select)
        self.events.time_clicked.connect(self.timeline.center_on)
        self.metrics.window_clicked.connect(lambda t0, t1: show_on_timeline(self.timeline, t0, t1))
        self.present_shortcut = QtGui.QShortcut(QtGui.QKeySequence(PRESENT_KEY), self)
        self.present_shortcut.activated.connect(self.present)
        self.stage = None

    def present(self, deck=None):
        """F5: the built-in tour (or `deck`) on the stage, full screen; Esc comes back here."""
        from ..deck import DeckError
        from .stage import present_from_window

        try:
            self.stage = present_from_window(self, deck)
        except (DeckError, ValueError, OSError) as e:
            self.statusBar().showMessage(f"cannot present: {e}", 10000)
            return None
        return self.stage

    def fit(self) -> None:
        """Show the whole run in the timeline and every time plot, and follow it as it grows."""
        self.timeline.fit()
        for v in (self.heap, self.runq, self.goroutines):
            v.follow.fit()

    def select(self, kind: str, ident: int) -> None:
        self.inspector.select(kind, ident)
        if kind == "g":  # the G drawn across every lane, with who-woke-whom arrows where known
            self.timeline.set_highlight(ident, self.controller.wakes_of(ident))
            if self.model is not None:
                self.timeline.refresh(self.model, force=True)
        # show the inspector, unless that would hide the view the click came from (the event log
        # shares its tab group by default: raising the inspector hid the log being read)
        src = self.sender()
        tabbed = self.tabifiedDockWidgets(self.docks["inspector"])
        if not any(d.widget() is src for d in tabbed):
            self.docks["inspector"].raise_()
        if self.model is not None:
            self.inspector.refresh(self.model, force=True)

    # --- the frame ------------------------------------------------------------------------------
    def tick(self) -> None:
        t0 = time.perf_counter()
        if not self.controller.frame(t0):
            return
        self.frame_ms.append((time.perf_counter() - t0) * 1e3)
        if len(self.frame_ms) > 600:
            del self.frame_ms[:300]

    def refresh_views(self, slow: bool = True, force: bool = False, frame_t0: float | None = None) -> None:
        """The timeline every frame; the other docks in turn, one every OTHER_VIEW_EVERY frames (so no
        frame pays for all of them), later when the frame that began at perf_counter() ``frame_t0``
        is over budget; all of them when `force`d. The controller is told before and after."""
        full = slow or force
        self.controller.before_refresh(full)
        self._refresh(slow, force, frame_t0)
        self.controller.after_refresh(full)

    def _refresh(self, slow: bool, force: bool, frame_t0: float | None) -> None:
        m = self.model
        self.timeline.refresh(m, force=force)
        others = (self.runq, self.goroutines, self.heap, self.spans, self.metrics, self.events)
        others += (self.inspector,)
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
        if shown(v):  # a dock behind another's tab keeps its turn and skips it (it refreshes when raised)
            v.refresh(m)

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
        super().resizeEvent(event)
        QtCore.QTimer.singleShot(0, self, self.hide_stale_tab_bars)  # once the docks have their place
        ctl = self.__dict__.get("controller")
        if ctl is not None:
            ctl.resized()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        QtCore.QTimer.singleShot(0, self, self.hide_stale_tab_bars)

    def hide_stale_tab_bars(self) -> None:
        """Hide the tab bars Qt left over from building the tab groups (tabify before the window is
        shown keeps one per intermediate group: "Span heatmap | MMU and latency" was painted over
        the heap dock). A live tab bar sits right under the dock of its current tab."""
        titles = {d.windowTitle(): d for d in self.docks.values()}
        for bar in self.findChildren(QtWidgets.QTabBar):
            if bar.parentWidget() is not self or not bar.isVisible() or bar.count() == 0:
                continue
            dock = titles.get(bar.tabText(bar.currentIndex()))
            if dock is None or not dock.isVisible():
                continue
            g, b = dock.geometry(), bar.geometry()
            if abs(b.top() - (g.bottom() + 1)) > 8 or abs(b.left() - g.left()) > 8:
                bar.hide()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.timer.stop()
        self.controller.close()
        self.save_layout()
        super().closeEvent(event)
