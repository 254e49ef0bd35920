"""Compiled goroutine programs: the contract between the scenario loader and the engine.

A scenario's TOML programs are validated and compiled (``workload/loader.py``) into flat tuples of
plain ints, so that the engine interprets them with no per-op object and no allocation. Each op is a
tuple whose first element is an ``OP_*`` code; the layout of the rest is given next to each code.

Durations are *distributions* ``(DIST_*, a_ns, b_ns)`` sampled with the engine's seeded RNG.
Loops are flat: ``(OP_REPEAT, count, body_len)`` is followed by ``body_len`` ops and then
``(OP_END_REPEAT, body_len + 1)`` which jumps back to the REPEAT; ``count == -1`` loops forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Distributions: (kind, a, b), times in ns
DIST_FIXED = 0  # a
DIST_UNIFORM = 1  # uniform in [a, b]
DIST_EXP = 2  # exponential with mean a
DIST_NORMAL = 3  # normal(mean a, std b), clipped at 0
DIST_NAMES = ("fixed", "uniform", "exp", "normal")

OP_COMPUTE = 0  # (OP_COMPUTE, dist)
OP_GOSCHED = 1  # (OP_GOSCHED,)                       runtime.Gosched()
OP_SLEEP = 2  # (OP_SLEEP, dist)                      time.Sleep
OP_SYSCALL = 3  # (OP_SYSCALL, dist, blocking)        blocking=1 -> entersyscallblock
OP_NETWAIT = 4  # (OP_NETWAIT, dist)                  read on a socket; dist = time until readable
OP_CHAN_MAKE = 5  # (OP_CHAN_MAKE, chan, cap)         (re)make the named channel
OP_CHAN_SEND = 6  # (OP_CHAN_SEND, chan)
OP_CHAN_RECV = 7  # (OP_CHAN_RECV, chan)
OP_CHAN_CLOSE = 8  # (OP_CHAN_CLOSE, chan)
OP_SELECT = 9  # (OP_SELECT, cases, has_default)     cases = ((SEL_SEND|SEL_RECV, chan), ...)
OP_GO = 10  # (OP_GO, program, count)                 go program() count times
OP_REPEAT = 11  # (OP_REPEAT, count, body_len)
OP_END_REPEAT = 12  # (OP_END_REPEAT, back)           jump back `back` ops to the REPEAT
OP_ALLOC = 13  # (OP_ALLOC, size_bytes, count, noscan, lifetime, lifetime_ns)
OP_GC = 14  # (OP_GC,)                                runtime.GC()
OP_GOMAXPROCS = 15  # (OP_GOMAXPROCS, n)              runtime.GOMAXPROCS(n)
OP_STACK = 16  # (OP_STACK, depth, frame_bytes, keep)  call depth x frame size, then return (keep=1: stay)
OP_DEFER = 17  # (OP_DEFER, count, heap)              push `count` defer records (heap=1: heap-allocated)
OP_BLOCK = 18  # (OP_BLOCK,)                          select {}: block forever
OP_EXIT = 19  # (OP_EXIT,)                            return from the goroutine's function
OP_SETGCPERCENT = 20  # (OP_SETGCPERCENT, percent)    debug.SetGCPercent (-1 = off)
OP_SETMEMLIMIT = 21  # (OP_SETMEMLIMIT, bytes)        debug.SetMemoryLimit (-1 = off)
OP_PACE = 22  # (OP_PACE, period_ns)                  sleep until the G is back on its schedule
OP_PIPE_READ = 23  # (OP_PIPE_READ, pipe, bytes)     os.Pipe read end: syscall.Read, IO wait when empty
OP_PIPE_WRITE = 24  # (OP_PIPE_WRITE, pipe, bytes)   write end: syscall.Write, IO wait when full

OP_NAMES = (
    "compute",
    "gosched",
    "sleep",
    "syscall",
    "netwait",
    "chan_make",
    "chan_send",
    "chan_recv",
    "chan_close",
    "select",
    "go",
    "repeat",
    "end_repeat",
    "alloc",
    "gc",
    "gomaxprocs",
    "stack",
    "defer",
    "block",
    "exit",
    "setgcpercent",
    "setmemlimit",
    "pace",
    "pipe_read",
    "pipe_write",
)

SEL_SEND = 0
SEL_RECV = 1

# Allocation lifetimes (OP_ALLOC[4]); lifetime_ns only for LIFE_DURATION
LIFE_GOROUTINE = 0  # live until the allocating G exits
LIFE_DURATION = 1  # live for lifetime_ns of virtual time
LIFE_FOREVER = 2  # never dies (globals, caches, leaks)
LIFE_TEMP = 3  # dead immediately after the op (garbage)
LIFE_NAMES = ("goroutine", "duration", "forever", "temp")

POLICIES = ("go", "global-queue", "no-steal")


@dataclass(frozen=True)
class Program:
    """One goroutine body. ``group`` colours its goroutines in the window."""

    name: str
    ops: tuple[tuple, ...]
    group: int = 0


@dataclass(frozen=True)
class ChanDecl:
    name: str
    cap: int


@dataclass(frozen=True)
class Scenario:
    """A validated, compiled scenario. ``programs[main]`` runs as goroutine 1."""

    name: str
    summary: str
    description: str
    text: str  # the TOML source, stored verbatim in recordings
    gomaxprocs: int = 4
    ncpu: int = 0  # the machine's CPUs; 0 = as many as GOMAXPROCS (core/os.py)
    seed: int = 1
    duration_ns: int = 1_000_000_000
    policy: str = "go"
    gogc: int = 100  # -1 = off
    memlimit_bytes: int = -1  # -1 = off (math.MaxInt64 in the runtime)
    container_limit_bytes: int = -1  # -1 = none; above it the process is OOM-killed
    globals_bytes: int = 0  # scannable globals (globalsScan)
    greentea: bool = True  # Green Tea marker (Go 1.26's default); false = GOEXPERIMENT=nogreenteagc
    pointer_percent: int = 25  # of the words of an object with pointers, how many are pointers (marking)
    programs: tuple[Program, ...] = ()
    channels: tuple[ChanDecl, ...] = ()
    pipes: tuple[str, ...] = ()  # os.Pipe names, in order of first use (OP_PIPE_* index them)
    groups: tuple[str, ...] = ("main",)
    main: int = 0
    path: str = ""
    notice: str = ""  # what a viewer should notice (the preset's paragraph)
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    def program_index(self, name: str) -> int:
        for i, p in enumerate(self.programs):
            if p.name == name:
                return i
        raise KeyError(name)
