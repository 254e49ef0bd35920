"""The settings of a run: `RunSettings` (what a run starts with) and the typed commands that change
the runtime's knobs while it runs.

`RunSettings` is the one list of run settings: the CLI's `run` flags fill it, `run_window`, the
window's start/restart and its controls pass it on, and the live session builds its engine from it
(`Engine(scenario, **settings.engine_kw())`).

Each command is one of the runtime's own knobs and names it; `EngineThread.apply` carries it to the
engine between slices. `Engine.apply` takes the engine's tuple form (`as_tuple()`), which is also
accepted as is where a command is (a tuple the engine does not know is refused by the engine, with
a notice, not here).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SetGOMAXPROCS:
    """runtime.GOMAXPROCS(n): procresize under a stop-the-world (proc.go)."""

    n: int

    def as_tuple(self) -> tuple[str, int]:
        return ("gomaxprocs", int(self.n))


@dataclass(frozen=True, slots=True)
class SetGCPercent:
    """debug.SetGCPercent(percent): GOGC; -1 turns the GC off (mgcpacer.go setGCPercent)."""

    percent: int

    def as_tuple(self) -> tuple[str, int]:
        return ("gogc", int(self.percent))


@dataclass(frozen=True, slots=True)
class SetMemoryLimit:
    """debug.SetMemoryLimit(limit): GOMEMLIMIT in bytes; -1 means no limit (mgcpacer.go
    setMemoryLimit)."""

    limit_bytes: int

    def as_tuple(self) -> tuple[str, int]:
        return ("memlimit", int(self.limit_bytes))


@dataclass(frozen=True, slots=True)
class SetPolicy:
    """The scheduling policy: "go", or a teaching variant ("global-queue", "no-steal"). Not a knob
    of the real runtime: a what-if of the emulator."""

    name: str

    def as_tuple(self) -> tuple[str, str]:
        return ("policy", str(self.name))


RuntimeCommand = SetGOMAXPROCS | SetGCPercent | SetMemoryLimit | SetPolicy


def engine_form(cmd: RuntimeCommand | tuple) -> tuple:
    """The tuple `Engine.apply` takes; a tuple passes through unchanged."""
    return cmd if isinstance(cmd, tuple) else cmd.as_tuple()


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a run sets over its scenario; None keeps the scenario's value (Engine's keywords)."""

    seed: int | None = None
    procs: int | None = None  # GOMAXPROCS
    policy: str | None = None
    duration_ns: int | None = None  # virtual time
    gogc: int | None = None  # percent, -1 off
    memlimit_bytes: int | None = None  # -1 off
    greentea: bool | None = None  # the Green Tea marker (False: GOEXPERIMENT=nogreenteagc)

    def engine_kw(self) -> dict[str, int | str]:
        """The settings that are set, as Engine keywords."""
        return {f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not None}

    def replace(self, **changes) -> RunSettings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def of_run(cls, engine, scenario=None) -> RunSettings:
        """Every setting `engine` runs with; the scenario's (or Go's default) where an engine does
        not say (a stand-in engine without a GC has no GOGC)."""
        return cls(
            seed=int(getattr(engine, "seed", getattr(scenario, "seed", 0)) or 0),
            procs=int(engine.gomaxprocs),
            policy=str(getattr(engine, "policy", getattr(scenario, "policy", "go"))),
            duration_ns=int(engine.duration_ns),
            gogc=int(getattr(engine, "gogc", getattr(scenario, "gogc", 100))),
            memlimit_bytes=int(getattr(engine, "memlimit", getattr(scenario, "memlimit_bytes", -1))),
            greentea=bool(getattr(engine, "greentea", getattr(scenario, "greentea", True))),
        )
