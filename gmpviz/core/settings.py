"""The runtime settings a running program can change, as typed commands.

Each command is one of the runtime's own knobs and names it; `EngineThread.apply` carries it to the
engine between slices. `Engine.apply` takes the engine's tuple form (`as_tuple()`), which is also
accepted as is where a command is (a tuple the engine does not know is refused by the engine, with
a notice, not here).
"""

from __future__ import annotations

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
