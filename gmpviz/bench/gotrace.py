"""`gmpviz bench --gotrace`: the Go trace reader against `go tool trace -d=parsed` (gotrace/bench.py)."""

from __future__ import annotations


def run(args) -> dict:
    from gmpviz.gotrace.bench import bench_gotrace

    return bench_gotrace(seconds=getattr(args, "seconds", 1.0))
