"""`gmpviz bench --ui`: benchmarks/bench_ui.py's ``bench_ui()`` (the window, fed by the synthetic
engine of the test support: both ship beside the package in the repository, not inside it), then its
``bench_window_keeps_up()`` (the app's window and engine at max speed against headless, one run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from . import BenchError

BENCH_UI = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ui.py"


def run(args) -> dict:
    if not BENCH_UI.exists():
        raise BenchError(f"the UI benchmark is not available: {BENCH_UI} is missing")
    spec = importlib.util.spec_from_file_location("gmpviz_bench_ui", BENCH_UI)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.bench_ui()
    out.update(mod.bench_window_keeps_up())
    return out
