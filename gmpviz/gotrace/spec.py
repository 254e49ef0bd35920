"""Go's execution-trace wire format: event types, their argument lists and the status enums.

A transcription of `internal/trace/tracev2/events.go` and `spec.go` (Go 1.27 source, which writes
format version "go 1.26"). The numbering is the wire's: an event's first byte is its type.
Experimental events start above `MaxEvent` (127); their type byte has the high bit set.
"""

from __future__ import annotations

import numpy as np

# tracev2.EventType values (events.go, the const block).
EvNone = 0
EvEventBatch = 1
EvStacks = 2
EvStack = 3
EvStrings = 4
EvString = 5
EvCPUSamples = 6
EvCPUSample = 7
EvFrequency = 8
EvProcsChange = 9
EvProcStart = 10
EvProcStop = 11
EvProcSteal = 12
EvProcStatus = 13
EvGoCreate = 14
EvGoCreateSyscall = 15
EvGoStart = 16
EvGoDestroy = 17
EvGoDestroySyscall = 18
EvGoStop = 19
EvGoBlock = 20
EvGoUnblock = 21
EvGoSyscallBegin = 22
EvGoSyscallEnd = 23
EvGoSyscallEndBlocked = 24
EvGoStatus = 25
EvSTWBegin = 26
EvSTWEnd = 27
EvGCActive = 28
EvGCBegin = 29
EvGCEnd = 30
EvGCSweepActive = 31
EvGCSweepBegin = 32
EvGCSweepEnd = 33
EvGCMarkAssistActive = 34
EvGCMarkAssistBegin = 35
EvGCMarkAssistEnd = 36
EvHeapAlloc = 37
EvHeapGoal = 38
EvGoLabel = 39
EvUserTaskBegin = 40
EvUserTaskEnd = 41
EvUserRegionBegin = 42
EvUserRegionEnd = 43
EvUserLog = 44
EvGoSwitch = 45
EvGoSwitchDestroy = 46
EvGoCreateBlocked = 47
EvGoStatusStack = 48
EvExperimentalBatch = 49
EvSync = 50
EvClockSnapshot = 51
EvEndOfGeneration = 52
NumEvents = 53

MaxEvent = 127
EvSpan = 128
EvSpanAlloc = 129
EvSpanFree = 130
EvHeapObject = 131
EvHeapObjectAlloc = 132
EvHeapObjectFree = 133
EvGoroutineStack = 134
EvGoroutineStackAlloc = 135
EvGoroutineStackFree = 136
MaxExperimentalEvent = 137

# The parser's own synthetic type for Sync events (event.go: evSync = ^EventType(0)).
EvSyncEvent = 255

# Experiments (events.go).
NoExperiment = 0
AllocFree = 1
EXPERIMENT_NAMES = ("None", "AllocFree")

# spec.go/events.go limits.
MaxBatchSize = 64 << 10
MaxFramesPerStack = 128
MaxEventTrailerDataSize = 1 << 10
MaxTimedEventArgs = 5

