"""The event kernel (core/clock.py): time order, then priority, then push order; cancellation by token."""

from gmpviz.core import clock as K
from gmpviz.core.clock import Clock


def test_steps_run_by_time_then_priority_then_push_order():
    c = Clock()
    seen = []

    def h(obj, token):
        seen.append((c.now, obj))

    c.at(20, K.PRIO_MSTEP, h, "late")
    c.at(10, K.PRIO_SYSMON, h, "sysmon")
    c.at(10, K.PRIO_MSTEP, h, "m1")
    c.at(10, K.PRIO_TIMER, h, "timer")
    c.at(10, K.PRIO_MSTEP, h, "m2")
    c.run_until(100, 1000, [])
    assert seen == [(10, "m1"), (10, "m2"), (10, "timer"), (10, "sysmon"), (20, "late")]
    assert c.now == 100 and c.steps == 5


def test_timer_steps_keep_the_one_heap_order():
    # at_timer keeps PRIO_TIMER steps in a heap of their own; the order is still (t_ns, prio, seq)
    c = Clock()
    seen = []

    def h(obj, token):
        seen.append((c.now, obj))

    c.at_timer(10, h, "t1")
    c.at(10, K.PRIO_TIMER, h, "at-timer")
    c.at(10, K.PRIO_SYSMON, h, "sysmon")
    c.at_timer(10, h, "t2")
    c.at(10, K.PRIO_MSTEP, h, "m")
    c.at_timer(5, h, "early")
    c.at(30, K.PRIO_MSTEP, h, "after")
    c.run_until(20, 1000, [])
    assert seen == [(5, "early"), (10, "m"), (10, "t1"), (10, "at-timer"), (10, "t2"), (10, "sysmon")]
    assert c.now == 20 and c.steps == 6 and c.pending == 1
    c.at_timer(25, h, "t3")
    c.step()
    c.step()
    assert seen[-2:] == [(25, "t3"), (30, "after")] and c.pending == 0


def test_a_bumped_token_cancels_the_pending_step():
    class Owner:
        token = 0

    c = Clock()
    o = Owner()
    ran = []

    def h(obj, token):
        if token == obj.token:
            ran.append(c.now)

    c.at(5, K.PRIO_MSTEP, h, o, o.token)
    o.token += 1  # superseded
    c.at(7, K.PRIO_MSTEP, h, o, o.token)
    c.run_until(10, 10, [])
    assert ran == [7]
    assert c.steps == 2  # the stale step was popped and counted


def test_stop_ends_the_run_and_the_event_budget_stops_early():
    c = Clock()
    out: list[int] = []

    def emit(obj, token):
        out.extend((1, 2))
        if obj == "stop":
            c.stop()

    for t in range(1, 6):
        c.at(t, K.PRIO_MSTEP, emit)
    c.run_until(10, 10, out, 4)
    assert c.now == 2 and len(out) == 4
    c.at(3, K.PRIO_END, emit, "stop")
    c.run_until(10, 10, out)
    assert c.stopped and c.now == 3


def test_priorities_keep_the_documented_order():
    # The order decides ties and so every recording: renumbering is a deliberate, hash-changing edit.
    assert list(K.PRIORITIES) == [
        "PRIO_MSTEP",
        "PRIO_FINDRUN_TAIL",
        "PRIO_MWAKE",
        "PRIO_SYSCALL_DONE",
        "PRIO_TIMER",
        "PRIO_NETREADY",
        "PRIO_NETPOLL_WAKE",
        "PRIO_SYSMON",
        "PRIO_SAMPLE",
        "PRIO_SCHEDTRACE",
        "PRIO_END",
        "PRIO_GC",
        "PRIO_STW",
    ]
    assert list(K.PRIORITIES.values()) == list(range(len(K.PRIORITIES)))
