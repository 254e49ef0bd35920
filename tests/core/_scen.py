"""Inline scenarios for engine tests."""

from gmpviz.core.workload.loader import loads_scenario

# runtime.main's start-up (issue 14): forcegchelper, bgsweep and bgscavenge are 3 gs in the heap (456 B
# in the 480 B class), gcenable's channel an hchan and main's receive on it a sudog (112 B class each)
START_UP_GS = 3
START_UP_OBJECTS = START_UP_GS + 2
START_UP_BYTES = START_UP_GS * 480 + 2 * 112


def scen(body: str, **top):
    """A scenario from its programs/channels TOML ``body`` and top-level settings as keywords."""
    head = "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in top.items())
    return loads_scenario(f'name = "t"\nsummary = "t"\n{head}\n{body}', filename="t.toml")