# Timed events: name, argument names (the first is always the time delta "dt"), stack-ID argument
# indices (into Args; the first is the event's own stack), string-ID argument indices, StartEv.
# From `specs` in events.go; structural events (batches, tables) are parsed by the generation reader.
TIMED: dict[int, tuple[str, tuple[str, ...], tuple[int, ...], tuple[int, ...], int]] = {
    EvProcsChange: ("ProcsChange", ("dt", "procs_value", "stack"), (2,), (), EvNone),
    EvProcStart: ("ProcStart", ("dt", "p", "p_seq"), (), (), EvNone),
    EvProcStop: ("ProcStop", ("dt",), (), (), EvNone),
    EvProcSteal: ("ProcSteal", ("dt", "p", "p_seq", "m"), (), (), EvNone),
    EvProcStatus: ("ProcStatus", ("dt", "p", "pstatus"), (), (), EvNone),
    EvGoCreate: ("GoCreate", ("dt", "new_g", "new_stack", "stack"), (3, 2), (), EvNone),
    EvGoCreateSyscall: ("GoCreateSyscall", ("dt", "new_g"), (), (), EvNone),
    EvGoStart: ("GoStart", ("dt", "g", "g_seq"), (), (), EvNone),
    EvGoDestroy: ("GoDestroy", ("dt",), (), (), EvNone),
    EvGoDestroySyscall: ("GoDestroySyscall", ("dt",), (), (), EvNone),
    EvGoStop: ("GoStop", ("dt", "reason_string", "stack"), (2,), (1,), EvNone),
    EvGoBlock: ("GoBlock", ("dt", "reason_string", "stack"), (2,), (1,), EvNone),
    EvGoUnblock: ("GoUnblock", ("dt", "g", "g_seq", "stack"), (3,), (), EvNone),
    EvGoSyscallBegin: ("GoSyscallBegin", ("dt", "p_seq", "stack"), (2,), (), EvNone),
    EvGoSyscallEnd: ("GoSyscallEnd", ("dt",), (), (), EvGoSyscallBegin),
    EvGoSyscallEndBlocked: ("GoSyscallEndBlocked", ("dt",), (), (), EvGoSyscallBegin),
    EvGoStatus: ("GoStatus", ("dt", "g", "m", "gstatus"), (), (), EvNone),
    EvSTWBegin: ("STWBegin", ("dt", "kind_string", "stack"), (2,), (1,), EvNone),
    EvSTWEnd: ("STWEnd", ("dt",), (), (), EvSTWBegin),
    EvGCActive: ("GCActive", ("dt", "gc_seq"), (), (), EvGCBegin),
    EvGCBegin: ("GCBegin", ("dt", "gc_seq", "stack"), (2,), (), EvNone),
    EvGCEnd: ("GCEnd", ("dt", "gc_seq"), (), (), EvGCBegin),
    EvGCSweepActive: ("GCSweepActive", ("dt", "p"), (), (), EvGCSweepBegin),
    EvGCSweepBegin: ("GCSweepBegin", ("dt", "stack"), (1,), (), EvNone),
    EvGCSweepEnd: ("GCSweepEnd", ("dt", "swept_value", "reclaimed_value"), (), (), EvGCSweepBegin),
    EvGCMarkAssistActive: ("GCMarkAssistActive", ("dt", "g"), (), (), EvGCMarkAssistBegin),
    EvGCMarkAssistBegin: ("GCMarkAssistBegin", ("dt", "stack"), (1,), (), EvNone),
    EvGCMarkAssistEnd: ("GCMarkAssistEnd", ("dt",), (), (), EvGCMarkAssistBegin),
    EvHeapAlloc: ("HeapAlloc", ("dt", "heapalloc_value"), (), (), EvNone),
    EvHeapGoal: ("HeapGoal", ("dt", "heapgoal_value"), (), (), EvNone),
    EvGoLabel: ("GoLabel", ("dt", "label_string"), (), (1,), EvNone),
    EvUserTaskBegin: (
        "UserTaskBegin",
        ("dt", "task", "parent_task", "name_string", "stack"),
        (4,),
        (3,),
        EvNone,
    ),
    EvUserTaskEnd: ("UserTaskEnd", ("dt", "task", "stack"), (2,), (), EvNone),
    EvUserRegionBegin: ("UserRegionBegin", ("dt", "task", "name_string", "stack"), (3,), (2,), EvNone),
    EvUserRegionEnd: (
        "UserRegionEnd",
        ("dt", "task", "name_string", "stack"),
        (3,),
        (2,),
        EvUserRegionBegin,
    ),
    EvUserLog: ("UserLog", ("dt", "task", "key_string", "value_string", "stack"), (4,), (2, 3), EvNone),
    EvGoSwitch: ("GoSwitch", ("dt", "g", "g_seq"), (), (), EvNone),
    EvGoSwitchDestroy: ("GoSwitchDestroy", ("dt", "g", "g_seq"), (), (), EvNone),
    EvGoCreateBlocked: ("GoCreateBlocked", ("dt", "new_g", "new_stack", "stack"), (3, 2), (), EvNone),
    EvGoStatusStack: ("GoStatusStack", ("dt", "g", "m", "gstatus", "stack"), (4,), (), EvNone),
    EvClockSnapshot: ("ClockSnapshot", ("dt", "mono", "sec", "nsec"), (), (), EvNone),
    # Experimental (AllocFree) events: timed events in ordinary batches (traceallocfree.go).
    EvSpan: ("Span", ("dt", "id", "npages_value", "kindclass"), (), (), EvNone),
    EvSpanAlloc: ("SpanAlloc", ("dt", "id", "npages_value", "kindclass"), (), (), EvNone),
    EvSpanFree: ("SpanFree", ("dt", "id"), (), (), EvNone),
    EvHeapObject: ("HeapObject", ("dt", "id", "type"), (), (), EvNone),
    EvHeapObjectAlloc: ("HeapObjectAlloc", ("dt", "id", "type"), (), (), EvNone),
    EvHeapObjectFree: ("HeapObjectFree", ("dt", "id"), (), (), EvNone),
    EvGoroutineStack: ("GoroutineStack", ("dt", "id", "order"), (), (), EvNone),
    EvGoroutineStackAlloc: ("GoroutineStackAlloc", ("dt", "id", "order"), (), (), EvNone),
    EvGoroutineStackFree: ("GoroutineStackFree", ("dt", "id"), (), (), EvNone),
}

