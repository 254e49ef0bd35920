"""Render a compiled Scenario as Go-like source, so a viewer can read what the goroutines do.

The output is pseudo-Go: real statements where Go has one (``go``, channel ops, ``select``,
``time.Sleep``, ``runtime.GC``), and small named helpers for what the emulator abstracts
(``spin`` for CPU work, ``syscallFor``, ``alloc``). It is for reading, not for compiling.
"""

from __future__ import annotations

from gmpviz.core.workload import ops as O
from gmpviz.core.workload.ops import Scenario
from gmpviz.core.workload.units import format_duration, format_size

INDENT = "\t"


def dist_text(dist: tuple[int, int, int]) -> str:
    """``1ms``, ``exp(mean=100us)``, ``uniform(10us, 1ms)``, ``normal(1ms, std=200us)``."""
    kind, a, b = dist
    if kind == O.DIST_FIXED:
        return format_duration(a)
    if kind == O.DIST_UNIFORM:
        return f"uniform({format_duration(a)}, {format_duration(b)})"
    if kind == O.DIST_EXP:
        return f"exp(mean={format_duration(a)})"
    return f"normal({format_duration(a)}, std={format_duration(b)})"


def go_source(sc: Scenario) -> str:
    """The whole scenario as pseudo-Go: settings as a comment, channels as globals, one func per program."""
    settings = f"GOMAXPROCS={sc.gomaxprocs} GOGC={_gogc(sc.gogc)} GOMEMLIMIT={_limit(sc.memlimit_bytes)}"
    lines = [f"// {sc.name}: {settings}"]
    if sc.channels:
        lines.append("var (")
        width = max(len(c.name) for c in sc.channels)
        for c in sc.channels:
            cap = f", {c.cap}" if c.cap else ""
            lines.append(f"{INDENT}{c.name.ljust(width)} = make(chan job{cap})")
        lines.append(")")
    for prog in sc.programs:
        lines.append("")
        lines.append(f"func {_ident(prog.name)}() {{")
        lines.extend(program_lines(sc, prog.ops, 1))
        lines.append("}")
    return "\n".join(lines) + "\n"


def program_lines(sc: Scenario, ops: tuple, depth: int) -> list[str]:
    """The statements of one op list; REPEAT/END_REPEAT become nested ``for`` blocks."""
    out: list[str] = []
    i = 0
    while i < len(ops):
        op = ops[i]
        pad = INDENT * depth
        if op[0] == O.OP_REPEAT:
            count, body_len = op[1], op[2]
            head = "for {" if count == -1 else f"for i := 0; i < {count}; i++ {{"
            out.append(pad + head)
            out.extend(program_lines(sc, ops[i + 1 : i + 1 + body_len], depth + 1))
            out.append(pad + "}")
            i += body_len + 2
            continue
        out.extend(pad + s for s in statement(sc, op))
        i += 1
    return out


def statement(sc: Scenario, op: tuple) -> list[str]:
    """One op as one or more Go-like lines (without indentation)."""
    code = op[0]
    chan = sc.channels[op[1]].name if code in _CHAN_OPS else ""
    simple = {
        O.OP_COMPUTE: lambda: f"spin({dist_text(op[1])})",
        O.OP_GOSCHED: lambda: "runtime.Gosched()",
        O.OP_PIPE_READ: lambda: f"{sc.pipes[op[1]]}r.Read(buf[:{op[2]}])  // os.Pipe read end",
        O.OP_PIPE_WRITE: lambda: f"{sc.pipes[op[1]]}w.Write(buf[:{op[2]}])  // os.Pipe write end",
        O.OP_PACE: lambda: f"due = due.Add({format_duration(op[1])}); time.Sleep(time.Until(due))  // pace",
        O.OP_SLEEP: lambda: f"time.Sleep({dist_text(op[1])})",
        O.OP_TICK: lambda: f"<-ticker.C  // time.NewTicker({format_duration(op[1])})",
        O.OP_SCOPE_END: lambda: "// the body's scoped buffers are dropped",
        O.OP_SYSCALL: lambda: f"syscallFor({dist_text(op[1])})" + ("  // entersyscallblock" if op[2] else ""),
        O.OP_NETWAIT: lambda: f"conn.Read(buf)  // readable after {dist_text(op[1])}",
        O.OP_CHAN_MAKE: lambda: f"{chan} = make(chan job" + (f", {op[2]})" if op[2] else ")"),
        O.OP_CHAN_SEND: lambda: f"{chan} <- job{{}}",
        O.OP_CHAN_RECV: lambda: f"<-{chan}",
        O.OP_CHAN_CLOSE: lambda: f"close({chan})",
        O.OP_ALLOC: lambda: _alloc(op),
        O.OP_GC: lambda: "runtime.GC()",
        O.OP_GOMAXPROCS: lambda: f"runtime.GOMAXPROCS({op[1]})",
        O.OP_STACK: lambda: (
            f"recurse({op[1]})  // {format_size(op[2])} frames"
            + (", stays in the deepest call" if op[3] else "")
        ),
        O.OP_DEFER: lambda: _defer(op),
        O.OP_BLOCK: lambda: "select {}",
        O.OP_EXIT: lambda: "return",
        O.OP_SETGCPERCENT: lambda: f"debug.SetGCPercent({op[1]})",
        O.OP_SETMEMLIMIT: lambda: (
            "debug.SetMemoryLimit(" + (_limit(op[1]) if op[1] >= 0 else "math.MaxInt64") + ")"
        ),
    }
    if code in simple:
        return [simple[code]()]
    if code == O.OP_GO:
        call = f"go {_ident(sc.programs[op[1]].name)}()"
        return [call] if op[2] == 1 else [f"for i := 0; i < {op[2]}; i++ {{", INDENT + call, "}"]
    if code == O.OP_SELECT:
        return _select(sc, op)
    raise ValueError(f"op code {code} has no Go rendering")


_CHAN_OPS = frozenset({O.OP_CHAN_MAKE, O.OP_CHAN_SEND, O.OP_CHAN_RECV, O.OP_CHAN_CLOSE})


def _select(sc: Scenario, op: tuple) -> list[str]:
    lines = ["select {"]
    for direction, ch in op[1]:
        name = sc.channels[ch].name
        lines.append(f"case {name} <- job{{}}:" if direction == O.SEL_SEND else f"case <-{name}:")
    if op[2]:
        lines.append("default:")
    lines.append("}")
    return lines


def _alloc(op: tuple) -> str:
    _, size_bytes, count, noscan, lifetime, lifetime_ns = op
    kind = "noscan" if noscan else "pointers"
    life = format_duration(lifetime_ns) if lifetime == O.LIFE_DURATION else O.LIFE_NAMES[lifetime]
    times = f"x{count}, " if count > 1 else ""
    return f"alloc({format_size(size_bytes)}, {kind})  // {times}lives: {life}"


def _defer(op: tuple) -> str:
    n, heap = op[1], op[2]
    where = "heap _defer records (defer in a loop)" if heap else "open-coded/stack defers"
    return f"defer cleanup()  // x{n}, {where}"


def _ident(name: str) -> str:
    parts = [p for p in name.replace("-", " ").replace("_", " ").split() if p]
    if not parts:
        return "f"
    ident = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return ident if ident[0].isalpha() else "f" + ident


def _gogc(percent: int) -> str:
    return "off" if percent < 0 else str(percent)


def _limit(nbytes: int) -> str:
    return "off" if nbytes < 0 else format_size(nbytes)
