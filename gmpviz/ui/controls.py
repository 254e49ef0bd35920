"""The control bar: scenario, play/pause, steps, speed, seed/restart, GOMAXPROCS, GOGC, GOMEMLIMIT,
policy. Every control has a keyboard shortcut (see SHORTCUTS); the window wires the signals."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from ..core.settings import RunSettings
from ..core.workload.ops import POLICIES
from .views import fmt_ns

# speed slider: virtual ns per wall second, log scale from 1 µs/s to 10 s/s, then "max"
SPEED_MIN_LOG10 = 3
SPEED_MAX_LOG10 = 10
SPEED_STEPS_PER_DECADE = 3
SPEED_MAX_POS = (SPEED_MAX_LOG10 - SPEED_MIN_LOG10) * SPEED_STEPS_PER_DECADE + 1  # the last position: max
DEFAULT_SPEED = 1e8  # 100 ms of virtual time per second: a 2 s scenario plays in 20 s
MIB = 1 << 20

SHORTCUTS = {
    "play": "Space",
    "step_event": "Right",
    "step_sched": "Shift+Right",
    "faster": "]",
    "slower": "[",
    "max_speed": "Ctrl+]",
    "restart": "Ctrl+R",
    "new_seed": "Ctrl+Shift+R",
    "scenario": "Ctrl+O",
    "procs_up": "Alt+Up",
    "procs_down": "Alt+Down",
    "gogc_up": "Ctrl+Up",
    "gogc_down": "Ctrl+Down",
    "memlimit": "Ctrl+L",
    "policy": "Ctrl+P",
    "fit": "F",
    "m_lanes": "Ctrl+M",
}


SPEED_MANTISSAS = (1, 2, 5)  # round speeds: 1, 2, 5, 10 ... µs/s (the label reads 200 µs/s, not 215.443)


def speed_of(pos: int) -> float | None:
    if pos >= SPEED_MAX_POS:
        return None
    decade, step = divmod(pos, SPEED_STEPS_PER_DECADE)
    return float(SPEED_MANTISSAS[step] * 10 ** (SPEED_MIN_LOG10 + decade))


def pos_of(speed: float | None) -> int:
    """The slider position whose speed is nearest `speed` on a log scale."""
    if speed is None:
        return SPEED_MAX_POS
    target = math.log10(max(speed, 10**SPEED_MIN_LOG10))
    return min(range(SPEED_MAX_POS), key=lambda p: abs(math.log10(speed_of(p)) - target))


def speed_text(speed: float | None) -> str:
    if speed is None:
        return "max"
    for unit, ns in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if speed >= ns:
            return f"{speed / ns:g} {unit}/s"
    return f"{fmt_ns(speed)}/s"


class ControlBar(QtWidgets.QToolBar):
    scenario_changed = QtCore.Signal(str)
    play_toggled = QtCore.Signal(bool)
    step_requested = QtCore.Signal(str)  # "event" | "sched"
    speed_changed = QtCore.Signal(object)  # float | None
    restart_requested = QtCore.Signal(int)  # seed
    gomaxprocs_changed = QtCore.Signal(int)
    gogc_changed = QtCore.Signal(int)
    memlimit_changed = QtCore.Signal(int)  # bytes, -1 off
    policy_changed = QtCore.Signal(str)
    fit_requested = QtCore.Signal()
    m_lanes_toggled = QtCore.Signal()

    def __init__(self, presets: list[tuple[str, str]], parent=None) -> None:
        super().__init__("Controls", parent)
        self.setObjectName("controls")
        self.setMovable(False)
        self.actions_by_name: dict[str, QtGui.QAction] = {}

        self.scenario = QtWidgets.QComboBox()
        self.scenario.setToolTip(f"Scenario ({SHORTCUTS['scenario']})")
        for name, summary in presets:
            self.scenario.addItem(name, name)
            self.scenario.setItemData(self.scenario.count() - 1, summary, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.scenario.activated.connect(lambda i: self.scenario_changed.emit(self.scenario.itemData(i)))
        self.addWidget(self.scenario)
        self.addSeparator()

        self.play = self._action("play", "Pause", "Play / pause", checkable=True)
        self.play.setChecked(True)
        self.play.toggled.connect(self._play_toggled)
        self._action("step_event", "Step ▸", "Next event").triggered.connect(
            lambda: self.step_requested.emit("event")
        )
        self._action("step_sched", "Step G ▸▸", "Next scheduling decision (next G to run)").triggered.connect(
            lambda: self.step_requested.emit("sched")
        )
        self.addSeparator()

        self.addWidget(QtWidgets.QLabel(" speed "))
        self.speed = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.speed.setRange(0, SPEED_MAX_POS)
        self.speed.setFixedWidth(110)
        self.speed.setValue(pos_of(DEFAULT_SPEED))
        self.speed.setToolTip("Virtual time per wall second, 1 µs/s to as fast as possible")
        self.speed_label = QtWidgets.QLabel(speed_text(DEFAULT_SPEED))
        self.speed_label.setMinimumWidth(90)
        self.speed.valueChanged.connect(self._speed_moved)
        self.addWidget(self.speed)
        self.addWidget(self.speed_label)
        self._action("faster", "", "Faster").triggered.connect(
            lambda: self.speed.setValue(self.speed.value() + 1)
        )
        self._action("slower", "", "Slower").triggered.connect(
            lambda: self.speed.setValue(self.speed.value() - 1)
        )
        self._action("max_speed", "", "As fast as possible").triggered.connect(
            lambda: self.speed.setValue(SPEED_MAX_POS)
        )
        self.addSeparator()

        self.addWidget(QtWidgets.QLabel(" seed "))
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setFixedWidth(90)
        self.addWidget(self.seed)
        self._action("restart", "Restart", "Restart with this seed").triggered.connect(
            lambda: self.restart_requested.emit(self.seed.value())
        )
        self._action("new_seed", "New seed", "Restart with the next seed").triggered.connect(self._new_seed)
        self.addSeparator()

        #: the runtime settings live on a second toolbar row (the window adds it after a break)
        self.runtime_bar = QtWidgets.QToolBar("Runtime settings", parent)
        self.runtime_bar.setObjectName("runtime_settings")
        self.runtime_bar.setMovable(False)
        self.procs = self._spin(" GOMAXPROCS ", 1, 256, self.gomaxprocs_changed.emit)
        self.gogc = self._spin(" GOGC ", -1, 10000, self.gogc_changed.emit)
        self.gogc.setSpecialValueText("off")
        self.gogc.setSingleStep(25)
        self.memlimit = self._spin(
            " GOMEMLIMIT MiB ", -1, 1 << 20, lambda v: self.memlimit_changed.emit(-1 if v < 0 else v * MIB)
        )  # noqa: E501
        self.memlimit.setSpecialValueText("off")
        self.runtime_bar.addWidget(QtWidgets.QLabel(" policy "))
        self.policy = QtWidgets.QComboBox()
        self.policy.addItems(list(POLICIES))
        self.policy.setToolTip("Scheduling policy: Go's, or a teaching variant")
        self.policy.activated.connect(lambda i: self.policy_changed.emit(self.policy.itemText(i)))
        self.runtime_bar.addWidget(self.policy)

        self._action("procs_up", "", "GOMAXPROCS + 1").triggered.connect(lambda: self.procs.stepBy(1))
        self._action("procs_down", "", "GOMAXPROCS - 1").triggered.connect(lambda: self.procs.stepBy(-1))
        self._action("gogc_up", "", "GOGC + 25").triggered.connect(lambda: self.gogc.stepBy(1))
        self._action("gogc_down", "", "GOGC - 25").triggered.connect(lambda: self.gogc.stepBy(-1))
        self._action("memlimit", "", "Edit GOMEMLIMIT").triggered.connect(self._edit_memlimit)
        self._action("policy", "", "Next policy").triggered.connect(self._next_policy)
        self._action("scenario", "", "Pick a scenario").triggered.connect(self.scenario.showPopup)
        self._action("fit", "", "Show the whole run").triggered.connect(self.fit_requested.emit)
        self._action("m_lanes", "", "Toggle M lanes").triggered.connect(self.m_lanes_toggled.emit)

    def _action(self, name: str, text: str, tip: str, checkable: bool = False) -> QtGui.QAction:
        act = QtGui.QAction(text or tip, self)
        act.setShortcut(QtGui.QKeySequence(SHORTCUTS[name]))
        act.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        act.setToolTip(f"{tip} ({SHORTCUTS[name]})")
        act.setCheckable(checkable)
        if text:
            self.addAction(act)
        elif self.parent() is not None:
            self.parent().addAction(act)
        else:
            self.addAction(act)
        self.actions_by_name[name] = act
        return act

    def _spin(self, label: str, lo: int, hi: int, emit) -> QtWidgets.QSpinBox:
        self.runtime_bar.addWidget(QtWidgets.QLabel(label))
        sb = QtWidgets.QSpinBox()
        sb.setRange(lo, hi)
        sb.setKeyboardTracking(False)
        sb.setFixedWidth(80)
        sb.valueChanged.connect(emit)
        # Enter (or Esc) hands the keyboard back to the window: typing F, Space or [ must not go
        # into the box after a Ctrl+L edit
        sb.editingFinished.connect(sb.clearFocus)
        esc = QtGui.QShortcut(QtGui.QKeySequence("Esc"), sb)
        esc.setContext(QtCore.Qt.ShortcutContext.WidgetShortcut)
        esc.activated.connect(sb.clearFocus)
        self.runtime_bar.addWidget(sb)
        return sb

    def _edit_memlimit(self) -> None:
        self.memlimit.setFocus()
        self.memlimit.selectAll()  # type the new MiB straight away

    def _play_toggled(self, on: bool) -> None:
        self.play.setText("Pause" if on else "Play")
        self.play_toggled.emit(on)

    def _speed_moved(self, pos: int) -> None:
        s = speed_of(pos)
        self.speed_label.setText(speed_text(s))
        self.speed_changed.emit(s)

    def _new_seed(self) -> None:
        self.seed.setValue(self.seed.value() + 1)
        self.restart_requested.emit(self.seed.value())

    def _next_policy(self) -> None:
        i = (self.policy.currentIndex() + 1) % self.policy.count()
        self.policy.setCurrentIndex(i)
        self.policy_changed.emit(self.policy.itemText(i))

    def set_values(self, scenario: str, settings: RunSettings) -> None:
        """Show the settings of a (re)started run (every one set: RunSettings.of_run) without emitting
        change signals."""
        widgets = (self.scenario, self.seed, self.procs, self.gogc, self.memlimit, self.policy)
        for w in widgets:
            w.blockSignals(True)
        i = self.scenario.findData(scenario)
        if i < 0:
            self.scenario.addItem(scenario, scenario)
            i = self.scenario.count() - 1
        self.scenario.setCurrentIndex(i)
        self.seed.setValue(settings.seed)
        self.procs.setValue(settings.procs)
        self.gogc.setValue(settings.gogc if settings.gogc >= 0 else -1)
        mem = settings.memlimit_bytes
        self.memlimit.setValue(-1 if mem < 0 else max(mem // MIB, 0))
        self.policy.setCurrentText(settings.policy)
        for w in widgets:
            w.blockSignals(False)

    def settings(self) -> RunSettings:
        """The runtime settings as the controls show them (seed, GOMAXPROCS, GOGC, GOMEMLIMIT, policy)."""
        mem = self.memlimit.value()
        return RunSettings(
            seed=self.seed.value(),
            procs=self.procs.value(),
            policy=self.policy.currentText(),
            gogc=self.gogc.value(),
            memlimit_bytes=-1 if mem < 0 else mem * MIB,
        )

    def show_speed(self, speed: float | None) -> None:
        """Show a speed set elsewhere (a screenshot run, a restored session) without emitting."""
        self.speed.blockSignals(True)
        self.speed.setValue(pos_of(speed))
        self.speed.blockSignals(False)
        self.speed_label.setText(speed_text(speed))

    def show_procs(self, procs: int) -> None:
        """Follow GOMAXPROCS as the run changes it (runtime.GOMAXPROCS in a scenario), unless the user
        is editing the box."""
        if procs > 0 and self.procs.value() != procs and not self.procs.hasFocus():
            self.procs.blockSignals(True)
            self.procs.setValue(procs)
            self.procs.blockSignals(False)

    def set_playing(self, on: bool) -> None:
        self.play.blockSignals(True)
        self.play.setChecked(on)
        self.play.setText("Pause" if on else "Play")
        self.play.blockSignals(False)
