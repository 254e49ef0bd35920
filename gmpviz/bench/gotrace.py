"""`gmpviz bench --gotrace`: the Go trace reader against `go tool trace -d=parsed` (gotrace/bench.py)."""

from __future__ import annotations

DEFAULT_SECONDS = 3.0  # of benchprog: a trace of 50-150 MB (it depends on the machine's load)


def run(args) -> dict:
    from gmpviz.gotrace.bench import bench_gotrace

    return bench_gotrace(seconds=getattr(args, "seconds", None) or DEFAULT_SECONDS)
