"""Inline scenarios for engine tests."""

from gmpviz.core.workload.loader import loads_scenario


def scen(body: str, **top):
    """A scenario from its programs/channels TOML ``body`` and top-level settings as keywords."""
    head = "\n".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in top.items())
    return loads_scenario(f'name = "t"\nsummary = "t"\n{head}\n{body}', filename="t.toml")
