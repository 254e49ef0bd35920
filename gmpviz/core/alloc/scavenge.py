"""Scavenger goal (`mgcscavenge.go: gcPaceScavenger`)."""

from __future__ import annotations

from gmpviz.core.constants import PAGE_SIZE

RETAIN_EXTRA_PERCENT = 10  # mgcscavenge.go: retainExtraPercent
REDUCE_EXTRA_PERCENT = 5  # mgcscavenge.go: reduceExtraPercent


def scavenge_goal(last_heap_inuse: int, heap_goal: int, last_heap_goal: int, memlimit_bytes: int = -1) -> int:
    """mgcscavenge.go: gcPaceScavenger, bytes of memory to retain; -1 = no goal (scavenger idle).

    Without a memory limit: lastHeapInUse * heapGoal/lastHeapGoal + 10 %, page-rounded. With one
    (memlimit_bytes >= 0), the tighter of that and 95 % of the limit.
    """
    goals = []
    if last_heap_goal > 0:
        g = int(last_heap_inuse * (heap_goal / last_heap_goal))
        g += g * RETAIN_EXTRA_PERCENT // 100
        goals.append(-(-g // PAGE_SIZE) * PAGE_SIZE)
    if memlimit_bytes >= 0:
        goals.append(memlimit_bytes * (100 - REDUCE_EXTRA_PERCENT) // 100)
    return min(goals) if goals else -1
