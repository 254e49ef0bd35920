from .events import EV, EVENT_DTYPE, SPEC, format_event
from .tracer import Tracer

__all__ = ["EV", "EVENT_DTYPE", "SPEC", "Tracer", "format_event"]
