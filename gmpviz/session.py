"""Session: drain an EventSource, fold into the model, (later) append to a recording.

A live engine thread and a recording player are both `EventSource`s: the views read the model and
cannot tell them apart. The live source drives any `EngineLike`: the emulator (`core.engine.Engine`)
in the app, a synthetic stand-in in the tests and the UI benchmark (tests/_synthetic.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .core.process import EngineProcess, ProcessStartError
from .core.settings import RunSettings
from .core.thread import Batch, EngineThread
from .model import Model
from .model._grow import concat_records


@runtime_checkable
class EngineLike(Protocol):
    """What a live session needs of an engine: its EngineThread runs it in slices (`run_until` with an
    event budget, `step_event` for single steps), drains its output and forwards commands; the
    window shows its settings and assumptions. Virtual time only: an engine never reads the clock."""

    duration_ns: int  # the run ends here
    done: bool
    error: str | None  # a fatal error of the emulated program (deadlock, out of memory ...)
    seed: int
    gomaxprocs: int
    policy: str

    @property
    def now_ns(self) -> int: ...

    def run_until(self, t_ns: int, max_events: int | None = None) -> int:
        """Run to virtual time `t_ns` or until about `max_events` were emitted; events emitted."""
        ...

    def step_event(self) -> int: ...

    def drain(self) -> np.ndarray:
        """The events (EVENT_DTYPE) emitted since the last drain."""
        ...

    def counters(self) -> np.ndarray:
        """The current COUNTERS_DTYPE row (engines that sample rows add `drain_counters()`)."""
        ...

    def apply(self, cmd: tuple) -> None:
        """A runtime setting while running; ValueError/RuntimeError when refused."""
        ...

    def assumptions(self) -> list[str]: ...


class EventSource(Protocol):
    """Anything that yields batches of events and counters without blocking."""

    def poll(self) -> list[Batch]: ...


class RecordingWriter(Protocol):
    def append(self, events: np.ndarray, counters: np.ndarray) -> None: ...


@dataclass
class PumpResult:
    """What one pump applied."""

    batches: int = 0
    events: int = 0
    now_ns: int = 0
    done: bool = False
    error: str | None = None
    crash: str | None = None
    notices: list[str] = field(default_factory=list)
    oldest_posted_s: float | None = None  # wall time the oldest applied batch was posted


class LiveSource:
    """The engine thread (or process) as an EventSource, with its controls.

    ``thread`` is an EngineThread running ``engine`` here, or, from ``open(..., process=True)``, an
    EngineProcess (core/process.py) with EngineThread's API whose engine runs in a child process;
    ``engine`` is then its RemoteEngine, the settings the child last reported."""

    def __init__(
        self,
        engine: EngineLike | None = None,
        speed_ns_per_s: float | None = None,
        paused: bool = False,
        *,
        runner: EngineThread | EngineProcess | None = None,
    ) -> None:
        if runner is None:
            runner = EngineThread(engine, speed_ns_per_s=speed_ns_per_s, paused=paused)
        self.thread = runner
        self.engine = runner.engine
        self.notice: str | None = None  # why the engine runs in a thread when a process was asked for

    @classmethod
    def open(
        cls,
        engine_factory: Callable[..., EngineLike],
        scenario,
        settings: RunSettings,
        speed_ns_per_s: float | None = None,
        paused: bool = False,
        process: bool = False,
    ) -> LiveSource:
        """A run of `scenario` with `settings`: `engine_factory(scenario, **settings.engine_kw())`, in a
        child process when `process` (the factory must then be a module-level function of a package,
        such as core.process.make_engine). Settings the engine refuses raise here either way; when no
        process can be started, the engine runs in a thread and `notice` says why."""
        notice = None
        if process:
            try:
                runner = EngineProcess(engine_factory, scenario, settings.engine_kw(), speed_ns_per_s, paused)
            except ProcessStartError as e:
                notice = f"{e}; the engine runs in the window's process (slower at max speed)"
            else:
                return cls(runner=runner)
        src = cls(engine_factory(scenario, **settings.engine_kw()), speed_ns_per_s, paused)
        src.notice = notice
        return src

    def start(self) -> None:
        self.thread.start()

    def poll(self) -> list[Batch]:
        return self.thread.poll()

    def stop(self) -> None:
        self.thread.stop()


_concat = concat_records  # (its old name here)


class Session:
    """Source -> model (-> writer). `pump()` is called by the UI on its timer."""

    def __init__(self, source: EventSource, model: Model, writer: RecordingWriter | None = None) -> None:
        self.source = source
        self.model = model
        self.writer = writer
        self.done = False
        self.error: str | None = None
        self.crash: str | None = None
        self.last_pump_ms = 0.0

    def pump(self) -> PumpResult:
        """Apply every batch posted since the last pump, coalesced into one fold."""
        t0 = time.perf_counter()
        batches = self.source.poll()
        res = PumpResult(now_ns=self.model.now_ns, done=self.done)
        if not batches:
            return res
        evs = [b.events for b in batches if len(b.events)]
        rows = [b.counters for b in batches if len(b.counters)]
        events = _concat(evs) if len(evs) > 1 else (evs[0] if evs else None)
        counters = _concat(rows) if rows else None
        if events is not None:
            self.model.apply(events)
            res.events = len(events)
        if counters is not None:
            self.model.add_counters(counters)
        last = batches[-1]
        self.model.advance(last.now_ns)
        if self.writer is not None and (events is not None or counters is not None):
            self.writer.append(
                events if events is not None else np.zeros(0, dtype=batches[0].events.dtype), counters
            )
        for b in batches:
            if b.notice:
                res.notices.append(b.notice)
            if b.error and not self.error:
                self.error = b.error
            if b.crash and not self.crash:
                self.crash = b.crash
        self.done = last.done
        res.batches = len(batches)
        res.now_ns = self.model.now_ns
        res.done, res.error, res.crash = self.done, self.error, self.crash
        res.oldest_posted_s = batches[0].posted_s
        self.last_pump_ms = (time.perf_counter() - t0) * 1e3
        return res
