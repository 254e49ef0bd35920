"""Garbage collector: pacer (mgcpacer.py), CPU limiter (mgclimit.py), gctrace lines (gctrace.py).

The cycle itself (gcStart, gcMarkDone, gcMarkTermination) lives in mgc.py, written by the engine
on top of these pieces. Everything here is pure Python, deterministic, and takes time as an argument.
"""

ASSUMPTIONS: tuple[str, ...] = (
    "GC pacer: gcControllerState follows Go 1.26 mgcpacer.go formula for formula (GOGC goal, memory-limit "
    "goal, trigger bounds 45/64..61/64, runway from cons/mark, assist ratio in revise). The cons/mark "
    "estimate is only as good as the emulated scan work and CPU times fed to it.",
    "GC pacer: an emulated cycle with no scan work, or with 100% assist utilisation, keeps the previous "
    "cons/mark estimate (the runtime would divide by zero).",
    "GC pacer: with no scan history at all (first cycle, no globals) revise paces against the hard goal "
    "(1+GOGC/100) x goal instead of dividing by zero.",
    "GC pacer: the memory-limit goal reads memstats the engine mirrors into the controller; they are "
    "consistent by construction, so the runtime's retry on torn reads is a clamp.",
    "GC CPU limiter: assist and idle periods are added when they end; the runtime also consumes periods "
    "still in flight at each update (limiterEvent.consume).",
    "Worker choice: the caller checks for mark work and a parked worker G (gcShouldScheduleWorker, "
    "gcBgMarkWorkerPool); the pacer only decides dedicated vs fractional vs none.",
    "Mark workers are created parked (gcBgMarkStartWorkers): the runtime runs each new worker once "
    "until its first gopark in gcBgMarkWorker; the events show a GoCreate then a GoBlock on no P.",
)
