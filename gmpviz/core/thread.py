"""EngineThread: runs the engine in slices off the UI thread and posts batches of events.

The engine stays deterministic: the thread only decides *how far* to run it between looks at the
command queue (pacing to wall time is presentation, not emulation; the events do not depend on it).
It never waits for the UI: batches go onto an unbounded queue and the UI coalesces whatever piled
up. Commands (typed: Pause, Resume, Step, SetSpeed, Apply, Stop) are handled between slices.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from .settings import RuntimeCommand, engine_form
from .trace.events import EV, EVENT_DTYPE

SLICE_MAX_EVENTS = 20_000  # a slice never emits more than this many events
SLICE_WALL_S = 0.008  # ... and aims to take no more than 8 ms of wall time
IDLE_WAIT_S = 0.05  # paused/finished: how long to block on the command queue per look
MAX_LAG_S = 0.25  # when the engine cannot keep up with the speed, drop the backlog beyond this
STEP_LIMIT = 200_000  # a "next scheduling decision" step gives up after this many engine steps
SPEED_MIN = 1_000.0  # virtual ns per wall second: 1 µs/s slow motion
MAX_SPEED_YIELD = 1.0  # at max speed, sleep this fraction of each slice's wall time after it
MIN_SLICE_S = 0.004  # paced runs: a slice covers at least 4 ms of wall time (no busy loop of tiny slices)


@dataclass(frozen=True, slots=True)
class Pause:
    pass


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Step:
    """One step while paused: "event" (the next event) or "sched" (up to the next GoStart)."""

    what: str


@dataclass(frozen=True, slots=True)
class SetSpeed:
    ns_per_s: float | None  # virtual ns per wall second; None: as fast as possible


@dataclass(frozen=True, slots=True)
class Apply:
    """A runtime setting for the engine (refused ones come back as a Batch notice)."""

    cmd: RuntimeCommand | tuple


@dataclass(frozen=True, slots=True)
class Stop:
    pass


ThreadCommand = Pause | Resume | Step | SetSpeed | Apply | Stop


@dataclass
class Batch:
    """What the engine did in one slice. ``counters`` has 0 or 1 COUNTERS_DTYPE rows."""

    events: np.ndarray
    counters: np.ndarray
    now_ns: int
    done: bool = False
    error: str | None = None  # fatal error of the emulated program (deadlock, OOM ...)
    crash: str | None = None  # traceback of an exception inside the engine (a gmpviz bug)
    notice: str | None = None  # a refused command ("GOMAXPROCS must be at least 1 ...")
    # an engine process's settings when they changed (core/process.py: RemoteEngine reads them)
    settings: dict | None = None
    posted_s: float = field(default_factory=time.perf_counter)


def engine_now(engine) -> int:
    """Virtual now of an engine (``now_ns``, the Engine and the synthetic engine alike)."""
    return int(engine.now_ns)


def _empty_events() -> np.ndarray:
    return np.zeros(0, dtype=EVENT_DTYPE)


class EngineThread(threading.Thread):
    """Drives one engine. ``speed_ns_per_s=None`` runs as fast as possible."""

    def __init__(
        self,
        engine,
        speed_ns_per_s: float | None = None,
        paused: bool = False,
        max_speed_yield: float = MAX_SPEED_YIELD,
    ) -> None:
        super().__init__(name="gmpviz-engine", daemon=True)
        self.engine = engine
        # the fraction of each max-speed slice to sleep after it: a thread beside the UI shares the
        # GIL; an engine process (core/process.py) has nothing to share and passes 0
        self.max_speed_yield = max_speed_yield
        self.out: queue.SimpleQueue[Batch] = queue.SimpleQueue()
        self._cmds: queue.SimpleQueue[ThreadCommand] = queue.SimpleQueue()
        self._speed = speed_ns_per_s
        self._paused = paused
        self._stopping = False
        self._crashed = False
        self._max_events = SLICE_MAX_EVENTS // 4
        self._held = _empty_events()  # emitted by a single step but not shown yet
        self._v0 = 0
        self._w0 = 0.0
        self.slices = 0

    # --- API for the UI thread (all non-blocking except stop) ----------------------------------
    def pause(self) -> None:
        self._cmds.put(Pause())

    def resume(self) -> None:
        self._cmds.put(Resume())

    def step(self, what: str = "event") -> None:
        """One step while paused: "event" (the next event) or "sched" (the next scheduling decision)."""
        if what not in ("event", "sched"):
            raise ValueError(f"step must be 'event' or 'sched', not {what!r}")
        self._cmds.put(Step(what))

    def set_speed(self, speed_ns_per_s: float | None) -> None:
        self._cmds.put(SetSpeed(speed_ns_per_s))

    def apply(self, cmd: RuntimeCommand | tuple) -> None:
        """Forward SetGOMAXPROCS / SetGCPercent / SetMemoryLimit / SetPolicy (or the engine's tuple)."""
        self._cmds.put(Apply(cmd))

    def poll(self) -> list[Batch]:
        out = []
        try:
            while True:
                out.append(self.out.get_nowait())
        except queue.Empty:
            return out

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._cmds.put(Stop())
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speed(self) -> float | None:
        return self._speed

    # --- the thread ----------------------------------------------------------------------------
    def run(self) -> None:
        self._rebase()
        while not self._stopping:
            idle = self._paused or self.engine.done or self._crashed
            if not self._commands(block=idle):
                break
            if self._paused or self.engine.done or self._crashed:
                continue
            try:
                self._slice()
            except Exception:
                self._crash()

    def _rebase(self) -> None:
        self._v0 = engine_now(self.engine)
        self._w0 = time.perf_counter()

    def _commands(self, block: bool) -> bool:
        """Handle queued commands; False when asked to stop."""
        try:
            cmd = self._cmds.get(timeout=IDLE_WAIT_S) if block else self._cmds.get_nowait()
        except queue.Empty:
            return True
        while True:
            if isinstance(cmd, Stop):
                return False
            try:
                self._command(cmd)
            except Exception:
                self._crash()
            try:
                cmd = self._cmds.get_nowait()
            except queue.Empty:
                return True

    def _command(self, cmd: ThreadCommand) -> None:
        match cmd:
            case Pause():
                self._paused = True
            case Resume():
                self._paused = False
                self._rebase()
            case SetSpeed(ns_per_s):
                self._speed = None if ns_per_s is None else max(float(ns_per_s), SPEED_MIN)
                self._rebase()
            case Step(what):
                if not (self.engine.done or self._crashed):
                    self._paused = True
                    self._step(what)
            case Apply(setting):
                try:
                    self.engine.apply(engine_form(setting))
                except (ValueError, RuntimeError) as e:
                    self._post(notice=str(e))
                    return
                self._post()

    def _step(self, what: str) -> None:
        """Reveal exactly one more event ("event") or everything up to the next GoStart ("sched").

        One engine step can emit several events (a GC phase, a steal and a start): the ones not yet
        shown are held back for the next step and flushed before anything else is posted."""
        eng = self.engine
        parts = [self._held] if len(self._held) else []
        self._held = _empty_events()

        def cut() -> int | None:
            ev = np.concatenate(parts) if parts else _empty_events()
            if what == "event":
                return 1 if len(ev) else None
            hit = np.flatnonzero(ev["kind"] == EV.GoStart)
            return int(hit[0]) + 1 if len(hit) else None

        n = cut()
        for _ in range(STEP_LIMIT):
            if n is not None or eng.done:
                break
            eng.step_event()
            ev = eng.drain()
            if len(ev):
                parts.append(ev)
                n = cut()
        ev = np.concatenate(parts) if parts else _empty_events()
        if n is None:
            n = len(ev)
        self._held = ev[n:]
        self._post(ev[:n])

    def _slice(self) -> None:
        eng = self.engine
        if self._speed is None:
            target = eng.duration_ns
        else:
            now_w = time.perf_counter()
            target = self._v0 + int(self._speed * (now_w - self._w0))
            if target - engine_now(eng) > self._speed * MAX_LAG_S:  # cannot keep up: do not try to catch up
                self._v0, self._w0 = engine_now(eng), now_w
                target = engine_now(eng) + int(self._speed * SLICE_WALL_S)
            due = engine_now(eng) + self._speed * MIN_SLICE_S
            if target < due:
                self._sleep(min((due - target) / self._speed, SLICE_WALL_S))
                return
        t0 = time.perf_counter()
        n = eng.run_until(min(target, eng.duration_ns), max_events=self._max_events)
        dt = time.perf_counter() - t0
        if n and dt > 0:  # aim the next slice at SLICE_WALL_S
            rate = n / dt
            self._max_events = int(min(max(rate * SLICE_WALL_S, 200), SLICE_MAX_EVENTS))
        self._post()
        if self._speed is None and self.max_speed_yield > 0:
            # "As fast as possible" still leaves the GIL to the UI thread half of the time: a UI
            # that folds and paints what the engine emits cannot do it in the engine's shadow
            time.sleep(max(dt * self.max_speed_yield, 0.0005))

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up for a command."""
        try:
            cmd = self._cmds.get(timeout=seconds)
        except queue.Empty:
            return
        self._cmds.put(cmd)  # handled at the top of the loop (keeps order for later ones: rare)

    def _post(self, events: np.ndarray | None = None, notice: str | None = None) -> None:
        eng = self.engine
        ev = eng.drain() if events is None else events
        if events is None and len(self._held):  # events held back by single steps go first
            ev = np.concatenate([self._held, ev])
            self._held = _empty_events()
        self.slices += 1
        self._emit(
            Batch(
                events=ev if ev is not None else _empty_events(),
                counters=self._drain_counters(),
                now_ns=int(engine_now(eng)),
                done=bool(eng.done),
                error=eng.error,
                notice=notice,
            )
        )

    def _emit(self, batch: Batch) -> None:
        """Hand a batch to the UI (here: the queue poll() reads; an engine process sends it)."""
        self.out.put(batch)

    def _drain_counters(self) -> np.ndarray:
        """Counter rows since the last post (engines that sample them) or just the current row."""
        drain = getattr(self.engine, "drain_counters", None)
        return drain() if drain is not None else self.engine.counters()

    def _crash(self) -> None:
        self._crashed = True
        text = traceback.format_exc()
        try:
            ev = self.engine.drain()
        except Exception:
            ev = _empty_events()
        self._emit(
            Batch(
                events=ev,
                counters=np.zeros(0),
                now_ns=engine_now(self.engine),
                done=True,
                crash=text,
            )
        )  # noqa: E501
