"""RunSettings: the one list of run settings (flags -> engine keywords -> the settings a run has)."""

from gmpviz.cli import _run_settings, build_parser
from gmpviz.core.engine import Engine
from gmpviz.core.settings import RunSettings
from gmpviz.core.workload.loader import load_scenario


def test_flags_become_engine_keywords_and_unset_ones_keep_the_scenario():
    args = build_parser().parse_args(["run", "default", "--procs", "3", "--gogc", "off", "--duration", "5ms"])
    s = _run_settings(args)
    assert s.engine_kw() == {"procs": 3, "gogc": -1, "duration_ns": 5_000_000}
    sc = load_scenario("default")
    eng = Engine(sc, **s.engine_kw())
    got = RunSettings.of_run(eng, sc)
    assert (got.procs, got.gogc, got.duration_ns) == (3, -1, 5_000_000)
    assert (got.seed, got.policy, got.memlimit_bytes) == (sc.seed, sc.policy, sc.memlimit_bytes)
    assert RunSettings().engine_kw() == {}
