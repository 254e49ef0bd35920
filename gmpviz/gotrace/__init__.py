"""gmpviz.gotrace: a reader of Go's execution-trace format ("go 1.22" to "go 1.26"), Qt-free.

It follows Go's own parser (`src/internal/trace`): `wire` reads the header, the generations, their
batches and tables and decodes the events with numpy; `order` is order.go's partial order across Ms
(the exact one-event-at-a-time algorithm) and `fast` the same order for a whole generation at once;
`reader.GoTraceReader` yields each generation as an ORDERED_DTYPE array; `dump` prints what
`go tool trace -d=parsed` prints; `summary` counts what `gmpviz run --headless` reports.
"""

from .order import ORDERED_DTYPE
from .reader import GoTraceReader, read_trace
from .wire import TraceError

__all__ = ["ORDERED_DTYPE", "GoTraceReader", "TraceError", "read_trace"]
