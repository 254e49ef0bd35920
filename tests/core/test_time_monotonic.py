"""Virtual time never goes back: a GOMAXPROCS shrink moves the destroyed Ps' overdue timers to P0
(proc.go: p.destroy), and their step is due now, not at the past `when` (found by the invariant test)."""

from gmpviz.core.engine import Engine
from gmpviz.core.workload.ops import ChanDecl, Program, Scenario


def test_overdue_timers_moved_by_procresize_do_not_turn_the_clock_back():
    sc = Scenario(
        name="h",
        summary="",
        description="",
        text="",
        gomaxprocs=5,
        seed=295,
        duration_ns=50000000,
        policy="go",
        gogc=-1,
        memlimit_bytes=-1,
        container_limit_bytes=-1,
        globals_bytes=0,
        programs=(
            Program(
                name="p0",
                ops=((14,), (0, (0, 8871, 0)), (0, (0, 9, 0)), (10, 1, 26), (0, (0, 362879, 0)), (1,)),
                group=0,
            ),
            Program(
                name="p1",
                ops=(
                    (11, -1, 6),
                    (2, (2, 114219, 0)),
                    (10, 1, 26),
                    (4, (2, 438, 0)),
                    (15, 3),
                    (10, 2, 13),
                    (14,),
                    (12, 7),
                ),
                group=1,
            ),
            Program(name="p2", ops=((11, -1, 2), (6, 1), (13, 4096, 195, 0, 3, 1245), (12, 3)), group=2),
        ),
        channels=(ChanDecl(name="c0", cap=0), ChanDecl(name="c1", cap=1), ChanDecl(name="c2", cap=0)),
        groups=("p0", "p1", "p2"),
        main=0,
        path="",
        notice="",
        extra={},
    )
    eng = Engine(sc)
    last = 0
    for _ in range(2500):
        if eng.done or not eng._heap:
            break
        eng.step_event()
        assert eng.now >= last
        last = eng.now
