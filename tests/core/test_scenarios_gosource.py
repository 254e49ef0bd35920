"""The Go-like rendering of a scenario reads like the program it models."""

from __future__ import annotations

import pytest

from gmpviz.core.workload.gosource import go_source
from gmpviz.core.workload.loader import list_presets, load_scenario, loads_scenario

SRC = """
name = "demo"
gomaxprocs = 2
gogc = "off"
[channels]
jobs = 4
done = 0
[programs.main]
ops = [
  { go = "worker-pool", count = 3 },
  { repeat = 2, body = [ { send = "jobs" }, { sleep = { dist = "exp", mean = "100us" } } ] },
  { select = [ { recv = "done" }, { send = "jobs" } ], default = true },
  { alloc = "64B", count = 10, pointers = true, lifetime = "5ms" },
  { syscall = "2ms", blocking = true },
  { setmemlimit = "off" },
  "exit",
]
[programs.worker-pool]
ops = [ { repeat = "forever", body = [ { recv = "jobs" }, { compute = "1ms" } ] } ]
"""

EXPECTED = """// demo: GOMAXPROCS=2 GOGC=off GOMEMLIMIT=off
var (
\tjobs = make(chan job, 4)
\tdone = make(chan job)
)

func main() {
\tfor i := 0; i < 3; i++ {
\t\tgo workerPool()
\t}
\tfor i := 0; i < 2; i++ {
\t\tjobs <- job{}
\t\ttime.Sleep(exp(mean=100us))
\t}
\tselect {
\tcase <-done:
\tcase jobs <- job{}:
\tdefault:
\t}
\talloc(64B, pointers)  // x10, lives: 5ms
\tsyscallFor(2ms)  // entersyscallblock
\tdebug.SetMemoryLimit(math.MaxInt64)
\treturn
}

func workerPool() {
\tfor {
\t\t<-jobs
\t\tspin(1ms)
\t}
}
"""


def test_go_source_of_a_small_scenario():
    assert go_source(loads_scenario(SRC, "demo.toml")) == EXPECTED


@pytest.mark.parametrize("name", [n for n, _ in list_presets()])
def test_every_preset_renders_balanced(name):
    text = go_source(load_scenario(name))
    assert text.count("{") == text.count("}")
    assert "func main() {" in text