# Every name in the Go 1.26 table, timed or not (version.EventName for error messages).
NAMES: dict[int, str] = {
    EvEventBatch: "EventBatch",
    EvStacks: "Stacks",
    EvStack: "Stack",
    EvStrings: "Strings",
    EvString: "String",
    EvCPUSamples: "CPUSamples",
    EvCPUSample: "CPUSample",
    EvFrequency: "Frequency",
    EvExperimentalBatch: "ExperimentalBatch",
    EvSync: "Sync",
    EvEndOfGeneration: "EndOfGeneration",
    **{t: s[0] for t, s in TIMED.items()},
}

# Per-type lookup tables for the vectorized decoder (index = type byte).
NARGS = np.zeros(256, np.int8)  # varints after the type byte, the time delta included; 0 = not timed
STACK_ARG = np.full(256, -1, np.int8)  # index (after dt) of the event's own stack ID, -1 = none
START_EV = np.zeros(256, np.uint8)
for _t, (_name, _args, _stacks, _strings, _start) in TIMED.items():
    NARGS[_t] = len(_args)
    STACK_ARG[_t] = _stacks[0] - 1 if _stacks else -1
    START_EV[_t] = _start
NARGS.setflags(write=False)

# Versions (internal/trace/version/version.go): the v2 formats this reader understands.
Go122, Go123, Go125, Go126 = 22, 23, 25, 26
SUPPORTED_VERSIONS = (Go122, Go123, Go125, Go126)
HEADER_LEN = 16  # "go 1.xx trace\x00\x00\x00"

# tracev2.GoStatus (wire) and the parser's GoState (resources.go).
GoBad, GoRunnableW, GoRunningW, GoSyscallW, GoWaitingW = range(5)
GS_UNDETERMINED, GS_NOTEXIST, GS_RUNNABLE, GS_RUNNING, GS_WAITING, GS_SYSCALL = range(6)
GO_STATE_NAMES = ("Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall")
GO_STATUS_TO_STATE = (GS_UNDETERMINED, GS_RUNNABLE, GS_RUNNING, GS_SYSCALL, GS_WAITING)  # [GoBad] unused

# tracev2.ProcStatus (wire) and ProcState.
ProcBad, ProcRunningW, ProcIdleW, ProcSyscallW, ProcSyscallAbandonedW = range(5)
PS_UNDETERMINED, PS_NOTEXIST, PS_RUNNING, PS_IDLE = range(4)
PROC_STATE_NAMES = ("Undetermined", "NotExist", "Running", "Idle")
PROC_STATUS_TO_STATE = (PS_UNDETERMINED, PS_RUNNING, PS_IDLE, PS_RUNNING, PS_IDLE)
GO_STATUS_NAMES = ("Bad", "Runnable", "Running", "Syscall", "Waiting")
PROC_STATUS_NAMES = ("Bad", "Running", "Idle", "Syscall", "SyscallAbandoned")

NO_ID = -1  # NoGoroutine, NoProc, NoThread (resources.go)
NO_TASK = (1 << 64) - 1  # trace.NoTask = ^uint64(0)
