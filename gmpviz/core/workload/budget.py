"""The engine's budget: the emulated program runs out of EMULATED memory, and the host stays safe.

A valid scenario can ask for anything: `alloc = "1TiB"` in a loop, ten million goroutines, a loop of
ops that take no time. The emulator answers the way a Go program on a real machine would where
there is a Go answer, and stops with a clear message where there is none:

* Memory: the emulated machine has DEFAULT_MACHINE_BYTES (or the scenario's `container_limit` when
  that is larger, at most MAX_MACHINE_BYTES). When `mheap.grow` would map more than that, the run
  ends like Go's: `sysMap`'s mmap fails with ENOMEM and the runtime throws "fatal error: runtime:
  out of memory" (mem_linux.go: sysMapOS). A smaller container limit ends the process first, by
  the cgroup's OOM killer ("signal: killed"), as the GC's container check already emulates.
* Goroutines: at most MAX_LIVE_GOROUTINES alive at once (an emulator limit: each is a Python object;
  Go has none, and its 2 KiB stacks alone would need 16 GiB for 8 million).
* Progress: a run that executes STALL_OPS ops that take no virtual time within STALL_WINDOW_NS (a
  loop of `make`/`close`/`setgcpercent` ops, nested `repeat`s of them) is stopped: its virtual time
  would creep forward 1 ns per 1,000 ops and the run would never end.
* Events per step: a `defer = N` op places its records DEFER_BATCH at a time (one scheduler step
  each), so no single step emits millions of events at once; headless runs drain the engine every
  HEADLESS_MAX_EVENTS events, so a burst of events is never held whole.

These are the engine's only core hooks for the budget: `PageHeap.grow` raises EmulatedOOM, the
engine's run loop turns it into the fatal error (`on_oom`), and the op interpreter calls
`goroutine_limit` and `zero_cost_burst`.
"""

from __future__ import annotations

from ..constants import PAGE_SIZE

DEFAULT_MACHINE_BYTES = 16 << 30  # the emulated machine's memory when the scenario sets no container_limit
MAX_MACHINE_BYTES = 64 << 30  # emulator limit: the page allocator's bitmaps stay under ~50 MB of host memory
MAX_LIVE_GOROUTINES = 250_000  # emulator limit (host memory: ~0.5 KB of Python objects per goroutine)
STALL_OPS = 1_000_000  # ops that take no virtual time ...
STALL_WINDOW_NS = 1_000_000  # ... within this much virtual time: the run is stopped
DEFER_BATCH = 4096  # defer records placed per scheduler step
HEADLESS_MAX_EVENTS = 200_000  # a headless run drains the engine at least this often (~13 MB of events)

ASSUMPTIONS = (
    "The emulated machine has 16 GiB of memory (or the scenario's container_limit if larger, at most "
    "64 GiB); mapping more ends the run with Go's 'fatal error: runtime: out of memory'. A smaller "
    "container_limit OOM-kills the process first ('signal: killed').",
    "Emulator limits (not Go's): 250,000 goroutines alive at once; a run that executes 1,000,000 ops "
    "taking no virtual time within 1 ms is stopped; a defer op places at most 4,096 records per "
    "scheduler step (a larger count continues in the next steps, 2 ns each as before).",
)


class EmulatedOOM(Exception):
    """mheap.grow could not map `ask_bytes` more (the emulated machine's memory is used up)."""

    def __init__(self, ask_bytes: int, mapped_bytes: int, limit_bytes: int) -> None:
        super().__init__(ask_bytes, mapped_bytes, limit_bytes)
        self.ask_bytes, self.mapped_bytes, self.limit_bytes = ask_bytes, mapped_bytes, limit_bytes


def machine_bytes(container_limit_bytes: int | None) -> int:
    """The emulated machine's memory: DEFAULT_MACHINE_BYTES, or a bigger machine (up to
    MAX_MACHINE_BYTES) for a container limit above it. A container limit below it does not shrink
    the machine: mmap succeeds inside a cgroup and the OOM killer ends the process once its memory
    passes the limit (the GC's container check)."""
    if container_limit_bytes is not None and container_limit_bytes > DEFAULT_MACHINE_BYTES:
        return min(container_limit_bytes, MAX_MACHINE_BYTES)
    return DEFAULT_MACHINE_BYTES


def limit_pages(container_limit_bytes: int | None) -> int:
    return machine_bytes(container_limit_bytes) // PAGE_SIZE


def oom_message(e: EmulatedOOM) -> str:
    """What the emulated process prints when mmap fails (mem_linux.go: sysMapOS on ENOMEM)."""
    return (
        f"runtime: mmap of {e.ask_bytes}-byte block failed with ENOMEM: the emulated machine has "
        f"{e.limit_bytes >> 20} MiB and {e.mapped_bytes >> 20} MiB are mapped\n"
        "fatal error: runtime: out of memory"
    )


def on_oom(engine, e: EmulatedOOM, container_limit_bytes: int | None) -> None:
    """End the run: the cgroup's OOM killer under a container limit, else the runtime's throw."""
    if container_limit_bytes is not None and container_limit_bytes >= 0 and hasattr(engine, "_check_oom"):
        engine._check_oom()  # emits OOMKill and "signal: killed (OOM) ..." once RSS passes the limit
    if not engine.done:
        engine.fatal(oom_message(e))


def goroutine_limit(engine) -> bool:
    """True (and the run stopped) when one more goroutine would pass MAX_LIVE_GOROUTINES."""
    if engine.n_created - engine.n_exited < MAX_LIVE_GOROUTINES:
        return False
    engine.fatal(
        f"gmpviz: emulator limit: {MAX_LIVE_GOROUTINES:,} goroutines alive at once (the emulator keeps "
        "each one in host memory; Go has no such limit)\n"
        f"stopped: more than {MAX_LIVE_GOROUTINES:,} live goroutines"
    )
    return True


def zero_cost_burst(engine, now_ns: int, ops: int) -> bool:
    """Note `ops` ops that took no virtual time; True (and the run stopped) on a stall."""
    t0, n = getattr(engine, "_budget_stall", (now_ns, 0))
    if now_ns - t0 > STALL_WINDOW_NS:
        t0, n = now_ns, 0
    n += ops
    engine._budget_stall = (t0, n)
    if n < STALL_OPS:
        return False
    engine.fatal(
        f"gmpviz: the program makes no progress in virtual time: {n:,} ops that take no time within "
        f"{STALL_WINDOW_NS // 1000:,} µs (a loop of make, close, setgcpercent or setmemlimit ops?)\n"
        "stopped: no progress in virtual time"
    )
    return True
